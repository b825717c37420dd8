#include "broadsheet/server/routes.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "broadsheet/server/errors.hpp"
#include "broadsheet/server/html.hpp"
#include "broadsheet/server/openapi.hpp"

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

void send_error(httplib::Response& res, const ApiError& error) {
    res.status = error.status;
    res.set_content(error_body(error), json_type);
}

// Times the handler (Server-Timing, read by the access log; the metrics)
// and turns any exception into the JSON error for it.
auto timed(Metrics& metrics, std::string route,
           std::function<void(const httplib::Request&, httplib::Response&)> handler) -> httplib::Server::Handler {
    return [&metrics, route = std::move(route), handler = std::move(handler)](const httplib::Request& req,
                                                                               httplib::Response& res) {
        auto started = std::chrono::steady_clock::now();
        try {
            handler(req, res);
        } catch (...) {
            send_error(res, to_api_error(std::current_exception()));
        }
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        char timing[48];
        std::snprintf(timing, sizeof timing, "app;dur=%.3f", ms);
        res.set_header("Server-Timing", timing);
        metrics.observe(route, res.status == -1 ? 200 : res.status, ms / 1000.0);
    };
}

auto wants_html(const httplib::Request& req, const std::optional<std::string>& format) -> bool {
    if (format) return *format == "html";
    return prefers_html(req.get_header_value("Accept"));
}

void get_search(SearchService& service, const httplib::Request& req, httplib::Response& res) {
    std::optional<std::string> format;
    if (auto it = req.params.find("format"); it != req.params.end()) format = it->second;
    bool html = wants_html(req, format) && format.value_or("html") == "html";
    if (html && !req.has_param("q")) {
        // The empty search box, with topics and years to browse when an index is open.
        json overview = json::object();
        try {
            overview = service.overview();
        } catch (const ApiError&) {
        }
        res.set_content(render_home_page(overview), html_type);
        return;
    }
    try {
        auto schema = service.schema();
        auto request = parse_search_request(req.params, service.config(), schema);
        // The page always shows the facet sidebar.
        if (html && request.facets.empty()) request.facets = schema.facet_names();
        auto result = service.search(request);
        if (html) {
            res.set_content(render_search_page(result, request), html_type);
        } else {
            send_json(res, result);
        }
    } catch (...) {
        auto error = to_api_error(std::current_exception());
        if (!html) {
            send_error(res, error);
            return;
        }
        auto q = req.get_param_value("q");
        res.status = error.status;
        res.set_content(render_error_page(q.substr(0, 2048), error.status, error.what()), html_type);
    }
}

// Rejects parameters other than `allowed`, and repeated ones, as /search does.
void small_params(const httplib::Request& req, std::initializer_list<std::string_view> allowed) {
    for (const auto& [name, value] : req.params) {
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
            throw bad_request("unknown_parameter", "unknown parameter '" + name.substr(0, 40) + "'");
        if (req.get_param_value_count(name) > 1)
            throw bad_request("invalid_parameter", "'" + name + "' is given more than once");
    }
}

// An optional whole-number parameter within [low, high].
auto int_param(const httplib::Request& req, const std::string& name, int fallback, int low, int high) -> int {
    if (!req.has_param(name)) return fallback;
    auto text = req.get_param_value(name);
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high)
        throw bad_request("invalid_parameter",
                          "'" + name + "' must be a whole number from " + std::to_string(low) + " to " + std::to_string(high));
    return value;
}

void get_article(SearchService& service, const httplib::Request& req, httplib::Response& res) {
    small_params(req, {"q", "format"});
    std::optional<std::string> format;
    if (req.has_param("format")) {
        format = req.get_param_value("format");
        if (*format != "json" && *format != "html") throw bad_request("invalid_parameter", "'format' must be json or html");
    }
    auto id = req.matches[1].str();
    if (!wants_html(req, format)) {
        send_json(res, service.article(id));
        return;
    }
    try {
        auto q = req.get_param_value("q");
        res.set_content(render_article_page(service.article_view(id, q.substr(0, service.config().max_query_bytes)), q),
                        html_type);
    } catch (...) {
        auto error = to_api_error(std::current_exception());
        res.status = error.status;
        res.set_content(render_error_page("", error.status, error.what()), html_type);
    }
}

void get_related(SearchService& service, const httplib::Request& req, httplib::Response& res) {
    small_params(req, {"size"});
    send_json(res, service.related(req.matches[1].str(), int_param(req, "size", 5, 1, service.config().max_page_size)));
}

void get_suggest(SearchService& service, const httplib::Request& req, httplib::Response& res) {
    small_params(req, {"q", "size"});
    auto q = req.get_param_value("q");
    if (q.empty()) throw bad_request("missing_query", "'q' is required: the text typed so far");
    if (q.size() > service.config().max_query_bytes) throw bad_request("query_too_long", "the text is too long");
    send_json(res, service.suggest(q, int_param(req, "size", 8, 1, 20)));
}

}  // namespace

void register_routes(httplib::Server& server, SearchService& service, Metrics& metrics) {
    server.Get("/search", timed(metrics, "search", [&service](const auto& req, auto& res) { get_search(service, req, res); }));
    server.Get(R"(/articles/([^/]+)/related)",
               timed(metrics, "related", [&service](const auto& req, auto& res) { get_related(service, req, res); }));
    server.Get("/suggest", timed(metrics, "suggest", [&service](const auto& req, auto& res) { get_suggest(service, req, res); }));
    server.Get(R"(/articles/([^/]+))",
               timed(metrics, "article", [&service](const auto& req, auto& res) { get_article(service, req, res); }));
    server.Get("/healthz", timed(metrics, "healthz", [](const auto&, auto& res) { send_json(res, json{{"status", "ok"}}); }));
    server.Get("/readyz", timed(metrics, "readyz", [&service](const auto&, auto& res) {
                   auto [ready, body] = service.readiness();
                   send_json(res, body, ready ? 200 : 503);
               }));
    server.Get("/stats", timed(metrics, "stats", [&service](const auto&, auto& res) { send_json(res, service.stats()); }));
    server.Get("/metrics", timed(metrics, "metrics", [&service, &metrics](const auto&, auto& res) {
                   auto info = service.index_info();
                   res.set_content(metrics.render(info.get()), "text/plain; version=0.0.4; charset=utf-8");
               }));
    server.Get("/openapi.json", timed(metrics, "openapi", [](const auto&, auto& res) {
                   res.set_content(std::string(openapi_json()), json_type);
               }));
    server.Get("/", timed(metrics, "home", [](const auto&, auto& res) { res.set_redirect("/search", 302); }));

    // Everything that is not a route above, or that httplib itself rejects
    // (malformed request line, oversized URI), still answers JSON.
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        ApiError error(res.status, code_for_status(res.status),
                       res.status == 404 ? "no such route" : "the request was rejected");
        send_error(res, error);
        return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        send_error(res, to_api_error(error));
    });
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        auto timing = res.get_header_value("Server-Timing");
        auto at = timing.find("dur=");
        auto ms = at == std::string::npos ? std::string("-") : timing.substr(at + 4);
        spdlog::info("{} {} {} took_ms={}", req.method, req.path, res.status, ms);
    });
}

}  // namespace broadsheet::server
