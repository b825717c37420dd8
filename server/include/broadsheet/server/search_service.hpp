#pragma once
// The search operations behind the routes, returning typed results
// (results.hpp) that the routes serialise and the pages render.

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "broadsheet/server/admission.hpp"
#include "broadsheet/server/config.hpp"
#include "broadsheet/server/document_cache.hpp"
#include "broadsheet/server/index_pool.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/result_cache.hpp"
#include "broadsheet/server/results.hpp"

namespace broadsheet::server {

/// A search as the route needs it: the request read against the schema of
/// the index that answered it, and the answer.
struct SearchOutcome {
    SearchRequest request;
    SearchResult result;
};

/// One search on a searcher the caller holds: ranked hits with titles and
/// snippets, totals, facets, suggestion, as /search answers. SearchService
/// leases its searchers from the pool; a searcher built by hand (a database
/// of shards, a test) searches the same way. `built` is the request's query
/// when already built and priced.
[[nodiscard]] auto run_search(Searcher& searcher, DocumentCache& cache, const SearchRequest& request,
                              const ServerConfig& config, bool for_page = false,
                              const std::function<bool()>& client_gone = {}, BuiltQuery built = {}) -> SearchResult;

class SearchService {
public:
    SearchService(const ServerConfig& config, IndexWatcher& watcher, SearcherPool& pool);

    /// The live generation (its schema included); throws index_unavailable() while there is none.
    [[nodiscard]] auto live() const -> std::shared_ptr<const IndexInfo>;
    [[nodiscard]] auto config() const -> const ServerConfig& { return m_config; }

    /// Ranked hits with highlighted titles and snippets, totals, facets, suggestion.
    /// The parameters are read against the schema of the generation that runs
    /// the search, so a generation published meanwhile cannot change the
    /// fields under it. `for_page` counts every facet (the page's sidebar).
    /// `client_gone` is asked before costly steps: work for a client that has
    /// left stops there.
    [[nodiscard]] auto search(const Params& params, bool for_page, const std::function<bool()>& client_gone = {})
        -> SearchOutcome;
    /// The same for an already validated request (evaluation, tests).
    [[nodiscard]] auto search(const SearchRequest& request) -> SearchResult;
    /// Ids and scores of the first `depth` hits, ranked exactly as /search ranks
    /// them, without snippets (relevance evaluation); `ranking`, when given,
    /// replaces the schema's scoring parameters.
    [[nodiscard]] auto rank(const SearchRequest& request, int depth, const std::optional<schema::Ranking>& ranking = {})
        -> std::vector<std::pair<std::string, double>>;
    /// One stored article; throws ApiError 404 if absent.
    [[nodiscard]] auto article(std::string_view id) -> nlohmann::json;
    /// An article for its page: stored fields, title_html and body_html with the
    /// words of `query` marked (escaped text otherwise), and related hits.
    [[nodiscard]] auto article_view(std::string_view id, const std::string& query) -> ArticleView;
    /// More like this: articles sharing the most telling words of article `id`
    /// (Xapian's relevance-feedback expansion), excluding itself. 404 if absent.
    /// `for_page` also reads the hits' shown parts.
    [[nodiscard]] auto related(std::string_view id, int size, bool for_page = false) -> Related;
    /// Completions of the last word of `text` from the index's vocabulary,
    /// most frequent first.
    [[nodiscard]] auto suggest(std::string_view text, int size) -> Suggestions;
    /// documents, generation, built_at, fields.
    [[nodiscard]] auto stats() const -> IndexStats;
    /// What there is to browse: document count and every facet's counts over
    /// the whole index, worked out once per index revision.
    [[nodiscard]] auto overview() -> Overview;
    /// The live generation, or nullptr while there is none.
    [[nodiscard]] auto index_info() const -> std::shared_ptr<const IndexInfo> { return m_watcher.info(); }
    /// Whether an index is open and readable, with its generation and document count.
    [[nodiscard]] auto readiness() const -> std::pair<bool, nlohmann::json>;
    /// Cluster mode: what the shards hold and which are out of reach, for
    /// answers' entity tags; empty for a single index.
    [[nodiscard]] auto cache_state() const -> std::string;
    /// The cluster in cluster mode, else nullptr.
    [[nodiscard]] auto cluster() const -> const Cluster* { return m_pool.cluster(); }
    /// Finished /search answers kept for identical requests (filled and read by the route).
    [[nodiscard]] auto results() -> ResultCache& { return m_results; }
    [[nodiscard]] auto results() const -> const ResultCache& { return m_results; }
    /// The index work admitted and waiting right now (for /metrics).
    [[nodiscard]] auto admission() const -> const FifoGate& { return m_gate; }

private:
    /// A place for index work, or ApiError 503 when too many are running and waiting.
    [[nodiscard]] auto admit() -> FifoGate::Pass;
    /// Whether a query is costly enough to go through the narrow lane.
    [[nodiscard]] static auto is_heavy(const QueryCost& cost) -> bool;
    const ServerConfig& m_config;
    IndexWatcher& m_watcher;
    SearcherPool& m_pool;
    FifoGate m_gate;
    FifoGate m_heavy_gate;      ///< at most half the places, for costly queries (taken before m_gate)
    DocumentCache m_documents;  ///< hits' stored documents, decoded
    ResultCache m_results;      ///< finished answers
    std::mutex m_overview_mutex;
    [[nodiscard]] static auto overview_key(const IndexInfo& info) -> std::string;
    std::string m_overview_of;  ///< what m_overview counts: generation, revision, shard contents
    Overview m_overview;
};

}  // namespace broadsheet::server
