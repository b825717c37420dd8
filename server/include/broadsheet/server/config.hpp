#pragma once

#include <string>
#include <vector>

namespace broadsheet::server {

struct ServerConfig {
    std::string index_dir;             ///< required: the index root (holding CURRENT)
    std::string host = "127.0.0.1";    ///< loopback unless told otherwise
    int port = 8080;                   ///< 0 = pick a free port (logged)
    int threads = 96;                  ///< worker threads: one per concurrent keep-alive connection
    int poll_ms = 500;                 ///< how often to look for a new generation or revision
    int keep_alive_seconds = 5;        ///< idle keep-alive connections are closed after this
    int keep_alive_max_requests = 1000;  ///< then the connection is closed, freeing its worker
    std::size_t max_query_bytes = 1024;  ///< longer queries get 400 query_too_long
    int max_page_size = 100;
    int max_result_window = 10000;     ///< page * size may not exceed this (deep paging is slow)
    int snippet_length = 200;          ///< default snippet length in characters
    int max_snippet_length = 1000;
    int max_wildcard_expansion = 100;
    int max_concurrent_searches = 0;   ///< searches run at once, the rest queue in order; 0 = one per core
    int exact_total_limit = 1000;      ///< totals are counted exactly up to this many matches, estimated beyond  ///< prefix* may expand to this many words, else 400
    std::string log_level = "info";

    /// Throws std::invalid_argument naming the bad setting.
    void validate() const;
};

/// Reads flags and BROADSHEET_* environment variables (flags win) over the
/// defaults. Returns nullopt-like exit codes through CLI11: on --help or a
/// parse error, prints and sets `exit_code`.
[[nodiscard]] auto parse_config(int argc, const char* const* argv, int& exit_code) -> ServerConfig;

}  // namespace broadsheet::server
