#include "broadsheet/schema/strings.hpp"

namespace broadsheet::schema {

auto ascii_lower(std::string_view text) -> std::string {
    std::string lower(text);
    for (auto& c : lower) c = ascii_lower(c);
    return lower;
}

auto trim(std::string_view text) -> std::string_view {
    while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
    return text;
}

}  // namespace broadsheet::schema
