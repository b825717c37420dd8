// broadsheet-eval: runs a query set against an index through the server's own
// query path, writes a TREC run and scores it against relevance judgments.
#include <cstdio>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "broadsheet/eval/trec.hpp"
#include "broadsheet/server/index_pool.hpp"
#include "broadsheet/server/search_service.hpp"

namespace be = broadsheet::eval;
namespace bs = broadsheet::server;

int main(int argc, char** argv) try {
    CLI::App app{"broadsheet-eval: TREC run and nDCG@10 / MAP / P@10 / Recall@100 for a query set"};
    std::string index, queries_path, qrels_path, run_path, op = "or";
    int depth = 1000;
    bool complete = false;
    app.add_option("--index", index, "index root")->required();
    app.add_option("--queries", queries_path, "queries file: qid<TAB>query per line")->required();
    app.add_option("--qrels", qrels_path, "TREC qrels to score the run against");
    app.add_option("--run", run_path, "write the TREC run here");
    app.add_option("--op", op, "default operator: or (natural-language queries) or and")->check(CLI::IsMember({"and", "or"}));
    app.add_option("--depth", depth, "documents retrieved per query")->check(CLI::Range(1, 10000));
    app.add_flag("--complete", complete, "count queries with no results as zeros (trec_eval -c)");
    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(spdlog::level::warn);

    bs::ServerConfig config;
    config.index_dir = index;
    config.max_query_bytes = 64 * 1024;
    config.max_page_size = depth;
    config.max_result_window = depth;
    bs::IndexWatcher watcher(index, std::chrono::milliseconds(1000));
    if (!watcher.refresh()) throw std::runtime_error("no index at " + index);
    bs::SearcherPool pool(watcher, config.max_wildcard_expansion);
    bs::SearchService service(config, watcher, pool);
    auto live = service.live();
    const auto& schema = live->schema;

    std::ifstream queries(queries_path);
    if (!queries) throw std::runtime_error("cannot read " + queries_path);
    be::Run run;
    std::string line;
    int count = 0, retried = 0;
    while (std::getline(queries, line)) {
        auto tab = line.find('\t');
        if (tab == std::string::npos) continue;
        auto qid = line.substr(0, tab);
        auto text = line.substr(tab + 1);
        bs::Params params{{"q", text}, {"op", op}, {"size", std::to_string(depth)}};
        // Natural-language queries with stray punctuation are read as plain
        // words, as /search reads them.
        auto request = bs::parse_search_request(params, config, schema);
        if (!request.syntax_problem.empty()) ++retried;
        auto& docs = run[qid];
        for (auto& [id, score] : service.rank(request, depth)) docs.push_back({id, score});
        ++count;
    }
    if (!run_path.empty()) {
        std::ofstream out(run_path);
        be::write_run(out, run, "broadsheet");
    }
    std::printf("queries\t%d (%d run as plain words)\n", count, retried);
    if (!qrels_path.empty()) {
        std::ifstream qrels_in(qrels_path);
        if (!qrels_in) throw std::runtime_error("cannot read " + qrels_path);
        auto summary = be::evaluate(run, be::read_qrels(qrels_in), complete);
        std::printf("evaluated\t%zu\nndcg_cut_10\t%.4f\nmap\t%.4f\nP_10\t%.4f\nrecall_100\t%.4f\n", summary.queries,
                    summary.mean.ndcg_cut_10, summary.mean.map, summary.mean.p_10, summary.mean.recall_100);
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "broadsheet-eval: %s\n", e.what());
    return 1;
}
