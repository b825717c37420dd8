#include <doctest/doctest.h>

#include "broadsheet/server/metrics.hpp"

using broadsheet::server::IndexInfo;
using broadsheet::server::Metrics;

TEST_CASE("requests are counted by route and status") {
    Metrics metrics;
    metrics.observe("search", 200, 0.0004);
    metrics.observe("search", 200, 0.003);
    metrics.observe("search", 400, 0.0001);
    auto text = metrics.render(nullptr);
    CHECK(text.find("broadsheet_http_requests_total{route=\"search\",status=\"200\"} 2\n") != std::string::npos);
    CHECK(text.find("broadsheet_http_requests_total{route=\"search\",status=\"400\"} 1\n") != std::string::npos);
    CHECK(text.find("# TYPE broadsheet_http_requests_total counter") != std::string::npos);
}

TEST_CASE("latency buckets are cumulative and end with +Inf equal to the count") {
    Metrics metrics;
    metrics.observe("article", 200, 0.0004);  // first bucket
    metrics.observe("article", 200, 0.003);   // le 0.005
    metrics.observe("article", 200, 30.0);    // beyond every bound
    auto text = metrics.render(nullptr);
    auto bucket = [&](const std::string& le) {
        return "broadsheet_http_request_duration_seconds_bucket{route=\"article\",le=\"" + le + "\"} ";
    };
    CHECK(text.find(bucket("0.0005") + "1\n") != std::string::npos);
    CHECK(text.find(bucket("0.0025") + "1\n") != std::string::npos);
    CHECK(text.find(bucket("0.005") + "2\n") != std::string::npos);
    CHECK(text.find(bucket("2.5") + "2\n") != std::string::npos);
    CHECK(text.find(bucket("+Inf") + "3\n") != std::string::npos);
    CHECK(text.find("broadsheet_http_request_duration_seconds_count{route=\"article\"} 3\n") != std::string::npos);
}

TEST_CASE("index gauges describe the served generation") {
    Metrics metrics;
    CHECK(metrics.render(nullptr).find("broadsheet_index_ready 0\n") != std::string::npos);
    IndexInfo info{"gen-000004",
                   "/x/gen-000004",
                   broadsheet::schema::Schema::default_schema(),
                   "2026-01-01T00:00:00Z",
                   42,
                   7,
                   {},
                   {}};
    auto text = metrics.render(&info);
    CHECK(text.find("broadsheet_index_ready 1\n") != std::string::npos);
    CHECK(text.find("broadsheet_index_documents 42\n") != std::string::npos);
    CHECK(text.find("broadsheet_index_revision 7\n") != std::string::npos);
    CHECK(text.find("broadsheet_index_info{generation=\"gen-000004\",built_at=\"2026-01-01T00:00:00Z\"} 1\n") !=
          std::string::npos);
}
