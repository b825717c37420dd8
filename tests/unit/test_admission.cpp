#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "broadsheet/server/admission.hpp"

using broadsheet::server::FifoGate;

TEST_CASE("no more than the limit run at once") {
    FifoGate gate(2);
    std::atomic<int> running{0}, most{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
        threads.emplace_back([&] {
            for (int r = 0; r < 50; ++r) {
                FifoGate::Pass pass(gate);
                int now = ++running;
                int seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {}
                std::this_thread::yield();
                --running;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(most.load() <= 2);
    CHECK(most.load() >= 1);
    CHECK(running.load() == 0);
}

TEST_CASE("waiters are admitted in the order they arrived") {
    FifoGate gate(1);
    std::mutex order_mutex;
    std::vector<int> order;
    std::vector<std::thread> threads;
    {
        FifoGate::Pass holder(gate);  // everyone below has to queue
        for (int i = 0; i < 5; ++i) {
            threads.emplace_back([&, i] {
                FifoGate::Pass pass(gate);
                std::lock_guard lock(order_mutex);
                order.push_back(i);
            });
            // Thread i is in the queue before thread i+1 starts (bounded wait, no sleep).
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (gate.waiting() < static_cast<std::size_t>(i + 1) && std::chrono::steady_clock::now() < deadline)
                std::this_thread::yield();
            REQUIRE(gate.waiting() == static_cast<std::size_t>(i + 1));
        }
    }
    for (auto& t : threads) t.join();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("a limit of zero still admits one at a time") {
    FifoGate gate(0);
    CHECK(gate.limit() == 1);
    FifoGate::Pass pass(gate);
}

TEST_CASE("a full queue turns a caller away at once") {
    FifoGate gate(1, 1);
    FifoGate::Pass holder(gate);
    std::thread waiter([&] {
        auto pass = gate.try_enter(std::chrono::seconds(30));
        CHECK(static_cast<bool>(pass));
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (gate.waiting() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    REQUIRE(gate.waiting() == 1);
    // The one queue place is taken: refused without waiting the 30 s.
    auto refused = gate.try_enter(std::chrono::seconds(30));
    CHECK_FALSE(static_cast<bool>(refused));
    CHECK(gate.waiting() == 1);
    { FifoGate::Pass release(std::move(holder)); }
    waiter.join();
    CHECK(gate.running() == 0);
}

TEST_CASE("a caller whose wait runs out leaves the queue and is refused") {
    FifoGate gate(1, 8);
    FifoGate::Pass holder(gate);
    auto refused = gate.try_enter(std::chrono::milliseconds(20));
    CHECK_FALSE(static_cast<bool>(refused));
    CHECK(gate.waiting() == 0);
    CHECK(gate.running() == 1);
}

TEST_CASE("a place freed in time is taken by the waiting caller") {
    FifoGate gate(1, 8);
    std::optional<FifoGate::Pass> holder(std::in_place, gate);
    std::thread releaser([&] {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (gate.waiting() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
        holder.reset();
    });
    auto pass = gate.try_enter(std::chrono::seconds(30));
    releaser.join();
    CHECK(static_cast<bool>(pass));
    CHECK(gate.running() == 1);
}
