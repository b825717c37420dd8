#pragma once
// Dates as the API shows them (ISO 8601) and as the index sorts them.

#include <optional>
#include <string>
#include <string_view>

namespace broadsheet::schema {

struct Date {
    int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;

    /// "YYYYMMDDhhmmss": fixed width, so byte order is time order (value slots, ranges).
    [[nodiscard]] auto sortable() const -> std::string;
    /// "YYYY-MM-DD" when there is no time of day, else "YYYY-MM-DDThh:mm:ss".
    [[nodiscard]] auto iso() const -> std::string;
    [[nodiscard]] auto year_string() const -> std::string;
    auto operator<=>(const Date&) const = default;
};

/// Accepts YYYY, YYYY-MM, YYYY-MM-DD, and YYYY-MM-DD[T ]hh:mm[:ss[.fff]][Z|±hh[:]mm]
/// (the zone is dropped: news times are kept as the source wrote them).
/// Returns nullopt for anything else, including impossible dates (2023-02-30).
[[nodiscard]] auto parse_date(std::string_view text) -> std::optional<Date>;

}  // namespace broadsheet::schema
