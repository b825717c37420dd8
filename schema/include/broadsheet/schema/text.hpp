#pragma once
// Checks on raw text shared by the indexer (input files) and the server (queries).

#include <cstddef>
#include <string_view>

namespace broadsheet::schema {

/// Offset of the first byte that is NUL or not part of well-formed UTF-8
/// (no overlong forms, surrogates or code points above U+10FFFF), or npos.
[[nodiscard]] auto first_non_text_byte(std::string_view s) -> std::size_t;

/// True when `s` is well-formed UTF-8 without NUL bytes.
[[nodiscard]] inline auto is_text(std::string_view s) -> bool {
    return first_non_text_byte(s) == std::string_view::npos;
}

}  // namespace broadsheet::schema
