// End to end: real indexes built by the real broadsheet-indexer, served by
// the real broadsheet-server on a loopback port, queried over HTTP.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <sys/wait.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "broadsheet/server/html.hpp"
#include "test_support.hpp"

using namespace broadsheet::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Query strings are encoded with the server library's own encoder.
auto encode(const std::string& text) -> std::string { return broadsheet::server::url_encode(text); }

struct Response {
    int status = 0;
    std::string content_type;
    std::string body;
    [[nodiscard]] auto json_body() const -> json { return json::parse(body); }
};

auto get(int port, const std::string& path, const httplib::Headers& headers = {}) -> Response {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10s);
    auto result = client.Get(path, headers);
    REQUIRE_MESSAGE(result, "no response for " << path << ": " << httplib::to_string(result.error()));
    return {result->status, result->get_header_value("Content-Type"), result->body};
}

auto search(int port, const std::string& query, const std::string& extra = "") -> json {
    auto response = get(port, "/search?q=" + encode(query) + extra);
    INFO(response.body);
    REQUIRE(response.status == 200);
    return response.json_body();
}

auto ids_of(const json& result) -> std::vector<std::string> {
    std::vector<std::string> ids;
    for (const auto& hit : result["hits"]) ids.push_back(hit["id"].get<std::string>());
    return ids;
}

void check_error(const Response& response, int status, const std::string& code) {
    INFO(response.body);
    CHECK(response.status == status);
    CHECK(response.content_type == "application/json; charset=utf-8");
    auto body = json::parse(response.body, nullptr, false);
    REQUIRE(body.is_object());
    CHECK(body["error"]["status"] == status);
    CHECK(body["error"]["code"] == code);
    CHECK(body["error"]["message"].is_string());
}

// A JSONL file of `count` synthetic articles, large enough that indexing takes a while.
auto write_synthetic_corpus(const fs::path& path, int count) {
    std::ofstream out(path);
    for (int i = 0; i < count; ++i) {
        std::string body;
        for (int w = 0; w < 120; ++w) body += "word" + std::to_string((i * 31 + w * 7) % 5000) + " ";
        out << json{{"id", "s" + std::to_string(i)}, {"title", "Synthetic story " + std::to_string(i)}, {"body", body}}
                   .dump()
            << '\n';
    }
}

}  // namespace

TEST_CASE("health, readiness and stats describe the served index") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto health = get(server.port(), "/healthz");
    CHECK(health.status == 200);
    CHECK(health.json_body()["status"] == "ok");
    auto ready = get(server.port(), "/readyz");
    CHECK(ready.status == 200);
    CHECK(ready.json_body()["generation"] == "gen-000001");
    CHECK(ready.json_body()["documents"] == 12);
    auto stats = get(server.port(), "/stats").json_body();
    CHECK(stats["documents"] == 12);
    CHECK(stats["generation"] == "gen-000001");
    CHECK_FALSE(stats["built_at"].get<std::string>().empty());
    CHECK(stats["fields"].size() == 7);
}

TEST_CASE("metrics count requests and describe the index in Prometheus format") {
    FixtureIndex index;
    ServerProcess server(index.root);
    (void)search(server.port(), "lenovo");
    (void)get(server.port(), "/search?q=");
    auto metrics = get(server.port(), "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.content_type.rfind("text/plain", 0) == 0);
    CHECK(metrics.body.find("broadsheet_http_requests_total{route=\"search\",status=\"200\"} 1\n") !=
          std::string::npos);
    CHECK(metrics.body.find("broadsheet_http_requests_total{route=\"search\",status=\"400\"} 1\n") !=
          std::string::npos);
    CHECK(metrics.body.find("broadsheet_index_documents 12\n") != std::string::npos);
    CHECK(metrics.body.find("generation=\"gen-000001\"") != std::string::npos);
}

TEST_CASE("readyz is 503 until an index is published, then the server picks it up") {
    TempDir dir;
    ServerProcess server(dir / "index");
    check_error(get(server.port(), "/search?q=lenovo"), 503, "index_unavailable");
    CHECK(get(server.port(), "/readyz").status == 503);
    build_index(dir / "index", {fixture("articles.jsonl").string()});
    CHECK(eventually([&] { return get(server.port(), "/readyz").status == 200; }));
    CHECK(search(server.port(), "lenovo")["total"] == 2);
}

TEST_CASE("readyz names a CURRENT that names no generation as the reason, at start-up too") {
    TempDir dir;
    std::filesystem::create_directories(dir / "index");
    std::ofstream(dir / "index" / "CURRENT") << "../elsewhere\n";
    ServerProcess server(dir / "index");
    const auto ready = get(server.port(), "/readyz");
    CHECK(ready.status == 503);
    CHECK(ready.json_body()["reason"].get<std::string>().find("CURRENT") != std::string::npos);
    check_error(get(server.port(), "/search?q=lenovo"), 503, "index_unavailable");
}

TEST_CASE("search answers the documented JSON shape") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto response = get(server.port(), "/search?q=lenovo");
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json; charset=utf-8");
    auto result = response.json_body();
    for (const char* key : {"query", "total", "total_exact", "page", "size", "took_ms", "hits", "facets", "suggestion"})
        CHECK_MESSAGE(result.contains(key), key);
    CHECK(result["query"] == "lenovo");
    CHECK(result["page"] == 1);
    CHECK(result["size"] == 10);
    REQUIRE(result["hits"].size() == 2);
    auto hit = result["hits"][0];
    for (const char* key : {"id", "rank", "score", "title", "title_html", "date", "url", "tags", "snippet_html"})
        CHECK_MESSAGE(hit.contains(key), key);
    CHECK(hit["rank"] == 1);
    CHECK(hit["tags"].is_array());
    CHECK_FALSE(hit.contains("body"));  // snippets, not whole bodies
}

TEST_CASE("each request gets one access log line and a Server-Timing header") {
    FixtureIndex index;
    ServerProcess server(index.root);
    httplib::Client client("127.0.0.1", server.port());
    auto result = client.Get("/search?q=lenovo");
    REQUIRE(result);
    CHECK(result->get_header_value("Server-Timing").rfind("app;dur=", 0) == 0);
    (void)get(server.port(), "/articles/missing");
    CHECK(eventually([&] {
        auto log = server.log();
        return log.find("GET /search 200 took_ms=") != std::string::npos &&
               log.find("GET /articles/missing 404 took_ms=") != std::string::npos;
    }));
}

TEST_CASE("a title match ranks above a passing mention in the body") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto ids = ids_of(search(server.port(), "lenovo"));
    REQUIRE(ids.size() == 2);
    CHECK(ids[0] == "a001");  // "Lenovo buys IBM server business"
    CHECK(ids[1] == "a002");  // mentions Lenovo once, last sentence
}

TEST_CASE("a phrase matches only adjacent words while keywords match anywhere") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto phrase = ids_of(search(server.port(), "\"interest rates rose\""));
    CHECK(phrase == std::vector<std::string>{"a003"});
    auto keywords = ids_of(search(server.port(), "interest rates rose"));
    CHECK(keywords.size() >= 3);
    CHECK(std::find(keywords.begin(), keywords.end(), "a011") != keywords.end());
    CHECK(std::find(keywords.begin(), keywords.end(), "a004") != keywords.end());
}

TEST_CASE("op=or matches any word and op=and requires all") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto all = search(server.port(), "lenovo zürich");
    auto any = search(server.port(), "lenovo zürich", "&op=or");
    CHECK(all["total"] == 0);
    CHECK(any["total"] == 3);
}

TEST_CASE("a query that cannot be read as written is searched as words, and the answer says so") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto unclosed = search(server.port(), "\"interest rates rose");
    CHECK(unclosed["total"].get<int>() >= 3);
    CHECK(unclosed["notice"]["code"] == "read_as_plain_words");
    CHECK(unclosed["notice"]["reason"].get<std::string>().find("quote") != std::string::npos);
    CHECK(unclosed["notice"]["words"] == "interest rates rose");
    CHECK(ids_of(search(server.port(), "lenovo AND")) == ids_of(search(server.port(), "lenovo")));
    CHECK(search(server.port(), "lenovo")["notice"].is_null());
}

TEST_CASE("synonyms from the schema's file expand unprefixed words and phrases, both ways") {
    TempDir dir;
    {
        std::ofstream out(dir / "synonyms.jsonl");
        out << json{{"id", "abbrev"}, {"title", "U.S. trade deficit widens"}, {"body", "The U.S. deficit grew."}}.dump()
            << '\n'
            << json{{"id", "full"}, {"title", "Trade gap"}, {"body", "The United States reported a wider gap."}}.dump()
            << '\n'
            << json{{"id", "split"}, {"title", "Trade"}, {"body", "United they stand; the states agreed."}}.dump()
            << '\n'
            << json{{"id", "fed"}, {"title", "Federal Reserve holds"}, {"body", "The Fed kept rates."}}.dump() << '\n';
    }
    build_index(dir / "index", {(dir / "synonyms.jsonl").string()});
    ServerProcess server(dir / "index");
    auto ids = [&](const std::string& q) {
        auto found = ids_of(search(server.port(), q));
        std::sort(found.begin(), found.end());
        return found;
    };
    CHECK(ids("US") == std::vector<std::string>{"abbrev", "full"});
    CHECK(ids("us deficit") == std::vector<std::string>{"abbrev"});
    CHECK(ids("united states") == std::vector<std::string>{"abbrev", "full", "split"});
    CHECK(ids("USA trade") == std::vector<std::string>{"abbrev", "full"});
    CHECK(ids("federal reserve") == std::vector<std::string>{"fed"});
    CHECK(ids("fed") == std::vector<std::string>{"fed"});
    // Field queries and phrases are taken literally.
    CHECK(ids("title:us") == std::vector<std::string>{"abbrev"});
    CHECK(ids("\"united states\"") == std::vector<std::string>{"full"});
    // A query of stopwords alone still finds them.
    CHECK(ids("they the") == std::vector<std::string>{"split"});
    // An article added later gets its phrase terms from the schema stored in the index.
    write_file(dir / "more.jsonl", R"({"id": "later", "title": "Exports", "body": "United States exports rose."})"
                                   "\n");
    REQUIRE(run({indexer_bin(), "add", "--index", (dir / "index").string(), "--input", (dir / "more.jsonl").string()})
                .exit_code == 0);
    CHECK(eventually([&] { return ids("us") == std::vector<std::string>{"abbrev", "full", "later"}; }));
}

TEST_CASE("date: in the query filters by period or range") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto ids = [&](const std::string& q) {
        auto found = ids_of(search(server.port(), q, "&op=or"));
        std::sort(found.begin(), found.end());
        return found;
    };
    CHECK(ids("lenovo zürich date:2014") == std::vector<std::string>{"a001"});
    CHECK(ids("interest rates date:2014-08-06") == std::vector<std::string>{"a003"});
    CHECK(ids("interest rates") == std::vector<std::string>{"a003", "a004", "a011"});
    CHECK(ids("interest rates date:2014-01-01..2015-12-31") == std::vector<std::string>{"a003", "a011"});
    CHECK(ids("interest rates date:..2014-08-05") == std::vector<std::string>{"a004"});
}

TEST_CASE("snippets and titles mark the matched terms and escape the article's HTML") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto lenovo = search(server.port(), "lenovo");
    CHECK(lenovo["hits"][0]["title_html"].get<std::string>().find("<mark>Lenovo</mark>") != std::string::npos);
    CHECK(lenovo["hits"][0]["snippet_html"].get<std::string>().find("<mark>") != std::string::npos);

    auto script = search(server.port(), "script");
    REQUIRE(script["total"] == 1);
    auto hit = script["hits"][0];
    for (const char* field : {"title_html", "snippet_html"}) {
        auto html = hit[field].get<std::string>();
        CAPTURE(html);
        CHECK(html.find("<script") == std::string::npos);
        CHECK(html.find("&lt;") != std::string::npos);
        CHECK(html.find("AT&amp;T") != std::string::npos);
    }
    CHECK(hit["title"].get<std::string>().find("<script>") != std::string::npos);  // plain text stays plain
}

TEST_CASE("fields= returns only the named stored fields and highlight=false marks nothing") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto keys_of = [](const json& hit) {
        std::vector<std::string> keys;
        for (const auto& [key, value] : hit.items()) keys.push_back(key);
        std::sort(keys.begin(), keys.end());
        return keys;
    };
    auto all = search(server.port(), "government", "&op=or&size=3");
    REQUIRE(all["hits"].size() == 3);

    auto ids = search(server.port(), "government", "&op=or&size=3&fields=id");
    REQUIRE(ids["hits"].size() == 3);
    CHECK(ids_of(ids) == ids_of(all));
    for (const auto& hit : ids["hits"]) CHECK(keys_of(hit) == std::vector<std::string>{"id", "rank", "score"});

    auto some = search(server.port(), "government", "&op=or&size=3&fields=title,date,title");
    for (const auto& hit : some["hits"])
        CHECK(keys_of(hit) == std::vector<std::string>{"date", "id", "rank", "score", "title", "title_html"});
    auto snippet = search(server.port(), "lenovo", "&fields=snippet");
    REQUIRE(snippet["hits"].size() >= 1);
    CHECK(keys_of(snippet["hits"][0]) == std::vector<std::string>{"id", "rank", "score", "snippet_html"});
    CHECK(snippet["hits"][0]["snippet_html"].get<std::string>().find("<mark>") != std::string::npos);

    auto plain = get(server.port(), "/search?q=lenovo&highlight=false");
    REQUIRE(plain.status == 200);
    CHECK(plain.body.find("<mark>") == std::string::npos);
    auto plain_hit = plain.json_body()["hits"][0];
    CHECK_FALSE(plain_hit.contains("title_html"));
    CHECK_FALSE(plain_hit.contains("snippet_html"));
    CHECK(plain_hit["title"].get<std::string>().find("Lenovo") != std::string::npos);

    // With paging and facets: the same pages and counts as without fields=.
    auto second = search(server.port(), "government", "&op=or&size=2&page=2&facets=tag,year");
    auto second_ids = search(server.port(), "government",
                             "&op=or&size=2&page=2&facets=tag,year&fields=id&highlight=false");
    CHECK(ids_of(second_ids) == ids_of(second));
    CHECK(second_ids["facets"] == second["facets"]);
    CHECK(second_ids["total"] == second["total"]);
    for (const auto& hit : second_ids["hits"]) CHECK(keys_of(hit) == std::vector<std::string>{"id", "rank", "score"});

    check_error(get(server.port(), "/search?q=lenovo&fields=headline"), 400, "invalid_parameter");
    check_error(get(server.port(), "/search?q=lenovo&fields="), 400, "invalid_parameter");
    check_error(get(server.port(), "/search?q=lenovo&highlight=no"), 400, "invalid_parameter");

    // The HTML page shows what it always shows.
    auto page = get(server.port(), "/search?q=lenovo&fields=id&highlight=false&format=html");
    CHECK(page.status == 200);
    CHECK(page.body.find("<mark>Lenovo</mark>") != std::string::npos);
}

TEST_CASE("expand=true reorders the query's matches without adding or dropping any") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto plain = search(server.port(), "government budget", "&op=or&size=50&fields=id");
    auto expanded = search(server.port(), "government budget", "&op=or&size=50&fields=id&expand=true");
    CHECK(expanded["total"] == plain["total"]);
    auto sorted = [](std::vector<std::string> ids) {
        std::sort(ids.begin(), ids.end());
        return ids;
    };
    CHECK(sorted(ids_of(expanded)) == sorted(ids_of(plain)));
    check_error(get(server.port(), "/search?q=budget&expand=yes"), 400, "invalid_parameter");
}

TEST_CASE("stemming matches other forms of a word") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto governments = search(server.port(), "governments");
    CHECK(governments["total"].get<int>() >= 3);
}

TEST_CASE("paging walks the ranked list without overlap") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto everything = ids_of(search(server.port(), "government", "&size=10"));
    REQUIRE(everything.size() >= 4);
    auto first = search(server.port(), "government", "&size=2&page=1");
    auto second = search(server.port(), "government", "&size=2&page=2");
    CHECK(ids_of(first) == std::vector<std::string>(everything.begin(), everything.begin() + 2));
    CHECK(ids_of(second) == std::vector<std::string>(everything.begin() + 2, everything.begin() + 4));
    CHECK(second["hits"][0]["rank"] == 3);
    CHECK(first["total"] == second["total"]);
}

TEST_CASE("equal scores are listed in id order on every page, however long the run") {
    // Identical articles score alike. Written in the reverse of id order, so
    // that the order they were indexed in is not the answer: a short run (4)
    // and a long one (40), which the pages cut at every size.
    TempDir dir;
    std::vector<std::string> strong;
    std::vector<std::string> weak;
    {
        std::ofstream out(dir / "ties.jsonl");
        for (int i = 39; i >= 0; --i) {
            auto id = "weak-" + std::string(i < 10 ? "0" : "") + std::to_string(i);
            weak.push_back(id);
            out << json{{"id", id}, {"title", "Dockers vote"}, {"body", "The harbour strike goes on."}}.dump() << '\n';
            if (i % 10 == 0) {
                auto strong_id = "strong-" + std::to_string(i / 10);
                strong.push_back(strong_id);
                out << json{{"id", strong_id}, {"title", "Harbour strike"}, {"body", "The harbour strike goes on."}}
                           .dump()
                    << '\n';
            }
        }
    }
    build_index(dir / "index", {(dir / "ties.jsonl").string()});
    ServerProcess server(dir / "index", {"--result-cache-mb", "0"});
    std::sort(strong.begin(), strong.end());
    std::sort(weak.begin(), weak.end());
    auto expected = strong;
    expected.insert(expected.end(), weak.begin(), weak.end());

    for (int size : {3, 7, 10, 44}) {
        CAPTURE(size);
        std::vector<std::string> listed;
        for (int page = 1; listed.size() < expected.size(); ++page) {
            auto answer = search(server.port(), "harbour",
                                 "&size=" + std::to_string(size) + "&page=" + std::to_string(page));
            auto ids = ids_of(answer);
            REQUIRE_FALSE(ids.empty());
            listed.insert(listed.end(), ids.begin(), ids.end());
            CHECK(answer["total"] == 44);
        }
        CHECK(listed == expected);
    }
    // The scores say why: four alike, then forty alike.
    auto all = search(server.port(), "harbour", "&size=44")["hits"];
    CHECK(all[0]["score"] == all[3]["score"]);
    CHECK(all[3]["score"] > all[4]["score"]);
    CHECK(all[4]["score"] == all[43]["score"]);
}

TEST_CASE("filters, date ranges, sorting and facets") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto tagged = search(server.port(), "government", "&tag=Politics&facets=tag,year");
    for (const auto& hit : tagged["hits"]) {
        auto tags = hit["tags"].dump();
        CHECK(tags.find("politics") != std::string::npos);
    }
    CHECK(tagged["facets"]["tag"].is_array());
    CHECK(tagged["facets"]["year"].is_array());
    auto newest = search(server.port(), "government", "&op=or&sort=-date");
    std::string previous = "9999";
    for (const auto& hit : newest["hits"]) {
        if (!hit["date"].is_string()) continue;
        auto date = hit["date"].get<std::string>();
        CHECK(date <= previous);
        previous = date;
    }
    auto ranged = search(server.port(), "government", "&from=2014-01-01&to=2014-12-31");
    for (const auto& hit : ranged["hits"]) CHECK(hit["date"].get<std::string>().substr(0, 4) == "2014");
}

TEST_CASE("browsers get an HTML results page, others JSON, and format= overrides") {
    FixtureIndex index;
    ServerProcess server(index.root);
    httplib::Headers browser{{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}};
    auto page = get(server.port(), "/search?q=script", browser);
    CHECK(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(page.body.find("<mark>") != std::string::npos);
    CHECK(page.body.find("<script>alert") == std::string::npos);
    CHECK(page.body.find("&lt;<mark>script</mark>&gt;") != std::string::npos);
    CHECK(page.body.find("1 result") != std::string::npos);

    CHECK(get(server.port(), "/search?q=script&format=json", browser).content_type.find("application/json") == 0);
    CHECK(get(server.port(), "/search?q=script&format=html").content_type.find("text/html") == 0);
    CHECK(get(server.port(), "/search?q=script").content_type.find("application/json") == 0);

    auto lenient = get(server.port(), "/search?q=%22script", browser);
    CHECK(lenient.status == 200);
    CHECK(lenient.body.find("could not be read as written (unbalanced quote") != std::string::npos);
    CHECK(lenient.body.find("1 result") != std::string::npos);

    auto bad = get(server.port(), "/search?q=%22unclosed&syntax=strict", browser);
    CHECK(bad.status == 400);
    CHECK(bad.content_type.find("text/html") == 0);
    CHECK(bad.body.find("unbalanced quote") != std::string::npos);
}

TEST_CASE("the home page lists every topic and year, and each link finds that many articles") {
    FixtureIndex index;
    ServerProcess server(index.root);
    httplib::Headers browser{{"Accept", "text/html"}};
    auto home = get(server.port(), "/search", browser);
    REQUIRE(home.status == 200);
    CHECK(home.body.find("Search 12 articles") != std::string::npos);
    // economy: a002, a003, a006, a011; 2015: a002, a005, a006, a011, a012.
    const std::string economy =
        "<a href=\"/search?q=tag%3A%22economy%22&amp;sort=-date\">economy</a> <span class=\"count\">4</span>";
    const std::string year = "<a href=\"/search?q=date%3A2015&amp;sort=-date\">2015</a> <span class=\"count\">5</span>";
    CHECK(home.body.find(economy) != std::string::npos);
    CHECK(home.body.find(year) != std::string::npos);
    CHECK(search(server.port(), "tag:\"economy\"", "&sort=-date")["total"] == 4);
    CHECK(search(server.port(), "date:2015")["total"] == 5);
    // Topic, then year, then the article: the third click.
    auto narrowed = search(server.port(), "tag:\"economy\"", "&year=2015&facets=tag,year");
    CHECK(ids_of(narrowed).size() == 3);
}

TEST_CASE("every kind of bad input gets a 4xx JSON error and never a crash") {
    FixtureIndex index;
    ServerProcess server(index.root, {"--max-wildcard-expansion", "2"});
    auto port = server.port();
    check_error(get(port, "/search"), 400, "missing_query");
    check_error(get(port, "/search?q="), 400, "missing_query");
    check_error(get(port, "/search?q=%20%20"), 400, "missing_query");
    check_error(get(port, "/search?q=%22unclosed+phrase&syntax=strict"), 400, "invalid_query");
    check_error(get(port, "/search?q=(lenovo&syntax=strict"), 400, "invalid_query");
    check_error(get(port, "/search?q=lenovo+AND&syntax=strict"), 400, "invalid_query");
    check_error(get(port, "/search?q=lenovo+date:2014-13&syntax=strict"), 400, "invalid_query");
    check_error(get(port, "/search?q=lenovo&syntax=loose"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=" + std::string(9000, 'x')), 400, "query_too_long");
    check_error(get(port, "/search?q=%FF%FE"), 400, "invalid_query");
    check_error(get(port, "/search?q=a%00b"), 400, "invalid_query");
    check_error(get(port, "/search?q=g*"), 400, "too_many_expansions");
    check_error(get(port, "/search?q=lenovo&size=0"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&size=101"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&size=ten"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&page=0"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&page=99999999999"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&page=200&size=100"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&sort=random"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&op=xor"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&from=yesterday"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&from=2015-01-01&to=2014-01-01"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&facets=colour"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&year=14"), 400, "invalid_parameter");
    check_error(get(port, "/search?q=lenovo&bogus=1"), 400, "unknown_parameter");
    check_error(get(port, "/search?q=lenovo&q=ibm"), 400, "invalid_parameter");
    check_error(get(port, "/articles/does-not-exist"), 404, "not_found");
    check_error(get(port, "/no/such/route"), 404, "not_found");
    // Still alive and answering after all that.
    CHECK(search(port, "lenovo")["total"] == 2);
    CHECK(server.process().wait(0ms) == std::nullopt);
}

TEST_CASE("an article is served by id with its stored fields") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto response = get(server.port(), "/articles/a001");
    CHECK(response.status == 200);
    auto article = response.json_body();
    CHECK(article["id"] == "a001");
    CHECK(article["title"] == "Lenovo buys IBM server business");
    CHECK(article["body"].is_string());
    CHECK(article["tags"].is_array());
}

TEST_CASE("a long article stored in chunks is served whole and its snippet found deep inside it") {
    TempDir dir;
    std::string body;
    while (body.size() < 60 * 1024) body += "Nothing of note happened in the harbour that week. ";
    body += "Then interest rates rose sharply. ";
    while (body.size() < 120 * 1024) body += "Quiet again in the harbour. ";
    write_file(dir / "long.jsonl", json{{"id", "long"}, {"title", "A long week"}, {"body", body}}.dump() + "\n");
    build_index(dir / "index", {(dir / "long.jsonl").string()});
    ServerProcess server(dir / "index");
    auto found = search(server.port(), "rates");
    REQUIRE(found["hits"].size() == 1);
    const auto snippet = found["hits"][0]["snippet_html"].get<std::string>();
    CAPTURE(snippet);
    CHECK(snippet.find("Then interest <mark>rates</mark> rose sharply.") != std::string::npos);
    auto phrase = search(server.port(), "\"harbour that week\"");
    REQUIRE(phrase["hits"].size() == 1);
    const auto phrase_snippet = phrase["hits"][0]["snippet_html"].get<std::string>();
    CAPTURE(phrase_snippet);
    CHECK(phrase_snippet.find("in the <mark>harbour that week</mark>. Nothing") != std::string::npos);
    CHECK(phrase_snippet.find("harbour.") == std::string::npos);
    auto article = get(server.port(), "/articles/long");
    REQUIRE(article.status == 200);
    CHECK(article.json_body()["body"] == body);
}

TEST_CASE("a rebuild during queries swaps generations with zero failed requests") {
    FixtureIndex index;
    ServerProcess server(index.root);
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
        clients.emplace_back([&] {
            httplib::Client client("127.0.0.1", server.port());
            client.set_keep_alive(true);
            while (!stop) {
                auto result = client.Get("/search?q=government&op=or");
                if (result && result->status == 200) ++ok;
                else ++failed;
            }
        });
    }
    TempDir corpus;
    write_synthetic_corpus(corpus / "more.jsonl", 2000);
    build_index(index.root, {fixture("articles.jsonl").string(), (corpus / "more.jsonl").string()});
    bool swapped = eventually([&] { return get(server.port(), "/readyz").json_body()["generation"] == "gen-000002"; });
    auto served_after = ok.load();
    CHECK(eventually([&] { return ok.load() > served_after + 20; }));
    stop = true;
    for (auto& t : clients) t.join();
    CHECK(swapped);
    CHECK(failed == 0);
    CHECK(ok > 50);
    CHECK(get(server.port(), "/stats").json_body()["documents"] == 2012);
}

TEST_CASE("a failed build leaves the served results unchanged") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto before = search(server.port(), "government", "&op=or");
    auto result = run(
        {indexer_bin(), "build", "--index", index.root.string(), "--input", fixture("bad_record.jsonl").string()});
    CHECK(result.exit_code != 0);
    CHECK(result.output.find("bad_record.jsonl:4") != std::string::npos);
    CHECK(read_file(index.root / "CURRENT") == "gen-000001\n");
    auto after = search(server.port(), "government", "&op=or");
    CHECK(ids_of(after) == ids_of(before));
    CHECK(after["generation"] == "gen-000001");
}

TEST_CASE("a killed build and a build that runs out of disk leave the live index untouched") {
    FixtureIndex index;
    TempDir corpus;
    write_synthetic_corpus(corpus / "big.jsonl", 30000);
    {
        Process build({indexer_bin(), "build", "--index", index.root.string(), "--input",
                       (corpus / "big.jsonl").string()},
                      corpus / "build.log");
        // Kill it once it has started writing its staging generation.
        CHECK(eventually([&] { return fs::exists(index.root / ".staging-gen-000002"); }));
        build.signal(SIGKILL);
        CHECK(build.wait(10s) == 128 + SIGKILL);
    }
    CHECK(read_file(index.root / "CURRENT") == "gen-000001\n");

    RunOptions small_disk;
    small_disk.file_size_limit = 256 * 1024;  // writes past 256 KiB fail with EFBIG, as on a full disk
    auto full = run({indexer_bin(), "build", "--index", index.root.string(), "--input",
                     (corpus / "big.jsonl").string()},
                    small_disk);
    CHECK(full.exit_code != 0);
    CHECK(read_file(index.root / "CURRENT") == "gen-000001\n");

    ServerProcess server(index.root);
    CHECK(search(server.port(), "lenovo")["total"] == 2);
    // The next good build cleans up after the dead ones.
    build_index(index.root, {fixture("articles.jsonl").string()});
    for (const auto& entry : fs::directory_iterator(index.root))
        CHECK(entry.path().filename().string().rfind(".staging", 0) != 0);
}

TEST_CASE("add and delete are visible to the running server without a restart") {
    FixtureIndex index;
    ServerProcess server(index.root);
    TempDir corpus;
    write_file(corpus / "new.jsonl",
               R"({"id": "fresh1", "title": "Quokka census completed", "body": "A quokka count."})"
               "\n");
    auto added = run(
        {indexer_bin(), "add", "--index", index.root.string(), "--input", (corpus / "new.jsonl").string()});
    REQUIRE(added.exit_code == 0);
    CHECK(eventually([&] { return search(server.port(), "quokka")["total"] == 1; }));
    auto removed = run({indexer_bin(), "delete", "--index", index.root.string(), "fresh1"});
    REQUIRE(removed.exit_code == 0);
    CHECK(eventually([&] { return search(server.port(), "quokka")["total"] == 0; }));
}

TEST_CASE("64 concurrent keep-alive clients are all served") {
    FixtureIndex index;
    ServerProcess server(index.root);
    constexpr int clients = 64, requests_each = 20;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&] {
            httplib::Client client("127.0.0.1", server.port());
            client.set_keep_alive(true);
            client.set_read_timeout(10s);
            for (int r = 0; r < requests_each; ++r) {
                auto result = client.Get("/search?q=government");
                if (result && result->status == 200) ++ok;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(ok == clients * requests_each);
}

TEST_CASE("SIGTERM stops the server cleanly with exit status 0") {
    FixtureIndex index;
    ServerProcess server(index.root);
    CHECK(get(server.port(), "/healthz").status == 200);
    server.process().signal(SIGTERM);
    CHECK(server.process().wait(10s) == 0);
    CHECK(server.log().find("stopped") != std::string::npos);
}

TEST_CASE("the Reuters-21578 corpus indexes and searches end to end") {
    auto reuters = shared_file("corpora/reuters21578.jsonl");
    if (!reuters) {
        MESSAGE("../shared/corpora/reuters21578.jsonl absent: skipping the Reuters test");
        return;
    }
    TempDir dir;
    auto result = run({indexer_bin(), "build", "--index", (dir / "index").string(), "--input", reuters->string()});
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    CHECK(result.output.find("indexed 21577 documents (0 bad)") != std::string::npos);
    MESSAGE(result.output);
    ServerProcess server(dir / "index");
    auto cocoa = search(server.port(), "cocoa");
    CHECK(cocoa["total"].get<int>() > 50);
    int cocoa_titles = 0;
    for (const auto& hit : cocoa["hits"])
        cocoa_titles += hit["title"].get<std::string>().find("COCOA") != std::string::npos;
    CHECK(cocoa_titles >= 8);  // of the top ten
    auto phrase = search(server.port(), "\"united states\"");
    auto words = search(server.port(), "united states");
    CHECK(phrase["total"].get<int>() > 0);
    CHECK(phrase["total"].get<int>() < words["total"].get<int>());
    auto newest = search(server.port(), "oil", "&sort=-date&size=5");
    CHECK(newest["hits"][0]["date"].get<std::string>().rfind("1987-10", 0) == 0);
}

TEST_CASE("a misspelt query that finds nothing suggests the correction") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto result = search(server.port(), "goverment");
    CHECK(result["total"] == 0);
    CHECK(result["suggestion"] == "government");
    CHECK(search(server.port(), "government")["suggestion"].is_null());
    auto page = get(server.port(), "/search?q=goverment&format=html");
    CHECK(page.body.find("Did you mean") != std::string::npos);
}

TEST_CASE("the indexer draws a progress bar only on a terminal and always ends with a summary") {
    TempDir dir;
    auto quiet = run(
        {indexer_bin(), "build", "--index", (dir / "a").string(), "--input", fixture("articles.jsonl").string()});
    REQUIRE(quiet.exit_code == 0);
    CHECK(quiet.output.find('\r') == std::string::npos);
    CHECK(quiet.output.rfind("indexed 12 documents (0 bad) in ", 0) == 0);
    CHECK(quiet.output.find("documents/s") != std::string::npos);
    CHECK(quiet.output.find("MB/s") != std::string::npos);
    CHECK(quiet.output.find("index ") != std::string::npos);
    if (!fs::exists("/usr/bin/script")) {
        MESSAGE("script(1) absent: skipping the terminal half");
        return;
    }
    // script(1) gives the indexer a pseudo-terminal.
    auto command = indexer_bin() + " build --index " + (dir / "b").string() + " --input " +
                   fixture("articles.jsonl").string();
    auto tty = run({"/usr/bin/script", "-qec", command, "/dev/null"});
    REQUIRE(tty.exit_code == 0);
    CHECK(tty.output.find("\r[") != std::string::npos);
    CHECK(tty.output.find("%") != std::string::npos);
    CHECK(tty.output.find("indexed 12 documents") != std::string::npos);
}

TEST_CASE("related articles share the article's distinctive words and never include it") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto response = get(server.port(), "/articles/a001/related?size=3");
    REQUIRE(response.status == 200);
    auto related = response.json_body();
    CHECK(related["id"] == "a001");
    auto ids = ids_of(related);
    CHECK(ids.size() <= 3);
    REQUIRE_FALSE(ids.empty());
    CHECK(std::find(ids.begin(), ids.end(), "a001") == ids.end());
    CHECK(ids[0] == "a002");  // the other article about Lenovo and servers
    CHECK(related["hits"][0].contains("title"));
    check_error(get(server.port(), "/articles/missing/related"), 404, "not_found");
    check_error(get(server.port(), "/articles/a001/related?size=0"), 400, "invalid_parameter");
    check_error(get(server.port(), "/articles/a001/related?colour=red"), 400, "unknown_parameter");
}

TEST_CASE("suggest completes the last word from the index, most frequent first") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto result = get(server.port(), "/suggest?q=" + encode("interest Gov")).json_body();
    REQUIRE_FALSE(result["suggestions"].empty());
    CHECK(result["suggestions"][0]["text"] == "interest government");
    CHECK(result["suggestions"][0]["documents"].get<int>() >= 3);
    auto few = get(server.port(), "/suggest?q=g&size=2").json_body();
    CHECK(few["suggestions"].size() == 2);
    for (const auto& s : few["suggestions"]) CHECK(s["word"].get<std::string>().rfind('g', 0) == 0);
    auto counts = few["suggestions"][0]["documents"].get<int>() >= few["suggestions"][1]["documents"].get<int>();
    CHECK(counts);
    CHECK(get(server.port(), "/suggest?q=zzzqqq").json_body()["suggestions"].empty());
    check_error(get(server.port(), "/suggest"), 400, "missing_query");
    check_error(get(server.port(), "/suggest?q=a&size=50"), 400, "invalid_parameter");
}

TEST_CASE("related articles are found even when an article's most distinctive words are its own") {
    TempDir dir;
    write_file(
        dir / "in.jsonl",
        R"({"id": "x", "title": "Zorblatt Quenfrey Vashtenko harbour ferry", "body": "Zorblatt Quenfrey Vashtenko Zorblatt Quenfrey Vashtenko. The harbour ferry."})"
        "\n"
        R"({"id": "y", "title": "Harbour ferry timetable changes", "body": "The harbour ferry runs later."})"
        "\n"
        R"({"id": "z", "title": "Mountain goats", "body": "Goats climb."})"
        "\n");
    build_index(dir / "index", {(dir / "in.jsonl").string()});
    ServerProcess server(dir / "index");
    auto ids = ids_of(get(server.port(), "/articles/x/related").json_body());
    CHECK(ids == std::vector<std::string>{"y"});
}

TEST_CASE("a browser gets the article page with the query marked, tag links and related articles") {
    FixtureIndex index;
    ServerProcess server(index.root);
    httplib::Headers browser{{"Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}};
    auto page = get(server.port(), "/articles/a001?q=lenovo", browser);
    REQUIRE(page.status == 200);
    CHECK(page.content_type == "text/html; charset=utf-8");
    CHECK(page.body.find("<h1><mark>Lenovo</mark> buys IBM server business</h1>") != std::string::npos);
    CHECK(page.body.find("Related articles") != std::string::npos);
    CHECK(page.body.find("href=\"/articles/a002\"") != std::string::npos);
    CHECK(page.body.find("tag=technology") != std::string::npos);
    auto script = get(server.port(), "/articles/a005?format=html");
    CHECK(script.body.find("<script>alert") == std::string::npos);
    CHECK(script.body.find("&lt;script&gt;") != std::string::npos);
    CHECK(get(server.port(), "/articles/a001", browser).body.find("<mark>") == std::string::npos);
    auto missing = get(server.port(), "/articles/nope", browser);
    CHECK(missing.status == 404);
    CHECK(missing.content_type.rfind("text/html", 0) == 0);
    check_error(get(server.port(), "/articles/a001?bogus=1"), 400, "unknown_parameter");
    // The results page offers facets, sorting and autocomplete.
    auto results = get(server.port(), "/search?q=government", browser);
    CHECK(results.body.find("aria-label=\"Refine results\"") != std::string::npos);
    CHECK(results.body.find(">Newest</a>") != std::string::npos);
    CHECK(results.body.find("<datalist id=\"suggestions\">") != std::string::npos);
}

TEST_CASE("facet counts cover the whole match: topics by frequency, years newest first") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto result = search(server.port(), "government", "&op=or&size=1&facets=tag,year");
    CHECK(result["hits"].size() == 1);
    int tag_total = 0, previous_count = 1 << 30;
    for (const auto& entry : result["facets"]["tag"]) {
        CHECK(entry["count"].get<int>() <= previous_count);
        previous_count = entry["count"].get<int>();
        tag_total += previous_count;
    }
    CHECK(tag_total >= result["total"].get<int>());  // counted beyond the one hit on the page
    std::string previous_year = "9999";
    for (const auto& entry : result["facets"]["year"]) {
        CHECK(entry["value"].get<std::string>() < previous_year);
        previous_year = entry["value"].get<std::string>();
    }
}

TEST_CASE("only GET, HEAD and OPTIONS are served and no request takes a body") {
    FixtureIndex index;
    ServerProcess server(index.root);
    httplib::Client client("127.0.0.1", server.port());
    auto post = client.Post("/search?q=lenovo", std::string(100, 'x'), "text/plain");
    REQUIRE(post);
    CHECK(post->status == 405);
    CHECK(json::parse(post->body)["error"]["code"] == "method_not_allowed");
    auto del = client.Delete("/articles/a001");
    REQUIRE(del);
    CHECK(del->status == 405);
    CHECK(del->get_header_value("Allow") == "GET, HEAD, OPTIONS");
    auto with_body = client.Get("/search?q=lenovo", httplib::Headers{{"Content-Length", "5"}});
    // A GET that announces a body is refused as well (the body is never read).
    if (with_body) CHECK(with_body->status == 413);
    auto head = httplib::Client("127.0.0.1", server.port()).Head("/search?q=lenovo");
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(get(server.port(), "/search?q=lenovo").status == 200);  // still serving
}

TEST_CASE("answers carry security headers, and pages a policy that loads nothing from elsewhere") {
    FixtureIndex index;
    ServerProcess server(index.root);
    httplib::Client client("127.0.0.1", server.port());
    auto page = client.Get("/search?q=lenovo", httplib::Headers{{"Accept", "text/html"}});
    REQUIRE(page);
    CHECK(page->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(page->get_header_value("Content-Security-Policy").find("default-src 'none'") != std::string::npos);
    CHECK(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
    CHECK(page->get_header_value("X-Frame-Options") == "DENY");
    CHECK(page->get_header_value("Vary").find("Accept") != std::string::npos);
    auto api = client.Get("/search?q=lenovo");
    REQUIRE(api);
    CHECK(api->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK_FALSE(api->has_header("Access-Control-Allow-Origin"));
}

TEST_CASE("CORS answers only the configured origins") {
    FixtureIndex index;
    ServerProcess server(index.root, {"--cors-origin", "https://news.example.org"});
    httplib::Client client("127.0.0.1", server.port());
    auto allowed = client.Get("/search?q=lenovo", httplib::Headers{{"Origin", "https://news.example.org"}});
    REQUIRE(allowed);
    CHECK(allowed->get_header_value("Access-Control-Allow-Origin") == "https://news.example.org");
    auto other = client.Get("/search?q=lenovo", httplib::Headers{{"Origin", "https://evil.example.com"}});
    REQUIRE(other);
    CHECK(other->status == 200);
    CHECK_FALSE(other->has_header("Access-Control-Allow-Origin"));
    auto preflight = client.Options("/search", httplib::Headers{{"Origin", "https://news.example.org"},
                                                                {"Access-Control-Request-Method", "GET"}});
    REQUIRE(preflight);
    CHECK(preflight->status == 204);
    CHECK(preflight->get_header_value("Access-Control-Allow-Origin") == "https://news.example.org");
    CHECK(preflight->get_header_value("Access-Control-Allow-Methods").find("GET") != std::string::npos);
    auto refused_preflight = client.Options("/search", httplib::Headers{{"Origin", "https://evil.example.com"}});
    REQUIRE(refused_preflight);
    CHECK_FALSE(refused_preflight->has_header("Access-Control-Allow-Origin"));
    CHECK_FALSE(refused_preflight->has_header("Access-Control-Allow-Methods"));
}

TEST_CASE("a query over its cost budget is refused before it runs, with the reason") {
    FixtureIndex index;
    ServerProcess server(index.root, {"--max-query-terms", "40", "--max-phrase-terms", "6", "--max-filters", "3"});
    std::string wildcards;
    for (const auto* prefix : {"le*", "se*"}) wildcards += std::string(prefix) + " ";
    check_error(get(server.port(), "/search?q=" + encode(wildcards)), 400, "query_too_costly");
    check_error(get(server.port(), "/search?q=" + encode("\"a b c d e f g h\"")), 400, "query_too_costly");
    check_error(get(server.port(), "/search?q=lenovo&tag=a&tag=b&tag=c&tag=d"), 400, "too_many_filters");
    CHECK(get(server.port(), "/search?q=" + encode("\"server business\"")).status == 200);
    CHECK(get(server.port(), "/search?q=lenovo&tag=technology").status == 200);
    auto result = search(server.port(), "lenovo");
    CHECK(result["timed_out"] == false);
}

TEST_CASE("an id containing a slash is fetched with %2F, and bad bytes in ids and names are 4xx") {
    TempDir dir;
    auto corpus = dir / "slash.jsonl";
    {
        std::ofstream out(corpus);
        out << json{{"id", "2014/05/lenovo"}, {"title", "Lenovo in May"}, {"body", "Lenovo news."}}.dump() << '\n';
    }
    build_index(dir / "index", {corpus.string()});
    ServerProcess server(dir / "index");
    auto article = get(server.port(), "/articles/2014%2F05%2Flenovo");
    CHECK(article.status == 200);
    CHECK(article.json_body()["id"] == "2014/05/lenovo");
    CHECK(get(server.port(), "/articles/2014%2F05%2Flenovo/related").status == 200);
    for (const auto* path :
         {"/articles/%FF", "/search?q=x&%FF=1", "/suggest?q=%FF", "/articles/%C0%AF", "/search?q=lenovo&tag=%FF"}) {
        auto response = get(server.port(), path);
        CHECK_MESSAGE(response.status >= 400, std::string(path));
        CHECK_MESSAGE(response.status < 500, std::string(path));
        CHECK_MESSAGE(json::parse(response.body, nullptr, false).contains("error"), std::string(path));
    }
}

TEST_CASE("readyz turns 503 while the live generation is gone and 200 when it is back") {
    FixtureIndex index;
    ServerProcess server(index.root);
    REQUIRE(get(server.port(), "/readyz").status == 200);
    auto live = index.root / "gen-000001";
    auto away = index.root / "moved-away";
    fs::rename(live, away);
    CHECK(eventually([&] { return get(server.port(), "/readyz").status == 503; }));
    CHECK(get(server.port(), "/readyz").json_body()["reason"].get<std::string>().find("gone") != std::string::npos);
    fs::rename(away, live);
    CHECK(eventually([&] { return get(server.port(), "/readyz").status == 200; }));
    CHECK(search(server.port(), "lenovo")["total"].get<int>() > 0);
}

TEST_CASE("a request head that is too large is refused with 431, and the server keeps serving") {
    FixtureIndex index;
    ServerProcess server(index.root, {"--max-head-bytes", "4096"});
    auto big = get(server.port(), "/search?q=lenovo", httplib::Headers{{"X-Filler", std::string(6000, 'v')}});
    CHECK(big.status == 431);
    CHECK(json::parse(big.body)["error"]["code"] == "request_header_fields_too_large");
    CHECK(get(server.port(), "/search?q=lenovo").status == 200);
}

TEST_CASE("a server that cannot listen exits 1 with the reason") {
    FixtureIndex index;
    ServerProcess first(index.root);
    TempDir logs;
    auto log = logs / "second.log";
    // The first server holds the port: the second must fail, not exit 0.
    auto command = server_bin() + " --index " + index.root.string() + " --host 127.0.0.1 --port " +
                   std::to_string(first.port()) + " > " + log.string() + " 2>&1";
    int status = std::system(command.c_str());
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
}

TEST_CASE("an index whose records are compressed with a dictionary answers searches, articles and pages alike") {
    TempDir dir;
    const auto records = news_records(1500);
    write_file(dir / "news.jsonl", records);
    build_index(dir / "index", {(dir / "news.jsonl").string()});
    ServerProcess server(dir / "index");
    const auto original = json::parse(records.substr(0, records.find('\n')));

    auto found = search(server.port(), "tonnes");
    CHECK(found["total"] == 1500);
    REQUIRE(found["hits"].size() == 10);
    for (const auto& hit : found["hits"]) {
        CHECK(hit["title"].get<std::string>().find(" says ") != std::string::npos);
        CHECK(hit["snippet_html"].get<std::string>().find("<mark>tonnes</mark>") != std::string::npos);
    }

    auto article = get(server.port(), "/articles/n0");
    REQUIRE(article.status == 200);
    CHECK(article.json_body()["body"] == original["body"]);
    CHECK(article.json_body()["title"] == original["title"]);
    auto page = get(server.port(), "/articles/n0?format=html&q=output");
    REQUIRE(page.status == 200);
    CHECK(page.body.find("<mark>output</mark>") != std::string::npos);
    auto related = get(server.port(), "/articles/n0/related?size=3");
    REQUIRE(related.status == 200);
    CHECK(related.json_body()["hits"].size() == 3);
    CHECK(related.json_body()["hits"][0]["title"].is_string());
}
