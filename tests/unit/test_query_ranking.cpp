#include <doctest/doctest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <xapian.h>
#include <nlohmann/json.hpp>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/schema.hpp"
#include "broadsheet/server/query_ranking.hpp"

using namespace broadsheet::server;
namespace schema = broadsheet::schema;
using nlohmann::json;
using Pairs = std::vector<std::pair<std::string, std::string>>;

namespace {

// Articles indexed with the default schema, and its query parser.
class SmallIndex {
public:
    explicit SmallIndex(const std::vector<json>& records) {
        Xapian::TermGenerator generator;
        m_schema.configure(generator);
        for (const auto& raw : records) {
            auto article = schema::normalize_record(m_schema, raw);
            auto id = article["id"].get<std::string>();
            m_db.replace_document(m_schema.id_term(id), schema::make_document(m_schema, article, generator));
        }
        m_db.commit();
        m_schema.configure(m_parser);
        m_parser.set_database(m_db);
        m_parser.set_default_op(Xapian::Query::OP_OR);
    }

    [[nodiscard]] auto parse(const std::string& text) -> Xapian::Query { return m_parser.parse_query(text); }
    [[nodiscard]] auto parser() const -> const Xapian::QueryParser& { return m_parser; }
    [[nodiscard]] auto schema() const -> const schema::Schema& { return m_schema; }

    /// Each matching id's weight, the query ranked as set_ranked_query sets it.
    [[nodiscard]] auto scores(const std::string& text, const schema::Ranking& ranking, bool expand)
        -> std::map<std::string, double> {
        Xapian::Enquire enquire(m_db);
        enquire.set_weighting_scheme(bm25(ranking));
        const auto query = parse(text);
        set_ranked_query(enquire, query, query, ranking, expand, m_parser, m_schema);
        auto mset = enquire.get_mset(0, m_db.get_doccount());
        std::map<std::string, double> out;
        for (auto it = mset.begin(); it != mset.end(); ++it)
            out[schema::stored_fields(m_schema, it.get_document())["id"].get<std::string>()] = it.get_weight();
        return out;
    }

    [[nodiscard]] auto enquire(const std::string& text) -> Xapian::Enquire {
        Xapian::Enquire enquire(m_db);
        enquire.set_query(parse(text));
        return enquire;
    }

private:
    schema::Schema m_schema = schema::Schema::default_schema();
    Xapian::WritableDatabase m_db{std::string(), Xapian::DB_BACKEND_INMEMORY};
    Xapian::QueryParser m_parser;
};

auto articles() -> SmallIndex& {
    static SmallIndex index({
        json{{"id", "together"}, {"title", "Talks"}, {"body", "The interest rates rose again, the bank said."}},
        json{{"id", "apart"},
             {"title", "Talks"},
             {"body",
              "Interest in the new stadium was high among fans of the club, who have waited "
              "many years for a ground of their own; meanwhile mortgage rates fell."}},
        json{{"id", "mortgage"},
             {"title", "Mortgage lenders"},
             {"body", "Mortgage lenders cut interest rates as mortgage demand slowed."}},
        json{{"id", "homes"}, {"title", "Homes"}, {"body", "Mortgage lenders and home buyers met."}},
        json{{"id", "sport"}, {"title", "Cup final"}, {"body", "The club won the cup in extra time."}},
    });
    return index;
}

auto with(double proximity, bool expand_on = false) -> schema::Ranking {
    schema::Ranking ranking;
    ranking.k1 = 1.2;
    ranking.b = 0.75;
    ranking.proximity = proximity;
    ranking.proximity_window = 4;
    ranking.expand = expand_on;
    ranking.expand_documents = 2;
    ranking.expand_terms = 5;
    ranking.expand_weight = 0.5;
    return ranking;
}

}  // namespace

TEST_CASE("neighbouring pairs are the query's words as written, in order, without stopwords") {
    auto& index = articles();
    CHECK(neighbouring_pairs(index.parse("interest rates of the bank"), index.parser(), 10) ==
          Pairs{{"interest", "rates"}, {"rates", "bank"}});
    CHECK(neighbouring_pairs(index.parse("rates"), index.parser(), 10).empty());
    CHECK(neighbouring_pairs(index.parse("bank club cup fans"), index.parser(), 2).size() == 2);
}

TEST_CASE("a phrase in the query breaks the chain of neighbouring words") {
    auto& index = articles();
    CHECK(neighbouring_pairs(index.parse("bank \"interest rates\" club"), index.parser(), 10).empty());
    CHECK(neighbouring_pairs(index.parse("bank cup \"interest rates\" club fans"), index.parser(), 10) ==
          Pairs{{"bank", "cup"}, {"club", "fans"}});
}

TEST_CASE("a repeated pair of words counts once") {
    CHECK(neighbouring_pairs(articles().parse("rates bank rates bank"), articles().parser(), 10).size() == 1);
}

TEST_CASE("the proximity bonus ranks words close together above the same words apart") {
    auto& index = articles();
    const auto plain = index.scores("interest rates", with(0), false);
    const auto near = index.scores("interest rates", with(0.5), false);
    CHECK(near.size() == plain.size());
    CHECK(near.at("together") > plain.at("together"));
    CHECK(near.at("apart") == doctest::Approx(plain.at("apart")));
    CHECK(near.at("together") - near.at("apart") > plain.at("together") - plain.at("apart"));
}

TEST_CASE("the proximity bonus is off at weight 0 and for one-word queries") {
    auto& index = articles();
    const auto query = index.parse("interest rates");
    CHECK(with_proximity(query, query, with(0), index.parser(), index.schema()).serialise() == query.serialise());
    const auto one = index.parse("rates");
    CHECK(with_proximity(one, one, with(0.5), index.parser(), index.schema()).serialise() == one.serialise());
    const auto again = index.parse("interest rates");
    CHECK(with_proximity(again, again, with(0.5), index.parser(), index.schema()).get_type() ==
          Xapian::Query::OP_AND_MAYBE);
}

TEST_CASE("expansion terms come from the top results and leave out the query's own words") {
    auto& index = articles();
    auto enquire = index.enquire("mortgage");
    const auto query = index.parse("mortgage");
    const auto terms = expansion_terms(enquire, query, with(0, true), index.schema().stopper());
    REQUIRE(!terms.empty());
    CHECK(terms.size() <= 5);
    bool lender = false;
    for (const auto& [term, weight] : terms) {
        CHECK(term != "Zmortgag");
        CHECK(term[0] == 'Z');
        CHECK(weight > 0);
        lender = lender || term == "Zlender";
    }
    CHECK(lender);
}

TEST_CASE("expansion reorders the query's matches without adding any") {
    auto& index = articles();
    const auto plain = index.scores("mortgage", with(0), false);
    const auto expanded = index.scores("mortgage", with(0, true), true);
    CHECK(expanded.size() == plain.size());
    // "homes" shares the top results' word "lenders": it gains from the expansion.
    CHECK(expanded.at("homes") > plain.at("homes"));
}

TEST_CASE("no expansion terms leave the query as it is") {
    auto& index = articles();
    const auto query = index.parse("mortgage");
    CHECK(with_expansion(query, {}, with(0, true)).serialise() == query.serialise());
}
