#include <doctest/doctest.h>

#include <sstream>

#include "broadsheet/eval/trec.hpp"

using namespace broadsheet::eval;

TEST_CASE("measures match a hand-computed example") {
    // Relevant: d1 (grade 2), d2 and d4 (grade 1); d3 judged not relevant; d4 never retrieved.
    std::map<std::string, int> judged{{"d1", 2}, {"d2", 1}, {"d3", 0}, {"d4", 1}};
    std::vector<RankedDoc> ranked{{"d3", 3.0}, {"d1", 2.0}, {"d5", 1.5}, {"d2", 1.0}};
    auto m = evaluate_query(ranked, judged);
    // Relevant at ranks 2 and 4: AP = (1/2 + 2/4) / 3.
    CHECK(m.map == doctest::Approx(1.0 / 3.0));
    CHECK(m.p_10 == doctest::Approx(0.2));
    CHECK(m.recall_100 == doctest::Approx(2.0 / 3.0));
    // DCG = 2/log2(3) + 1/log2(5); ideal = 2/log2(2) + 1/log2(3) + 1/log2(4).
    CHECK(m.ndcg_cut_10 == doctest::Approx(1.692544 / 3.130930).epsilon(1e-5));
}

TEST_CASE("the run is reordered by score, ties by docid descending, as trec_eval does") {
    std::map<std::string, int> judged{{"a", 1}};
    // Listed first but tied with "b": trec_eval puts "b" first.
    auto m = evaluate_query({{"a", 1.0}, {"b", 1.0}}, judged);
    CHECK(m.map == doctest::Approx(0.5));
    auto sorted = evaluate_query({{"z", 0.5}, {"a", 2.0}}, judged);
    CHECK(sorted.map == doctest::Approx(1.0));
}

TEST_CASE("cutoffs count only the top 10 and top 100") {
    std::map<std::string, int> judged{{"hit", 1}};
    std::vector<RankedDoc> ranked;
    for (int i = 0; i < 150; ++i) ranked.push_back({"n" + std::to_string(1000 + i), 1000.0 - i});
    ranked.push_back({"hit", 1.0});  // rank 151
    auto m = evaluate_query(ranked, judged);
    CHECK(m.p_10 == 0.0);
    CHECK(m.recall_100 == 0.0);
    CHECK(m.ndcg_cut_10 == 0.0);
    CHECK(m.map == doctest::Approx(1.0 / 151.0));
}

TEST_CASE("means cover judged queries in the run, or all judged queries when complete") {
    Qrels qrels{{"1", {{"a", 1}}}, {"2", {{"b", 1}}}, {"3", {{"c", 0}}}};
    Run run{{"1", {{"a", 1.0}}}};
    auto summary = evaluate(run, qrels);
    CHECK(summary.queries == 1);
    CHECK(summary.mean.map == doctest::Approx(1.0));
    auto complete = evaluate(run, qrels, true);
    CHECK(complete.queries == 2);  // query 3 has no relevant document
    CHECK(complete.mean.map == doctest::Approx(0.5));
}

TEST_CASE("runs and qrels round-trip through their TREC text formats") {
    std::istringstream qrels_text("1 0 12 2\n1 0 13 1\n\n2 0 7 1\n");
    auto qrels = read_qrels(qrels_text);
    CHECK(qrels["1"]["12"] == 2);
    CHECK(qrels["2"]["7"] == 1);
    Run run{{"1", {{"12", 9.5}, {"13", 3.25}}}};
    std::ostringstream out;
    write_run(out, run, "tag");
    CHECK(out.str() == "1 Q0 12 1 9.5 tag\n1 Q0 13 2 3.25 tag\n");
    std::istringstream again(out.str());
    auto read = read_run(again);
    REQUIRE(read["1"].size() == 2);
    CHECK(read["1"][1].docid == "13");
    std::istringstream bad("1 0 x\n");
    CHECK_THROWS_WITH_AS((void)read_qrels(bad), doctest::Contains("line 1"), std::runtime_error);
}
