// Date parsing, as the JSONL reader, the from/to parameters and date: in
// queries use it. Input: the date text.
//
// Properties: a parsed date is a real calendar date; its ISO form parses
// back to the same date; sortable forms are 14 digits and a period ends
// no earlier than it starts.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "broadsheet/schema/dates.hpp"
#include "fuzz_check.hpp"

namespace {

using broadsheet::schema::Date;

auto is_sortable(const std::string& text) -> bool {
    return text.size() == 14 &&
           std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

auto same(const Date& a, const Date& b) -> bool {
    return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour && a.minute == b.minute &&
           a.second == b.second && a.precision == b.precision;
}

}  // namespace

extern "C" auto LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) -> int {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto date = broadsheet::schema::parse_date(input);
    if (!date) return 0;
    using broadsheet::fuzz::fail;
    if (date->year < 1 || date->year > 9999 || date->month < 1 || date->month > 12 || date->day < 1 || date->day > 31 ||
        date->hour > 23 || date->minute > 59 || date->second > 59)
        fail("a parsed date out of range", input);
    const auto iso = date->iso();
    const auto again = broadsheet::schema::parse_date(iso);
    if (!again || !same(*again, *date)) fail("the ISO form '" + iso + "' does not parse back to the same date", input);
    const auto start = date->sortable(), end = date->end_of_period();
    if (!is_sortable(start) || !is_sortable(end)) fail("a sortable form that is not 14 digits", input);
    if (end < start) fail("the period ends before it starts", input);
    if (date->year_string() != start.substr(0, 4)) fail("the year string is not the sortable form's year", input);
    return 0;
}
