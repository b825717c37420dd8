#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "broadsheet/server/result_cache.hpp"
#include "test_support.hpp"

using namespace broadsheet::server;

namespace {

constexpr const char* json_type = "application/json; charset=utf-8";

auto answer(const std::string& body) -> ResultCache::Entry {
    auto cut = cut_at_took(body, json_type, TookFormat::json);
    REQUIRE(cut);
    return std::make_shared<const CachedAnswer>(std::move(*cut));
}

auto search_body(const std::string& query, double took_ms) -> std::string {
    return nlohmann::json{{"query", query}, {"hits", nlohmann::json::array()}, {"took_ms", took_ms}, {"total", 0}}
        .dump();
}

}  // namespace

TEST_CASE("an answer is cut around its took_ms and written again with another time") {
    auto body = search_body("oil", 1.65);
    auto cut = cut_at_took(body, json_type, TookFormat::json);
    REQUIRE(cut);
    CHECK(cut->body(1.65) == body);
    CHECK(cut->content_type == json_type);
    auto again = nlohmann::json::parse(cut->body(0.0421));
    CHECK(again["took_ms"] == 0.042);
    again["took_ms"] = 1.65;
    CHECK(again == nlohmann::json::parse(body));
    CHECK(cut->plain_size(0.0421) == cut->body(0.0421).size());
}

TEST_CASE("stored text that reads like took_ms does not move the cut") {
    // The text sits in a string, where its quotes are escaped.
    auto body = nlohmann::json{{"hits", {{{"title", "\"took_ms\":12,"}}}}, {"took_ms", 3.5}, {"total", 1}}.dump();
    auto cut = cut_at_took(body, json_type, TookFormat::json);
    REQUIRE(cut);
    CHECK(nlohmann::json::parse(cut->body(7.25))["took_ms"] == 7.25);
    CHECK(nlohmann::json::parse(cut->body(7.25))["hits"][0]["title"] == "\"took_ms\":12,");
}

TEST_CASE("a results page is cut at the time in its status line") {
    std::string page =
        "<html><p>(9 ms)</p><p class=\"meta\" role=\"status\">About 1,200 results (0.50 ms)</p>"
        "<ol><li>(3 ms)</li></ol></html>";
    auto cut = cut_at_took(page, "text/html", TookFormat::page);
    REQUIRE(cut);
    CHECK(cut->body(0.5) == page);
    CHECK(cut->body(12.345).find("About 1,200 results (12.35 ms)</p>") != std::string::npos);
}

TEST_CASE("an answer without a time where its format writes it is not kept") {
    CHECK_FALSE(cut_at_took(R"({"total":1})", json_type, TookFormat::json));
    CHECK_FALSE(cut_at_took(R"({"took_ms":"soon","total":1})", json_type, TookFormat::json));
    CHECK_FALSE(cut_at_took("<html><p>home</p></html>", "text/html", TookFormat::page));
}

TEST_CASE("a kept answer is found for the same request and index state, counting hits and misses") {
    ResultCache cache(1024 * 1024);
    REQUIRE(cache.enabled());
    CHECK_FALSE(cache.find("gen-1/1", "json /search?q=oil"));
    cache.insert("gen-1/1", "json /search?q=oil", answer(search_body("oil", 1)));
    auto kept = cache.find("gen-1/1", "json /search?q=oil");
    REQUIRE(kept);
    CHECK(nlohmann::json::parse(kept->body(2))["query"] == "oil");
    CHECK_FALSE(cache.find("gen-1/1", "html /search?q=oil"));
    CHECK_FALSE(cache.find("gen-1/1", "json /search?q=oil&size=5"));
    auto figures = cache.figures();
    CHECK(figures.hits == 1);
    CHECK(figures.misses == 3);
    CHECK(figures.entries == 1);
    CHECK(figures.bytes >= kept->footprint());
}

TEST_CASE("a new index state drops every answer, and an answer made before it is not kept") {
    ResultCache cache(1024 * 1024);
    (void)cache.find("gen-1/1", "json /search?q=oil");
    cache.insert("gen-1/1", "json /search?q=oil", answer(search_body("oil", 1)));
    cache.insert("gen-1/1", "json /search?q=gold", answer(search_body("gold", 1)));
    CHECK(cache.figures().entries == 2);
    // The index moved to revision 2.
    CHECK_FALSE(cache.find("gen-1/2", "json /search?q=oil"));
    CHECK(cache.figures().entries == 0);
    CHECK(cache.figures().bytes == 0);
    // A search that ran on revision 1 finishes late.
    cache.insert("gen-1/1", "json /search?q=oil", answer(search_body("oil", 1)));
    CHECK_FALSE(cache.find("gen-1/2", "json /search?q=oil"));
    cache.insert("gen-1/2", "json /search?q=oil", answer(search_body("oil", 1)));
    CHECK(cache.find("gen-1/2", "json /search?q=oil"));
    // A request that read the old state is not answered from the new one's answers.
    CHECK_FALSE(cache.find("gen-1/1", "json /search?q=oil"));
}

TEST_CASE("the cache stays within its budget, dropping the least recently used") {
    constexpr std::size_t budget = 64 * 1024;
    ResultCache cache(budget);
    const std::string filler(900, 'x');
    (void)cache.find("s", "warm");
    for (int i = 0; i < 400; ++i) {
        auto request = "json /search?q=" + std::to_string(i);
        cache.insert("s", request, answer(search_body(filler + std::to_string(i), 1)));
        CHECK(cache.figures().bytes <= budget);
    }
    auto figures = cache.figures();
    CHECK(figures.evictions > 0);
    CHECK(figures.entries + figures.evictions == 400);
    CHECK(figures.entries > 0);
    // The newest is still there, the first long gone.
    CHECK(cache.find("s", "json /search?q=399"));
    CHECK_FALSE(cache.find("s", "json /search?q=0"));
}

TEST_CASE("an answer larger than a share of the budget is not kept") {
    ResultCache cache(16 * 1024);
    (void)cache.find("s", "warm");
    cache.insert("s", "json /search?q=big", answer(search_body(std::string(4096, 'y'), 1)));
    CHECK(cache.figures().entries == 0);
}

TEST_CASE("a cache of size 0 keeps nothing and counts nothing") {
    ResultCache cache(0);
    CHECK_FALSE(cache.enabled());
    cache.insert("s", "json /search?q=oil", answer(search_body("oil", 1)));
    CHECK_FALSE(cache.find("s", "json /search?q=oil"));
    auto figures = cache.figures();
    CHECK(figures.hits == 0);
    CHECK(figures.misses == 0);
    CHECK(figures.entries == 0);
}

TEST_CASE("partial and timed-out answers are not repeatable") {
    SearchResult result;
    CHECK(is_repeatable(result));
    result.missing_shards = {"shard-1"};
    CHECK_FALSE(is_repeatable(result));
    result.missing_shards.clear();
    result.timed_out = true;
    CHECK_FALSE(is_repeatable(result));
}
