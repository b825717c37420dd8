#pragma once
// From /search parameters to a Xapian query.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "broadsheet/schema/dates.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/server/config.hpp"

namespace broadsheet::server {

enum class SortOrder { relevance, date_ascending, date_descending };
enum class DefaultOperator { and_, or_ };

/// A validated /search request.
struct SearchRequest {
    std::string query;
    int page = 1;  ///< 1-based
    int size = 10;
    SortOrder sort = SortOrder::relevance;
    DefaultOperator op = DefaultOperator::and_;
    std::optional<schema::Date> from;  ///< inclusive
    std::optional<schema::Date> to;    ///< inclusive (a date without time covers the whole day)
    /// Exact-value filters by query name (tag=economy, year=2014); repeated names AND together.
    std::vector<std::pair<std::string, std::string>> filters;
    std::vector<std::string> facets;  ///< facet names to count over the whole match
    int snippet_length = 200;
    bool boost_recency = false;         ///< boost=recency: a bounded bonus for recent articles
    std::optional<std::string> format;  ///< "json" or "html" if given
    /// syntax=strict: a query that does not parse is a 400 instead of being
    /// searched as plain words.
    bool strict_syntax = false;
    /// Why the query cannot be read as written (empty when it can); it is then
    /// searched as plain words.
    std::string syntax_problem;
    /// fields=: the stored fields hits carry besides id, rank and score, as
    /// the schema names them (nothing given: all of them).
    std::optional<std::vector<std::string>> fields;
    /// Whether hits carry snippet_html: fields is not given or names `snippet`.
    bool snippet = true;
    /// highlight=false: hits carry no snippet_html and no <title>_html, so no
    /// passage is chosen and nothing is marked.
    bool highlight = true;
    /// expand=: pseudo-relevance feedback on or off (not given: the schema's default).
    std::optional<bool> expand;
};

/// What build_query made of a request.
struct BuiltQuery {
    /// What Xapian runs: the parsed words with their phrases and NEAR groups
    /// on the fields' positions (with_positions_on_fields), filtered and boosted.
    Xapian::Query query;
    /// The parsed words and filters as the parser made them: what the query
    /// is priced at (query_cost) and what snippets mark.
    Xapian::Query parsed;
    /// The parsed words alone, before filters and boosts (what ranking bonuses read).
    Xapian::Query text;
    /// Set when the query could not be read as written and was searched as
    /// plain words instead: the reason, for the response to say so.
    std::optional<std::string> lenient_reason;
    std::string words;  ///< the plain words searched, when lenient_reason is set
};

using Params = std::multimap<std::string, std::string>;

/// Validates /search parameters against the limits and the schema's filters
/// and facets. Throws ApiError 400 naming the parameter for anything unknown,
/// malformed or out of range.
[[nodiscard]] auto parse_search_request(const Params& params, const ServerConfig& limits, const schema::Schema& schema)
    -> SearchRequest;

/// Finds what Xapian's parser would otherwise silently reinterpret:
/// unbalanced quotes or parentheses and operators with a missing operand.
/// Returns the reason, or nothing when the query reads as written.
[[nodiscard]] auto find_syntax_problem(std::string_view query) -> std::optional<std::string>;

/// find_syntax_problem as a 400 invalid_query.
void check_query_syntax(std::string_view query);

/// The query with its syntax taken out: no quotes, brackets, operators,
/// field prefixes or wildcards; what a lenient search looks for.
[[nodiscard]] auto plain_words(std::string_view query) -> std::string;

/// What a parsed query will cost to match, counted before it runs.
struct QueryCost {
    std::size_t terms = 0;             ///< term leaves, synonyms and phrase words included
    std::size_t wildcards = 0;         ///< each may expand to max_wildcard_expansion words
    std::size_t positional_terms = 0;  ///< words inside phrases and NEAR/ADJ groups (position checks)
};

/// Counts a query's terms, wildcards and positional terms.
[[nodiscard]] auto query_cost(const Xapian::Query& query) -> QueryCost;

/// Throws ApiError 400 query_too_costly when a cost is over the configured budget.
void check_query_cost(const QueryCost& cost, const ServerConfig& limits);

/// The query parser flags Broadsheet uses.
[[nodiscard]] auto parser_flags() -> unsigned;

/// The index keeps positions only for the words under their field's prefix
/// (title:, body:); the unprefixed, weighted copies that plain queries match
/// have none. So each phrase or NEAR/ADJ group of unprefixed words becomes
/// OP_FILTER(its words ANDed, which weigh what the group weighed, the OR over
/// the fields of the default search of the same group on that field's
/// prefixed words). Fields lie 100 positions apart, farther than any window,
/// so a group never spans two and this matches what the group matched on an
/// index whose unprefixed words had positions too. A group that also holds a
/// prefixed word (title:a NEAR b) stays in that word's field. Groups of
/// prefixed words, and what cannot be read (a window the serialisation does
/// not give), are left as they are.
[[nodiscard]] auto with_positions_on_fields(const Xapian::Query& query, const schema::Schema& schema) -> Xapian::Query;

/// `query` with each stemmed word of a field of the default search
/// ("title:markets") made a synonym of that field's words with its stem, when
/// `db`'s fields keep their words unstemmed (schema/field_stems.hpp); the
/// query itself for an index built before, whose fields have stemmed words.
[[nodiscard]] auto with_field_stems_expanded(const Xapian::Query& query, const schema::Schema& schema,
                                             const Xapian::Database& db) -> Xapian::Query;

/// The full query: the parsed text, filtered by the request's exact-value
/// filters and date range (filters do not change scores). A query that does
/// not parse is searched as plain words (reported in the result), or with
/// strict_syntax throws ApiError 400 invalid_query. `database` is the one
/// searched: boost=recency measures ages from its newest date, and stemmed
/// field words are found among its words (without it, neither is done).
[[nodiscard]] auto build_query(const SearchRequest& request, const schema::Schema& schema, Xapian::QueryParser& parser,
                               const Xapian::Database* database = nullptr) -> BuiltQuery;

}  // namespace broadsheet::server
