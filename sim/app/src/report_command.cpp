// DESCRIPTION: `mpsim report`: checks the study directory in-process, then runs the plotting
// script in a python3 child process and relays its output.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/app/report_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <vector>

#include "mpsim/base/error.h"

extern char** environ;

namespace mpsim::app {

namespace fs = std::filesystem;

CLI::App* add_report_command(CLI::App& app, ReportArgs& a) {
  CLI::App* c = app.add_subcommand(
      "report", "Pareto plots and a self-contained HTML report of a DSE study directory");
  c->add_option("dir", a.dir, "study directory (points.csv, pareto_*.csv, manifest.json)")
      ->required();
  c->add_option("--out", a.out, "output directory (default: DIR)");
  c->add_option("--max-layer-plots", a.max_layer_plots,
                "at most this many per-layer plots (points with layers/<key>.csv)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return c;
}

namespace {

/// Where the script is, or "" with `tried` listing the places looked at.
fs::path find_script(std::vector<std::string>& tried) {
  if (const char* env = std::getenv("MPSIM_REPORT_SCRIPT"); env && *env) {
    tried.push_back(fmt::format("{} (MPSIM_REPORT_SCRIPT)", env));
    return fs::is_regular_file(env) ? fs::path(env) : fs::path();
  }
  std::vector<fs::path> candidates;
#ifdef MPSIM_REPORT_SCRIPT_PATH
  candidates.emplace_back(MPSIM_REPORT_SCRIPT_PATH);  // the source tree this build came from
#endif
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // An installed mpsim (bin/mpsim) finds its data in share/.
    candidates.push_back(self.parent_path() / ".." / "share" / "mpsim" / "mpsim_report.py");
    candidates.push_back(self.parent_path() / ".." / "share" / "mpsim_report.py");
  }
  for (const auto& p : candidates) {
    tried.push_back(p.string());
    if (fs::is_regular_file(p, ec)) return p.lexically_normal();
  }
  return {};
}

/// Runs `args` with stdout and stderr on pipes, relaying them to `out`/`err` as they arrive
/// (a slow report still shows progress; neither pipe can fill up and block the child). Returns
/// the exit status, 128+signal, or -1 with `spawn_error` set when it could not start.
int spawn_relay(const std::vector<std::string>& args, bool search_path, std::ostream& out,
                std::ostream& err, int& spawn_error) {
  std::array<int, 2> po{-1, -1}, pe{-1, -1};
  if (::pipe2(po.data(), O_CLOEXEC) != 0 || ::pipe2(pe.data(), O_CLOEXEC) != 0) {
    spawn_error = errno;
    for (int fd : {po[0], po[1], pe[0], pe[1]})
      if (fd >= 0) ::close(fd);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  // dup2 onto 1 and 2 clears O_CLOEXEC there; the originals close on exec.
  posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
  std::vector<char*> argv;
  for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = search_path ? posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ)
                             : posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(po[1]);
  ::close(pe[1]);
  if (rc != 0) {
    spawn_error = rc;
    ::close(po[0]);
    ::close(pe[0]);
    return -1;
  }
  std::array<pollfd, 2> fds{pollfd{po[0], POLLIN, 0}, pollfd{pe[0], POLLIN, 0}};
  std::array<std::ostream*, 2> sinks{&out, &err};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->write(buf, n);
        sinks[i]->flush();
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_fds;
      }
    }
  }
  for (const auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      spawn_error = errno;
      return -1;
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/// Checks what can be checked without the script: every problem at once.
std::vector<Diagnostic> check_dirs(const ReportArgs& a) {
  std::vector<Diagnostic> diags;
  std::error_code ec;
  const fs::path dir = a.dir;
  if (!fs::exists(dir, ec)) {
    diags.push_back({dir.string(), "", "no such study directory"});
  } else if (!fs::is_directory(dir, ec)) {
    diags.push_back({dir.string(), "", "not a directory (expected a DSE study directory)"});
  } else {
    const fs::path points = dir / "points.csv";
    if (!fs::exists(points, ec)) {
      diags.push_back({points.string(), "",
                       "no such file (a study directory holds the points.csv, pareto_*.csv and "
                       "manifest.json that `mpsim dse` exports)"});
    } else if (fs::is_directory(points, ec) || !std::ifstream(points).good()) {
      diags.push_back({points.string(), "", "cannot be read"});
    }
  }
  if (!a.out.empty() && diags.empty()) {  // no directory is left behind by a failed command
    fs::create_directories(a.out, ec);
    if (ec) diags.push_back({a.out, "--out", "cannot create the directory: " + ec.message()});
  }
  return diags;
}

}  // namespace

int run_report(const ReportArgs& a, std::ostream& out, std::ostream& err) {
  if (auto diags = check_dirs(a); !diags.empty()) {
    for (const auto& d : diags) err << "error: " << d.str() << "\n";
    err << fmt::format("{} error{}; no report was written.\n", diags.size(),
                       diags.size() == 1 ? "" : "s");
    return 2;
  }
  std::vector<std::string> tried;
  const fs::path script = find_script(tried);
  if (script.empty()) {
    err << "error: the report script mpsim_report.py was not found; looked at:\n";
    for (const auto& t : tried) err << "  " << t << "\n";
    return 1;
  }
  // Debian's matplotlib is importable only from the system interpreter: a pyenv or venv
  // python3 earlier on PATH would not have it.
  constexpr const char* kSystemPython = "/usr/bin/python3";
  const bool system_python = ::access(kSystemPython, X_OK) == 0;
  std::vector<std::string> cmd{system_python ? kSystemPython : "python3", script.string(), a.dir,
                               "--max-layer-plots", std::to_string(a.max_layer_plots)};
  if (!a.out.empty()) {
    cmd.push_back("--out");
    cmd.push_back(a.out);
  }
  int spawn_error = 0;
  const int rc = spawn_relay(cmd, !system_python, out, err, spawn_error);
  if (rc < 0) {
    err << fmt::format(
        "error: cannot run {}: {} (mpsim report needs python3 with matplotlib: "
        "sudo apt-get install python3-matplotlib)\n",
        cmd[0], std::strerror(spawn_error));
    return 1;
  }
  if (rc == 0 || rc == 2) return rc;  // 2: the script has named the bad study files
  if (rc != 3) {                      // 3: matplotlib missing, already explained by the script
    err << fmt::format("error: the report script {} failed (status {})\n", script.string(), rc);
  }
  return 1;
}

}  // namespace mpsim::app
