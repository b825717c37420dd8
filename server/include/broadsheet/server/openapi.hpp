#pragma once
// The OpenAPI 3.0 description of the HTTP API (server/openapi.json), compiled in.

#include <string_view>

namespace broadsheet::server {

/// The OpenAPI document served at GET /openapi.json, as JSON text.
[[nodiscard]] auto openapi_json() -> std::string_view;

}  // namespace broadsheet::server
