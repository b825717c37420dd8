#include "broadsheet/server/snippet_render.hpp"

#include <algorithm>

#include "broadsheet/server/html.hpp"

namespace broadsheet::server {

namespace {

constexpr std::string_view mark_open = "<mark>";
constexpr std::string_view mark_close = "</mark>";
constexpr std::string_view ellipsis = "…";

}  // namespace

void append_marked(std::string& out, std::string_view text, std::size_t from, std::size_t to,
                   const std::vector<TextMatch>& matches) {
    auto match = std::lower_bound(matches.begin(), matches.end(), from,
                                  [](const TextMatch& m, std::size_t at) { return m.end <= at; });
    auto at = from;
    bool open = false;
    for (; match != matches.end() && match->begin < to; ++match) {
        const auto begin = std::max(match->begin, from);
        const auto end = std::min(match->end, to);
        const auto gap = text.substr(at, begin - at);
        if (open && gap.find_first_not_of(' ') != std::string_view::npos) {
            out += mark_close;
            open = false;
        }
        append_html_escaped(out, gap);
        if (!open) out += mark_open;
        open = true;
        append_html_escaped(out, text.substr(begin, end - begin));
        at = end;
    }
    if (open) out += mark_close;
    append_html_escaped(out, text.substr(at, to - at));
}

auto render_passage(std::string_view text, const Passage& passage, const std::vector<TextMatch>& matches)
    -> std::string {
    std::string out;
    out.reserve(passage.end - passage.begin + 64);
    if (passage.cut_before) out += ellipsis;
    append_marked(out, text, passage.begin, passage.end, matches);
    if (passage.cut_after) out += ellipsis;
    return out;
}

}  // namespace broadsheet::server
