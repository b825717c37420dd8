#pragma once
// The field table shared by indexer and server: names, term prefixes, value
// slots, weights and the text analysis. Nothing else in Broadsheet keeps a
// list of fields.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>
#include <nlohmann/json_fwd.hpp>

#include "broadsheet/schema/synonyms.hpp"

namespace broadsheet::schema {

/// Raised when a schema file is unreadable or inconsistent.
struct SchemaError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class FieldType {
    id,       ///< the unique document key; stored as a boolean term for upserts
    text,     ///< analysed free text: stemmed, positional, searchable by prefix
    keyword,  ///< exact values (tags, url): boolean filter terms, never stemmed
    date,     ///< ISO 8601 dates: sortable, range-filterable value slot
};

/// How matches are scored: BM25 over the weighted words, and the optional
/// bonuses on top of it ("ranking" in the schema file; docs/relevance.md
/// says how the defaults were chosen).
struct Ranking {
    double k1 = 1.0;  ///< BM25 term-frequency saturation (Xapian's default)
    double b = 0.5;   ///< BM25 document-length normalisation (Xapian's default)
    /// Weight of the bonus for neighbouring query words found within
    /// proximity_window positions of each other, as a multiple of their BM25
    /// weight; 0 turns it off.
    double proximity = 0;
    unsigned proximity_window = 8;
    bool expand = false;             ///< pseudo-relevance feedback when a search does not say
    unsigned expand_documents = 10;  ///< top results the expansion terms are drawn from
    unsigned expand_terms = 10;      ///< expansion terms added
    double expand_weight = 0.5;      ///< the expansion's weight relative to the query's
};

/// What a field is to a reader, so pages show it without knowing its name.
/// The body is the snippet field ("snippet": true), not a role.
enum class Role {
    none,
    title,       ///< text: the headline
    standfirst,  ///< text: the line under the headline (subtitle)
    link,        ///< keyword: the article's address on the web
    topics,      ///< keyword facet: what the article is about, each a filter
    date,        ///< date: when it was published
};

struct FieldSpec {
    std::string name;  ///< key in input records and API output
    FieldType type = FieldType::text;
    std::string prefix;                        ///< Xapian term prefix; empty = not indexed as terms
    std::string query_name;                    ///< name in queries and URL filters (tag:, ?tag=)
    std::vector<std::string> aliases;          ///< other input keys accepted for this field
    std::uint32_t weight = 0;                  ///< text: wdf multiplier in unprefixed search; 0 = not in default search
    bool stored = true;                        ///< returned by /articles and in hits
    bool multi = false;                        ///< keyword: an array of values
    bool sortable = false;                     ///< date: allowed as sort key
    bool snippet = false;                      ///< text: the field snippets are cut from
    std::optional<Xapian::valueno> slot;       ///< value slot (sort, range, facet)
    std::optional<Xapian::valueno> year_slot;  ///< date: slot holding the year for facets
    std::string facet;                         ///< facet name, empty if not a facet
    Role role = Role::none;                    ///< what the field is to a reader (at most one field per role)

    [[nodiscard]] auto is_text() const -> bool { return type == FieldType::text; }
};

/// A loaded, validated schema.
class Schema {
public:
    /// Parses and validates; throws SchemaError naming the offending field.
    /// "synonyms" must be inline groups here; load_file and default_schema
    /// read a synonyms file the schema names.
    [[nodiscard]] static auto from_json(const nlohmann::json& doc) -> Schema;
    [[nodiscard]] static auto from_string(std::string_view text) -> Schema;
    /// Reads a schema file; a synonyms file it names is read relative to it.
    [[nodiscard]] static auto load_file(const std::string& path) -> Schema;
    /// The schema compiled from schema/articles.json, with schema/synonyms.txt.
    [[nodiscard]] static auto default_schema() -> Schema;

    /// Canonical JSON form; stored in every index so it is read back identically.
    [[nodiscard]] auto to_json() const -> nlohmann::json;
    [[nodiscard]] auto to_string() const -> std::string;

    [[nodiscard]] auto name() const -> const std::string& { return m_name; }
    [[nodiscard]] auto language() const -> const std::string& { return m_language; }
    [[nodiscard]] auto fields() const -> const std::vector<FieldSpec>& { return m_fields; }
    [[nodiscard]] auto id_field() const -> const FieldSpec&;
    /// The text field snippets come from (the body), or nullptr.
    [[nodiscard]] auto snippet_field() const -> const FieldSpec*;
    /// The date field used for sorting and date ranges, or nullptr.
    [[nodiscard]] auto date_field() const -> const FieldSpec*;
    /// The field with this role, or nullptr when no field has it.
    [[nodiscard]] auto role_field(Role role) const -> const FieldSpec*;
    [[nodiscard]] auto title_field() const -> const FieldSpec* { return role_field(Role::title); }
    /// Lookup by name or alias; nullptr if unknown.
    [[nodiscard]] auto find(std::string_view name) const -> const FieldSpec*;
    /// Lookup by query name (e.g. "tag"); nullptr if unknown.
    [[nodiscard]] auto find_by_query_name(std::string_view query_name) const -> const FieldSpec*;
    /// Lookup by facet name (e.g. "year"); nullptr if unknown.
    [[nodiscard]] auto find_facet(std::string_view facet) const -> const FieldSpec*;
    [[nodiscard]] auto facet_names() const -> std::vector<std::string>;

    [[nodiscard]] auto prefix_for(std::string_view field) const -> const std::string&;
    [[nodiscard]] auto slot_for(std::string_view field) const -> Xapian::valueno;

    /// The unique term identifying a document with this id.
    [[nodiscard]] auto id_term(std::string_view id) const -> std::string;
    /// The boolean term for a keyword value (case-folded, so filters are case-insensitive).
    [[nodiscard]] auto keyword_term(const FieldSpec& field, std::string_view value) const -> std::string;

    [[nodiscard]] auto stemmer() const -> Xapian::Stem;
    /// BM25 with the schema's k1 and b ("ranking" in the schema file).
    [[nodiscard]] auto weighting() const -> Xapian::BM25Weight;
    [[nodiscard]] auto bm25_k1() const -> double { return m_ranking.k1; }
    [[nodiscard]] auto bm25_b() const -> double { return m_ranking.b; }
    [[nodiscard]] auto ranking() const -> const Ranking& { return m_ranking; }
    [[nodiscard]] auto stopwords() const -> const std::vector<std::string>& { return m_stopwords; }
    [[nodiscard]] auto synonyms() const -> const Synonyms& { return m_synonyms; }
    /// A stopper for this schema's stopword list; shared, immutable, safe to reuse.
    [[nodiscard]] auto stopper() const -> const Xapian::Stopper*;

    /// Sets stemmer, stopper and stemming strategy used at index time.
    void configure(Xapian::TermGenerator& generator) const;
    /// Sets stemmer, stopper, strategy and every field prefix used at query time.
    void configure(Xapian::QueryParser& parser) const;

private:
    std::string m_name;
    int m_version = 1;
    std::string m_language;
    std::vector<std::string> m_stopwords;
    Ranking m_ranking;  // Xapian's BM25 defaults and no bonuses unless the schema says otherwise
    std::vector<FieldSpec> m_fields;
    std::shared_ptr<Xapian::SimpleStopper> m_stopper;
    Synonyms m_synonyms;
};

/// What a `date:` filter the query parser cannot read stands for: this term,
/// which no document has, followed by the reason. (Throwing from a field
/// processor leaks memory in Xapian 1.4's parser.)
inline constexpr std::string_view unreadable_filter_term =
    "\x7f"
    "unreadable filter: ";

/// How words are stemmed at index time (Schema::configure): each word
/// unstemmed and, unless it is a stopword, stemmed with stemmed_term_prefix.
inline constexpr auto index_stemming_strategy = Xapian::TermGenerator::STEM_SOME;

/// What Xapian's TermGenerator and QueryParser put before a stemmed term
/// (STEM_SOME): "Zrate" stands for "rates", "rated" and "rate".
inline constexpr std::string_view stemmed_term_prefix = "Z";

auto default_schema_json() -> std::string_view;
auto default_synonyms_text() -> std::string_view;

/// Metadata keys under which an index records how it was built.
namespace metadata {
inline constexpr const char* schema = "broadsheet.schema";
inline constexpr const char* built_at = "broadsheet.built_at";
inline constexpr const char* generation = "broadsheet.generation";
/// The zstd dictionary of the stored records (RecordDictionary), when the build trained one.
inline constexpr const char* record_dictionary = "broadsheet.record_dictionary";
}  // namespace metadata

}  // namespace broadsheet::schema
