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
    CHECK(first_non_text_byte("ok\xFF") == 2);            // never valid
    CHECK(first_non_text_byte("x\xC3") == 1);             // truncated
    CHECK(first_non_text_byte("\xC0\xAF") == 0);          // overlong 2-byte
    CHECK(first_non_text_byte("\xE0\x80\xAF") == 0);      // overlong 3-byte
    CHECK(first_non_text_byte("\xED\xA0\x80") == 0);      // UTF-16 surrogate
    CHECK(first_non_text_byte("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
    CHECK(first_non_text_byte("a\xE2\x28\xA1") == 1);     // bad continuation
}

TEST_CASE("a character is decoded with its code point and length") {
    using broadsheet::schema::decode_char;
    const std::string text = "a\xC3\xA9\xE6\x9D\xB1\xF0\x9F\x93\xB0";
    CHECK(decode_char(text, 0).code == 'a');
    CHECK(decode_char(text, 1).code == 0xe9);
    CHECK(decode_char(text, 1).size == 2);
    CHECK(decode_char(text, 3).code == 0x6771);
    CHECK(decode_char(text, 3).size == 3);
    CHECK(decode_char(text, 6).code == 0x1f4f0);
    CHECK(decode_char(text, 6).size == 4);
    CHECK(decode_char(text, 6).valid);
}

TEST_CASE("a byte that starts no valid sequence is one Latin-1 character") {
    using broadsheet::schema::decode_char;
    for (const std::string bad :
         {"\xFF", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x28\xA1", "\xBF"}) {
        INFO("bytes: ", bad.size());
        const auto c = decode_char(bad, 0);
        CHECK_FALSE(c.valid);
        CHECK(c.size == 1);
        CHECK(c.code == static_cast<unsigned char>(bad[0]));
    }
}

TEST_CASE("the character before an offset starts at its lead byte, or is a stray byte") {
    using broadsheet::schema::char_start_before;
    const std::string text = "a\xC3\xA9\xE6\x9D\xB1\xF0\x9F\x93\xB0";
    CHECK(char_start_before(text, 1) == 0);
    CHECK(char_start_before(text, 3) == 1);
    CHECK(char_start_before(text, 6) == 3);
    CHECK(char_start_before(text, 10) == 6);
    // A continuation byte without its lead is a character of its own.
    const std::string stray = "a\x9F\x93";
    CHECK(char_start_before(stray, 3) == 2);
}

TEST_CASE("characters are counted as code points over any range") {
    using broadsheet::schema::count_chars;
    const std::string text = "Z\xC3\xBCrich \xE6\x9D\xB1\xE4\xBA\xAC and more text past eight bytes \xF0\x9F\x93\xB0.";
    std::size_t expected = 0;
    for (char c : text) expected += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
    CHECK(count_chars(text, 0, text.size()) == expected);
    CHECK(count_chars(text, 0, 0) == 0);
    CHECK(count_chars(text, 1, 3) == 1);  // "ü"
    CHECK(count_chars(text, 0, 1) + count_chars(text, 1, text.size()) == expected);
}
