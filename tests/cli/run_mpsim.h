// DESCRIPTION: Running the `mpsim` binary from CLI tests: stdout, stderr and exit status, plus
// temporary input files. Shared by every tests/cli/*_test.cpp.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace mpsim::test {

struct Result {
  int status = -1;
  std::string out;
  std::string err;
};

/// A temporary file holding `text`, removed at the end of the scope.
struct TempFile {
  std::filesystem::path path;
  TempFile(const std::string& name, const std::string& text)
      : path(std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "_" + name)) {
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove(path); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string str() const { return path.string(); }
};

/// Runs `mpsim <args>` (MPSIM_EXE) with `input` on stdin.
inline Result run(const std::string& args, const std::string& input = "") {
  static std::atomic<int> counter{0};
  const std::string tag = std::to_string(counter++);
  const TempFile in("mpsim_in_" + tag, input);
  const TempFile err("mpsim_err_" + tag, "");
  const std::string cmd =
      std::string(MPSIM_EXE) + " " + args + " < " + in.str() + " 2> " + err.str();
  Result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  for (std::size_t n = 0; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream e(err.path);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

}  // namespace mpsim::test
