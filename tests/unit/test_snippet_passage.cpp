// Which part of a text a snippet shows.
#include <doctest/doctest.h>

#include <algorithm>
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

TEST_CASE("a window of a length reaches as many positions as words of one letter and one space fill") {
    // "a b c": 5 characters, the words at positions p .. p + 2.
    CHECK(position_reach(5) == 2);
    CHECK(position_reach(6) == 2);
    CHECK(position_reach(1) == 0);
    CHECK(position_reach(0) == 0);
    CHECK(position_reach(200) == 99);
}

TEST_CASE("windows by bound count the positions and terms within reach, most promising first") {
    const std::vector<std::uint32_t> alpha = {0};
    const std::vector<std::uint32_t> beta = {1};
    const std::vector<std::uint32_t> both = {0, 1};  // a word in a phrase and on its own
    // Reach of length 21: 10 positions.
    const std::vector<TermPosition> positions = {{5, &alpha},  {12, &alpha}, {14, &alpha}, {40, &alpha}, {45, &beta},
                                                 {60, &alpha}, {61, &alpha}, {62, &alpha}, {90, &both}};
    const auto windows = windows_by_bound(positions, 21);
    REQUIRE(windows.size() == positions.size());
    // Two terms: 40 (with 45); 90 alone names both.
    CHECK(windows[0].position == 40);
    CHECK(windows[0].last_position == 45);
    CHECK(windows[0].bound == WindowBound{2, 2});
    CHECK(windows[1].position == 90);
    CHECK(windows[1].bound == WindowBound{2, 1});
    // Then the most positions: 5, 12 and 14 as many as 60, 61 and 62: the earlier first.
    CHECK(windows[2].position == 5);
    CHECK(windows[2].last_position == 14);
    CHECK(windows[2].bound == WindowBound{1, 3});
    CHECK(windows[3].position == 60);
    CHECK(windows[3].bound == WindowBound{1, 3});
    CHECK(windows[4].position == 12);
    CHECK(windows[4].bound == WindowBound{1, 2});
    CHECK(windows[5].position == 61);
    CHECK(windows[6].position == 14);
    CHECK(windows[6].bound == WindowBound{1, 1});
    CHECK(windows[7].position == 45);
    CHECK(windows[8].position == 62);
    CHECK(windows_by_bound({}, 200).empty());
}

TEST_CASE("on text of one-letter words the bounds are exact and the first window is the densest") {
    // Words of one letter and one space: the densest any text can be.
    std::string text;
    std::vector<TextMatch> matches;
    std::vector<TermPosition> positions;
    const std::vector<std::uint32_t> term = {0};
    auto state = 7u;
    for (Xapian::termpos p = 1; p <= 400; ++p) {
        state = state * 1103515245u + 12345u;
        const bool hit = (state >> 16) % 3 == 0;
        if (hit) {
            matches.push_back({text.size(), text.size() + 1, text.size(), text.size() + 1, 0});
            positions.push_back({p, &term});
        }
        text += hit ? "x " : "a ";
    }
    for (std::size_t length : {1, 2, 3, 10, 51, 200}) {
        CAPTURE(length);
        const auto [first, last] = densest_matches(matches, length);
        const auto best = last - first;
        const auto windows = windows_by_bound(positions, length);
        // Text this dense fills the reach exactly: the bounds are what the
        // windows hold, and the first is the densest window.
        REQUIRE(!windows.empty());
        CHECK(windows.front().bound.count == best);
        CHECK(windows.front().position == positions[first].position);
        for (const auto& window : windows) CHECK(window.bound.count <= best);
    }
}

TEST_CASE("a match starts at a word matching alone or at the first of two neighbouring matching words") {
    const std::vector<std::uint32_t> phrase = {0};
    const std::vector<std::uint32_t> word = {1};
    // "united" at 3, "states" at 4 and 9; "war" (alone) at 12; "united" at 20.
    const std::vector<TermPosition> positions = {
        {3, &phrase, false}, {4, &phrase, false}, {9, &phrase, false}, {12, &word, true}, {20, &phrase, false}};
    const auto starts = match_starts(positions);
    REQUIRE(starts.size() == 2);
    CHECK(starts[0].position == 3);
    CHECK(starts[1].position == 12);
    CHECK(match_starts({}).empty());
}
