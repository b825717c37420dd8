// broadsheet-server: serves a Broadsheet index over HTTP.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <httplib.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/socket.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "broadsheet/server/config.hpp"
#include "broadsheet/server/index_pool.hpp"
#include "broadsheet/server/routes.hpp"
#include "broadsheet/server/search_service.hpp"

namespace bs = broadsheet::server;

int main(int argc, char** argv) try {
    int exit_code = -1;
    auto config = bs::parse_config(argc, argv, exit_code);
    if (exit_code >= 0) return exit_code;

    // SIGTERM/SIGINT are taken by one thread with sigwait, so every other
    // thread (workers and spdlog's flusher included: they inherit this mask, so it is set
    // before any thread starts) runs undisturbed.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    // Log lines (one per request) are written by a background thread, so a
    // worker never waits on the sink's lock or on write(2); if the queue ever
    // fills, the oldest lines are dropped rather than stalling requests.
    spdlog::init_thread_pool(16384, 1);
    auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
    auto logger = std::make_shared<spdlog::async_logger>("server", sink, spdlog::thread_pool(),
                                                         spdlog::async_overflow_policy::overrun_oldest);
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    spdlog::flush_on(spdlog::level::info);

    // Hits carry whole article bodies; without this, glibc hands each large
    // freed buffer back to the kernel (madvise) and faults it in again on the
    // next request, which cost a fifth of the CPU on long articles.
    mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);

    bs::IndexWatcher watcher(config.index_dir, std::chrono::milliseconds(config.poll_ms));
    watcher.start();
    if (!watcher.info()) spdlog::warn("no index under {} yet: /readyz answers 503 until one is built", config.index_dir);
    bs::SearcherPool pool(watcher, config.max_wildcard_expansion);
    bs::SearchService service(config, watcher, pool);

    httplib::Server server;
    // Without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to small responses.
    server.set_tcp_nodelay(true);
    // cpp-httplib keeps a worker per open connection, so the pool bounds
    // concurrent keep-alive clients; the request cap rotates connections
    // so that clients beyond it are not starved.
    auto threads = static_cast<std::size_t>(config.threads);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_keep_alive_timeout(config.keep_alive_seconds);
    server.set_keep_alive_max_count(static_cast<std::size_t>(config.keep_alive_max_requests));
    server.set_read_timeout(5);
    server.set_write_timeout(5);
    server.set_payload_max_length(64 * 1024);  // no route takes a body
    bs::Metrics metrics;
    bs::register_routes(server, service, metrics);
    int listen_fd = -1;
    server.set_socket_options([&listen_fd](socket_t sock) {
        httplib::default_socket_options(sock);
        listen_fd = sock;
    });

    int port = config.port;
    if (port == 0) {
        port = server.bind_to_any_port(config.host);
    } else if (!server.bind_to_port(config.host, port)) {
        port = -1;
    }
    if (port < 0) {
        spdlog::error("cannot listen on {}:{}", config.host, config.port);
        spdlog::shutdown();
        return 1;
    }
    // cpp-httplib 0.11 listens with a backlog of 5, compiled into the library:
    // a burst of new connections overflows it and clients wait out TCP's 1 s
    // SYN retransmit. Listening again on the bound socket raises it.
    if (listen_fd >= 0 && ::listen(listen_fd, SOMAXCONN) != 0)
        spdlog::warn("could not raise the listen backlog: {}", std::strerror(errno));
    spdlog::info("listening on http://{}:{} (index {}, {} threads)", config.host, port, config.index_dir,
                 config.threads);

    std::thread signal_thread([&server, &stop_signals] {
        int received = 0;
        sigwait(&stop_signals, &received);
        spdlog::info("received {}, finishing requests in flight", received == SIGTERM ? "SIGTERM" : "SIGINT");
        server.stop();
    });

    bool clean = server.listen_after_bind();
    // listen returns once stopped; in-flight requests completed when its pool shut down.
    if (!clean) {
        // listen failed on its own: wake the signal thread so it can end.
        pthread_kill(signal_thread.native_handle(), SIGTERM);
    }
    signal_thread.join();
    watcher.stop();
    spdlog::info("stopped");
    spdlog::shutdown();
    return 0;
} catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    spdlog::shutdown();  // drains the asynchronous log
    return 1;
}
