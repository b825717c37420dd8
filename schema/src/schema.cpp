#include "broadsheet/schema/schema.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broadsheet/schema/dates.hpp"
#include "broadsheet/schema/strings.hpp"

namespace broadsheet::schema {

using nlohmann::json;

namespace {

auto type_from_string(const std::string& field, const std::string& type) -> FieldType {
    if (type == "id") return FieldType::id;
    if (type == "text") return FieldType::text;
    if (type == "keyword") return FieldType::keyword;
    if (type == "date") return FieldType::date;
    throw SchemaError("field '" + field + "': unknown type '" + type + "' (expected id, text, keyword or date)");
}

auto type_to_string(FieldType type) -> const char* {
    switch (type) {
        case FieldType::id: return "id";
        case FieldType::text: return "text";
        case FieldType::keyword: return "keyword";
        case FieldType::date: return "date";
    }
    return "text";
}

// Prefixes follow Xapian's convention: one capital letter, or X plus capitals.
auto valid_prefix(const std::string& prefix) -> bool {
    if (prefix.empty()) return true;
    if (!std::all_of(prefix.begin(), prefix.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) return false;
    return prefix.size() == 1 || prefix[0] == 'X';
}

template <typename T>
auto get_or(const json& object, const char* key, T fallback, const std::string& field) -> T {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return fallback;
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        throw SchemaError("field '" + field + "': '" + key + "' has the wrong type");
    }
}

constexpr int first_version_with_roles = 2;

struct RoleName {
    Role role;
    const char* name;
};
constexpr RoleName role_names[] = {{Role::title, "title"},
                                   {Role::standfirst, "standfirst"},
                                   {Role::link, "link"},
                                   {Role::topics, "topics"},
                                   {Role::date, "date"}};

auto role_from_string(const std::string& field, const std::string& name) -> Role {
    if (name.empty()) return Role::none;
    for (const auto& entry : role_names)
        if (name == entry.name) return entry.role;
    throw SchemaError("field '" + field + "': unknown role '" + name +
                      "' (title, standfirst, link, topics or date; the body is the snippet field)");
}

auto role_to_string(Role role) -> const char* {
    for (const auto& entry : role_names)
        if (role == entry.role) return entry.name;
    return "";
}

// A role is shown on the pages, so its field must be stored and of a kind
// the page can show that way.
void check_role(const FieldSpec& field) {
    if (field.role == Role::none) return;
    auto fail = [&](const std::string& why) {
        throw SchemaError("field '" + field.name + "': the role '" + role_to_string(field.role) + "' " + why);
    };
    if (!field.stored) fail("needs a stored field");
    switch (field.role) {
        case Role::title:
        case Role::standfirst:
            if (field.type != FieldType::text) fail("needs a text field");
            break;
        case Role::link:
            if (field.type != FieldType::keyword || field.multi) fail("needs a single-valued keyword field");
            break;
        case Role::topics:
            if (field.type != FieldType::keyword || field.facet.empty()) fail("needs a keyword field that is a facet");
            break;
        case Role::date:
            if (field.type != FieldType::date) fail("needs a date field");
            break;
        case Role::none: break;
    }
}

// A version 1 schema that gives no field a role was written before roles
// existed (the schema stored in an index built then, or an older schema file):
// it gets the roles its field names meant to the pages then, where the field
// can take them.
void infer_legacy_roles(std::vector<FieldSpec>& fields) {
    constexpr std::pair<const char*, Role> meant[] = {{"title", Role::title},
                                                      {"subtitle", Role::standfirst},
                                                      {"url", Role::link},
                                                      {"tags", Role::topics}};
    for (auto& field : fields) {
        for (const auto& [name, role] : meant)
            if (field.name == name) field.role = role;
        if (field.type == FieldType::date) field.role = Role::date;
        try {
            check_role(field);
        } catch (const SchemaError&) {
            field.role = Role::none;
        }
    }
}

auto parse_field(const json& object) -> FieldSpec {
    if (!object.is_object()) throw SchemaError("every entry of 'fields' must be an object");
    FieldSpec field;
    field.name = get_or<std::string>(object, "name", "", "?");
    if (field.name.empty()) throw SchemaError("a field has no 'name'");
    // Answers carry title_html and snippet_html as trusted, escaped HTML: a
    // stored field of such a name would be emitted as HTML unescaped.
    bool reserved = field.name.ends_with("_html") || field.name == "rank" || field.name == "score" ||
                    (field.name == "id" && object.value("type", std::string()) != "id");
    if (reserved)
        throw SchemaError("field '" + field.name + "': the name is reserved for what answers add (" +
                          "id, rank, score, names ending in _html)");
    static const std::set<std::string> known{"name",   "type",      "prefix", "query_name", "aliases",
                                             "weight", "stored",    "multi",  "sortable",   "snippet",
                                             "slot",   "year_slot", "facet",  "role"};
    for (const auto& [key, value] : object.items()) {
        if (!known.contains(key)) throw SchemaError("field '" + field.name + "': unknown key '" + key + "'");
    }
    field.type = type_from_string(field.name, get_or<std::string>(object, "type", "text", field.name));
    field.prefix = get_or<std::string>(object, "prefix", "", field.name);
    field.query_name = get_or<std::string>(object, "query_name", field.name, field.name);
    field.aliases = get_or<std::vector<std::string>>(object, "aliases", {}, field.name);
    auto weight = get_or<int>(object, "weight", 0, field.name);
    if (weight < 0 || weight > 100) throw SchemaError("field '" + field.name + "': weight must be between 0 and 100");
    field.weight = static_cast<std::uint32_t>(weight);
    field.stored = get_or<bool>(object, "stored", true, field.name);
    field.multi = get_or<bool>(object, "multi", false, field.name);
    field.sortable = get_or<bool>(object, "sortable", false, field.name);
    field.snippet = get_or<bool>(object, "snippet", false, field.name);
    field.facet = get_or<std::string>(object, "facet", "", field.name);
    field.role = role_from_string(field.name, get_or<std::string>(object, "role", "", field.name));
    auto slot = get_or<int>(object, "slot", -1, field.name);
    if (slot >= 0) field.slot = static_cast<Xapian::valueno>(slot);
    auto year_slot = get_or<int>(object, "year_slot", -1, field.name);
    if (year_slot >= 0) field.year_slot = static_cast<Xapian::valueno>(year_slot);

    if (!valid_prefix(field.prefix))
        throw SchemaError("field '" + field.name + "': prefix '" + field.prefix +
                          "' must be one capital letter or X followed by capitals");
    if (field.type == FieldType::text && field.prefix.empty())
        throw SchemaError("field '" + field.name + "': a text field needs a prefix");
    if (field.type == FieldType::id && field.prefix.empty())
        throw SchemaError("field '" + field.name + "': the id field needs a prefix");
    if (field.type == FieldType::date && !field.slot)
        throw SchemaError("field '" + field.name + "': a date field needs a slot");
    if (field.type != FieldType::text && field.weight != 0)
        throw SchemaError("field '" + field.name + "': only text fields have a weight");
    if (field.multi && field.type != FieldType::keyword)
        throw SchemaError("field '" + field.name + "': only keyword fields can be multi-valued");
    if (field.snippet && field.type != FieldType::text)
        throw SchemaError("field '" + field.name + "': only a text field can give snippets");
    if (!field.facet.empty() && field.type == FieldType::keyword && !field.slot)
        throw SchemaError("field '" + field.name + "': a keyword facet needs a slot");
    if (!field.facet.empty() && field.type == FieldType::date && !field.year_slot)
        throw SchemaError("field '" + field.name + "': a date facet needs a year_slot");
    if (!field.facet.empty() && (field.type == FieldType::text || field.type == FieldType::id))
        throw SchemaError("field '" + field.name + "': only keyword and date fields can be facets");
    check_role(field);
    return field;
}

// Keyword filters are case-insensitive: `tag:Economy` finds what was indexed as "economy".
class KeywordFieldProcessor : public Xapian::FieldProcessor {
public:
    KeywordFieldProcessor(const Schema& schema, const FieldSpec& field)
        : m_term_prefix(schema.keyword_term(field, "")) {}
    auto operator()(const std::string& value) -> Xapian::Query override {
        std::string term = m_term_prefix;
        term += ascii_lower(value);
        return Xapian::Query(term);
    }

private:
    std::string m_term_prefix;
};

// date:2014, date:2014-06, date:2014-01-01..2014-06-30, date:..2014, date:2014..:
// a filter on the date's sortable slot, each end covering the period it names.
class DateFieldProcessor : public Xapian::FieldProcessor {
public:
    explicit DateFieldProcessor(Xapian::valueno slot) : m_slot(slot) {}
    auto operator()(const std::string& value) -> Xapian::Query override {
        // Xapian 1.4's parser leaks its own objects when a field processor
        // throws, so the reason travels in a term instead.
        try {
            return range(value);
        } catch (const Xapian::QueryParserError& e) {
            return Xapian::Query(std::string(unreadable_filter_term) + e.get_msg());
        }
    }

private:
    auto range(const std::string& value) const -> Xapian::Query {
        auto dots = value.find("..");
        if (dots == std::string::npos) {
            auto date = parse_or_throw(value);
            return {Xapian::Query::OP_VALUE_RANGE, m_slot, date.sortable(), date.end_of_period()};
        }
        auto from_text = value.substr(0, dots), to_text = value.substr(dots + 2);
        if (from_text.empty() && to_text.empty())
            throw Xapian::QueryParserError("a date range needs at least one end, e.g. date:2014-01-01..2014-06-30");
        if (from_text.empty()) return {Xapian::Query::OP_VALUE_LE, m_slot, parse_or_throw(to_text).end_of_period()};
        if (to_text.empty()) return {Xapian::Query::OP_VALUE_GE, m_slot, parse_or_throw(from_text).sortable()};
        auto from = parse_or_throw(from_text), to = parse_or_throw(to_text);
        if (from.sortable() > to.end_of_period())
            throw Xapian::QueryParserError("the date range " + value + " ends before it starts");
        return {Xapian::Query::OP_VALUE_RANGE, m_slot, from.sortable(), to.end_of_period()};
    }

    static auto parse_or_throw(const std::string& text) -> Date {
        auto date = parse_date(text);
        if (!date)
            throw Xapian::QueryParserError("'" + text.substr(0, 40) +
                                           "' is not a date (write 2014, 2014-06 or 2014-06-03)");
        return *date;
    }

    Xapian::valueno m_slot;
};

}  // namespace

auto Schema::from_json(const json& doc) -> Schema {
    if (!doc.is_object()) throw SchemaError("a schema must be a JSON object");
    Schema schema;
    schema.m_name = get_or<std::string>(doc, "name", "articles", "schema");
    schema.m_version = get_or<int>(doc, "version", 1, "schema");
    schema.m_language = get_or<std::string>(doc, "language", "english", "schema");
    try {
        (void)Xapian::Stem(schema.m_language);
    } catch (const Xapian::InvalidArgumentError&) {
        throw SchemaError("unknown language '" + schema.m_language +
                          "' (any Xapian stemmer name, e.g. english, french, none)");
    }
    schema.m_stopwords = get_or<std::vector<std::string>>(doc, "stopwords", {}, "schema");
    if (auto synonyms = doc.find("synonyms"); synonyms != doc.end()) {
        if (synonyms->is_string())
            throw SchemaError("'synonyms' names the file " + synonyms->get<std::string>() +
                              ", which only a schema read from a file can use");
        schema.m_synonyms = Synonyms::from_json(*synonyms);
    }
    if (auto ranking = doc.find("ranking"); ranking != doc.end()) {
        if (!ranking->is_object()) throw SchemaError("'ranking' must be an object with k1 and b");
        static const std::set<std::string> keys{"k1",           "b",
                                                "proximity",    "proximity_window",
                                                "expand",       "expand_documents",
                                                "expand_terms", "expand_weight"};
        for (const auto& [key, value] : ranking->items())
            if (!keys.contains(key))
                throw SchemaError("ranking: unknown key '" + key +
                                  "' (k1, b, proximity, proximity_window, expand, expand_documents, "
                                  "expand_terms, expand_weight)");
        auto& r = schema.m_ranking;
        r.k1 = get_or<double>(*ranking, "k1", r.k1, "ranking");
        r.b = get_or<double>(*ranking, "b", r.b, "ranking");
        r.proximity = get_or<double>(*ranking, "proximity", r.proximity, "ranking");
        r.proximity_window = get_or<unsigned>(*ranking, "proximity_window", r.proximity_window, "ranking");
        r.expand = get_or<bool>(*ranking, "expand", r.expand, "ranking");
        r.expand_documents = get_or<unsigned>(*ranking, "expand_documents", r.expand_documents, "ranking");
        r.expand_terms = get_or<unsigned>(*ranking, "expand_terms", r.expand_terms, "ranking");
        r.expand_weight = get_or<double>(*ranking, "expand_weight", r.expand_weight, "ranking");
        if (r.k1 < 0 || r.k1 > 10) throw SchemaError("ranking: k1 must be between 0 and 10");
        if (r.b < 0 || r.b > 1) throw SchemaError("ranking: b must be between 0 and 1");
        if (r.proximity < 0 || r.proximity > 10) throw SchemaError("ranking: proximity must be between 0 and 10");
        if (r.proximity_window < 2 || r.proximity_window > 100)
            throw SchemaError("ranking: proximity_window must be between 2 and 100");
        if (r.expand_documents < 1 || r.expand_documents > 100)
            throw SchemaError("ranking: expand_documents must be between 1 and 100");
        if (r.expand_terms < 1 || r.expand_terms > 100)
            throw SchemaError("ranking: expand_terms must be between 1 and 100");
        if (r.expand_weight < 0 || r.expand_weight > 10)
            throw SchemaError("ranking: expand_weight must be between 0 and 10");
    }
    auto fields = doc.find("fields");
    if (fields == doc.end() || !fields->is_array() || fields->empty())
        throw SchemaError("a schema needs a non-empty 'fields' array");

    std::set<std::string> names, query_names, prefixes, facets;
    std::set<Xapian::valueno> slots;
    auto claim_slot = [&](const FieldSpec& field, std::optional<Xapian::valueno> slot) {
        if (slot && !slots.insert(*slot).second)
            throw SchemaError("field '" + field.name + "': slot " + std::to_string(*slot) + " is used twice");
    };
    for (const auto& entry : *fields) {
        auto field = parse_field(entry);
        for (const auto& name : [&] {
                 auto all = field.aliases;
                 all.push_back(field.name);
                 return all;
             }()) {
            if (!names.insert(name).second) throw SchemaError("field name '" + name + "' is declared twice");
        }
        if (!query_names.insert(field.query_name).second)
            throw SchemaError("query name '" + field.query_name + "' is declared twice");
        if (!field.prefix.empty() && !prefixes.insert(field.prefix).second)
            throw SchemaError("field '" + field.name + "': prefix '" + field.prefix + "' is used twice");
        if (!field.facet.empty() && !facets.insert(field.facet).second)
            throw SchemaError("facet '" + field.facet + "' is declared twice");
        claim_slot(field, field.slot);
        claim_slot(field, field.year_slot);
        schema.m_fields.push_back(std::move(field));
    }
    auto count = [&](auto pred) { return std::count_if(schema.m_fields.begin(), schema.m_fields.end(), pred); };
    if (count([](const FieldSpec& f) { return f.type == FieldType::id; }) != 1)
        throw SchemaError("a schema needs exactly one field of type 'id'");
    if (count([](const FieldSpec& f) { return f.snippet; }) > 1)
        throw SchemaError("only one field can be the snippet field");
    if (schema.m_version < first_version_with_roles &&
        count([](const FieldSpec& f) { return f.role != Role::none; }) == 0)
        infer_legacy_roles(schema.m_fields);
    for (const auto& entry : role_names) {
        if (count([&](const FieldSpec& f) { return f.role == entry.role; }) > 1)
            throw SchemaError(std::string("only one field can have the role '") + entry.name + "'");
    }
    if (count([](const FieldSpec& f) { return f.type == FieldType::date; }) > 1)
        throw SchemaError("at most one date field is supported");
    if (count([](const FieldSpec& f) { return f.is_text() && f.weight > 0; }) == 0)
        throw SchemaError("at least one text field needs a weight above 0 to be searchable");

    schema.m_stopper = std::make_shared<Xapian::SimpleStopper>(schema.m_stopwords.begin(), schema.m_stopwords.end());
    return schema;
}

namespace {

auto parse_schema_json(std::string_view text) -> json {
    try {
        return json::parse(text);
    } catch (const json::parse_error& e) {
        throw SchemaError(std::string("schema is not valid JSON: ") + e.what());
    }
}

auto read_file(const std::filesystem::path& path, const std::string& what) -> std::string {
    std::ifstream in(path);
    if (!in) throw SchemaError("cannot read " + what + " " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

auto Schema::from_string(std::string_view text) -> Schema { return from_json(parse_schema_json(text)); }

auto Schema::load_file(const std::string& path) -> Schema {
    auto text = read_file(path, "schema file");
    try {
        auto doc = parse_schema_json(text);
        if (auto synonyms = doc.find("synonyms"); synonyms != doc.end() && synonyms->is_string()) {
            auto synonyms_path = std::filesystem::path(path).parent_path() / synonyms->get<std::string>();
            *synonyms = Synonyms::parse(read_file(synonyms_path, "synonyms file"), synonyms_path.string()).to_json();
        }
        return from_json(doc);
    } catch (const SchemaError& e) {
        throw SchemaError(path + ": " + e.what());
    }
}

auto Schema::default_schema() -> Schema {
    auto doc = parse_schema_json(default_schema_json());
    if (auto synonyms = doc.find("synonyms"); synonyms != doc.end() && synonyms->is_string())
        *synonyms = Synonyms::parse(default_synonyms_text(), synonyms->get<std::string>()).to_json();
    return from_json(doc);
}

auto Schema::to_json() const -> json {
    json fields = json::array();
    for (const auto& f : m_fields) {
        json entry{{"name", f.name}, {"type", type_to_string(f.type)}, {"stored", f.stored}};
        if (!f.prefix.empty()) entry["prefix"] = f.prefix;
        if (f.query_name != f.name) entry["query_name"] = f.query_name;
        if (!f.aliases.empty()) entry["aliases"] = f.aliases;
        if (f.weight) entry["weight"] = f.weight;
        if (f.multi) entry["multi"] = true;
        if (f.sortable) entry["sortable"] = true;
        if (f.snippet) entry["snippet"] = true;
        if (f.slot) entry["slot"] = *f.slot;
        if (f.year_slot) entry["year_slot"] = *f.year_slot;
        if (!f.facet.empty()) entry["facet"] = f.facet;
        if (f.role != Role::none) entry["role"] = role_to_string(f.role);
        fields.push_back(std::move(entry));
    }
    return json{{"name", m_name},
                {"version", m_version},
                {"language", m_language},
                {"stopwords", m_stopwords},
                {"ranking",
                 {{"k1", m_ranking.k1},
                  {"b", m_ranking.b},
                  {"proximity", m_ranking.proximity},
                  {"proximity_window", m_ranking.proximity_window},
                  {"expand", m_ranking.expand},
                  {"expand_documents", m_ranking.expand_documents},
                  {"expand_terms", m_ranking.expand_terms},
                  {"expand_weight", m_ranking.expand_weight}}},
                {"synonyms", m_synonyms.to_json()},
                {"fields", fields}};
}

auto Schema::to_string() const -> std::string { return to_json().dump(); }

auto Schema::id_field() const -> const FieldSpec& {
    for (const auto& f : m_fields)
        if (f.type == FieldType::id) return f;
    throw SchemaError("schema has no id field");  // unreachable after validation
}

auto Schema::snippet_field() const -> const FieldSpec* {
    for (const auto& f : m_fields)
        if (f.snippet) return &f;
    return nullptr;
}

auto Schema::date_field() const -> const FieldSpec* {
    for (const auto& f : m_fields)
        if (f.type == FieldType::date) return &f;
    return nullptr;
}

auto Schema::role_field(Role role) const -> const FieldSpec* {
    if (role == Role::none) return nullptr;
    for (const auto& f : m_fields)
        if (f.role == role) return &f;
    return nullptr;
}

auto Schema::find(std::string_view name) const -> const FieldSpec* {
    for (const auto& f : m_fields) {
        if (f.name == name) return &f;
        if (std::find(f.aliases.begin(), f.aliases.end(), name) != f.aliases.end()) return &f;
    }
    return nullptr;
}

auto Schema::find_by_query_name(std::string_view query_name) const -> const FieldSpec* {
    for (const auto& f : m_fields)
        if (f.query_name == query_name) return &f;
    return nullptr;
}

auto Schema::find_facet(std::string_view facet) const -> const FieldSpec* {
    for (const auto& f : m_fields)
        if (!f.facet.empty() && f.facet == facet) return &f;
    return nullptr;
}

auto Schema::facet_names() const -> std::vector<std::string> {
    std::vector<std::string> names;
    for (const auto& f : m_fields)
        if (!f.facet.empty()) names.push_back(f.facet);
    return names;
}

auto Schema::prefix_for(std::string_view field) const -> const std::string& {
    const auto* spec = find(field);
    if (!spec) throw SchemaError("unknown field '" + std::string(field) + "'");
    return spec->prefix;
}

auto Schema::slot_for(std::string_view field) const -> Xapian::valueno {
    const auto* spec = find(field);
    if (!spec || !spec->slot) throw SchemaError("field '" + std::string(field) + "' has no value slot");
    return *spec->slot;
}

auto Schema::id_term(std::string_view id) const -> std::string { return id_field().prefix + std::string(id); }

auto Schema::keyword_term(const FieldSpec& field, std::string_view value) const -> std::string {
    std::string term = field.prefix;
    // ASCII case folding is enough for tags and keeps the term byte-stable.
    term += ascii_lower(value);
    return term;
}

auto Schema::stemmer() const -> Xapian::Stem { return Xapian::Stem(m_language); }

auto Schema::weighting() const -> Xapian::BM25Weight {
    // k2 = 0 and k3 = 1: no query-length correction, query term frequency as is
    // (Xapian's defaults); min_normlen 0.5 likewise.
    return {m_ranking.k1, 0, 1, m_ranking.b, 0.5};
}

auto Schema::stopper() const -> const Xapian::Stopper* { return m_stopper.get(); }

void Schema::configure(Xapian::TermGenerator& generator) const {
    generator.set_stemmer(stemmer());
    generator.set_stopper(m_stopper.get());
    // Stopwords are indexed (so "the who" still matches as a phrase) but get no stemmed form.
    generator.set_stopper_strategy(Xapian::TermGenerator::STOP_STEMMED);
    generator.set_stemming_strategy(index_stemming_strategy);
}

void Schema::configure(Xapian::QueryParser& parser) const {
    parser.set_stemmer(stemmer());
    parser.set_stopper(m_stopper.get());
    parser.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    for (const auto& f : m_fields) {
        if (f.prefix.empty()) continue;
        if (f.type == FieldType::text) {
            parser.add_prefix(f.query_name, f.prefix);
        } else if (f.type == FieldType::keyword) {
            parser.add_boolean_prefix(f.query_name, (new KeywordFieldProcessor(*this, f))->release());
        } else if (f.type == FieldType::id) {
            parser.add_boolean_prefix(f.query_name, f.prefix);
        }
    }
    for (const auto& f : m_fields) {
        if (f.type == FieldType::date && f.slot && f.sortable)
            parser.add_boolean_prefix(f.query_name, (new DateFieldProcessor(*f.slot))->release());
    }
}

}  // namespace broadsheet::schema
