#pragma once

#include <chrono>
#include <cstdint>

namespace broadsheet::indexer {

/// A one-line progress bar on standard error, redrawn at most ten times a
/// second. Disabled (draws nothing) when standard error is not a terminal.
class ProgressBar {
public:
    ProgressBar(std::uint64_t total_bytes, bool enabled);
    void update(std::uint64_t bytes_done, std::uint64_t documents);
    /// Clears the bar so the summary line starts on a clean line.
    void finish();

private:
    std::uint64_t m_total;
    bool m_enabled;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last_draw;
};

}  // namespace broadsheet::indexer
