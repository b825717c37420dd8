#pragma once
// Validators and caching rules of answers (RFC 9110 §8.8, §13; RFC 9111).
//
// An answer that is a pure function of the index revision, the request and
// the server's build and settings carries an entity tag made from exactly
// those. The tags are weak: a search answer reports its own time (took_ms),
// so two equivalent answers are not byte for byte the same. Each content
// coding of an answer has its own tag (W/"tag" plain, W/"tag-gzip"), so a cache never takes one coding for another;
// If-None-Match compares the part before the coding, since any coding the client already holds is still current.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "broadsheet/server/compression.hpp"

namespace broadsheet::server {

/// Cache-Control values, one per kind of route.
namespace cache_control {
/// Changes with the index: caches keep it but ask each time (a 304 is cheap).
inline constexpr const char* revalidate = "no-cache";
/// Changes only with the server binary (the OpenAPI document).
inline constexpr const char* per_build = "public, max-age=3600";
/// Live state (health, readiness, metrics), errors and partial answers.
inline constexpr const char* never = "no-store";
}  // namespace cache_control

/// A 64-bit FNV-1a hash of the parts (each followed by a separator), in hex:
/// the same on every run and every machine.
[[nodiscard]] auto fingerprint(std::initializer_list<std::string_view> parts) -> std::string;

/// The ETag header value for a tag and the coding the body is sent in.
[[nodiscard]] auto entity_tag(std::string_view tag, ContentCoding coding) -> std::string;

/// The same answer's ETag value after its body was put into `coding`
/// (an ETag of another form is returned as it is).
[[nodiscard]] auto recode_entity_tag(std::string_view etag, ContentCoding coding) -> std::string;

/// An If-None-Match value: the opaque parts of its entity tags (W/ dropped,
/// as the weak comparison does) and whether it holds "*". Reading stops at
/// the first malformed element.
struct IfNoneMatch {
    std::vector<std::string> opaque_tags;
    bool any = false;
};
[[nodiscard]] auto parse_if_none_match(std::string_view if_none_match) -> IfNoneMatch;

/// The client's entity tag that names the answer's tag in any coding,
/// preferring the one in `preferred`; nothing when the answer must be sent.
/// ("*" is not matched here: whether an answer exists is known only once
/// the handler has run.)
[[nodiscard]] auto match_if_none_match(const IfNoneMatch& if_none_match, std::string_view tag, ContentCoding preferred)
    -> std::optional<std::string>;

/// Adds a field name to the Vary header, keeping one header and no duplicates.
void add_vary(httplib::Response& res, std::string_view field);

}  // namespace broadsheet::server
