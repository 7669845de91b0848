// DESCRIPTION: `mpsim golden gemm`: argument validation (every problem at once), matrix input,
// the golden GEMM, text/JSON output.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/app/golden_gemm_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "mpsim/app/number_text.h"
#include "mpsim/base/error.h"
#include "mpsim/golden/gemm.h"

namespace mpsim::app {
namespace {

constexpr std::int64_t kMaxDim = std::int64_t{1} << 24;

std::string json_value(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  return format_float(v);
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string read_all(std::istream& in) {
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses and builds the format, reporting every problem under `option`.
num::FormatSpec check_format(const std::string& text, const char* option,
                             std::vector<Diagnostic>& diags) {
  try {
    num::FormatSpec f = num::FormatSpec::parse(text);
    (void)f.make_quantizer();
    return f;
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) diags.push_back({"", option, d.message});
  }
  return {};
}

// Reads `count` numbers from `path` (or stdin for "-") into `out`.
void read_matrix(const std::string& path, const char* option, const char* shape, std::int64_t rows,
                 std::int64_t cols, std::istream& in, std::vector<float>& out) {
  std::string text;
  std::string source = "<stdin>";
  if (path == "-") {
    text = read_all(in);
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw ConfigError(Diagnostic{path, option, "cannot open input file"});
    text = read_all(f);
    source = path;
  }
  out = parse_numbers(text, source);
  const auto want = static_cast<std::size_t>(rows * cols);
  if (out.size() != want)
    throw ConfigError(Diagnostic{source, option,
                                 fmt::format("expected {} numbers ({} = {} x {}), got {}", want,
                                             shape, rows, cols, out.size())});
}

}  // namespace

CLI::App* add_golden_gemm_command(CLI::App* golden, GoldenGemmArgs& a) {
  CLI::App* g = golden->add_subcommand(
      "gemm", "C = A x B with the bit-exact golden GEMM (blocks and groups run along K)");
  g->add_option("--a", a.a, "File with A, row-major M x K (- for standard input)")->required();
  g->add_option("--b", a.b, "File with B, row-major K x N (- for standard input)")->required();
  g->add_option("--m", a.m, "Rows of A and C")->required();
  g->add_option("--n", a.n, "Columns of B and C")->required();
  g->add_option("--k", a.k, "Columns of A, rows of B")->required();
  g->add_option("--a-format", a.a_format, "Format of A (\"mxfp4\", \"mxfp4/b16\", \"int8\")")
      ->required();
  g->add_option("--b-format", a.b_format, "Format of B")->required();
  g->add_option("--acc", a.acc, "Accumulator: auto | fp32 | int32 | int32_sat | int64")
      ->capture_default_str();
  g->add_flag("--json", a.json, "Print a JSON object with C and how it was computed");
  return g;
}

int run_golden_gemm(const GoldenGemmArgs& a, std::istream& in, std::ostream& out,
                    std::ostream& err) {
  try {
    std::vector<Diagnostic> diags;
    auto dim = [&](std::int64_t v, const char* option) {
      if (v < 1 || v > kMaxDim)
        diags.push_back({"", option, fmt::format("must be in [1, {}], got {}", kMaxDim, v)});
    };
    dim(a.m, "--m");
    dim(a.n, "--n");
    dim(a.k, "--k");
    golden::GemmOptions o;
    o.a_format = check_format(a.a_format, "--a-format", diags);
    o.b_format = check_format(a.b_format, "--b-format", diags);
    static const std::vector<std::string> kAccs = {"auto", "fp32", "int32", "int32_sat", "int64"};
    if (std::find(kAccs.begin(), kAccs.end(), a.acc) == kAccs.end())
      diags.push_back(
          {"", "--acc",
           fmt::format("unknown accumulator '{}' (known: {})", a.acc, fmt::join(kAccs, ", "))});
    o.acc = a.acc;
    if (a.a == "-" && a.b == "-")
      diags.push_back({"", "--b", "only one of --a and --b may read standard input ('-')"});
    if (!diags.empty()) throw ConfigError(std::move(diags));

    golden::Matrix ma{a.m, a.k, {}}, mb{a.k, a.n, {}};
    read_matrix(a.a, "--a", "M x K", a.m, a.k, in, ma.data);
    read_matrix(a.b, "--b", "K x N", a.k, a.n, in, mb.data);

    golden::GemmResult r;
    try {
      r = golden::gemm(ma, mb, o);
    } catch (const ConfigError& e) {
      // The accumulator is the one choice the library can still reject (e.g. int32 for mxfp4).
      std::vector<Diagnostic> mapped;
      for (const auto& d : e.diagnostics())
        mapped.push_back({d.where, d.field == "acc" ? "--acc" : d.field, d.message});
      throw ConfigError(std::move(mapped));
    }
    if (a.json) {
      std::string s = "{";
      s += fmt::format("\"m\": {}, \"n\": {}, \"k\": {}", a.m, a.n, a.k);
      s += fmt::format(", \"a_format\": {}, \"b_format\": {}", json_string(o.a_format.str()),
                       json_string(o.b_format.str()));
      s += fmt::format(", \"acc\": {}, \"semantics\": {}", json_string(r.acc),
                       json_string(golden::semantics_name(r.semantics)));
      s += fmt::format(", \"acc_overflows\": {}, \"used_onednn\": {}", r.acc_overflows,
                       r.used_onednn ? "true" : "false");
      s += ", \"c\": [";
      for (std::size_t i = 0; i < r.c.data.size(); ++i) {
        if (i) s += ", ";
        s += json_value(r.c.data[i]);
      }
      out << s << "]}\n";
    } else {
      std::string s;
      for (float v : r.c.data) (s += format_float(v)) += '\n';
      out << s;
    }
    return 0;
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) err << "error: " << d.str() << '\n';
    return 2;
  }
}

}  // namespace mpsim::app
