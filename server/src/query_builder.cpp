#include "broadsheet/server/query_builder.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "broadsheet/schema/field_stems.hpp"
#include "broadsheet/schema/strings.hpp"
#include "broadsheet/schema/text.hpp"
#include "broadsheet/server/errors.hpp"
#include "broadsheet/server/recency.hpp"
#include "broadsheet/server/snippet_query_format.hpp"

namespace broadsheet::server {

namespace {

auto parse_int(const std::string& name, const std::string& value) -> int {
    int result = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), result);
    if (ec != std::errc() || end != value.data() + value.size())
        throw bad_request("invalid_parameter",
                          "'" + name + "' must be a whole number, not '" + value.substr(0, 40) + "'");
    return result;
}

auto parse_date_param(const std::string& name, const std::string& value) -> schema::Date {
    auto date = schema::parse_date(value);
    if (!date)
        throw bad_request("invalid_parameter", "'" + name + "' must be an ISO 8601 date such as 2014-06-03, not '" +
                                                   value.substr(0, 40) + "'");
    return *date;
}

auto is_year(const std::string& value) -> bool {
    return value.size() == 4 && std::all_of(value.begin(), value.end(), ::isdigit);
}

// Filters the schema offers: keyword fields by query name, and the date's facet (year).
auto filter_names(const schema::Schema& schema) -> std::set<std::string> {
    std::set<std::string> names;
    for (const auto& field : schema.fields()) {
        if (field.type == schema::FieldType::keyword && !field.prefix.empty()) names.insert(field.query_name);
        if (field.type == schema::FieldType::date && !field.facet.empty()) names.insert(field.facet);
    }
    return names;
}

// The names of a comma-separated parameter (facets=, fields=), trimmed, empty ones left out.
auto list_items(std::string_view value) -> std::vector<std::string> {
    std::vector<std::string> items;
    while (!value.empty()) {
        const auto comma = value.find(',');
        auto item = schema::trim(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        if (!item.empty()) items.emplace_back(item);
    }
    return items;
}

// What fields= may name for the snippet of the body (hits never carry the whole body).
constexpr std::string_view snippet_name = "snippet";

// fields=a,b,c: stored fields of the schema, and `snippet`; id, rank and score
// are accepted and always come back. Repeated names count once.
auto parse_fields(std::string_view value, const schema::Schema& schema) -> std::vector<std::string> {
    const auto* body = schema.snippet_field();
    const auto& id_name = schema.id_field().name;
    std::vector<std::string> fields;
    const auto names = list_items(value);
    for (const auto& name : names) {
        if (name == id_name || name == "rank" || name == "score") continue;
        if (body && name == body->name)
            throw bad_request("invalid_parameter",
                              "hits carry '" + name + "' as a snippet: ask for 'snippet' in 'fields'");
        const auto* field = schema.find(name);
        if (name != snippet_name && (!field || !field->stored)) {
            std::string known = id_name + ", rank, score";
            for (const auto& f : schema.fields())
                if (f.stored && f.name != id_name && (!body || f.name != body->name)) known += ", " + f.name;
            if (body) known += ", " + std::string(snippet_name);
            throw bad_request("invalid_parameter", "'fields' names '" + name.substr(0, 40) +
                                                       "', which is not a stored field (known: " + known + ")");
        }
        if (std::find(fields.begin(), fields.end(), name) == fields.end()) fields.push_back(name);
    }
    if (names.empty()) throw bad_request("invalid_parameter", "'fields' is empty: name at least one field, such as id");
    return fields;
}

enum class Token { operand, binary_op, not_op, open, close };

// Xapian's parser reads an operator as a run of word characters, so a
// character that neither belongs to a word nor joins words (a.b, a-b, AT&T,
// title:x) ends one as a space does: "OR{a" and "OR—a" start with OR.
// Returns the character's length in bytes, or 0 when it stays in the word.
auto word_break_length(std::string_view query, std::size_t at) -> std::size_t {
    Xapian::Utf8Iterator it(query.data() + at, query.size() - at);
    const unsigned c = *it;
    auto length = static_cast<std::size_t>((++it).raw() - (query.data() + at));
    bool joins = c < 0x80 ? std::string_view(".-/:\\@'&").find(static_cast<char>(c)) != std::string_view::npos
                          : c == 0xb7 || c == 0x5f4 || c == 0x2027 || c == 0x2019 || c == 0x201b ||
                                (c >= 0x200b && c <= 0x200d) || c == 0x2060 || c == 0xfeff;
    return Xapian::Unicode::is_wordchar(c) || joins ? 0 : length;
}

// Why the schema's field processors could not read a filter of the parsed
// query (see schema::unreadable_filter_term), if they could not.
auto unreadable_filter(const Xapian::Query& query) -> std::optional<std::string> {
    for (auto term = query.get_terms_begin(); term != query.get_terms_end(); ++term)
        if ((*term).starts_with(schema::unreadable_filter_term))
            return (*term).substr(schema::unreadable_filter_term.size());
    return std::nullopt;
}

// The start of a word that Xapian's lexer tests for an operator: letters and
// digits, joined by ' or & only when a letter or digit follows (AT&T, AND'S),
// so NEAR/3, OR-b, NEAR'/t and &NEAR are read as NEAR, OR, NEAR and NEAR.
auto operator_name(std::string_view word) -> std::string_view {
    auto in_word = [&](std::size_t at) {
        auto byte = static_cast<unsigned char>(at < word.size() ? word[at] : ' ');
        return std::isalnum(byte) || byte == '_' || byte >= 0x80;
    };
    if (word.starts_with('"')) return {};  // a phrase, never an operator
    // Characters before the first letter or digit start no word ("&NEAR" is NEAR).
    std::size_t start = 0;
    while (start < word.size() && !in_word(start)) ++start;
    std::size_t end = start;
    while (end < word.size()) {
        if (in_word(end)) ++end;
        else if ((word[end] == '\'' || word[end] == '&') && in_word(end + 1)) end += 2;
        else break;
    }
    return word.substr(start, end - start);
}

auto classify(std::string_view word) -> Token {
    static const std::set<std::string_view> binary{"AND", "OR", "XOR", "NEAR", "ADJ"};
    if (binary.contains(operator_name(word))) return Token::binary_op;
    if (word == "NOT") return Token::not_op;
    return Token::operand;
}

}  // namespace

auto plain_words(std::string_view query) -> std::string {
    std::string words;
    std::string word;
    auto flush = [&] {
        // Operators, and the signs of +required -excluded, go; words stay.
        auto start = word.find_first_not_of("+-");
        std::string_view kept = start == std::string::npos ? std::string_view() : std::string_view(word).substr(start);
        if (!kept.empty() && classify(kept) == Token::operand && kept != "NOT") {
            if (!words.empty()) words += ' ';
            words += kept;
        }
        word.clear();
    };
    for (char c : query) {
        if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '(' || c == ')' || c == ':' || c == '*')
            flush();
        else word += c;
    }
    flush();
    return words;
}

// Whether NEAR or ADJ stands glued to other characters ("&&NEAR'/", "a,ADJ/x")
// outside a phrase. Xapian's lexer reads such forms in ways that are hard to
// mirror, and its parser leaks memory on the malformed ones, so only the
// plain forms (NEAR, NEAR/3, ADJ, ADJ/2 between spaces) are read as operators.
auto glued_proximity_operator(std::string_view query) -> bool {
    auto byte = [&](std::size_t at) { return static_cast<unsigned char>(query[at]); };
    auto in_word = [&](std::size_t at) { return std::isalnum(byte(at)) || byte(at) == '_' || byte(at) >= 0x80; };
    bool in_phrase = false;
    for (std::size_t i = 0; i < query.size();) {
        if (query[i] == '"') in_phrase = !in_phrase;
        if (!std::isupper(byte(i))) {
            ++i;
            continue;
        }
        auto end = i;
        while (end < query.size() && std::isupper(byte(end))) ++end;
        auto run = query.substr(i, end - i);
        bool part_of_word = (i > 0 && in_word(i - 1)) || (end < query.size() && in_word(end));
        if (!in_phrase && !part_of_word && (run == "NEAR" || run == "ADJ")) {
            auto after = end;
            if (after < query.size() && query[after] == '/') {
                auto digits = ++after;
                while (after < query.size() && std::isdigit(byte(after))) ++after;
                if (after == digits) return true;
            }
            bool alone_before = i == 0 || std::isspace(byte(i - 1));
            bool alone_after = after == query.size() || std::isspace(byte(after));
            if (!alone_before || !alone_after) return true;
        }
        i = end;
    }
    return false;
}

auto find_syntax_problem(std::string_view query) -> std::optional<std::string> {
    if (glued_proximity_operator(query))
        return std::string("NEAR and ADJ must stand alone between words, as in 'a NEAR/3 b'");
    std::vector<std::pair<Token, std::string>> tokens;
    // Whether each token stands between spaces (a trailing * aside).
    std::vector<bool> spaced;
    std::string word;
    std::size_t word_start = 0;
    int depth = 0;
    auto is_gap = [&](std::size_t at) {
        return at >= query.size() || std::isspace(static_cast<unsigned char>(query[at]));
    };
    auto flush = [&](std::size_t end) {
        if (!word.empty()) {
            tokens.emplace_back(classify(word), word);
            if (end < query.size() && query[end] == '*') ++end;
            spaced.push_back((word_start == 0 || is_gap(word_start - 1)) && is_gap(end));
        }
        word.clear();
    };
    for (std::size_t i = 0; i < query.size(); ++i) {
        char c = query[i];
        if (word.empty()) word_start = i;
        if (c == '"') {
            auto close = query.find('"', i + 1);
            if (close == std::string_view::npos) return std::string("unbalanced quote: a phrase needs a closing \"");
            word += std::string(query.substr(i, close - i + 1));
            i = close;
        } else if (c == '(' || c == ')') {
            flush(i);
            depth += c == '(' ? 1 : -1;
            if (depth < 0) return std::string("unbalanced parentheses: ')' without '('");
            tokens.emplace_back(c == '(' ? Token::open : Token::close, std::string(1, c));
            spaced.push_back(false);
        } else if (auto length = word_break_length(query, i)) {
            flush(i);
            i += length - 1;
        } else {
            word += c;
        }
    }
    flush(query.size());
    if (depth != 0) return std::string("unbalanced parentheses: '(' without ')'");
    // Only a word between spaces made of letters and digits (title:x, AT&T,
    // don't) is a TERM to Xapian's grammar of NEAR and ADJ.
    auto is_plain_word = [&](std::size_t i) {
        return tokens[i].first == Token::operand && spaced[i] &&
               std::all_of(tokens[i].second.begin(), tokens[i].second.end(), [](char c) {
                   auto byte = static_cast<unsigned char>(c);
                   return std::isalnum(byte) || byte >= 0x80 ||
                          std::string_view("_:'&").find(c) != std::string_view::npos;
               });
    };
    auto ends_operand = [](Token t) { return t == Token::operand || t == Token::close; };
    auto starts_operand = [](Token t) { return t == Token::operand || t == Token::open || t == Token::not_op; };
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto [type, text] = tokens[i];
        bool has_prev = i > 0, has_next = i + 1 < tokens.size();
        if (type == Token::binary_op) {
            if (!has_prev || !ends_operand(tokens[i - 1].first) || !has_next || !starts_operand(tokens[i + 1].first))
                return std::string("'" + text + "' needs a word or group on both sides");
            // Xapian's parser refuses anything else there, and from "-a NEAR b c"
            // on its error path it leaks memory.
            auto name = operator_name(text);
            if ((name == "NEAR" || name == "ADJ") && (!is_plain_word(i - 1) || !is_plain_word(i + 1)))
                return std::string("'" + text + "' needs a plain word on both sides: no group, phrase, + or -");
        } else if (type == Token::not_op) {
            bool prev_ok = has_prev && (ends_operand(tokens[i - 1].first) || tokens[i - 1].second == "AND");
            if (!prev_ok) return std::string("'NOT' needs something to exclude from: write 'a NOT b' or 'a -b'");
            if (!has_next || !(tokens[i + 1].first == Token::operand || tokens[i + 1].first == Token::open))
                return std::string("'NOT' needs a word or group after it");
        } else if (type == Token::open && has_next && tokens[i + 1].first == Token::close) {
            return std::string("empty parentheses");
        }
    }
    return std::nullopt;
}

void check_query_syntax(std::string_view query) {
    if (auto problem = find_syntax_problem(query)) throw bad_request("invalid_query", *problem);
}

auto parse_search_request(const Params& params, const ServerConfig& limits, const schema::Schema& schema)
    -> SearchRequest {
    static const std::set<std::string> single{"q",     "page",   "size",   "sort",           "op",
                                              "from",  "to",     "facets", "snippet_length", "format",
                                              "boost", "syntax", "fields", "highlight",      "expand"};
    const auto filters = filter_names(schema);
    SearchRequest request;
    request.snippet_length = limits.snippet_length;
    std::set<std::string> seen;
    for (const auto& [name, value] : params) {
        if (!single.contains(name) && !filters.contains(name)) {
            std::string known;
            for (const auto& n : single) known += (known.empty() ? "" : ", ") + n;
            for (const auto& n : filters) known += ", " + n;
            throw bad_request("unknown_parameter",
                              "unknown parameter '" + name.substr(0, 40) + "' (known: " + known + ")");
        }
        if (single.contains(name) && !seen.insert(name).second)
            throw bad_request("invalid_parameter", "'" + name + "' is given more than once");
        if (name != "q" && !schema::is_text(value))
            throw bad_request("invalid_parameter", "'" + name + "' is not valid UTF-8");
        if (name == "q") {
            if (value.size() > limits.max_query_bytes)
                throw bad_request("query_too_long",
                                  "the query is longer than " + std::to_string(limits.max_query_bytes) + " bytes");
            if (!schema::is_text(value)) throw bad_request("invalid_query", "the query is not valid UTF-8");
            request.query = std::string(schema::trim(value));
        } else if (name == "page") {
            request.page = parse_int(name, value);
            if (request.page < 1) throw bad_request("invalid_parameter", "'page' starts at 1");
        } else if (name == "size") {
            request.size = parse_int(name, value);
            if (request.size < 1 || request.size > limits.max_page_size)
                throw bad_request("invalid_parameter",
                                  "'size' must be between 1 and " + std::to_string(limits.max_page_size));
        } else if (name == "sort") {
            if (value == "relevance") request.sort = SortOrder::relevance;
            else if (value == "date") request.sort = SortOrder::date_ascending;
            else if (value == "-date") request.sort = SortOrder::date_descending;
            else throw bad_request("invalid_parameter", "'sort' must be relevance, date or -date");
            if (request.sort != SortOrder::relevance && !schema.date_field())
                throw bad_request("invalid_parameter", "this index has no date to sort by");
        } else if (name == "op") {
            if (value == "and") request.op = DefaultOperator::and_;
            else if (value == "or") request.op = DefaultOperator::or_;
            else throw bad_request("invalid_parameter", "'op' must be and or or");
        } else if (name == "from") {
            request.from = parse_date_param(name, value);
        } else if (name == "to") {
            request.to = parse_date_param(name, value);
        } else if (name == "facets") {
            for (const auto& facet : list_items(value)) {
                if (!schema.find_facet(facet)) {
                    std::string known;
                    for (const auto& n : schema.facet_names()) known += (known.empty() ? "" : ", ") + n;
                    throw bad_request("invalid_parameter",
                                      "unknown facet '" + facet.substr(0, 40) + "' (known: " + known + ")");
                }
                if (std::find(request.facets.begin(), request.facets.end(), facet) == request.facets.end())
                    request.facets.push_back(facet);
            }
        } else if (name == "snippet_length") {
            request.snippet_length = parse_int(name, value);
            if (request.snippet_length < 10 || request.snippet_length > limits.max_snippet_length)
                throw bad_request("invalid_parameter", "'snippet_length' must be between 10 and " +
                                                           std::to_string(limits.max_snippet_length));
        } else if (name == "boost") {
            if (value != "recency" && value != "none")
                throw bad_request("invalid_parameter", "'boost' must be recency or none");
            request.boost_recency = value == "recency";
            if (request.boost_recency && !schema.date_field())
                throw bad_request("invalid_parameter", "this index has no date to boost by");
        } else if (name == "syntax") {
            if (value != "strict" && value != "lenient")
                throw bad_request("invalid_parameter", "'syntax' must be strict or lenient");
            request.strict_syntax = value == "strict";
        } else if (name == "fields") {
            request.fields = parse_fields(value, schema);
            request.snippet = std::find(request.fields->begin(), request.fields->end(), snippet_name) !=
                              request.fields->end();
            std::erase(*request.fields, snippet_name);
        } else if (name == "highlight") {
            if (value != "true" && value != "false")
                throw bad_request("invalid_parameter", "'highlight' must be true or false");
            request.highlight = value == "true";
        } else if (name == "expand") {
            if (value != "true" && value != "false")
                throw bad_request("invalid_parameter", "'expand' must be true or false");
            request.expand = value == "true";
        } else if (name == "format") {
            if (value != "json" && value != "html")
                throw bad_request("invalid_parameter", "'format' must be json or html");
            request.format = value;
        } else {
            // An exact-value filter.
            const auto* date = schema.date_field();
            if (date && name == date->facet && !is_year(value))
                throw bad_request("invalid_parameter", "'" + name + "' must be a four-digit year");
            if (value.empty()) throw bad_request("invalid_parameter", "'" + name + "' is empty");
            if (request.filters.size() >= static_cast<std::size_t>(limits.max_filters))
                throw bad_request("too_many_filters",
                                  "a search takes at most " + std::to_string(limits.max_filters) + " filters");
            request.filters.emplace_back(name, value);
        }
    }
    if (request.query.empty()) throw bad_request("missing_query", "'q' is required and must not be empty");
    if (static_cast<long>(request.page) * request.size > limits.max_result_window)
        throw bad_request("invalid_parameter",
                          "page * size may not exceed " + std::to_string(limits.max_result_window));
    if (request.from && request.to && request.from->sortable() > request.to->end_of_period())
        throw bad_request("invalid_parameter", "'from' is after 'to'");
    if ((request.from || request.to) && !schema.date_field())
        throw bad_request("invalid_parameter", "this index has no date to filter by");
    if (auto problem = find_syntax_problem(request.query)) {
        if (request.strict_syntax) throw bad_request("invalid_query", *problem);
        request.syntax_problem = *problem;
    }
    return request;
}

namespace {

void add_cost(const Xapian::Query& query, QueryCost& cost) {
    auto type = query.get_type();
    if (type == Xapian::Query::LEAF_TERM) {
        ++cost.terms;
        return;
    }
    if (type == Xapian::Query::OP_WILDCARD) {
        ++cost.wildcards;
        return;
    }
    auto children = query.get_num_subqueries();
    if (type == Xapian::Query::OP_PHRASE || type == Xapian::Query::OP_NEAR) cost.positional_terms += children;
    for (std::size_t i = 0; i < children; ++i) add_cost(query.get_subquery(i), cost);
}

}  // namespace

auto query_cost(const Xapian::Query& query) -> QueryCost {
    QueryCost cost;
    add_cost(query, cost);
    return cost;
}

void check_query_cost(const QueryCost& cost, const ServerConfig& limits) {
    // A wildcard may expand to max_wildcard_expansion words: it is priced at that.
    auto expanded = cost.terms + cost.wildcards * static_cast<std::size_t>(limits.max_wildcard_expansion);
    if (expanded > static_cast<std::size_t>(limits.max_query_terms))
        throw bad_request("query_too_costly",
                          "the query expands to more than " + std::to_string(limits.max_query_terms) + " terms (" +
                              std::to_string(cost.terms) + " words, " + std::to_string(cost.wildcards) +
                              " wildcards counted as " + std::to_string(limits.max_wildcard_expansion) +
                              " each); use fewer words or wildcards");
    if (cost.positional_terms > static_cast<std::size_t>(limits.max_phrase_terms))
        throw bad_request("query_too_costly", "the query's phrases and NEAR groups hold more than " +
                                                  std::to_string(limits.max_phrase_terms) +
                                                  " words; use shorter or fewer phrases");
}

namespace {

// The field a positional group's word is in: any of the default search's
// for an unprefixed word, the prefix's field for a prefixed one.
struct WordField {
    bool unprefixed = false;
    const schema::FieldSpec* field = nullptr;  // prefixed: its text field, or nullptr if none
};

auto word_field(const std::string& term, const schema::Schema& schema) -> WordField {
    if (term.empty() || term.front() < 'A' || term.front() > 'Z') return {true, nullptr};
    // The longest text prefix followed by a word (lower case) or ':'.
    const schema::FieldSpec* found = nullptr;
    for (const auto& field : schema.fields()) {
        const auto& prefix = field.prefix;
        if (!field.is_text() || !term.starts_with(prefix) || term.size() == prefix.size()) continue;
        const char next = term[prefix.size()];
        if (next >= 'A' && next <= 'Z') continue;
        if (!found || prefix.size() > found->prefix.size()) found = &field;
    }
    return {false, found};
}

// The term of an unprefixed word under a field's prefix, as TermGenerator
// writes it (':' after a long prefix before a capital).
auto field_term(const schema::FieldSpec& field, const std::string& word) -> std::string {
    const bool colon = field.prefix.size() > 1 && word.front() >= 'A' && word.front() <= 'Z';
    return field.prefix + (colon ? ":" : "") + word;
}

// A phrase or NEAR group rewritten as with_positions_on_fields says, or
// nullopt when it is left as it is.
auto group_on_fields(const Xapian::Query& group, const schema::Schema& schema) -> std::optional<Xapian::Query> {
    std::vector<Xapian::Query> words;
    std::vector<std::string> terms;
    bool any_unprefixed = false;
    const schema::FieldSpec* only = nullptr;  // the field a prefixed word holds the group to
    for (std::size_t i = 0; i < group.get_num_subqueries(); ++i) {
        auto word = group.get_subquery(i);
        // Xapian 1.4's parser makes groups of terms only.
        if (word.get_type() != Xapian::Query::LEAF_TERM) return std::nullopt;
        auto term = *word.get_terms_begin();
        const auto where = word_field(term, schema);
        if (where.unprefixed) {
            any_unprefixed = true;
        } else {
            if (!where.field || (only && only != where.field)) return std::nullopt;
            only = where.field;
        }
        words.push_back(std::move(word));
        terms.push_back(std::move(term));
    }
    if (!any_unprefixed) return std::nullopt;
    const auto window = positional_window(group);
    if (!window) return std::nullopt;
    std::vector<Xapian::Query> on_fields;
    for (const auto& field : schema.fields()) {
        if (!field.is_text() || field.weight == 0 || (only && only != &field)) continue;
        std::vector<Xapian::Query> field_words;
        for (std::size_t i = 0; i < terms.size(); ++i) {
            const bool unprefixed = word_field(terms[i], schema).unprefixed;
            field_words.emplace_back(unprefixed ? field_term(field, terms[i]) : terms[i]);
        }
        on_fields.emplace_back(group.get_type(), field_words.begin(), field_words.end(), *window);
    }
    // A prefixed word of a field outside the default search: its positions
    // were never those of an unprefixed word.
    if (on_fields.empty()) return Xapian::Query::MatchNothing;
    return Xapian::Query(Xapian::Query::OP_FILTER, Xapian::Query(Xapian::Query::OP_AND, words.begin(), words.end()),
                         Xapian::Query(Xapian::Query::OP_OR, on_fields.begin(), on_fields.end()));
}

// Operators whose query is its subqueries alone (no parameter), so that it
// can be built again with some of them replaced.
auto rebuildable(int op) -> bool {
    switch (op) {
        case Xapian::Query::OP_AND:
        case Xapian::Query::OP_OR:
        case Xapian::Query::OP_AND_NOT:
        case Xapian::Query::OP_XOR:
        case Xapian::Query::OP_AND_MAYBE:
        case Xapian::Query::OP_FILTER:
        case Xapian::Query::OP_SYNONYM:
        case Xapian::Query::OP_MAX: return true;
        default: return false;
    }
}

// `query` built again with each node that `replace` replaces (it sees a node
// before its subqueries), or nullopt when it replaced none.
template <class Replace>
auto rewrite(const Xapian::Query& query, const Replace& replace) -> std::optional<Xapian::Query> {
    if (auto replaced = replace(query)) return replaced;
    const auto op = query.get_type();
    if (!rebuildable(op)) return std::nullopt;
    std::vector<Xapian::Query> subqueries;
    bool changed = false;
    for (std::size_t i = 0; i < query.get_num_subqueries(); ++i) {
        auto sub = query.get_subquery(i);
        if (auto rewritten = rewrite(sub, replace)) {
            sub = std::move(*rewritten);
            changed = true;
        }
        subqueries.push_back(std::move(sub));
    }
    if (!changed) return std::nullopt;
    return Xapian::Query(static_cast<Xapian::Query::op>(op), subqueries.begin(), subqueries.end());
}

// A stemmed word of a field of the default search ("ZSmarket": the title's
// "market"): its field and stem.
struct FieldStem {
    const schema::FieldSpec* field = nullptr;
    std::string stem;
};

auto field_stem(const std::string& term, const schema::Schema& schema) -> std::optional<FieldStem> {
    if (!term.starts_with(schema::stemmed_term_prefix)) return std::nullopt;
    const auto rest = term.substr(schema::stemmed_term_prefix.size());
    const auto where = word_field(rest, schema);
    if (where.unprefixed || !where.field || where.field->weight == 0) return std::nullopt;
    return FieldStem{where.field, rest.substr(where.field->prefix.size())};
}

// The field's words with that stem as a synonym (one term whose wdf is
// theirs summed, as the stemmed twin's was), or nothing if there are none.
auto field_stem_synonym(const FieldStem& wanted, const Xapian::Database& db, const Xapian::Stem& stemmer)
    -> Xapian::Query {
    const auto& prefix = wanted.field->prefix;
    std::vector<Xapian::Query> words;
    if (const auto scan = schema::stem_scan_prefix(wanted.stem)) {
        const auto start = prefix + std::string(*scan);
        for (auto it = db.allterms_begin(start); it != db.allterms_end(start); ++it) {
            const auto term = *it;
            if (stemmer(term.substr(prefix.size())) == wanted.stem) words.emplace_back(term);
        }
    }
    for (const auto& word : schema::listed_words(db.get_metadata(schema::stem_exceptions_key(wanted.stem)))) {
        auto term = field_term(*wanted.field, word);
        if (db.term_exists(term)) words.emplace_back(std::move(term));
    }
    if (words.empty()) return Xapian::Query::MatchNothing;
    return Xapian::Query(Xapian::Query::OP_SYNONYM, words.begin(), words.end());
}

}  // namespace

auto with_positions_on_fields(const Xapian::Query& query, const schema::Schema& schema) -> Xapian::Query {
    auto rewritten = rewrite(query, [&](const Xapian::Query& node) -> std::optional<Xapian::Query> {
        const auto op = node.get_type();
        if (op == Xapian::Query::OP_PHRASE || op == Xapian::Query::OP_NEAR) return group_on_fields(node, schema);
        return std::nullopt;
    });
    return rewritten ? *rewritten : query;
}

auto with_field_stems_expanded(const Xapian::Query& query, const schema::Schema& schema, const Xapian::Database& db)
    -> Xapian::Query {
    // Read once a stemmed field word is met: most queries have none.
    std::optional<bool> unstemmed_fields;
    const auto stemmer = schema.stemmer();
    auto rewritten = rewrite(query, [&](const Xapian::Query& node) -> std::optional<Xapian::Query> {
        if (node.get_type() != Xapian::Query::LEAF_TERM) return std::nullopt;
        const auto wanted = field_stem(*node.get_terms_begin(), schema);
        if (!wanted) return std::nullopt;
        if (!unstemmed_fields)
            unstemmed_fields = db.get_metadata(schema::metadata::field_terms) ==
                               schema::metadata::unstemmed_field_terms;
        if (!*unstemmed_fields) return std::nullopt;
        return field_stem_synonym(*wanted, db, stemmer);
    });
    return rewritten ? *rewritten : query;
}

auto parser_flags() -> unsigned {
    // Synonyms expand unprefixed words and word runs ("united states"); the
    // dictionary only holds unprefixed entries, so field queries stay literal.
    return Xapian::QueryParser::FLAG_PHRASE | Xapian::QueryParser::FLAG_BOOLEAN | Xapian::QueryParser::FLAG_LOVEHATE |
           Xapian::QueryParser::FLAG_WILDCARD | Xapian::QueryParser::FLAG_AUTO_MULTIWORD_SYNONYMS;
}

auto build_query(const SearchRequest& request, const schema::Schema& schema, Xapian::QueryParser& parser,
                 const Xapian::Database* database) -> BuiltQuery {
    parser.set_default_op(request.op == DefaultOperator::and_ ? Xapian::Query::OP_AND : Xapian::Query::OP_OR);
    BuiltQuery built;
    if (request.syntax_problem.empty()) {
        // Xapian's own objections, and a date range that is not one.
        std::optional<std::string> parse_problem;
        try {
            built.query = parser.parse_query(request.query, parser_flags());
            parse_problem = unreadable_filter(built.query);
        } catch (const Xapian::QueryParserError& e) {
            parse_problem = e.get_msg();
        }
        if (parse_problem && request.strict_syntax)
            throw bad_request("invalid_query", "cannot parse the query: " + *parse_problem);
        built.lenient_reason = parse_problem;
    } else {
        built.lenient_reason = request.syntax_problem;
    }
    if (built.lenient_reason) {
        built.words = plain_words(request.query);
        // No operators, phrases or wildcards: the words as words.
        built.query = parser.parse_query(built.words, Xapian::QueryParser::FLAG_AUTO_MULTIWORD_SYNONYMS);
    }
    built.text = built.query;
    auto query = with_positions_on_fields(built.text, schema);
    if (database) query = with_field_stems_expanded(query, schema, *database);

    std::vector<Xapian::Query> filters;
    for (const auto& [name, value] : request.filters) {
        const auto* date = schema.date_field();
        if (date && date->facet == name) {
            filters.emplace_back(Xapian::Query::OP_VALUE_RANGE, *date->year_slot, value, value);
        } else if (const auto* field = schema.find_by_query_name(name)) {
            filters.emplace_back(schema.keyword_term(*field, value));
        }
    }
    if (request.from || request.to) {
        auto slot = *schema.date_field()->slot;
        if (request.from && request.to) {
            filters.emplace_back(Xapian::Query::OP_VALUE_RANGE, slot, request.from->sortable(),
                                 request.to->end_of_period());
        } else if (request.from) {
            filters.emplace_back(Xapian::Query::OP_VALUE_GE, slot, request.from->sortable());
        } else {
            filters.emplace_back(Xapian::Query::OP_VALUE_LE, slot, request.to->end_of_period());
        }
    }
    if (request.boost_recency && database) {
        // Never more than a tenth of a strong BM25 match (max_boost 1): it
        // orders near-equal matches by date and leaves clearly better ones first.
        query = with_recency_boost(query, *database, *schema.date_field()->slot);
    }
    built.parsed = built.text;
    if (!filters.empty()) {
        Xapian::Query filter(Xapian::Query::OP_AND, filters.begin(), filters.end());
        query = Xapian::Query(Xapian::Query::OP_FILTER, query, filter);
        built.parsed = Xapian::Query(Xapian::Query::OP_FILTER, built.parsed, filter);
    }
    built.query = std::move(query);
    return built;
}

}  // namespace broadsheet::server
