#pragma once
// Runs a query set against an index through the server's own query path
// (query parsing, syntax fallback, ranking), without HTTP.

#include <istream>
#include <string>

#include "broadsheet/eval/trec.hpp"

namespace broadsheet::eval {

struct RunOptions {
    std::string index;      ///< the index root
    std::string op = "or";  ///< default operator: "or" for natural-language queries, or "and"
    int depth = 1000;       ///< documents retrieved per query
};

struct RunResult {
    Run run;
    int queries = 0;
    int as_plain_words = 0;  ///< queries whose syntax was not valid, run as plain words (as /search does)
};

/// Runs every "qid<TAB>query" line of `queries` (other lines are skipped).
/// Throws std::runtime_error when there is no index.
[[nodiscard]] auto run_queries(std::istream& queries, const RunOptions& options) -> RunResult;

}  // namespace broadsheet::eval
