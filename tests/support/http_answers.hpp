#pragma once
// Answers as a server sends them (status, headers, the body still coded), for
// the tests of compression, caching and the result cache.

#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace broadsheet::testing {

struct Answer {
    int status = 0;
    httplib::Headers headers;
    std::string body;  ///< as sent, still coded
    /// The header's value, or "" if there is none.
    [[nodiscard]] auto header(const std::string& name) const -> std::string;
    [[nodiscard]] auto has(const std::string& name) const -> bool;
};

/// GET (or HEAD) `path` from the server on 127.0.0.1:`port`, without decoding the body.
[[nodiscard]] auto ask(int port, const std::string& path, const httplib::Headers& headers = {}, bool head = false)
    -> Answer;

/// A search answer but the time it reports, which differs from run to run.
[[nodiscard]] auto without_time(const std::string& body) -> nlohmann::json;

}  // namespace broadsheet::testing
