#pragma once
// Passage choice for snippets: which part of a text to show for its matches.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <xapian.h>

#include "broadsheet/server/snippet_terms.hpp"

namespace broadsheet::server {

/// Bytes [begin, end) of a text to show, and whether text is left out before and after it.
struct Passage {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool cut_before = false;
    bool cut_after = false;
};

/// The passage of at most `length` (>= 1) characters (code points, not bytes,
/// so CJK text is not cut short) of `text` where `matches` are densest (see
/// densest_matches). It starts at a sentence start when one is shortly before
/// the first match, and is cut at word boundaries (inside a word only when one
/// word is longer than `length`). Without a match, the start of the text.
/// nullopt for a text of nothing but spaces.
[[nodiscard]] auto choose_passage(std::string_view text, const std::vector<TextMatch>& matches, std::size_t length)
    -> std::optional<Passage>;

/// The matches [first, last) of the window of at most `length` characters with
/// the most different terms, then the most matches; the earliest of equals.
/// `matches` must not be empty.
[[nodiscard]] auto densest_matches(const std::vector<TextMatch>& matches, std::size_t length)
    -> std::pair<std::size_t, std::size_t>;

/// A word position of a text that a match can take in, and the terms
/// (TextMatch::term) such a match can be for.
struct TermPosition {
    Xapian::termpos position = 0;
    const std::vector<std::uint32_t>* terms = nullptr;  ///< not null
    bool alone = true;  ///< whether a word there is a match on its own, not only within a phrase
};

/// The positions (in order) where a match can start: a word that is a match
/// on its own, or the first of two neighbouring matching words, as a phrase
/// needs at least two.
[[nodiscard]] auto match_starts(const std::vector<TermPosition>& positions) -> std::vector<TermPosition>;

/// At most how many different terms and how many matches a window holds, in
/// the order densest_matches prefers them.
struct WindowBound {
    std::size_t distinct = 0;
    std::size_t count = 0;
    auto operator==(const WindowBound&) const -> bool = default;
    [[nodiscard]] auto operator<(const WindowBound& other) const -> bool {
        return std::tie(distinct, count) < std::tie(other.distinct, other.count);
    }
};

/// The window of matches that densest_matches would weigh if one began at
/// the word at `position`: all its matches' words lie in [position,
/// last_position], the last of the positions it can reach.
struct WindowCandidate {
    Xapian::termpos position = 0;
    Xapian::termpos last_position = 0;
    WindowBound bound;
};

/// How many positions after a match's first word the words of a window of
/// at most `length` characters can reach: a word is at least one character,
/// and at least one more separates it from the next indexed word.
[[nodiscard]] constexpr auto position_reach(std::size_t length) -> Xapian::termpos {
    return static_cast<Xapian::termpos>((std::max<std::size_t>(length, 1) - 1) / 2);
}

/// For each of `positions` (match_starts, in order), the window of at most `length`
/// characters that a match beginning there would start, bounded by the
/// positions within position_reach of it: no more matches than those
/// positions, no more different terms than they name. The most promising
/// first: by bound, then earliest, as densest_matches ranks windows. Knowing
/// only where a text's matching words are, a window whose bound is below the
/// best window found so far (or equal and later) cannot be the densest.
[[nodiscard]] auto windows_by_bound(const std::vector<TermPosition>& positions, std::size_t length)
    -> std::vector<WindowCandidate>;

/// Whether a sentence starts at byte `at` (a character that is not a space):
/// the text's start, a new line, after ". " (or "!", "?", closing quotes after
/// them), or after a CJK full stop.
[[nodiscard]] auto starts_sentence(std::string_view text, std::size_t at) -> bool;

}  // namespace broadsheet::server
