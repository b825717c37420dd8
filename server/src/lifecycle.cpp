#include "broadsheet/server/lifecycle.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace broadsheet::server {

namespace {

// Writes all of `bytes` to standard output (a pipe or file may take less at a time).
void write_out(std::string_view bytes) {
    while (!bytes.empty()) {
        auto written = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;  // nowhere to write to: the lines are lost, the server goes on
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

/// Lines gathered in memory and written to standard output by a thread of
/// their own. A worker formats its line and appends it under a lock: it never
/// waits on write(2), and it wakes the writer only when a line comes after a
/// quiet spell or is a warning. Under load the writer wakes once per
/// `batch_interval` instead of once per line (a wake-up per request cost more
/// than the rest of the access log). Beyond `max_pending` bytes, lines are
/// dropped and counted rather than waited for.
class BatchingStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    BatchingStdoutSink() : m_writer([this] { run(); }) {}
    ~BatchingStdoutSink() override {
        {
            std::lock_guard lock(mutex_);
            m_stopping = true;
        }
        m_wake.notify_one();
        m_writer.join();
        write_out(take_pending());  // anything logged while the writer was stopping
    }
    BatchingStdoutSink(const BatchingStdoutSink&) = delete;
    auto operator=(const BatchingStdoutSink&) -> BatchingStdoutSink& = delete;

protected:
    // Called with mutex_ held.
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (m_pending.size() >= max_pending) {
            ++m_dropped;
            return;
        }
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        const bool was_empty = m_pending.empty();
        m_pending.append(formatted.data(), formatted.size());
        const bool urgent = msg.level >= spdlog::level::warn;
        if (urgent) m_urgent = true;
        if (urgent || (was_empty && m_writer_idle)) m_wake.notify_one();
    }

    // Called with mutex_ held: spdlog::shutdown() and explicit flushes write at once.
    void flush_() override { write_out(take_pending()); }

private:
    static constexpr std::size_t max_pending = 8 * 1024 * 1024;
    static constexpr auto batch_interval = std::chrono::milliseconds(50);

    // Called with mutex_ held.
    auto take_pending() -> std::string {
        std::string batch;
        batch.swap(m_pending);
        if (m_dropped > 0) {
            batch += "[broadsheet] " + std::to_string(m_dropped) + " log lines dropped: output could not keep up\n";
            m_dropped = 0;
        }
        return batch;
    }

    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            if (m_pending.empty() && m_dropped == 0 && !m_stopping) {
                m_writer_idle = true;
                m_wake.wait(lock, [this] { return !m_pending.empty() || m_stopping; });
                m_writer_idle = false;
            }
            if (m_pending.empty() && m_dropped == 0 && m_stopping) return;
            m_urgent = false;
            auto batch = take_pending();
            lock.unlock();
            write_out(batch);
            lock.lock();
            // Lines that come in the next moment go out together.
            if (!m_stopping) m_wake.wait_for(lock, batch_interval, [this] { return m_urgent || m_stopping; });
        }
    }

    std::string m_pending;
    std::size_t m_dropped = 0;
    bool m_writer_idle = false;
    bool m_urgent = false;
    bool m_stopping = false;
    std::condition_variable m_wake;
    std::thread m_writer;  // last: it runs on the members above
};

}  // namespace

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
    std::shared_ptr<spdlog::logger> logger;
    if (::isatty(STDOUT_FILENO) == 1) {
        // A terminal: lines in colour as they come, from a background thread.
        spdlog::init_thread_pool(16384, 1);
        auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
        logger = std::make_shared<spdlog::async_logger>("server", sink, spdlog::thread_pool(),
                                                        spdlog::async_overflow_policy::overrun_oldest);
        logger->flush_on(spdlog::level::info);
    } else {
        // A file, pipe or journal: one line per request, written in batches.
        logger = std::make_shared<spdlog::logger>("server", std::make_shared<BatchingStdoutSink>());
    }
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
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
