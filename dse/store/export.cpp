// DESCRIPTION: The tidy export of a results store: points.csv, pareto_<a>_<b>.csv per objective
// pair and manifest.json, each written to a temporary file and renamed into place.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "mpsim/base/error.h"
#include "mpsim/dse/pareto.h"
#include "mpsim/dse/store.h"

namespace mpsim::dse {
namespace {

namespace fs = std::filesystem;

/// The fixed columns after the knobs, in order (store.h documents them).
constexpr std::string_view kFixedColumns[] = {
    "status",           "reason",   "latency_s",          "energy_j",         "area_mm2",
    "accuracy_sqnr_db", "fidelity", "verified_latency_s", "verified_energy_j"};

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

/// Shortest text that reads back to the same double ("0.001", "1e-10", "2").
std::string number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

struct Table {
  std::vector<std::string> knobs;
  std::vector<std::string> extra;  ///< sorted names of every extra metric of any point
};

/// Appends one cell (already CSV-escaped) to a row, comma-separated.
void cell(std::string& line, std::string_view text) {
  if (!line.empty()) line += ',';
  line += text;
}

std::string header(const Table& t) {
  std::string line;
  cell(line, "key");
  for (const auto& k : t.knobs) cell(line, csv_field(k));
  for (auto c : kFixedColumns) cell(line, c);
  for (const auto& e : t.extra) cell(line, csv_field(e));
  line += '\n';
  return line;
}

std::string row(const Table& t, const StoredPoint& p) {
  std::string line;
  // The key is never empty, so the first cell() does not need to know it is first.
  cell(line, csv_field(p.key));
  for (const auto& k : t.knobs) {
    const auto it = p.knobs.find(k);
    cell(line, it == p.knobs.end() ? std::string() : csv_field(it->second));
  }
  const bool ok = p.eval.status == Status::kOk;
  // Metrics of an infeasible or failed point are meaningless: empty cells, not zeros that a plot
  // would draw.
  const auto metric = [&](double v) { cell(line, ok ? number(v) : std::string()); };
  cell(line, to_string(p.eval.status));
  cell(line, csv_field(p.eval.reason));
  metric(p.eval.metrics.latency_s);
  metric(p.eval.metrics.energy_j);
  metric(p.eval.metrics.area_mm2);
  metric(p.eval.metrics.accuracy_sqnr_db);
  cell(line, csv_field(p.eval.fidelity));
  const bool verified = p.verified && p.verified->status == Status::kOk;
  cell(line, verified ? number(p.verified->metrics.latency_s) : std::string());
  cell(line, verified ? number(p.verified->metrics.energy_j) : std::string());
  for (const auto& e : t.extra) {
    const auto it = p.eval.metrics.extra.find(e);
    cell(line, ok && it != p.eval.metrics.extra.end() ? number(it->second) : std::string());
  }
  line += '\n';
  return line;
}

void write_atomically(const fs::path& path, const std::string& text) {
  // A reader (the report, a plot script) never sees a half-written file.
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw ConfigError(Diagnostic{tmp.string(), "", "cannot write the export file"});
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw ConfigError(Diagnostic{path.string(), "", "cannot write: " + ec.message()});
}

bool known_objective(const std::string& name) {
  return std::any_of(std::begin(kObjectiveNames), std::end(kObjectiveNames),
                     [&](std::string_view o) { return o == name; });
}

}  // namespace

std::vector<std::filesystem::path> export_csv(
    const ResultStore& store, const std::vector<std::string>& knob_names,
    const std::vector<std::pair<std::string, std::string>>& pareto_pairs,
    const std::filesystem::path& dir) {
  // Validate everything first and report every problem at once.
  std::vector<Diagnostic> problems;
  std::vector<std::pair<std::string, std::string>> pairs = {{"latency", "energy"}};
  std::vector<std::string> objectives(std::begin(kObjectiveNames), std::end(kObjectiveNames));
  for (const auto& [a, b] : pareto_pairs) {
    for (const auto& name : {a, b}) {
      if (!known_objective(name)) {
        const auto hint = closest_match(name, objectives);
        problems.push_back(Diagnostic{"", "pareto pair " + a + "/" + b,
                                      "unknown objective '" + name + "'" +
                                          (hint.empty() ? "" : " (did you mean '" + hint + "'?)")});
      }
    }
    if (a == b) {
      problems.push_back(Diagnostic{"", "pareto pair " + a + "/" + b,
                                    "a Pareto front needs two different objectives"});
    }
    if (std::find(pairs.begin(), pairs.end(), std::pair{a, b}) == pairs.end()) {
      pairs.emplace_back(a, b);
    }
  }
  std::set<std::string> seen_knobs;
  for (const auto& k : knob_names) {
    const bool fixed = k == "key" || std::any_of(std::begin(kFixedColumns), std::end(kFixedColumns),
                                                 [&](std::string_view c) { return c == k; });
    if (fixed || !seen_knobs.insert(k).second) {
      problems.push_back(
          Diagnostic{"", "knob " + k, "knob name clashes with another column of points.csv"});
    }
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));

  const std::vector<StoredPoint> points = store.all();
  Table t;
  t.knobs = knob_names;
  std::set<std::string> extra;
  for (const auto& p : points) {
    if (p.eval.status != Status::kOk) continue;
    for (const auto& [name, v] : p.eval.metrics.extra) extra.insert(name);
  }
  t.extra.assign(extra.begin(), extra.end());

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw ConfigError(Diagnostic{dir.string(), "", "cannot create: " + ec.message()});

  std::vector<fs::path> written;
  const std::string head = header(t);
  std::string text = head;
  std::uint64_t n_ok = 0, n_infeasible = 0, n_failed = 0, n_verified = 0;
  for (const auto& p : points) {
    text += row(t, p);
    n_ok += p.eval.status == Status::kOk;
    n_infeasible += p.eval.status == Status::kInfeasible;
    n_failed += p.eval.status == Status::kFailed;
    n_verified += p.verified.has_value();
  }
  write_atomically(dir / "points.csv", text);
  written.push_back(dir / "points.csv");

  nlohmann::json fronts = nlohmann::json::object();
  for (const auto& [a, b] : pairs) {
    std::vector<const StoredPoint*> ok;
    std::vector<std::vector<double>> objs;
    for (const auto& p : points) {
      if (p.eval.status != Status::kOk) continue;
      ok.push_back(&p);
      objs.push_back({objective_value(p.eval.metrics, a), objective_value(p.eval.metrics, b)});
    }
    std::vector<std::size_t> front = non_dominated(objs);
    // Sorted by a (as minimized: best first), ties by b then key so the file is deterministic.
    std::sort(front.begin(), front.end(), [&](std::size_t i, std::size_t j) {
      if (objs[i] != objs[j]) return objs[i] < objs[j];
      return ok[i]->key < ok[j]->key;
    });
    std::string ftext = head;
    for (std::size_t i : front) ftext += row(t, *ok[i]);
    const std::string name = "pareto_" + a + "_" + b + ".csv";
    write_atomically(dir / name, ftext);
    written.push_back(dir / name);
    fronts[a + "_" + b] = {{"file", name}, {"points", front.size()}};
  }

  const StoreMeta& m = store.meta();
  nlohmann::json manifest = {
      {"format_version", 1},
      {"tool_version", m.tool_version},
      {"git_hash", m.git_hash},
      {"spec_hash", m.spec_hash},
      {"spec_yaml", m.spec_yaml},
      {"seed", m.seed},
      {"cost_table", m.cost_table},
      {"knobs", knob_names},
      {"counts",
       {{"points", points.size()},
        {"ok", n_ok},
        {"infeasible", n_infeasible},
        {"failed", n_failed},
        {"verified", n_verified}}},
      {"pareto", fronts},
  };
  write_atomically(dir / "manifest.json", manifest.dump(2) + "\n");
  written.push_back(dir / "manifest.json");
  return written;
}

}  // namespace mpsim::dse
