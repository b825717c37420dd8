#include "broadsheet/schema/field_stems.hpp"

#include <algorithm>

namespace broadsheet::schema {

auto stem_scan_prefix(std::string_view stem) -> std::optional<std::string_view> {
    auto last = stem.size();
    // Back over UTF-8 continuation bytes to the last character's first byte.
    while (last > 0 && (static_cast<unsigned char>(stem[last - 1]) & 0xC0U) == 0x80U) --last;
    if (last > 0) --last;
    if (last == 0) return std::nullopt;
    return stem.substr(0, last);
}

auto is_stem_exception(std::string_view word, std::string_view stem) -> bool {
    const auto prefix = stem_scan_prefix(stem);
    return !prefix || !word.starts_with(*prefix);
}

auto stem_exceptions_key(std::string_view stem) -> std::string {
    std::string key(metadata::stem_exceptions);
    key += stem;
    return key;
}

auto listed_words(std::string_view value) -> std::vector<std::string> {
    std::vector<std::string> words;
    while (!value.empty()) {
        const auto end = value.find('\n');
        words.emplace_back(value.substr(0, end));
        if (end == std::string_view::npos) break;
        value.remove_prefix(end + 1);
    }
    return words;
}

auto with_listed_word(std::string value, std::string_view word) -> std::string {
    // Kept in order, so that lists merged in any order are the same.
    auto words = listed_words(value);
    const auto at = std::lower_bound(words.begin(), words.end(), word);
    if (at != words.end() && *at == word) return value;
    words.emplace(at, word);
    value.clear();
    for (const auto& listed : words) {
        if (!value.empty()) value += '\n';
        value += listed;
    }
    return value;
}

}  // namespace broadsheet::schema
