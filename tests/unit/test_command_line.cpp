#include <doctest/doctest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "broadsheet/schema/command_line.hpp"

using broadsheet::schema::parse_command_line;
using broadsheet::schema::validate_log_level;

namespace {

auto parse(CLI::App& app, std::vector<std::string> args, const std::function<void()>& validate = {}) -> int {
    args.insert(args.begin(), "tool");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return parse_command_line(app, static_cast<int>(argv.size()), argv.data(), validate);
}

}  // namespace

TEST_CASE("a good command line goes on, validated") {
    CLI::App app;
    int number = 0;
    app.add_option("--number", number);
    bool validated = false;
    CHECK(parse(app, {"--number", "3"}, [&] { validated = true; }) == -1);
    CHECK(number == 3);
    CHECK(validated);
}

TEST_CASE("--help exits 0, a parse error with CLI11's code and a refused value with 2") {
    CLI::App app;
    int number = 0;
    app.add_option("--number", number);
    CHECK(parse(app, {"--help"}) == 0);
    CLI::App bad_type;
    bad_type.add_option("--number", number);
    const int parse_error = parse(bad_type, {"--number", "three"});
    CHECK(parse_error > 0);
    CHECK(parse_error != broadsheet::schema::invalid_value_exit_code);
    CLI::App refused;
    refused.add_option("--number", number);
    CHECK(parse(refused, {"--number", "-1"}, [] { throw std::invalid_argument("--number must be positive"); }) ==
          broadsheet::schema::invalid_value_exit_code);
}

TEST_CASE("--log-level takes spdlog's level names and nothing else") {
    for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"})
        CHECK_NOTHROW(validate_log_level(level));
    for (const char* level : {"", "verbose", "INFO", "warning", "info "})
        CHECK_THROWS_WITH_AS(validate_log_level(level), doctest::Contains("--log-level"), std::invalid_argument);
}

TEST_CASE("--log-level is read from the flag, else from BROADSHEET_LOG_LEVEL") {
    const char* old = std::getenv("BROADSHEET_LOG_LEVEL");
    const std::string saved = old ? old : "";
    ::setenv("BROADSHEET_LOG_LEVEL", "error", 1);
    {
        CLI::App app;
        std::string level = "info";
        broadsheet::schema::add_log_level_option(app, level);
        CHECK(parse(app, {}) == -1);
        CHECK(level == "error");
    }
    {
        CLI::App app;
        std::string level = "info";
        broadsheet::schema::add_log_level_option(app, level);
        CHECK(parse(app, {"--log-level", "debug"}) == -1);
        CHECK(level == "debug");
    }
    if (old) ::setenv("BROADSHEET_LOG_LEVEL", saved.c_str(), 1);
    else ::unsetenv("BROADSHEET_LOG_LEVEL");
}
