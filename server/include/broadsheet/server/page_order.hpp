#pragma once
// A page of hits ranked by score with equal scores in id order, without
// reading an id for every candidate.
//
// Asking Xapian to break ties by the id's value slot makes it read that
// value for each candidate it weighs, a fifth of a keyword search's CPU. A
// match ranked by score alone breaks ties by document number instead, and
// holds the same documents in every position where no run of equal scores
// crosses the page's edges: then only the ties inside the page need their
// ids read and reordering. When a run does cross an edge, which documents
// fall on the page depends on the tie order, and the caller matches again
// with ties broken by id.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <xapian.h>

namespace broadsheet::server {

/// One document of a match, in its rank.
struct RankedDocument {
    Xapian::docid docid = 0;
    double weight = 0;
};

/// Where a match's ranked documents sit around a page.
struct RankedWindow {
    std::size_t first = 0;        ///< the rank (from 0) of the first document given
    std::size_t page_offset = 0;  ///< the rank of the page's first document
    std::size_t page_size = 0;    ///< documents a page holds
    bool match_ends = false;      ///< no document ranks after the last one given
};

/// The documents of a page in score order, equal scores ordered by the key
/// `key_of` gives (the id's sort value), as a match sorted by relevance then
/// that value would list them; nullopt when a run of equal scores that an
/// edge of the page falls in does not lie whole in the window.
///
/// `ranked` is a match's documents in rank order (score, then document
/// number) from rank `window.first`, a few before the page where it has
/// any, to a few after it.
[[nodiscard]] auto page_with_ties_by_key(const std::vector<RankedDocument>& ranked, const RankedWindow& window,
                                         const std::function<std::string(Xapian::docid)>& key_of)
    -> std::optional<std::vector<RankedDocument>>;

}  // namespace broadsheet::server
