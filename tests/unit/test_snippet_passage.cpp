// Which part of a text a snippet shows.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "broadsheet/schema/text.hpp"
#include "broadsheet/server/snippet_passage.hpp"

using namespace broadsheet::server;

namespace {

// A match of `term` for the first occurrence of `word` in `text` at or after `from`.
auto match_of(const std::string& text, const std::string& word, std::uint32_t term, std::size_t from = 0) -> TextMatch {
    const auto begin = text.find(word, from);
    REQUIRE(begin != std::string::npos);
    const auto end = begin + word.size();
    using broadsheet::schema::count_chars;
    return {begin, end, count_chars(text, 0, begin), count_chars(text, 0, end), term};
}

}  // namespace

TEST_CASE("the densest window has the most different terms, then the most matches") {
    const std::string text = "alpha alpha alpha then a long stretch of nothing at all, beta and alpha";
    const std::vector<TextMatch> matches = {match_of(text, "alpha", 0, 0), match_of(text, "alpha", 0, 6),
                                            match_of(text, "alpha", 0, 12), match_of(text, "beta", 1),
                                            match_of(text, "alpha", 0, 60)};
    // Two alphas fit, beta and the last alpha do not: the most matches.
    CHECK(densest_matches(matches, 12) == std::pair<std::size_t, std::size_t>{0, 2});
    // Three alphas fit, and so do beta and the last alpha: two terms beat three matches.
    CHECK(densest_matches(matches, 20) == std::pair<std::size_t, std::size_t>{3, 5});
    // Nothing but single matches fit: the earliest.
    CHECK(densest_matches(matches, 10) == std::pair<std::size_t, std::size_t>{0, 1});
}

TEST_CASE("a match longer than the window is a window of its own") {
    const std::string text = "an extraordinarily long match";
    const std::vector<TextMatch> matches = {match_of(text, "extraordinarily long match", 0)};
    CHECK(densest_matches(matches, 5) == std::pair<std::size_t, std::size_t>{0, 1});
}

TEST_CASE("sentences start after a full stop and a space, a new line or a CJK full stop") {
    const std::string text = "One. Two! \"Three.\" Four\nFive e.g.six \xE3\x80\x82seven";
    CHECK(starts_sentence(text, 0));
    CHECK(starts_sentence(text, text.find("Two")));
    CHECK(starts_sentence(text, text.find("\"Three")));
    CHECK(starts_sentence(text, text.find("Four")));  // after a closing quote
    CHECK(starts_sentence(text, text.find("Five")));
    CHECK_FALSE(starts_sentence(text, text.find("six")));  // no space after the dot
    CHECK(starts_sentence(text, text.find("seven")));
    CHECK_FALSE(starts_sentence(text, text.find(' ')));
}

TEST_CASE("a passage without matches is the start of the text, cut at a word") {
    const std::string text = "  The harbour was quiet that week and the ferries kept time.";
    const auto passage = choose_passage(text, {}, 20);
    REQUIRE(passage);
    CHECK(text.substr(passage->begin, passage->end - passage->begin) == "The harbour was");
    CHECK_FALSE(passage->cut_before);
    CHECK(passage->cut_after);
    CHECK_FALSE(choose_passage(" \n\t ", {}, 20).has_value());
}

TEST_CASE("a passage around a match starts at its sentence and says where text is left out") {
    const std::string text = "Filler words come first here. The bank raised its rate today. More words follow on.";
    const auto passage = choose_passage(text, {match_of(text, "raised", 0)}, 40);
    REQUIRE(passage);
    CHECK(text.substr(passage->begin, passage->end - passage->begin).starts_with("The bank raised its rate"));
    CHECK(passage->cut_before);
    CHECK(passage->cut_after);
    CHECK(broadsheet::schema::count_chars(text, passage->begin, passage->end) <= 40);
}
