#pragma once
// The server process around what it serves: how it logs, the process limits
// it adjusts at start, and stopping on SIGTERM or SIGINT with the requests in
// flight answered.

#include <csignal>
#include <cstddef>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "broadsheet/server/http_server.hpp"

namespace broadsheet::server {

/// SIGTERM and SIGINT, blocked in every thread and taken by one thread with
/// sigwait, so that no worker is ever interrupted. Construct it before any
/// thread starts (threads inherit the mask, spdlog's included); a signal that
/// arrives during start-up then waits, pending, for serve_until_stopped().
class StopSignals {
public:
    StopSignals();
    StopSignals(const StopSignals&) = delete;
    auto operator=(const StopSignals&) -> StopSignals& = delete;

    /// Serves until SIGTERM or SIGINT, then stops accepting and drains; returns
    /// whether every request in flight finished within the drain timeout.
    [[nodiscard]] auto serve_until_stopped(HttpServer& server) -> bool;

private:
    sigset_t m_signals{};
};

/// Logs to standard output from `level` up, written by a background thread so
/// that a worker never waits on a write. To a terminal, lines go out as they
/// come (a full queue drops its oldest); to a file or pipe, they are gathered
/// and written in batches (a warning at once), so that a busy server does not
/// wake that thread once per request. Hold the logger until after
/// spdlog::shutdown(): it is then destroyed once the background thread has
/// been joined, never while that thread still formats or writes a line.
/// Flush it before leaving without destructors (std::_Exit).
[[nodiscard]] auto start_logging(const std::string& level) -> std::shared_ptr<spdlog::logger>;

/// Keeps large freed buffers in the process instead of returning each to the
/// kernel, which cost a fifth of the CPU on long articles.
void keep_large_buffers();

/// Raises the soft descriptor limit to the hard one, so that `max_connections`
/// is reachable, and warns when it still is not.
void raise_descriptor_limit(std::size_t max_connections);

}  // namespace broadsheet::server
