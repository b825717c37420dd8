// broadsheet-server: serves a Broadsheet index over HTTP.
#include <cstdlib>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>

#include "broadsheet/server/config.hpp"
#include "broadsheet/server/http_server.hpp"
#include "broadsheet/server/index_pool.hpp"
#include "broadsheet/server/lifecycle.hpp"
#include "broadsheet/server/routes.hpp"
#include "broadsheet/server/search_service.hpp"

namespace bs = broadsheet::server;

int main(int argc, char** argv) try {
    int exit_code = -1;
    const auto config = bs::parse_config(argc, argv, exit_code);
    if (exit_code >= 0) return exit_code;
    bs::StopSignals stop_signals;  // before any thread starts
    const auto logger = bs::start_logging(config.log_level);
    bs::keep_large_buffers();
    bs::raise_descriptor_limit(static_cast<std::size_t>(config.max_connections));

    const auto poll = std::chrono::milliseconds(config.poll_ms);
    std::optional<bs::Cluster> cluster;
    if (config.cluster) cluster.emplace(*config.cluster);
    auto watcher = cluster ? std::make_unique<bs::IndexWatcher>(*cluster, poll)
                           : std::make_unique<bs::IndexWatcher>(config.index_dir, poll);
    bs::SearcherPool pool(*watcher, config.max_wildcard_expansion, cluster ? &*cluster : nullptr);
    watcher->on_change([&pool] { pool.drop_stale(); });
    watcher->start();
    const auto serving = cluster ? "cluster " + config.cluster_file : "index " + config.index_dir;
    if (!watcher->info()) spdlog::warn("nothing to serve from {} yet: /readyz answers 503 until there is", serving);
    bs::SearchService service(config, *watcher, pool);
    bs::HttpServer server(bs::http_limits(config));
    bs::Metrics metrics;
    bs::register_routes(server, service, metrics, [&server] { return bs::serving_figures(server.counters()); });

    const int port = server.bind_and_listen(config.host, config.port);
    spdlog::info("listening on http://{}:{} ({}, {} workers, at most {} connections)", config.host, port, serving,
                 config.threads, config.max_connections);
    const bool drained = stop_signals.serve_until_stopped(server);
    watcher->stop();
    spdlog::info(drained ? "stopped" : "stopped with requests unfinished after the drain timeout");
    logger->flush();  // std::_Exit below runs no destructors
    spdlog::shutdown();
    if (!drained) std::_Exit(0);  // workers still hold the objects above: do not destroy them
    return 0;
} catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    spdlog::shutdown();  // drains the asynchronous log
    return 1;
}
