#pragma once
// Words and phrases that mean the same thing ("us, usa, united states"): read
// from the file the schema names, written into each index's synonym table at
// build time, and expanded by the query parser for unprefixed words.

#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>
#include <nlohmann/json_fwd.hpp>

namespace broadsheet::schema {

/// A text field of the default search: the prefix its words are indexed
/// under with their positions, and the weight (wdf per occurrence) of their
/// unprefixed copies.
struct WeightedField {
    std::string prefix;
    Xapian::termcount weight = 1;
};

class Synonyms {
public:
    /// One group per line, members separated by commas; '#' starts a comment.
    /// Members are analysed like article text, so case does not matter and
    /// "U.S." is the word "us". Throws SchemaError "<source>:<line>: reason".
    [[nodiscard]] static auto parse(std::string_view text, std::string_view source) -> Synonyms;
    /// The canonical form: an array of groups, each an array of members.
    [[nodiscard]] static auto from_json(const nlohmann::json& groups) -> Synonyms;
    [[nodiscard]] auto to_json() const -> nlohmann::json;

    /// Each member is its words joined by single spaces.
    [[nodiscard]] auto groups() const -> const std::vector<std::vector<std::string>>& { return m_groups; }
    [[nodiscard]] auto empty() const -> bool { return m_groups.empty(); }

    /// The query parser's dictionary (FLAG_AUTO_MULTIWORD_SYNONYMS): every
    /// member, as typed and as stemmed, maps to the index term of every other
    /// member of its group.
    void write_to(Xapian::WritableDatabase& db, const Xapian::Stem& stemmer, const Xapian::Stopper* stopper) const;

    /// A phrase member ("united states") is not a term by itself, so each
    /// occurrence of one in a field of the default search (found by the
    /// positions of the field's prefixed words) adds its unprefixed phrase
    /// term, weighted like that field. Then "us" can expand to it.
    void add_phrase_terms(Xapian::Document& doc, const std::vector<WeightedField>& fields) const;

private:
    void split_phrases();

    std::vector<std::vector<std::string>> m_groups;
    /// The distinct multi-word members, split into words once (indexing checks
    /// each document for them).
    std::vector<std::vector<std::string>> m_phrases;
    /// Every word of those members, sorted and distinct.
    std::vector<std::string> m_phrase_words;
};

/// A query of nothing but stopwords ("the who") keeps them, and the parser
/// stems them ("Zthe"), but the index holds stopwords unstemmed only. So each
/// stopword that is its own stem gets a dictionary entry from its stemmed
/// form back to the word. (Stopwords with another stem, "was" -> "wa", are
/// left out: "wa" is a word of its own.)
void write_stopword_keys(Xapian::WritableDatabase& db, const std::vector<std::string>& stopwords,
                         const Xapian::Stem& stemmer);

}  // namespace broadsheet::schema
