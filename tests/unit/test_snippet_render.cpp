// Text as HTML with its matches marked.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "broadsheet/server/snippet_render.hpp"

using namespace broadsheet::server;

namespace {

auto marked(const std::string& text, std::size_t from, std::size_t to, const std::vector<TextMatch>& matches)
    -> std::string {
    std::string out;
    append_marked(out, text, from, to, matches);
    return out;
}

}  // namespace

TEST_CASE("matches are marked and everything is escaped") {
    const std::string text = "<b>AT&T</b> \"rose\"";
    CHECK(marked(text, 0, text.size(), {{3, 7, 0, 0, 0}, {13, 17, 0, 0, 1}}) ==
          "&lt;b&gt;<mark>AT&amp;T</mark>&lt;/b&gt; &quot;<mark>rose</mark>&quot;");
}

TEST_CASE("matches with only spaces between them share one mark") {
    const std::string text = "interest  rates, rose";
    CHECK(marked(text, 0, text.size(), {{0, 8, 0, 0, 0}, {10, 15, 0, 0, 1}, {17, 21, 0, 0, 2}}) ==
          "<mark>interest  rates</mark>, <mark>rose</mark>");
}

TEST_CASE("a match cut by the passage is marked up to the cut") {
    const std::string text = "before interest rates after";
    CHECK(marked(text, 10, 18, {{7, 21, 0, 0, 0}}) == "<mark>erest ra</mark>");
}

TEST_CASE("a passage says where text is left out") {
    const std::string text = "one two three";
    CHECK(render_passage(text, {4, 7, true, true}, {{4, 7, 0, 0, 0}}) == "\xE2\x80\xA6<mark>two</mark>\xE2\x80\xA6");
    CHECK(render_passage(text, {0, 13, false, false}, {}) == "one two three");
}
