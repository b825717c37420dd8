#pragma once
// First come, first served admission to CPU-bound work.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <utility>

namespace broadsheet::server {

/// Lets at most `limit` callers run at once and admits the others in arrival
/// order. cpp-httplib keeps a thread per keep-alive connection, so 64 clients
/// mean 64 runnable searches on two cores: the scheduler then time-slices
/// them all and its unfairness becomes the tail latency. Queueing them in
/// order instead lets each search run through. Each waiter sleeps on its own
/// condition variable, so a release wakes exactly the next one. The queue is
/// bounded in length and in wait: past either, a caller is turned away
/// (the server answers 503) rather than queued without end. A release wakes
/// the next waiter after letting go of the gate's lock, so the woken thread
/// does not go straight back to sleep on that lock (two switches per hand-off
/// instead of one).
class FifoGate {
public:
    explicit FifoGate(unsigned limit, std::size_t max_waiting = std::numeric_limits<std::size_t>::max())
        : m_limit(limit == 0 ? 1 : limit), m_max_waiting(max_waiting) {}

    /// A place held until destroyed; empty when admission was refused.
    class Pass {
    public:
        /// Waits as long as it takes.
        explicit Pass(FifoGate& gate) : m_gate(&gate) { m_gate->enter(std::chrono::steady_clock::time_point::max()); }
        Pass(Pass&& other) noexcept : m_gate(std::exchange(other.m_gate, nullptr)) {}
        ~Pass() {
            if (m_gate) m_gate->leave();
        }
        Pass(const Pass&) = delete;
        auto operator=(const Pass&) -> Pass& = delete;
        auto operator=(Pass&&) -> Pass& = delete;
        [[nodiscard]] explicit operator bool() const { return m_gate != nullptr; }

    private:
        friend class FifoGate;
        Pass() = default;
        FifoGate* m_gate = nullptr;
    };

    /// A place, waiting at most `patience`; an empty Pass when the queue is
    /// full or the wait ran out.
    [[nodiscard]] auto try_enter(std::chrono::milliseconds patience) -> Pass {
        Pass pass;
        if (enter(std::chrono::steady_clock::now() + patience)) pass.m_gate = this;
        return pass;
    }

    [[nodiscard]] auto limit() const -> unsigned { return m_limit; }
    /// Callers queued right now.
    [[nodiscard]] auto waiting() const -> std::size_t {
        std::lock_guard lock(m_mutex);
        return m_waiting.size();
    }
    /// Callers running right now.
    [[nodiscard]] auto running() const -> unsigned {
        std::lock_guard lock(m_mutex);
        return m_running;
    }

private:
    struct Waiter {
        std::condition_variable wake;
        bool admitted = false;
    };

    auto enter(std::chrono::steady_clock::time_point deadline) -> bool {
        std::unique_lock lock(m_mutex);
        if (m_running < m_limit && m_waiting.empty()) {
            ++m_running;
            return true;
        }
        if (m_waiting.size() >= m_max_waiting) return false;
        // Shared with leave(), which notifies after unlocking: the waiter may
        // have returned by then, so it must not own the condition variable alone.
        auto me = std::make_shared<Waiter>();
        m_waiting.push_back(me);
        bool admitted = deadline == std::chrono::steady_clock::time_point::max()
                            ? (me->wake.wait(lock, [&] { return me->admitted; }), true)
                            : me->wake.wait_until(lock, deadline, [&] { return me->admitted; });
        if (!admitted) m_waiting.erase(std::find(m_waiting.begin(), m_waiting.end(), me));
        return admitted;
    }

    void leave() {
        std::shared_ptr<Waiter> next;
        {
            std::lock_guard lock(m_mutex);
            if (m_waiting.empty()) {
                --m_running;
                return;
            }
            // The slot passes straight to the longest waiter.
            next = std::move(m_waiting.front());
            m_waiting.pop_front();
            next->admitted = true;
        }
        next->wake.notify_one();
    }

    unsigned m_limit;
    std::size_t m_max_waiting;
    unsigned m_running = 0;
    mutable std::mutex m_mutex;
    std::deque<std::shared_ptr<Waiter>> m_waiting;
};

}  // namespace broadsheet::server
