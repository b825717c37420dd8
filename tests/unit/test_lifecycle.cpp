#include <doctest/doctest.h>

#include <csignal>

#include <sys/resource.h>
#include <unistd.h>

#include "broadsheet/server/lifecycle.hpp"

using broadsheet::server::HttpLimits;
using broadsheet::server::HttpServer;
using broadsheet::server::StopSignals;

TEST_CASE("a SIGTERM that arrives while the server starts up stops it cleanly once it serves") {
    StopSignals signals;  // blocks SIGTERM in this thread and every thread started from it
    HttpLimits limits;
    limits.workers = 2;
    HttpServer server(limits);
    CHECK(server.bind_and_listen("127.0.0.1", 0) > 0);
    // Pending for the process until the signal thread takes it: no race with serving.
    REQUIRE(::kill(::getpid(), SIGTERM) == 0);
    CHECK(signals.serve_until_stopped(server));
}

TEST_CASE("the descriptor limit is raised to the hard limit") {
    rlimit before{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
    broadsheet::server::raise_descriptor_limit(16);
    rlimit after{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &after) == 0);
    CHECK(after.rlim_cur == before.rlim_max);
    CHECK(after.rlim_max == before.rlim_max);
}
