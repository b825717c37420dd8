#include "broadsheet/server/lifecycle.hpp"

#include <atomic>
#include <memory>
#include <thread>

#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace broadsheet::server {

StopSignals::StopSignals() {
    sigemptyset(&m_signals);
    sigaddset(&m_signals, SIGTERM);
    sigaddset(&m_signals, SIGINT);
    sigaddset(&m_signals, SIGUSR1);  // to the signal thread from serve_until_stopped: serving has ended
    pthread_sigmask(SIG_BLOCK, &m_signals, nullptr);
    // A client that hangs up mid-answer is an error on that write, not the end of the process.
    std::signal(SIGPIPE, SIG_IGN);
}

auto StopSignals::serve_until_stopped(HttpServer& server) -> bool {
    // A signal that arrived while starting up is still pending here (the mask
    // blocked it), so sigwait takes it at once and the server stops cleanly.
    std::atomic<bool> serving{true};
    std::thread signal_thread([this, &server, &serving] {
        for (;;) {
            int received = 0;
            sigwait(&m_signals, &received);
            if (!serving.load()) return;
            if (received == SIGUSR1) continue;  // not ours: sent only once serving has ended
            spdlog::info("received {}, finishing requests in flight", received == SIGTERM ? "SIGTERM" : "SIGINT");
            server.stop();
        }
    });
    const bool drained = server.serve();
    serving.store(false);
    pthread_kill(signal_thread.native_handle(), SIGUSR1);
    signal_thread.join();
    return drained;
}

auto start_logging(const std::string& level) -> std::shared_ptr<spdlog::logger> {
    // One line per request: written by a background thread, so a worker never
    // waits on the sink's lock or on write(2).
    spdlog::init_thread_pool(16384, 1);
    auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
    auto logger = std::make_shared<spdlog::async_logger>("server", sink, spdlog::thread_pool(),
                                                         spdlog::async_overflow_policy::overrun_oldest);
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::flush_on(spdlog::level::info);
    return logger;
}

void keep_large_buffers() {
    // Hits carry whole article bodies; by default glibc hands each large freed
    // buffer back to the kernel (madvise) and faults it in again on the next request.
    mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

void raise_descriptor_limit(std::size_t max_connections) {
    // Each connection is a descriptor.
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    // Index files, logs and the listener need some descriptors of their own.
    constexpr rlim_t reserve = 256;
    if (limit.rlim_cur < static_cast<rlim_t>(max_connections) + reserve)
        spdlog::warn("the descriptor limit ({}) is below --max-connections + {}: raise it (ulimit -n)", limit.rlim_cur,
                     reserve);
}

}  // namespace broadsheet::server
