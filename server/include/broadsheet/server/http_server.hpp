#pragma once
// The HTTP front: a bounded connection layer in front of cpp-httplib's
// request handling.
//
// cpp-httplib gives each connection a worker thread for its whole life, so
// a few hundred idle or slow clients hold every worker and nobody else is
// answered. Here one thread watches every open connection with epoll and
// hands a connection to a worker only once a whole request head has
// arrived; the worker answers that one request and gives the connection
// back. Idle and slow connections therefore cost a descriptor, not a
// thread, and every resource an anonymous client can hold has a limit:
// connections, head size, time to send the head, idle time, requests per
// connection, queued requests and their wait. When the server is full it
// answers 503 with Retry-After at once.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <httplib.h>

#include "broadsheet/server/config.hpp"
#include "broadsheet/server/metrics.hpp"

namespace broadsheet::server {

/// The connection layer's limits (ServerConfig fills them from flags).
struct HttpLimits {
    std::size_t max_connections = 4096;              ///< open at once; then idle ones are closed, else 503
    std::size_t workers = 64;                        ///< threads answering complete requests
    std::size_t max_queued_requests = 512;           ///< complete requests waiting for a worker
    std::chrono::milliseconds max_queue_wait{2000};  ///< longer in the queue: 503
    std::size_t max_head_bytes = 48 * 1024;          ///< request line and headers together
    std::chrono::milliseconds head_timeout{10000};   ///< first byte to end of headers
    std::chrono::milliseconds idle_timeout{5000};    ///< waiting for a request on an open connection
    std::size_t max_requests_per_connection = 1000;
    std::chrono::seconds io_timeout{5};      ///< one read or write of a body or response
    std::chrono::seconds drain_timeout{10};  ///< on stop, how long requests in flight may take
    int retry_after_seconds = 1;
};

/// Counters of what the connection layer refused or closed, for /metrics.
struct HttpCounters {
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> rejected_full{0};   ///< 503: no connection or queue place
    std::atomic<std::uint64_t> evicted_idle{0};    ///< idle connections closed to make room
    std::atomic<std::uint64_t> head_timeouts{0};   ///< 408: headers too slow
    std::atomic<std::uint64_t> head_too_large{0};  ///< 431/414
    std::atomic<std::uint64_t> queue_timeouts{0};  ///< 503: waited too long for a worker
    std::atomic<std::size_t> open_connections{0};
};

class HttpServer : public httplib::Server {
public:
    explicit HttpServer(HttpLimits limits);
    ~HttpServer() override;
    HttpServer(const HttpServer&) = delete;
    auto operator=(const HttpServer&) -> HttpServer& = delete;

    /// Binds and listens; returns the port (useful with port 0). Throws
    /// std::runtime_error naming the address when it cannot.
    auto bind_and_listen(const std::string& host, int port) -> int;
    /// Serves until stop(); then stops accepting, lets requests in flight
    /// finish within the drain timeout and returns whether they all did.
    auto serve() -> bool;
    /// Safe from any thread, before or during serve().
    void stop();

    [[nodiscard]] auto counters() const -> const HttpCounters& { return m_counters; }
    [[nodiscard]] auto limits() const -> const HttpLimits& { return m_limits; }

private:
    // lingering: answered and shut for writing; what the client still sends is
    // read and dropped for a moment, so that closing does not reset the
    // connection (and destroy the answer) while it is still sending.
    enum class ConnectionState { idle, reading_head, with_worker, lingering };
    struct Connection {
        int fd = -1;
        ConnectionState state = ConnectionState::idle;
        std::chrono::steady_clock::time_point deadline;
        std::size_t requests = 0;
        std::size_t head_scanned = 0;  ///< bytes already searched for the end of the head
        std::size_t drained = 0;       ///< bytes dropped while lingering
        std::string remote_addr;
        int remote_port = 0;
        std::string local_addr;
        int local_port = 0;
    };
    struct Job {
        Connection connection;
        std::chrono::steady_clock::time_point queued_at;
    };
    struct Returned {
        Connection connection;
        bool keep_open = false;
    };

    void run_reactor();
    void accept_all();
    void on_readable(int fd, bool peer_hung_up);
    void sweep_deadlines();
    void dispatch(Connection connection);
    void give_back(Connection connection, bool keep_open);
    void take_back_returned();
    auto make_room() -> bool;
    void close_connection(int fd);
    void linger(int fd);
    void drain_lingering(int fd);
    void refuse(int fd, int status, const char* code, const char* message);
    void write_refusal(int fd, int status, const char* code, const char* message) const;
    void watch(int fd);
    void run_worker();
    auto answer_one(Connection& connection) -> bool;
    auto jobs_waiting() -> bool;
    [[nodiscard]] auto next_head_arrives(int fd) const -> bool;
    void wake_reactor();

    HttpLimits m_limits;
    HttpCounters m_counters;
    int m_listen_fd = -1;
    int m_epoll_fd = -1;
    int m_wake_fd = -1;
    std::atomic<bool> m_stopping{false};

    // Owned by the reactor thread.
    std::unordered_map<int, Connection> m_connections;
    std::vector<char> m_peek_buffer;

    // Reactor → workers.
    std::mutex m_jobs_mutex;
    std::condition_variable m_jobs_ready;
    std::deque<Job> m_jobs;
    std::size_t m_busy_workers = 0;
    bool m_workers_stop = false;
    std::condition_variable m_workers_idle;

    // Workers → reactor.
    std::mutex m_returned_mutex;
    std::vector<Returned> m_returned;

    std::vector<std::thread> m_workers;
};

/// The limits a configuration sets.
[[nodiscard]] auto http_limits(const ServerConfig& config) -> HttpLimits;

/// The counters as /metrics reports them.
[[nodiscard]] auto serving_figures(const HttpCounters& counters) -> ServingFigures;

/// Set by a handler so that the connection is closed after its answer
/// (e.g. an unread request body would otherwise be taken as the next request).
void close_after_this_response();

}  // namespace broadsheet::server
