#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "broadsheet/schema/field_stems.hpp"
#include "broadsheet/schema/schema.hpp"

using namespace broadsheet::schema;

TEST_CASE("a stem's words are looked for under the stem less its last character") {
    CHECK(stem_scan_prefix("market") == "marke");
    CHECK(stem_scan_prefix("happi") == "happ");  // "happy", "happily"
    CHECK(stem_scan_prefix("go") == "g");
    // By characters, not bytes: "café" less "é" (two bytes).
    CHECK(stem_scan_prefix("caf\xC3\xA9") == "caf");
    CHECK(stem_scan_prefix("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t");
    // One character: nothing to scan under, every word of it is listed.
    CHECK_FALSE(stem_scan_prefix("x").has_value());
    CHECK_FALSE(stem_scan_prefix("\xC3\xA9").has_value());
}

TEST_CASE("the words the English stemmer makes unlike themselves are exceptions") {
    const auto stemmer = Schema::default_schema().stemmer();
    for (const char* word : {"markets", "marketing", "happily", "happy", "relational", "probability", "cries", "hoping",
                             "company's", "skies"})
        CHECK_FALSE(is_stem_exception(word, stemmer(word)));
    for (const char* word : {"dying", "lying", "tying"}) {
        INFO(word);
        CHECK(is_stem_exception(word, stemmer(word)));
    }
    CHECK(is_stem_exception("x", "x"));
}

TEST_CASE("a stem's exceptions are listed one word a line, each once") {
    CHECK(stem_exceptions_key("die").ends_with("die"));
    CHECK(stem_exceptions_key("die") != stem_exceptions_key("di"));
    auto value = with_listed_word("", "dying");
    CHECK(value == "dying");
    value = with_listed_word(value, "dyin");
    value = with_listed_word(value, "dying");
    CHECK(listed_words(value) == std::vector<std::string>{"dyin", "dying"});
    CHECK(with_listed_word("dying", "dyin") == with_listed_word("dyin", "dying"));
    CHECK(listed_words("").empty());
}
