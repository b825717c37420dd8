#include "broadsheet/server/search_service.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <thread>

#include "broadsheet/schema/document.hpp"
#include "broadsheet/schema/shards.hpp"
#include "broadsheet/server/errors.hpp"
#include "broadsheet/server/html.hpp"
#include "broadsheet/server/query_ranking.hpp"
#include "broadsheet/server/snippets.hpp"

namespace broadsheet::server {

using nlohmann::json;

namespace {

// The `limit` most frequent values; listed by frequency, or for a time facet
// (years) newest first, which is how people scan them.
auto top_values(std::vector<std::pair<std::string, Xapian::doccount>> counts, std::size_t limit, bool by_time)
    -> std::vector<FacetValue> {
    std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (counts.size() > limit) counts.resize(limit);
    if (by_time)
        std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<FacetValue> out;
    out.reserve(counts.size());
    for (auto& [value, count] : counts) out.push_back({std::move(value), count, {}});
    return out;
}


constexpr std::size_t max_facet_values = 20;
constexpr std::size_t max_time_facet_values = 300;

// Counts for the named facets over everything an Enquire matches.
class FacetCounter {
public:
    FacetCounter(Xapian::Enquire& enquire, const schema::Schema& schema, const std::vector<std::string>& names)
        : m_schema(schema) {
        for (const auto& name : names) {
            const auto* field = schema.find_facet(name);
            // Built-in spies only: a remote shard (stock xapian-tcpsrv) runs
            // them and the front end merges their counts.
            const auto slot = field->type == schema::FieldType::date ? *field->year_slot : *field->slot;
            Spy spy{name, field->multi, std::make_unique<Xapian::ValueCountMatchSpy>(slot)};
            enquire.add_matchspy(spy.counter.get());
            m_spies.push_back(std::move(spy));
        }
    }

    [[nodiscard]] auto empty() const -> bool { return m_spies.empty(); }

    /// Each facet's most frequent values, after get_mset; facets by name.
    [[nodiscard]] auto counts(std::size_t limit) const -> std::vector<Facet> {
        std::vector<Facet> facets;
        for (const auto& spy : m_spies) {
            std::vector<std::pair<std::string, Xapian::doccount>> counts;
            if (spy.multi) {
                // A multi-valued slot holds a document's whole set of values:
                // each distinct set's count goes to every value in it, which
                // counts each value once per document that has it.
                std::map<std::string, Xapian::doccount> per_value;
                for (auto v = spy.counter->values_begin(); v != spy.counter->values_end(); ++v)
                    for (auto& value : schema::split_values(*v)) per_value[value] += v.get_termfreq();
                counts.assign(per_value.begin(), per_value.end());
            } else {
                for (auto v = spy.counter->values_begin(); v != spy.counter->values_end(); ++v)
                    if (!(*v).empty()) counts.emplace_back(*v, v.get_termfreq());
            }
            // Every year with a match: there are few, and a reader looks for one.
            bool by_time = m_schema.find_facet(spy.name)->type == schema::FieldType::date;
            facets.push_back(
                {spy.name, by_time, top_values(std::move(counts), by_time ? max_time_facet_values : limit, by_time)});
        }
        std::sort(facets.begin(), facets.end(), [](const Facet& a, const Facet& b) { return a.name < b.name; });
        return facets;
    }

private:
    struct Spy {
        std::string name;
        bool multi = false;  ///< the slot holds a set of values (schema::split_values)
        std::unique_ptr<Xapian::ValueCountMatchSpy> counter;
    };
    const schema::Schema& m_schema;
    std::vector<Spy> m_spies;
};

auto round3(double value) -> double { return std::round(value * 1000.0) / 1000.0; }

auto text_of(const json& fields, const schema::FieldSpec* field) -> std::string {
    if (!field) return {};
    auto it = fields.find(field->name);
    return it != fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What a page shows of an article, found through the schema's roles.
auto shown_of(const schema::Schema& schema, const json& fields) -> Shown {
    Shown shown{text_of(fields, schema.role_field(schema::Role::title)),
                text_of(fields, schema.role_field(schema::Role::standfirst)),
                text_of(fields, schema.role_field(schema::Role::date)),
                text_of(fields, schema.role_field(schema::Role::link)),
                {}};
    if (const auto* topics = schema.role_field(schema::Role::topics)) {
        auto it = fields.find(topics->name);
        if (it != fields.end() && it->is_array())
            for (const auto& value : *it)
                if (value.is_string()) shown.topics.push_back(value.get<std::string>());
    }
    return shown;
}

// The URL filter that narrows to one topic (?tag=), or "" when the schema has no topics.
auto topic_filter(const schema::Schema& schema) -> std::string {
    const auto* topics = schema.role_field(schema::Role::topics);
    return topics ? topics->facet : std::string();
}

// A hit: id, rank and score, and the stored fields but the id.
auto make_hit(const schema::Schema& schema, json fields, Xapian::doccount rank, double score, bool for_page) -> Hit {
    Hit hit;
    const auto& id_name = schema.id_field().name;
    if (auto id = fields.find(id_name); id != fields.end()) {
        if (id->is_string()) hit.id = std::move(id->get_ref<std::string&>());
        fields.erase(id);
    }
    hit.rank = rank;
    hit.score = round3(score);
    if (for_page) hit.shown = shown_of(schema, fields);
    hit.fields = std::move(fields);
    return hit;
}

// The query, weighting and order of a request: shared by /search and rank().
// `built` is the request's query when already built (and priced), else it is built here.
// `ranking` replaces the schema's (evaluation).
auto make_enquire(Searcher& searcher, const SearchRequest& request, const ServerConfig& config, BuiltQuery& built,
                  const schema::Ranking* ranking = nullptr) -> Xapian::Enquire {
    const auto& schema = searcher.info->schema;
    Xapian::Enquire enquire(searcher.db);
    if (built.query.empty()) {
        built = build_query(request, schema, searcher.parser, &searcher.db);
        check_query_cost(query_cost(built.parsed), config);
    }
    // Xapian stops matching when the time is up and ranks what it has seen.
    enquire.set_time_limit(config.search_time_limit_ms / 1000.0);
    const auto& scoring = ranking ? *ranking : schema.ranking();
    enquire.set_weighting_scheme(bm25(scoring));
    if (request.sort == SortOrder::relevance) {
        // Equal scores in id order, so a single index and shards (whose
        // document numbers interleave) list them alike; set first, so the
        // documents a query expansion reads are chosen the same way too. An
        // index built without the id slot keeps document order.
        if (const auto& id = schema.id_field(); id.slot) enquire.set_sort_by_relevance_then_value(*id.slot, false);
        set_ranked_query(enquire, built.query, built.text, scoring, request.expand.value_or(scoring.expand),
                         searcher.parser, schema);
    } else {
        enquire.set_query(built.query);
        enquire.set_sort_by_value_then_relevance(*schema.date_field()->slot,
                                                 request.sort == SortOrder::date_descending);
    }
    return enquire;
}

// What a searcher's documents are kept under; none when its database has no
// single revision (several shards), whose documents are then read every time.
auto document_version(const Searcher& searcher) -> std::optional<DocumentVersion> {
    try {
        return DocumentVersion{searcher.info->generation, searcher.db.get_revision()};
    } catch (const Xapian::Error&) {
        return std::nullopt;
    }
}

// A hit's stored document, decoded: kept from an earlier request, or read now and kept.
auto stored_hit(const IndexInfo& info, DocumentCache& cache, const std::optional<DocumentVersion>& version,
                const Xapian::MSetIterator& hit) -> DocumentCache::Entry {
    const auto docid = *hit;
    if (version)
        if (auto kept = cache.find(*version, docid)) return kept;
    // The body is only wanted for the snippet: a long one stays in its chunks.
    auto read = std::make_shared<const schema::StoredDocument>(
        schema::read_stored(info.schema, hit.get_document(), schema::BodyReading::chunks, info.dictionary.get()));
    if (version) cache.insert(*version, docid, read);
    return read;
}

}  // namespace

auto run_search(Searcher& searcher, DocumentCache& cache, const SearchRequest& request, const ServerConfig& config,
                bool for_page, const std::function<bool()>& client_gone, BuiltQuery built) -> SearchResult {
    auto started = std::chrono::steady_clock::now();
    const auto& schema = searcher.info->schema;
    auto enquire = make_enquire(searcher, request, config, built);
    FacetCounter facet_counter(enquire, schema, request.facets);
    // Sorted by a value (ties by id, or by date), Xapian 1.4 counts a remote
    // shard's documents twice in the facets: the shard counts them, and the
    // front end again those that rank too low to keep. With a collapse key it
    // takes the path that leaves remote documents to their shard; the key is
    // the id, so nothing is collapsed. It doubles the cost of counting facets,
    // so one database goes without.
    const auto& id_slot = schema.id_field().slot;
    const bool collapsing = id_slot && !facet_counter.empty() && searcher.db.size() > 1;
    if (collapsing) enquire.set_collapse_key(*id_slot);
    auto offset = static_cast<Xapian::doccount>((request.page - 1) * request.size);
    auto size = static_cast<Xapian::doccount>(request.size);
    // Totals are exact up to the limit (beyond it, estimated: counting every
    // match of a common word would cost more than the search). Facets count
    // the whole match, so then every match must be seen.
    auto exact_up_to = static_cast<Xapian::doccount>(config.exact_total_limit);
    // Facets over a huge match are counted over its first documents only.
    auto facet_documents = std::min(searcher.db.get_doccount(),
                                    static_cast<Xapian::doccount>(config.max_facet_documents));
    Xapian::doccount check_at_least = facet_counter.empty() ? std::max(offset + size, exact_up_to)
                                                            : std::max(offset + size, facet_documents);
    auto matching_started = std::chrono::steady_clock::now();
    auto mset = enquire.get_mset(offset, size, check_at_least);
    bool timed_out = std::chrono::steady_clock::now() - matching_started >=
                     std::chrono::milliseconds(config.search_time_limit_ms);
    if (client_gone && client_gone()) throw client_closed();

    // The page always shows every field, its title and its snippet; the API
    // returns what fields= and highlight= ask for.
    const auto* fields = for_page ? nullptr : request.fields ? &*request.fields : nullptr;
    const bool highlight = for_page || request.highlight;
    const auto* snippet_field = highlight && (for_page || request.snippet) ? schema.snippet_field() : nullptr;
    const auto* title_field = schema.title_field();
    const bool title_wanted = highlight && title_field &&
                              (!fields ||
                               std::find(fields->begin(), fields->end(), title_field->name) != fields->end());
    // What to mark, worked out once for all the hits.
    const auto title_terms = title_wanted ? SnippetTerms(built.parsed, schema, *title_field) : SnippetTerms();
    const auto body_terms = snippet_field ? SnippetTerms(built.parsed, schema, *snippet_field) : SnippetTerms();
    ChunkedSnippets long_snippets(body_terms, searcher.db);
    const auto& id_name = schema.id_field().name;
    const auto version = document_version(searcher);
    SearchResult result;
    result.hits.reserve(mset.size());
    Xapian::doccount rank = offset;
    for (auto it = mset.begin(); it != mset.end(); ++it) {
        const auto stored = stored_hit(*searcher.info, cache, version, it);
        json shown_fields;
        if (fields) {
            auto field_or_null = [&stored](const std::string& name) {
                auto found = stored->fields.find(name);
                return found != stored->fields.end() ? *found : json(nullptr);
            };
            shown_fields = json::object();
            shown_fields[id_name] = field_or_null(id_name);
            for (const auto& name : *fields) shown_fields[name] = field_or_null(name);
        } else {
            shown_fields = stored->fields;
        }
        auto hit = make_hit(schema, std::move(shown_fields), ++rank, it.get_weight(), for_page);
        if (title_wanted) {
            auto title = hit.fields.find(title_field->name);
            hit.title_html = title != hit.fields.end() && title->is_string()
                                 ? highlight_all(title_terms, title->get_ref<const std::string&>())
                                 : std::string();
        }
        if (snippet_field)
            hit.snippet_html = stored->chunks ? long_snippets.make(*stored->chunks, *it, request.snippet_length)
                                              : make_snippet(body_terms, stored->body, request.snippet_length);
        result.hits.push_back(std::move(hit));
    }
    result.facets = facet_counter.counts(max_facet_values);

    // Spelling correction costs a scan of the spelling table per word, so it
    // is only worked out when the query found nothing.
    // A long query of words that match nothing would cost a look-up per word.
    constexpr std::size_t max_words_to_correct = 16;
    if (mset.get_matches_estimated() == 0 && request.page == 1 &&
        query_cost(built.parsed).terms <= max_words_to_correct) {
        if (built.lenient_reason)
            searcher.parser.parse_query(built.words, Xapian::QueryParser::FLAG_SPELLING_CORRECTION);
        else searcher.parser.parse_query(request.query, parser_flags() | Xapian::QueryParser::FLAG_SPELLING_CORRECTION);
        auto corrected = searcher.parser.get_corrected_query_string();
        if (!corrected.empty() && corrected != request.query && corrected != built.words)
            result.suggestion = std::move(corrected);
    }
    if (built.lenient_reason) {
        result.notice = Notice{"read_as_plain_words", *built.lenient_reason,
                               "the query could not be read as written (" + *built.lenient_reason +
                                   "), so its words were searched for instead",
                               built.words};
    }

    double took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    result.query = request.query;
    if (collapsing) {
        // Nothing collapsed, so the uncollapsed counts are the true ones;
        // and a match that saw fewer documents than it checked for saw them
        // all, which Xapian leaves unsaid when collapsing.
        const auto seen = mset.get_uncollapsed_matches_lower_bound();
        result.total_exact = (seen < check_at_least && !timed_out) ||
                             seen == mset.get_uncollapsed_matches_upper_bound();
        result.total = result.total_exact ? seen : mset.get_uncollapsed_matches_estimated();
    } else {
        result.total = mset.get_matches_estimated();
        result.total_exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
    }
    result.page = request.page;
    result.size = request.size;
    result.took_ms = round3(took_ms);
    result.timed_out = timed_out;
    result.generation = searcher.info->generation;
    result.missing_shards = searcher.missing_shards;
    if (title_field) result.title_html_key = title_field->name + "_html";
    result.topic_filter = topic_filter(schema);
    return result;
}

namespace {

// Runs `work` on a leased searcher, retrying on a new revision if a
// writer moved the database underneath the read.
template <typename Work>
auto on_lease(SearcherPool::Lease& lease, Work&& work) {
    for (int attempt = 0;; ++attempt) {
        try {
            return work(*lease);
        } catch (const Xapian::DatabaseModifiedError&) {
            if (attempt >= 2) throw;
            lease.reopen();
        } catch (const Xapian::NetworkError& e) {
            // Cluster mode: a shard's connection failed (its node went, or it
            // closed the connection while idle); run again on what answers.
            if (attempt >= 2) throw;
            lease.recover(e);
        }
    }
}

template <typename Work>
auto with_searcher(SearcherPool& pool, Work&& work) {
    auto lease = pool.acquire();
    return on_lease(lease, std::forward<Work>(work));
}

// Words a person would search for: unprefixed (no field or filter terms),
// not stopwords, not bare numbers.
class PlainWordDecider : public Xapian::ExpandDecider {
public:
    explicit PlainWordDecider(const schema::Schema& schema) : m_stopper(schema.stopper()) {}
    auto operator()(const std::string& term) const -> bool override {
        if (term.empty() || (term[0] >= 'A' && term[0] <= 'Z')) return false;
        if (std::all_of(term.begin(), term.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
        return !(m_stopper && (*m_stopper)(term));
    }

private:
    const Xapian::Stopper* m_stopper;
};

auto find_document(Searcher& searcher, std::string_view id) -> Xapian::docid {
    auto term = searcher.info->schema.id_term(id);
    auto posting = searcher.db.postlist_begin(term);
    if (posting == searcher.db.postlist_end(term)) {
        // Not "no such article" while the shard that would hold it is out of reach.
        if (!searcher.missing_shards.empty()) {
            const auto owner = schema::shard_name(
                schema::shard_of(id, static_cast<std::uint32_t>(searcher.shards.size())));
            if (std::find(searcher.missing_shards.begin(), searcher.missing_shards.end(), owner) !=
                searcher.missing_shards.end())
                throw ApiError(503, "shard_unavailable",
                               "the shard holding this article (" + owner + ") cannot be reached; retry shortly");
        }
        throw ApiError(404, "not_found", "no article with id '" + std::string(id.substr(0, 200)) + "'");
    }
    return *posting;
}

}  // namespace

SearchService::SearchService(const ServerConfig& config, IndexWatcher& watcher, SearcherPool& pool)
    : m_config(config),
      m_watcher(watcher),
      m_pool(pool),
      m_gate(config.max_concurrent_searches > 0 ? static_cast<unsigned>(config.max_concurrent_searches)
                                                : std::max(1u, std::thread::hardware_concurrency()),
             static_cast<std::size_t>(config.max_waiting_searches)),
      m_heavy_gate(std::max(1u, m_gate.limit() / 2), static_cast<std::size_t>(config.max_waiting_searches)),
      m_documents(static_cast<std::size_t>(config.document_cache_mb) * 1024 * 1024),
      m_results(static_cast<std::size_t>(config.result_cache_mb) * 1024 * 1024) {}

auto SearchService::is_heavy(const QueryCost& cost) -> bool {
    // Beyond a handful of words, phrase words or any wildcard, matching
    // cost grows with the postings read; ordinary searches stay below.
    constexpr std::size_t heavy_terms = 32;
    constexpr std::size_t heavy_positional_terms = 4;
    return cost.terms > heavy_terms || cost.wildcards > 0 || cost.positional_terms > heavy_positional_terms;
}

auto SearchService::admit() -> FifoGate::Pass {
    auto pass = m_gate.try_enter(std::chrono::milliseconds(m_config.max_search_wait_ms));
    if (!pass) throw ApiError(503, "overloaded", "too many searches are running or waiting; retry shortly");
    return pass;
}

auto SearchService::live() const -> std::shared_ptr<const IndexInfo> {
    auto info = m_watcher.info();
    if (!info) throw index_unavailable();
    return info;
}

auto SearchService::search(const Params& params, bool for_page, const std::function<bool()>& client_gone)
    -> SearchOutcome {
    SearchOutcome outcome;
    BuiltQuery built;
    std::shared_ptr<const IndexInfo> read_with;
    // Read and priced before it waits, so that a query over budget is refused
    // at once; the searcher goes back to the pool while the query waits.
    auto read = [&](Searcher& searcher) {
        outcome.request = parse_search_request(params, m_config, searcher.info->schema);
        if (for_page && outcome.request.facets.empty()) outcome.request.facets = searcher.info->schema.facet_names();
        built = build_query(outcome.request, searcher.info->schema, searcher.parser, &searcher.db);
        read_with = searcher.info;
        auto cost = query_cost(built.parsed);
        check_query_cost(cost, m_config);
        return cost;
    };
    auto cost = read(*m_pool.acquire());
    // Costly queries take a place in a narrower lane first, so that a flood of
    // them leaves cores for ordinary searches.
    std::optional<FifoGate::Pass> heavy;
    if (is_heavy(cost)) {
        heavy.emplace(m_heavy_gate.try_enter(std::chrono::milliseconds(m_config.max_search_wait_ms)));
        if (!*heavy)
            throw ApiError(503, "overloaded", "too many costly searches are running or waiting; retry shortly");
    }
    auto pass = admit();
    if (client_gone && client_gone()) throw client_closed();
    // Leased only once admitted: searchers are then about as many as the
    // searches running, not the requests waiting, and the pool hands back the
    // one used last, whose blocks and caches are warm.
    auto lease = m_pool.acquire();
    // A new generation may have come in while the query waited: read it again against that one's schema.
    if (lease->info != read_with) read(*lease);
    outcome.result = on_lease(lease, [&](Searcher& searcher) {
        return run_search(searcher, m_documents, outcome.request, m_config, for_page, client_gone, built);
    });
    if (!outcome.result.missing_shards.empty()) m_pool.cluster()->count_partial_answer();
    return outcome;
}

auto SearchService::search(const SearchRequest& request) -> SearchResult {
    auto pass = admit();
    return with_searcher(m_pool, [&](Searcher& searcher) {
        return run_search(searcher, m_documents, request, m_config, false, {});
    });
}

auto SearchService::rank(const SearchRequest& request, int depth, const std::optional<schema::Ranking>& ranking)
    -> std::vector<std::pair<std::string, double>> {
    return with_searcher(m_pool, [&](Searcher& searcher) {
        BuiltQuery built;
        auto enquire = make_enquire(searcher, request, m_config, built, ranking ? &*ranking : nullptr);
        auto mset = enquire.get_mset(0, static_cast<Xapian::doccount>(depth));
        const auto& id_name = searcher.info->schema.id_field().name;
        std::vector<std::pair<std::string, double>> ranked;
        for (auto it = mset.begin(); it != mset.end(); ++it) {
            auto stored = schema::read_stored(searcher.info->schema, it.get_document(), schema::BodyReading::whole,
                                              searcher.info->dictionary.get());
            ranked.emplace_back(stored.fields[id_name].get<std::string>(), it.get_weight());
        }
        return ranked;
    });
}

auto SearchService::article(std::string_view id) -> json {
    auto pass = admit();
    return with_searcher(m_pool, [&](Searcher& searcher) -> json {
        return schema::stored_fields(searcher.info->schema, searcher.db.get_document(find_document(searcher, id)),
                                     searcher.info->dictionary.get());
    });
}

auto SearchService::article_view(std::string_view id, const std::string& query) -> ArticleView {
    ArticleView view;
    {
        // Released before related() takes a place of its own.
        auto pass = admit();
        view = with_searcher(m_pool, [&](Searcher& searcher) {
            const auto& schema = searcher.info->schema;
            auto doc = searcher.db.get_document(find_document(searcher, id));
            auto stored = schema::read_stored(schema, doc, schema::BodyReading::whole, searcher.info->dictionary.get());
            ArticleView page;
            page.id = std::string(id);
            page.shown = shown_of(schema, stored.fields);
            page.topic_filter = topic_filter(schema);
            const std::string& title = page.shown.title.empty() ? page.id : page.shown.title;
            page.title_html = html_escape(title);
            page.body_html = html_escape(stored.body);
            // Mark the words of the query that led here, read as /search reads it.
            if (!query.empty()) {
                SearchRequest request;
                request.query = query;
                request.op = DefaultOperator::or_;
                request.syntax_problem = find_syntax_problem(query).value_or("");
                auto built = build_query(request, schema, searcher.parser, &searcher.db);
                // The marks come from the query alone: no match needs to run.
                if (const auto* title_field = schema.title_field())
                    page.title_html = highlight_all(SnippetTerms(built.parsed, schema, *title_field), title);
                const auto* body_field = schema.snippet_field();
                if (body_field && !stored.body.empty())
                    page.body_html = highlight_all(SnippetTerms(built.parsed, schema, *body_field), stored.body);
            }
            if (const auto* body_field = schema.snippet_field())
                stored.fields[body_field->name] = std::move(stored.body);
            page.fields = std::move(stored.fields);
            return page;
        });
    }
    view.related = related(id, 5, true).hits;
    return view;
}

auto SearchService::related(std::string_view id, int size, bool for_page) -> Related {
    auto pass = admit();
    return with_searcher(m_pool, [&](Searcher& searcher) {
        const auto& schema = searcher.info->schema;
        auto docid = find_document(searcher, id);
        Xapian::RSet rset;
        rset.add_document(docid);
        Xapian::Enquire enquire(searcher.db);
        // The article's most distinctive words, weighted by how much they set it
        // apart, among those some other article shares (a word only this one
        // uses, a name say, finds nothing else).
        struct SharedWordDecider : PlainWordDecider {
            SharedWordDecider(const schema::Schema& s, const Xapian::Database& db) : PlainWordDecider(s), m_db(db) {}
            auto operator()(const std::string& term) const -> bool override {
                return PlainWordDecider::operator()(term) && m_db.get_termfreq(term) >= 2;
            }
            const Xapian::Database& m_db;
        } decider(schema, searcher.db);
        constexpr Xapian::termcount expansion_terms = 20;
        // Exact term frequencies: over several databases (a cluster's shards)
        // Xapian otherwise estimates them, and the words chosen would differ
        // from one index's. Over one database they are exact anyway.
        auto eset = enquire.get_eset(expansion_terms, rset, Xapian::Enquire::USE_EXACT_TERMFREQ, &decider);
        Related found{std::string(id), {}};
        if (!eset.empty()) {
            std::vector<Xapian::Query> terms;
            for (auto it = eset.begin(); it != eset.end(); ++it) terms.emplace_back(*it);
            Xapian::Query like(Xapian::Query::OP_OR, terms.begin(), terms.end());
            enquire.set_query(Xapian::Query(Xapian::Query::OP_AND_NOT, like, Xapian::Query(schema.id_term(id))));
            enquire.set_weighting_scheme(schema.weighting());
            auto mset = enquire.get_mset(0, static_cast<Xapian::doccount>(size));
            Xapian::doccount rank = 0;
            for (auto it = mset.begin(); it != mset.end(); ++it) {
                auto stored = schema::read_stored(schema, it.get_document(), schema::BodyReading::whole,
                                                  searcher.info->dictionary.get());
                found.hits.push_back(make_hit(schema, std::move(stored.fields), ++rank, it.get_weight(), for_page));
            }
        }
        return found;
    });
}

auto SearchService::suggest(std::string_view text, int size) -> Suggestions {
    auto pass = admit();
    return with_searcher(m_pool, [&](Searcher& searcher) {
        // Complete the last word; the words before it are kept as typed.
        auto cut = text.find_last_of(" \t");
        auto head = cut == std::string_view::npos ? std::string_view{} : text.substr(0, cut + 1);
        auto prefix = Xapian::Unicode::tolower(
            std::string(cut == std::string_view::npos ? text : text.substr(cut + 1)));
        Suggestions answer{std::string(text), {}};
        if (prefix.empty()) return answer;
        PlainWordDecider decider(searcher.info->schema);
        // Looking at a bounded number of words keeps a one-letter prefix as
        // fast as a long one; the most frequent words are rarely beyond it.
        constexpr int max_scanned = 20000;
        std::vector<std::pair<Xapian::doccount, std::string>> found;
        int scanned = 0;
        for (auto it = searcher.db.allterms_begin(prefix);
             it != searcher.db.allterms_end(prefix) && scanned < max_scanned; ++it, ++scanned) {
            if (decider(*it)) found.emplace_back(it.get_termfreq(), *it);
        }
        auto keep = std::min(found.size(), static_cast<std::size_t>(size));
        std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(keep), found.end(),
                          [](const auto& a, const auto& b) {
                              return a.first != b.first ? a.first > b.first : a.second < b.second;
                          });
        for (std::size_t i = 0; i < keep; ++i) {
            answer.suggestions.push_back({std::string(head) + found[i].second, found[i].second, found[i].first});
        }
        return answer;
    });
}

auto SearchService::stats() const -> IndexStats {
    auto info = live();
    auto schema_json = info->schema.to_json();
    return IndexStats{info->documents, info->generation,        info->revision,
                      info->built_at,  info->schema.language(), std::move(schema_json["fields"])};
}

auto SearchService::overview() -> Overview {
    auto info = live();
    {
        std::lock_guard lock(m_overview_mutex);
        if (m_overview_of == overview_key(*info)) return m_overview;
    }
    // Counting facets over every document costs a pass over the index, so it
    // is done once per revision.
    auto pass = admit();
    auto overview = with_searcher(m_pool, [&](Searcher& searcher) {
        const auto& schema = searcher.info->schema;
        Xapian::Enquire enquire(searcher.db);
        enquire.set_query(Xapian::Query::MatchAll);
        FacetCounter facet_counter(enquire, schema, schema.facet_names());
        (void)enquire.get_mset(0, 0, searcher.db.get_doccount());
        auto facets = facet_counter.counts(max_facet_values);
        // Each value with the query that finds its articles: tag:"de Gaulle", date:1962.
        for (auto& facet : facets) {
            const auto* field = schema.find_facet(facet.name);
            for (auto& entry : facet.values) {
                if (field->type == schema::FieldType::date) {
                    entry.query = field->query_name + ":" + entry.value;
                    continue;
                }
                entry.query = field->query_name + ":\"";
                for (char c : entry.value) entry.query += c == '"' ? std::string("\"\"") : std::string(1, c);
                entry.query += '"';
            }
        }
        return Overview{searcher.db.get_doccount(), std::move(facets), topic_filter(schema)};
    });
    std::lock_guard lock(m_overview_mutex);
    m_overview_of = overview_key(*info);
    m_overview = overview;
    return overview;
}

auto SearchService::overview_key(const IndexInfo& info) -> std::string {
    return info.generation + "/" + std::to_string(info.revision) + "/" + info.shard_contents;
}

auto SearchService::cache_state() const -> std::string {
    auto* cluster = m_pool.cluster();
    if (!cluster) return {};
    std::string state = cluster->contents() + "missing:";
    for (const auto& name : cluster->missing_shards()) state += name + ",";
    return state;
}

auto SearchService::readiness() const -> std::pair<bool, json> {
    auto info = m_watcher.info();
    if (!info) {
        // A CURRENT that names no generation says so, rather than "none yet".
        const auto reason = m_watcher.problem().value_or(index_unavailable().what());
        return {false, json{{"status", "unavailable"}, {"reason", reason}}};
    }
    if (auto problem = m_watcher.problem())
        return {false, json{{"status", "unavailable"}, {"reason", *problem}, {"generation", info->generation}}};
    if (auto* cluster = m_pool.cluster()) {
        // Degraded is still ready: every front end sees the same shards, so
        // taking this one out of the balancer would only add an outage.
        // Without any shard there is nothing to answer from.
        auto missing = cluster->missing_shards();
        json body{{"generation", info->generation},
                  {"documents", cluster->documents()},
                  {"shards", cluster->config().shards.size()},
                  {"missing_shards", missing}};
        if (missing.size() == cluster->config().shards.size()) {
            body["status"] = "unavailable";
            body["reason"] = "no shard can be reached";
            return {false, std::move(body)};
        }
        body["status"] = missing.empty() ? "ready" : "degraded";
        return {true, std::move(body)};
    }
    return {true, json{{"status", "ready"}, {"generation", info->generation}, {"documents", info->documents}}};
}

}  // namespace broadsheet::server
