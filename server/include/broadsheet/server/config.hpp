#pragma once

#include <optional>
#include <string>
#include <vector>

#include "broadsheet/server/cluster_config.hpp"

namespace broadsheet::server {

struct ServerConfig {
    std::string index_dir;                 ///< the index root (holding CURRENT); or else cluster_file
    std::string cluster_file;              ///< cluster mode: the cluster file (cluster_config.hpp)
    std::optional<ClusterConfig> cluster;  ///< read from cluster_file by parse_config
    std::string host = "127.0.0.1";        ///< loopback unless told otherwise
    int port = 8080;                       ///< 0 = pick a free port (logged)
    int poll_ms = 500;                     ///< how often to look for a new generation or revision

    // Connections (see http_server.hpp): what one anonymous client can hold.
    int threads = 64;                    ///< workers answering complete requests (idle connections hold none)
    int max_connections = 4096;          ///< open at once; then the longest idle is closed, else 503
    int max_queued_requests = 512;       ///< complete requests waiting for a worker, else 503
    int max_queue_wait_ms = 2000;        ///< a request waiting longer for a worker gets 503
    int max_head_bytes = 48 * 1024;      ///< request line plus headers (431/414 beyond)
    int head_timeout_ms = 10000;         ///< first byte to end of headers (408 beyond)
    int keep_alive_seconds = 5;          ///< idle connections are closed after this
    int keep_alive_max_requests = 1000;  ///< then the connection is closed
    int io_timeout_seconds = 5;          ///< one read or write on a connection
    int drain_seconds = 10;              ///< on SIGTERM, how long requests in flight may take
    int retry_after_seconds = 1;         ///< the Retry-After of a 503

    // Searches: admission and cost.
    int max_concurrent_searches = 0;     ///< index work run at once, the rest queue in order; 0 = one per core
    int max_waiting_searches = 64;       ///< index work queued behind them, else 503
    int max_search_wait_ms = 1000;       ///< queued longer: 503
    int search_time_limit_ms = 500;      ///< Xapian stops matching after this (results may be partial)
    std::size_t max_query_bytes = 8192;  ///< longer queries get 400 query_too_long
    int max_query_terms = 1024;          ///< terms after wildcard and synonym expansion, else 400
    int max_phrase_terms = 64;           ///< words across the query's phrases and NEAR groups, else 400
    int max_filters = 32;                ///< exact-value filters in one request, else 400
    int max_page_size = 100;
    int max_result_window = 10000;  ///< page * size may not exceed this (deep paging is slow)
    int snippet_length = 200;       ///< default snippet length in characters
    int max_snippet_length = 1000;
    int max_wildcard_expansion = 100;  ///< prefix* may expand to this many words, else 400
    int exact_total_limit = 1000;      ///< totals are counted exactly up to this many matches, estimated beyond
    int max_facet_documents = 100000;  ///< facets are counted over at most this many matching documents
    int document_cache_mb = 64;        ///< decoded stored documents kept for the next hits; 0 = none
    int result_cache_mb = 32;          ///< finished search answers kept for identical requests; 0 = none

    /// Origins (scheme://host[:port]) whose pages may call the JSON API from a
    /// browser; none by default.
    std::vector<std::string> cors_origins;
    std::string log_level = "info";
    std::string site_name = "Broadsheet";  ///< the collection's name in the pages' masthead and titles

    /// Throws std::invalid_argument naming the bad setting.
    void validate() const;
};

/// Reads flags and BROADSHEET_* environment variables (flags win) over the
/// defaults and validates the result. Sets `exit_code` to -1 to go on, or to
/// the code to exit with after --help or a bad command line (printed), as
/// schema::parse_command_line does for every Broadsheet binary.
[[nodiscard]] auto parse_config(int argc, const char* const* argv, int& exit_code) -> ServerConfig;

}  // namespace broadsheet::server
