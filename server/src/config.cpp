#include "broadsheet/server/config.hpp"

#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "broadsheet/schema/command_line.hpp"

namespace broadsheet::server {

void ServerConfig::validate() const {
    if (index_dir.empty() == cluster_file.empty())
        throw std::invalid_argument("give exactly one of --index (one index) and --cluster (a cluster file)");
    if (port < 0 || port > 65535) throw std::invalid_argument("--port must be between 0 and 65535");
    if (threads < 1 || threads > 4096) throw std::invalid_argument("--threads must be between 1 and 4096");
    if (max_connections < 16) throw std::invalid_argument("--max-connections must be at least 16");
    if (max_queued_requests < 1) throw std::invalid_argument("--max-queued-requests must be at least 1");
    if (max_queue_wait_ms < 1) throw std::invalid_argument("--max-queue-wait-ms must be at least 1");
    if (max_head_bytes < 1024 || max_head_bytes > 64 * 1024)
        throw std::invalid_argument("--max-head-bytes must be between 1024 and 65536");
    if (head_timeout_ms < 100) throw std::invalid_argument("--head-timeout-ms must be at least 100");
    if (io_timeout_seconds < 1) throw std::invalid_argument("--io-timeout must be at least 1 second");
    if (drain_seconds < 0) throw std::invalid_argument("--drain-timeout must not be negative");
    if (retry_after_seconds < 1) throw std::invalid_argument("--retry-after must be at least 1 second");
    if (max_waiting_searches < 0) throw std::invalid_argument("--max-waiting-searches must not be negative");
    if (max_search_wait_ms < 1) throw std::invalid_argument("--max-search-wait-ms must be at least 1");
    if (search_time_limit_ms < 1) throw std::invalid_argument("--search-time-limit-ms must be at least 1");
    if (max_query_terms < 1) throw std::invalid_argument("--max-query-terms must be at least 1");
    if (max_phrase_terms < 2) throw std::invalid_argument("--max-phrase-terms must be at least 2");
    if (max_filters < 1) throw std::invalid_argument("--max-filters must be at least 1");
    if (max_facet_documents < 1) throw std::invalid_argument("--max-facet-documents must be at least 1");
    if (site_name.empty() || site_name.size() > 200) throw std::invalid_argument("--site-name must be 1 to 200 bytes");
    for (const auto& origin : cors_origins) {
        bool scheme = origin.starts_with("http://") || origin.starts_with("https://");
        if (!scheme || origin.ends_with("/") || origin.find_first_of(" \t\r\n,*") != std::string::npos)
            throw std::invalid_argument("--cors-origin takes exact origins such as https://news.example.org, not '" +
                                        origin + "'");
    }
    if (poll_ms < 10) throw std::invalid_argument("--poll-ms must be at least 10");
    if (keep_alive_seconds < 1) throw std::invalid_argument("--keep-alive must be at least 1 second");
    if (keep_alive_max_requests < 1) throw std::invalid_argument("--keep-alive-requests must be at least 1");
    if (max_query_bytes < 16) throw std::invalid_argument("--max-query-bytes must be at least 16");
    if (max_page_size < 1) throw std::invalid_argument("--max-page-size must be at least 1");
    if (max_result_window < 1) throw std::invalid_argument("--max-result-window must be at least 1");
    if (snippet_length < 10 || snippet_length > max_snippet_length)
        throw std::invalid_argument("--snippet-length must be between 10 and --max-snippet-length");
    if (max_concurrent_searches < 0) throw std::invalid_argument("--max-concurrent-searches must not be negative");
    if (exact_total_limit < 0) throw std::invalid_argument("--exact-total-limit must not be negative");
    if (document_cache_mb < 0 || document_cache_mb > 1024 * 1024)
        throw std::invalid_argument("--document-cache-mb must be between 0 and 1048576");
    if (result_cache_mb < 0 || result_cache_mb > 1024 * 1024)
        throw std::invalid_argument("--result-cache-mb must be between 0 and 1048576");
    if (max_wildcard_expansion < 1) throw std::invalid_argument("--max-wildcard-expansion must be at least 1");
    schema::validate_log_level(log_level);
}

namespace {

// The option table: one line per setting, its flag, its BROADSHEET_* variable
// and what it means (validate() above checks the values).
void add_options(CLI::App& app, ServerConfig& config) {
    app.add_option("--index", config.index_dir, "index root directory (holding CURRENT)")->envname("BROADSHEET_INDEX");
    app.add_option("--cluster", config.cluster_file,
                   "cluster file: the local front database and the shards' replicas (instead of --index)")
        ->envname("BROADSHEET_CLUSTER");
    app.add_option("--host", config.host, "address to listen on")->envname("BROADSHEET_HOST");
    app.add_option("--port", config.port, "port to listen on; 0 picks a free one")->envname("BROADSHEET_PORT");
    app.add_option("--threads", config.threads, "worker threads answering complete requests")
        ->envname("BROADSHEET_THREADS");
    app.add_option("--max-connections", config.max_connections,
                   "connections open at once; then the longest idle is closed, else 503")
        ->envname("BROADSHEET_MAX_CONNECTIONS");
    app.add_option("--max-queued-requests", config.max_queued_requests,
                   "complete requests waiting for a worker before 503")
        ->envname("BROADSHEET_MAX_QUEUED_REQUESTS");
    app.add_option("--max-queue-wait-ms", config.max_queue_wait_ms, "longest wait for a worker before 503")
        ->envname("BROADSHEET_MAX_QUEUE_WAIT_MS");
    app.add_option("--max-head-bytes", config.max_head_bytes, "request line and headers together (431 beyond)")
        ->envname("BROADSHEET_MAX_HEAD_BYTES");
    app.add_option("--head-timeout-ms", config.head_timeout_ms, "time to send a request's headers (408 beyond)")
        ->envname("BROADSHEET_HEAD_TIMEOUT_MS");
    app.add_option("--io-timeout", config.io_timeout_seconds, "seconds one read or write may take")
        ->envname("BROADSHEET_IO_TIMEOUT");
    app.add_option("--drain-timeout", config.drain_seconds, "seconds requests in flight may take after SIGTERM")
        ->envname("BROADSHEET_DRAIN_TIMEOUT");
    app.add_option("--retry-after", config.retry_after_seconds, "Retry-After seconds of a 503")
        ->envname("BROADSHEET_RETRY_AFTER");
    app.add_option("--poll-ms", config.poll_ms, "how often to check for a new index generation")
        ->envname("BROADSHEET_POLL_MS");
    app.add_option("--keep-alive", config.keep_alive_seconds, "idle keep-alive timeout in seconds")
        ->envname("BROADSHEET_KEEP_ALIVE");
    app.add_option("--keep-alive-requests", config.keep_alive_max_requests, "requests per keep-alive connection")
        ->envname("BROADSHEET_KEEP_ALIVE_REQUESTS");
    app.add_option("--max-query-bytes", config.max_query_bytes, "longest accepted query")
        ->envname("BROADSHEET_MAX_QUERY_BYTES");
    app.add_option("--max-page-size", config.max_page_size, "largest accepted size")
        ->envname("BROADSHEET_MAX_PAGE_SIZE");
    app.add_option("--max-result-window", config.max_result_window, "largest page*size")
        ->envname("BROADSHEET_MAX_RESULT_WINDOW");
    app.add_option("--snippet-length", config.snippet_length, "default snippet length (characters)")
        ->envname("BROADSHEET_SNIPPET_LENGTH");
    app.add_option("--max-snippet-length", config.max_snippet_length, "longest snippet_length a request may ask for")
        ->envname("BROADSHEET_MAX_SNIPPET_LENGTH");
    app.add_option("--max-wildcard-expansion", config.max_wildcard_expansion, "words a prefix* may expand to")
        ->envname("BROADSHEET_MAX_WILDCARD_EXPANSION");
    app.add_option("--max-concurrent-searches", config.max_concurrent_searches,
                   "searches run at once, the rest wait in arrival order (0 = one per core)")
        ->envname("BROADSHEET_MAX_CONCURRENT_SEARCHES");
    app.add_option("--max-waiting-searches", config.max_waiting_searches,
                   "index work queued behind the running ones before 503")
        ->envname("BROADSHEET_MAX_WAITING_SEARCHES");
    app.add_option("--max-search-wait-ms", config.max_search_wait_ms, "longest wait for a search slot before 503")
        ->envname("BROADSHEET_MAX_SEARCH_WAIT_MS");
    app.add_option("--search-time-limit-ms", config.search_time_limit_ms,
                   "matching stops after this; the answer says so")
        ->envname("BROADSHEET_SEARCH_TIME_LIMIT_MS");
    app.add_option("--max-query-terms", config.max_query_terms,
                   "terms a query may hold after wildcard and synonym expansion")
        ->envname("BROADSHEET_MAX_QUERY_TERMS");
    app.add_option("--max-phrase-terms", config.max_phrase_terms, "words across a query's phrases and NEAR groups")
        ->envname("BROADSHEET_MAX_PHRASE_TERMS");
    app.add_option("--max-filters", config.max_filters, "exact-value filters in one request")
        ->envname("BROADSHEET_MAX_FILTERS");
    app.add_option("--max-facet-documents", config.max_facet_documents,
                   "facets count at most this many matching documents")
        ->envname("BROADSHEET_MAX_FACET_DOCUMENTS");
    app.add_option("--cors-origin", config.cors_origins,
                   "an origin whose pages may call the JSON API (repeatable; none by default)")
        ->envname("BROADSHEET_CORS_ORIGINS")
        ->delimiter(',');
    app.add_option("--document-cache-mb", config.document_cache_mb,
                   "megabytes of decoded articles kept for the next hits that show them (0 = none)")
        ->envname("BROADSHEET_DOCUMENT_CACHE_MB");
    app.add_option("--result-cache-mb", config.result_cache_mb,
                   "megabytes of finished search answers kept for identical requests (0 = none)")
        ->envname("BROADSHEET_RESULT_CACHE_MB");
    app.add_option("--exact-total-limit", config.exact_total_limit,
                   "count totals exactly up to this many matches (estimate beyond)")
        ->envname("BROADSHEET_EXACT_TOTAL_LIMIT");
    app.add_option("--site-name", config.site_name, "the collection's name, shown on the pages")
        ->envname("BROADSHEET_SITE_NAME");
    schema::add_log_level_option(app, config.log_level);
}

}  // namespace

auto parse_config(int argc, const char* const* argv, int& exit_code) -> ServerConfig {
    ServerConfig config;
    CLI::App app{"broadsheet-server: ranked full-text search over a Broadsheet index, over HTTP"};
    add_options(app, config);
    exit_code = schema::parse_command_line(app, argc, argv, [&config] {
        config.validate();
        if (!config.cluster_file.empty()) config.cluster = ClusterConfig::read(config.cluster_file);
    });
    return config;
}

}  // namespace broadsheet::server
