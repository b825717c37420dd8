#include "broadsheet/server/page_order.hpp"

#include <algorithm>

namespace broadsheet::server {

auto page_with_ties_by_key(const std::vector<RankedDocument>& ranked, const RankedWindow& window,
                           const std::function<std::string(Xapian::docid)>& key_of)
    -> std::optional<std::vector<RankedDocument>> {
    const auto begin = std::min(ranked.size(), window.page_offset - window.first);
    const auto end = std::min(ranked.size(), begin + window.page_size);
    if (begin == end) return std::vector<RankedDocument>{};
    // Scores are compared exactly, as the match compares them: both come
    // from the same weighting of the same document.
    auto same_score = [&](std::size_t a, std::size_t b) { return ranked[a].weight == ranked[b].weight; };
    // The runs of equal scores the page's edges fall in must lie whole in the window.
    auto from = begin;
    while (from > 0 && same_score(from - 1, begin)) --from;
    if (from == 0 && window.first > 0) return std::nullopt;
    auto to = end;
    while (to < ranked.size() && same_score(to, end - 1)) ++to;
    if (to == ranked.size() && !window.match_ends) return std::nullopt;

    std::vector<RankedDocument> ordered(ranked.begin() + static_cast<std::ptrdiff_t>(from),
                                        ranked.begin() + static_cast<std::ptrdiff_t>(to));
    for (std::size_t run = 0; run < ordered.size();) {
        auto run_end = run + 1;
        while (run_end < ordered.size() && ordered[run_end].weight == ordered[run].weight) ++run_end;
        if (run_end - run > 1) {
            std::vector<std::pair<std::string, RankedDocument>> keyed;
            keyed.reserve(run_end - run);
            for (auto i = run; i < run_end; ++i) keyed.emplace_back(key_of(ordered[i].docid), ordered[i]);
            std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (auto i = run; i < run_end; ++i) ordered[i] = keyed[i - run].second;
        }
        run = run_end;
    }
    return std::vector<RankedDocument>(ordered.begin() + static_cast<std::ptrdiff_t>(begin - from),
                                       ordered.begin() + static_cast<std::ptrdiff_t>(end - from));
}

}  // namespace broadsheet::server
