// The article-text reader over arbitrary bytes. Input: the file's content.
//
// Properties: only std::invalid_argument refuses a file; an accepted file
// has a title; title, standfirst and body are trimmed UTF-8 text whose lines
// all come from the file, with no page furniture heading left in the body.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "broadsheet/indexer/text_article.hpp"
#include "broadsheet/schema/text.hpp"
#include "fuzz_check.hpp"

namespace {

using broadsheet::fuzz::fail;

auto is_ascii_space(char c) -> bool {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

void check_line(std::string_view line, std::string_view what, std::string_view content, std::string_view input) {
    if (line.empty()) fail(std::string(what) + " is an empty line", input);
    if (is_ascii_space(line.front()) || is_ascii_space(line.back())) fail(std::string(what) + " is not trimmed", input);
    if (line.find_first_of("\r\n") != std::string_view::npos) fail(std::string(what) + " holds a line break", input);
    if (content.find(line) == std::string_view::npos) fail(std::string(what) + " is not a line of the file", input);
}

auto lower_ascii(std::string_view text) -> std::string {
    std::string lower(text);
    for (auto& c : lower)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return lower;
}

}  // namespace

extern "C" auto LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) -> int {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    broadsheet::indexer::TextArticle article;
    try {
        article = broadsheet::indexer::parse_text_article(input);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    if (!broadsheet::schema::is_text(input)) fail("a file that is not UTF-8 text was accepted", input);
    check_line(article.title, "the title", input, input);
    if (!article.subtitle.empty()) check_line(article.subtitle, "the standfirst", input, input);
    if (article.subtitle.empty() && !article.body.empty()) fail("a body without a standfirst", input);
    std::string_view body = article.body;
    while (!body.empty()) {
        auto end = body.find('\n');
        auto line = body.substr(0, end);
        check_line(line, "a body line", input, input);
        auto lower = lower_ascii(line);
        if (lower == "similar topics" || lower == "broader topics" || lower == "other stories you might like")
            fail("page furniture in the body", input);
        if (end == std::string_view::npos) break;
        body.remove_prefix(end + 1);
    }
    for (const auto* part : {&article.title, &article.subtitle, &article.body})
        if (!broadsheet::schema::is_text(*part)) fail("a part of the article is not UTF-8 text", input);
    return 0;
}
