// broadsheet-server: serves a Broadsheet index over HTTP.
#include <cerrno>
#include <atomic>
#include <csignal>
#include <cstring>
#include <thread>

#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "broadsheet/server/config.hpp"
#include "broadsheet/server/http_server.hpp"
#include "broadsheet/server/index_pool.hpp"
#include "broadsheet/server/routes.hpp"
#include "broadsheet/server/search_service.hpp"

namespace bs = broadsheet::server;

namespace {

// Each connection is a descriptor: raise the soft limit to the hard one so
// that --max-connections is reachable, and say so when it is not.
void raise_descriptor_limit(const bs::ServerConfig& config) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    // Index files, logs and the listener need some descriptors of their own.
    constexpr rlim_t reserve = 256;
    if (limit.rlim_cur < static_cast<rlim_t>(config.max_connections) + reserve)
        spdlog::warn("the descriptor limit ({}) is below --max-connections + {}: raise it (ulimit -n)",
                     limit.rlim_cur, reserve);
}

}  // namespace

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
    sigaddset(&stop_signals, SIGUSR1);  // from main to the signal thread: serving has ended
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

    raise_descriptor_limit(config);

    bs::IndexWatcher watcher(config.index_dir, std::chrono::milliseconds(config.poll_ms));
    bs::SearcherPool pool(watcher, config.max_wildcard_expansion);
    watcher.on_change([&pool] { pool.drop_stale(); });
    watcher.start();
    if (!watcher.info()) spdlog::warn("no index under {} yet: /readyz answers 503 until one is built", config.index_dir);
    bs::SearchService service(config, watcher, pool);

    bs::HttpServer server(bs::http_limits(config));
    bs::Metrics metrics;
    bs::register_routes(server, service, metrics, [&server] { return bs::serving_figures(server.counters()); });
    int port = server.bind_and_listen(config.host, config.port);
    spdlog::info("listening on http://{}:{} (index {}, {} workers, at most {} connections)", config.host, port,
                 config.index_dir, config.threads, config.max_connections);

    // A signal that arrived while starting up is still pending here (the mask
    // blocked it), so sigwait takes it at once and the server stops cleanly.
    std::atomic<bool> serving{true};
    std::thread signal_thread([&server, &stop_signals, &serving] {
        for (;;) {
            int received = 0;
            sigwait(&stop_signals, &received);
            if (!serving.load()) return;
            if (received == SIGUSR1) continue;  // not ours: main sends it only once serving has ended
            spdlog::info("received {}, finishing requests in flight", received == SIGTERM ? "SIGTERM" : "SIGINT");
            server.stop();
        }
    });
    bool drained = server.serve();
    serving.store(false);
    pthread_kill(signal_thread.native_handle(), SIGUSR1);
    signal_thread.join();
    watcher.stop();
    spdlog::info(drained ? "stopped" : "stopped with requests unfinished after the drain timeout");
    spdlog::shutdown();
    if (!drained) std::_Exit(0);  // workers still hold the objects above: do not destroy them
    return 0;
} catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    spdlog::shutdown();  // drains the asynchronous log
    return 1;
}
