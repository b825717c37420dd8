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
    int page = 1;   ///< 1-based
    int size = 10;
    SortOrder sort = SortOrder::relevance;
    DefaultOperator op = DefaultOperator::and_;
    std::optional<schema::Date> from;  ///< inclusive
    std::optional<schema::Date> to;    ///< inclusive (a date without time covers the whole day)
    /// Exact-value filters by query name (tag=economy, year=2014); repeated names AND together.
    std::vector<std::pair<std::string, std::string>> filters;
    std::vector<std::string> facets;   ///< facet names to count over the whole match
    int snippet_length = 200;
    bool boost_recency = false;  ///< boost=recency: a bounded bonus for recent articles
    std::optional<std::string> format;  ///< "json" or "html" if given
};

using Params = std::multimap<std::string, std::string>;

/// Validates /search parameters against the limits and the schema's filters
/// and facets. Throws ApiError 400 naming the parameter for anything unknown,
/// malformed or out of range.
[[nodiscard]] auto parse_search_request(const Params& params, const ServerConfig& limits,
                                        const schema::Schema& schema) -> SearchRequest;

/// Rejects what Xapian's parser would otherwise silently reinterpret:
/// unbalanced quotes or parentheses and operators with a missing operand.
/// Throws ApiError 400 invalid_query with the reason.
void check_query_syntax(std::string_view query);

/// The query parser flags Broadsheet uses.
[[nodiscard]] auto parser_flags() -> unsigned;

/// The full query: the parsed text, filtered by the request's exact-value
/// filters and date range (filters do not change scores).
[[nodiscard]] auto build_query(const SearchRequest& request, const schema::Schema& schema,
                               Xapian::QueryParser& parser) -> Xapian::Query;

}  // namespace broadsheet::server
