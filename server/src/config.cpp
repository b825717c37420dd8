#include "broadsheet/server/config.hpp"

#include <set>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace broadsheet::server {

void ServerConfig::validate() const {
    if (index_dir.empty()) throw std::invalid_argument("--index is required");
    if (port < 0 || port > 65535) throw std::invalid_argument("--port must be between 0 and 65535");
    if (threads < 1 || threads > 4096) throw std::invalid_argument("--threads must be between 1 and 4096");
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
    if (max_wildcard_expansion < 1) throw std::invalid_argument("--max-wildcard-expansion must be at least 1");
    // spdlog turns an unknown level name into "off", silencing every log line.
    static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!levels.contains(log_level))
        throw std::invalid_argument("--log-level must be one of trace, debug, info, warn, error, critical, off");
}

auto parse_config(int argc, const char* const* argv, int& exit_code) -> ServerConfig {
    ServerConfig config;
    CLI::App app{"broadsheet-server: ranked full-text search over a Broadsheet index, over HTTP"};
    app.add_option("--index", config.index_dir, "index root directory (holding CURRENT)")
        ->envname("BROADSHEET_INDEX");
    app.add_option("--host", config.host, "address to listen on")->envname("BROADSHEET_HOST");
    app.add_option("--port", config.port, "port to listen on; 0 picks a free one")->envname("BROADSHEET_PORT");
    app.add_option("--threads", config.threads, "worker threads (one per concurrent connection)")
        ->envname("BROADSHEET_THREADS");
    app.add_option("--poll-ms", config.poll_ms, "how often to check for a new index generation")
        ->envname("BROADSHEET_POLL_MS");
    app.add_option("--keep-alive", config.keep_alive_seconds, "idle keep-alive timeout in seconds")
        ->envname("BROADSHEET_KEEP_ALIVE");
    app.add_option("--keep-alive-requests", config.keep_alive_max_requests,
                   "requests per keep-alive connection")->envname("BROADSHEET_KEEP_ALIVE_REQUESTS");
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
    app.add_option("--max-wildcard-expansion", config.max_wildcard_expansion,
                   "words a prefix* may expand to")->envname("BROADSHEET_MAX_WILDCARD_EXPANSION");
    app.add_option("--max-concurrent-searches", config.max_concurrent_searches,
                   "searches run at once, the rest wait in arrival order (0 = one per core)")
        ->envname("BROADSHEET_MAX_CONCURRENT_SEARCHES");
    app.add_option("--exact-total-limit", config.exact_total_limit,
                   "count totals exactly up to this many matches (estimate beyond)")
        ->envname("BROADSHEET_EXACT_TOTAL_LIMIT");
    app.add_option("--log-level", config.log_level, "trace, debug, info, warn, error")
        ->envname("BROADSHEET_LOG_LEVEL");
    exit_code = -1;
    try {
        app.parse(argc, argv);
        config.validate();
    } catch (const CLI::ParseError& e) {
        exit_code = app.exit(e);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "%s\nRun with --help for more information.\n", e.what());
        exit_code = 2;
    }
    return config;
}

}  // namespace broadsheet::server
