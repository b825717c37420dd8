// The word reader against Xapian's TermGenerator as the indexer sets it up,
// one test per rule the reader copies (see snippet_words.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "broadsheet/schema/schema.hpp"
#include "broadsheet/server/snippet_words.hpp"

using namespace broadsheet::server;
namespace schema = broadsheet::schema;

namespace {

auto the_schema() -> const schema::Schema& {
    static const auto instance = schema::Schema::default_schema();
    return instance;
}

// The indexer's terms for `text`, in position order, and its stemmed terms.
struct Indexed {
    std::vector<std::string> words;
    std::vector<std::string> stems;
};

auto index_text(std::string_view text) -> Indexed {
    Xapian::TermGenerator generator;
    the_schema().configure(generator);
    Xapian::Document doc;
    generator.set_document(doc);
    generator.index_text(std::string(text));
    std::map<Xapian::termpos, std::string> at;
    Indexed indexed;
    for (auto term = doc.termlist_begin(); term != doc.termlist_end(); ++term) {
        if ((*term).starts_with('Z')) indexed.stems.push_back((*term).substr(1));
        for (auto pos = term.positionlist_begin(); pos != term.positionlist_end(); ++pos) at[*pos] = *term;
    }
    for (const auto& [pos, term] : at) indexed.words.push_back(term);
    return indexed;
}

// The word reader's terms for `text`, skipping words the index has no position for.
auto read_words(std::string_view text) -> std::vector<std::string> {
    std::vector<std::string> terms;
    WordReader reader(text, nullptr);
    Word word;
    std::string term;
    while (reader.next(word, term)) {
        CHECK(word.begin < word.end);
        if (term.size() <= max_word_bytes) terms.push_back(term);
    }
    return terms;
}

// The words the indexer would stem, by the reader's rule (rule 10).
auto stemmed_words(std::string_view text) -> std::vector<std::string> {
    std::vector<std::string> stems;
    const auto* stopper = the_schema().stopper();
    const auto stemmer = the_schema().stemmer();
    for (const auto& term : read_words(text))
        if (starts_with_letter(term) && !(stopper && (*stopper)(term))) stems.push_back(stemmer(term));
    std::sort(stems.begin(), stems.end());
    stems.erase(std::unique(stems.begin(), stems.end()), stems.end());
    return stems;
}

void check_same_words(std::string_view text) {
    INFO("text: ", std::string(text));
    const auto indexed = index_text(text);
    CHECK(read_words(text) == indexed.words);
    CHECK(stemmed_words(text) == indexed.stems);  // the termlist is sorted
}

}  // namespace

TEST_CASE("rule 1: a word is a run of word characters, as in the index") {
    check_same_words("snake_case words, foo_bar. (Parenthesised) \"quoted\" text... e-mail; a/b x=y");
    // Combining marks are word characters: a decomposed "café" is one word.
    check_same_words("cafe\xCC\x81 au lait, na\xC3\xAFve \xE2\x80\x94 n\xCC\x83");
    check_same_words("  \t\n leading and trailing spaces  \n");
}

TEST_CASE("rule 2: words are lower-cased as the index lower-cases them") {
    check_same_words(
        "Interest RATES Rose; \xC3\x89"
        "COLE r\xC3\xA9sum\xC3\xA9 Z\xC3\xBCrich");
    // Dotted capital I, Turkish letters, a titlecase digraph and a ligature.
    check_same_words(
        "\xC4\xB0stanbul \xC5\x9E\xC4\xB0\xC5\x9EL\xC4\xB0 \xC7\x85"
        "emal \xEF\xAC\x81nance \xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91");
}

TEST_CASE("rule 3: capitals separated by dots are one word without the dots") {
    check_same_words("The U.S. and U.N. staff at I.B.M. said P.T.O");
    check_same_words("A.B.C.d and X.Y. Z. and A.b and U.S.A.");
}

TEST_CASE("rule 4: ampersands and apostrophes join words as the index joins them") {
    check_same_words(
        "AT&T's unit, O'Neill's caf\xC3\xA9 and L\xC2\xB7L, x\xD7\xB4y a\xE2\x80\xA7"
        "b");
    // Typographic apostrophes go into the term as a plain one.
    check_same_words(
        "don\xE2\x80\x99t and it\xE2\x80\x9Bs; 'quoted' words, \xE2\x80\x98"
        "curly\xE2\x80\x99 ones");
    check_same_words("R & D, AT& T, AT &T, trailing& and 'leading");
}

TEST_CASE("rule 5: separators between digits join numbers as the index joins them") {
    check_same_words("1,000.50 dollars, 12,345,678 and 1.2.3 and 4;5 and 6;x and 3.5% rates");
    check_same_words(
        "7\xE2\x81\x84"
        "8 and 1\xCD\xBE"
        "2 and 3,a and a,3 and 9.");
}

TEST_CASE("rule 6: zero-width characters join without going into the term") {
    check_same_words(
        "Zero\xE2\x80\x8Bwidth join\xE2\x80\x8C"
        "ers and\xE2\x80\x8D"
        "more wo\xE2\x81\xA0rd x\xEF\xBB\xBFy");
    check_same_words(
        "12\xE2\x80\x8B"
        "34 and end\xE2\x80\x8B");
}

TEST_CASE("rule 7: plus and hash signs end a word as the index ends it") {
    check_same_words("C++ and C# coders; fish+chips, C+++ and c++++ things, a#b, x+ y#");
}

TEST_CASE("rule 8: a word longer than 64 bytes has no position, as in the index") {
    check_same_words(
        "short aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa long words "
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb exactly sixty-four");
}

TEST_CASE("rule 9: the indexer does not split CJK text into n-grams, and neither does the reader") {
    Xapian::TermGenerator generator;
    the_schema().configure(generator);
    CHECK((generator.set_flags(Xapian::TermGenerator::flags{}) & Xapian::TermGenerator::FLAG_CJK_NGRAM) == 0);
    // Chinese, split at spaces and ideographic punctuation only.
    check_same_words(
        "\xE5\x8C\x97\xE4\xBA\xAC \xE4\xB8\x8A\xE6\xB5\xB7\xE3\x80\x81\xE5\xB9\xBF\xE5\xB7\x9E\xE3\x80\x82"
        "\xE6\x88\x91\xE7\x88\xB1\xE5\x8C\x97\xE4\xBA\xAC\xEF\xBC\x81");
    // Japanese: kanji, hiragana and katakana in one run; full-width punctuation.
    check_same_words(
        "\xE6\x9D\xB1\xE4\xBA\xAC \xE5\xA4\xA7\xE9\x98\xAA\xE3\x80\x81\xE4\xBA\xAC\xE9\x83\xBD\xE3\x80\x82"
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88"
        "\xEF\xBC\x88\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88\xEF\xBC\x89");
    // Korean, and CJK next to Latin letters and digits.
    check_same_words(
        "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xED\x85\x8D\xEC\x8A\xA4\xED\x8A\xB8 "
        "Tokyo\xE6\x9D\xB1\xE4\xBA\xAC 2024\xE5\xB9\xB4");
}

TEST_CASE("rule 10: a word is stemmed when it starts with a letter and is not a stopword") {
    check_same_words("1990s rates 3d running the was being \xC3\xA9tudes 42nd _under x2");
}

TEST_CASE("invalid UTF-8 is read as Latin-1, as the index reads it") {
    check_same_words("caf\xE9 na\xEFve \xFF\xFE word \xC3 broken \xE2\x80 end");
}

TEST_CASE("a word start finder stops at every word a wanted byte can start") {
    std::array<bool, 256> first_bytes{};
    first_bytes['r'] = true;
    const WordStartFinder starts(first_bytes);
    const std::string text =
        "Interest rates rose; RATES, borrowers \xC3\x9C"
        "ber";
    std::vector<std::size_t> found;
    for (auto at = starts.next(text, 0); at < text.size(); at = starts.next(text, at + 1)) found.push_back(at);
    // "rates", "rose", "RATES" and the non-ASCII "Ü"; not the "r" inside words.
    CHECK(found == std::vector<std::size_t>{9, 15, 21, 38});
}

TEST_CASE("a word start finder with many wanted bytes finds the same places") {
    std::array<bool, 256> few{};
    few['b'] = true;
    std::array<bool, 256> many{};
    for (char c : std::string_view("bcdefghijklmnop")) many[static_cast<unsigned char>(c)] = true;
    const std::string text = "a bank, a Bank and abba; banks bb, (bonds) x-bank";
    auto all = [&](const WordStartFinder& starts, char wanted) {
        std::vector<std::size_t> found;
        for (auto at = starts.next(text, 0); at < text.size(); at = starts.next(text, at + 1))
            if ((text[at] | 0x20) == wanted) found.push_back(at);
        return found;
    };
    CHECK(all(WordStartFinder(few), 'b') == all(WordStartFinder(many), 'b'));
    CHECK(all(WordStartFinder(few), 'b').size() == 6);
}
