#pragma once

#include <httplib.h>

#include "broadsheet/server/metrics.hpp"
#include "broadsheet/server/search_service.hpp"

namespace broadsheet::server {

/// Installs every route of the v1 API, JSON errors for everything else
/// (unknown paths, malformed requests, exceptions) and the access log.
void register_routes(httplib::Server& server, SearchService& service, Metrics& metrics);

}  // namespace broadsheet::server
