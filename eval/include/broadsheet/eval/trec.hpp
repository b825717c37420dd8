#pragma once
// TREC runs and qrels, and the measures trec_eval reports for them:
// ndcg_cut_10, map, P_10 and recall_100, computed the way trec_eval 9.x does.

#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace broadsheet::eval {

/// qid -> docid -> relevance (> 0 is relevant; higher is more relevant).
using Qrels = std::map<std::string, std::map<std::string, int>>;

struct RankedDoc {
    std::string docid;
    double score = 0;
};

/// qid -> documents as retrieved.
using Run = std::map<std::string, std::vector<RankedDoc>>;

/// Reads "qid 0 docid rel" lines; throws std::runtime_error naming the line if malformed.
[[nodiscard]] auto read_qrels(std::istream& in) -> Qrels;
/// Reads "qid Q0 docid rank score tag" lines.
[[nodiscard]] auto read_run(std::istream& in) -> Run;
/// Writes a run in TREC format, ranks from 1 in the order given.
void write_run(std::ostream& out, const Run& run, const std::string& tag);

struct Measures {
    double ndcg_cut_10 = 0;
    double map = 0;
    double p_10 = 0;
    double recall_100 = 0;
};

/// The measures of one query. Like trec_eval, documents are ordered by
/// score descending, ties by docid descending, whatever the run's ranks say.
[[nodiscard]] auto evaluate_query(std::vector<RankedDoc> ranked, const std::map<std::string, int>& judged) -> Measures;

struct Summary {
    Measures mean;
    std::size_t queries = 0;
};

/// Means over the queries that have relevant documents in the qrels and
/// appear in the run (trec_eval's default); with `complete`, queries the run
/// lacks count as zeros (trec_eval -c).
[[nodiscard]] auto evaluate(const Run& run, const Qrels& qrels, bool complete = false) -> Summary;

}  // namespace broadsheet::eval
