#include "http_answers.hpp"

#include <chrono>

#include <doctest/doctest.h>

namespace broadsheet::testing {

auto Answer::header(const std::string& name) const -> std::string {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

auto Answer::has(const std::string& name) const -> bool { return headers.find(name) != headers.end(); }

auto ask(int port, const std::string& path, const httplib::Headers& headers, bool head) -> Answer {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(std::chrono::seconds(10));
    client.set_decompress(false);  // the bytes on the wire, not what a client makes of them
    auto result = head ? client.Head(path, headers) : client.Get(path, headers);
    REQUIRE_MESSAGE(result, "no response for " << path << ": " << httplib::to_string(result.error()));
    return {result->status, result->headers, result->body};
}

auto without_time(const std::string& body) -> nlohmann::json {
    auto parsed = nlohmann::json::parse(body);
    CHECK(parsed["took_ms"].is_number());
    parsed.erase("took_ms");
    return parsed;
}

}  // namespace broadsheet::testing
