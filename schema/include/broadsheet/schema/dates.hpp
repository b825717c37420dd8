#pragma once
// Dates as the API shows them (ISO 8601) and as the index sorts them.

#include <optional>
#include <string>
#include <string_view>

namespace broadsheet::schema {

struct Date {
    /// How much of the date the source gave: a bare year stays a year in the API.
    enum class Precision { year, month, day, minute, second };

    int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
    Precision precision = Precision::day;

    /// "YYYYMMDDhhmmss": fixed width, so byte order is time order (value slots, ranges).
    [[nodiscard]] auto sortable() const -> std::string;
    /// ISO 8601 at the source's precision: "1863", "2014-06", "2014-06-03", "2014-06-03T10:15:00".
    [[nodiscard]] auto iso() const -> std::string;
    /// True for a bare date (or year, or month): a `to` bound then covers the whole period.
    [[nodiscard]] auto has_time() const -> bool {
        return precision == Precision::minute || precision == Precision::second;
    }
    [[nodiscard]] auto year_string() const -> std::string;
    /// sortable() of the last second of the period this date names: "2014" ends
    /// 20141231235959, "2014-02" ends on the 28th, a day at 23:59:59.
    [[nodiscard]] auto end_of_period() const -> std::string;
};

/// Accepts YYYY, YYYY-MM, YYYY-MM-DD, and YYYY-MM-DD[T ]hh:mm[:ss[.fff]][Z|±hh[:]mm]
/// (the zone is dropped: news times are kept as the source wrote them).
/// Returns nullopt for anything else, including impossible dates (2023-02-30).
[[nodiscard]] auto parse_date(std::string_view text) -> std::optional<Date>;

}  // namespace broadsheet::schema
