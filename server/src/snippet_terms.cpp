#include "broadsheet/server/snippet_terms.hpp"

#include <algorithm>

#include "broadsheet/schema/schema.hpp"
#include "broadsheet/schema/text.hpp"
#include "broadsheet/server/snippet_query_format.hpp"

namespace broadsheet::server {

namespace {

auto is_ascii_upper(unsigned char c) -> bool { return c >= 'A' && c <= 'Z'; }

auto low_bits(unsigned n) -> std::uint64_t { return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1; }

// True for a phrase whose words must be adjacent ("..."), false for a looser
// window (ADJ/3). Xapian 1.4 does not say a phrase's window, but a query
// serialises to the same bytes as an equal one: this compares the phrase with
// the tight phrase of its words, without reading the format.
auto is_tight_phrase(const Xapian::Query& phrase) -> bool {
    std::vector<Xapian::Query> words;
    for (std::size_t i = 0; i < phrase.get_num_subqueries(); ++i) words.push_back(phrase.get_subquery(i));
    try {
        const auto data = phrase.serialise();
        for (const auto window : {static_cast<Xapian::termcount>(words.size()), Xapian::termcount{0}})
            if (Xapian::Query(Xapian::Query::OP_PHRASE, words.begin(), words.end(), window).serialise() == data)
                return true;
    } catch (const Xapian::Error&) {
        // Not serialisable (a posting source): not a phrase of words.
    }
    return false;
}

// The matches found so far. A phrase takes in the single words it covers, and
// overlapping phrases ("bank bank" in "bank bank bank") become one run.
class MatchRuns {
public:
    void add(TextMatch match) {
        while (!m_matches.empty() && m_matches.back().begin >= match.begin) {
            match.end = std::max(match.end, m_matches.back().end);
            m_matches.pop_back();
        }
        if (!m_matches.empty() && m_matches.back().end > match.begin) {
            m_matches.back().end = std::max(m_matches.back().end, match.end);
            return;
        }
        m_matches.push_back(match);
    }

    // The runs, with their offsets in characters too.
    auto take(std::string_view text) -> std::vector<TextMatch> {
        std::size_t at = 0;
        std::size_t chars = 0;
        auto chars_to = [&](std::size_t target) {
            chars += schema::count_chars(text, at, target);
            at = target;
            return chars;
        };
        for (auto& match : m_matches) {
            match.char_begin = chars_to(match.begin);
            match.char_end = chars_to(match.end);
        }
        return std::move(m_matches);
    }

private:
    std::vector<TextMatch> m_matches;
};

// Where each phrase has got to in the words read so far (shift-and: bit i of a
// phrase's progress says the last i + 1 words match its first i + 1).
class PhraseTracker {
public:
    explicit PhraseTracker(const std::vector<SnippetTerms::Sequence>& sequences)
        : m_sequences(sequences), m_progress(sequences.size(), 0) {
        for (const auto& sequence : sequences) m_longest = std::max(m_longest, sequence.size);
        m_recent_starts.resize(m_longest, 0);
    }

    [[nodiscard]] auto in_progress() const -> bool { return m_in_progress; }

    /// Words were skipped (the index has positions between): every phrase starts afresh.
    void reset() {
        std::fill(m_progress.begin(), m_progress.end(), 0);
        m_in_progress = false;
    }

    /// The next word, with the phrase elements it satisfies; adds each phrase it completes.
    void advance(const Word& word, std::uint64_t elements, MatchRuns& runs) {
        if (m_longest > 0) m_recent_starts[m_words % m_longest] = word.begin;
        ++m_words;
        if (elements == 0) {
            if (m_in_progress) reset();
            return;
        }
        m_in_progress = true;
        for (std::size_t k = 0; k < m_sequences.size(); ++k) {
            const auto& sequence = m_sequences[k];
            const auto mask = (elements >> sequence.first_bit) & low_bits(sequence.size);
            m_progress[k] = ((m_progress[k] << 1) | 1) & mask;
            if ((m_progress[k] >> (sequence.size - 1)) & 1) {
                const auto first = m_recent_starts[(m_words - sequence.size) % m_longest];
                runs.add({first, word.end, 0, 0, sequence.term});
            }
        }
    }

private:
    const std::vector<SnippetTerms::Sequence>& m_sequences;
    std::vector<std::uint64_t> m_progress;
    std::vector<std::size_t> m_recent_starts;  // of the last m_longest words
    unsigned m_longest = 0;
    std::size_t m_words = 0;
    bool m_in_progress = false;
};

}  // namespace

// One pass over a text: the words read, in order, make the matches. Keeps
// what is worth remembering between words: stems, wildcards Xapian expanded,
// how far each phrase has got.
class SnippetTerms::TextScan {
public:
    TextScan(const SnippetTerms& terms, std::string_view text)
        : m_terms(terms), m_text(text), m_phrases(terms.m_sequences) {
        if (!terms.m_unread_wildcards.empty()) expand_wildcards();
    }

    /// The next word of the text and its term (empty when not worth building).
    void read(const Word& word, const std::string& term) {
        // (A word not looked at has no term: its own length is near enough.)
        if ((term.empty() ? word.end - word.begin : term.size()) > max_word_bytes) return;
        const auto hit = lookup(term);
        if (m_phrases.in_progress() && has_indexed_word(m_text, m_last_end, word.begin)) m_phrases.reset();
        m_last_end = word.end;
        if (hit.term >= 0) m_runs.add({word.begin, word.end, 0, 0, static_cast<std::uint32_t>(hit.term)});
        m_phrases.advance(word, hit.elements, m_runs);
    }

    [[nodiscard]] auto take() -> std::vector<TextMatch> { return m_runs.take(m_text); }

private:
    // The query terms a word satisfies.
    auto lookup(const std::string& word) -> Hit {
        const auto& terms = m_terms;
        Hit hit;
        if (word.empty() || !terms.m_first_bytes[static_cast<unsigned char>(word.front())]) return hit;
        if (!terms.m_exact.empty())
            if (auto it = terms.m_exact.find(word); it != terms.m_exact.end()) hit.add(it->second);
        for (const auto& [pattern, wildcard] : terms.m_wildcards)
            if (word.starts_with(pattern)) hit.add(wildcard);
        if (!m_expanded.empty())
            if (auto it = m_expanded.find(word); it != m_expanded.end()) hit.add(it->second);
        // Stemming every word of a long speech would cost more than the rest of
        // the scan: only words that can stem to a query's stem are, once each.
        if (!terms.m_stems.empty() && (!terms.m_stem_keeps_first_letter || terms.could_stem_to_query(word))) {
            auto cached = m_stem_cache.find(word);
            if (cached == m_stem_cache.end()) {
                Hit stemmed;
                // Stopwords are indexed unstemmed, so a stem never matches them.
                if (starts_with_letter(word) && !(terms.m_stopper && (*terms.m_stopper)(word))) {
                    if (auto it = terms.m_stems.find(terms.m_stemmer(word)); it != terms.m_stems.end())
                        stemmed = it->second;
                }
                cached = m_stem_cache.emplace(word, stemmed).first;
            }
            hit.add(cached->second);
        }
        return hit;
    }

private:
    // Each wildcard whose pattern is unknown is run by Xapian over a database
    // of this text's words, one document each, under this field's prefix and
    // (for a field of the default search) without one.
    void expand_wildcards() {
        std::vector<std::string> words;
        {
            std::unordered_map<std::string, bool> seen;
            WordReader reader(m_text, nullptr);
            Word word;
            std::string term;
            while (reader.next(word, term))
                if (term.size() <= max_word_bytes && seen.emplace(term, true).second) words.push_back(term);
        }
        if (words.empty()) return;
        Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
        for (const auto& word : words) {
            Xapian::Document doc;
            if (!m_terms.m_prefix.empty()) doc.add_term(m_terms.m_prefix + word);
            if (m_terms.m_unprefixed) doc.add_term(word);
            db.add_document(doc);  // document i + 1 is words[i]
        }
        Xapian::Enquire enquire(db);
        enquire.set_weighting_scheme(Xapian::BoolWeight());
        for (const auto& [wildcard, hit] : m_terms.m_unread_wildcards) {
            try {
                enquire.set_query(wildcard);
                const auto found = enquire.get_mset(0, db.get_doccount());
                for (auto it = found.begin(); it != found.end(); ++it) m_expanded[words[*it - 1]].add(hit);
            } catch (const Xapian::Error&) {
                // Too many expansions for its limit: like the search, it marks nothing.
            }
        }
    }

    const SnippetTerms& m_terms;
    std::string_view m_text;
    std::unordered_map<std::string, Hit> m_stem_cache;
    std::unordered_map<std::string, Hit> m_expanded;
    MatchRuns m_runs;
    PhraseTracker m_phrases;
    std::size_t m_last_end = 0;  // of the last word read
};

void SnippetTerms::Hit::add(const Hit& other) {
    if (term < 0) term = other.term;
    elements |= other.elements;
}

SnippetTerms::SnippetTerms(const Xapian::Query& query, const schema::Schema& schema, const schema::FieldSpec& field,
                           QueryReading reading)
    : m_reading(reading),
      m_prefix(field.prefix),
      m_unprefixed(field.weight > 0),
      m_stemmer(schema.stemmer()),
      m_stopper(schema.stopper()) {
    const auto& language = schema.language();
    m_stem_keeps_first_letter = language == "english" || language == "en" || language == "porter";
    if (!query.empty()) collect(query);
}

auto SnippetTerms::could_stem_to_query(const std::string& word) const -> bool {
    return std::any_of(m_stem_keys.begin(), m_stem_keys.end(),
                       [&](const auto& key) { return word.size() >= key.second && word.starts_with(key.first); });
}

// The word a query term stands for in this field, or "" if the term is not
// about this field (another field's prefix, a filter, an id).
auto SnippetTerms::field_word(const std::string& term, bool& stemmed) const -> std::string {
    std::string_view rest = term;
    if (stemmed && rest.starts_with(schema::stemmed_term_prefix)) {
        rest.remove_prefix(schema::stemmed_term_prefix.size());
    } else {
        stemmed = false;
    }
    if (!m_prefix.empty() && rest.starts_with(m_prefix)) {
        rest.remove_prefix(m_prefix.size());
    } else if (!m_unprefixed || rest.empty() || is_ascii_upper(static_cast<unsigned char>(rest.front()))) {
        return {};
    }
    return std::string(rest);
}

// A wildcard as a word pattern: its pattern when it can be read; an empty
// text when it is not about this field (or a bare "*", which would mark every word).
auto SnippetTerms::wildcard_word(const Xapian::Query& wildcard) const -> WordPattern {
    if (m_reading == QueryReading::serialisation_if_known) {
        if (auto pattern = wildcard_pattern(wildcard)) {
            bool stemmed = false;
            return {WordPattern::Kind::wildcard, field_word(*pattern, stemmed), {}};
        }
    }
    return {WordPattern::Kind::unread_wildcard, "*", wildcard};
}

void SnippetTerms::collect(const Xapian::Query& query) {
    switch (query.get_type()) {
        case Xapian::Query::LEAF_TERM: add_loose(*query.get_terms_begin()); return;
        case Xapian::Query::OP_WILDCARD: add_wildcard(query); return;
        case Xapian::Query::OP_AND_NOT:  // what follows the first is excluded
        case Xapian::Query::OP_FILTER:   // what follows the first only filters
            collect(query.get_subquery(0));
            return;
        case Xapian::Query::OP_PHRASE:
            if (collect_phrase(query)) return;
            break;  // a looser phrase: its words on their own
        case Xapian::Query::LEAF_POSTING_SOURCE:
        case Xapian::Query::LEAF_MATCH_ALL:
        case Xapian::Query::LEAF_MATCH_NOTHING:
        case Xapian::Query::OP_VALUE_RANGE:
        case Xapian::Query::OP_VALUE_GE:
        case Xapian::Query::OP_VALUE_LE: return;
        default: break;
    }
    for (std::size_t i = 0; i < query.get_num_subqueries(); ++i) collect(query.get_subquery(i));
}

// A tight phrase of words as a sequence; false when it is anything else.
// Xapian 1.4 only builds phrases of terms; a word may also be a wildcard, or
// a synonym or OR of terms and wildcards, where a release allows them.
auto SnippetTerms::collect_phrase(const Xapian::Query& phrase) -> bool {
    if (!is_tight_phrase(phrase)) return false;
    std::vector<std::vector<WordPattern>> words;
    for (std::size_t i = 0; i < phrase.get_num_subqueries(); ++i) {
        auto sub = phrase.get_subquery(i);
        std::vector<Xapian::Query> alternatives;
        if (sub.get_type() == Xapian::Query::OP_SYNONYM || sub.get_type() == Xapian::Query::OP_OR) {
            for (std::size_t k = 0; k < sub.get_num_subqueries(); ++k) alternatives.push_back(sub.get_subquery(k));
        } else {
            alternatives.push_back(sub);
        }
        std::vector<WordPattern> word;
        for (const auto& alternative : alternatives) {
            if (alternative.get_type() == Xapian::Query::LEAF_TERM) {
                bool stemmed = true;
                auto text = field_word(*alternative.get_terms_begin(), stemmed);
                if (text.find(' ') != std::string::npos) return false;
                if (!text.empty())
                    word.push_back({stemmed ? WordPattern::Kind::stem : WordPattern::Kind::exact, text, {}});
            } else if (alternative.get_type() == Xapian::Query::OP_WILDCARD) {
                auto pattern = wildcard_word(alternative);
                if (!pattern.text.empty()) word.push_back(std::move(pattern));
            } else {
                return false;
            }
        }
        // A word of another field: the phrase is not about this one.
        if (word.empty()) return true;
        words.push_back(std::move(word));
    }
    add_sequence(words);
    return true;
}

void SnippetTerms::add_pattern(const WordPattern& pattern, const Hit& hit) {
    if (pattern.text.empty()) return;
    switch (pattern.kind) {
        case WordPattern::Kind::exact:
            m_exact[pattern.text].add(hit);
            m_first_bytes[static_cast<unsigned char>(pattern.text.front())] = true;
            break;
        case WordPattern::Kind::stem:
            m_stems[pattern.text].add(hit);
            m_stem_keys.emplace_back(pattern.text.substr(0, pattern.text.size() > 4 ? pattern.text.size() - 3 : 1),
                                     pattern.text.size());
            if (m_stem_keeps_first_letter) {
                m_first_bytes[static_cast<unsigned char>(pattern.text.front())] = true;
            } else {
                m_first_bytes.fill(true);
            }
            break;
        case WordPattern::Kind::wildcard: {
            auto existing = std::find_if(m_wildcards.begin(), m_wildcards.end(),
                                         [&](const auto& w) { return w.first == pattern.text; });
            if (existing == m_wildcards.end()) m_wildcards.emplace_back(pattern.text, hit);
            else existing->second.add(hit);
            m_first_bytes[static_cast<unsigned char>(pattern.text.front())] = true;
            break;
        }
        case WordPattern::Kind::unread_wildcard:
            // Any word may be one it expands to.
            m_unread_wildcards.emplace_back(pattern.wildcard, hit);
            m_first_bytes.fill(true);
            break;
    }
}

void SnippetTerms::add_loose(const std::string& term) {
    bool stemmed = true;
    auto word = field_word(term, stemmed);
    if (word.empty()) return;
    const auto kind = stemmed ? WordPattern::Kind::stem : WordPattern::Kind::exact;
    if (word.find(' ') != std::string::npos) {
        // A run of words as one term ("united states", from a synonym).
        std::vector<std::vector<WordPattern>> words;
        for (std::size_t start = 0; start < word.size();) {
            auto space = std::min(word.find(' ', start), word.size());
            if (space > start) words.push_back({{kind, word.substr(start, space - start), {}}});
            start = space + 1;
        }
        if (words.size() > 1) {
            add_sequence(words);
            return;
        }
        if (words.empty()) return;
        word = words.front().front().text;
    }
    const auto& known = stemmed ? m_stems : m_exact;
    if (auto it = known.find(word); it != known.end() && it->second.term >= 0) return;  // twice in the query
    add_pattern({kind, word, {}}, Hit{static_cast<std::int32_t>(m_term_count++), 0});
}

void SnippetTerms::add_wildcard(const Xapian::Query& wildcard) {
    auto pattern = wildcard_word(wildcard);
    if (pattern.text.empty()) return;
    add_pattern(pattern, Hit{static_cast<std::int32_t>(m_term_count++), 0});
}

void SnippetTerms::add_sequence(const std::vector<std::vector<WordPattern>>& words) {
    if (words.size() > 64 - m_element_bits) {
        // Out of bits (a query of many long phrases): mark these words on their own.
        for (const auto& word : words)
            for (const auto& pattern : word) add_pattern(pattern, Hit{static_cast<std::int32_t>(m_term_count), 0});
        ++m_term_count;
        return;
    }
    const Sequence sequence{m_term_count++, m_element_bits, static_cast<unsigned>(words.size())};
    for (std::size_t i = 0; i < words.size(); ++i) {
        const Hit element{-1, std::uint64_t{1} << (sequence.first_bit + i)};
        for (const auto& pattern : words[i]) add_pattern(pattern, element);
    }
    m_element_bits += sequence.size;
    m_sequences.push_back(sequence);
}

auto SnippetTerms::find(std::string_view text) const -> std::vector<TextMatch> {
    if (empty() || text.empty()) return {};
    TextScan scan(*this, text);
    // Only the text from the ASCII space before each place a matching word can
    // start is split into words; a word never spans such a space.
    const WordStartFinder starts(m_first_bytes);
    WordReader reader(text, &m_first_bytes);
    Word word;
    std::string term;
    const auto n = text.size();
    for (std::size_t done = 0; done < n;) {
        const auto at = starts.next(text, done);
        if (at >= n) break;
        auto from = at;
        while (from > done && !is_ascii_space(static_cast<unsigned char>(text[from - 1]))) --from;
        reader.seek(from);
        done = n;
        while (reader.next(word, term)) {
            scan.read(word, term);
            if (word.end > at) {
                done = word.end;
                break;
            }
        }
    }
    return scan.take();
}

void SnippetTerms::add_query_terms(const Hit& hit, PositionTerm& term) const {
    auto& query_terms = term.query_terms;
    const auto add = [&](std::uint32_t id) {
        if (std::find(query_terms.begin(), query_terms.end(), id) == query_terms.end()) query_terms.push_back(id);
    };
    if (hit.term >= 0) {
        add(static_cast<std::uint32_t>(hit.term));
        term.alone = true;
    }
    for (const auto& sequence : m_sequences)
        if ((hit.elements >> sequence.first_bit) & low_bits(sequence.size)) {
            add(sequence.term);
            if (sequence.size == 1) term.alone = true;
        }
}

auto SnippetTerms::position_terms(const Xapian::Database& db) const -> std::optional<std::vector<PositionTerm>> {
    if (!m_wildcards.empty() || !m_unread_wildcards.empty()) return std::nullopt;
    if (!m_stems.empty() && !m_stem_keeps_first_letter) return std::nullopt;
    // TermGenerator puts a ':' between a prefix of more than one letter and a
    // word starting with a capital; these words are lower case.
    const auto term = [&](const std::string& word) {
        return m_prefix.size() > 1 && is_ascii_upper(static_cast<unsigned char>(word.front())) ? m_prefix + ':' + word
                                                                                               : m_prefix + word;
    };
    std::vector<PositionTerm> terms;
    const auto entry = [&](const std::string& name) -> PositionTerm& {
        auto found = std::find_if(terms.begin(), terms.end(), [&](const auto& t) { return t.name == name; });
        return found != terms.end() ? *found : terms.emplace_back(PositionTerm{name, {}});
    };
    for (const auto& [word, hit] : m_exact) add_query_terms(hit, entry(term(word)));
    // The words find() stems are those could_stem_to_query lets through.
    for (const auto& [key, stem_size] : m_stem_keys) {
        const auto start = term(key);
        for (auto it = db.allterms_begin(start); it != db.allterms_end(start); ++it) {
            const auto name = *it;
            const auto word = name.substr(m_prefix.size());
            if (word.size() < stem_size) continue;
            const auto stem = m_stems.find(m_stemmer(word));
            if (stem != m_stems.end()) add_query_terms(stem->second, entry(name));
        }
    }
    return terms;
}

}  // namespace broadsheet::server
