#pragma once
// Raw text: the one UTF-8 decoder of the tree, and the checks on text shared by
// the indexer (input files) and the server (queries, snippets).

#include <cstddef>
#include <string_view>

namespace broadsheet::schema {

/// One character of a text as Xapian's Utf8Iterator reads it.
struct DecodedChar {
    unsigned code = 0;     ///< the code point; for a byte that starts no valid sequence, the byte (Latin-1)
    std::size_t size = 1;  ///< bytes taken, at least 1
    bool valid = true;     ///< false for such a stray byte
};

/// The character at byte `at` (< s.size()). Overlong forms, surrogates and code
/// points above U+10FFFF are not valid: their first byte is read on its own, so
/// a cut between characters never splits a valid sequence.
[[nodiscard]] inline auto decode_char(std::string_view s, std::size_t at) -> DecodedChar {
    const auto lead = static_cast<unsigned char>(s[at]);
    if (lead < 0x80) return {lead, 1, true};
    std::size_t size = 0;
    unsigned code = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        size = 2;
        code = lead & 0x1fU;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        size = 3;
        code = lead & 0x0fU;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        size = 4;
        code = lead & 0x07U;
    } else {
        return {lead, 1, false};
    }
    if (size > s.size() - at) return {lead, 1, false};
    for (std::size_t k = 1; k < size; ++k) {
        const auto byte = static_cast<unsigned char>(s[at + k]);
        if ((byte & 0xc0) != 0x80) return {lead, 1, false};
        code = (code << 6) | (byte & 0x3fU);
    }
    const bool overlong = (size == 3 && code < 0x800) || (size == 4 && code < 0x10000);
    if (overlong || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return {lead, 1, false};
    return {code, size, true};
}

/// The start of the character (as decode_char reads them) that ends at byte `at` (> 0).
[[nodiscard]] inline auto char_start_before(std::string_view s, std::size_t at) -> std::size_t {
    auto start = at - 1;
    const auto stop = at >= 4 ? at - 4 : 0;
    while (start > stop && (static_cast<unsigned char>(s[start]) & 0xc0) == 0x80) --start;
    return start + decode_char(s, start).size == at ? start : at - 1;
}

/// Characters (code points of valid UTF-8; bytes that are not continuation
/// bytes) in s[from, to).
[[nodiscard]] auto count_chars(std::string_view s, std::size_t from, std::size_t to) -> std::size_t;

/// Offset of the first byte that is NUL or not part of well-formed UTF-8
/// (no overlong forms, surrogates or code points above U+10FFFF), or npos.
[[nodiscard]] auto first_non_text_byte(std::string_view s) -> std::size_t;

/// True when `s` is well-formed UTF-8 without NUL bytes.
[[nodiscard]] inline auto is_text(std::string_view s) -> bool {
    return first_non_text_byte(s) == std::string_view::npos;
}

}  // namespace broadsheet::schema
