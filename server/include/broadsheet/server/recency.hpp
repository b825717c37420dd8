#pragma once
// A bounded bonus for recent articles, added to the text score (boost=recency).

#include <string>

#include <xapian.h>

namespace broadsheet::server {

/// How the recency bonus falls with age: max_boost for the newest article,
/// halving every half_life_days, in `steps` equal steps.
struct RecencyCurve {
    double max_boost = 1.0;
    double half_life_days = 365.0;
    int steps = 16;
};

/// `query` with the recency bonus added to its matches' scores (it matches
/// nothing more). Ages count from the newest date in `db` (not the wall
/// clock, so an archive from 1987 works the same), and an article gets the
/// curve max_boost * 2^(-age / half_life) rounded to the nearest step
/// (max_boost / steps; nothing beyond the age where the curve falls under half
/// a step). Built from Xapian's own pieces (per step, a
/// FixedWeightPostingSource of the step's weight filtered by a date range,
/// added by OP_AND_MAYBE), which a remote shard served by stock xapian-tcpsrv
/// runs, so a single index and a set of shards give the same bonus; the newest
/// date comes from get_value_upper_bound, which remote shards answer. `query`
/// unchanged when `db` has no dates.
[[nodiscard]] auto with_recency_boost(const Xapian::Query& query, const Xapian::Database& db, Xapian::valueno date_slot,
                                      const RecencyCurve& curve = {}) -> Xapian::Query;

/// The bonus with_recency_boost gives an article `age_days` old (its curve rounded to a step).
[[nodiscard]] auto recency_bonus(double age_days, const RecencyCurve& curve = {}) -> double;

/// Days since a fixed epoch for a sortable date value ("YYYYMMDDhhmmss"); 0 if malformed.
[[nodiscard]] auto day_number(const std::string& sortable) -> double;

/// The sortable date ("YYYYMMDD") of a day_number.
[[nodiscard]] auto sortable_day(long day) -> std::string;

}  // namespace broadsheet::server
