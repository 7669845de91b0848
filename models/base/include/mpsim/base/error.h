// DESCRIPTION: The three kinds of error in mpsim: the user's (ConfigError), ours (MPSIM_CHECK), and
// a design that cannot be built (reported as data by the DSE, not here).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mpsim {

/// One problem in user input: where it is (file:line:column or "<cli>") and what is wrong.
struct Diagnostic {
  std::string where;    ///< "configs/a.yaml:7:11", "<stdin>:3:5", "--format"; empty if unknown
  std::string field;    ///< "arch.pe.type", "--block"; empty if not a field
  std::string message;  ///< what is wrong, with the bad value and what was expected

  /// Formats as "where: field: message" (omitting empty parts).
  std::string str() const;
};

/// The user's fault: bad config, bad input file, unsupported option. Carries every problem found.
/// The CLI prints each diagnostic and exits with status 2; libraries never call exit().
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diags);
  explicit ConfigError(Diagnostic d) : ConfigError(std::vector<Diagnostic>{std::move(d)}) {}
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }

 private:
  std::vector<Diagnostic> diags_;
};

/// Returns the candidate closest to `name` by edit distance (empty if none is reasonably close).
std::string closest_match(std::string_view name, const std::vector<std::string>& candidates);

[[noreturn]] void check_failed(const char* file, int line, const char* cond,
                               const std::string& msg);

}  // namespace mpsim

/// A bug in mpsim (never the user's fault): prints file:line and aborts. Always on.
#define MPSIM_CHECK(cond, msg)                                            \
  do {                                                                    \
    if (!(cond)) ::mpsim::check_failed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
