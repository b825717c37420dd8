#include "broadsheet/schema/text.hpp"

namespace broadsheet::schema {

auto first_non_text_byte(std::string_view s) -> std::size_t {
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const auto lead = static_cast<unsigned char>(s[i]);
        if (lead == 0) return i;
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char second_min = 0x80;
        unsigned char second_max = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead == 0xE0) {
            length = 3;
            second_min = 0xA0;  // below is overlong
        } else if (lead == 0xED) {
            length = 3;
            second_max = 0x9F;  // above is a UTF-16 surrogate
        } else if (lead >= 0xE1 && lead <= 0xEF) {
            length = 3;
        } else if (lead == 0xF0) {
            length = 4;
            second_min = 0x90;  // below is overlong
        } else if (lead >= 0xF1 && lead <= 0xF3) {
            length = 4;
        } else if (lead == 0xF4) {
            length = 4;
            second_max = 0x8F;  // above is beyond U+10FFFF
        } else {
            return i;
        }
        if (n - i < length) return i;
        const auto second = static_cast<unsigned char>(s[i + 1]);
        if (second < second_min || second > second_max) return i;
        for (std::size_t k = 2; k < length; ++k) {
            const auto next = static_cast<unsigned char>(s[i + k]);
            if (next < 0x80 || next > 0xBF) return i;
        }
        i += length;
    }
    return std::string_view::npos;
}


}  // namespace broadsheet::schema
