#pragma once
// Runs a query set against an index through the server's own query path
// (query parsing, syntax fallback, ranking), without HTTP.

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "broadsheet/eval/trec.hpp"

namespace broadsheet::eval {

struct RunOptions {
    std::string index;      ///< the index root
    std::string op = "or";  ///< default operator: "or" for natural-language queries, or "and"
    int depth = 1000;       ///< documents retrieved per query
    /// Replace the index schema's ranking parameters (query-time only; field
    /// weights are fixed when the index is built).
    std::optional<double> k1, b, proximity, expand_weight;
    std::optional<unsigned> proximity_window, expand_documents, expand_terms;
    std::optional<bool> expand;  ///< pseudo-relevance feedback on or off (absent: the schema's default)
};

struct RunResult {
    Run run;
    int queries = 0;
    int as_plain_words = 0;            ///< queries whose syntax was not valid, run as plain words (as /search does)
    std::vector<double> milliseconds;  ///< each query's ranking time, in query order
};

/// Runs every "qid<TAB>query" line of `queries` (other lines are skipped).
/// Throws std::runtime_error when there is no index.
[[nodiscard]] auto run_queries(std::istream& queries, const RunOptions& options) -> RunResult;

}  // namespace broadsheet::eval
