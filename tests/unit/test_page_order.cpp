#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "broadsheet/server/page_order.hpp"

using namespace broadsheet::server;

namespace {

// Document numbers whose ids sort the other way round: ties in document
// order and ties in id order differ wherever a run has two members.
auto id_of(Xapian::docid docid) -> std::string { return std::to_string(100 - docid); }

auto docids(const std::vector<RankedDocument>& page) -> std::vector<Xapian::docid> {
    std::vector<Xapian::docid> out;
    out.reserve(page.size());
    for (const auto& document : page) out.push_back(document.docid);
    return out;
}

// Ranked by weight, equal weights in document order, as a match ranks them.
auto ranked(const std::vector<std::pair<Xapian::docid, double>>& documents) -> std::vector<RankedDocument> {
    std::vector<RankedDocument> out;
    out.reserve(documents.size());
    for (const auto& [docid, weight] : documents) out.push_back({docid, weight});
    return out;
}

}  // namespace

TEST_CASE("a page without ties keeps the match's order and reads no id") {
    int keys_read = 0;
    auto key = [&](Xapian::docid docid) {
        ++keys_read;
        return id_of(docid);
    };
    auto page = page_with_ties_by_key(ranked({{1, 9}, {2, 8}, {3, 7}, {4, 6}}), {0, 0, 3, false}, key);
    REQUIRE(page);
    CHECK(docids(*page) == std::vector<Xapian::docid>{1, 2, 3});
    CHECK(keys_read == 0);
}

TEST_CASE("equal scores inside the page are ordered by id") {
    auto page = page_with_ties_by_key(ranked({{1, 9}, {2, 5}, {3, 5}, {4, 5}, {5, 1}}), {0, 0, 4, true}, id_of);
    REQUIRE(page);
    CHECK(docids(*page) == std::vector<Xapian::docid>{1, 4, 3, 2});
    CHECK((*page)[1].weight == 5);
}

TEST_CASE("a run crossing the page's end is ordered whole before the page is cut") {
    // Documents 2, 3 and 4 tie; by id, 4 and 3 come first, so 2 falls off the page.
    auto page = page_with_ties_by_key(ranked({{1, 9}, {2, 5}, {3, 5}, {4, 5}, {5, 1}}), {0, 0, 3, true}, id_of);
    REQUIRE(page);
    CHECK(docids(*page) == std::vector<Xapian::docid>{1, 4, 3});
}

TEST_CASE("a run crossing the page's start is ordered whole before the page is cut") {
    // Ranks 1 to 3 tie; the second page (ranks 2 and 3) takes the two with the highest ids.
    auto page = page_with_ties_by_key(ranked({{1, 9}, {2, 5}, {3, 5}, {4, 5}, {5, 1}}), {0, 2, 2, true}, id_of);
    REQUIRE(page);
    CHECK(docids(*page) == std::vector<Xapian::docid>{3, 2});
}

TEST_CASE("a run that may go on past the window leaves the order to the match") {
    // The last document given ties with the page's last, and more may follow.
    CHECK_FALSE(page_with_ties_by_key(ranked({{1, 9}, {2, 5}, {3, 5}}), {0, 0, 2, false}, id_of));
    // The same run when the match ends there is whole.
    auto page = page_with_ties_by_key(ranked({{1, 9}, {2, 5}, {3, 5}}), {0, 0, 2, true}, id_of);
    REQUIRE(page);
    CHECK(docids(*page) == std::vector<Xapian::docid>{1, 3});
}

TEST_CASE("a run that may begin before the window leaves the order to the match") {
    // The window starts at rank 5 on a tie with the page's first document.
    CHECK_FALSE(page_with_ties_by_key(ranked({{6, 5}, {7, 5}, {8, 4}, {9, 1}}), {5, 6, 2, true}, id_of));
    // From the first rank, the run is whole.
    auto page = page_with_ties_by_key(ranked({{6, 5}, {7, 5}, {8, 4}, {9, 1}}), {0, 1, 2, true}, id_of);
    REQUIRE(page);
    CHECK(docids(*page) == std::vector<Xapian::docid>{6, 8});
}

TEST_CASE("a page past the match's end is empty, and a short last page is what there is") {
    auto past = page_with_ties_by_key(ranked({{1, 9}, {2, 5}}), {0, 10, 10, true}, id_of);
    REQUIRE(past);
    CHECK(past->empty());
    auto last = page_with_ties_by_key(ranked({{1, 9}, {2, 5}, {3, 5}}), {0, 1, 10, true}, id_of);
    REQUIRE(last);
    CHECK(docids(*last) == std::vector<Xapian::docid>{3, 2});
}
