// Compression and conditional requests end to end: the real server on a
// loopback port, asked with and without Accept-Encoding and If-None-Match.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "http_answers.hpp"
#include "test_support.hpp"

using namespace broadsheet::testing;
using nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("a gzip answer decodes to exactly the plain answer") {
    FixtureIndex index;
    ServerProcess server(index.root);
    for (const std::string path : {"/openapi.json", "/articles/a001", "/articles/a001?format=html&q=lenovo",
                                   "/articles/a001/related?size=3", "/stats"}) {
        INFO(path);
        auto plain = ask(server.port(), path);
        REQUIRE(plain.status == 200);
        CHECK_FALSE(plain.has("Content-Encoding"));
        auto gz = ask(server.port(), path, {{"Accept-Encoding", "gzip"}});
        REQUIRE(gz.status == 200);
        CHECK(gz.header("Content-Encoding") == "gzip");
        CHECK(gz.header("Content-Length") == std::to_string(gz.body.size()));
        CHECK(gz.body.size() < plain.body.size());
        CHECK(gunzip(gz.body) == plain.body);
        // What browsers send.
        auto browser = ask(server.port(), path, {{"Accept-Encoding", "gzip, deflate, br, zstd"}});
        CHECK(browser.header("Content-Encoding") == "gzip");
        CHECK(browser.body == gz.body);
    }
    auto plain = ask(server.port(), "/search?q=government&size=10");
    auto gz = ask(server.port(), "/search?q=government&size=10", {{"Accept-Encoding", "gzip"}});
    CHECK(gz.header("Content-Encoding") == "gzip");
    CHECK(without_time(gunzip(gz.body)) == without_time(plain.body));
}

TEST_CASE("nothing is compressed unless the client asks, and every text answer varies on Accept-Encoding") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto reference = ask(server.port(), "/openapi.json");
    for (const std::string accept : {"", "identity", "gzip;q=0", "GZIP;Q=0, br", "deflate, br", "*;q=0"}) {
        INFO(accept);
        httplib::Headers headers;
        if (!accept.empty()) headers.emplace("Accept-Encoding", accept);
        auto answer = ask(server.port(), "/openapi.json", headers);
        CHECK(answer.status == 200);
        CHECK_FALSE(answer.has("Content-Encoding"));
        CHECK(answer.body == reference.body);
        CHECK(answer.header("Vary").find("Accept-Encoding") != std::string::npos);
    }
    // Small answers are not worth it.
    auto health = ask(server.port(), "/healthz", {{"Accept-Encoding", "gzip"}});
    CHECK_FALSE(health.has("Content-Encoding"));
}

TEST_CASE("If-None-Match with the current tag gives 304, no body and the same tag") {
    FixtureIndex index;
    ServerProcess server(index.root);
    for (const std::string accept : {"", "gzip"}) {
        INFO(accept);
        httplib::Headers headers;
        if (!accept.empty()) headers.emplace("Accept-Encoding", accept);
        auto first = ask(server.port(), "/search?q=government", headers);
        REQUIRE(first.status == 200);
        auto etag = first.header("ETag");
        CHECK(etag.starts_with("W/\""));
        CHECK(first.header("Cache-Control") == "no-cache");
        headers.emplace("If-None-Match", etag);
        auto again = ask(server.port(), "/search?q=government", headers);
        CHECK(again.status == 304);
        CHECK(again.body.empty());
        CHECK(again.header("ETag") == etag);
        CHECK(again.header("Cache-Control") == "no-cache");
        CHECK(again.header("Vary") == first.header("Vary"));
        CHECK_FALSE(again.has("Content-Encoding"));
    }
    // Another search, or the page instead of the JSON, is another answer.
    auto json_tag = ask(server.port(), "/search?q=government").header("ETag");
    CHECK(ask(server.port(), "/search?q=lenovo", {{"If-None-Match", json_tag}}).status == 200);
    CHECK(ask(server.port(), "/search?q=government&format=html", {{"If-None-Match", json_tag}}).status == 200);
    CHECK(ask(server.port(), "/search?q=government", {{"If-None-Match", R"(W/"0000000000000000")"}}).status == 200);
    CHECK(ask(server.port(), "/search?q=government", {{"If-None-Match", "*"}}).status == 304);
}

TEST_CASE("each coding of an answer has its own tag, and any of them revalidates") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto plain = ask(server.port(), "/articles/a001").header("ETag");
    auto gz = ask(server.port(), "/articles/a001", {{"Accept-Encoding", "gzip"}}).header("ETag");
    CHECK(plain != gz);
    CHECK(gz == plain.substr(0, plain.size() - 1) + "-gzip\"");
    auto revalidated = ask(server.port(), "/articles/a001", {{"Accept-Encoding", "gzip"}, {"If-None-Match", plain}});
    CHECK(revalidated.status == 304);
    CHECK(revalidated.header("ETag") == plain);
}

TEST_CASE("the tag changes when the index gets a new revision and when a new generation is built") {
    FixtureIndex index;
    ServerProcess server(index.root);
    const std::string path = "/search?q=quokka";
    auto original = ask(server.port(), path).header("ETag");
    REQUIRE_FALSE(original.empty());
    CHECK(ask(server.port(), "/stats").header("ETag") != original);

    TempDir corpus;
    write_file(corpus / "new.jsonl",
               R"({"id": "fresh1", "title": "Quokka census completed", "body": "A quokka count."})"
               "\n");
    auto added = run(
        {indexer_bin(), "add", "--index", index.root.string(), "--input", (corpus / "new.jsonl").string()});
    REQUIRE(added.exit_code == 0);
    std::string after_add;
    CHECK(eventually([&] {
        auto answer = ask(server.port(), path);
        after_add = answer.header("ETag");
        return json::parse(answer.body)["total"] == 1;
    }));
    CHECK(after_add != original);
    CHECK(ask(server.port(), path, {{"If-None-Match", original}}).status == 200);
    CHECK(ask(server.port(), path, {{"If-None-Match", after_add}}).status == 304);

    build_index(index.root, {fixture("articles.jsonl").string()});
    std::string after_build;
    CHECK(eventually([&] {
        auto answer = ask(server.port(), path);
        after_build = answer.header("ETag");
        return json::parse(answer.body)["generation"] != "gen-000001";
    }));
    CHECK(after_build != original);
    CHECK(after_build != after_add);
    CHECK(ask(server.port(), path, {{"If-None-Match", after_add}}).status == 200);
}

TEST_CASE("live state and errors are never stored and carry no tag") {
    FixtureIndex index;
    ServerProcess server(index.root);
    for (const std::string path : {"/healthz", "/readyz", "/metrics", "/no-such-route", "/search?q=x&size=0",
                                   "/articles/missing", "/search?bogus=1"}) {
        INFO(path);
        auto answer = ask(server.port(), path, {{"Accept-Encoding", "gzip"}});
        CHECK(answer.header("Cache-Control") == "no-store");
        CHECK_FALSE(answer.has("ETag"));
        // A tag cannot turn an error into a 304.
        CHECK(ask(server.port(), path, {{"If-None-Match", "*"}}).status != 304);
    }
    auto metrics = ask(server.port(), "/metrics", {{"Accept-Encoding", "gzip"}});
    CHECK(metrics.header("Content-Encoding") == "gzip");
    CHECK(gunzip(metrics.body).find("broadsheet_http_requests_total") != std::string::npos);
    auto openapi = ask(server.port(), "/openapi.json");
    CHECK(openapi.header("Cache-Control").find("max-age=") != std::string::npos);
    CHECK(openapi.has("ETag"));
}

TEST_CASE("HEAD answers with the headers GET would send, coding and tag included") {
    FixtureIndex index;
    ServerProcess server(index.root);
    for (const std::string accept : {"", "gzip"}) {
        INFO(accept);
        httplib::Headers headers;
        if (!accept.empty()) headers.emplace("Accept-Encoding", accept);
        auto get = ask(server.port(), "/articles/a001", headers);
        auto head = ask(server.port(), "/articles/a001", headers, true);
        CHECK(head.status == 200);
        CHECK(head.body.empty());
        for (const std::string name :
             {"Content-Length", "Content-Encoding", "ETag", "Cache-Control", "Vary", "Content-Type", "Accept-Ranges"})
            CHECK_MESSAGE(head.header(name) == get.header(name), name);
        headers.emplace("If-None-Match", get.header("ETag"));
        CHECK(ask(server.port(), "/articles/a001", headers, true).status == 304);
    }
}
