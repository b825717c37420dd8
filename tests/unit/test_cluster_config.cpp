#include <doctest/doctest.h>

#include <stdexcept>

#include "broadsheet/server/cluster_config.hpp"

using broadsheet::server::ClusterConfig;

namespace {

// The message of the std::invalid_argument parsing `text` throws, or "" when it parses.
auto problem(const std::string& text) -> std::string {
    try {
        (void)ClusterConfig::parse(text, "/etc/broadsheet/cluster.json");
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

}  // namespace

TEST_CASE("a cluster file names the front, the shards in order and their replicas") {
    const auto config = ClusterConfig::parse(R"({
        "front": "replicas/front",
        "shards": [{"name": "shard-00", "replicas": ["10.0.0.1:7000", "node-b:7001"]},
                   {"name": "shard-01", "replicas": ["[::1]:7002"]}],
        "timeout_ms": 1500, "connect_timeout_ms": 250, "retry_ms": 0})",
                                             "/etc/broadsheet/cluster.json");
    CHECK(config.front == "/etc/broadsheet/replicas/front");
    REQUIRE(config.shards.size() == 2);
    CHECK(config.shards[0].name == "shard-00");
    CHECK(config.shards[0].replicas[1].host == "node-b");
    CHECK(config.shards[0].replicas[1].port == 7001);
    CHECK(config.shards[0].replicas[0].label() == "10.0.0.1:7000");
    CHECK(config.shards[1].replicas[0].host == "::1");
    CHECK(config.timeout_ms == 1500);
    CHECK(config.connect_timeout_ms == 250);
    CHECK(config.retry_ms == 0);
}

TEST_CASE("an absolute front is kept and the timeouts have defaults") {
    const auto config =
        ClusterConfig::parse(R"({"front": "/srv/front", "shards": [{"name": "s", "replicas": ["h:1"]}]})", "c.json");
    CHECK(config.front == "/srv/front");
    CHECK(config.timeout_ms == 2000);
    CHECK(config.connect_timeout_ms == 500);
    CHECK(config.retry_ms == 1000);
}

TEST_CASE("a bad cluster file is refused naming the file and the problem") {
    CHECK(problem("[").starts_with("cluster file /etc/broadsheet/cluster.json: not valid JSON"));
    CHECK(problem("[]").find("a JSON object") != std::string::npos);
    CHECK(problem(R"({"shards": [{"name": "s", "replicas": ["h:1"]}]})").find("\"front\"") != std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": []})").find("\"shards\"") != std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": [{"name": "s"}]})").find("needs \"replicas\"") != std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": [{"replicas": ["h:1"]}]})").find("needs a \"name\"") !=
          std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": [{"name": "s", "replicas": ["h"]}]})").find("host:port") !=
          std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": [{"name": "s", "replicas": ["h:0"]}]})").find("valid port") !=
          std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": [{"name": "s", "replicas": [7000]}]})").find("string") !=
          std::string::npos);
    CHECK(
        problem(R"({"front": "f", "shards": [{"name": "s", "replicas": ["h:1"]}, {"name": "s", "replicas": ["h:2"]}]})")
            .find("listed twice") != std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": [{"name": "s", "replicas": ["h:1"], "weight": 2}]})")
              .find("unknown key \"weight\"") != std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": [{"name": "s", "replicas": ["h:1"]}], "timeout_ms": 0})")
              .find("\"timeout_ms\"") != std::string::npos);
    CHECK(problem(R"({"front": "f", "shards": [{"name": "s", "replicas": ["h:1"]}], "retry_ms": "1s"})")
              .find("\"retry_ms\"") != std::string::npos);
}
