#pragma once
// A bounded bonus for recent articles, added to the text score (boost=recency).

#include <string>

#include <xapian.h>

namespace broadsheet::server {

/// Weights each document by how recent its date is relative to the newest
/// article in the index (not the wall clock, so an archive from 1987 works
/// the same): max_boost for the newest, halving every half_life_days.
/// Added with OP_AND_MAYBE, it orders otherwise similar matches by date but
/// can never lift an article over one whose text scores more than max_boost higher.
class RecencyPostingSource : public Xapian::ValuePostingSource {
public:
    RecencyPostingSource(Xapian::valueno date_slot, double max_boost, double half_life_days);

    void init(const Xapian::Database& database) override;
    [[nodiscard]] auto get_weight() const -> double override;
    [[nodiscard]] auto clone() const -> RecencyPostingSource* override;
    [[nodiscard]] auto name() const -> std::string override { return "broadsheet::RecencyPostingSource"; }

private:
    double m_max_boost;
    double m_half_life_days;
    double m_newest_day = 0;  // days since 0000-03-01 of the newest date in the index
};

/// Days since a fixed epoch for a sortable date value ("YYYYMMDDhhmmss"); 0 if malformed.
[[nodiscard]] auto day_number(const std::string& sortable) -> double;

}  // namespace broadsheet::server
