#pragma once
// First come, first served admission to CPU-bound work.

#include <condition_variable>
#include <deque>
#include <mutex>

namespace broadsheet::server {

/// Lets at most `limit` callers run at once and admits the others in arrival
/// order. cpp-httplib keeps a thread per keep-alive connection, so 64 clients
/// mean 64 runnable searches on two cores: the scheduler then time-slices
/// them all and its unfairness becomes the tail latency. Queueing them in
/// order instead lets each search run through. Each waiter sleeps on its own
/// condition variable, so a release wakes exactly the next one.
class FifoGate {
public:
    explicit FifoGate(unsigned limit) : m_limit(limit == 0 ? 1 : limit) {}

    class Pass {
    public:
        explicit Pass(FifoGate& gate) : m_gate(gate) { m_gate.enter(); }
        ~Pass() { m_gate.leave(); }
        Pass(const Pass&) = delete;
        auto operator=(const Pass&) -> Pass& = delete;

    private:
        FifoGate& m_gate;
    };

    [[nodiscard]] auto limit() const -> unsigned { return m_limit; }
    /// Callers queued right now.
    [[nodiscard]] auto waiting() const -> std::size_t {
        std::lock_guard lock(m_mutex);
        return m_waiting.size();
    }

private:
    struct Waiter {
        std::condition_variable wake;
        bool admitted = false;
    };

    void enter() {
        std::unique_lock lock(m_mutex);
        if (m_running < m_limit && m_waiting.empty()) {
            ++m_running;
            return;
        }
        Waiter me;
        m_waiting.push_back(&me);
        me.wake.wait(lock, [&] { return me.admitted; });
    }

    void leave() {
        std::lock_guard lock(m_mutex);
        if (m_waiting.empty()) {
            --m_running;
            return;
        }
        // The slot passes straight to the longest waiter.
        auto* next = m_waiting.front();
        m_waiting.pop_front();
        next->admitted = true;
        next->wake.notify_one();
    }

    unsigned m_limit;
    unsigned m_running = 0;
    mutable std::mutex m_mutex;
    std::deque<Waiter*> m_waiting;
};

}  // namespace broadsheet::server
