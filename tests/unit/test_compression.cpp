#include <doctest/doctest.h>

#include <string>


#include "broadsheet/server/compression.hpp"
#include "test_support.hpp"

using namespace broadsheet::server;
using broadsheet::testing::gunzip;

namespace {

// A search answer's shape: repeated keys, varied text.
auto sample_json(int hits) -> std::string {
    std::string text = R"({"query":"election","total":1234,"hits":[)";
    for (int i = 0; i < hits; ++i) {
        text += R"({"id":"bbc-)" + std::to_string(i * 7919 % 2225) + R"(","score":)" + std::to_string(10 + i % 7) +
                R"(,"title_html":"Story <mark>election</mark> number )" + std::to_string(i) +
                R"(","snippet":"The election of )" + std::to_string(1990 + i % 30) + " saw turnout of " +
                std::to_string(40 + i % 50) + R"( per cent in the county, officials said."},)";
    }
    text += R"({}]})";
    return text;
}

auto answer(const std::string& body, const std::string& type = "application/json; charset=utf-8") -> httplib::Response {
    httplib::Response res;
    res.status = 200;
    res.set_content(body, type);
    res.set_header("Content-Length", std::to_string(body.size()));
    return res;
}

auto request(const std::string& accept_encoding) -> httplib::Request {
    httplib::Request req;
    req.method = "GET";
    req.set_header("Accept-Encoding", accept_encoding);
    return req;
}

}  // namespace

TEST_CASE("gzip is chosen when the list names it, and nothing else is") {
    CHECK(choose_coding("gzip, deflate, br").coding == ContentCoding::gzip);
    CHECK(choose_coding("deflate, gzip").coding == ContentCoding::gzip);
    CHECK(choose_coding("br").coding == ContentCoding::identity);
    CHECK(choose_coding("deflate, zstd").coding == ContentCoding::identity);
}

TEST_CASE("coding names are read in any case and with spaces around them") {
    CHECK(choose_coding("GZIP").coding == ContentCoding::gzip);
    CHECK(choose_coding(" br, Gzip ; Q=1").coding == ContentCoding::gzip);
    CHECK(choose_coding("x-gzip").coding == ContentCoding::gzip);
    CHECK(choose_coding("gzipped").coding == ContentCoding::identity);
}

TEST_CASE("q=0 refuses gzip and any other weight accepts it") {
    CHECK(choose_coding("br;q=1, gzip;q=0.8").coding == ContentCoding::gzip);
    CHECK(choose_coding("gzip;q=0").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip;q=0.000, br").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip;q=0.").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip;q=0.001").coding == ContentCoding::gzip);
    CHECK(choose_coding("gzip;level=9;q=1.000").coding == ContentCoding::gzip);
}

TEST_CASE("a malformed q-value makes its element say nothing") {
    CHECK(choose_coding("gzip;q=2").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip;q=1.5").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip;q=0.5x").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip;q=0.0001").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip;q=").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip;q=-1, *").coding == ContentCoding::gzip);
}

TEST_CASE("the wildcard stands for every coding not named") {
    CHECK(choose_coding("*").coding == ContentCoding::gzip);
    CHECK(choose_coding("*;q=0.5").coding == ContentCoding::gzip);
    CHECK(choose_coding("*, gzip;q=0").coding == ContentCoding::identity);
    CHECK(choose_coding("*;q=0").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip, *;q=0").coding == ContentCoding::gzip);
}

TEST_CASE("identity is acceptable unless refused by name or by a refusing wildcard") {
    CHECK(choose_coding("gzip").identity_acceptable);
    CHECK_FALSE(choose_coding("gzip, identity;q=0").identity_acceptable);
    CHECK_FALSE(choose_coding("gzip, *;q=0").identity_acceptable);
    CHECK(choose_coding("gzip, *;q=0, identity").identity_acceptable);
    CHECK(choose_coding("", true).identity_acceptable);
}

TEST_CASE("identity the client weighs above gzip is kept") {
    CHECK(choose_coding("gzip;q=0.5, identity").coding == ContentCoding::identity);
    CHECK(choose_coding("gzip, identity;q=0.5").coding == ContentCoding::gzip);
    CHECK(choose_coding("gzip, identity").coding == ContentCoding::gzip);
}

TEST_CASE("no header or an empty one asks for no coding") {
    CHECK(choose_coding("", false).coding == ContentCoding::identity);
    CHECK(choose_coding("gzip", false).coding == ContentCoding::identity);
    CHECK(choose_coding("").coding == ContentCoding::identity);
    CHECK(choose_coding(" , ;q=1").coding == ContentCoding::identity);
}

TEST_CASE("text types are compressible and images are not") {
    CHECK(is_compressible("application/json; charset=utf-8"));
    CHECK(is_compressible("text/html; charset=utf-8"));
    CHECK(is_compressible("text/plain; version=0.0.4; charset=utf-8"));
    CHECK(is_compressible("TEXT/CSS"));
    CHECK(is_compressible("application/javascript"));
    CHECK_FALSE(is_compressible("image/png"));
    CHECK_FALSE(is_compressible("application/octet-stream"));
    CHECK_FALSE(is_compressible(""));
}

TEST_CASE("a gzip body decodes to exactly the input, again and again on one thread") {
    for (int hits : {50, 1, 10, 0}) {
        auto text = sample_json(hits);
        auto gz = compress(text, ContentCoding::gzip);
        REQUIRE(gz);
        CHECK(gunzip(*gz) == text);
        if (hits == 50) CHECK(gz->size() < text.size() / 4);
    }
    auto empty = compress("", ContentCoding::gzip);
    REQUIRE(empty);
    CHECK(gunzip(*empty).empty());
    CHECK(compress("as it is", ContentCoding::identity) == "as it is");
}

TEST_CASE("an answer is compressed when asked, with its length and entity tag following") {
    auto text = sample_json(10);
    auto res = answer(text);
    res.set_header("ETag", R"(W/"0123456789abcdef")");
    encode_response(request("gzip"), res);
    CHECK(res.get_header_value("Content-Encoding") == "gzip");
    CHECK(res.get_header_value_count("Content-Length") == 1);
    CHECK(res.get_header_value("Content-Length") == std::to_string(res.body.size()));
    CHECK(res.get_header_value("ETag") == R"(W/"0123456789abcdef-gzip")");
    CHECK(res.get_header_value("Vary") == "Accept-Encoding");
    CHECK(gunzip(res.body) == text);
}

TEST_CASE("an answer is left alone when not asked, refused or not text, but still varies") {
    auto text = sample_json(10);
    for (const auto* header : {"identity", "gzip;q=0", "deflate, br", "*;q=0"}) {
        auto res = answer(text);
        encode_response(request(header), res);
        CHECK_FALSE(res.has_header("Content-Encoding"));
        CHECK(res.body == text);
        CHECK(res.get_header_value("Vary") == "Accept-Encoding");
    }
    auto none = answer(text);
    encode_response(httplib::Request{}, none);
    CHECK(none.body == text);
    auto image = answer(text, "image/png");
    encode_response(request("gzip"), image);
    CHECK(image.body == text);
    CHECK_FALSE(image.has_header("Vary"));
}

TEST_CASE("a small answer goes out as it is unless the client refuses identity") {
    std::string small = R"({"status":"ok"})";
    auto res = answer(small);
    encode_response(request("gzip"), res);
    CHECK(res.body == small);
    auto refused = answer(small);
    encode_response(request("gzip, identity;q=0"), refused);
    CHECK(refused.get_header_value("Content-Encoding") == "gzip");
    CHECK(gunzip(refused.body) == small);
}

TEST_CASE("an existing Vary header is extended, not repeated") {
    auto res = answer(sample_json(10));
    res.set_header("Vary", "Accept, Origin");
    encode_response(request("gzip"), res);
    CHECK(res.get_header_value_count("Vary") == 1);
    CHECK(res.get_header_value("Vary") == "Accept, Origin, Accept-Encoding");
    CHECK(res.get_header_value("Content-Encoding") == "gzip");
}

TEST_CASE("an answer already coded, or without a body, is left as it is") {
    auto coded = answer(sample_json(10));
    coded.set_header("Content-Encoding", "gzip");
    auto before = coded.body;
    encode_response(request("gzip"), coded);
    CHECK(coded.body == before);
    httplib::Response empty;
    empty.status = 304;
    empty.set_header("Content-Type", "application/json");
    encode_response(request("gzip, identity;q=0"), empty);
    CHECK(empty.body.empty());
    CHECK_FALSE(empty.has_header("Content-Encoding"));
}

TEST_CASE("a gzip body spliced around a gap decodes to head, gap and tail") {
    std::string head;
    for (int i = 0; i < 300; ++i) head += "{\"id\":\"a" + std::to_string(i) + "\",\"title\":\"Oil prices rise\"},";
    const std::string tail = ",\"total\":300,\"total_exact\":true}";
    auto spliced = gzip_for_splicing(head, tail);
    REQUIRE(spliced);
    for (const std::string& middle :
         {std::string("1.65"), std::string("0.042"), std::string(), std::string(70000, '7')}) {
        auto body = spliced->with_middle(middle);
        auto expected = head + middle.substr(0, 65535) + tail;
        CHECK(broadsheet::testing::gunzip(body) == expected);
    }
    CHECK(spliced->with_middle("1.5").size() < head.size() / 4);
    // Empty parts still make a whole stream.
    auto empty = gzip_for_splicing("", "");
    REQUIRE(empty);
    CHECK(broadsheet::testing::gunzip(empty->with_middle("12.5")) == "12.5");
}
