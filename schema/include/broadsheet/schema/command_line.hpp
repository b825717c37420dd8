#pragma once
// One way of reading a command line for every Broadsheet binary: CLI11 over
// defaults, each option also readable from a BROADSHEET_* variable (the flag
// wins), --log-level everywhere, and the same exit codes: 0 after --help,
// CLI11's own code for a command line it cannot parse, 2 for a value that
// validate() refuses.

#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace broadsheet::schema {

/// The exit code for a parsed value that validation refuses.
inline constexpr int invalid_value_exit_code = 2;

/// Throws std::invalid_argument naming --log-level unless `level` is a spdlog
/// level (spdlog reads any other name as "off", silencing every line).
void validate_log_level(std::string_view level);

/// Adds --log-level (BROADSHEET_LOG_LEVEL) to `app`, read into `level`.
void add_log_level_option(CLI::App& app, std::string& level);

/// Parses `argv` into the options of `app`, then runs `validate` (which throws
/// std::invalid_argument). Returns -1 to go on, or the exit code after printing
/// the help (stdout) or the problem (stderr).
[[nodiscard]] auto parse_command_line(CLI::App& app, int argc, const char* const* argv,
                                      const std::function<void()>& validate = {}) -> int;

/// Logs to standard error as `name` from `level` up: the tools' logging, which
/// leaves standard output to their results.
void log_to_stderr(const std::string& name, std::string_view level);

}  // namespace broadsheet::schema
