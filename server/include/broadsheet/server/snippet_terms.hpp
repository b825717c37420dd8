#pragma once
// Which words of a text to mark for a query: the query's terms for one field,
// matched against the words the word reader finds.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xapian.h>

#include "broadsheet/schema/schema.hpp"
#include "broadsheet/server/snippet_words.hpp"

namespace broadsheet::server {

/// A run of a text that matches the query: one word, or the words of a phrase.
struct TextMatch {
    std::size_t begin = 0;       ///< byte offset of its first character
    std::size_t end = 0;         ///< byte offset just past its last character
    std::size_t char_begin = 0;  ///< the same offsets counted in characters (code points)
    std::size_t char_end = 0;
    std::uint32_t term = 0;  ///< which of the query's terms, phrases or wildcards it matches
};

/// How SnippetTerms learns a wildcard's pattern, which Xapian 1.4's public API does not give.
enum class QueryReading {
    /// From the query's serialisation when the running Xapian is a release
    /// whose format is known (snippet_query_format.hpp), else as public_api_only.
    serialisation_if_known,
    /// Only through the public API: Xapian expands each wildcard over the words
    /// of the text (slower; the reference the fast path is tested against).
    public_api_only,
};

/// What to mark in one text field (title, body) for one query. Built once
/// per request from the Xapian::Query the server ran, and then used for every
/// hit. Words are found the way the indexer's TermGenerator splits them
/// (snippet_words.hpp), and match a term of the query that applies to the
/// field (unprefixed when the field is in the default search, or under the
/// field's prefix):
///  - by their lower-case form ("rates"), or by their stem ("Zrate"; never for
///    stopwords, which the index does not stem);
///  - by a wildcard (`infla*`): the words it expands to;
///  - as a word run for a phrase ("interest rates rose") or a term holding
///    spaces ("united states"), only where all of it occurs in order.
/// Boolean filter terms, value ranges and excluded (AND_NOT) branches are never
/// marked. The schema must outlive this object (it keeps its stopper); like
/// the Xapian::Stem it holds, it is for one thread at a time.
class SnippetTerms {
public:
    /// Marks nothing.
    SnippetTerms() = default;
    SnippetTerms(const Xapian::Query& query, const schema::Schema& schema, const schema::FieldSpec& field,
                 QueryReading reading = QueryReading::serialisation_if_known);

    /// True when no word of any text can match.
    [[nodiscard]] auto empty() const -> bool { return m_term_count == 0; }
    /// Every match in `text`, in order, not overlapping.
    [[nodiscard]] auto find(std::string_view text) const -> std::vector<TextMatch>;
    /// An index term whose positions hold words find() matches, and every
    /// query term (TextMatch::term) a match taking in one of them can be for.
    struct PositionTerm {
        std::string name;
        std::vector<std::uint32_t> query_terms;
        bool alone = false;  ///< whether one of its words is a match on its own, not only within a phrase
    };
    /// The index terms of `db` at whose positions (in a document the indexer
    /// made) every word of the field that find() matches is: the field's
    /// prefixed forms of its words, and of the words in `db` that stem to its
    /// stems (the indexer keeps no positions for stems). nullopt when it has
    /// wildcards, or stems of a language whose stems are not known to keep the
    /// word's start (see could_stem_to_query), whose words these do not name.
    [[nodiscard]] auto position_terms(const Xapian::Database& db) const -> std::optional<std::vector<PositionTerm>>;

    /// The query terms a word satisfies: at most one loose term (a word or
    /// wildcard on its own) and any number of phrase elements (bits).
    struct Hit {
        std::int32_t term = -1;
        std::uint64_t elements = 0;
        void add(const Hit& other);
    };
    /// A phrase: its words are the element bits first_bit .. first_bit + size - 1.
    struct Sequence {
        std::uint32_t term;
        unsigned first_bit;
        unsigned size;
    };

private:
    // One word of a phrase: lower-case form, stem, pattern, or a wildcard
    // query whose pattern is not known; alternatives OR.
    struct WordPattern {
        enum class Kind { exact, stem, wildcard, unread_wildcard } kind;
        std::string text;
        Xapian::Query wildcard{};
    };
    class TextScan;

    void collect(const Xapian::Query& query);
    auto collect_phrase(const Xapian::Query& phrase) -> bool;
    void add_loose(const std::string& term);
    void add_wildcard(const Xapian::Query& wildcard);
    void add_sequence(const std::vector<std::vector<WordPattern>>& words);
    [[nodiscard]] auto wildcard_word(const Xapian::Query& wildcard) const -> WordPattern;
    [[nodiscard]] auto field_word(const std::string& term, bool& stemmed) const -> std::string;
    void add_pattern(const WordPattern& pattern, const Hit& hit);
    // The English stemmers only take off or change a word's ending: its stem
    // is no longer than it, and all but at most the stem's last three letters
    // are the word's own (two for "dying" -> "die"; at most one for the rest
    // of the 94,000 words of the corpora). So most words of a long text need
    // no stemming at all.
    [[nodiscard]] auto could_stem_to_query(const std::string& word) const -> bool;
    // The query terms a word satisfying `hit` can be part of a match for.
    void add_query_terms(const Hit& hit, PositionTerm& term) const;

    QueryReading m_reading = QueryReading::serialisation_if_known;
    std::string m_prefix;
    bool m_unprefixed = false;
    Xapian::Stem m_stemmer;
    const Xapian::Stopper* m_stopper = nullptr;
    bool m_stem_keeps_first_letter = false;  // English: see could_stem_to_query
    std::uint32_t m_term_count = 0;
    std::unordered_map<std::string, Hit> m_exact;
    std::unordered_map<std::string, Hit> m_stems;
    std::vector<std::pair<std::string, Hit>> m_wildcards;
    std::vector<std::pair<Xapian::Query, Hit>> m_unread_wildcards;  // expanded by Xapian per text
    std::vector<Sequence> m_sequences;
    unsigned m_element_bits = 0;
    // Lower-case first bytes a matching word can start with.
    std::array<bool, 256> m_first_bytes{};
    std::vector<std::pair<std::string, std::size_t>> m_stem_keys;  // a stem's start, its length
};

}  // namespace broadsheet::server
