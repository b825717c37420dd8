#include "broadsheet/server/routes.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>

#include <spdlog/spdlog.h>

#include "broadsheet/schema/text.hpp"
#include "broadsheet/server/compression.hpp"
#include "broadsheet/server/errors.hpp"
#include "broadsheet/server/html.hpp"
#include "broadsheet/server/http_caching.hpp"
#include "broadsheet/server/http_server.hpp"
#include "broadsheet/server/openapi.hpp"
#include "broadsheet/server/page_files.hpp"
#include "broadsheet/server/result_cache.hpp"

namespace broadsheet::server {

using nlohmann::json;

namespace {

constexpr const char* json_type = "application/json; charset=utf-8";
constexpr const char* html_type = "text/html; charset=utf-8";

void send_json(httplib::Response& res, const json& body, int status = 200) {
    res.status = status;
    // Invalid UTF-8 in stored text must not turn into an exception here.
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), json_type);
}

auto site(const SearchService& service) -> Site { return Site{service.config().site_name}; }

/// How a route answers: JSON always, or JSON and HTML by negotiation.
enum class Answers { json_only, json_or_html };

/// The one place an error becomes an answer: the JSON error, or for a page
/// the error page with the message as text.
void send_error(const httplib::Request& req, httplib::Response& res, const ApiError& error, bool html,
                const Site& site) {
    res.status = error.status;
    if (!html) {
        res.set_content(error_body(error), json_type);
        return;
    }
    auto q = req.get_param_value("q");
    if (!schema::is_text(q)) q.clear();
    res.set_content(render_error_page(q.substr(0, 2048), error.status, error.what(), site), html_type);
}

// Whether a request for a route that can answer both wants the page:
// format= decides, else the Accept header.
auto wants_html(const httplib::Request& req) -> bool {
    if (req.has_param("format")) return req.get_param_value("format") == "html";
    return prefers_html(req.get_header_value("Accept"));
}

using RouteHandler = std::function<void(const httplib::Request&, httplib::Response&, bool html)>;

/// What the answer a request would get is a function of: its entity tag,
/// and for answers from the index, the index's state.
struct AnswerKey {
    std::string tag;
    std::string index_state;  ///< generation, revision, cluster state; empty when not from the index
};

/// How a route's successful answers may be cached: their Cache-Control, and
/// the key of the answer a request would get (nothing: no tag, and the
/// answer is not stored). A key is worked out before the handler runs, from
/// what the answer is a function of, so that a 304 costs no index work.
/// With `results`, answers are also kept in the server and sent again
/// without the handler.
struct Caching {
    const char* cache_control = cache_control::never;
    std::function<std::optional<AnswerKey>(const httplib::Request&, bool html)> key;
    ResultCache* results = nullptr;
};

auto never_cached() -> Caching { return {}; }

// Answers from the index: the same while its generation and revision are.
// The request target stands for every parameter (two spellings of one
// search get two tags, which costs a refetch, never a wrong answer).
auto cached_by_index(const SearchService& service, std::string build, ResultCache* results = nullptr) -> Caching {
    return {cache_control::revalidate,
            [&service, build = std::move(build)](const httplib::Request& req, bool html) -> std::optional<AnswerKey> {
                auto info = service.index_info();
                if (!info) return std::nullopt;
                auto revision = std::to_string(info->revision);
                auto state = service.cache_state();
                auto tag = fingerprint({build, info->generation, revision, state, html ? "html" : "json", req.target});
                return AnswerKey{std::move(tag), info->generation + '\n' + revision + '\n' + state};
            },
            results};
}

// Answers that change only with the server binary and its settings.
auto cached_by_build(std::string build) -> Caching {
    return {cache_control::per_build,
            [build = std::move(build)](const httplib::Request& req, bool) -> std::optional<AnswerKey> {
                return AnswerKey{fingerprint({build, req.target}), {}};
            },
            nullptr};
}

/// What an answer kept in a ResultCache is kept under besides the index state.
auto result_key(const httplib::Request& req, bool html) -> std::string {
    return (html ? "html " : "json ") + req.target;
}

/// A gzip body set by the handler (httplib counts its Content-Length
/// afterwards; encode_response leaves a coded body alone).
void send_coded(httplib::Response& res, std::string gzip) {
    res.body = std::move(gzip);
    res.set_header("Content-Encoding", std::string(coding_name(ContentCoding::gzip)));
}

/// A kept answer as the handler would have sent it, reporting `took_ms`:
/// compressed from the kept gzip form when the client takes gzip (made
/// and kept now if no client asked before).
void send_kept(httplib::Response& res, ResultCache& results, const std::string& index_state, std::string_view request,
               ResultCache::Entry kept, const CodingChoice& coding, double took_ms) {
    const auto took = kept->took_text(took_ms);
    const auto plain_size = kept->head.size() + took.size() + kept->tail.size();
    const bool gzip_wanted = coding.coding == ContentCoding::gzip && worth_compressing(plain_size, coding);
    if (gzip_wanted && !kept->gzip) {
        if (auto gzip = gzip_for_splicing(kept->head, kept->tail)) {
            auto with_gzip = std::make_shared<CachedAnswer>(*kept);
            with_gzip->gzip = std::move(*gzip);
            kept = with_gzip;
            results.insert(index_state, request, kept);
        }
    }
    res.status = 200;
    res.set_content(kept->body(took_ms), kept->content_type);
    if (!gzip_wanted || !kept->gzip) return;
    auto coded = kept->gzip->with_middle(took);
    // As encode_response decides: coded only when smaller, or identity is refused.
    if (coded.size() < plain_size || !coding.identity_acceptable) send_coded(res, std::move(coded));
}

/// Keeps a finished answer whose time can be found in it, with its gzip form
/// when the client takes gzip, and sends that form (the same text).
void keep_answer(httplib::Response& res, ResultCache& results, const std::string& index_state, std::string_view request,
                 const CodingChoice& coding, bool html) {
    auto cut = cut_at_took(res.body, res.get_header_value("Content-Type"), html ? TookFormat::page : TookFormat::json);
    if (!cut) return;
    const auto plain_size = res.body.size();
    std::string took = res.body.substr(cut->head.size(), plain_size - cut->head.size() - cut->tail.size());
    if (coding.coding == ContentCoding::gzip && worth_compressing(plain_size, coding))
        cut->gzip = gzip_for_splicing(cut->head, cut->tail);
    auto kept = std::make_shared<const CachedAnswer>(std::move(*cut));
    results.insert(index_state, request, kept);
    if (!kept->gzip) return;  // encode_response compresses, as for any answer
    auto coded = kept->gzip->with_middle(took);
    if (coded.size() < plain_size || !coding.identity_acceptable) send_coded(res, std::move(coded));
}

// What besides the index and the request shapes an answer's bytes: the
// code (its version, API description, templates) and the settings the
// answers show.
auto build_fingerprint(const ServerConfig& config) -> std::string {
    std::string files;
    for (const auto& file : page_files()) files += fingerprint({file.name, file.text});
    return fingerprint({BROADSHEET_VERSION, openapi_json(), files, config.site_name,
                        std::to_string(config.snippet_length), std::to_string(config.max_snippet_length),
                        std::to_string(config.max_page_size), std::to_string(config.exact_total_limit),
                        std::to_string(config.max_facet_documents)});
}

// Times the handler (Server-Timing, read by the access log; the metrics),
// and turns whatever it throws into the answer for it. A request whose
// If-None-Match names the current answer gets 304 without the handler.
auto route(Metrics& metrics, const Site& site, std::string name, Answers answers, Caching caching, RouteHandler handler)
    -> httplib::Server::Handler {
    return [&metrics, site, name = std::move(name), answers, caching = std::move(caching),
            handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        auto started = std::chrono::steady_clock::now();
        bool html = answers == Answers::json_or_html && wants_html(req);
        auto key = caching.key ? caching.key(req, html) : std::nullopt;
        auto if_none_match = parse_if_none_match(req.get_header_value("If-None-Match"));
        auto preferred = choose_coding(req.get_header_value("Accept-Encoding"), req.has_header("Accept-Encoding"));
        auto still_current = key ? match_if_none_match(if_none_match, key->tag, preferred.coding) : std::nullopt;
        if (!still_current) {
            // A kept answer skips the handler: no admission, no searcher, no rendering.
            auto* results = key && caching.results && caching.results->enabled() ? caching.results : nullptr;
            const auto request = results ? result_key(req, html) : std::string();
            auto kept = results ? results->find(key->index_state, request) : nullptr;
            bool keep = false;
            if (kept) {
                auto took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
                send_kept(res, *results, key->index_state, request, std::move(kept), preferred, took_ms.count());
                keep = true;
            } else {
                try {
                    handler(req, res, html);
                } catch (...) {
                    send_error(req, res, to_api_error(std::current_exception()), html, site);
                }
                // A handler that sets Cache-Control itself has an answer that must not be kept.
                keep = key && (res.status == -1 || res.status == 200) && !res.has_header("Cache-Control");
                if (keep && results) keep_answer(res, *results, key->index_state, request, preferred, html);
            }
            if (!res.has_header("Cache-Control"))
                res.set_header("Cache-Control", keep ? caching.cache_control : cache_control::never);
            if (keep) {
                auto coding = res.has_header("Content-Encoding") ? ContentCoding::gzip : ContentCoding::identity;
                res.set_header("ETag", entity_tag(key->tag, coding));
            }
            // "*": the client takes any current answer, and there is one.
            if (keep && if_none_match.any) still_current = entity_tag(key->tag, preferred.coding);
        }
        if (still_current) {
            // Only the headers the 200 would carry that describe it (RFC 9110 §15.4.5).
            res.status = 304;
            res.body.clear();
            res.headers.erase("Content-Type");
            res.headers.erase("ETag");
            res.headers.erase("Cache-Control");
            res.set_header("ETag", *still_current);
            res.set_header("Cache-Control", caching.cache_control);
        }
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        char timing[48];
        std::snprintf(timing, sizeof timing, "app;dur=%.3f", ms);
        res.set_header("Server-Timing", timing);
        metrics.observe(name, res.status == -1 ? 200 : res.status, ms / 1000.0);
    };
}

/// Reads the parameters of a route other than /search: unknown and repeated
/// names are errors, as they are for /search.
class ParamReader {
public:
    ParamReader(const httplib::Request& req, std::initializer_list<std::string_view> allowed) : m_req(req) {
        for (const auto& [name, value] : req.params) {
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
                throw bad_request("unknown_parameter", "unknown parameter '" + name.substr(0, 40) + "'");
            if (req.get_param_value_count(name) > 1)
                throw bad_request("invalid_parameter", "'" + name + "' is given more than once");
            if (!schema::is_text(value)) throw bad_request("invalid_parameter", "'" + name + "' is not valid UTF-8");
        }
    }

    [[nodiscard]] auto text(const std::string& name) const -> std::string { return m_req.get_param_value(name); }

    /// An optional whole number within [low, high].
    [[nodiscard]] auto integer(const std::string& name, int fallback, int low, int high) const -> int {
        if (!m_req.has_param(name)) return fallback;
        auto text = m_req.get_param_value(name);
        int value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high)
            throw bad_request("invalid_parameter", "'" + name + "' must be a whole number from " + std::to_string(low) +
                                                       " to " + std::to_string(high));
        return value;
    }

    /// An optional value that must be one of `choices`.
    void one_of(const std::string& name, std::initializer_list<std::string_view> choices) const {
        if (!m_req.has_param(name)) return;
        auto value = m_req.get_param_value(name);
        if (std::find(choices.begin(), choices.end(), value) != choices.end()) return;
        std::string list;
        for (auto choice : choices) list += (list.empty() ? "" : " or ") + std::string(choice);
        throw bad_request("invalid_parameter", "'" + name + "' must be " + list);
    }

private:
    const httplib::Request& m_req;
};

/// The article id of /articles/{id}: any text, "/" included (sent as %2F).
auto article_id(const httplib::Request& req) -> std::string {
    auto id = req.matches[1].str();
    if (!schema::is_text(id) || id.empty()) throw ApiError(404, "not_found", "no article with that id");
    return id;
}

void get_search(SearchService& service, const httplib::Request& req, httplib::Response& res, bool html) {
    if (html && !req.has_param("q")) {
        // The empty search box, with topics and years to browse when an index is open.
        ParamReader params(req, {"format"});
        auto overview = service.index_info() ? service.overview() : Overview{};
        res.set_content(render_home_page(overview, site(service)), html_type);
        return;
    }
    auto client_gone = [&req] { return req.is_connection_closed && req.is_connection_closed(); };
    auto outcome = service.search(req.params, html, client_gone);
    // Set here, Cache-Control keeps the answer out of every cache, the server's own included.
    if (!is_repeatable(outcome.result)) res.set_header("Cache-Control", cache_control::never);
    if (html) res.set_content(render_search_page(outcome.result, outcome.request, site(service)), html_type);
    else send_json(res, to_json(std::move(outcome.result)));
}

void get_article(SearchService& service, const httplib::Request& req, httplib::Response& res, bool html) {
    ParamReader params(req, {"q", "format"});
    params.one_of("format", {"json", "html"});
    auto id = article_id(req);
    if (!html) {
        send_json(res, service.article(id));
        return;
    }
    auto q = params.text("q").substr(0, service.config().max_query_bytes);
    res.set_content(render_article_page(service.article_view(id, q), q, site(service)), html_type);
}

void get_related(SearchService& service, const httplib::Request& req, httplib::Response& res, bool) {
    ParamReader params(req, {"size"});
    send_json(res,
              to_json(service.related(article_id(req), params.integer("size", 5, 1, service.config().max_page_size))));
}

void get_suggest(SearchService& service, const httplib::Request& req, httplib::Response& res, bool) {
    ParamReader params(req, {"q", "size"});
    auto q = params.text("q");
    if (q.empty()) throw bad_request("missing_query", "'q' is required: the text typed so far");
    if (q.size() > service.config().max_query_bytes) throw bad_request("query_too_long", "the text is too long");
    send_json(res, to_json(service.suggest(q, params.integer("size", 8, 1, 20))));
}

// Control characters from a request (a path such as /x%0D%0A...) would forge
// log lines or drive a terminal: they are written as \xNN.
auto loggable(std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text.substr(0, 2048)) {
        if (c < 0x20 || c == 0x7f || c == '\\') {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// Headers every answer carries. Pages load nothing from elsewhere, so the
// policy allows only their own inline style and script.
void add_security_headers(const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "same-origin");
    if (res.get_header_value("Content-Type").starts_with("text/html")) {
        res.set_header("Content-Security-Policy",
                       "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                       "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
                       "frame-ancestors 'none'");
        res.set_header("X-Frame-Options", "DENY");
    }
    // Answers chosen by the Accept header must not be cached for the other kind.
    if (req.path == "/search" || req.path.starts_with("/articles/")) {
        add_vary(res, "Accept");
        add_vary(res, "Origin");
    }
}

}  // namespace

void register_routes(httplib::Server& server, SearchService& service, Metrics& metrics,
                     std::function<ServingFigures()> serving_figures) {
    auto& config = service.config();
    const Site site{config.site_name};
    auto build = build_fingerprint(config);
    server.Get("/search",
               route(metrics, site, "search", Answers::json_or_html,
                     cached_by_index(service, build, &service.results()),
                     [&service](const auto& req, auto& res, bool html) { get_search(service, req, res, html); }));
    server.Get(R"(/articles/(.+)/related)",
               route(metrics, site, "related", Answers::json_only, cached_by_index(service, build),
                     [&service](const auto& req, auto& res, bool html) { get_related(service, req, res, html); }));
    server.Get("/suggest",
               route(metrics, site, "suggest", Answers::json_only, cached_by_index(service, build),
                     [&service](const auto& req, auto& res, bool html) { get_suggest(service, req, res, html); }));
    server.Get(R"(/articles/(.+))",
               route(metrics, site, "article", Answers::json_or_html, cached_by_index(service, build),
                     [&service](const auto& req, auto& res, bool html) { get_article(service, req, res, html); }));
    server.Get("/healthz",
               route(metrics, site, "healthz", Answers::json_only, never_cached(), [](const auto&, auto& res, bool) {
                   send_json(res, json{{"status", "ok"}});
               }));
    server.Get("/readyz", route(metrics, site, "readyz", Answers::json_only, never_cached(),
                                [&service](const auto&, auto& res, bool) {
                                    auto [ready, body] = service.readiness();
                                    send_json(res, body, ready ? 200 : 503);
                                }));
    server.Get("/stats", route(metrics, site, "stats", Answers::json_only, cached_by_index(service, build),
                               [&service](const auto&, auto& res, bool) { send_json(res, to_json(service.stats())); }));
    server.Get("/metrics", route(metrics, site, "metrics", Answers::json_only, never_cached(),
                                 [&service, &metrics, serving_figures](const auto&, auto& res, bool) {
                                     auto info = service.index_info();
                                     auto figures = serving_figures ? serving_figures() : ServingFigures{};
                                     figures.searches_running = service.admission().running();
                                     figures.searches_waiting = service.admission().waiting();
                                     auto text = metrics.render(info.get()) + render_serving_figures(figures) +
                                                 render_result_cache_figures(service.results().figures());
                                     if (const auto* cluster = service.cluster())
                                         text += render_cluster_figures(cluster->figures());
                                     res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
                                 }));
    server.Get("/openapi.json",
               route(metrics, site, "openapi", Answers::json_only, cached_by_build(build),
                     [](const auto&, auto& res, bool) { res.set_content(std::string(openapi_json()), json_type); }));
    server.Get("/", route(metrics, site, "home", Answers::json_only, never_cached(),
                          [](const auto&, auto& res, bool) { res.set_redirect("/search", 302); }));

    // Before routing: only the methods the API uses, no request bodies, and
    // CORS preflights for the configured origins.
    server.set_pre_routing_handler([&config](const httplib::Request& req, httplib::Response& res) {
        auto refuse = [&](int status, const char* code, const std::string& message) {
            ApiError error(status, code, message);
            res.status = status;
            res.set_content(error_body(error), json_type);
            // An unread body would otherwise be taken for the next request.
            res.set_header("Connection", "close");
            close_after_this_response();
            return httplib::Server::HandlerResponse::Handled;
        };
        if (req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS") {
            res.set_header("Allow", "GET, HEAD, OPTIONS");
            return refuse(405, "method_not_allowed", "only GET, HEAD and OPTIONS are served");
        }
        if (req.has_header("Transfer-Encoding") || req.get_header_value_u64("Content-Length") > 0)
            return refuse(413, "payload_too_large", "no route takes a request body");
        if (!schema::is_text(req.path)) return refuse(400, "bad_request", "the path is not valid UTF-8");
        if (req.method == "OPTIONS") {
            res.status = 204;
            res.set_header("Allow", "GET, HEAD, OPTIONS");
            auto origin = req.get_header_value("Origin");
            if (!origin.empty() && std::find(config.cors_origins.begin(), config.cors_origins.end(), origin) !=
                                       config.cors_origins.end()) {
                res.set_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
                res.set_header("Access-Control-Allow-Headers", "Accept, Content-Type");
                res.set_header("Access-Control-Max-Age", "600");
            }
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_post_routing_handler([&config](const httplib::Request& req, httplib::Response& res) {
        add_security_headers(req, res);
        auto origin = req.get_header_value("Origin");
        if (!origin.empty() &&
            std::find(config.cors_origins.begin(), config.cors_origins.end(), origin) != config.cors_origins.end()) {
            res.set_header("Access-Control-Allow-Origin", origin);
            res.set_header("Access-Control-Expose-Headers", "Retry-After, Server-Timing, ETag");
        }
        if (res.status == 503) res.set_header("Retry-After", std::to_string(config.retry_after_seconds));
        if (res.status >= 400) {
            // Errors, wherever they were made, are never kept.
            res.headers.erase("ETag");
            res.headers.erase("Cache-Control");
            res.set_header("Cache-Control", cache_control::never);
        }
        if (res.status == 304) {
            // httplib counts the empty body; a 304's length would be the 200's, unknown here.
            res.headers.erase("Content-Length");
            // Every answer with a tag is text, which varies with Accept-Encoding (encode_response).
            add_vary(res, "Accept-Encoding");
        }
        // Ranges are ignored (http_server.cpp), so HEAD must not offer them either.
        if (req.method == "HEAD") res.headers.erase("Accept-Ranges");
        encode_response(req, res);
    });

    // Everything that is not a route above, or that httplib itself rejects
    // (malformed request line, oversized URI), still answers JSON.
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        ApiError error(res.status, code_for_status(res.status),
                       res.status == 404 ? "no such route" : "the request was rejected");
        res.set_content(error_body(error), json_type);
        return httplib::Server::HandlerResponse::Handled;
    }));
    // Handlers catch their own errors (route()); this catches what the
    // handlers above route() throw, so that nothing ever answers a bare 500.
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        auto api_error = to_api_error(error);
        res.status = api_error.status;
        res.set_content(error_body(api_error), json_type);
    });
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        auto timing = res.get_header_value("Server-Timing");
        auto at = timing.find("dur=");
        auto ms = at == std::string::npos ? std::string("-") : timing.substr(at + 4);
        spdlog::info("{} {} {} took_ms={}", loggable(req.method), loggable(req.path), res.status, ms);
    });
}

}  // namespace broadsheet::server
