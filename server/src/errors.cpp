#include "broadsheet/server/errors.hpp"

#include <utility>

#include <spdlog/spdlog.h>
#include <xapian.h>
#include <nlohmann/json.hpp>

namespace broadsheet::server {

auto to_api_error(std::exception_ptr error) -> ApiError {
    try {
        std::rethrow_exception(std::move(error));
    } catch (const ApiError& e) {
        return e;
    } catch (const Xapian::QueryParserError& e) {
        return bad_request("invalid_query", "cannot parse the query: " + e.get_msg());
    } catch (const Xapian::WildcardError& e) {
        return bad_request("too_many_expansions",
                           "a wildcard matches too many words; make the prefix longer (" + e.get_msg() + ")");
    } catch (const Xapian::NetworkError& e) {
        // Cluster mode: a shard failed under the request on every replica tried.
        spdlog::warn("shard unavailable: {}", e.get_description());
        return {503, "shard_unavailable", "a shard of the index did not answer; retry shortly"};
    } catch (const Xapian::DatabaseOpeningError& e) {
        spdlog::warn("index unavailable: {}", e.get_description());
        return {503, "index_unavailable", "the index is not available right now"};
    } catch (const Xapian::DatabaseModifiedError& e) {
        spdlog::warn("index changed during a request: {}", e.get_description());
        return {503, "index_unavailable", "the index changed while answering; retry"};
    } catch (const Xapian::DatabaseError& e) {
        spdlog::error("database error: {}", e.get_description());
        return {503, "index_unavailable", "the index is not available right now"};
    } catch (const Xapian::Error& e) {
        spdlog::error("xapian error: {}", e.get_description());
        return {500, "internal_error", "internal error"};
    } catch (const std::exception& e) {
        spdlog::error("internal error: {}", e.what());
        return {500, "internal_error", "internal error"};
    } catch (...) {
        spdlog::error("internal error: unknown exception");
        return {500, "internal_error", "internal error"};
    }
}

auto error_body(const ApiError& error) -> std::string {
    nlohmann::json body{{"error", {{"status", error.status}, {"code", error.code}, {"message", error.what()}}}};
    // Messages may quote a client's bytes: invalid UTF-8 is replaced, never thrown.
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

auto code_for_status(int status) -> std::string {
    switch (status) {
        case 400: return "bad_request";
        case 404: return "not_found";
        case 405: return "method_not_allowed";
        case 408: return "request_timeout";
        case 413: return "payload_too_large";
        case 414: return "uri_too_long";
        case 416: return "range_not_satisfiable";
        case 431: return "request_header_fields_too_large";
        case 503: return "unavailable";
        default: return status >= 500 ? "internal_error" : "bad_request";
    }
}

}  // namespace broadsheet::server
