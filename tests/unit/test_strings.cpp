#include <doctest/doctest.h>

#include <string>

#include "broadsheet/schema/strings.hpp"

using broadsheet::schema::ascii_lower;
using broadsheet::schema::is_ascii_space;
using broadsheet::schema::trim;

TEST_CASE("ascii_lower lower-cases ASCII capitals only") {
    CHECK(ascii_lower("Hello WORLD 42_Z@[") == "hello world 42_z@[");
    CHECK(ascii_lower("") == "");
    // UTF-8 bytes are never touched, so a term stays byte-stable.
    CHECK(ascii_lower("ÉTÉ Ärger") == "ÉtÉ Ärger");
    CHECK(ascii_lower('Q') == 'q');
    CHECK(ascii_lower('q') == 'q');
    CHECK(ascii_lower('@') == '@');
    CHECK(ascii_lower('[') == '[');
    CHECK(ascii_lower(static_cast<char>(0xC3)) == static_cast<char>(0xC3));
}

TEST_CASE("trim removes ASCII whitespace at both ends and nothing inside") {
    CHECK(trim("  a b \t\r\n") == "a b");
    CHECK(trim("\v\fx\f\v") == "x");
    CHECK(trim("") == "");
    CHECK(trim(" \t\n") == "");
    CHECK(trim("a") == "a");
    // A no-break space is text to this trim (the article reader handles it).
    CHECK(trim("\xC2\xA0"
               "a ") ==
          "\xC2\xA0"
          "a");
}

TEST_CASE("ASCII whitespace is the C locale's isspace set") {
    for (char c : std::string(" \t\n\v\f\r")) CHECK(is_ascii_space(c));
    for (char c : std::string("a0_\x1f\x7f")) CHECK_FALSE(is_ascii_space(c));
    CHECK_FALSE(is_ascii_space('\0'));
    CHECK_FALSE(is_ascii_space(static_cast<char>(0xA0)));
}
