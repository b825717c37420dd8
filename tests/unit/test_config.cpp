#include <doctest/doctest.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "broadsheet/server/config.hpp"
#include "test_support.hpp"

using broadsheet::server::parse_config;
using broadsheet::server::ServerConfig;

namespace {

// Every variable the server reads; each test starts with none of them set.
const std::vector<std::string> all_env_names = {
    "BROADSHEET_INDEX",
    "BROADSHEET_CLUSTER",
    "BROADSHEET_HOST",
    "BROADSHEET_PORT",
    "BROADSHEET_THREADS",
    "BROADSHEET_POLL_MS",
    "BROADSHEET_KEEP_ALIVE",
    "BROADSHEET_KEEP_ALIVE_REQUESTS",
    "BROADSHEET_MAX_QUERY_BYTES",
    "BROADSHEET_MAX_PAGE_SIZE",
    "BROADSHEET_MAX_RESULT_WINDOW",
    "BROADSHEET_SNIPPET_LENGTH",
    "BROADSHEET_MAX_SNIPPET_LENGTH",
    "BROADSHEET_MAX_WILDCARD_EXPANSION",
    "BROADSHEET_LOG_LEVEL",
    "BROADSHEET_EXACT_TOTAL_LIMIT",
    "BROADSHEET_DOCUMENT_CACHE_MB",
    "BROADSHEET_RESULT_CACHE_MB",
    "BROADSHEET_MAX_CONCURRENT_SEARCHES",
    "BROADSHEET_SITE_NAME",
};

// Every test starts with none of the variables set.
class ScopedEnv : public broadsheet::testing::ScopedEnv {
public:
    explicit ScopedEnv(const std::map<std::string, std::string>& values = {})
        : broadsheet::testing::ScopedEnv(all_env_names, values) {}
};

struct Parsed {
    ServerConfig config;
    int exit_code = -1;
};

auto parse(std::vector<std::string> args) -> Parsed {
    args.insert(args.begin(), "broadsheet-server");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    Parsed parsed;
    parsed.config = parse_config(static_cast<int>(argv.size()), argv.data(), parsed.exit_code);
    return parsed;
}

auto valid_config() -> ServerConfig {
    ServerConfig config;
    config.index_dir = "/srv/index";
    return config;
}

// Whether validate() throws std::invalid_argument whose message mentions `part`.
auto rejects(const std::function<void(ServerConfig&)>& change, const std::string& part) -> bool {
    auto config = valid_config();
    change(config);
    try {
        config.validate();
    } catch (const std::invalid_argument& e) {
        INFO("message: ", e.what());
        return std::string(e.what()).find(part) != std::string::npos;
    }
    return false;
}

}  // namespace

TEST_CASE("only --index is needed and everything else has its default") {
    ScopedEnv env;
    const auto parsed = parse({"--index", "/srv/index"});
    CHECK(parsed.exit_code == -1);
    const ServerConfig defaults;
    const auto& c = parsed.config;
    CHECK(c.index_dir == "/srv/index");
    CHECK(c.host == "127.0.0.1");
    CHECK(c.port == 8080);
    CHECK(c.threads == defaults.threads);
    CHECK(c.poll_ms == 500);
    CHECK(c.keep_alive_seconds == 5);
    CHECK(c.keep_alive_max_requests == 1000);
    CHECK(c.max_query_bytes == 8192);
    CHECK(c.max_connections == 4096);
    CHECK(c.max_waiting_searches == 64);
    CHECK(c.cors_origins.empty());
    CHECK(c.max_page_size == 100);
    CHECK(c.max_result_window == 10000);
    CHECK(c.snippet_length == 200);
    CHECK(c.max_snippet_length == 1000);
    CHECK(c.max_wildcard_expansion == 100);
    CHECK(c.log_level == "info");
    CHECK_NOTHROW(c.validate());
}

TEST_CASE("every setting can be given as a flag") {
    ScopedEnv env;
    const auto parsed = parse({"--index",
                               "/data/idx",
                               "--host",
                               "0.0.0.0",
                               "--port",
                               "0",
                               "--threads",
                               "8",
                               "--poll-ms",
                               "50",
                               "--keep-alive",
                               "10",
                               "--keep-alive-requests",
                               "20",
                               "--max-query-bytes",
                               "256",
                               "--max-page-size",
                               "50",
                               "--max-result-window",
                               "500",
                               "--snippet-length",
                               "120",
                               "--max-snippet-length",
                               "400",
                               "--max-wildcard-expansion",
                               "7",
                               "--log-level",
                               "debug"});
    REQUIRE(parsed.exit_code == -1);
    const auto& c = parsed.config;
    CHECK(c.index_dir == "/data/idx");
    CHECK(c.host == "0.0.0.0");
    CHECK(c.port == 0);
    CHECK(c.threads == 8);
    CHECK(c.poll_ms == 50);
    CHECK(c.keep_alive_seconds == 10);
    CHECK(c.keep_alive_max_requests == 20);
    CHECK(c.max_query_bytes == 256);
    CHECK(c.max_page_size == 50);
    CHECK(c.max_result_window == 500);
    CHECK(c.snippet_length == 120);
    CHECK(c.max_snippet_length == 400);
    CHECK(c.max_wildcard_expansion == 7);
    CHECK(c.log_level == "debug");
}

TEST_CASE("flags also accept the --name=value form") {
    ScopedEnv env;
    const auto parsed = parse({"--index=/data/idx", "--port=9000"});
    REQUIRE(parsed.exit_code == -1);
    CHECK(parsed.config.index_dir == "/data/idx");
    CHECK(parsed.config.port == 9000);
}

TEST_CASE("every setting can be given as a BROADSHEET_ environment variable") {
    ScopedEnv env({{"BROADSHEET_INDEX", "/env/idx"},
                   {"BROADSHEET_HOST", "::1"},
                   {"BROADSHEET_PORT", "9090"},
                   {"BROADSHEET_THREADS", "4"},
                   {"BROADSHEET_POLL_MS", "250"},
                   {"BROADSHEET_KEEP_ALIVE", "3"},
                   {"BROADSHEET_KEEP_ALIVE_REQUESTS", "30"},
                   {"BROADSHEET_MAX_QUERY_BYTES", "512"},
                   {"BROADSHEET_MAX_PAGE_SIZE", "40"},
                   {"BROADSHEET_MAX_RESULT_WINDOW", "4000"},
                   {"BROADSHEET_SNIPPET_LENGTH", "80"},
                   {"BROADSHEET_MAX_SNIPPET_LENGTH", "300"},
                   {"BROADSHEET_MAX_WILDCARD_EXPANSION", "12"},
                   {"BROADSHEET_LOG_LEVEL", "warn"}});
    const auto parsed = parse({});
    REQUIRE(parsed.exit_code == -1);
    const auto& c = parsed.config;
    CHECK(c.index_dir == "/env/idx");
    CHECK(c.host == "::1");
    CHECK(c.port == 9090);
    CHECK(c.threads == 4);
    CHECK(c.poll_ms == 250);
    CHECK(c.keep_alive_seconds == 3);
    CHECK(c.keep_alive_max_requests == 30);
    CHECK(c.max_query_bytes == 512);
    CHECK(c.max_page_size == 40);
    CHECK(c.max_result_window == 4000);
    CHECK(c.snippet_length == 80);
    CHECK(c.max_snippet_length == 300);
    CHECK(c.max_wildcard_expansion == 12);
    CHECK(c.log_level == "warn");
}

TEST_CASE("flags win over environment variables") {
    ScopedEnv env({{"BROADSHEET_INDEX", "/env/idx"}, {"BROADSHEET_PORT", "9090"}, {"BROADSHEET_THREADS", "4"}});
    const auto parsed = parse({"--index", "/flag/idx", "--port", "7070"});
    REQUIRE(parsed.exit_code == -1);
    CHECK(parsed.config.index_dir == "/flag/idx");
    CHECK(parsed.config.port == 7070);
    CHECK(parsed.config.threads == 4);  // not given as a flag: the environment's
}

TEST_CASE("the exact-total limit is read from flag and environment and must not be negative") {
    {
        ScopedEnv env(std::map<std::string, std::string>{{"BROADSHEET_EXACT_TOTAL_LIMIT", "5000"}});
        CHECK(parse({"--index", "/i"}).config.exact_total_limit == 5000);
        CHECK(parse({"--index", "/i", "--exact-total-limit", "0"}).config.exact_total_limit == 0);
    }
    ScopedEnv env;
    CHECK(parse({"--index", "/i"}).config.exact_total_limit == 1000);
    CHECK(parse({"--index", "/i", "--exact-total-limit", "-1"}).exit_code >= 0);
}

TEST_CASE("concurrent searches default to one per core and must not be negative") {
    ScopedEnv env;
    CHECK(parse({"--index", "/i"}).config.max_concurrent_searches == 0);
    CHECK(parse({"--index", "/i", "--max-concurrent-searches", "4"}).config.max_concurrent_searches == 4);
    CHECK(parse({"--index", "/i", "--max-concurrent-searches", "-1"}).exit_code >= 0);
}

TEST_CASE("the document cache is 64 MB unless a flag or the environment says otherwise, and 0 turns it off") {
    {
        ScopedEnv env(std::map<std::string, std::string>{{"BROADSHEET_DOCUMENT_CACHE_MB", "256"}});
        CHECK(parse({"--index", "/i"}).config.document_cache_mb == 256);
        CHECK(parse({"--index", "/i", "--document-cache-mb", "0"}).config.document_cache_mb == 0);
    }
    ScopedEnv env;
    CHECK(parse({"--index", "/i"}).config.document_cache_mb == 64);
    CHECK(parse({"--index", "/i", "--document-cache-mb", "-1"}).exit_code >= 0);
}

TEST_CASE("the result cache is 32 MB unless a flag or the environment says otherwise, and 0 turns it off") {
    {
        ScopedEnv env(std::map<std::string, std::string>{{"BROADSHEET_RESULT_CACHE_MB", "128"}});
        CHECK(parse({"--index", "/i"}).config.result_cache_mb == 128);
        CHECK(parse({"--index", "/i", "--result-cache-mb", "0"}).config.result_cache_mb == 0);
    }
    ScopedEnv env;
    CHECK(parse({"--index", "/i"}).config.result_cache_mb == 32);
    CHECK(parse({"--index", "/i", "--result-cache-mb", "-1"}).exit_code >= 0);
    CHECK(parse({"--index", "/i", "--result-cache-mb", "2000000"}).exit_code >= 0);
}

TEST_CASE("the site name is Broadsheet unless a flag or the environment names the collection") {
    {
        ScopedEnv env(std::map<std::string, std::string>{{"BROADSHEET_SITE_NAME", "The Daily Archive"}});
        CHECK(parse({"--index", "/i"}).config.site_name == "The Daily Archive");
        CHECK(parse({"--index", "/i", "--site-name", "Reuters 1987"}).config.site_name == "Reuters 1987");
    }
    ScopedEnv env;
    CHECK(parse({"--index", "/i"}).config.site_name == "Broadsheet");
    CHECK(parse({"--index", "/i", "--site-name", ""}).exit_code >= 0);
}

TEST_CASE("--help exits with code 0") {
    ScopedEnv env;
    CHECK(parse({"--help"}).exit_code == 0);
    CHECK(parse({"-h"}).exit_code == 0);
    CHECK(parse({"--index", "/srv/index", "--help"}).exit_code == 0);
}

TEST_CASE("invalid values give an exit code") {
    ScopedEnv env;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--index", "/srv/index", "--port", "70000"},
             {"--index", "/srv/index", "--port", "-1"},
             {"--index", "/srv/index", "--port", "http"},
             {"--index", "/srv/index", "--threads", "0"},
             {"--index", "/srv/index", "--threads", "many"},
             {"--index", "/srv/index", "--poll-ms", "1"},
             {"--index", "/srv/index", "--snippet-length", "5000"},
             {"--index", "/srv/index", "--log-level", "verbose"},
             {"--index", "/srv/index", "--no-such-flag"},
             {"--index", "/srv/index", "stray-argument"},
             {"--port", "8080"},  // no index
             {},
         }) {
        std::string joined;
        for (const auto& a : args) joined += a + " ";
        INFO("args: ", joined);
        const auto code = parse(args).exit_code;
        CHECK(code >= 0);
        CHECK(code != 0);
    }
}

TEST_CASE("an invalid environment variable gives an exit code") {
    ScopedEnv env({{"BROADSHEET_INDEX", "/env/idx"}, {"BROADSHEET_PORT", "70000"}});
    CHECK(parse({}).exit_code > 0);
    // A valid flag overrides the bad variable.
    CHECK(parse({"--port", "8081"}).exit_code == -1);
}

TEST_CASE("validate accepts the defaults with an index and the boundary values") {
    CHECK_NOTHROW(valid_config().validate());
    auto config = valid_config();
    config.port = 0;
    config.threads = 1;
    config.poll_ms = 10;
    config.keep_alive_seconds = 1;
    config.keep_alive_max_requests = 1;
    config.max_query_bytes = 16;
    config.max_page_size = 1;
    config.max_result_window = 1;
    config.snippet_length = 10;
    config.max_snippet_length = 10;
    config.max_wildcard_expansion = 1;
    CHECK_NOTHROW(config.validate());
    config.port = 65535;
    config.threads = 4096;
    CHECK_NOTHROW(config.validate());
    for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
        config.log_level = level;
        CHECK_NOTHROW(config.validate());
    }
}

TEST_CASE("validate rejects each bad setting and names it") {
    CHECK(rejects([](ServerConfig& c) { c.index_dir.clear(); }, "--index"));
    CHECK(rejects([](ServerConfig& c) { c.port = -1; }, "--port"));
    CHECK(rejects([](ServerConfig& c) { c.port = 65536; }, "--port"));
    CHECK(rejects([](ServerConfig& c) { c.threads = 0; }, "--threads"));
    CHECK(rejects([](ServerConfig& c) { c.threads = 4097; }, "--threads"));
    CHECK(rejects([](ServerConfig& c) { c.poll_ms = 9; }, "--poll-ms"));
    CHECK(rejects([](ServerConfig& c) { c.keep_alive_seconds = 0; }, "--keep-alive"));
    CHECK(rejects([](ServerConfig& c) { c.keep_alive_max_requests = 0; }, "--keep-alive-requests"));
    CHECK(rejects([](ServerConfig& c) { c.max_query_bytes = 15; }, "--max-query-bytes"));
    CHECK(rejects([](ServerConfig& c) { c.max_page_size = 0; }, "--max-page-size"));
    CHECK(rejects([](ServerConfig& c) { c.max_result_window = 0; }, "--max-result-window"));
    CHECK(rejects([](ServerConfig& c) { c.max_result_window = -10; }, "--max-result-window"));
    CHECK(rejects([](ServerConfig& c) { c.snippet_length = 9; }, "--snippet-length"));
    CHECK(rejects([](ServerConfig& c) { c.snippet_length = 1001; }, "--snippet-length"));
    CHECK(rejects(
        [](ServerConfig& c) {
            c.max_snippet_length = 100;
            c.snippet_length = 150;
        },
        "--snippet-length"));
    CHECK(rejects([](ServerConfig& c) { c.max_wildcard_expansion = 0; }, "--max-wildcard-expansion"));
    CHECK(rejects([](ServerConfig& c) { c.log_level = "verbose"; }, "--log-level"));
    CHECK(rejects([](ServerConfig& c) { c.log_level = ""; }, "--log-level"));
}

TEST_CASE("--cluster reads the cluster file, from the flag or BROADSHEET_CLUSTER, instead of --index") {
    broadsheet::testing::TempDir dir;
    broadsheet::testing::write_file(dir / "cluster.json",
                                    R"({"front": "front", "shards": [{"name": "shard-00", "replicas": ["n1:7000"]}]})");
    {
        ScopedEnv env;
        const auto parsed = parse({"--cluster", (dir / "cluster.json").string()});
        REQUIRE(parsed.exit_code == -1);
        REQUIRE(parsed.config.cluster.has_value());
        CHECK(parsed.config.cluster->front == dir / "front");
        CHECK(parsed.config.cluster->shards.at(0).replicas.at(0).port == 7000);
    }
    {
        ScopedEnv env({{"BROADSHEET_CLUSTER", (dir / "cluster.json").string()}});
        CHECK(parse({}).config.cluster.has_value());
    }
    ScopedEnv env;
    CHECK(parse({}).exit_code == 2);                                                               // neither
    CHECK(parse({"--cluster", (dir / "cluster.json").string(), "--index", "/i"}).exit_code == 2);  // both
    CHECK(parse({"--cluster", (dir / "missing.json").string()}).exit_code == 2);
    CHECK(rejects([](ServerConfig& c) { c.cluster_file = "c.json"; }, "exactly one of --index"));
}
