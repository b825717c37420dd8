#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broadsheet/indexer/config.hpp"
#include "test_support.hpp"

using broadsheet::indexer::Command;
using broadsheet::indexer::IndexerConfig;
using broadsheet::indexer::parse_config;

namespace {

// Every variable the indexer reads; each test starts with none of them set.
const std::vector<std::string> all_env_names = {
    "BROADSHEET_INDEX",       "BROADSHEET_MAX_RECORD_BYTES", "BROADSHEET_SCHEMA",    "BROADSHEET_JOBS",
    "BROADSHEET_PRUNE_GRACE", "BROADSHEET_COMMIT_EVERY",     "BROADSHEET_LOG_LEVEL", "BROADSHEET_SHARDS",
};

// Every test starts with none of the variables set.
class ScopedEnv : public broadsheet::testing::ScopedEnv {
public:
    explicit ScopedEnv(const std::map<std::string, std::string>& values = {})
        : broadsheet::testing::ScopedEnv(all_env_names, values) {}
};

struct Parsed {
    IndexerConfig config;
    int exit_code = -1;
};

auto parse(std::vector<std::string> args) -> Parsed {
    args.insert(args.begin(), "broadsheet-indexer");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    Parsed parsed;
    parsed.config = parse_config(static_cast<int>(argv.size()), argv.data(), parsed.exit_code);
    return parsed;
}

}  // namespace

TEST_CASE("build needs only --index and --input and has the defaults otherwise") {
    ScopedEnv env;
    const auto parsed = parse({"build", "--index", "/srv/index", "--input", "a.jsonl", "--input", "texts/"});
    REQUIRE(parsed.exit_code == -1);
    const auto& c = parsed.config;
    const broadsheet::indexer::BuildOptions defaults;
    CHECK(c.command == Command::build);
    CHECK(c.options.index_root == "/srv/index");
    CHECK(c.options.inputs == std::vector<std::string>{"a.jsonl", "texts/"});
    CHECK(c.schema_path.empty());
    CHECK(c.log_level == "info");
    CHECK(c.options.spelling);
    CHECK_FALSE(c.options.skip_bad);
    CHECK_FALSE(c.options.allow_empty);
    CHECK(c.options.source.id_from_file_name);
    CHECK(c.options.source.max_record_bytes == defaults.source.max_record_bytes);
    CHECK(c.options.jobs == 0);
    CHECK(c.options.shards == 1);
    CHECK(c.options.prune_grace == std::chrono::seconds(300));
    CHECK_FALSE(c.options.progress);
    CHECK_FALSE(c.options.schema.has_value());
}

TEST_CASE("every build setting can be given as a flag") {
    ScopedEnv env;
    const auto parsed = parse({"--log-level",
                               "debug",
                               "build",
                               "--index",
                               "/i",
                               "--input",
                               "-",
                               "--skip-bad",
                               "--max-record-bytes",
                               "4096",
                               "--no-spelling",
                               "--ids-from-paths",
                               "--schema",
                               "s.json",
                               "--jobs",
                               "3",
                               "--shards",
                               "4",
                               "--allow-empty",
                               "--prune-grace",
                               "0"});
    REQUIRE(parsed.exit_code == -1);
    const auto& c = parsed.config;
    CHECK(c.log_level == "debug");
    CHECK(c.options.skip_bad);
    CHECK(c.options.source.max_record_bytes == 4096);
    CHECK_FALSE(c.options.spelling);
    CHECK_FALSE(c.options.source.id_from_file_name);
    CHECK(c.schema_path == "s.json");
    CHECK(c.options.jobs == 3);
    CHECK(c.options.shards == 4);
    CHECK(c.options.allow_empty);
    CHECK(c.options.prune_grace == std::chrono::seconds(0));
}

TEST_CASE("--log-level is read before or after the command") {
    ScopedEnv env;
    CHECK(parse({"build", "--index", "/i", "--input", "-", "--log-level", "warn"}).config.log_level == "warn");
    CHECK(parse({"--log-level", "error", "delete", "--index", "/i", "x"}).config.log_level == "error");
}

TEST_CASE("add reads its batch size and delete its ids") {
    ScopedEnv env;
    const auto add = parse({"add", "--index", "/i", "--input", "new.jsonl", "--commit-every", "50"});
    REQUIRE(add.exit_code == -1);
    CHECK(add.config.command == Command::add);
    CHECK(add.config.options.commit_every == 50);
    CHECK(add.config.options.inputs == std::vector<std::string>{"new.jsonl"});

    const auto remove = parse({"delete", "--index", "/i", "one", "two"});
    REQUIRE(remove.exit_code == -1);
    CHECK(remove.config.command == Command::remove);
    CHECK(remove.config.options.index_root == "/i");
    CHECK(remove.config.ids == std::vector<std::string>{"one", "two"});
}

TEST_CASE("every setting with a variable can be given as a BROADSHEET_ environment variable") {
    ScopedEnv env({{"BROADSHEET_INDEX", "/env/idx"},
                   {"BROADSHEET_MAX_RECORD_BYTES", "1234"},
                   {"BROADSHEET_SCHEMA", "env.json"},
                   {"BROADSHEET_JOBS", "2"},
                   {"BROADSHEET_SHARDS", "3"},
                   {"BROADSHEET_PRUNE_GRACE", "60"},
                   {"BROADSHEET_COMMIT_EVERY", "7"},
                   {"BROADSHEET_LOG_LEVEL", "warn"}});
    const auto build = parse({"build", "--input", "-"});
    REQUIRE(build.exit_code == -1);
    CHECK(build.config.options.index_root == "/env/idx");
    CHECK(build.config.options.source.max_record_bytes == 1234);
    CHECK(build.config.schema_path == "env.json");
    CHECK(build.config.options.jobs == 2);
    CHECK(build.config.options.shards == 3);
    CHECK(build.config.options.prune_grace == std::chrono::seconds(60));
    CHECK(build.config.log_level == "warn");
    const auto add = parse({"add", "--input", "-"});
    REQUIRE(add.exit_code == -1);
    CHECK(add.config.options.commit_every == 7);
    CHECK(parse({"delete", "x"}).config.options.index_root == "/env/idx");
}

TEST_CASE("flags win over environment variables") {
    ScopedEnv env({{"BROADSHEET_INDEX", "/env/idx"}, {"BROADSHEET_JOBS", "2"}, {"BROADSHEET_LOG_LEVEL", "warn"}});
    const auto parsed = parse({"--log-level", "debug", "build", "--index", "/flag/idx", "--input", "-"});
    REQUIRE(parsed.exit_code == -1);
    CHECK(parsed.config.options.index_root == "/flag/idx");
    CHECK(parsed.config.log_level == "debug");
    CHECK(parsed.config.options.jobs == 2);  // not given as a flag: the environment's
}

TEST_CASE("a flag of one command wins over a variable that another command also reads") {
    ScopedEnv env({{"BROADSHEET_INDEX", "/env/idx"}, {"BROADSHEET_MAX_RECORD_BYTES", "100"}});
    for (const char* command : {"build", "add"}) {
        INFO("command: ", command);
        const auto parsed = parse({command, "--index", "/flag/idx", "--input", "-", "--max-record-bytes", "200"});
        REQUIRE(parsed.exit_code == -1);
        CHECK(parsed.config.options.index_root == "/flag/idx");
        CHECK(parsed.config.options.source.max_record_bytes == 200);
    }
    CHECK(parse({"delete", "--index", "/flag/idx", "x"}).config.options.index_root == "/flag/idx");
}

TEST_CASE("--help exits with code 0") {
    ScopedEnv env;
    CHECK(parse({"--help"}).exit_code == 0);
    CHECK(parse({"build", "--help"}).exit_code == 0);
    CHECK(parse({"delete", "--help"}).exit_code == 0);
}

TEST_CASE("a bad command line gives a non-zero exit code") {
    ScopedEnv env;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {},
             {"rebuild", "--index", "/i", "--input", "-"},
             {"build", "--input", "-"},    // no index
             {"build", "--index", "/i"},   // no input
             {"delete", "--index", "/i"},  // no ids
             {"build", "--index", "/i", "--input", "-", "--jobs", "65"},
             {"build", "--index", "/i", "--input", "-", "--jobs", "many"},
             {"build", "--index", "/i", "--input", "-", "--shards", "0"},
             {"build", "--index", "/i", "--input", "-", "--shards", "1001"},
             {"add", "--index", "/i", "--input", "-", "--shards", "2"},  // build only
             {"build", "--index", "/i", "--input", "-", "--prune-grace", "-1"},
             {"build", "--index", "/i", "--input", "-", "--max-record-bytes", "0"},
             {"add", "--index", "/i", "--input", "-", "--commit-every", "0"},
             {"build", "--index", "/i", "--input", "-", "--commit-every", "5"},  // add only
             {"build", "--index", "/i", "--input", "-", "--log-level", "verbose"},
             {"build", "--index", "/i", "--input", "-", "--no-such-flag"},
         }) {
        std::string joined;
        for (const auto& a : args) joined += a + " ";
        INFO("args: ", joined);
        const auto code = parse(args).exit_code;
        CHECK(code > 0);
    }
}

TEST_CASE("validate names what is missing or wrong") {
    IndexerConfig config;
    config.options.index_root = "/i";
    config.options.inputs = {"-"};
    CHECK_NOTHROW(config.validate());
    config.log_level = "loud";
    CHECK_THROWS_WITH_AS(config.validate(), doctest::Contains("--log-level"), std::invalid_argument);
    config.log_level = "off";
    config.options.inputs.clear();
    CHECK_THROWS_WITH_AS(config.validate(), doctest::Contains("--input"), std::invalid_argument);
    config.command = Command::remove;
    CHECK_THROWS_WITH_AS(config.validate(), doctest::Contains("id"), std::invalid_argument);
    config.ids = {"x"};
    CHECK_NOTHROW(config.validate());
    config.options.index_root.clear();
    CHECK_THROWS_WITH_AS(config.validate(), doctest::Contains("--index"), std::invalid_argument);
}
