#include "broadsheet/indexer/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

namespace broadsheet::indexer {

ProgressBar::ProgressBar(std::uint64_t total_bytes, bool enabled)
    : m_total(total_bytes), m_enabled(enabled), m_start(std::chrono::steady_clock::now()) {}

void ProgressBar::update(std::uint64_t bytes_done, std::uint64_t documents) {
    if (!m_enabled) return;
    auto now = std::chrono::steady_clock::now();
    if (m_drawn && now - m_last_draw < std::chrono::milliseconds(100)) return;
    m_last_draw = now;
    m_drawn = true;
    double seconds = std::chrono::duration<double>(now - m_start).count();
    double rate = seconds > 0 ? static_cast<double>(documents) / seconds : 0.0;
    constexpr int width = 30;
    if (m_total > 0) {
        double fraction = std::min(1.0, static_cast<double>(bytes_done) / static_cast<double>(m_total));
        int filled = static_cast<int>(fraction * width);
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(width, '.');
        std::fprintf(stderr, "\r[%s] %3.0f%%  %llu documents  %.0f/s ", bar.c_str(), fraction * 100,
                     static_cast<unsigned long long>(documents), rate);
    } else {
        std::fprintf(stderr, "\r%llu documents  %.0f/s ", static_cast<unsigned long long>(documents), rate);
    }
    std::fflush(stderr);
}

void ProgressBar::finish() {
    if (!m_enabled || !m_drawn) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
}

}  // namespace broadsheet::indexer
