#pragma once
// ASCII helpers for bytes the schema, the indexer and the server compare:
// terms of keyword fields, file suffixes, flag values. They leave every
// non-ASCII byte alone, so UTF-8 text passes through unchanged.

#include <string>
#include <string_view>

namespace broadsheet::schema {

/// Whether `c` is ASCII whitespace: space, \t, \n, \v, \f or \r (std::isspace in the "C" locale).
[[nodiscard]] constexpr auto is_ascii_space(char c) -> bool {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/// `c` lower-cased if it is an ASCII capital, else unchanged.
[[nodiscard]] constexpr auto ascii_lower(char c) -> char {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `text` with its ASCII capitals lower-cased; byte-stable, whatever the locale.
[[nodiscard]] auto ascii_lower(std::string_view text) -> std::string;

/// `text` without leading and trailing ASCII whitespace.
[[nodiscard]] auto trim(std::string_view text) -> std::string_view;

}  // namespace broadsheet::schema
