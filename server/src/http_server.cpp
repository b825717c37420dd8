#include "broadsheet/server/http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include <spdlog/spdlog.h>

namespace broadsheet::server {

namespace {

using Clock = std::chrono::steady_clock;

thread_local bool t_close_after_response = false;

// How often deadlines are checked: the precision of the head and idle timeouts.
constexpr auto sweep_interval = std::chrono::milliseconds(100);

// How long, and how much, a closing connection is read and dropped (nginx's lingering close).
constexpr auto linger_time = std::chrono::milliseconds(1000);
constexpr std::size_t linger_bytes = 4 * 1024 * 1024;

// How long a worker that has just answered waits for the same client's next
// request before handing the connection back to the reactor.
constexpr auto follow_up_wait = std::chrono::milliseconds(1);

void set_nonblocking(int fd, bool on) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags >= 0) fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

void set_io_timeouts(int fd, std::chrono::seconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count());
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

auto address_of(const sockaddr_storage& address, int& port) -> std::string {
    char host[NI_MAXHOST] = {};
    char service[NI_MAXSERV] = {};
    auto length = static_cast<socklen_t>(address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host, sizeof host, service, sizeof service,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return {};
    port = std::atoi(service);
    return host;
}

// Where a request head ends ("\r\n\r\n", or bare "\n\n" from lenient clients),
// searching from `from`; npos while it has not arrived.
auto end_of_head(std::string_view bytes, std::size_t from) -> std::size_t {
    for (std::size_t i = from; i < bytes.size(); ++i) {
        if (bytes[i] != '\n') continue;
        if (i >= 1 && bytes[i - 1] == '\n') return i + 1;
        if (i >= 2 && bytes[i - 1] == '\r' && bytes[i - 2] == '\n') return i + 1;
    }
    return std::string_view::npos;
}

}  // namespace

void close_after_this_response() { t_close_after_response = true; }

auto http_limits(const ServerConfig& config) -> HttpLimits {
    HttpLimits limits;
    limits.max_connections = static_cast<std::size_t>(config.max_connections);
    limits.workers = static_cast<std::size_t>(config.threads);
    limits.max_queued_requests = static_cast<std::size_t>(config.max_queued_requests);
    limits.max_queue_wait = std::chrono::milliseconds(config.max_queue_wait_ms);
    limits.max_head_bytes = static_cast<std::size_t>(config.max_head_bytes);
    limits.head_timeout = std::chrono::milliseconds(config.head_timeout_ms);
    limits.idle_timeout = std::chrono::seconds(config.keep_alive_seconds);
    limits.max_requests_per_connection = static_cast<std::size_t>(config.keep_alive_max_requests);
    limits.io_timeout = std::chrono::seconds(config.io_timeout_seconds);
    limits.drain_timeout = std::chrono::seconds(config.drain_seconds);
    limits.retry_after_seconds = config.retry_after_seconds;
    return limits;
}

auto serving_figures(const HttpCounters& counters) -> ServingFigures {
    ServingFigures figures;
    figures.connections_accepted = counters.accepted.load(std::memory_order_relaxed);
    figures.connections_open = counters.open_connections.load(std::memory_order_relaxed);
    figures.rejected_full = counters.rejected_full.load(std::memory_order_relaxed);
    figures.evicted_idle = counters.evicted_idle.load(std::memory_order_relaxed);
    figures.head_timeouts = counters.head_timeouts.load(std::memory_order_relaxed);
    figures.head_too_large = counters.head_too_large.load(std::memory_order_relaxed);
    figures.queue_timeouts = counters.queue_timeouts.load(std::memory_order_relaxed);
    return figures;
}

HttpServer::HttpServer(HttpLimits limits) : m_limits(limits) {
    m_peek_buffer.resize(m_limits.max_head_bytes + 1);
    // Read by cpp-httplib for the Keep-Alive header it sends.
    set_keep_alive_timeout(
        static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(m_limits.idle_timeout).count()));
    set_keep_alive_max_count(m_limits.max_requests_per_connection);
    set_payload_max_length(0);
}

HttpServer::~HttpServer() {
    stop();
    for (auto& worker : m_workers)
        if (worker.joinable()) worker.join();
    for (auto& [fd, connection] : m_connections) ::close(fd);
    if (m_listen_fd >= 0) ::close(m_listen_fd);
    if (m_epoll_fd >= 0) ::close(m_epoll_fd);
    if (m_wake_fd >= 0) ::close(m_wake_fd);
}

auto HttpServer::bind_and_listen(const std::string& host, int port) -> int {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    auto service = std::to_string(port);
    if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
        throw std::runtime_error("cannot resolve " + host + ": " + gai_strerror(rc));
    std::string last_error = "no address";
    for (auto* candidate = found; candidate; candidate = candidate->ai_next) {
        int fd = ::socket(candidate->ai_family, candidate->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                          candidate->ai_protocol);
        if (fd < 0) continue;
        int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        if (::bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
            m_listen_fd = fd;
            break;
        }
        last_error = std::strerror(errno);
        ::close(fd);
    }
    freeaddrinfo(found);
    if (m_listen_fd < 0) throw std::runtime_error("cannot listen on " + host + ":" + service + ": " + last_error);

    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&bound), &length);
    int bound_port = 0;
    address_of(bound, bound_port);

    m_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    m_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epoll_fd < 0 || m_wake_fd < 0) throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_listen_fd;
    epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, m_listen_fd, &event);
    event.data.fd = m_wake_fd;
    epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, m_wake_fd, &event);
    return bound_port;
}

void HttpServer::stop() {
    m_stopping.store(true, std::memory_order_release);
    wake_reactor();
}

void HttpServer::wake_reactor() {
    if (m_wake_fd < 0) return;
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(m_wake_fd, &one, sizeof one);
}

auto HttpServer::serve() -> bool {
    if (m_listen_fd < 0) throw std::logic_error("serve() before bind_and_listen()");
    m_workers.reserve(m_limits.workers);
    for (std::size_t i = 0; i < m_limits.workers; ++i) m_workers.emplace_back([this] { run_worker(); });
    run_reactor();

    // Stopping: no new connections; idle ones close now, busy ones after their answer.
    ::close(m_listen_fd);
    m_listen_fd = -1;
    for (auto it = m_connections.begin(); it != m_connections.end();) {
        if (it->second.state == ConnectionState::with_worker) {
            ++it;
            continue;
        }
        ::close(it->first);
        it = m_connections.erase(it);
    }
    bool drained = false;
    {
        std::unique_lock lock(m_jobs_mutex);
        // Queued requests are still answered: they arrived before the stop.
        drained = m_workers_idle.wait_for(lock, m_limits.drain_timeout,
                                          [this] { return m_jobs.empty() && m_busy_workers == 0; });
        m_workers_stop = true;
    }
    m_jobs_ready.notify_all();
    if (!drained) {
        spdlog::warn("requests still in flight after the {} s drain timeout", m_limits.drain_timeout.count());
        // Workers stuck in a request cannot be joined; the process is ending.
        for (auto& worker : m_workers) worker.detach();
        return false;
    }
    for (auto& worker : m_workers) worker.join();
    take_back_returned();
    return true;
}

void HttpServer::run_reactor() {
    constexpr int max_events = 256;
    epoll_event events[max_events];
    auto next_sweep = Clock::now() + sweep_interval;
    while (!m_stopping.load(std::memory_order_acquire)) {
        auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next_sweep - Clock::now()).count();
        int count = epoll_wait(m_epoll_fd, events, max_events, static_cast<int>(std::max<long>(0, wait_ms)));
        if (count < 0 && errno != EINTR) {
            spdlog::error("epoll_wait: {}", std::strerror(errno));
            break;
        }
        for (int i = 0; i < count; ++i) {
            int fd = events[i].data.fd;
            if (fd == m_listen_fd) {
                accept_all();
            } else if (fd == m_wake_fd) {
                std::uint64_t ignored = 0;
                [[maybe_unused]] auto got = ::read(m_wake_fd, &ignored, sizeof ignored);
                take_back_returned();
            } else {
                on_readable(fd, (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
            }
        }
        if (Clock::now() >= next_sweep) {
            sweep_deadlines();
            next_sweep = Clock::now() + sweep_interval;
        }
    }
}

void HttpServer::accept_all() {
    for (;;) {
        sockaddr_storage peer{};
        socklen_t length = sizeof peer;
        int fd = ::accept4(m_listen_fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            if (errno == EMFILE || errno == ENFILE) {
                // Out of descriptors: free one by closing an idle connection, if any.
                if (make_room()) continue;
                spdlog::warn("out of file descriptors with {} connections open", m_connections.size());
            }
            return;  // EAGAIN: all accepted
        }
        m_counters.accepted.fetch_add(1, std::memory_order_relaxed);
        if (m_connections.size() >= m_limits.max_connections && !make_room()) {
            m_counters.rejected_full.fetch_add(1, std::memory_order_relaxed);
            refuse(fd, 503, "overloaded", "the server has too many connections; retry shortly");
            continue;
        }
        int yes = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        set_io_timeouts(fd, m_limits.io_timeout);
        Connection connection;
        connection.fd = fd;
        connection.deadline = Clock::now() + m_limits.idle_timeout;
        connection.remote_addr = address_of(peer, connection.remote_port);
        sockaddr_storage local{};
        socklen_t local_length = sizeof local;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) == 0)
            connection.local_addr = address_of(local, connection.local_port);
        m_connections.emplace(fd, std::move(connection));
        m_counters.open_connections.store(m_connections.size(), std::memory_order_relaxed);
        watch(fd);
    }
}

void HttpServer::watch(int fd) {
    // Edge-triggered: a partial head is looked at again only when more bytes come.
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    event.data.fd = fd;
    if (epoll_ctl(m_epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) close_connection(fd);
}

// Closes the connection that has waited longest for a request (an idle
// keep-alive one first, then the oldest unfinished head), as nginx reuses
// idle connections when it runs out.
auto HttpServer::make_room() -> bool {
    int victim = -1;
    bool victim_idle = false;
    Clock::time_point victim_deadline = Clock::time_point::max();
    for (const auto& [fd, connection] : m_connections) {
        if (connection.state == ConnectionState::with_worker) continue;
        if (connection.state == ConnectionState::lingering) {
            victim = fd;  // already answered: the cheapest to close
            break;
        }
        bool idle = connection.state == ConnectionState::idle;
        if ((idle && !victim_idle) || (idle == victim_idle && connection.deadline < victim_deadline)) {
            victim = fd;
            victim_idle = idle;
            victim_deadline = connection.deadline;
        }
    }
    if (victim < 0) return false;
    m_counters.evicted_idle.fetch_add(1, std::memory_order_relaxed);
    close_connection(victim);
    return true;
}

void HttpServer::linger(int fd) {
    auto it = m_connections.find(fd);
    if (it == m_connections.end()) {
        ::close(fd);
        return;
    }
    it->second.state = ConnectionState::lingering;
    it->second.deadline = Clock::now() + linger_time;
    it->second.drained = 0;
    set_nonblocking(fd, true);
    epoll_ctl(m_epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    watch(fd);
    if (m_connections.contains(fd)) drain_lingering(fd);
}

void HttpServer::drain_lingering(int fd) {
    auto& connection = m_connections.at(fd);
    char discard[65536];
    // Edge-triggered: read until the socket is empty, or no new event comes.
    for (;;) {
        auto got = ::recv(fd, discard, sizeof discard, MSG_DONTWAIT);
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        if (got <= 0) break;  // the client closed too: done
        connection.drained += static_cast<std::size_t>(got);
        if (connection.drained > linger_bytes) break;
    }
    close_connection(fd);
}

void HttpServer::close_connection(int fd) {
    epoll_ctl(m_epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    m_connections.erase(fd);
    m_counters.open_connections.store(m_connections.size(), std::memory_order_relaxed);
}

// A whole answer written straight to the socket, for requests refused before
// cpp-httplib reads them; nothing more is sent on the connection.
void HttpServer::write_refusal(int fd, int status, const char* code, const char* message) const {
    set_nonblocking(fd, true);
    // Read what has arrived, so that closing does not reset the connection
    // (and destroy the answer) because of unread bytes.
    // Bounded: a client that keeps sending must not keep this thread reading.
    char discard[16384];
    for (int reads = 0; reads < 4 && ::recv(fd, discard, sizeof discard, MSG_DONTWAIT) > 0; ++reads) {}
    std::string body = std::string(R"({"error":{"status":)") + std::to_string(status) + R"(,"code":")" + code +
                       R"(","message":")" + message + "\"}}";
    std::string reason = status == 503   ? "Service Unavailable"
                         : status == 408 ? "Request Timeout"
                         : status == 414 ? "URI Too Long"
                                         : "Request Header Fields Too Large";
    std::string answer = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                         "\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nCache-Control: no-store\r\nConnection: close\r\n";
    if (status == 503) answer += "Retry-After: " + std::to_string(m_limits.retry_after_seconds) + "\r\n";
    answer += "\r\n" + body;
    [[maybe_unused]] auto sent = ::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
}

void HttpServer::refuse(int fd, int status, const char* code, const char* message) {
    write_refusal(fd, status, code, message);
    ::close(fd);
}

void HttpServer::on_readable(int fd, bool peer_hung_up) {
    auto it = m_connections.find(fd);
    if (it == m_connections.end() || it->second.state == ConnectionState::with_worker) return;
    if (it->second.state == ConnectionState::lingering) {
        drain_lingering(fd);
        return;
    }
    auto& connection = it->second;
    auto got = ::recv(fd, m_peek_buffer.data(), m_peek_buffer.size(), MSG_PEEK | MSG_DONTWAIT);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        close_connection(fd);
        return;
    }
    if (got < 0) return;
    if (connection.state == ConnectionState::idle) {
        connection.state = ConnectionState::reading_head;
        connection.deadline = Clock::now() + m_limits.head_timeout;
        connection.head_scanned = 0;
    }
    std::string_view bytes(m_peek_buffer.data(), static_cast<std::size_t>(got));
    auto scan_from = connection.head_scanned > 2 ? connection.head_scanned - 2 : 0;
    if (end_of_head(bytes, scan_from) != std::string_view::npos) {
        epoll_ctl(m_epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
        connection.state = ConnectionState::with_worker;
        dispatch(connection);
        return;
    }
    connection.head_scanned = bytes.size();
    if (bytes.size() > m_limits.max_head_bytes) {
        m_counters.head_too_large.fetch_add(1, std::memory_order_relaxed);
        bool no_request_line = bytes.find('\n') == std::string_view::npos;
        if (no_request_line) write_refusal(fd, 414, "uri_too_long", "the request line is too long");
        else write_refusal(fd, 431, "request_header_fields_too_large", "the request headers are too large");
        linger(fd);
        return;
    }
    // A client that stopped sending before its head ended will send nothing more.
    if (peer_hung_up) close_connection(fd);
}

void HttpServer::sweep_deadlines() {
    auto now = Clock::now();
    std::vector<std::pair<int, ConnectionState>> expired;
    for (const auto& [fd, connection] : m_connections)
        if (connection.state != ConnectionState::with_worker && connection.deadline <= now)
            expired.emplace_back(fd, connection.state);
    for (auto [fd, state] : expired) {
        if (state != ConnectionState::reading_head) {
            close_connection(fd);  // keep-alive or lingering ran out: close quietly
            continue;
        }
        m_counters.head_timeouts.fetch_add(1, std::memory_order_relaxed);
        write_refusal(fd, 408, "request_timeout", "the request headers took too long to arrive");
        linger(fd);
    }
    m_counters.open_connections.store(m_connections.size(), std::memory_order_relaxed);
}

void HttpServer::dispatch(Connection connection) {
    {
        std::lock_guard lock(m_jobs_mutex);
        if (m_jobs.size() < m_limits.max_queued_requests) {
            m_jobs.push_back(Job{std::move(connection), Clock::now()});
            m_jobs_ready.notify_one();
            return;
        }
    }
    m_counters.rejected_full.fetch_add(1, std::memory_order_relaxed);
    write_refusal(connection.fd, 503, "overloaded", "the server is busy; retry shortly");
    linger(connection.fd);
}

void HttpServer::run_worker() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(m_jobs_mutex);
            m_jobs_ready.wait(lock, [this] { return !m_jobs.empty() || m_workers_stop; });
            if (m_jobs.empty()) return;
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
            ++m_busy_workers;
        }
        bool keep_open = false;
        if (Clock::now() - job.queued_at > m_limits.max_queue_wait) {
            m_counters.queue_timeouts.fetch_add(1, std::memory_order_relaxed);
            // Only the reactor closes descriptors, so a number is never reused while it still tracks it.
            write_refusal(job.connection.fd, 503, "overloaded", "the server is busy; retry shortly");
        } else {
            keep_open = answer_one(job.connection);
            // A busy keep-alive client sends its next request right after reading the
            // answer: serving it here saves the trip through the reactor. Only while
            // nobody else waits for a worker, and only for a request already sent.
            while (keep_open && !m_stopping.load(std::memory_order_acquire) && !jobs_waiting() &&
                   next_head_arrives(job.connection.fd))
                keep_open = answer_one(job.connection);
        }
        give_back(std::move(job.connection), keep_open);
        {
            std::lock_guard lock(m_jobs_mutex);
            --m_busy_workers;
            if (m_busy_workers == 0 && m_jobs.empty()) m_workers_idle.notify_all();
        }
    }
}

auto HttpServer::jobs_waiting() -> bool {
    std::lock_guard lock(m_jobs_mutex);
    return !m_jobs.empty();
}

// Whether a whole request head is on the connection within a moment.
auto HttpServer::next_head_arrives(int fd) const -> bool {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(follow_up_wait.count())) <= 0 || (ready.revents & POLLIN) == 0) return false;
    thread_local std::vector<char> buffer;
    buffer.resize(m_limits.max_head_bytes + 1);
    auto got = ::recv(fd, buffer.data(), buffer.size(), MSG_PEEK | MSG_DONTWAIT);
    return got > 0 &&
           end_of_head(std::string_view(buffer.data(), static_cast<std::size_t>(got)), 0) != std::string_view::npos;
}

// Answers the one request whose head has arrived; true if the connection may
// carry another.
auto HttpServer::answer_one(Connection& connection) -> bool {
    ++connection.requests;
    bool last = connection.requests >= m_limits.max_requests_per_connection ||
                m_stopping.load(std::memory_order_acquire);
    t_close_after_response = false;
    bool connection_closed = false;
    bool answered = false;
    {
        httplib::detail::SocketStream stream(connection.fd, static_cast<time_t>(m_limits.io_timeout.count()), 0,
                                             static_cast<time_t>(m_limits.io_timeout.count()), 0);
        answered = process_request(stream, connection.remote_addr, connection.remote_port, connection.local_addr,
                                   connection.local_port, last, connection_closed,
                                   // Ranges are ignored (as RFC 9110 allows): every answer is whole.
                                   [](httplib::Request& request) { request.ranges.clear(); });
    }
    return answered && !connection_closed && !last && !t_close_after_response;
}

void HttpServer::give_back(Connection connection, bool keep_open) {
    {
        std::lock_guard lock(m_returned_mutex);
        m_returned.push_back(Returned{std::move(connection), keep_open});
    }
    wake_reactor();
}

void HttpServer::take_back_returned() {
    std::vector<Returned> returned;
    {
        std::lock_guard lock(m_returned_mutex);
        returned.swap(m_returned);
    }
    bool stopping = m_stopping.load(std::memory_order_acquire);
    for (auto& [connection, keep_open] : returned) {
        int fd = connection.fd;
        auto it = m_connections.find(fd);
        if (it == m_connections.end()) continue;
        if (!keep_open || stopping) {
            ::shutdown(fd, SHUT_WR);
            if (stopping) close_connection(fd);
            else linger(fd);
            continue;
        }
        it->second.requests = connection.requests;
        it->second.state = ConnectionState::idle;
        it->second.deadline = Clock::now() + m_limits.idle_timeout;
        it->second.head_scanned = 0;
        watch(fd);
        // A pipelined request may already be waiting; edge-triggered epoll would not report it.
        if (m_connections.contains(fd)) on_readable(fd, false);
    }
    m_counters.open_connections.store(m_connections.size(), std::memory_order_relaxed);
}

}  // namespace broadsheet::server
