// /search parameters through validation, the syntax check, the query parser
// (or the plain-words fallback), the match and the highlighting, as a request
// runs them. Input: one "name=value" per line.
//
// Properties: bad input is a 400, never another status; a lenient query
// (no syntax=strict) is never refused for its syntax; plain_words of plain
// words changes nothing; snippets are escaped text of the article.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include <xapian.h>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/server/errors.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/snippets.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace broadsheet;
using broadsheet::fuzz::fail;

// What the client would see for the exception in flight; anything but a 400 is a server fault.
void require_bad_request(std::string_view stage, std::string_view input) {
    auto error = server::to_api_error(std::current_exception());
    if (error.status != 400)
        fail(std::string(stage) + " answered " + std::to_string(error.status) + " " + error.code + ": " + error.what(),
             input);
}

void check_syntax_helpers(const std::string& query, std::string_view input) {
    (void)server::find_syntax_problem(query);
    // Plain words are parsed without operators (build_query's lenient path
    // checks that this never fails), so only their stability is checked here.
    auto words = server::plain_words(query);
    if (server::plain_words(words) != words) fail("plain_words of plain words changed them: '" + words + "'", input);
}

void check_hits(const Xapian::MSet& mset, const server::SearchRequest& request, const Xapian::Query& query,
                std::string_view input) {
    auto& index = fuzz::small_index();
    const auto& schema = index.schema();
    const server::SnippetTerms title_terms(query, schema, *schema.title_field());
    const server::SnippetTerms body_terms(query, schema, *schema.snippet_field());
    for (auto it = mset.begin(); it != mset.end(); ++it) {
        auto stored = schema::read_stored(schema, it.get_document());
        auto title = stored.fields[schema.title_field()->name].get<std::string>();
        if (fuzz::shown_text(server::highlight_all(title_terms, title), input) != title)
            fail("the highlighted title is not the title", input);
        (void)fuzz::shown_text(server::make_snippet(body_terms, stored.body, request.snippet_length), input);
    }
}

}  // namespace

extern "C" auto LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) -> int {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto& index = fuzz::small_index();
    const auto params = fuzz::parse_params(input);
    for (const auto& [name, value] : params)
        if (name == "q") check_syntax_helpers(value, input);

    server::SearchRequest request;
    try {
        request = server::parse_search_request(params, index.limits(), index.schema());
    } catch (...) {
        require_bad_request("parameter validation", input);
        return 0;
    }

    server::BuiltQuery built;
    try {
        built = server::build_query(request, index.schema(), index.parser(), &index.database());
    } catch (...) {
        require_bad_request("query building", input);
        if (!request.strict_syntax) fail("a lenient query was refused", input);
        return 0;
    }
    if (built.lenient_reason && request.strict_syntax) fail("a strict query was searched as plain words", input);
    if (!request.syntax_problem.empty() && !built.lenient_reason)
        fail("a query with a syntax problem was parsed as written", input);

    Xapian::MSet mset;
    try {
        Xapian::Enquire enquire(index.database());
        enquire.set_query(built.query);
        enquire.set_weighting_scheme(index.schema().weighting());
        if (request.sort != server::SortOrder::relevance)
            enquire.set_sort_by_value_then_relevance(*index.schema().date_field()->slot,
                                                     request.sort == server::SortOrder::date_descending);
        mset = enquire.get_mset(0, 10);
    } catch (...) {
        require_bad_request("the match", input);  // a wildcard over the expansion limit
        return 0;
    }

    // As the search service asks for a correction when nothing matched.
    if (mset.empty()) {
        try {
            if (built.lenient_reason)
                index.parser().parse_query(built.words, Xapian::QueryParser::FLAG_SPELLING_CORRECTION);
            else
                index.parser().parse_query(request.query,
                                           server::parser_flags() | Xapian::QueryParser::FLAG_SPELLING_CORRECTION);
            (void)index.parser().get_corrected_query_string();
        } catch (...) {
            fail("the spelling correction threw for a query that was searched", input);
        }
    }

    check_hits(mset, request, built.query, input);
    return 0;
}
