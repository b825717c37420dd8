#include "broadsheet/schema/dates.hpp"
#include "broadsheet/schema/strings.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace broadsheet::schema {

namespace {

// Reads exactly `width` digits at `pos`.
auto digits(std::string_view text, std::size_t pos, std::size_t width) -> std::optional<int> {
    if (pos + width > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

auto days_in_month(int year, int month) -> int {
    static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[static_cast<std::size_t>(month - 1)];  // month: 1..12, checked by parse_date
}

auto pad(int value, int width) -> std::string {
    std::array<char, 16> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%0*d", width, value);
    return buffer.data();
}

}  // namespace

auto Date::sortable() const -> std::string {
    return pad(year, 4) + pad(month, 2) + pad(day, 2) + pad(hour, 2) + pad(minute, 2) + pad(second, 2);
}

auto Date::iso() const -> std::string {
    switch (precision) {
        case Precision::year: return pad(year, 4);
        case Precision::month: return pad(year, 4) + "-" + pad(month, 2);
        case Precision::day: return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2);
        case Precision::minute:
        case Precision::second: break;
    }
    return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" +
           pad(second, 2);
}

auto Date::end_of_period() const -> std::string {
    Date end = *this;
    switch (precision) {
        case Precision::year: end.month = 12; [[fallthrough]];
        case Precision::month: end.day = days_in_month(end.year, end.month); [[fallthrough]];
        case Precision::day:
            end.hour = 23;
            end.minute = 59;
            end.second = 59;
            break;
        case Precision::minute:
        case Precision::second: break;
    }
    return end.sortable();
}

auto Date::year_string() const -> std::string { return pad(year, 4); }

auto parse_date(std::string_view text) -> std::optional<Date> {
    text = trim(text);
    Date date;
    auto year = digits(text, 0, 4);
    if (!year || *year < 1) return std::nullopt;
    date.year = *year;
    date.precision = Date::Precision::year;
    std::size_t pos = 4;
    if (pos < text.size()) {
        if (text[pos] != '-') return std::nullopt;
        auto month = digits(text, pos + 1, 2);
        if (!month || *month < 1 || *month > 12) return std::nullopt;
        date.month = *month;
        date.precision = Date::Precision::month;
        pos += 3;
        if (pos < text.size()) {
            if (text[pos] != '-') return std::nullopt;
            auto day = digits(text, pos + 1, 2);
            if (!day || *day < 1 || *day > days_in_month(date.year, date.month)) return std::nullopt;
            date.day = *day;
            date.precision = Date::Precision::day;
            pos += 3;
        }
    }
    if (pos < text.size()) {
        if (date.precision != Date::Precision::day) return std::nullopt;  // a time needs a full date
        if (text[pos] != 'T' && text[pos] != ' ') return std::nullopt;
        auto hour = digits(text, pos + 1, 2);
        if (!hour || *hour > 23 || pos + 3 >= text.size() || text[pos + 3] != ':') return std::nullopt;
        auto minute = digits(text, pos + 4, 2);
        if (!minute || *minute > 59) return std::nullopt;
        date.hour = *hour;
        date.minute = *minute;
        date.precision = Date::Precision::second;  // shown with seconds, as ISO 8601 readers expect
        pos += 6;
        if (pos < text.size() && text[pos] == ':') {
            auto second = digits(text, pos + 1, 2);
            if (!second || *second > 60) return std::nullopt;
            date.second = *second == 60 ? 59 : *second;  // leap second: keep it in the minute
            pos += 3;
            if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
                ++pos;
                std::size_t start = pos;
                while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
                if (pos == start) return std::nullopt;
            }
        }
        if (pos < text.size()) {
            if (text[pos] == 'Z') {
                ++pos;
            } else if (text[pos] == '+' || text[pos] == '-') {
                auto zone_hours = digits(text, pos + 1, 2);
                if (!zone_hours || *zone_hours > 14) return std::nullopt;
                pos += 3;
                if (pos < text.size() && text[pos] == ':') ++pos;
                auto zone_minutes = digits(text, pos, 2);
                if (!zone_minutes || *zone_minutes > 59) return std::nullopt;
                pos += 2;
            }
        }
    }
    if (pos != text.size()) return std::nullopt;
    return date;
}

}  // namespace broadsheet::schema
