#include "broadsheet/server/query_ranking.hpp"

#include <algorithm>
#include <set>

#include "broadsheet/server/query_builder.hpp"

namespace broadsheet::server {

namespace {

// The word as the query wrote it: the index keeps positions for words as
// written, not for their stems (Zword).
auto leaf_word(const Xapian::Query& query, const Xapian::QueryParser& parser) -> std::string {
    auto it = query.get_terms_begin();
    if (it == query.get_terms_end()) return {};
    const std::string term = *it;
    if (!term.starts_with('Z')) return term;
    auto word = parser.unstem_begin(term);
    return word == parser.unstem_end(term) ? std::string() : *word;
}

}  // namespace

auto bm25(const schema::Ranking& ranking) -> Xapian::BM25Weight { return {ranking.k1, 0, 1, ranking.b, 0.5}; }

auto neighbouring_pairs(const Xapian::Query& text, const Xapian::QueryParser& parser, std::size_t max_pairs)
    -> std::vector<std::pair<std::string, std::string>> {
    // The words in query order; "" where something else (a phrase, a
    // synonym group) stands between two of them. The parser nests groups of
    // the default operator ("a b "c d" e f" has (e OR f) inside), so groups of
    // the same operator are read through.
    std::vector<std::string> words;
    const auto op = text.get_type();
    if (op != Xapian::Query::OP_OR && op != Xapian::Query::OP_AND) return {};
    auto read = [&](const auto& self, const Xapian::Query& group) -> void {
        for (std::size_t i = 0; i < group.get_num_subqueries(); ++i) {
            const auto child = group.get_subquery(i);
            if (child.get_type() == op) self(self, child);
            else if (child.get_type() == Xapian::Query::LEAF_TERM) words.push_back(leaf_word(child, parser));
            else words.emplace_back();
        }
    };
    read(read, text);
    std::vector<std::pair<std::string, std::string>> pairs;
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 1; i < words.size() && pairs.size() < max_pairs; ++i) {
        const auto& a = words[i - 1];
        const auto& b = words[i];
        if (a.empty() || b.empty() || a == b) continue;
        if (seen.insert(std::minmax(a, b)).second) pairs.emplace_back(a, b);
    }
    return pairs;
}

auto with_proximity(const Xapian::Query& query, const Xapian::Query& text, const schema::Ranking& ranking,
                    const Xapian::QueryParser& parser, const schema::Schema& schema) -> Xapian::Query {
    if (ranking.proximity <= 0) return query;
    // Long queries (pasted abstracts) would pay a position check per pair
    // for little gain: the first pairs carry the bonus.
    constexpr std::size_t max_pairs = 12;
    const auto pairs = neighbouring_pairs(text, parser, max_pairs);
    if (pairs.empty()) return query;
    std::vector<Xapian::Query> near;
    near.reserve(pairs.size());
    for (const auto& [a, b] : pairs) {
        const Xapian::Query words[] = {Xapian::Query(a), Xapian::Query(b)};
        near.emplace_back(Xapian::Query::OP_NEAR, std::begin(words), std::end(words), ranking.proximity_window);
    }
    const auto bonus = with_positions_on_fields(Xapian::Query(Xapian::Query::OP_OR, near.begin(), near.end()), schema);
    return {Xapian::Query::OP_AND_MAYBE, query,
            Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, bonus, ranking.proximity)};
}

auto expansion_terms(Xapian::Enquire& enquire, const Xapian::Query& text, const schema::Ranking& ranking,
                     const Xapian::Stopper* stopper) -> std::vector<std::pair<std::string, double>> {
    std::vector<std::pair<std::string, double>> terms;
    if (ranking.expand_terms == 0 || ranking.expand_weight <= 0) return terms;
    const auto top = enquire.get_mset(0, ranking.expand_documents);
    if (top.empty()) return terms;
    Xapian::RSet rset;
    for (auto it = top.begin(); it != top.end(); ++it) rset.add_document(*it);
    // Stemmed words as the query parser makes them from plain words (Zword),
    // so each expansion term matches every form of its word.
    struct StemDecider : Xapian::ExpandDecider {
        std::set<std::string> query_terms;
        const Xapian::Stopper* stopper = nullptr;
        auto operator()(const std::string& term) const -> bool override {
            if (term.size() < 3 || term[0] != 'Z' || (term[1] >= 'A' && term[1] <= 'Z')) return false;
            const auto word = term.substr(1);
            if (std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
            if (stopper && (*stopper)(word)) return false;
            return !query_terms.contains(term);
        }
    } decider;
    decider.stopper = stopper;
    for (auto it = text.get_terms_begin(); it != text.get_terms_end(); ++it) decider.query_terms.insert(*it);
    // Exact term frequencies: over several databases (shards) Xapian
    // otherwise estimates them, and the expansion would differ from one index's.
    const auto eset = enquire.get_eset(ranking.expand_terms, rset, Xapian::Enquire::USE_EXACT_TERMFREQ, &decider);
    for (auto it = eset.begin(); it != eset.end(); ++it) terms.emplace_back(*it, it.get_weight());
    return terms;
}

auto with_expansion(const Xapian::Query& query, const std::vector<std::pair<std::string, double>>& terms,
                    const schema::Ranking& ranking) -> Xapian::Query {
    if (terms.empty() || ranking.expand_weight <= 0) return query;
    double best = 0;
    for (const auto& term : terms) best = std::max(best, term.second);
    if (best <= 0) return query;
    std::vector<Xapian::Query> scaled;
    scaled.reserve(terms.size());
    for (const auto& [term, weight] : terms)
        scaled.emplace_back(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(term), ranking.expand_weight * weight / best);
    return {Xapian::Query::OP_AND_MAYBE, query, Xapian::Query(Xapian::Query::OP_OR, scaled.begin(), scaled.end())};
}

void set_ranked_query(Xapian::Enquire& enquire, const Xapian::Query& query, const Xapian::Query& text,
                      const schema::Ranking& ranking, bool expand, const Xapian::QueryParser& parser,
                      const schema::Schema& schema) {
    auto ranked = with_proximity(query, text, ranking, parser, schema);
    enquire.set_query(ranked);
    if (expand)
        enquire.set_query(with_expansion(ranked, expansion_terms(enquire, text, ranking, schema.stopper()), ranking));
}

}  // namespace broadsheet::server
