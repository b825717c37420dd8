#include "broadsheet/server/snippet_words.hpp"

#include <bit>
#include <cstring>

#include "broadsheet/schema/strings.hpp"
#include "broadsheet/schema/text.hpp"

namespace broadsheet::server {

namespace {

using schema::decode_char;

auto byte_at(std::string_view text, std::size_t at) -> unsigned { return static_cast<unsigned char>(text[at]); }

auto is_ascii_upper(unsigned c) -> bool { return c >= 'A' && c <= 'Z'; }

auto is_digit(unsigned c) -> bool {
    if (c < 128) return c >= '0' && c <= '9';
    return Xapian::Unicode::get_category(c) == Xapian::Unicode::DECIMAL_DIGIT_NUMBER;
}

void append_lower(std::string& out, unsigned c) {
    if (c < 128) out += schema::ascii_lower(static_cast<char>(c));
    else Xapian::Unicode::append_utf8(out, Xapian::Unicode::tolower(c));
}

constexpr unsigned ignored_joiner = 0xffffffff;

// Rule 6.
auto is_zero_width(unsigned c) -> bool { return c >= 0x200b && (c <= 0x200d || c == 0x2060 || c == 0xfeff); }

// Rule 4: what a character joining two word characters puts into the term; 0
// if it separates them.
auto word_joiner(unsigned c) -> unsigned {
    if (c == '&' || c == '\'' || c == 0xb7 || c == 0x5f4 || c == 0x2027) return c;
    if (c == 0x2019 || c == 0x201b) return '\'';  // typographic apostrophes
    return is_zero_width(c) ? ignored_joiner : 0;
}

// Rule 5: the same between two digits.
auto digit_joiner(unsigned c) -> unsigned {
    switch (c) {
        case ',':
        case '.':
        case ';':
        case 0x37e:
        case 0x589:
        case 0x60d:
        case 0x7f8:
        case 0x2044:
        case 0xfe10:
        case 0xfe13:
        case 0xfe14: return c;
        default: return is_zero_width(c) ? ignored_joiner : 0;
    }
}

constexpr std::uint64_t every_byte = 0x0101010101010101;
constexpr std::uint64_t high_bits = every_byte << 7;

auto load8(std::string_view text, std::size_t at) -> std::uint64_t {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + at, sizeof word);
    return word;
}

// Rule 3: capital letters separated by dots ("U.S.", "P.T.O") from `at`, one
// word without the dots: sets its end and term. (Defined here, used once, so
// that it is inlined into the reading of every word.)
auto read_initials(std::string_view text, std::size_t at, Word& word, std::string& term) -> bool {
    const auto n = text.size();
    if (!is_ascii_upper(byte_at(text, at))) return false;
    do {
        append_lower(term, byte_at(text, at));
        ++at;
    } while (at < n && text[at] == '.' && ++at < n && is_ascii_upper(byte_at(text, at)));
    if (term.size() > 1 && (at == n || !is_wordchar(decode_char(text, at).code))) {
        word.end = at;
        return true;
    }
    term.clear();
    return false;
}

}  // namespace

auto WordReader::next(Word& word, std::string& term) -> bool {
    const auto n = m_text.size();
    while (m_at < n) {
        const auto byte = byte_at(m_text, m_at);
        if (byte < 0x80) {
            if (ascii_word_chars[byte]) break;
            ++m_at;
            continue;
        }
        const auto c = decode_char(m_text, m_at);
        if (Xapian::Unicode::is_wordchar(c.code)) break;
        m_at += c.size;
    }
    if (m_at >= n) return false;
    term.clear();
    word.begin = m_at;
    if (read_initials(m_text, m_at, word, term)) {
        m_at = word.end;
        return true;
    }

    auto at = m_at;
    unsigned last = 0;
    bool build = true;
    bool checked = false;
    while (true) {
        // Rules 1 and 2: a run of word characters, lower-cased.
        while (at < n) {
            const auto byte = byte_at(m_text, at);
            if (byte < 0x80) {
                if (!ascii_word_chars[byte]) break;
                if (build) term += schema::ascii_lower(static_cast<char>(byte));
                last = byte;
                ++at;
            } else {
                const auto c = decode_char(m_text, at);
                if (!Xapian::Unicode::is_wordchar(c.code)) break;
                if (build) append_lower(term, c.code);
                last = c.code;
                at += c.size;
            }
            if (!checked) {
                // Its first letter decides whether the word could match at all.
                checked = true;
                if (m_wanted && !(*m_wanted)[static_cast<unsigned char>(term.front())]) {
                    build = false;
                    term.clear();
                }
            }
        }
        if (at >= n) break;
        const auto joiner = decode_char(m_text, at);
        // Most words end at a space: no need to look further.
        if (joiner.code < 128 && joiner.code != '&' && joiner.code != '\'' && joiner.code != ',' &&
            joiner.code != '.' && joiner.code != ';')
            break;
        const auto after = at + joiner.size;
        if (after >= n) break;
        const auto following = decode_char(m_text, after).code;
        if (!is_wordchar(following)) break;
        // Rules 4 to 6.
        const auto joined = is_digit(last) && is_digit(following) ? digit_joiner(joiner.code)
                                                                  : word_joiner(joiner.code);
        if (joined == 0) break;
        if (joined != ignored_joiner && build) Xapian::Unicode::append_utf8(term, joined);
        at = after;
    }
    word.end = at;
    // Rule 7.
    auto suffix_end = at;
    while (suffix_end < n && suffix_end - at < 4 && (m_text[suffix_end] == '+' || m_text[suffix_end] == '#'))
        ++suffix_end;
    const auto suffix = suffix_end - at;
    if (suffix > 0 && suffix <= 3 && (suffix_end == n || !is_wordchar(decode_char(m_text, suffix_end).code))) {
        if (build) term.append(m_text.substr(at, suffix));
        word.end = suffix_end;
    }
    m_at = word.end;
    return true;
}

auto has_indexed_word(std::string_view text, std::size_t from, std::size_t to) -> bool {
    static constexpr std::array<bool, 256> none{};
    WordReader reader(text.substr(0, to), &none);
    reader.seek(from);
    Word word;
    std::string term;
    while (reader.next(word, term))
        if (word.end - word.begin <= max_word_bytes) return true;  // rule 8
    return false;
}

auto starts_with_letter(std::string_view term) -> bool {
    if (term.empty()) return false;
    const auto c = decode_char(term, 0).code;
    if (c < 128) return (c >= 'a' && c <= 'z') || is_ascii_upper(c);
    switch (Xapian::Unicode::get_category(c)) {
        case Xapian::Unicode::LOWERCASE_LETTER:
        case Xapian::Unicode::TITLECASE_LETTER:
        case Xapian::Unicode::MODIFIER_LETTER:
        case Xapian::Unicode::OTHER_LETTER: return true;
        default: return false;
    }
}

WordStartFinder::WordStartFinder(const std::array<bool, 256>& first_bytes) {
    for (unsigned b = 0; b < m_may_start.size(); ++b) {
        if (b >= 0x80) {
            m_may_start[b] = true;
        } else if (first_bytes[b]) {
            m_may_start[b] = true;
            if (b >= 'a' && b <= 'z') m_may_start[b - ('a' - 'A')] = true;
        }
    }
    // With few such bytes (a query of a word or two), eight bytes at a time
    // are checked for them (and for non-ASCII bytes).
    for (unsigned b = 0; b < 0x80; ++b) {
        if (!m_may_start[b]) continue;
        if (m_pattern_count == m_ascii_patterns.size()) {
            m_pattern_count = 0;
            return;
        }
        m_ascii_patterns[m_pattern_count++] = every_byte * b;
    }
    m_eight_at_a_time = true;
}

auto WordStartFinder::starts_here(std::string_view text, std::size_t at) const -> bool {
    if (!m_may_start[byte_at(text, at)]) return false;
    if (at == 0) return true;
    const auto before = byte_at(text, at - 1);
    return before < 0x80 ? !ascii_word_chars[before]
                         : !is_wordchar(decode_char(text, schema::char_start_before(text, at)).code);
}

auto WordStartFinder::next(std::string_view text, std::size_t at) const -> std::size_t {
    const auto n = text.size();
    while (at < n) {
        if (m_eight_at_a_time && at + 8 <= n) {
            // The top bit of each byte that may be one of them (or non-ASCII).
            const auto word = load8(text, at);
            auto found = word & high_bits;
            for (std::size_t k = 0; k < m_pattern_count; ++k) {
                const auto x = word ^ m_ascii_patterns[k];  // a zero byte where it matches
                found |= (x - every_byte) & ~x & high_bits;
            }
            for (; found != 0; found &= found - 1) {
                const auto candidate = at + static_cast<std::size_t>(std::countr_zero(found)) / 8;
                if (starts_here(text, candidate)) return candidate;
            }
            at += 8;
        } else if (starts_here(text, at)) {
            return at;
        } else {
            ++at;
        }
    }
    return n;
}

}  // namespace broadsheet::server
