// broadsheet-server: serves a Broadsheet index over HTTP.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <httplib.h>
#include <pthread.h>
#include <sys/socket.h>
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

    spdlog::set_default_logger(spdlog::stdout_color_mt("server"));
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    // The access log is written per request; flushing each line would put a
    // write(2) under the logger's mutex on every request. Flush warnings at
    // once and everything else every second.
    spdlog::flush_on(spdlog::level::warn);
    spdlog::flush_every(std::chrono::seconds(1));

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
    bs::register_routes(server, service);
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
        return 1;
    }
    // cpp-httplib 0.11 listens with a backlog of 5, compiled into the library:
    // a burst of new connections overflows it and clients wait out TCP's 1 s
    // SYN retransmit. Listening again on the bound socket raises it.
    if (listen_fd >= 0 && ::listen(listen_fd, SOMAXCONN) != 0)
        spdlog::warn("could not raise the listen backlog: {}", std::strerror(errno));
    spdlog::info("listening on http://{}:{} (index {}, {} threads)", config.host, port, config.index_dir,
                 config.threads);
    spdlog::default_logger()->flush();  // tests and scripts wait for this line

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
    return 1;
}
