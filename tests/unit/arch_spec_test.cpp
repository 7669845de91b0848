// DESCRIPTION: Architecture spec: every shipped config parses, a broken file reports all its errors
// at once with exact positions, to_yaml round-trips, --set overrides, PE parameter checks, and the
// DRAM per-cycle figures.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/core/arch_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "mpsim/base/error.h"
#include "mpsim/cost/energy.h"

namespace mpsim::sim {
namespace {

namespace fs = std::filesystem;

const std::string kSrc = MPSIM_SOURCE_DIR;

/// Smallest complete architecture; everything else defaults.
const std::string kMinimal =
    "version: 1\n"
    "arch:\n"
    "  name: tiny\n"
    "  array: { rows: 4, cols: 8 }\n"
    "  pe: { type: int8_mac }\n"
    "  buffers:\n"
    "    weight: { kib: 16 }\n"
    "    activation: { kib: 16 }\n"
    "    output: { kib: 8 }\n";

std::vector<Diagnostic> errors_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.diagnostics();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return {};
}

std::vector<Diagnostic> parse_errors(const std::string& yaml, const std::vector<Override>& o = {}) {
  return errors_of([&] { parse_arch(yaml, "t.yaml", o); });
}

std::string dump(const std::vector<Diagnostic>& ds) {
  std::string s;
  for (const auto& d : ds) s += d.str() + "\n";
  return s;
}

void expect_diag(const Diagnostic& d, const std::string& where, const std::string& field,
                 const std::string& message) {
  EXPECT_EQ(d.where, where) << d.str();
  EXPECT_EQ(d.field, field) << d.str();
  EXPECT_EQ(d.message, message) << d.str();
}

void expect_buffer_eq(const BufferSpec& a, const BufferSpec& b, const char* which) {
  SCOPED_TRACE(which);
  EXPECT_EQ(a.kib, b.kib);
  EXPECT_EQ(a.banks, b.banks);
  EXPECT_EQ(a.bytes_per_cycle, b.bytes_per_cycle);
  EXPECT_EQ(a.double_buffered, b.double_buffered);
}

void expect_spec_eq(const ArchSpec& a, const ArchSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.frequency_mhz, b.frequency_mhz);
  EXPECT_EQ(a.tech_nm, b.tech_nm);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  EXPECT_EQ(a.dataflow, b.dataflow);
  EXPECT_EQ(a.pe_type, b.pe_type);
  EXPECT_EQ(a.pe_params.ints, b.pe_params.ints);
  EXPECT_EQ(a.pe_params.strings, b.pe_params.strings);
  ASSERT_NE(a.pe, nullptr);
  ASSERT_NE(b.pe, nullptr);
  EXPECT_EQ(a.pe->name(), b.pe->name());
  expect_buffer_eq(a.weight_buf, b.weight_buf, "weight");
  expect_buffer_eq(a.act_buf, b.act_buf, "activation");
  expect_buffer_eq(a.out_buf, b.out_buf, "output");
  EXPECT_EQ(a.dram.bandwidth_gbps, b.dram.bandwidth_gbps);
  EXPECT_EQ(a.dram.latency_ns, b.dram.latency_ns);
  EXPECT_EQ(a.dram.jitter_cycles, b.dram.jitter_cycles);
  EXPECT_EQ(a.dram.jitter_seed, b.dram.jitter_seed);
  EXPECT_EQ(a.vector.lanes, b.vector.lanes);
  EXPECT_EQ(a.vector.softmax, b.vector.softmax);
}

struct Config {
  fs::path path;
  std::string pe_type;
};

std::vector<Config> shipped_configs() {
  std::vector<Config> out;
  for (const auto& f : fs::directory_iterator(kSrc + "/sim/configs")) {
    if (f.path().extension() != ".yaml") continue;
    const YAML::Node n = YAML::LoadFile(f.path().string());
    out.push_back({f.path(), n["arch"]["pe"]["type"].as<std::string>("")});
  }
  std::sort(out.begin(), out.end(),
            [](const Config& a, const Config& b) { return a.path < b.path; });
  return out;
}

TEST(ArchSpec, EveryShippedConfigWithARegisteredFamilyParses) {
  int parsed = 0;
  for (const auto& c : shipped_configs()) {
    SCOPED_TRACE(c.path.string());
    // Configs may be committed ahead of their family; those are checked once it is registered.
    if (!builtin_pe_types().contains(c.pe_type)) continue;
    ArchSpec a;
    try {
      a = load_arch(c.path);
    } catch (const ConfigError& e) {
      ADD_FAILURE() << dump(e.diagnostics());
      continue;
    }
    ASSERT_NE(a.pe, nullptr);
    EXPECT_EQ(a.pe->name(), c.pe_type);
    EXPECT_EQ(a.pe_type, c.pe_type);
    // The resolved spec lists every declared parameter of the family.
    for (const auto& p : builtin_pe_types().params(c.pe_type)) {
      EXPECT_TRUE(p.is_int ? a.pe_params.ints.contains(p.key) : a.pe_params.strings.contains(p.key))
          << p.key;
    }
    ++parsed;
  }
  EXPECT_GE(parsed, 2);  // at least the int8_mac baselines
}

TEST(ArchSpec, BaselinesAre32x32Int8InBothDataflows) {
  const ArchSpec ws = load_arch(kSrc + "/sim/configs/int8_mac_ws.yaml");
  const ArchSpec os = load_arch(kSrc + "/sim/configs/int8_mac_os.yaml");
  for (const ArchSpec* a : {&ws, &os}) {
    EXPECT_EQ(a->rows, 32);
    EXPECT_EQ(a->cols, 32);
    EXPECT_EQ(a->pe_type, "int8_mac");
    EXPECT_EQ(a->pe_params.ints.at("lanes"), 1);
    EXPECT_EQ(a->frequency_mhz, 1000);
    EXPECT_EQ(a->tech_nm, 45);
    EXPECT_EQ(a->weight_buf.kib, 256);
    EXPECT_EQ(a->weight_buf.banks, 8);
  }
  EXPECT_EQ(ws.dataflow, Dataflow::kWeightStationary);
  EXPECT_EQ(os.dataflow, Dataflow::kOutputStationary);
}

TEST(ArchSpec, EveryRegisteredFamilyHasAConfig) {
  std::set<std::string> types;
  for (const auto& c : shipped_configs()) types.insert(c.pe_type);
  for (const auto& name : builtin_pe_types().names()) EXPECT_TRUE(types.contains(name)) << name;
}

TEST(ArchSpec, BadFileReportsEveryErrorAtOnce) {
  const std::string f = kSrc + "/tests/data/arch/bad_arch.yaml";
  const auto ds = errors_of([&] { load_arch(f); });
  const std::string known = fmt::format("{}", fmt::join(builtin_pe_types().names(), ", "));
  const std::string nodes = fmt::format("{}", fmt::join(cost::Tech::supported_nodes(), ", "));
  const std::vector<Diagnostic> want = {
      {f + ":6:18", "arch.frequency_mhz", "expected a number, got 'fast'"},
      {f + ":7:12", "arch.tech_nm",
       fmt::format("unsupported technology node 40 nm (supported: {})", nodes)},
      {f + ":8:18", "arch.array.rows", "must be in [1, 4096], got 0"},
      {f + ":8:41", "arch.array.dataflow",
       "'diagonal' is not one of weight_stationary, output_stationary"},
      {f + ":9:15", "arch.pe.type",
       fmt::format("unknown PE type 'int8_mak' (did you mean 'int8_mac'? known: {})", known)},
      {f + ":11:5", "arch.buffers.wieght", "unknown key (did you mean 'weight'?)"},
      {f + ":11:5", "arch.buffers.weight", "required section is missing"},
      {f + ":12:24", "arch.buffers.activation.kib", "must be in (0, 1048576], got 0"},
      {f + ":12:34", "arch.buffers.activation.banks", "must be a power of two, got 6"},
      {f + ":12:75", "arch.buffers.activation.double_buffered",
       "expected true or false, got 'maybe'"},
      {f + ":13:24", "arch.buffers.output.bankz", "unknown key (did you mean 'banks'?)"},
      {f + ":14:43", "arch.dram.latency_ns", "must be in [0, 100000], got -1"},
      {f + ":14:60", "arch.dram.jitter_seed", "expected a non-negative integer, got '-3'"},
      {f + ":15:38", "arch.vector_unit.softmax",
       "'one_pass' is not one of three_pass, two_pass (did you mean 'two_pass'?)"},
      {f + ":16:3", "arch.clock", "unknown key"},
  };
  ASSERT_EQ(ds.size(), want.size()) << dump(ds);
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    expect_diag(ds[i], want[i].where, want[i].field, want[i].message);
  }
}

TEST(ArchSpec, DefaultsFillTheResolvedSpec) {
  const ArchSpec a = parse_arch(kMinimal, "t.yaml");
  EXPECT_EQ(a.name, "tiny");
  EXPECT_EQ(a.frequency_mhz, 1000);
  EXPECT_EQ(a.tech_nm, 45);
  EXPECT_EQ(a.rows, 4);
  EXPECT_EQ(a.cols, 8);
  EXPECT_EQ(a.dataflow, Dataflow::kWeightStationary);
  EXPECT_EQ(a.pe_params.ints, (std::map<std::string, std::int64_t>{{"lanes", 1}}));
  EXPECT_EQ(a.weight_buf.kib, 16);
  EXPECT_EQ(a.out_buf.kib, 8);
  EXPECT_EQ(a.act_buf.banks, 1);
  EXPECT_EQ(a.act_buf.bytes_per_cycle, 64);
  EXPECT_TRUE(a.act_buf.double_buffered);
  EXPECT_EQ(a.dram.bandwidth_gbps, 64);
  EXPECT_EQ(a.dram.latency_ns, 100);
  EXPECT_EQ(a.dram.jitter_cycles, 0);
  EXPECT_EQ(a.dram.jitter_seed, 1u);
  EXPECT_EQ(a.vector.lanes, 32);
  EXPECT_EQ(a.vector.softmax, SoftmaxAlgo::kThreePass);
  ASSERT_NE(a.pe, nullptr);
  EXPECT_EQ(a.pe->name(), "int8_mac");
}

TEST(ArchSpec, ToYamlWritesEveryKeyAndRoundTrips) {
  const ArchSpec a = parse_arch(kMinimal, "t.yaml");
  const std::string y = to_yaml(a);
  for (const char* key :
       {"version: 1", "name: tiny", "frequency_mhz: 1000", "tech_nm: 45", "rows: 4", "cols: 8",
        "dataflow: weight_stationary", "type: int8_mac", "lanes: 1", "kib: 16", "banks: 1",
        "bytes_per_cycle: 64", "double_buffered: true", "bandwidth_gbps: 64", "latency_ns: 100",
        "jitter_cycles: 0", "jitter_seed: 1", "softmax: three_pass"}) {
    EXPECT_NE(y.find(key), std::string::npos) << key << " missing from\n" << y;
  }
  const ArchSpec b = parse_arch(y, "resolved.yaml");
  expect_spec_eq(a, b);
  EXPECT_EQ(to_yaml(b), y);  // stable: writing the re-read spec gives the same text
}

TEST(ArchSpec, RoundTripKeepsAwkwardValuesExactly) {
  const ArchSpec a =
      parse_arch(kMinimal, "t.yaml",
                 {{"arch.name", "'odd: name #1'"},
                  {"arch.frequency_mhz", "933.3333333333334"},
                  {"arch.tech_nm", "7"},
                  {"arch.array.dataflow", "output_stationary"},
                  {"arch.pe.lanes", "16"},
                  {"arch.buffers.activation", "{kib: 0.1, banks: 1024, double_buffered: false}"},
                  {"arch.dram.bandwidth_gbps", "25.6"},
                  {"arch.dram.latency_ns", "1e-3"},
                  {"arch.dram.jitter_cycles", "1000000"},
                  {"arch.dram.jitter_seed", "18446744073709551615"},
                  {"arch.vector_unit.softmax", "two_pass"}});
  EXPECT_EQ(a.name, "odd: name #1");
  EXPECT_EQ(a.act_buf.kib, 0.1);
  EXPECT_EQ(a.dram.jitter_seed, ~std::uint64_t{0});
  const ArchSpec b = parse_arch(to_yaml(a), "resolved.yaml");
  expect_spec_eq(a, b);
}

TEST(ArchSpec, EveryShippedConfigRoundTrips) {
  for (const auto& c : shipped_configs()) {
    if (!builtin_pe_types().contains(c.pe_type)) continue;
    SCOPED_TRACE(c.path.string());
    const ArchSpec a = load_arch(c.path);
    expect_spec_eq(a, parse_arch(to_yaml(a), "resolved.yaml"));
  }
}

TEST(ArchSpec, OverridesApplyBeforeValidation) {
  const ArchSpec a =
      parse_arch(kMinimal, "t.yaml",
                 {parse_override("arch.array.rows=64"), parse_override("arch.pe.lanes=4"),
                  // No dram section in the file: the map is created.
                  parse_override("arch.dram.jitter_cycles=5"), parse_override("version=1")});
  EXPECT_EQ(a.rows, 64);
  EXPECT_EQ(a.cols, 8);
  EXPECT_EQ(a.pe_params.ints.at("lanes"), 4);
  EXPECT_EQ(a.dram.jitter_cycles, 5);
  EXPECT_EQ(a.dram.bandwidth_gbps, 64);  // the created section's other keys default
}

TEST(ArchSpec, BadOverrideValuesAreReportedAsCli) {
  const auto ds = parse_errors(kMinimal, {{"arch.array.rows", "0"},
                                          {"arch.array.rowz", "3"},
                                          {"arch.dram.latency_ns", "[1,"},
                                          {"arch.frequency_mhz", "fast"},
                                          {"arch.buffers.wieght.kib", "1"}});
  ASSERT_EQ(ds.size(), 5u) << dump(ds);
  // Reported before file positions, in the order the checks ran.
  EXPECT_EQ(ds[0].where, "<cli>");
  EXPECT_EQ(ds[0].field, "arch.dram.latency_ns");
  EXPECT_TRUE(ds[0].message.starts_with("cannot parse the value '[1,': ")) << ds[0].message;
  expect_diag(ds[1], "<cli>", "arch.frequency_mhz", "expected a number, got 'fast'");
  expect_diag(ds[2], "<cli>", "arch.array.rowz", "unknown key (did you mean 'rows'?)");
  expect_diag(ds[3], "<cli>", "arch.array.rows", "must be in [1, 4096], got 0");
  expect_diag(ds[4], "<cli>", "arch.buffers.wieght", "unknown key (did you mean 'weight'?)");
}

TEST(ArchSpec, OverridePathMustNameAnArchField) {
  const std::string msg_tail =
      "is not an architecture field (expected 'version' or a path under 'arch.', e.g. "
      "arch.array.rows)";
  const auto ds = parse_errors(
      kMinimal,
      {{"array.rows", "2"}, {"archx.rows", "2"}, {"arch..rows", "2"}, {"arch.array.rows", "2"}});
  ASSERT_EQ(ds.size(), 3u) << dump(ds);
  expect_diag(ds[0], "<cli>", "--set", "'array.rows' " + msg_tail);
  expect_diag(ds[1], "<cli>", "--set", "'archx.rows' " + msg_tail);
  expect_diag(ds[2], "<cli>", "--set", "'arch..rows' " + msg_tail);
}

TEST(ArchSpec, ParseOverrideSplitsAtTheFirstEquals) {
  const Override o = parse_override("arch.name=a=b");
  EXPECT_EQ(o.path, "arch.name");
  EXPECT_EQ(o.value, "a=b");
  for (const char* bad : {"arch.array.rows", "=5", ""}) {
    const auto ds = errors_of([&] { parse_override(bad); });
    ASSERT_EQ(ds.size(), 1u) << bad;
    EXPECT_EQ(ds[0].where, "<cli>");
    EXPECT_EQ(ds[0].field, "--set");
    EXPECT_TRUE(ds[0].message.starts_with("expected PATH=VALUE")) << ds[0].message;
  }
}

TEST(ArchSpec, PeParametersAreCheckedAgainstTheFamily) {
  std::string y = kMinimal;
  y.replace(y.find("{ type: int8_mac }"), 18, "{ type: int8_mac, lane: 2, lanes: 17 }");
  const auto ds = parse_errors(y);
  ASSERT_EQ(ds.size(), 2u) << dump(ds);
  expect_diag(ds[0], "t.yaml:5:25", "arch.pe.lane",
              "unknown parameter of PE type 'int8_mac' (did you mean 'lanes'? known: type, lanes)");
  expect_diag(ds[1], "t.yaml:5:41", "arch.pe.lanes", "must be in [1, 16], got 17");

  // Every declared parameter accepts its own default and bounds.
  for (const std::string& type : builtin_pe_types().names()) {
    for (const auto& p : builtin_pe_types().params(type)) {
      if (!p.is_int) continue;
      for (std::int64_t v : {p.min_int, p.def_int, p.max_int}) {
        SCOPED_TRACE(fmt::format("{}.{}={}", type, p.key, v));
        const ArchSpec a =
            parse_arch(kMinimal, "t.yaml",
                       {{"arch.pe.type", type}, {"arch.pe." + p.key, fmt::format("{}", v)}});
        EXPECT_EQ(a.pe_params.ints.at(p.key), v);
      }
    }
  }
}

TEST(ArchSpec, UnknownPeTypeStopsParameterChecks) {
  std::string y = kMinimal;
  y.replace(y.find("{ type: int8_mac }"), 18, "{ type: systolic, lanes: 99 }");
  const auto ds = parse_errors(y);
  ASSERT_EQ(ds.size(), 1u) << dump(ds);  // no cascade into the unknowable `lanes`
  expect_diag(ds[0], "t.yaml:5:15", "arch.pe.type",
              fmt::format("unknown PE type 'systolic' (known: {})",
                          fmt::join(builtin_pe_types().names(), ", ")));
}

TEST(ArchSpec, TypesMissingKeysAndStructure) {
  const std::string y =
      "version: 2\n"
      "verison: 1\n"
      "arch:\n"
      "  name: { a: 1 }\n"
      "  frequency_mhz: .inf\n"
      "  array: { cols: 1.5 }\n"
      "  pe: { type: int8_mac, lanes: }\n"
      "  buffers: [1, 2]\n"
      "  dram: { jitter_cycles: 3, jitter_cycles: 4 }\n";
  const auto ds = parse_errors(y);
  const std::vector<Diagnostic> want = {
      {"t.yaml:1:10", "version", "unsupported version 2 (expected 1)"},
      {"t.yaml:2:1", "verison", "unknown key (did you mean 'version'?)"},
      {"t.yaml:4:9", "arch.name", "expected a string, got a map"},
      {"t.yaml:5:18", "arch.frequency_mhz", "expected a number, got '.inf'"},
      // A missing key is reported where its map is.
      {"t.yaml:6:10", "arch.array.rows", "required key is missing"},
      {"t.yaml:6:18", "arch.array.cols", "expected an integer, got '1.5'"},
      // An empty value has no position of its own: its key's is used.
      {"t.yaml:7:25", "arch.pe.lanes", "expected an integer, got an empty value"},
      {"t.yaml:8:12", "arch.buffers", "expected a map, got a list"},
      {"t.yaml:9:29", "arch.dram.jitter_cycles", "duplicate key (first at line 9)"},
  };
  ASSERT_EQ(ds.size(), want.size()) << dump(ds);
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    expect_diag(ds[i], want[i].where, want[i].field, want[i].message);
  }
}

TEST(ArchSpec, MissingSectionsAndDocumentErrors) {
  auto ds = parse_errors("version: 1\n");
  ASSERT_EQ(ds.size(), 1u) << dump(ds);
  expect_diag(ds[0], "t.yaml:1:1", "arch", "required section is missing");

  ds = parse_errors("version: 1\narch: { name: x }\n");
  ASSERT_EQ(ds.size(), 3u) << dump(ds);
  expect_diag(ds[0], "t.yaml:2:7", "arch.array", "required section is missing");
  expect_diag(ds[1], "t.yaml:2:7", "arch.pe", "required section is missing");
  expect_diag(ds[2], "t.yaml:2:7", "arch.buffers", "required section is missing");

  ds = parse_errors("");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].where, "t.yaml");

  ds = parse_errors("version: 1\narch: { name: [x\n");
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].where.starts_with("t.yaml:")) << ds[0].where;
  EXPECT_TRUE(ds[0].message.starts_with("YAML syntax error")) << ds[0].message;

  ds = errors_of([] { load_arch(kSrc + "/tests/data/arch/no_such_file.yaml"); });
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].where, kSrc + "/tests/data/arch/no_such_file.yaml");
}

TEST(ArchSpec, EverySupportedTechNodeIsAccepted) {
  for (int nm : cost::Tech::supported_nodes()) {
    EXPECT_EQ(parse_arch(kMinimal, "t.yaml", {{"arch.tech_nm", std::to_string(nm)}}).tech_nm, nm);
  }
}

TEST(ArchSpec, DramPerCycleFigures) {
  auto at = [](const char* gbps, const char* ns, const char* mhz) {
    return parse_arch(kMinimal, "t.yaml",
                      {{"arch.dram.bandwidth_gbps", gbps},
                       {"arch.dram.latency_ns", ns},
                       {"arch.frequency_mhz", mhz}});
  };
  // 64 GB/s at 1 GHz: 64e9 / 1e9 = 64 B per cycle; 100 ns = 100 cycles.
  ArchSpec a = at("64", "100", "1000");
  EXPECT_DOUBLE_EQ(a.dram_bytes_per_cycle(), 64.0);
  EXPECT_EQ(a.dram_latency_cycles(), 100u);
  // 25.6 GB/s at 800 MHz: 25.6e9 / 0.8e9 = 32 B; 100 ns * 0.8 GHz = 80 cycles.
  a = at("25.6", "100", "800");
  EXPECT_DOUBLE_EQ(a.dram_bytes_per_cycle(), 32.0);
  EXPECT_EQ(a.dram_latency_cycles(), 80u);
  // 45 ns at 933 MHz = 41.985 cycles: rounded up to 42.
  a = at("100", "45", "933");
  EXPECT_DOUBLE_EQ(a.dram_bytes_per_cycle(), 100e9 / 933e6);
  EXPECT_EQ(a.dram_latency_cycles(), 42u);
  // 10 ns at 1.5 GHz is a whole 15 cycles: nothing to round up.
  a = at("1", "10", "1500");
  EXPECT_EQ(a.dram_latency_cycles(), 15u);
  a = at("1", "0", "1500");
  EXPECT_EQ(a.dram_latency_cycles(), 0u);
}

}  // namespace
}  // namespace mpsim::sim
