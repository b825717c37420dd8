#pragma once
// Word reading for snippets: a text split into words exactly where the
// indexer's Xapian::TermGenerator (as schema::Schema::configure sets it up)
// splits it, so that a word here is a term and a position in the index.
//
// The rules copied from TermGenerator (Xapian 1.4), each tested against it in
// tests/unit/test_snippet_words.cpp:
//  1. a word is a run of word characters (Xapian::Unicode::is_wordchar:
//     letters, digits, marks, connector punctuation such as "_");
//  2. it is lower-cased (Xapian::Unicode::tolower) to make the term;
//  3. capitals separated by dots ("U.S.", "I.B.M") are one word without the dots;
//  4. "&", "'", U+00B7, U+05F4 and U+2027 between two word characters join
//     them ("AT&T", "don't"); U+2019 and U+201B join as "'";
//  5. ",", ".", ";" and a few other separators between two digits join them ("1,000.5");
//  6. zero-width characters (U+200B-U+200D, U+2060, U+FEFF) join without
//     going into the term;
//  7. up to three "+" or "#" end a word ("C++", "C#") unless a word character follows;
//  8. a word of more than 64 bytes is not indexed and takes no position;
//  9. CJK text: the schema does not set FLAG_CJK_NGRAM, so a run of CJK
//     characters is one word like any other (split at punctuation and spaces),
//     not n-grams.
// A word is stemmed by the indexer only when it starts with a letter (rule 10,
// starts_with_letter) and is not a stopword.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <xapian.h>

namespace broadsheet::server {

/// TermGenerator's default longest word: a longer one is not indexed, and takes no position.
inline constexpr std::size_t max_word_bytes = 64;

/// Xapian::Unicode::is_wordchar for ASCII: letters, digits and "_".
inline constexpr auto ascii_word_chars = [] {
    std::array<bool, 128> table{};
    for (unsigned c = 0; c < table.size(); ++c)
        table[c] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    return table;
}();

/// Whether a character can be part of a word (rule 1).
[[nodiscard]] inline auto is_wordchar(unsigned c) -> bool {
    return c < 128 ? ascii_word_chars[c] : Xapian::Unicode::is_wordchar(c);
}

/// Space, tab, new line, carriage return, form feed, vertical tab.
[[nodiscard]] inline auto is_ascii_space(unsigned c) -> bool {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Any Unicode white space (Xapian::Unicode::is_whitespace).
[[nodiscard]] inline auto is_space(unsigned c) -> bool {
    return c < 128 ? is_ascii_space(c) : Xapian::Unicode::is_whitespace(c);
}

/// Bytes [begin, end) of a word in its text.
struct Word {
    std::size_t begin = 0;
    std::size_t end = 0;
};

/// Reads the words of a text in order, with their terms (lower-case forms).
class WordReader {
public:
    /// With `wanted`, a term is only built for words whose term starts with a
    /// wanted byte; the others come back with an empty term.
    WordReader(std::string_view text, const std::array<bool, 256>* wanted) : m_text(text), m_wanted(wanted) {}

    /// Reads on from `at`, which must not be inside a word.
    void seek(std::size_t at) { m_at = at; }

    /// The next word and its term; false at the end of the text.
    auto next(Word& word, std::string& term) -> bool;

private:
    std::string_view m_text;
    const std::array<bool, 256>* m_wanted;
    std::size_t m_at = 0;
};

/// Whether a word that the index has a position for lies in text[from, to);
/// `from` not inside a word.
[[nodiscard]] auto has_indexed_word(std::string_view text, std::size_t from, std::size_t to) -> bool;

/// Whether the indexer would stem this term: it starts with a letter (not "1990s").
[[nodiscard]] auto starts_with_letter(std::string_view term) -> bool;

/// Finds, eight bytes at a time where it can, the places in a text where a
/// word whose term starts with one of the wanted bytes can begin: such a byte
/// in either case, or any non-ASCII byte (as "İ" lower-cases to "i"), not
/// preceded by a word character. Splitting all of a 200 KB speech into words
/// costs more than finding these few places.
class WordStartFinder {
public:
    explicit WordStartFinder(const std::array<bool, 256>& first_bytes);

    /// The first such place at or after `at`, or text.size().
    [[nodiscard]] auto next(std::string_view text, std::size_t at) const -> std::size_t;

private:
    [[nodiscard]] auto starts_here(std::string_view text, std::size_t at) const -> bool;

    std::array<bool, 256> m_may_start{};
    std::array<std::uint64_t, 8> m_ascii_patterns{};  // every byte one wanted ASCII byte
    std::size_t m_pattern_count = 0;
    bool m_eight_at_a_time = false;
};

}  // namespace broadsheet::server
