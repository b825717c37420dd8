#include "broadsheet/schema/text.hpp"

#include <cstdint>
#include <cstring>

namespace broadsheet::schema {

auto count_chars(std::string_view s, std::size_t from, std::size_t to) -> std::size_t {
    constexpr std::uint64_t every_byte = 0x0101010101010101;
    std::size_t chars = 0;
    auto at = from;
    // Eight bytes at a time: a continuation byte is 10xxxxxx.
    for (; at + 8 <= to; at += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, s.data() + at, sizeof word);
        const auto continuation = (word >> 7) & ~(word >> 6) & every_byte;
        chars += 8 - static_cast<std::size_t>((continuation * every_byte) >> 56);  // the sum of the bytes
    }
    for (; at < to; ++at) chars += (static_cast<unsigned char>(s[at]) & 0xc0) == 0x80 ? 0 : 1;
    return chars;
}

auto first_non_text_byte(std::string_view s) -> std::size_t {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = decode_char(s, i);
        if (!c.valid || c.code == 0) return i;
        i += c.size;
    }
    return std::string_view::npos;
}

}  // namespace broadsheet::schema
