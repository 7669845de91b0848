// DESCRIPTION: The `mpsim report` contract run as a process on the hand-written study in
// tests/data/dse/study: every plot and the HTML written, valid PNG/SVG, an offline HTML that
// embeds every plot, the fronts worked out by hand, byte-identical reruns, and clear errors.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "run_mpsim.h"

namespace mpsim::test {
namespace {

namespace fs = std::filesystem;
const std::string kSrc = MPSIM_SOURCE_DIR;
const fs::path kStudy = fs::path(kSrc) / "tests/data/dse/study";

// Keys of the fixture's points (points.csv), named as in the table below.
const std::string p04 = "bdba12dce4239978", p05 = "3dfcc88b3c587346", p06 = "6d34bd8be78a80ee",
                  p07 = "0c5704569b267342", p08 = "4272f5332b6fffe6", p09 = "5ef859861c3300e2",
                  p10 = "af205137b88e3eab", p12 = "ea299ec2b3116232", p13 = "f3af4375c5e5903e",
                  p14 = "c51ed258b7853da7", p15 = "40c0580dab6357f7", p17 = "cf86b316a3ca766a";
const std::vector<std::string> kRejected = {"034e74afe1a8a191", "96b644a9dbcbf5ad",
                                            "12a5e5666230ec86", "201d21cf48d559f7"};

// The fronts, worked out by hand from the 17 ok points (latency ms, energy mJ, area mm2, dB):
//   p01 4.0 20 1.2 40   p02 2.0 24 2.0 40   p03 1.0 32 4.5 40   p04 3.0 12 1.1 30
//   p05 1.5 16 1.9 30   p06 2.5  8 1.5 35   p07 1.2 10 2.6 35   p08 0.6 18 5.0 35
//   p09 1.8 22 2.8 44   p10 8.0  4 0.6 31   p11 4.5  5 1.0 31   p12 2.2  7 1.8 31
//   p13 3.5  3 0.9 22   p14 5.0 11 1.9 42   p15 0.8 20 4.2 30   p16 0.9 29 5.2 44
//   p17 2.2  7 2.0 29
// latency/energy, by latency: p08 (fastest); p15, p16, p03 use more energy than p08; p07 (10);
// p05, p09, p02 more than p07; p12 (7) and p17 (equal to p12 in both: both kept, ties in key
// order); p06, p04, p01 more than p12; p13 (3); p11, p14, p10 more than p13.
const std::vector<std::string> kFrontLE = {p08, p07, p17, p12, p13};
// latency/area: p08 5.0, p15 4.2, p07 2.6, p05 1.9, p12 1.8 (p17: same latency, larger area: out),
// p06 1.5, p04 1.1, p13 0.9, p10 0.6; the others are beaten by an earlier one.
const std::vector<std::string> kFrontLA = {p08, p15, p07, p05, p12, p06, p04, p13, p10};
// energy (min) / accuracy (max), by energy: p13 22, p10 31 (p11, p12, p17 no better), p06 35
// (p07 no better), p14 42, p09 44 (p16: same accuracy, more energy: out).
const std::vector<std::string> kFrontEA = {p13, p10, p06, p14, p09};

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

fs::path out_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / (std::to_string(::getpid()) + "_report_" + name);
  fs::remove_all(d);
  return d;
}

std::vector<std::string> expected_files() {
  std::vector<std::string> f;
  for (const char* pair : {"latency_energy", "latency_area", "energy_accuracy"}) {
    f.push_back(std::string("pareto_") + pair + ".png");
    f.push_back(std::string("pareto_") + pair + ".svg");
  }
  for (const auto& k : {p08, p13}) {
    f.push_back("layers_" + k + ".png");
    f.push_back("layers_" + k + ".svg");
  }
  f.push_back("report.html");
  return f;
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = (unsigned char)in[i] << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

/// Runs a shell command; returns its status and stdout+stderr.
Result shell(const std::string& cmd) {
  Result r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  for (std::size_t n = 0; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

/// Keys of the rows `<tr class="CLS" [data-pair="PAIR"] data-key="K">` of the HTML, in order.
/// (Plain searching: std::regex recurses per character and overflows on the inlined images.)
std::vector<std::string> table_keys(const std::string& html, const std::string& cls,
                                    const std::string& pair = "") {
  const std::string pair_attr = pair.empty() ? "" : " data-pair=\"" + pair + "\"";
  const std::string open = "<tr class=\"" + cls + "\"" + pair_attr + " data-key=\"";
  std::vector<std::string> keys;
  for (auto at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const auto begin = at + open.size(), end = html.find('"', begin);
    if (html.compare(end, 2, "\">") == 0) keys.push_back(html.substr(begin, end - begin));
  }
  return keys;
}

/// Values of every `NAME="..."` attribute in the HTML.
std::vector<std::string> attributes(const std::string& html, const std::string& name) {
  std::vector<std::string> values;
  const std::string open = " " + name + "=\"";
  for (auto at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const auto begin = at + open.size();
    values.push_back(html.substr(begin, html.find('"', begin) - begin));
  }
  return values;
}

/// Keys listed in one of the study's pareto_<a>_<b>.csv files (the export's own front).
std::vector<std::string> csv_keys(const fs::path& p) {
  std::ifstream f(p);
  std::string line;
  std::getline(f, line);  // header
  std::vector<std::string> keys;
  while (std::getline(f, line))
    if (!line.empty()) keys.push_back(line.substr(0, line.find(',')));
  return keys;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

/// One report of the fixture, made once and shared (each run takes seconds).
class CliReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(out_dir("main"));
    result_ = new Result(run("report " + kStudy.string() + " --out " + dir_->string()));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete result_;
  }
  static fs::path* dir_;
  static Result* result_;
};
fs::path* CliReport::dir_ = nullptr;
Result* CliReport::result_ = nullptr;

TEST_F(CliReport, WritesEveryFileNonEmptyAndListsIt) {
  ASSERT_EQ(result_->status, 0) << result_->err << result_->out;
  EXPECT_EQ(result_->err, "");  // the fixture's pareto csvs agree with the computed fronts
  for (const auto& name : expected_files()) {
    const fs::path p = *dir_ / name;
    ASSERT_TRUE(fs::exists(p)) << p;
    EXPECT_GT(fs::file_size(p), 1000u) << p;
    EXPECT_NE(result_->out.find("wrote " + p.string() + "\n"), std::string::npos) << result_->out;
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(*dir_), fs::directory_iterator()),
            static_cast<long>(expected_files().size()));
}

TEST_F(CliReport, PngsHaveTheSignatureAndSvgsParseAsXml) {
  ASSERT_EQ(result_->status, 0) << result_->err;
  const std::string png_sig("\x89PNG\r\n\x1a\n", 8);
  for (const auto& name : expected_files()) {
    const fs::path p = *dir_ / name;
    if (p.extension() == ".png") {
      EXPECT_EQ(read(p).substr(0, 8), png_sig) << p;
    } else if (p.extension() == ".svg") {
      // A real XML parser (expat, from Python's standard library), not a string check.
      const Result x = shell(
          "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; "
          "print(E.parse(sys.argv[1]).getroot().tag)' " +
          p.string());
      EXPECT_EQ(x.status, 0) << p << ": " << x.out;
      EXPECT_EQ(x.out, "{http://www.w3.org/2000/svg}svg\n") << p;
    }
  }
}

TEST_F(CliReport, ParetoPlotsHaveOneLegendEntryPerFamilyUnitsAndTheOmittedCount) {
  ASSERT_EQ(result_->status, 0) << result_->err;
  struct Plot {
    const char* file;
    const char* x;
    const char* y;
  };
  for (const Plot& pl : {Plot{"pareto_latency_energy.svg", "latency (s)", "energy (J)"},
                         Plot{"pareto_latency_area.svg", "latency (s)", "area (mm²)"},
                         Plot{"pareto_energy_accuracy.svg", "energy (J)", "accuracy (dB SQNR)"}}) {
    const std::string svg = read(*dir_ / pl.file);
    // Text stays <text> (svg.fonttype none), so labels can be read back.
    for (const char* fam : {"bitserial", "block_fp", "int8_mac"})
      EXPECT_EQ(count(svg, std::string(">") + fam + "<"), 1u) << pl.file << " " << fam;
    EXPECT_EQ(count(svg, std::string(">") + pl.x + "<"), 1u) << pl.file;
    EXPECT_EQ(count(svg, std::string(">") + pl.y + "<"), 1u) << pl.file;
    EXPECT_NE(svg.find("17 points, 3 infeasible and 1 failed omitted"), std::string::npos)
        << pl.file;
    EXPECT_EQ(svg.find("<dc:date>"), std::string::npos) << pl.file;  // no timestamp
  }
  // Latency spans 0.6-8 ms and energy 3-32 mJ (> 10x: log); area 0.6-5.2 mm2 and accuracy
  // 22-44 dB do not.
  const std::string html = read(*dir_ / "report.html");
  EXPECT_NE(html.find("Axes: log latency, log energy."), std::string::npos);
  EXPECT_NE(html.find("Axes: log latency, linear area."), std::string::npos);
  EXPECT_NE(html.find("Axes: log energy, linear accuracy."), std::string::npos);
}

TEST_F(CliReport, HtmlIsSelfContainedAndEmbedsEveryPlot) {
  ASSERT_EQ(result_->status, 0) << result_->err;
  const std::string html = read(*dir_ / "report.html");
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  int images = 0;
  for (const auto& v : attributes(html, "src")) {
    EXPECT_EQ(v.rfind("data:image/png;base64,", 0), 0u) << v.substr(0, 80);
    ++images;
  }
  EXPECT_EQ(attributes(html, "href").size(), 0u);
  EXPECT_EQ(images, 5);  // 3 Pareto plots + 2 per-layer plots
  for (const auto& name : expected_files()) {
    if (fs::path(name).extension() != ".png") continue;
    // The very bytes written to the PNG file, not just some image.
    EXPECT_NE(html.find("base64," + base64(read(*dir_ / name)) + "\""), std::string::npos) << name;
  }
}

TEST_F(CliReport, FrontTablesListExactlyTheHandWorkedFronts) {
  ASSERT_EQ(result_->status, 0) << result_->err;
  const std::string html = read(*dir_ / "report.html");
  EXPECT_EQ(table_keys(html, "front", "latency_energy"), kFrontLE);
  EXPECT_EQ(table_keys(html, "front", "latency_area"), kFrontLA);
  EXPECT_EQ(table_keys(html, "front", "energy_accuracy"), kFrontEA);
  EXPECT_EQ(table_keys(html, "front").size(), 0u);  // every front row names its pair
  // The export's files hold the same sets (the fixture is consistent with itself).
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(csv_keys(kStudy / "pareto_latency_energy.csv")), sorted(kFrontLE));
  EXPECT_EQ(sorted(csv_keys(kStudy / "pareto_latency_area.csv")), sorted(kFrontLA));
  EXPECT_EQ(sorted(csv_keys(kStudy / "pareto_energy_accuracy.csv")), sorted(kFrontEA));
}

TEST_F(CliReport, ListsRejectedPointsWithEscapedReasonsAndTheStudySummary) {
  ASSERT_EQ(result_->status, 0) << result_->err;
  const std::string html = read(*dir_ / "report.html");
  EXPECT_EQ(table_keys(html, "rejected"), kRejected);
  // One infeasible row carries zero metrics (as if from an older export): still no front point.
  EXPECT_NE(html.find("<td>area 9.1 mm2 &gt; constraint area &lt;= 8 mm2</td>"), std::string::npos);
  EXPECT_NE(html.find("needs 24 KiB, has 16 KiB (&quot;weight&quot; buffer)"), std::string::npos);
  EXPECT_NE(html.find("worker exited with signal 9"), std::string::npos);
  for (const char* s :
       {"<td>0.1.0</td>", "<td>1c51238deadbeef</td>", "<th>seed</th><td>7</td>",
        "<td>cost-2024.1</td>", "name: report-fixture", "21 points: 17 ok, 3 infeasible, 1 failed"})
    EXPECT_NE(html.find(s), std::string::npos) << s;
  // Every front row shows the knobs and metrics (p08: block_fp, 64 rows, mxfp4, 0.6 ms, 18 mJ).
  EXPECT_NE(html.find("data-key=\"" + p08 +
                      "\"><td>4272f5332b6fffe6</td><td>block_fp</td><td>64</td><td>mxfp4</td>"
                      "<td class=\"num\">0.0006</td><td class=\"num\">0.018</td>"
                      "<td class=\"num\">5</td><td class=\"num\">35</td>"
                      "<td class=\"num\">0.00061</td><td class=\"num\">0.0183</td>"),
            std::string::npos);
}

TEST(CliReportFront, SweepEqualsBruteForceOnRandomSetsWithTies) {
  // The script's O(n log n) sweep against the definition (no other point is <= in both and
  // different), on seeded random sets whose small value ranges force ties.
  const TempFile check("report_front_check.py", R"(
import importlib.util, random, sys
spec = importlib.util.spec_from_file_location("report", sys.argv[1])
report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(report)  # defines functions only; matplotlib is imported later
rng = random.Random(1)
def brute(items):
    return [i for i, p in enumerate(items)
            if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in items)]
for n in list(range(0, 8)) * 50 + [rng.randrange(8, 60) for _ in range(400)]:
    k = rng.choice([2, 3, 5, 100])
    items = [(rng.randrange(k), rng.randrange(k)) for _ in range(n)]
    if report.non_dominated(items) != brute(items):
        print("mismatch", items, report.non_dominated(items), brute(items))
        sys.exit(1)
print("800 sets agree")
)");
  const Result r =
      shell("/usr/bin/python3 " + check.str() + " " + kSrc + "/scripts/mpsim_report.py");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "800 sets agree\n");
}

TEST(CliReportRerun, TwoRunsGiveByteIdenticalFiles) {
  const auto a = out_dir("rerun_a"), b = out_dir("rerun_b");
  ASSERT_EQ(run("report " + kStudy.string() + " --out " + a.string()).status, 0);
  ASSERT_EQ(run("report " + kStudy.string() + " --out " + b.string()).status, 0);
  for (const auto& name : expected_files()) {
    const std::string x = read(a / name), y = read(b / name);
    EXPECT_FALSE(x.empty()) << name;
    EXPECT_TRUE(x == y) << name << " differs between two runs";
  }
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(CliReportDefaults, WritesIntoTheStudyDirAndCapsLayerPlots) {
  const auto dir = out_dir("inplace");
  fs::copy(kStudy, dir, fs::copy_options::recursive);
  const Result r = run("report " + dir.string() + " --max-layer-plots 1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "report.html"));
  EXPECT_TRUE(fs::exists(dir / "pareto_latency_energy.svg"));
  // Layer plots in points.csv order: p08 comes before p13.
  EXPECT_TRUE(fs::exists(dir / ("layers_" + p08 + ".png")));
  EXPECT_FALSE(fs::exists(dir / ("layers_" + p13 + ".png")));
  EXPECT_FALSE(fs::exists(dir / ("layers_" + p13 + ".svg")));
  EXPECT_NE(read(dir / "report.html").find("Per-layer breakdown (1 of 2 points"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(CliReportErrors, MissingPointsCsvExits2NamingTheFile) {
  const auto dir = out_dir("nopoints");
  fs::create_directories(dir);
  fs::copy_file(kStudy / "manifest.json", dir / "manifest.json");
  const Result r = run("report " + dir.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("error: " + (dir / "points.csv").string() + ": no such file"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir / "report.html"));
  const Result none = run("report " + (dir / "absent").string());
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find((dir / "absent").string() + ": no such study directory"),
            std::string::npos)
      << none.err;
  fs::remove_all(dir);
}

TEST(CliReportErrors, BadPointsCsvListsEveryProblemWithFileAndLine) {
  const auto dir = out_dir("badpoints");
  fs::create_directories(dir);
  std::ofstream(dir / "points.csv")
      << "key,arch.pe.type,status,reason,latency_s,energy_j,area_mm2,accuracy_sqnr_db\n"
         "a1,int8_mac,ok,,fast,0.01,1.0,30\n"
         "a2,int8_mac,maybe,,0.001,0.01,1.0,30\n"
         "a3,int8_mac,ok,,0.001,,1.0,30\n";
  const Result r = run("report " + dir.string());
  EXPECT_EQ(r.status, 2);
  const std::string f = (dir / "points.csv").string();
  for (const std::string& s :
       {f + ":2: column latency_s: 'fast' is not a finite number",
        f + ":3: status 'maybe' is not one of ok | infeasible | failed",
        f + ":4: column energy_j is empty for an ok point", std::string("3 errors")})
    EXPECT_NE(r.err.find(s), std::string::npos) << s << "\n" << r.err;
  EXPECT_FALSE(fs::exists(dir / "report.html"));

  std::ofstream(dir / "points.csv") << "key,status,reason,latency_s,energy_j\n";
  const Result h = run("report " + dir.string());
  EXPECT_EQ(h.status, 2);
  EXPECT_NE(h.err.find(f + ":1: missing columns area_mm2, accuracy_sqnr_db"), std::string::npos)
      << h.err;
  fs::remove_all(dir);
}

TEST(CliReportErrors, MissingMatplotlibNamesTheDebianPackage) {
  // The real script, run as if python3-matplotlib were not installed.
  const TempFile wrapper("report_no_mpl.py",
                         "import runpy, sys\n"
                         "sys.modules['matplotlib'] = None  # makes `import matplotlib` fail\n"
                         "runpy.run_path('" +
                             kSrc + "/scripts/mpsim_report.py', run_name='__main__')\n");
  const auto dir = out_dir("nompl");
  ::setenv("MPSIM_REPORT_SCRIPT", wrapper.str().c_str(), 1);
  const Result r = run("report " + kStudy.string() + " --out " + dir.string());
  ::unsetenv("MPSIM_REPORT_SCRIPT");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("needs matplotlib"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("apt-get install python3-matplotlib"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "report.html"));

  ::setenv("MPSIM_REPORT_SCRIPT", "/nonexistent/mpsim_report.py", 1);
  const Result m = run("report " + kStudy.string() + " --out " + dir.string());
  ::unsetenv("MPSIM_REPORT_SCRIPT");
  EXPECT_EQ(m.status, 1);
  EXPECT_NE(m.err.find("/nonexistent/mpsim_report.py (MPSIM_REPORT_SCRIPT)"), std::string::npos)
      << m.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mpsim::test
