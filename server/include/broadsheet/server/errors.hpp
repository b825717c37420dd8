#pragma once
// Errors as the API reports them: {"error": {"status", "code", "message"}}.

#include <exception>
#include <stdexcept>
#include <string>

namespace broadsheet::server {

/// An error with its HTTP status and machine-readable code; thrown anywhere
/// in the server library and rendered only at the HTTP boundary.
struct ApiError : std::runtime_error {
    ApiError(int status_, std::string code_, const std::string& message)
        : std::runtime_error(message), status(status_), code(std::move(code_)) {}
    int status;
    std::string code;
};

[[nodiscard]] inline auto bad_request(const std::string& code, const std::string& message) -> ApiError {
    return {400, code, message};
}

/// The client closed its connection before the answer was ready: work for it
/// stops (status 499, as nginx logs it; nobody receives the answer).
[[nodiscard]] inline auto client_closed() -> ApiError {
    return {499, "client_closed_request", "the client closed the connection"};
}

/// There is no index to answer from (none published yet).
[[nodiscard]] inline auto index_unavailable() -> ApiError {
    return {503, "index_unavailable", "no index has been published yet"};
}

/// Maps any exception to the error the client sees: ApiError as is, Xapian
/// query errors to 400, an unavailable database to 503, anything else to 500
/// without internals.
[[nodiscard]] auto to_api_error(std::exception_ptr error) -> ApiError;

/// The JSON body for an error.
[[nodiscard]] auto error_body(const ApiError& error) -> std::string;

/// A standard reason code for a bare status (404 → "not_found").
[[nodiscard]] auto code_for_status(int status) -> std::string;

}  // namespace broadsheet::server
