#include "broadsheet/server/snippets.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "broadsheet/schema/text.hpp"
#include "broadsheet/server/snippet_passage.hpp"
#include "broadsheet/server/snippet_render.hpp"

namespace broadsheet::server {

namespace {

// A long body with only some of its chunks decompressed, the others left as a
// filler of the body's length. The filler is a word character, neither a space
// nor a sentence end, so the passage code reads as the body would read there
// as long as it stays within what is decompressed; a chunk starts with a word
// character (schema::BodyChunks), so its looks back over spaces and closing
// quotes stop inside it.
class PartialBody {
public:
    explicit PartialBody(const schema::BodyChunks& body)
        : m_body(body), m_buffer(buffer()), m_loaded(body.chunks().size(), false) {
        if (m_buffer.size() < body.size()) m_buffer.resize(body.size(), filler);
    }
    PartialBody(const PartialBody&) = delete;
    auto operator=(const PartialBody&) -> PartialBody& = delete;
    ~PartialBody() {
        // The buffer goes back as it came: all filler.
        for (std::size_t i = 0; i < m_loaded.size(); ++i)
            if (m_loaded[i])
                std::fill(m_buffer.begin() + static_cast<std::ptrdiff_t>(begin(i)),
                          m_buffer.begin() + static_cast<std::ptrdiff_t>(end(i)), filler);
    }

    [[nodiscard]] auto text() const -> std::string_view { return std::string_view(m_buffer).substr(0, m_body.size()); }
    [[nodiscard]] auto chunk_count() const -> std::size_t { return m_loaded.size(); }
    [[nodiscard]] auto begin(std::size_t i) const -> std::size_t { return m_body.chunks()[i].begin; }
    [[nodiscard]] auto end(std::size_t i) const -> std::size_t { return m_body.chunk_end(i); }

    [[nodiscard]] auto loaded_count() const -> std::size_t { return m_loaded_count; }

    void load(std::size_t i) {
        if (m_loaded[i]) return;
        m_loaded[i] = true;
        ++m_loaded_count;  // first: restored even if it is damaged and this throws
        m_body.decompress(i, m_buffer.data() + begin(i));
    }

    /// Loads every chunk with a byte in [from, to).
    void load_bytes(std::size_t from, std::size_t to) {
        for (std::size_t i = 0; i < chunk_count() && begin(i) < to; ++i)
            if (end(i) > from) load(i);
    }

private:
    static constexpr char filler = 'x';

    // Filling a fresh body-sized string for every hit would cost more than
    // the snippet: one buffer per thread, all filler between uses, is reused
    // (by one PartialBody at a time), and only the chunks read are restored.
    static auto buffer() -> std::string& {
        thread_local std::string text;
        return text;
    }

    const schema::BodyChunks& m_body;
    std::string& m_buffer;
    std::vector<bool> m_loaded;
    std::size_t m_loaded_count = 0;
};

// The positions in the body of the words find() can match, in order.
auto body_positions(const std::vector<SnippetTerms::PositionTerm>& terms, const schema::BodyChunks& body,
                    const Xapian::Database& db, Xapian::docid did) -> std::vector<TermPosition> {
    std::vector<TermPosition> positions;
    const auto from = body.chunks().front().first_position;
    for (const auto& term : terms) {
        const auto end = db.positionlist_end(did, term.name);
        for (auto p = db.positionlist_begin(did, term.name); p != end; ++p) {
            if (*p < from) continue;
            if (*p >= body.end_position()) break;
            positions.push_back({*p, &term.query_terms, term.alone});
        }
    }
    std::stable_sort(positions.begin(), positions.end(),
                     [](const TermPosition& a, const TermPosition& b) { return a.position < b.position; });
    return positions;
}

// The matches of a long body, found chunk by chunk as they are asked for. A
// run of chunks is scanned as one text, and a run ends only where the words
// on either side are not both matching words: a match (a word, or a run of
// neighbouring words) never crosses such a cut, so the scan of a run finds
// there what the scan of the whole body finds.
class ChunkScan {
public:
    ChunkScan(const SnippetTerms& terms, const schema::BodyChunks& body, PartialBody& partial,
              const std::vector<TermPosition>& positions)
        : m_terms(terms),
          m_body(body),
          m_partial(partial),
          m_positions(positions),
          m_scanned(body.chunks().size(), false) {}

    [[nodiscard]] auto matches() const -> const std::vector<TextMatch>& { return m_matches; }

    /// Scans the chunks holding the words at positions [from, to] that are
    /// not scanned yet; false when there were none.
    auto scan(Xapian::termpos from, Xapian::termpos to) -> bool {
        const auto& chunks = m_body.chunks();
        auto first = m_body.chunk_of_position(from);
        auto last = m_body.chunk_of_position(to);
        for (auto start = chunks[first].first_position; first > 0 && start > 0 && cut_between(start - 1);
             start = chunks[first].first_position)
            first = m_body.chunk_of_position(start - 1);
        for (; last + 1 < chunks.size() && cut_between(chunks[last + 1].first_position - 1);)
            last = m_body.chunk_of_position(chunks[last + 1].first_position);
        bool scanned = false;
        for (auto i = first; i <= last;) {
            if (m_scanned[i]) {
                ++i;
                continue;
            }
            auto end = i;
            while (end < last && !m_scanned[end + 1]) ++end;
            scan_run(i, end);
            scanned = true;
            i = end + 1;
        }
        return scanned;
    }

    /// Scans the chunks with a byte in [from, to) that hold matching words.
    void scan_bytes(std::size_t from, std::size_t to) {
        const auto& chunks = m_body.chunks();
        for (std::size_t i = 0; i < chunks.size() && chunks[i].begin < to; ++i) {
            if (m_scanned[i] || m_body.chunk_end(i) <= from) continue;
            const auto end = i + 1 < chunks.size() ? chunks[i + 1].first_position : m_body.end_position();
            auto p = std::lower_bound(m_positions.begin(), m_positions.end(), chunks[i].first_position, before);
            if (p == m_positions.end() || p->position >= end) continue;
            auto q = std::lower_bound(p, m_positions.end(), end, before);
            scan(p->position, std::prev(q)->position);
        }
    }

private:
    static auto before(const TermPosition& a, Xapian::termpos b) -> bool { return a.position < b; }

    [[nodiscard]] auto is_matching(Xapian::termpos position) const -> bool {
        const auto found = std::lower_bound(m_positions.begin(), m_positions.end(), position, before);
        return found != m_positions.end() && found->position == position;
    }
    // Whether the words at `position` and the next are both matching words.
    [[nodiscard]] auto cut_between(Xapian::termpos position) const -> bool {
        return is_matching(position) && is_matching(position + 1);
    }

    void scan_run(std::size_t first, std::size_t last) {
        for (auto k = first; k <= last; ++k) {
            m_partial.load(k);
            m_scanned[k] = true;
        }
        const auto from = m_partial.begin(first);
        const auto char_from = m_body.chunks()[first].char_begin;
        const auto found = m_terms.find(m_partial.text().substr(from, m_partial.end(last) - from));
        if (found.empty()) return;
        const auto old_size = m_matches.size();
        for (auto match : found) {
            match.begin += from;
            match.end += from;
            match.char_begin += char_from;
            match.char_end += char_from;
            m_matches.push_back(match);
        }
        std::inplace_merge(m_matches.begin(), m_matches.begin() + static_cast<std::ptrdiff_t>(old_size),
                           m_matches.end(), [](const TextMatch& a, const TextMatch& b) { return a.begin < b.begin; });
    }

    const SnippetTerms& m_terms;
    const schema::BodyChunks& m_body;
    PartialBody& m_partial;
    const std::vector<TermPosition>& m_positions;
    std::vector<bool> m_scanned;
    std::vector<TextMatch> m_matches;
};

auto window_bound(const std::vector<TextMatch>& matches, std::size_t first, std::size_t last) -> WindowBound {
    std::vector<std::uint32_t> terms;
    for (auto i = first; i < last; ++i) terms.push_back(matches[i].term);
    std::sort(terms.begin(), terms.end());
    return {static_cast<std::size_t>(std::unique(terms.begin(), terms.end()) - terms.begin()), last - first};
}

auto chunk_of_byte(const schema::BodyChunks& body, std::size_t at) -> std::size_t {
    const auto& chunks = body.chunks();
    const auto after = std::upper_bound(chunks.begin(), chunks.end(), at,
                                        [](std::size_t b, const schema::BodyChunks::Chunk& c) { return b < c.begin; });
    return static_cast<std::size_t>(after - chunks.begin()) - 1;
}

}  // namespace

auto make_snippet(const SnippetTerms& terms, std::string_view text, int length) -> std::string {
    const auto matches = terms.find(text);
    const auto passage = choose_passage(text, matches, static_cast<std::size_t>(std::max(length, 1)));
    return passage ? render_passage(text, *passage, matches) : std::string();
}

auto ChunkedSnippets::make(const schema::BodyChunks& body, Xapian::docid did, int length) -> std::string {
    if (!m_position_terms) m_position_terms = m_terms.position_terms(m_db);
    const auto& position_terms = *m_position_terms;
    if (!position_terms) {
        m_chunks_read += body.chunks().size();
        return make_snippet(m_terms, body.text(), length);
    }
    const auto chars = static_cast<std::size_t>(std::max(length, 1));
    // Everything the passage code reads lies within this many bytes of the
    // matches it is given (a character is at most 4 bytes), but for runs of
    // spaces, which stop at a chunk's first character.
    const auto margin = 4 * chars + 64;

    PartialBody partial(body);
    const auto positions = body_positions(*position_terms, body, m_db, did);
    ChunkScan scan(m_terms, body, partial, positions);
    // The densest window of the matches scanned so far is the densest of all
    // once no window left to scan can hold more (windows_by_bound). The
    // matches scanned are some of the body's, so a window of them holds at
    // most what it holds in the whole body, and the densest of them is the
    // same window as densest_matches finds over all.
    std::optional<WindowBound> best;
    std::size_t best_chunk = 0;
    for (const auto& candidate : windows_by_bound(match_starts(positions), chars)) {
        if (best && (candidate.bound < *best ||
                     (candidate.bound == *best && body.chunk_of_position(candidate.position) > best_chunk)))
            break;
        if (!scan.scan(candidate.position, candidate.last_position) || scan.matches().empty()) continue;
        const auto& matches = scan.matches();
        const auto [first, last] = densest_matches(matches, chars);
        best = window_bound(matches, first, last);
        best_chunk = chunk_of_byte(body, matches[first].begin);
    }

    if (scan.matches().empty()) {
        // The start of the text: up to its first character that is not a space, and the length after it.
        std::size_t at = 0;
        bool found = false;
        for (std::size_t i = 0; i < partial.chunk_count(); ++i) {
            partial.load(i);
            const auto text = partial.text();
            while (!found && at < partial.end(i)) {
                const auto c = schema::decode_char(text, at);
                if (!is_space(c.code)) found = true;
                else at += c.size;
            }
            if (found && partial.end(i) >= at + margin) break;
        }
    } else {
        const auto& matches = scan.matches();
        const auto [first, last] = densest_matches(matches, chars);
        const auto head = matches[first].begin;
        const auto from = head - std::min(head, margin);
        const auto to = matches[last - 1].end + margin;
        partial.load_bytes(from, to);
        // The matches in what the passage can show are marked too.
        scan.scan_bytes(from, to);
    }
    m_chunks_read += partial.loaded_count();
    const auto text = partial.text();
    const auto& matches = scan.matches();
    const auto passage = choose_passage(text, matches, chars);
    return passage ? render_passage(text, *passage, matches) : std::string();
}

auto highlight_all(const SnippetTerms& terms, std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    append_marked(out, text, 0, text.size(), terms.find(text));
    return out;
}

}  // namespace broadsheet::server
