#include "broadsheet/schema/command_line.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace broadsheet::schema {

namespace {

constexpr std::array<std::string_view, 7> log_levels = {"trace", "debug", "info", "warn", "error", "critical", "off"};

}  // namespace

void validate_log_level(std::string_view level) {
    for (auto known : log_levels) {
        if (level == known) return;
    }
    throw std::invalid_argument("--log-level must be one of trace, debug, info, warn, error, critical, off");
}

void add_log_level_option(CLI::App& app, std::string& level) {
    app.add_option("--log-level", level, "trace, debug, info, warn, error, critical or off")
        ->envname("BROADSHEET_LOG_LEVEL")
        ->capture_default_str();
}

auto parse_command_line(CLI::App& app, int argc, const char* const* argv, const std::function<void()>& validate)
    -> int {
    try {
        app.parse(argc, argv);
        if (validate) validate();
    } catch (const CLI::ParseError& e) {
        return app.exit(e);  // --help: 0; otherwise CLI11's code for the error
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "%s\nRun with --help for more information.\n", e.what());
        return invalid_value_exit_code;
    }
    return -1;
}

void log_to_stderr(const std::string& name, std::string_view level) {
    spdlog::set_default_logger(spdlog::stderr_color_mt(name));
    spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

}  // namespace broadsheet::schema
