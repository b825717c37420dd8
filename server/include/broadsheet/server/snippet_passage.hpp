#pragma once
// Passage choice for snippets: which part of a text to show for its matches.

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

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

/// Whether a sentence starts at byte `at` (a character that is not a space):
/// the text's start, a new line, after ". " (or "!", "?", closing quotes after
/// them), or after a CJK full stop.
[[nodiscard]] auto starts_sentence(std::string_view text, std::size_t at) -> bool;

}  // namespace broadsheet::server
