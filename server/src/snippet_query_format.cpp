#include "broadsheet/server/snippet_query_format.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string_view>
#include <vector>

namespace broadsheet::server {

namespace {

// Reads the fields of Xapian 1.4's serialisation that wildcard_pattern needs,
// giving up on anything unexpected.
class SerialisedReader {
public:
    explicit SerialisedReader(std::string_view data) : m_data(data) {}

    auto byte() -> std::optional<unsigned> {
        if (m_at >= m_data.size()) return std::nullopt;
        return static_cast<unsigned char>(m_data[m_at++]);
    }
    // Xapian's encode_length: one byte below 255, else 255 then 7-bit groups.
    auto length() -> std::optional<std::size_t> {
        auto first = byte();
        if (!first) return std::nullopt;
        if (*first != 0xff) return *first;
        std::size_t value = 0;
        for (unsigned shift = 0; shift < 63; shift += 7) {
            auto next = byte();
            if (!next) return std::nullopt;
            value |= static_cast<std::size_t>(*next & 0x7fU) << shift;
            if (*next & 0x80U) return value + 255;
        }
        return std::nullopt;
    }
    [[nodiscard]] auto rest() const -> std::string_view { return m_data.substr(m_at); }

private:
    std::string_view m_data;
    std::size_t m_at = 0;
};

}  // namespace

auto knows_query_serialisation(int major, int minor, int /*revision*/) -> bool { return major == 1 && minor == 4; }

auto knows_running_query_serialisation() -> bool {
    static const bool known = knows_query_serialisation(Xapian::major_version(), Xapian::minor_version(),
                                                        Xapian::revision());
    return known;
}

auto wildcard_pattern(const Xapian::Query& wildcard) -> std::optional<std::string> {
    if (wildcard.get_type() != Xapian::Query::OP_WILDCARD || !knows_running_query_serialisation()) return std::nullopt;
    // 0x0b, max expansion, limit type, combining operator, pattern length, pattern.
    const auto data = wildcard.serialise();
    SerialisedReader in(data);
    if (in.byte() != 0x0bU || !in.length() || !in.byte() || !in.byte()) return std::nullopt;
    const auto size = in.length();
    const auto pattern = in.rest();
    if (!size || *size != pattern.size()) return std::nullopt;
    return std::string(pattern);
}

auto positional_window(const Xapian::Query& query) -> std::optional<Xapian::termcount> {
    const auto op = query.get_type();
    if ((op != Xapian::Query::OP_PHRASE && op != Xapian::Query::OP_NEAR) || !knows_running_query_serialisation())
        return std::nullopt;
    std::vector<Xapian::Query> subqueries;
    for (std::size_t i = 0; i < query.get_num_subqueries(); ++i) subqueries.push_back(query.get_subquery(i));
    try {
        // The window is encoded (encode_length) after the operator's byte
        // and, for many subqueries, their count: each reading of the first
        // bytes is checked by building the group with it.
        const auto data = query.serialise();
        constexpr std::size_t max_header = 12;
        for (std::size_t at = 1; at < std::min(data.size(), max_header); ++at) {
            SerialisedReader in(std::string_view(data).substr(at));
            const auto window = in.length();
            if (!window || *window > std::numeric_limits<Xapian::termcount>::max()) continue;
            const auto found = static_cast<Xapian::termcount>(*window);
            if (Xapian::Query(op, subqueries.begin(), subqueries.end(), found).serialise() == data) return found;
        }
        return std::nullopt;
    } catch (const Xapian::Error&) {
        return std::nullopt;  // not serialisable: holds a posting source
    }
}

}  // namespace broadsheet::server
