#include "broadsheet/server/http_caching.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "broadsheet/schema/strings.hpp"

namespace broadsheet::server {

namespace {

auto equals_ignoring_case(std::string_view a, std::string_view b) -> bool {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return schema::ascii_lower(x) == schema::ascii_lower(y); });
}

// The opaque part of an entity tag as this server writes it: the tag, then
// "-" and the coding when the body is coded.
struct OpaqueTag {
    std::string_view tag;
    std::string_view coding;
};

auto split_opaque(std::string_view opaque) -> OpaqueTag {
    auto dash = opaque.find('-');
    if (dash == std::string_view::npos) return {opaque, {}};
    return {opaque.substr(0, dash), opaque.substr(dash + 1)};
}

}  // namespace

auto fingerprint(std::initializer_list<std::string_view> parts) -> std::string {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    auto mix = [&hash](unsigned char byte) {
        hash ^= byte;
        hash *= 0x100000001b3ULL;
    };
    for (auto part : parts) {
        for (char c : part) mix(static_cast<unsigned char>(c));
        mix(0);  // so that ("ab", "c") and ("a", "bc") differ
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return hex;
}

auto entity_tag(std::string_view tag, ContentCoding coding) -> std::string {
    std::string etag = "W/\"";
    etag += tag;
    if (coding != ContentCoding::identity) {
        etag += '-';
        etag += coding_name(coding);
    }
    etag += '"';
    return etag;
}

auto recode_entity_tag(std::string_view etag, ContentCoding coding) -> std::string {
    if (!etag.starts_with("W/\"") || etag.size() < 4 || !etag.ends_with('"')) return std::string(etag);
    return entity_tag(split_opaque(etag.substr(3, etag.size() - 4)).tag, coding);
}

auto parse_if_none_match(std::string_view if_none_match) -> IfNoneMatch {
    IfNoneMatch parsed;
    std::string_view rest = if_none_match;
    while (true) {
        rest = schema::trim(rest);
        while (!rest.empty() && rest.front() == ',') rest = schema::trim(rest.substr(1));
        if (rest.empty()) break;
        if (rest.front() == '*') {
            parsed.any = true;
            rest.remove_prefix(1);
            continue;
        }
        // Weak comparison: W/ is ignored.
        if (rest.starts_with("W/")) rest.remove_prefix(2);
        if (rest.empty() || rest.front() != '"') break;  // malformed: what follows cannot be trusted
        auto close = rest.find('"', 1);
        if (close == std::string_view::npos) break;
        parsed.opaque_tags.emplace_back(rest.substr(1, close - 1));
        rest = rest.substr(close + 1);
    }
    return parsed;
}

auto match_if_none_match(const IfNoneMatch& if_none_match, std::string_view tag, ContentCoding preferred)
    -> std::optional<std::string> {
    std::optional<std::string> first;
    for (const auto& opaque_tag : if_none_match.opaque_tags) {
        auto opaque = split_opaque(opaque_tag);
        if (opaque.tag != tag) continue;
        ContentCoding coding = ContentCoding::identity;
        if (opaque.coding == coding_name(ContentCoding::gzip)) coding = ContentCoding::gzip;
        else if (!opaque.coding.empty()) continue;  // not a coding this server makes
        if (coding == preferred) return entity_tag(tag, coding);
        if (!first) first = entity_tag(tag, coding);
    }
    return first;
}

void add_vary(httplib::Response& res, std::string_view field) {
    auto vary = res.get_header_value("Vary");
    std::string_view rest = vary;
    while (!rest.empty()) {
        auto comma = rest.find(',');
        auto name = schema::trim(rest.substr(0, comma));
        if (name == "*" || equals_ignoring_case(name, field)) return;
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    res.headers.erase("Vary");
    res.set_header("Vary", vary.empty() ? std::string(field) : vary + ", " + std::string(field));
}

}  // namespace broadsheet::server
