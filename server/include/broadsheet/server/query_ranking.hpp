#pragma once
// Scoring beyond BM25 over the query's own words: a bonus for neighbouring
// query words found close together in an article, and pseudo-relevance
// feedback (words that distinguish the top results, added to the query).
// Both leave the set of matching articles as it is: they only reorder it.

#include <string>
#include <utility>
#include <vector>

#include <xapian.h>

#include "broadsheet/schema/schema.hpp"

namespace broadsheet::server {

/// BM25 with ranking's k1 and b, as Schema::weighting makes it.
[[nodiscard]] auto bm25(const schema::Ranking& ranking) -> Xapian::BM25Weight;

/// Pairs of query words that neighbour each other in the query, in query
/// order and as written (`parser` parsed `text` and knows the word behind
/// each stem): the plain terms of a top-level OR or AND, with anything else
/// between them (a phrase, a synonym group) breaking the chain. Repeated
/// pairs count once; at most `max_pairs`.
[[nodiscard]] auto neighbouring_pairs(const Xapian::Query& text, const Xapian::QueryParser& parser,
                                      std::size_t max_pairs) -> std::vector<std::pair<std::string, std::string>>;

/// `query`, plus for each neighbouring pair of `text`'s words found within
/// ranking.proximity_window positions of each other (in either order)
/// ranking.proximity times the pair's BM25 weight (the pairs matched on the
/// positions of `schema`'s fields, see with_positions_on_fields). `query`
/// itself when the bonus is off or `text` has no pair.
[[nodiscard]] auto with_proximity(const Xapian::Query& query, const Xapian::Query& text, const schema::Ranking& ranking,
                                  const Xapian::QueryParser& parser, const schema::Schema& schema) -> Xapian::Query;

/// Expansion terms for `enquire`'s current query, drawn from its top
/// ranking.expand_documents results: the stemmed words that most distinguish
/// them (Xapian's ESet), none of them a stopword, a number or a word of
/// `text`, each with its expansion weight.
[[nodiscard]] auto expansion_terms(Xapian::Enquire& enquire, const Xapian::Query& text, const schema::Ranking& ranking,
                                   const Xapian::Stopper* stopper) -> std::vector<std::pair<std::string, double>>;

/// `query` with the expansion terms as an optional part worth at most
/// ranking.expand_weight of a query term each (the best term; the others in
/// proportion to their expansion weight). `query` itself when there are none.
[[nodiscard]] auto with_expansion(const Xapian::Query& query, const std::vector<std::pair<std::string, double>>& terms,
                                  const schema::Ranking& ranking) -> Xapian::Query;

/// Sets on `enquire` (its weighting already set) `query` with the proximity
/// bonus and, when `expand`, the expansion terms of its top results
/// (leaving out `schema`'s stopwords).
void set_ranked_query(Xapian::Enquire& enquire, const Xapian::Query& query, const Xapian::Query& text,
                      const schema::Ranking& ranking, bool expand, const Xapian::QueryParser& parser,
                      const schema::Schema& schema);

}  // namespace broadsheet::server
