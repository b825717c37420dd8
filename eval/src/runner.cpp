#include "broadsheet/eval/runner.hpp"

#include <chrono>
#include <stdexcept>

#include "broadsheet/server/config.hpp"
#include "broadsheet/server/index_pool.hpp"
#include "broadsheet/server/search_service.hpp"

namespace broadsheet::eval {

namespace bs = broadsheet::server;

auto run_queries(std::istream& queries, const RunOptions& options) -> RunResult {
    bs::ServerConfig config;
    config.index_dir = options.index;
    config.max_query_bytes = 64 * 1024;
    config.max_page_size = options.depth;
    config.max_result_window = options.depth;
    bs::IndexWatcher watcher(options.index, std::chrono::milliseconds(1000));
    if (!watcher.refresh()) throw std::runtime_error("no index at " + options.index);
    bs::SearcherPool pool(watcher, config.max_wildcard_expansion);
    bs::SearchService service(config, watcher, pool);
    const auto live = service.live();
    const auto& schema = live->schema;
    auto ranking = schema.ranking();
    if (options.k1) ranking.k1 = *options.k1;
    if (options.b) ranking.b = *options.b;
    if (options.proximity) ranking.proximity = *options.proximity;
    if (options.proximity_window) ranking.proximity_window = *options.proximity_window;
    if (options.expand_documents) ranking.expand_documents = *options.expand_documents;
    if (options.expand_terms) ranking.expand_terms = *options.expand_terms;
    if (options.expand_weight) ranking.expand_weight = *options.expand_weight;

    RunResult result;
    std::string line;
    while (std::getline(queries, line)) {
        const auto tab = line.find('\t');
        if (tab == std::string::npos) continue;
        const auto qid = line.substr(0, tab);
        bs::Params params{{"q", line.substr(tab + 1)}, {"op", options.op}, {"size", std::to_string(options.depth)}};
        // Natural-language queries with stray punctuation are read as plain
        // words, as /search reads them.
        auto request = bs::parse_search_request(params, config, schema);
        if (!request.syntax_problem.empty()) ++result.as_plain_words;
        request.expand = options.expand;
        auto& docs = result.run[qid];
        const auto started = std::chrono::steady_clock::now();
        auto ranked = service.rank(request, options.depth, ranking);
        result.milliseconds.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
        for (auto& [id, score] : ranked) docs.push_back({id, score});
        ++result.queries;
    }
    return result;
}

}  // namespace broadsheet::eval
