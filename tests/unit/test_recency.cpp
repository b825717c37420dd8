#include <doctest/doctest.h>

#include <cmath>

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
    enquire.set_query(server::build_query(request, schema, parser, &db).query);
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

TEST_CASE("sortable days are the inverse of day numbers") {
    for (const char* day : {"19870226", "20000229", "20000301", "19001231", "20241231", "00010101"})
        CHECK(server::sortable_day(static_cast<long>(server::day_number(day))) == day);
}

TEST_CASE("the bonus follows the halving curve to the nearest step, and stops where it falls under half a step") {
    const server::RecencyCurve curve;  // 1.0, halving every 365 days, 16 steps
    const double step = curve.max_boost / curve.steps;
    for (double age = 0; age < 3000; age += 7) {
        CAPTURE(age);
        CHECK(std::abs(server::recency_bonus(age, curve) - std::exp2(-age / 365.0)) <= step / 2 + 1e-12);
    }
    CHECK(server::recency_bonus(0, curve) == 1.0);
    CHECK(server::recency_bonus(365, curve) == 0.5);
    CHECK(server::recency_bonus(5 * 365 + 1, curve) == 0);
}

TEST_CASE("the bonus of each article is its step from the newest date in the database") {
    auto schema = schema::Schema::default_schema();
    Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
    Xapian::TermGenerator generator;
    schema.configure(generator);
    const std::vector<std::string> dates{"2020-06-01", "2020-01-15", "2019-06-01", "2018-02-01", "2001-01-01"};
    for (std::size_t i = 0; i < dates.size(); ++i) {
        json article{{"id", "a" + std::to_string(i)}, {"title", "Ferry"}, {"date", dates[i]}};
        db.add_document(schema::make_document(schema, schema::normalize_record(schema, article), generator));
    }
    const auto slot = *schema.date_field()->slot;
    Xapian::Enquire enquire(db);
    // Every article, weightless: the scores are the bonus alone.
    const Xapian::Query every(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(std::string()), 0.0);
    enquire.set_query(server::with_recency_boost(every, db, slot));
    auto mset = enquire.get_mset(0, 10);
    const auto newest = server::day_number("20200601");
    REQUIRE(mset.size() == 5);
    CHECK(mset.back().get_weight() == 0);  // the 2001 article is past the curve's last step
    for (auto it = mset.begin(); it != mset.end(); ++it) {
        const auto age = newest - server::day_number(it.get_document().get_value(slot));
        CAPTURE(age);
        CHECK(it.get_weight() == doctest::Approx(server::recency_bonus(age)).epsilon(1e-12));
    }
    const Xapian::WritableDatabase empty(std::string(), Xapian::DB_BACKEND_INMEMORY);
    CHECK(server::with_recency_boost(every, empty, slot).serialise() == every.serialise());
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
