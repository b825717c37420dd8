// broadsheet-eval: runs a query set against an index through the server's own
// query path, writes a TREC run and scores it against relevance judgments.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <xapian.h>
#include <CLI/CLI.hpp>

#include "broadsheet/eval/runner.hpp"
#include "broadsheet/eval/trec.hpp"
#include "broadsheet/schema/command_line.hpp"

namespace be = broadsheet::eval;

int main(int argc, char** argv) try {
    be::RunOptions options;
    std::string queries_path, qrels_path, run_path, log_level = "warn";
    bool complete = false;
    CLI::App app{"broadsheet-eval: TREC run and nDCG@10 / MAP / P@10 / Recall@100 for a query set"};
    app.add_option("--index", options.index, "index root")->envname("BROADSHEET_INDEX")->required();
    app.add_option("--queries", queries_path, "queries file: qid<TAB>query per line")->required();
    app.add_option("--qrels", qrels_path, "TREC qrels to score the run against");
    app.add_option("--run", run_path, "write the TREC run here");
    app.add_option("--op", options.op, "default operator: or (natural-language queries) or and")
        ->capture_default_str()
        ->check(CLI::IsMember({"and", "or"}));
    app.add_option("--depth", options.depth, "documents retrieved per query")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    app.add_option("--k1", options.k1, "BM25 k1 instead of the index schema's")->check(CLI::Range(0.0, 10.0));
    app.add_option("--b", options.b, "BM25 b instead of the index schema's")->check(CLI::Range(0.0, 1.0));
    app.add_option("--proximity", options.proximity,
                   "weight of the bonus for neighbouring query words close together (0: off)")
        ->check(CLI::Range(0.0, 10.0));
    app.add_option("--proximity-window", options.proximity_window, "positions the neighbouring words may span")
        ->check(CLI::Range(2, 100));
    app.add_flag("--expand,!--no-expand", options.expand,
                 "pseudo-relevance feedback on (or off), whatever the index schema says");
    app.add_option("--expand-documents", options.expand_documents, "top results expansion terms come from")
        ->check(CLI::Range(1, 100));
    app.add_option("--expand-terms", options.expand_terms, "expansion terms added")->check(CLI::Range(1, 100));
    app.add_option("--expand-weight", options.expand_weight,
                   "weight of the best expansion term relative to a query word")
        ->check(CLI::Range(0.0, 10.0));
    app.add_flag("--complete", complete, "count queries with no results as zeros (trec_eval -c)");
    broadsheet::schema::add_log_level_option(app, log_level);
    const int exit_code = broadsheet::schema::parse_command_line(app, argc, argv, [&log_level] {
        broadsheet::schema::validate_log_level(log_level);
    });
    if (exit_code >= 0) return exit_code;
    broadsheet::schema::log_to_stderr("eval", log_level);

    std::ifstream queries(queries_path);
    if (!queries) throw std::runtime_error("cannot read " + queries_path);
    const auto result = be::run_queries(queries, options);
    if (!run_path.empty()) {
        std::ofstream out(run_path);
        be::write_run(out, result.run, "broadsheet");
    }
    std::printf("queries\t%d (%d run as plain words)\n", result.queries, result.as_plain_words);
    if (!result.milliseconds.empty()) {
        auto ms = result.milliseconds;
        std::sort(ms.begin(), ms.end());
        // Nearest rank, as the benchmark harness reports percentiles.
        auto at = [&ms](double p) {
            return ms[static_cast<std::size_t>(std::ceil(p * static_cast<double>(ms.size()))) - 1];
        };
        std::printf("p50_ms\t%.3f\np99_ms\t%.3f\n", at(0.5), at(0.99));
    }
    if (!qrels_path.empty()) {
        std::ifstream qrels_in(qrels_path);
        if (!qrels_in) throw std::runtime_error("cannot read " + qrels_path);
        const auto summary = be::evaluate(result.run, be::read_qrels(qrels_in), complete);
        std::printf("evaluated\t%zu\nndcg_cut_10\t%.4f\nmap\t%.4f\nP_10\t%.4f\nrecall_100\t%.4f\n", summary.queries,
                    summary.mean.ndcg_cut_10, summary.mean.map, summary.mean.p_10, summary.mean.recall_100);
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "broadsheet-eval: %s\n", e.what());
    return 1;
} catch (const Xapian::Error& e) {
    // Xapian's errors are not std::exceptions.
    std::fprintf(stderr, "broadsheet-eval: %s\n", e.get_description().c_str());
    return 1;
}
