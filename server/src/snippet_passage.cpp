#include "broadsheet/server/snippet_passage.hpp"

#include <algorithm>
#include <cstdint>

#include "broadsheet/schema/text.hpp"
#include "broadsheet/server/snippet_words.hpp"

namespace broadsheet::server {

namespace {

using schema::char_start_before;
using schema::count_chars;
using schema::decode_char;

auto code_at(std::string_view text, std::size_t at) -> unsigned { return decode_char(text, at).code; }
auto code_before(std::string_view text, std::size_t at) -> unsigned {
    return decode_char(text, char_start_before(text, at)).code;
}

// `chars` characters on from `at`, or the end of the text.
auto forward(std::string_view text, std::size_t at, std::size_t chars) -> std::size_t {
    for (; chars > 0 && at < text.size(); --chars) at += decode_char(text, at).size;
    return at;
}

// `chars` characters back from `at`, or the start of the text.
auto backward(std::string_view text, std::size_t at, std::size_t chars) -> std::size_t {
    for (; chars > 0 && at > 0; --chars) at = char_start_before(text, at);
    return at;
}

auto skip_spaces(std::string_view text, std::size_t at, std::size_t limit) -> std::size_t {
    while (at < limit) {
        const auto c = decode_char(text, at);
        if (!is_space(c.code)) break;
        at += c.size;
    }
    return at;
}

auto trim_spaces_back(std::string_view text, std::size_t at, std::size_t limit) -> std::size_t {
    while (at > limit) {
        const auto before = char_start_before(text, at);
        if (!is_space(code_at(text, before))) break;
        at = before;
    }
    return at;
}

// Where a passage cut at `at` should start so that it does not begin inside
// a word: the next run of text after a space, else the next word, not past `limit`.
auto snap_start(std::string_view text, std::size_t at, std::size_t limit) -> std::size_t {
    if (at == 0 || at >= limit || is_space(code_before(text, at)) || is_space(code_at(text, at)))
        return skip_spaces(text, at, limit);
    for (auto p = at; p < limit;) {
        const auto c = decode_char(text, p);
        if (is_space(c.code)) return skip_spaces(text, p, limit);
        p += c.size;
    }
    for (auto p = at; p < limit;) {
        const auto c = decode_char(text, p);
        if (is_wordchar(c.code) && !is_wordchar(code_before(text, p))) return p;
        p += c.size;
    }
    return at;
}

// Where a passage cut at `at` should end so that it does not stop inside a
// word: the end of the run of text before a space, else of a word, not before
// `limit`; `at` itself if a single word spans it.
auto snap_end(std::string_view text, std::size_t at, std::size_t limit) -> std::size_t {
    if (at >= text.size()) return trim_spaces_back(text, text.size(), limit);
    if (at <= limit || is_space(code_at(text, at)) || is_space(code_before(text, at)))
        return trim_spaces_back(text, at, limit);
    for (auto p = at; p > limit;) {
        const auto before = char_start_before(text, p);
        if (is_space(code_at(text, before))) return trim_spaces_back(text, before, limit);
        p = before;
    }
    for (auto p = at; p > limit; p = char_start_before(text, p)) {
        if (is_wordchar(code_before(text, p)) && !is_wordchar(code_at(text, p))) return p;
    }
    return at;
}

auto is_sentence_end(unsigned c) -> bool { return c == '.' || c == '!' || c == '?'; }
auto is_cjk_sentence_end(unsigned c) -> bool { return c == 0x3002 || c == 0xff01 || c == 0xff1f; }
auto is_closing(unsigned c) -> bool {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x2019 || c == 0x201d || c == 0xbb;
}

// The start of the sentence holding `at`, if it is at most `max_chars` back.
auto sentence_start(std::string_view text, std::size_t at, std::size_t max_chars) -> std::optional<std::size_t> {
    for (std::size_t walked = 0;; ++walked) {
        if (starts_sentence(text, at)) return at;
        if (at == 0 || walked >= max_chars) return std::nullopt;
        at = char_start_before(text, at);
    }
}

auto bounded(std::string_view text, std::size_t begin, std::size_t end) -> Passage {
    return {begin, end, trim_spaces_back(text, begin, 0) > 0, skip_spaces(text, end, text.size()) < text.size()};
}

}  // namespace

auto starts_sentence(std::string_view text, std::size_t at) -> bool {
    if (is_space(code_at(text, at))) return false;
    auto p = at;
    bool spaces = false;
    while (p > 0) {
        const auto before = char_start_before(text, p);
        const auto c = code_at(text, before);
        if (!is_space(c)) break;
        if (c == '\n' || c == 0x2028 || c == 0x2029) return true;
        spaces = true;
        p = before;
    }
    if (p == 0) return true;
    p = char_start_before(text, p);
    auto c = code_at(text, p);
    if (is_cjk_sentence_end(c)) return true;
    if (!spaces) return false;
    for (int closers = 0; closers < 3 && is_closing(c) && p > 0; ++closers) {
        p = char_start_before(text, p);
        c = code_at(text, p);
    }
    return is_sentence_end(c);
}

auto densest_matches(const std::vector<TextMatch>& matches, std::size_t length) -> std::pair<std::size_t, std::size_t> {
    std::uint32_t terms = 0;
    for (const auto& match : matches) terms = std::max(terms, match.term + 1);
    std::vector<std::uint32_t> in_window(terms, 0);
    std::size_t distinct = 0;
    std::size_t best_first = 0, best_last = 1, best_distinct = 0, best_count = 0;
    std::size_t last = 0;
    for (std::size_t first = 0; first < matches.size(); ++first) {
        // One match longer than the length is a window of its own.
        while (last < matches.size() &&
               (last == first || matches[last].char_end - matches[first].char_begin <= length)) {
            if (in_window[matches[last].term]++ == 0) ++distinct;
            ++last;
        }
        const auto count = last - first;
        if (distinct > best_distinct || (distinct == best_distinct && count > best_count)) {
            best_first = first;
            best_last = last;
            best_distinct = distinct;
            best_count = count;
        }
        if (--in_window[matches[first].term] == 0) --distinct;
    }
    return {best_first, best_last};
}

auto match_starts(const std::vector<TermPosition>& positions) -> std::vector<TermPosition> {
    std::vector<TermPosition> starts;
    for (std::size_t i = 0; i < positions.size(); ++i) {
        const auto next = std::find_if(positions.begin() + static_cast<std::ptrdiff_t>(i) + 1, positions.end(),
                                       [&](const TermPosition& p) { return p.position != positions[i].position; });
        if (positions[i].alone || (next != positions.end() && next->position == positions[i].position + 1))
            starts.push_back(positions[i]);
    }
    return starts;
}

auto windows_by_bound(const std::vector<TermPosition>& positions, std::size_t length) -> std::vector<WindowCandidate> {
    const auto reach = position_reach(length);
    std::uint32_t terms = 0;
    for (const auto& at : positions)
        for (const auto term : *at.terms) terms = std::max(terms, term + 1);
    std::vector<std::uint32_t> in_window(terms, 0);
    std::size_t distinct = 0;
    std::vector<WindowCandidate> candidates;
    candidates.reserve(positions.size());
    std::size_t last = 0;
    for (std::size_t first = 0; first < positions.size(); ++first) {
        const auto limit = positions[first].position + reach;
        while (last < positions.size() && positions[last].position <= limit) {
            for (const auto term : *positions[last].terms)
                if (in_window[term]++ == 0) ++distinct;
            ++last;
        }
        candidates.push_back({positions[first].position, positions[last - 1].position, {distinct, last - first}});
        for (const auto term : *positions[first].terms)
            if (--in_window[term] == 0) --distinct;
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const WindowCandidate& a, const WindowCandidate& b) { return b.bound < a.bound; });
    return candidates;
}

auto choose_passage(std::string_view text, const std::vector<TextMatch>& matches, std::size_t length)
    -> std::optional<Passage> {
    length = std::max<std::size_t>(length, 1);
    if (matches.empty()) {
        // No match in this text (a title-only hit): its lead reads best.
        const auto start = skip_spaces(text, 0, text.size());
        if (start == text.size()) return std::nullopt;
        return bounded(text, start,
                       snap_end(text, forward(text, start, length), start + decode_char(text, start).size));
    }

    const auto [first, last] = densest_matches(matches, length);
    const auto& head = matches[first];
    const auto& tail = matches[last - 1];
    const auto span = tail.char_end - head.char_begin;
    std::size_t start = head.begin;
    if (span >= length) {
        // The matches alone fill the length: as much of them as fits.
        return bounded(text, start,
                       snap_end(text, forward(text, start, length), start + decode_char(text, start).size));
    }
    const auto extra = length - span;
    // Around the matches, half the room before them; all that the end of
    // the text leaves over goes before them too.
    const auto after = count_chars(text, tail.end, forward(text, tail.end, extra - extra / 2));
    const auto before = extra - std::min(after, extra - extra / 2);
    if (head.char_begin <= extra) {
        start = 0;  // the whole start of the text fits
    } else if (auto sentence = sentence_start(text, head.begin, std::min(extra, std::max(length / 3, before)))) {
        start = *sentence;
    } else {
        start = snap_start(text, backward(text, head.begin, before), head.begin);
    }
    start = skip_spaces(text, start, head.begin);
    const auto room = length - std::min(length, count_chars(text, start, head.begin) + span);
    return bounded(text, start, snap_end(text, forward(text, tail.end, room), tail.end));
}

}  // namespace broadsheet::server
