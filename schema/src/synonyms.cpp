#include "broadsheet/schema/synonyms.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "broadsheet/schema/schema.hpp"

namespace broadsheet::schema {

namespace {

// The words of a member as the indexer sees them: an unstemmed, unstopped
// TermGenerator gives the case-folded words by position.
auto analyse(std::string_view member) -> std::vector<std::string> {
    Xapian::Document doc;
    Xapian::TermGenerator generator;
    generator.set_document(doc);
    generator.index_text(std::string(member));
    std::map<Xapian::termpos, std::string> by_position;
    for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term)
        for (auto pos = term.positionlist_begin(); pos != term.positionlist_end(); ++pos) by_position[*pos] = *term;
    std::vector<std::string> words;
    words.reserve(by_position.size());
    for (auto& [pos, word] : by_position) words.push_back(std::move(word));
    return words;
}

auto join(const std::vector<std::string>& words) -> std::string {
    std::string joined;
    for (const auto& word : words) {
        if (!joined.empty()) joined += ' ';
        joined += word;
    }
    return joined;
}

auto is_stopword(const Xapian::Stopper* stopper, const std::string& word) -> bool {
    return stopper && (*stopper)(word);
}

auto stemmed_term(const std::string& stem) -> std::string {
    std::string term(stemmed_term_prefix);
    return term += stem;
}

// The term a member is found by in the index: a phrase's own term, or a
// word's stem, which covers its other forms (stopwords have no stem term).
auto index_term(const std::string& member, const Xapian::Stem& stemmer, const Xapian::Stopper* stopper) -> std::string {
    if (member.find(' ') != std::string::npos || is_stopword(stopper, member)) return member;
    return stemmed_term(stemmer(member));
}

// The keys the query parser looks a member up by: a phrase as typed; a word
// as typed and, failing that, stemmed.
auto lookup_keys(const std::string& member, const Xapian::Stem& stemmer, const Xapian::Stopper* stopper)
    -> std::vector<std::string> {
    if (member.find(' ') != std::string::npos || is_stopword(stopper, member)) return {member};
    return {member, stemmed_term(stemmer(member))};
}

}  // namespace

auto Synonyms::parse(std::string_view text, std::string_view source) -> Synonyms {
    Synonyms synonyms;
    int line_number = 0;
    while (!text.empty()) {
        ++line_number;
        auto newline = text.find('\n');
        auto line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        line = line.substr(0, line.find('#'));
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

        auto where = std::string(source) + ":" + std::to_string(line_number) + ": ";
        std::vector<std::string> group;
        std::size_t start = 0;
        while (start <= line.size()) {
            auto comma = line.find(',', start);
            auto raw = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            auto words = analyse(raw);
            if (words.empty())
                throw SchemaError(where + "an empty member; write the words of each member between commas");
            auto member = join(words);
            if (std::find(group.begin(), group.end(), member) == group.end()) group.push_back(std::move(member));
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        if (group.size() < 2)
            throw SchemaError(where + "a group needs at least two different members, such as 'us, united states'");
        synonyms.m_groups.push_back(std::move(group));
    }
    synonyms.split_phrases();
    return synonyms;
}

auto Synonyms::from_json(const nlohmann::json& groups) -> Synonyms {
    if (!groups.is_array()) throw SchemaError("'synonyms' must be a file name or an array of groups");
    Synonyms synonyms;
    for (const auto& group : groups) {
        if (!group.is_array() || group.size() < 2)
            throw SchemaError("every synonym group must be an array of at least two members");
        std::vector<std::string> members;
        for (const auto& member : group) {
            if (!member.is_string() || member.get_ref<const std::string&>().empty())
                throw SchemaError("synonym members must be non-empty strings");
            members.push_back(member.get<std::string>());
        }
        synonyms.m_groups.push_back(std::move(members));
    }
    synonyms.split_phrases();
    return synonyms;
}

void Synonyms::split_phrases() {
    std::set<std::string> seen;
    std::set<std::string> words_of_phrases;
    for (const auto& group : m_groups) {
        for (const auto& member : group) {
            if (member.find(' ') == std::string::npos || !seen.insert(member).second) continue;
            std::vector<std::string> words;
            for (std::size_t start = 0; start <= member.size();) {
                auto space = std::min(member.find(' ', start), member.size());
                words.push_back(member.substr(start, space - start));
                start = space + 1;
            }
            words_of_phrases.insert(words.begin(), words.end());
            m_phrases.push_back(std::move(words));
        }
    }
    m_phrase_words.assign(words_of_phrases.begin(), words_of_phrases.end());
}

auto Synonyms::to_json() const -> nlohmann::json { return m_groups; }

void Synonyms::write_to(Xapian::WritableDatabase& db, const Xapian::Stem& stemmer,
                        const Xapian::Stopper* stopper) const {
    // A member in two groups expands to the members of both.
    std::map<std::string, std::set<std::string>> expansions;
    for (const auto& group : m_groups) {
        for (const auto& member : group) {
            for (const auto& key : lookup_keys(member, stemmer, stopper)) {
                for (const auto& other : group) {
                    auto term = index_term(other, stemmer, stopper);
                    if (other != member && term != key) expansions[key].insert(term);
                }
            }
        }
    }
    for (const auto& [key, terms] : expansions)
        for (const auto& term : terms) db.add_synonym(key, term);
}

void Synonyms::add_phrase_terms(Xapian::Document& doc, const std::vector<WeightedField>& fields) const {
    if (m_phrases.empty()) return;
    std::vector<Xapian::termcount> wdfs(m_phrases.size(), 0);
    // Where each phrase word occurs in the field: the words are sorted, so
    // one forward walk of the document's sorted term list finds them all
    // without reading the terms in between.
    std::unordered_map<std::string_view, std::vector<Xapian::termpos>> positions;
    static const std::vector<Xapian::termpos> nowhere;
    auto where = [&](const std::string& word) -> const std::vector<Xapian::termpos>& {
        auto found = positions.find(word);
        return found == positions.end() ? nowhere : found->second;
    };
    for (const auto& field : fields) {
        positions.clear();
        auto term = doc.termlist_begin();
        std::string name = field.prefix;
        for (const auto& word : m_phrase_words) {
            name.resize(field.prefix.size());
            name += word;
            term.skip_to(name);
            if (term == doc.termlist_end()) break;
            if (*term == name) positions[word].assign(term.positionlist_begin(), term.positionlist_end());
        }
        if (positions.empty()) continue;
        for (std::size_t p = 0; p < m_phrases.size(); ++p) {
            const auto& words = m_phrases[p];
            for (auto pos : where(words.front())) {
                bool whole = true;
                for (std::size_t i = 1; i < words.size() && whole; ++i) {
                    const auto& next = where(words[i]);
                    whole = std::binary_search(next.begin(), next.end(), static_cast<Xapian::termpos>(pos + i));
                }
                if (whole) wdfs[p] += field.weight;
            }
        }
    }
    for (std::size_t p = 0; p < m_phrases.size(); ++p)
        if (wdfs[p] > 0) doc.add_term(join(m_phrases[p]), wdfs[p]);
}

void write_stopword_keys(Xapian::WritableDatabase& db, const std::vector<std::string>& stopwords,
                         const Xapian::Stem& stemmer) {
    for (const auto& word : stopwords)
        if (stemmer(word) == word) db.add_synonym(stemmed_term(word), word);
}

}  // namespace broadsheet::schema
