#include <doctest/doctest.h>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/server/errors.hpp"
#include "broadsheet/server/query_builder.hpp"
#include "broadsheet/server/recency.hpp"

using namespace broadsheet;
using nlohmann::json;

namespace {

auto ranked_ids(Xapian::Database& db, const schema::Schema& schema, const std::string& q, bool boost)
    -> std::vector<std::string> {
    server::Params params{{"q", q}, {"op", "or"}};
    if (boost) params.emplace("boost", "recency");
    auto request = server::parse_search_request(params, server::ServerConfig{}, schema);
    Xapian::QueryParser parser;
    schema.configure(parser);
    parser.set_database(db);
    Xapian::Enquire enquire(db);
    enquire.set_query(server::build_query(request, schema, parser).query);
    enquire.set_weighting_scheme(schema.weighting());
    std::vector<std::string> ids;
    auto mset = enquire.get_mset(0, 10);
    for (auto it = mset.begin(); it != mset.end(); ++it)
        ids.push_back(schema::stored_fields(schema, it.get_document())["id"].get<std::string>());
    return ids;
}

}  // namespace

TEST_CASE("day numbers count calendar days, leap years included") {
    CHECK(server::day_number("20000301000000") - server::day_number("20000228000000") == 2);  // 2000 is leap
    CHECK(server::day_number("19000301000000") - server::day_number("19000228000000") == 1);  // 1900 is not
    CHECK(server::day_number("20150101") - server::day_number("20140101") == 365);
    CHECK(server::day_number("garbage!") == 0);
}

TEST_CASE("boost=recency orders equal matches newest first but never beats a much better match") {
    auto schema = schema::Schema::default_schema();
    Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
    Xapian::TermGenerator generator;
    schema.configure(generator);
    const std::vector<json> articles{
        {{"id", "old-strong"},
         {"title", "Harbour dredging harbour plan"},
         {"body", "The harbour harbour harbour works."},
         {"date", "1990-01-01"}},
        {{"id", "new-weak"},
         {"title", "Council budget"},
         {"body", "Spending rises; the harbour is mentioned once among forty other items of business today."},
         {"date", "2020-06-01"}},
        {{"id", "equal-old"}, {"title", "Ferry times"}, {"body", "Ferry times change."}, {"date", "2001-01-01"}},
        {{"id", "equal-new"}, {"title", "Ferry times"}, {"body", "Ferry times change."}, {"date", "2019-01-01"}},
    };
    for (const auto& a : articles)
        db.add_document(schema::make_document(schema, schema::normalize_record(schema, a), generator));
    // Other news, so that "harbour" and "ferry" are rare words, as in a real index.
    for (int i = 0; i < 40; ++i) {
        json filler{{"id", "filler-" + std::to_string(i)},
                    {"title", "Market report " + std::to_string(i)},
                    {"body", "Shares and bonds moved little in quiet trading."},
                    {"date", "2010-01-01"}};
        db.add_document(schema::make_document(schema, schema::normalize_record(schema, filler), generator));
    }

    auto plain = ranked_ids(db, schema, "ferry", false);
    REQUIRE(plain.size() == 2);
    CHECK(ranked_ids(db, schema, "ferry", true) == std::vector<std::string>{"equal-new", "equal-old"});
    auto harbour = ranked_ids(db, schema, "harbour", true);
    REQUIRE(harbour.size() == 2);
    CHECK(harbour[0] == "old-strong");
    CHECK(ranked_ids(db, schema, "harbour", false)[0] == "old-strong");
}

TEST_CASE("boost accepts recency or none only") {
    auto schema = schema::Schema::default_schema();
    CHECK(
        server::parse_search_request({{"q", "a"}, {"boost", "recency"}}, server::ServerConfig{}, schema).boost_recency);
    CHECK_FALSE(
        server::parse_search_request({{"q", "a"}, {"boost", "none"}}, server::ServerConfig{}, schema).boost_recency);
    CHECK_THROWS_AS((void)server::parse_search_request({{"q", "a"}, {"boost", "fresh"}}, server::ServerConfig{},
                                                       schema),
                    server::ApiError);
}
