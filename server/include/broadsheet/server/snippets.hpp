#pragma once
// Highlighted text for hits: HTML-escaped, with matched words in <mark>.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <xapian.h>

#include "broadsheet/schema/schema.hpp"

namespace broadsheet::server {

/// A run of a text that matches the query: one word, or the words of a phrase.
struct TextMatch {
    std::size_t begin = 0;       ///< byte offset of its first character
    std::size_t end = 0;         ///< byte offset just past its last character
    std::size_t char_begin = 0;  ///< the same offsets counted in characters (code points)
    std::size_t char_end = 0;
    std::uint32_t term = 0;      ///< which of the query's terms, phrases or wildcards it matches
};

/// What to mark in one text field (title, body) for one query. Built once
/// per request from the Xapian::Query the server ran, and then used for every
/// hit. Words are found the way the indexer's TermGenerator splits them, and
/// match a term of the query that applies to the field (unprefixed when the
/// field is in the default search, or under the field's prefix):
///  - by their lower-case form ("rates"), or by their stem ("Zrate"; never for
///    stopwords, which the index does not stem);
///  - by a wildcard's pattern (`infla*`), read from the query's OP_WILDCARD;
///  - as a word run for a phrase ("interest rates rose") or a term holding
///    spaces ("united states"), only where all of it occurs in order.
/// Boolean filter terms, value ranges and excluded (AND_NOT) branches are never
/// marked. The schema must outlive this object (it keeps its stopper); like
/// the Xapian::Stem it holds, it is for one thread at a time.
class SnippetTerms {
public:
    /// Marks nothing.
    SnippetTerms() = default;
    SnippetTerms(const Xapian::Query& query, const schema::Schema& schema, const schema::FieldSpec& field);

    /// True when no word of any text can match.
    [[nodiscard]] auto empty() const -> bool { return m_term_count == 0; }
    /// Every match in `text`, in order, not overlapping.
    [[nodiscard]] auto find(std::string_view text) const -> std::vector<TextMatch>;

private:
    // The query terms a word satisfies: at most one loose term (a word or
    // wildcard on its own) and any number of phrase elements (bits).
    struct Hit {
        std::int32_t term = -1;
        std::uint64_t elements = 0;
        void add(const Hit& other);
    };
    struct Sequence {
        std::uint32_t term;   // the phrase's term number
        unsigned first_bit;   // its elements are bits first_bit .. first_bit + size - 1
        unsigned size;
    };
    // One word of a phrase: lower-case form, stem or pattern; alternatives OR.
    struct WordPattern {
        enum class Kind { exact, stem, wildcard } kind;
        std::string text;
    };

    void collect(const Xapian::Query& query);
    void add_loose(const std::string& term);
    void add_wildcard(const std::string& pattern);
    void add_sequence(const std::vector<std::vector<WordPattern>>& words);
    [[nodiscard]] auto field_word(const std::string& term, bool& stemmed) const -> std::string;
    void add_pattern(const WordPattern& pattern, const Hit& hit);
    [[nodiscard]] auto lookup(const std::string& word, std::unordered_map<std::string, Hit>& stem_cache) const
        -> Hit;
    // The English stemmers only take off or change a word's ending: its stem
    // is no longer than it, and all but at most the stem's last three letters
    // are the word's own (two for "dying" -> "die"; at most one for the rest
    // of the 94,000 words of the corpora). So most words of a long text need
    // no stemming at all.
    [[nodiscard]] auto could_stem_to_query(const std::string& word) const -> bool {
        return std::any_of(m_stem_keys.begin(), m_stem_keys.end(), [&](const auto& key) {
            return word.size() >= key.second && word.starts_with(key.first);
        });
    }

    std::string m_prefix;
    bool m_unprefixed = false;
    Xapian::Stem m_stemmer;
    const Xapian::Stopper* m_stopper = nullptr;
    bool m_stem_keeps_first_letter = false;  // English: see could_stem_to_query
    std::uint32_t m_term_count = 0;
    std::unordered_map<std::string, Hit> m_exact;
    std::unordered_map<std::string, Hit> m_stems;
    std::vector<std::pair<std::string, Hit>> m_wildcards;
    std::vector<Sequence> m_sequences;
    unsigned m_element_bits = 0;
    // Lower-case first bytes a matching word can start with.
    std::array<bool, 256> m_first_bytes{};
    std::vector<std::pair<std::string, std::size_t>> m_stem_keys;  // a stem's start, its length
};

/// A passage of at most `length` characters (code points, not bytes, so CJK
/// text is not cut short) of `text` where the matches are densest: the most
/// different terms, then the most matches, the earliest on a tie. It starts at
/// a sentence start when one is shortly before the first match, is cut at word
/// boundaries (inside a word only when one word is longer than `length`) and
/// says "…" where text is left out. Without a match, the start of the text.
/// HTML-escaped, with the matches in <mark>; neighbouring ones share a span.
/// `length` (at least 1) counts the article's characters, not the markup or the "…".
[[nodiscard]] auto make_snippet(const SnippetTerms& terms, std::string_view text, int length) -> std::string;

/// The whole of `text` (a title, an article page) with every match marked. HTML-escaped.
[[nodiscard]] auto highlight_all(const SnippetTerms& terms, std::string_view text) -> std::string;

}  // namespace broadsheet::server
