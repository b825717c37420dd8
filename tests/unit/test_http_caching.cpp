#include <doctest/doctest.h>

#include "broadsheet/server/http_caching.hpp"

using namespace broadsheet::server;

TEST_CASE("a fingerprint is stable, and tells apart parts that concatenate alike") {
    CHECK(fingerprint({"gen-000001", "7"}) == fingerprint({"gen-000001", "7"}));
    CHECK(fingerprint({"gen-000001", "7"}).size() == 16);
    CHECK(fingerprint({"ab", "c"}) != fingerprint({"a", "bc"}));
    CHECK(fingerprint({"gen-000001", "7"}) != fingerprint({"gen-000001", "8"}));
    // FNV-1a of the empty input (no parts) is its offset basis.
    CHECK(fingerprint({}) == "cbf29ce484222325");
}

TEST_CASE("entity tags are weak and name the coding of the body") {
    CHECK(entity_tag("abc", ContentCoding::identity) == R"(W/"abc")");
    CHECK(entity_tag("abc", ContentCoding::gzip) == R"(W/"abc-gzip")");
    CHECK(recode_entity_tag(R"(W/"abc")", ContentCoding::gzip) == R"(W/"abc-gzip")");
    CHECK(recode_entity_tag(R"(W/"abc-gzip")", ContentCoding::identity) == R"(W/"abc")");
    CHECK(recode_entity_tag(R"("strong")", ContentCoding::gzip) == R"("strong")");
}

namespace {

auto match(std::string_view if_none_match, ContentCoding preferred) -> std::optional<std::string> {
    return match_if_none_match(parse_if_none_match(if_none_match), "abc", preferred);
}

}  // namespace

TEST_CASE("If-None-Match matches the tag in any coding and answers with the one asked for") {
    CHECK(match(R"(W/"abc")", ContentCoding::identity) == R"(W/"abc")");
    CHECK(match(R"(W/"abc-gzip")", ContentCoding::gzip) == R"(W/"abc-gzip")");
    // A client holding only the plain body: that is what is still current for it.
    CHECK(match(R"(W/"abc")", ContentCoding::gzip) == R"(W/"abc")");
    CHECK(match(R"(W/"abc", W/"abc-gzip")", ContentCoding::gzip) == R"(W/"abc-gzip")");
    CHECK(match(R"(W/"abc-gzip",W/"abc")", ContentCoding::identity) == R"(W/"abc")");
}

TEST_CASE("If-None-Match uses the weak comparison") {
    CHECK(match(R"("abc")", ContentCoding::identity) == R"(W/"abc")");
    CHECK(match(R"("abc-gzip")", ContentCoding::gzip) == R"(W/"abc-gzip")");
}

TEST_CASE("If-None-Match with other tags, other codings or nonsense does not match") {
    CHECK_FALSE(match(R"(W/"abd")", ContentCoding::identity));
    CHECK_FALSE(match(R"(W/"abc-zstd")", ContentCoding::identity));
    CHECK_FALSE(match(R"(W/"abc-br")", ContentCoding::identity));
    CHECK_FALSE(match(R"(W/"abcd")", ContentCoding::identity));
    CHECK_FALSE(match("abc", ContentCoding::identity));
    CHECK_FALSE(match(R"(W/"abc)", ContentCoding::identity));
    CHECK_FALSE(match("", ContentCoding::identity));
    CHECK_FALSE(match(R"(W/"x", junk W/"abc")", ContentCoding::identity));
}

TEST_CASE("If-None-Match * is read but matches no tag by itself") {
    CHECK(parse_if_none_match("*").any);
    CHECK(parse_if_none_match(R"( W/"x" , *)").any);
    CHECK(parse_if_none_match(R"( W/"x" , *)").opaque_tags == std::vector<std::string>{"x"});
    CHECK_FALSE(parse_if_none_match(R"("*")").any);
    CHECK_FALSE(match("*", ContentCoding::gzip));
}

TEST_CASE("Vary keeps one header with each field once") {
    httplib::Response res;
    add_vary(res, "Accept");
    add_vary(res, "Origin");
    add_vary(res, "accept");
    add_vary(res, "Accept-Encoding");
    CHECK(res.get_header_value_count("Vary") == 1);
    CHECK(res.get_header_value("Vary") == "Accept, Origin, Accept-Encoding");
    httplib::Response any;
    any.set_header("Vary", "*");
    add_vary(any, "Accept-Encoding");
    CHECK(any.get_header_value("Vary") == "*");
}
