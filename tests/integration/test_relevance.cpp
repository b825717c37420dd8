// Ranking quality on judged test collections, through the real indexer and
// broadsheet-eval (the server's own query path). Each floor is the measured
// value (docs/relevance.md) minus 0.01.
#include <doctest/doctest.h>

#include <regex>

#include "test_support.hpp"

using namespace broadsheet::testing;

namespace {

struct Scores {
    double ndcg_10 = 0;
    double map = 0;
};

auto measure(const std::string& collection) -> std::optional<Scores> {
    auto corpus = shared_file("corpora/" + collection + "/corpus.jsonl");
    auto queries = shared_file("corpora/" + collection + "/queries.tsv");
    auto qrels = shared_file("corpora/" + collection + "/qrels.tsv");
    if (!corpus || !queries || !qrels) return std::nullopt;
    TempDir dir;
    build_index(dir / "index", {corpus->string()});
    auto result = run({BROADSHEET_EVAL_BIN, "--index", (dir / "index").string(), "--queries", queries->string(),
                       "--qrels", qrels->string(), "--op", "or"});
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    MESSAGE(collection << ":\n" << result.output);
    std::smatch match;
    Scores scores;
    REQUIRE(std::regex_search(result.output, match, std::regex(R"(ndcg_cut_10\t([0-9.]+))")));
    scores.ndcg_10 = std::stod(match[1]);
    REQUIRE(std::regex_search(result.output, match, std::regex(R"(\nmap\t([0-9.]+))")));
    scores.map = std::stod(match[1]);
    return scores;
}

}  // namespace

TEST_CASE("Cranfield nDCG@10 and MAP do not fall below their recorded values") {
    auto scores = measure("cranfield");
    if (!scores) {
        MESSAGE("../shared/corpora/cranfield absent: skipping");
        return;
    }
    CHECK(scores->ndcg_10 >= 0.5403 - 0.01);
    CHECK(scores->map >= 0.4407 - 0.01);
}

TEST_CASE("CISI nDCG@10 and MAP do not fall below their recorded values") {
    auto scores = measure("cisi");
    if (!scores) {
        MESSAGE("../shared/corpora/cisi absent: skipping");
        return;
    }
    CHECK(scores->ndcg_10 >= 0.4092 - 0.01);
    CHECK(scores->map >= 0.2299 - 0.01);
}
