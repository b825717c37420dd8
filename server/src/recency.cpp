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

RecencyPostingSource::RecencyPostingSource(Xapian::valueno date_slot, double max_boost, double half_life_days)
    : Xapian::ValuePostingSource(date_slot), m_max_boost(max_boost), m_half_life_days(half_life_days) {}

void RecencyPostingSource::init(const Xapian::Database& database) {
    Xapian::ValuePostingSource::init(database);
    m_newest_day = day_number(database.get_value_upper_bound(get_slot()));
    set_maxweight(m_max_boost);
}

auto RecencyPostingSource::get_weight() const -> double {
    auto age_days = m_newest_day - day_number(get_value());
    if (age_days < 0) age_days = 0;
    return m_max_boost * std::exp2(-age_days / m_half_life_days);
}

auto RecencyPostingSource::clone() const -> RecencyPostingSource* {
    return new RecencyPostingSource(get_slot(), m_max_boost, m_half_life_days);
}

}  // namespace broadsheet::server
