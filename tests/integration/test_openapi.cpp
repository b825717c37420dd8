// GET /openapi.json checked against the real server: every route the
// document lists is called for real, on success and on error, and each JSON
// body is validated against the schema the document declares for that path,
// status and media type.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "broadsheet/server/html.hpp"
#include "broadsheet/server/openapi.hpp"
#include "test_support.hpp"

using namespace broadsheet::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Validates JSON values against OpenAPI 3.0 schema objects, for the subset of
// keywords the document uses. A keyword it does not know is reported rather
// than ignored, so the document cannot quietly promise more than is checked.
class SchemaValidator {
public:
    explicit SchemaValidator(json document) : m_document(std::move(document)) {}

    /// Every mismatch, each starting with the JSON path of the value ("$.hits[0].date"); empty if valid.
    [[nodiscard]] auto validate(const json& value, const json& schema) const -> std::vector<std::string> {
        std::vector<std::string> problems;
        check(value, schema, "$", problems);
        return problems;
    }

    /// Follows `$ref` (local JSON pointers such as "#/components/schemas/Hit") to the object it names.
    [[nodiscard]] auto resolve(const json& node) const -> const json& {
        const json* current = &node;
        for (int depth = 0; current->is_object() && current->contains("$ref"); ++depth) {
            if (depth > 16) throw std::runtime_error("$ref cycle at " + node.dump());
            auto ref = (*current)["$ref"].get<std::string>();
            if (ref.rfind("#/", 0) != 0) throw std::runtime_error("not a local $ref: " + ref);
            json::json_pointer pointer(ref.substr(1));
            if (!m_document.contains(pointer)) throw std::runtime_error("$ref to nothing: " + ref);
            current = &m_document.at(pointer);
        }
        return *current;
    }

    [[nodiscard]] auto document() const -> const json& { return m_document; }

private:
    static auto type_matches(const json& value, const std::string& type) -> bool {
        if (type == "object") return value.is_object();
        if (type == "array") return value.is_array();
        if (type == "string") return value.is_string();
        if (type == "integer") return value.is_number_integer();
        if (type == "number") return value.is_number();
        if (type == "boolean") return value.is_boolean();
        return false;
    }

    static auto utf8_length(const std::string& text) -> std::size_t {
        return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
            return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
        }));
    }

    void check(const json& value, const json& schema, const std::string& path,
               std::vector<std::string>& problems) const {
        if (!schema.is_object()) {
            problems.push_back(path + ": the schema is not an object: " + schema.dump());
            return;
        }
        if (schema.contains("$ref")) {  // OpenAPI 3.0: a $ref's siblings are ignored
            try {
                check(value, resolve(schema), path, problems);
            } catch (const std::exception& e) {
                problems.push_back(path + ": " + e.what());
            }
            return;
        }
        static const std::set<std::string> known{"type",        "nullable",   "enum",
                                                 "required",    "properties", "additionalProperties",
                                                 "items",       "oneOf",      "minimum",
                                                 "maximum",     "minLength",  "pattern",
                                                 "example",     "default",    "format",
                                                 "description", "title"};
        for (const auto& [keyword, unused] : schema.items())
            if (!known.contains(keyword))
                problems.push_back(path + ": schema keyword '" + keyword + "' is not supported");

        if (value.is_null() && schema.value("nullable", false)) return;
        if (schema.contains("type")) {
            auto type = schema["type"].get<std::string>();
            if (!type_matches(value, type)) {
                auto got = value.is_null() ? std::string("null") : std::string(value.type_name()) + " " + value.dump();
                problems.push_back(path + ": expected " + type + (schema.value("nullable", false) ? " or null" : "") +
                                   ", got " + got);
                return;
            }
        }
        if (schema.contains("enum")) {
            const auto& allowed = schema["enum"];
            if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
                problems.push_back(path + ": " + value.dump() + " is not one of " + allowed.dump());
        }
        if (value.is_number()) {
            auto number = value.get<double>();
            if (schema.contains("minimum") && number < schema["minimum"].get<double>())
                problems.push_back(path + ": " + value.dump() + " is below the minimum " + schema["minimum"].dump());
            if (schema.contains("maximum") && number > schema["maximum"].get<double>())
                problems.push_back(path + ": " + value.dump() + " is above the maximum " + schema["maximum"].dump());
        }
        if (value.is_string()) {
            const auto& text = value.get_ref<const std::string&>();
            if (schema.contains("minLength") && utf8_length(text) < schema["minLength"].get<std::size_t>())
                problems.push_back(path + ": shorter than " + schema["minLength"].dump() + " characters");
            if (schema.contains("pattern") &&
                !std::regex_search(text, std::regex(schema["pattern"].get<std::string>())))
                problems.push_back(path + ": " + value.dump() + " does not match " + schema["pattern"].dump());
        }
        if (value.is_object()) check_object(value, schema, path, problems);
        if (value.is_array() && schema.contains("items")) {
            for (std::size_t i = 0; i < value.size(); ++i)
                check(value[i], schema["items"], path + "[" + std::to_string(i) + "]", problems);
        }
        if (schema.contains("oneOf")) {
            std::size_t matching = 0;
            for (const auto& option : schema["oneOf"]) matching += validate(value, option).empty() ? 1 : 0;
            if (matching != 1)
                problems.push_back(path + ": matches " + std::to_string(matching) +
                                   " of the oneOf schemas, not exactly one");
        }
    }

    void check_object(const json& value, const json& schema, const std::string& path,
                      std::vector<std::string>& problems) const {
        for (const auto& name : schema.value("required", json::array()))
            if (!value.contains(name.get<std::string>()))
                problems.push_back(path + ": missing required property '" + name.get<std::string>() + "'");
        const auto properties = schema.value("properties", json::object());
        const auto additional = schema.value("additionalProperties", json(true));
        for (const auto& [name, member] : value.items()) {
            auto member_path = path + "." + name;
            if (properties.contains(name)) {
                check(member, properties[name], member_path, problems);
            } else if (additional.is_boolean() && !additional.get<bool>()) {
                problems.push_back(member_path + ": property not declared (additionalProperties is false)");
            } else if (additional.is_object()) {
                check(member, additional, member_path, problems);
            }
        }
    }

    json m_document;
};

auto joined(const std::vector<std::string>& lines) -> std::string {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
}

auto contains_path(const std::vector<std::string>& problems, const std::string& prefix) -> bool {
    return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.rfind(prefix, 0) == 0; });
}

auto the_document() -> const SchemaValidator& {
    static const SchemaValidator validator(json::parse(broadsheet::server::openapi_json()));
    return validator;
}

struct Response {
    int status = 0;
    std::string content_type;
    std::string body;
    httplib::Headers headers;
};

auto get(int port, const std::string& path, const httplib::Headers& headers = {}) -> Response {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10s);
    auto result = client.Get(path, headers);
    REQUIRE_MESSAGE(result, "no response for " << path << ": " << httplib::to_string(result.error()));
    return {result->status, result->get_header_value("Content-Type"), result->body, result->headers};
}

auto encode(const std::string& text) -> std::string { return broadsheet::server::url_encode(text); }

// The operation the document declares for a path template such as "/articles/{id}".
auto operation(const std::string& path_template) -> const json& {
    const auto& paths = the_document().document()["paths"];
    REQUIRE_MESSAGE(paths.contains(path_template), "the document has no path " << path_template);
    REQUIRE_MESSAGE(paths[path_template].contains("get"), "the document has no GET " << path_template);
    return paths[path_template]["get"];
}

// Checks that `response` is one the document declares for the path, and that
// a JSON body matches the declared schema.
void check_declared(const std::string& path_template, const std::string& request, const Response& response) {
    INFO("GET " << request << " -> " << response.status << " " << response.content_type << "\n"
                << response.body.substr(0, 2000));
    const auto& responses = operation(path_template).at("responses");
    auto status = std::to_string(response.status);
    REQUIRE_MESSAGE(responses.contains(status), "status " << status << " is not declared for " << path_template);
    const auto& declared = the_document().resolve(responses[status]);
    CHECK(declared.value("description", json()).is_string());
    auto media_type = response.content_type.substr(0, response.content_type.find(';'));
    if (!declared.contains("content")) {
        CHECK_MESSAGE(response.body.empty(), "a body the document does not declare");
        return;
    }
    REQUIRE_MESSAGE(declared["content"].contains(media_type),
                    media_type << " is not declared for " << path_template << " " << status);
    const auto& schema = declared.at("content").at(media_type).at("schema");
    if (media_type != "application/json") {
        CHECK(the_document().resolve(schema).value("type", "") == "string");
        return;
    }
    CHECK(response.content_type == "application/json; charset=utf-8");
    auto body = json::parse(response.body, nullptr, false);
    REQUIRE_FALSE(body.is_discarded());
    auto problems = the_document().validate(body, schema);
    CHECK_MESSAGE(problems.empty(), joined(problems));
}

// Calls the route and checks the answer has the expected status (and error code) and is declared.
auto call(int port, const std::string& path_template, const std::string& request, int expected_status,
          const std::string& expected_code = "", const httplib::Headers& headers = {}) -> Response {
    auto response = get(port, request, headers);
    INFO("GET " << request << "\n" << response.body.substr(0, 2000));
    CHECK(response.status == expected_status);
    if (!expected_code.empty()) {
        auto body = json::parse(response.body, nullptr, false);
        CHECK((body.is_object() && body.contains("error") && body["error"].value("code", "") == expected_code));
    }
    check_declared(path_template, request, response);
    return response;
}

// The parameters the document declares for an operation, by name, $refs resolved.
auto declared_parameters(const std::string& path_template) -> std::map<std::string, json> {
    std::map<std::string, json> out;
    for (const auto& parameter : operation(path_template).value("parameters", json::array())) {
        const auto& resolved = the_document().resolve(parameter);
        out[resolved.at("name").get<std::string>()] = resolved;
    }
    return out;
}

// "&name=value" as the parameter's style asks: arrays repeat the name
// (explode) or join with commas (explode: false).
auto query_part(const json& parameter, const json& value) -> std::string {
    auto name = parameter.at("name").get<std::string>();
    auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    if (!value.is_array()) return "&" + name + "=" + encode(text(value));
    if (!parameter.value("explode", true)) {
        std::string list;
        for (const auto& item : value) list += (list.empty() ? "" : ",") + text(item);
        return "&" + name + "=" + encode(list);
    }
    std::string out;
    for (const auto& item : value) out += "&" + name + "=" + encode(text(item));
    return out;
}

// Valid values of a parameter: its example, its bounds and every value its enum allows.
auto valid_values(const json& parameter) -> std::vector<json> {
    std::vector<json> values{parameter.at("example")};
    const auto& schema = the_document().resolve(parameter.at("schema"));
    if (schema.contains("minimum")) values.push_back(schema["minimum"]);
    if (schema.contains("maximum")) values.push_back(schema["maximum"]);
    if (schema.contains("enum"))
        for (const auto& v : schema["enum"]) values.push_back(v);
    if (schema.contains("items") && schema["items"].contains("enum"))
        for (const auto& v : schema["items"]["enum"]) values.push_back(json::array({v}));
    return values;
}

// Values the parameter's schema rules out: beyond its bounds, outside its enum, off its pattern.
auto invalid_values(const json& parameter) -> std::vector<json> {
    std::vector<json> values;
    const auto& schema = the_document().resolve(parameter.at("schema"));
    if (schema.contains("minimum")) values.emplace_back(schema["minimum"].get<int>() - 1);
    if (schema.contains("maximum")) values.emplace_back(schema["maximum"].get<int>() + 1);
    if (schema.value("type", "") == "integer") values.emplace_back("1.5");
    if (schema.contains("enum") || schema.contains("pattern")) values.emplace_back("bogus");
    if (schema.contains("items") && schema["items"].contains("enum")) values.push_back(json::array({"bogus"}));
    if (schema.contains("items") && schema["items"].value("minLength", 0) > 0) values.push_back(json::array({""}));
    return values;
}

// `base` with `part` ("&name=value...") appended as its query string or to it.
auto with_query(const std::string& base, const std::string& part) -> std::string {
    if (part.empty() || base.find('?') != std::string::npos) return base + part;
    return base + "?" + part.substr(1);
}

auto names_in_unknown_parameter_message(const std::string& message) -> std::set<std::string> {
    std::set<std::string> names;
    auto at = message.find("(known: ");
    if (at == std::string::npos) return names;
    std::stringstream list(message.substr(at + 8, message.rfind(')') - at - 8));
    for (std::string name; std::getline(list, name, ',');) names.insert(name.substr(name.find_first_not_of(' ')));
    return names;
}

void collect_refs(const json& node, std::vector<std::string>& refs) {
    if (node.is_object()) {
        if (node.contains("$ref") && node["$ref"].is_string()) refs.push_back(node["$ref"].get<std::string>());
        for (const auto& [key, child] : node.items()) collect_refs(child, refs);
    } else if (node.is_array()) {
        for (const auto& child : node) collect_refs(child, refs);
    }
}

const std::vector<std::string> routes{"/search",  "/articles/{id}", "/articles/{id}/related",
                                      "/suggest", "/healthz",       "/readyz",
                                      "/stats",   "/metrics",       "/openapi.json"};

}  // namespace

TEST_CASE("the validator rejects a wrong document and names the JSON path of each mismatch") {
    const auto& v = the_document();
    json hit{{"id", "a001"},
             {"rank", 1},
             {"score", 1.5},
             {"title", "Lenovo buys"},
             {"subtitle", nullptr},
             {"date", nullptr},
             {"url", nullptr},
             {"tags", json::array({"technology"})},
             {"title_html", "<mark>Lenovo</mark> buys"},
             {"snippet_html", ""}};
    json good{{"query", "lenovo"},
              {"total", 1},
              {"total_exact", true},
              {"page", 1},
              {"size", 10},
              {"took_ms", 0.5},
              {"timed_out", false},
              {"generation", "gen-000001"},
              {"partial", false},
              {"missing_shards", json::array()},
              {"hits", json::array({hit})},
              {"facets", {{"tag", json::array({{{"value", "technology"}, {"count", 1}}})}}},
              {"suggestion", nullptr},
              {"notice", nullptr}};
    const json schema{{"$ref", "#/components/schemas/SearchResult"}};
    CHECK_MESSAGE(v.validate(good, schema).empty(), joined(v.validate(good, schema)));

    auto bad = good;
    bad["hits"][0]["rank"] = "1";
    bad["hits"][0]["date"] = 2014;
    bad["hits"][0]["tags"] = nullptr;
    bad["hits"][0].erase("id");
    bad["facets"]["tag"][0].erase("count");
    bad["facets"]["colour"] = json::array();
    bad["extra"] = true;
    bad["total"] = 1.5;
    bad["page"] = 0;
    auto problems = v.validate(bad, schema);
    INFO(joined(problems));
    CHECK(problems.size() == 9);
    CHECK(contains_path(problems, "$.hits[0].rank: expected integer"));
    CHECK(contains_path(problems, "$.hits[0].date: expected string or null"));
    CHECK(contains_path(problems, "$.hits[0].tags: expected array, got null"));
    CHECK(contains_path(problems, "$.hits[0]: missing required property 'id'"));
    CHECK(contains_path(problems, "$.facets.tag[0]: missing required property 'count'"));
    CHECK(contains_path(problems, "$.facets.colour: property not declared"));
    CHECK(contains_path(problems, "$.extra: property not declared"));
    CHECK(contains_path(problems, "$.total: expected integer"));
    CHECK(contains_path(problems, "$.page: 0 is below the minimum"));

    CHECK(contains_path(v.validate(json{{"status", "fine"}}, {{"$ref", "#/components/schemas/Health"}}),
                        "$.status: \"fine\" is not one of"));
    CHECK(contains_path(v.validate(json::object(), {{"$ref", "#/components/schemas/Nothing"}}), "$: $ref to nothing"));
    CHECK(contains_path(v.validate("x", {{"type", "string"}, {"maxLength", 3}}),
                        "$: schema keyword 'maxLength' is not supported"));
    json one_of{{"oneOf", json::array({{{"type", "string"}}, {{"type", "integer"}}})}};
    CHECK(v.validate(3, one_of).empty());
    CHECK(contains_path(v.validate(true, one_of), "$: matches 0 of the oneOf schemas"));
}

TEST_CASE("the server serves its compiled-in OpenAPI 3.0 document, which describes every route") {
    TempDir dir;  // no index: the description does not need one
    ServerProcess server(dir / "index");
    auto response = get(server.port(), "/openapi.json");
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json; charset=utf-8");
    CHECK(response.body == broadsheet::server::openapi_json());
    auto document = json::parse(response.body, nullptr, false);
    REQUIRE(document.is_object());
    CHECK(document["openapi"].get<std::string>().rfind("3.0.", 0) == 0);
    CHECK(document["info"]["version"] == "1.0.0");
    CHECK(document["info"]["title"].is_string());
    CHECK(document["servers"] == json::array({{{"url", "http://127.0.0.1:8080"}}}));
    for (const auto& route : routes) CHECK_MESSAGE(document["paths"].contains(route), route);

    std::vector<std::string> refs;
    collect_refs(document, refs);
    CHECK_FALSE(refs.empty());
    for (const auto& ref : refs) CHECK_NOTHROW((void)the_document().resolve(json{{"$ref", ref}}));

    for (const auto& [path, item] : document["paths"].items()) {
        INFO(path);
        REQUIRE(item.contains("get"));
        CHECK(item.size() == 1);  // every route is GET only
        CHECK_FALSE(item["get"]["responses"].empty());
        CHECK(item["get"]["summary"].is_string());
        std::set<std::string> path_names;
        for (const auto& [name, parameter] : declared_parameters(path)) {
            INFO(name);
            // Headers: only the conditional-request and content-coding ones the server reads.
            auto in = parameter.value("in", "");
            CHECK((in == "query" || in == "path" ||
                   (in == "header" && (name == "If-None-Match" || name == "Accept-Encoding"))));
            CHECK(parameter.value("description", json()).is_string());
            REQUIRE(parameter.contains("example"));
            REQUIRE(parameter.contains("schema"));
            auto problems = the_document().validate(parameter.at("example"), parameter.at("schema"));
            CHECK_MESSAGE(problems.empty(), joined(problems));
            if (parameter.value("in", "") == "path") {
                CHECK(parameter.value("required", false));
                path_names.insert(name);
            }
        }
        // Path parameters are exactly the {names} in the template.
        std::set<std::string> in_template;
        std::regex braces(R"(\{([^}]+)\})");
        for (std::sregex_iterator it(path.begin(), path.end(), braces), end; it != end; ++it)
            in_template.insert((*it)[1]);
        CHECK(path_names == in_template);
    }
}

TEST_CASE("every route answers what the document declares, on success and on error") {
    FixtureIndex index;
    ServerProcess server(index.root, {"--max-wildcard-expansion", "2"});
    auto port = server.port();

    auto faceted = call(port, "/search", "/search?q=lenovo&facets=tag,year", 200);
    auto result = json::parse(faceted.body);
    CHECK(result["hits"].size() == 2);
    CHECK(result["facets"]["tag"].size() > 0);
    CHECK(result["facets"]["year"].size() > 0);
    CHECK(result["suggestion"].is_null());
    CHECK(json::parse(call(port, "/search", "/search?q=goverment", 200).body)["suggestion"] == "government");
    (void)call(port, "/search",
               "/search?q=" + encode("interest rates") + "&op=or&sort=-date&from=2014&to=2015-06&page=1&size=3", 200);
    (void)call(port, "/search", "/search", 400, "missing_query");
    (void)call(port, "/search", "/search?q=" + encode("\"unclosed") + "&syntax=strict", 400, "invalid_query");
    auto lenient = json::parse(call(port, "/search", "/search?q=" + encode("(lenovo"), 200).body);
    CHECK(lenient["notice"]["code"] == "read_as_plain_words");
    CHECK(lenient["notice"]["words"] == "lenovo");
    (void)call(port, "/search", "/search?q=" + std::string(9000, 'x'), 400, "query_too_long");
    (void)call(port, "/search", "/search?q=g*", 400, "too_many_expansions");
    (void)call(port, "/search", "/search?q=lenovo&size=0", 400, "invalid_parameter");
    (void)call(port, "/search", "/search?q=lenovo&page=1&page=2", 400, "invalid_parameter");
    (void)call(port, "/search", "/search?q=lenovo&colour=red", 400, "unknown_parameter");
    CHECK(call(port, "/search", "/search?q=lenovo&format=html", 200).content_type.rfind("text/html", 0) == 0);
    auto html_error = call(port, "/search", "/search?q=" + encode("\"unclosed") + "&syntax=strict&format=html", 400);
    CHECK(html_error.content_type.rfind("text/html", 0) == 0);
    CHECK(call(port, "/search", "/search", 200, "", {{"Accept", "text/html"}}).content_type.rfind("text/html", 0) == 0);

    auto article = json::parse(call(port, "/articles/{id}", "/articles/a001", 200).body);
    CHECK(article["id"] == "a001");
    CHECK(article["date"].is_string());
    (void)call(port, "/articles/{id}", "/articles/missing", 404, "not_found");

    auto related = json::parse(call(port, "/articles/{id}/related", "/articles/a001/related", 200).body);
    CHECK_FALSE(related["hits"].empty());
    (void)call(port, "/articles/{id}/related", "/articles/a001/related?size=2", 200);
    (void)call(port, "/articles/{id}/related", "/articles/missing/related", 404, "not_found");
    (void)call(port, "/articles/{id}/related", "/articles/a001/related?size=0", 400, "invalid_parameter");
    (void)call(port, "/articles/{id}/related", "/articles/a001/related?colour=red", 400, "unknown_parameter");

    auto suggest = json::parse(call(port, "/suggest", "/suggest?q=go", 200).body);
    CHECK_FALSE(suggest["suggestions"].empty());
    (void)call(port, "/suggest", "/suggest", 400, "missing_query");
    (void)call(port, "/suggest", "/suggest?q=" + std::string(9000, 'x'), 400, "query_too_long");
    (void)call(port, "/suggest", "/suggest?q=go&size=50", 400, "invalid_parameter");
    (void)call(port, "/suggest", "/suggest?q=go&colour=red", 400, "unknown_parameter");

    (void)call(port, "/healthz", "/healthz", 200);
    (void)call(port, "/readyz", "/readyz", 200);
    auto stats = json::parse(call(port, "/stats", "/stats", 200).body);
    CHECK(stats["fields"].size() == 7);
    CHECK(call(port, "/metrics", "/metrics", 200).content_type.rfind("text/plain", 0) == 0);
    (void)call(port, "/openapi.json", "/openapi.json", 200);
    auto home = call(port, "/", "/", 302);
    auto location = home.headers.find("Location");
    REQUIRE(location != home.headers.end());
    CHECK(location->second == "/search");

    // Not a route at all: still the Error object.
    auto unknown = get(port, "/nowhere");
    CHECK(unknown.status == 404);
    auto problems = the_document().validate(json::parse(unknown.body), {{"$ref", "#/components/schemas/Error"}});
    CHECK_MESSAGE(problems.empty(), joined(problems));
}

TEST_CASE("every route answers what the document declares while no index is published") {
    TempDir dir;
    ServerProcess server(dir / "index");
    auto port = server.port();
    (void)call(port, "/readyz", "/readyz", 503);
    (void)call(port, "/healthz", "/healthz", 200);
    (void)call(port, "/stats", "/stats", 503, "index_unavailable");
    (void)call(port, "/search", "/search?q=lenovo", 503, "index_unavailable");
    (void)call(port, "/search", "/search?q=lenovo&format=html", 503);
    (void)call(port, "/articles/{id}", "/articles/a001", 503, "index_unavailable");
    (void)call(port, "/articles/{id}/related", "/articles/a001/related", 503, "index_unavailable");
    (void)call(port, "/suggest", "/suggest?q=go", 503, "index_unavailable");
    (void)call(port, "/metrics", "/metrics", 200);
    (void)call(port, "/openapi.json", "/openapi.json", 200);
}

TEST_CASE("a request with a body or oversized headers gets the 413 or 431 every route declares") {
    TempDir dir;  // refused before routing: no index needed
    ServerProcess server(dir / "index", {"--max-head-bytes", "4096"});
    auto port = server.port();
    const std::vector<std::pair<std::string, std::string>> requests{{"/", "/"},
                                                                    {"/search", "/search?q=lenovo"},
                                                                    {"/articles/{id}", "/articles/a001"},
                                                                    {"/articles/{id}/related",
                                                                     "/articles/a001/related"},
                                                                    {"/suggest", "/suggest?q=go"},
                                                                    {"/healthz", "/healthz"},
                                                                    {"/readyz", "/readyz"},
                                                                    {"/stats", "/stats"},
                                                                    {"/metrics", "/metrics"},
                                                                    {"/openapi.json", "/openapi.json"}};
    CHECK(requests.size() == the_document().document()["paths"].size());
    for (const auto& [path_template, path] : requests) {
        INFO(path);
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(10s);
        httplib::Request with_body;
        with_body.method = "GET";
        with_body.path = path;
        with_body.body = "{}";
        with_body.set_header("Content-Type", "application/json");
        auto refused = client.send(with_body);
        REQUIRE_MESSAGE(refused, httplib::to_string(refused.error()));
        Response body_response{refused->status, refused->get_header_value("Content-Type"), refused->body,
                               refused->headers};
        CHECK(body_response.status == 413);
        CHECK(json::parse(body_response.body)["error"]["code"] == "payload_too_large");
        check_declared(path_template, path, body_response);

        auto oversized = get(port, path, {{"X-Padding", std::string(8192, 'x')}});
        CHECK(oversized.status == 431);
        CHECK(json::parse(oversized.body)["error"]["code"] == "request_header_fields_too_large");
        check_declared(path_template, path, oversized);
    }
}

TEST_CASE("fields an article lacks are null or empty where the document says they may be") {
    TempDir dir;
    json titled{{"id", "s1"}, {"title", "A short note on lenovo"}, {"body", "Lenovo said little about servers."}};
    json untitled{{"id", "s2"}, {"body", "An untitled story that mentions lenovo and servers."}};
    write_file(dir / "sparse.jsonl", titled.dump() + "\n" + untitled.dump() + "\n");
    build_index(dir / "index", {(dir / "sparse.jsonl").string()});
    ServerProcess server(dir / "index");
    auto port = server.port();

    auto result = json::parse(call(port, "/search", "/search?q=lenovo&facets=tag,year", 200).body);
    REQUIRE(result["hits"].size() == 2);
    for (const auto& hit : result["hits"]) {
        CHECK(hit["date"].is_null());
        CHECK(hit["url"].is_null());
        CHECK(hit["subtitle"].is_null());
        CHECK(hit["tags"] == json::array());
    }
    CHECK(result["facets"]["tag"] == json::array());
    auto article = json::parse(call(port, "/articles/{id}", "/articles/s2", 200).body);
    CHECK(article["title"].is_null());
    CHECK(article["date"].is_null());
    (void)call(port, "/articles/{id}/related", "/articles/s1/related", 200);
    (void)call(port, "/stats", "/stats", 200);
}

TEST_CASE("every parameter the server accepts is declared, with the values and bounds it enforces") {
    FixtureIndex index;
    ServerProcess server(index.root);
    auto port = server.port();

    struct Route {
        std::string path_template;
        std::string base;  // the request with its required parameters
    };
    const std::vector<Route> checked{{"/search", "/search?q=lenovo"},
                                     {"/articles/{id}/related", "/articles/a001/related"},
                                     {"/suggest", "/suggest?q=go"}};
    for (const auto& route : checked) {
        auto parameters = declared_parameters(route.path_template);
        for (const auto& [name, parameter] : parameters) {
            if (parameter.value("in", "") != "query" || parameter.value("required", false)) continue;
            for (const auto& value : valid_values(parameter)) {
                auto request = with_query(route.base, query_part(parameter, value));
                auto response = get(port, request);
                INFO(request << "\n" << response.body.substr(0, 500));
                CHECK(response.status == 200);
                check_declared(route.path_template, request, response);
            }
            for (const auto& value : invalid_values(parameter)) {
                auto request = with_query(route.base, query_part(parameter, value));
                (void)call(port, route.path_template, request, 400, "invalid_parameter");
            }
        }
        (void)call(port, route.path_template, with_query(route.base, "&undeclared=1"), 400, "unknown_parameter");
    }

    // /search names the parameters it knows when it rejects one: exactly the declared ones.
    auto rejected = json::parse(get(port, "/search?q=lenovo&undeclared=1").body);
    auto known = names_in_unknown_parameter_message(rejected["error"]["message"].get<std::string>());
    std::set<std::string> declared;
    for (const auto& [name, parameter] : declared_parameters("/search"))
        if (parameter.value("in", "") == "query") declared.insert(name);
    INFO("the server knows: " << json(known).dump() << ", the document declares: " << json(declared).dump());
    CHECK(known == declared);
}
