// The result cache end to end: the real server on a loopback port, asked the
// same searches again, with and without gzip, before and after an
// `indexer add`, with the cache on and off.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "http_answers.hpp"
#include "test_support.hpp"

using namespace broadsheet::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

auto metric(int port, const std::string& name) -> double {
    auto text = ask(port, "/metrics").body;
    auto at = text.find("\n" + name + " ");
    REQUIRE_MESSAGE(at != std::string::npos, name << " missing from /metrics");
    return std::stod(text.substr(at + name.size() + 2));
}

auto hits(int port) -> double { return metric(port, "broadsheet_result_cache_hits_total"); }


// The page but the time in its status line.
auto page_without_time(const std::string& page) -> std::string {
    auto status = page.find("role=\"status\">");
    REQUIRE(status != std::string::npos);
    auto open = page.find('(', status);
    auto close = page.find(" ms)", status);
    REQUIRE(open < close);
    return page.substr(0, open + 1) + page.substr(close);
}

}  // namespace

TEST_CASE("a repeated search is answered from the cache, the same but for its time") {
    FixtureIndex index;
    ServerProcess server(index.root);
    const std::string path = "/search?q=government&size=5&facets=tag";
    CHECK(hits(server.port()) == 0);
    auto first = ask(server.port(), path);
    REQUIRE(first.status == 200);
    CHECK(metric(server.port(), "broadsheet_result_cache_misses_total") == 1);
    CHECK(metric(server.port(), "broadsheet_result_cache_entries") == 1);
    CHECK(metric(server.port(), "broadsheet_result_cache_bytes") > static_cast<double>(first.body.size()));
    auto second = ask(server.port(), path);
    REQUIRE(second.status == 200);
    CHECK(hits(server.port()) == 1);
    CHECK(without_time(second.body) == without_time(first.body));
    CHECK(without_time(second.body)["total"].get<int>() > 0);
    // Headers as the first answer had them; the entity tag is the same answer's.
    for (const std::string name : {"ETag", "Cache-Control", "Content-Type", "Vary"}) {
        INFO(name);
        CHECK(second.header(name) == first.header(name));
    }
    // Another spelling of the request, another format: not the same entry.
    auto other = ask(server.port(), "/search?q=government&size=4&facets=tag");
    CHECK(without_time(other.body)["hits"].size() == 4);
    CHECK(hits(server.port()) == 1);

    // The results page is kept too.
    auto page = ask(server.port(), "/search?q=government&format=html");
    auto page_again = ask(server.port(), "/search?q=government&format=html");
    REQUIRE(page_again.status == 200);
    CHECK(hits(server.port()) == 2);
    CHECK(page_again.header("Content-Type") == page.header("Content-Type"));
    CHECK(page_without_time(page_again.body) == page_without_time(page.body));
}

TEST_CASE("gzip answers from the cache decode to the same answer") {
    FixtureIndex index;
    ServerProcess server(index.root);
    const httplib::Headers gzip{{"Accept-Encoding", "gzip"}};
    // Kept from a plain answer, then asked for with gzip (the gzip form is made then).
    const std::string path = "/search?q=government&size=10";
    auto plain = ask(server.port(), path);
    auto gz = ask(server.port(), path, gzip);
    auto gz_again = ask(server.port(), path, gzip);
    CHECK(hits(server.port()) == 2);
    for (const auto* answer : {&gz, &gz_again}) {
        CHECK(answer->header("Content-Encoding") == "gzip");
        CHECK(answer->header("Content-Length") == std::to_string(answer->body.size()));
        CHECK(answer->header("ETag") == gz.header("ETag"));
        CHECK(without_time(gunzip(answer->body)) == without_time(plain.body));
    }
    CHECK(gz.header("ETag").ends_with("-gzip\""));
    CHECK(gz.body.size() < plain.body.size());
    // Kept from a gzip answer, then asked for plain and with gzip.
    const std::string other = "/search?q=hospital+OR+government&size=10&format=html";
    auto gz_miss = ask(server.port(), other, gzip);
    CHECK(gz_miss.header("Content-Encoding") == "gzip");
    auto plain_hit = ask(server.port(), other);
    auto gz_hit = ask(server.port(), other, gzip);
    CHECK(hits(server.port()) == 4);
    CHECK(plain_hit.header("Content-Encoding").empty());
    CHECK(page_without_time(gunzip(gz_miss.body)) == page_without_time(plain_hit.body));
    CHECK(page_without_time(gunzip(gz_hit.body)) == page_without_time(plain_hit.body));
    // A conditional request still gets its 304 without a body.
    auto revalidated = ask(server.port(), path, {{"Accept-Encoding", "gzip"}, {"If-None-Match", gz.header("ETag")}});
    CHECK(revalidated.status == 304);
    CHECK(revalidated.body.empty());
}

TEST_CASE("an article added to the index shows in the next answer, not a kept one") {
    FixtureIndex index;
    ServerProcess server(index.root);
    const std::string path = "/search?q=zeppelin&size=5";
    auto before = json::parse(ask(server.port(), path).body);
    CHECK(before["total"] == 0);
    (void)ask(server.port(), path);
    CHECK(hits(server.port()) == 1);
    const auto revision = metric(server.port(), "broadsheet_index_revision");

    TempDir more;
    write_file(more / "more.jsonl",
               R"({"id": "z001", "title": "Zeppelin lands", "body": ["A zeppelin landed on Friday."]})"
               "\n");
    REQUIRE(run({indexer_bin(), "add", "--index", index.root.string(), "--input", (more / "more.jsonl").string()})
                .exit_code == 0);
    // Once the server serves the new revision, no answer of the old one is sent.
    REQUIRE(eventually([&] { return metric(server.port(), "broadsheet_index_revision") > revision; }));
    auto after = json::parse(ask(server.port(), path).body);
    CHECK(after["total"] == 1);
    CHECK(after["hits"][0]["id"] == "z001");
    CHECK(metric(server.port(), "broadsheet_result_cache_entries") == 1);
    CHECK(hits(server.port()) == 1);
}

TEST_CASE("--result-cache-mb 0 turns the cache off") {
    FixtureIndex index;
    ServerProcess server(index.root, {"--result-cache-mb", "0"});
    for (int i = 0; i < 3; ++i) CHECK(ask(server.port(), "/search?q=government").status == 200);
    CHECK(hits(server.port()) == 0);
    CHECK(metric(server.port(), "broadsheet_result_cache_misses_total") == 0);
    CHECK(metric(server.port(), "broadsheet_result_cache_entries") == 0);
}

TEST_CASE("the cache holds no more than its size, evicting the least recently used") {
    FixtureIndex index;
    ServerProcess server(index.root, {"--result-cache-mb", "1"});
    // Distinct requests (another snippet length each) of a few kilobytes.
    for (int length = 10; length < 1000; length += 2) {
        auto answer = ask(server.port(), "/search?q=the&size=20&snippet_length=" + std::to_string(length));
        REQUIRE(answer.status == 200);
    }
    CHECK(metric(server.port(), "broadsheet_result_cache_evictions_total") > 0);
    CHECK(metric(server.port(), "broadsheet_result_cache_bytes") <= 1024.0 * 1024.0);
    CHECK(metric(server.port(), "broadsheet_result_cache_entries") > 0);
}
