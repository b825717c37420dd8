// Ranking quality on judged test collections, through the real indexer and
// broadsheet-eval (the server's own query path, with the default schema's
// ranking). Each floor is the measured value (docs/relevance.md) minus 0.01.
#include <doctest/doctest.h>

#include <regex>

#include "test_support.hpp"

using namespace broadsheet::testing;

namespace {

struct Scores {
    double ndcg_10 = 0;
    double map = 0;
};

auto figure(const std::string& output, const std::string& name) -> double {
    std::smatch match;
    REQUIRE_MESSAGE(std::regex_search(output, match, std::regex("(^|\n)" + name + "\t([0-9.]+)")), name);
    return std::stod(match[2]);
}

auto measure(const std::string& collection) -> std::optional<Scores> {
    auto corpus = shared_file("corpora/" + collection + "/corpus.jsonl");
    auto queries = shared_file("corpora/" + collection + "/queries.tsv");
    auto qrels = shared_file("corpora/" + collection + "/qrels.tsv");
    if (!corpus || !queries || !qrels) return std::nullopt;
    TempDir dir;
    build_index(dir / "index", {corpus->string()});
    auto result = run({BROADSHEET_EVAL_BIN, "--index", (dir / "index").string(), "--queries", queries->string(),
                       "--qrels", qrels->string(), "--op", "or", "--complete"});
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    MESSAGE(collection << ":\n" << result.output);
    return Scores{figure(result.output, "ndcg_cut_10"), figure(result.output, "map")};
}

void check_floors(const std::string& collection, double ndcg_10, double map) {
    auto scores = measure(collection);
    if (!scores) {
        MESSAGE("../shared/corpora/" << collection << " absent: skipping");
        return;
    }
    CHECK(scores->ndcg_10 >= ndcg_10 - 0.01);
    CHECK(scores->map >= map - 0.01);
}

}  // namespace

TEST_CASE("Cranfield nDCG@10 and MAP do not fall below their recorded values") {
    check_floors("cranfield", 0.5356, 0.4328);
}

TEST_CASE("CISI nDCG@10 and MAP do not fall below their recorded values") { check_floors("cisi", 0.4033, 0.2227); }

TEST_CASE("CACM nDCG@10 and MAP do not fall below their recorded values") { check_floors("cacm", 0.5133, 0.3554); }

TEST_CASE("SciFact nDCG@10 and MAP do not fall below their recorded values") {
    check_floors("scifact", 0.6988, 0.6557);
}
