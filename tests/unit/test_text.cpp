#include <doctest/doctest.h>

#include <string>

#include "broadsheet/schema/text.hpp"

using broadsheet::schema::first_non_text_byte;
using broadsheet::schema::is_text;

TEST_CASE("well-formed UTF-8 is text") {
    CHECK(is_text(""));
    CHECK(is_text("plain ASCII"));
    CHECK(is_text("Z\xC3\xBCrich caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x93\xB0"));
}

TEST_CASE("NUL, broken and disallowed sequences are not text, at their offset") {
    CHECK(first_non_text_byte(std::string("ab\0c", 4)) == 2);
    CHECK(first_non_text_byte("ok\xFF") == 2);             // never valid
    CHECK(first_non_text_byte("x\xC3") == 1);              // truncated
    CHECK(first_non_text_byte("\xC0\xAF") == 0);           // overlong 2-byte
    CHECK(first_non_text_byte("\xE0\x80\xAF") == 0);       // overlong 3-byte
    CHECK(first_non_text_byte("\xED\xA0\x80") == 0);       // UTF-16 surrogate
    CHECK(first_non_text_byte("\xF4\x90\x80\x80") == 0);   // above U+10FFFF
    CHECK(first_non_text_byte("a\xE2\x28\xA1") == 1);      // bad continuation
}
