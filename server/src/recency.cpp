#include "broadsheet/server/recency.hpp"

#include <cmath>

namespace broadsheet::server {

auto day_number(const std::string& sortable) -> double {
    if (sortable.size() < 8) return 0;
    auto digits = [&](std::size_t at, std::size_t n) {
        int value = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (sortable[i] < '0' || sortable[i] > '9') return -1;
            value = value * 10 + (sortable[i] - '0');
        }
        return value;
    };
    int y = digits(0, 4), m = digits(4, 2), d = digits(6, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1) return 0;
    // Days from civil date (proleptic Gregorian), counting years from March
    // so the leap day falls at the end.
    y -= m <= 2 ? 1 : 0;
    int era = y / 400;
    int year_of_era = y - era * 400;
    int day_of_year = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097.0 + day_of_era;
}

auto sortable_day(long day) -> std::string {
    // The inverse of day_number (years from March again).
    if (day < 0) day = 0;
    const long era = day / 146097;
    const long day_of_era = day - era * 146097;
    const long year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const long day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const long month_index = (5 * day_of_year + 2) / 153;
    const long d = day_of_year - (153 * month_index + 2) / 5 + 1;
    const long m = month_index < 10 ? month_index + 3 : month_index - 9;
    const long y = year_of_era + era * 400 + (m <= 2 ? 1 : 0);
    auto digits = [](long value, std::size_t width) {
        auto text = std::to_string(value);
        return std::string(width > text.size() ? width - text.size() : 0, '0') + text;
    };
    return digits(y, 4) + digits(m, 2) + digits(d, 2);
}

namespace {

// The oldest age (days) that still earns step k of `steps` (1-based): where
// the curve, in steps, falls under k - 1/2, so the steps earned are the curve rounded.
auto age_limit(int k, const RecencyCurve& curve) -> double {
    return curve.half_life_days * std::log2(curve.steps / (k - 0.5));
}

}  // namespace

auto recency_bonus(double age_days, const RecencyCurve& curve) -> double {
    int earned = 0;
    for (int k = 1; k <= curve.steps; ++k)
        if (age_days <= age_limit(k, curve)) ++earned;
    return curve.max_boost * earned / curve.steps;
}

auto with_recency_boost(const Xapian::Query& query, const Xapian::Database& db, Xapian::valueno date_slot,
                        const RecencyCurve& curve) -> Xapian::Query {
    const auto newest = day_number(db.get_value_upper_bound(date_slot));
    if (newest == 0 || curve.steps < 1) return query;
    const double step = curve.max_boost / curve.steps;
    // One OP_AND_MAYBE per step rather than one over an OP_OR of the steps:
    // Xapian 1.4 loses matches of an OR of posting sources over several local
    // databases when it prunes by weight.
    auto boosted = query;
    for (int k = 1; k <= curve.steps; ++k) {
        // Ages are whole days (the date's time of day is not counted), and a
        // day's sortable values all start with its "YYYYMMDD".
        const auto first_day = sortable_day(static_cast<long>(std::ceil(newest - age_limit(k, curve))));
        auto* weight = new Xapian::FixedWeightPostingSource(step);
        Xapian::Query earned(Xapian::Query::OP_FILTER, Xapian::Query(weight->release()),
                             Xapian::Query(Xapian::Query::OP_VALUE_GE, date_slot, first_day));
        boosted = Xapian::Query(Xapian::Query::OP_AND_MAYBE, boosted, earned);
    }
    return boosted;
}

}  // namespace broadsheet::server
