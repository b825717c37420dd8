#pragma once

#include <functional>

#include <httplib.h>

#include "broadsheet/server/metrics.hpp"
#include "broadsheet/server/search_service.hpp"

namespace broadsheet::server {

/// Installs every route of the v1 API; the method, body and CORS rules in
/// front of them; security headers, JSON errors for everything else (unknown
/// paths, malformed requests, exceptions) and the access log.
/// `serving_figures` reads the connection layer's counters for /metrics.
void register_routes(httplib::Server& server, SearchService& service, Metrics& metrics,
                     std::function<ServingFigures()> serving_figures = {});

}  // namespace broadsheet::server
