#include "broadsheet/server/snippets.hpp"

#include <algorithm>

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

    void load(std::size_t i) {
        if (m_loaded[i]) return;
        m_loaded[i] = true;  // first: restored even if it is damaged and this throws
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
};

// Which chunks can hold a match: those with a position of one of the terms,
// and the chunks without an indexed word just before them (a phrase may run
// across those). Every word find() matches is at such a position, so the
// other chunks hold none.
auto chunks_with_matches(const std::vector<std::string>& terms, const schema::BodyChunks& body,
                         const Xapian::Database& db, Xapian::docid did) -> std::vector<bool> {
    const auto& chunks = body.chunks();
    std::vector<bool> wanted(chunks.size(), false);
    for (const auto& term : terms) {
        const auto end = db.positionlist_end(did, term);
        for (auto p = db.positionlist_begin(did, term); p != end; ++p) {
            if (*p < chunks.front().first_position || *p >= body.end_position()) continue;
            wanted[body.chunk_of_position(*p)] = true;
        }
    }
    for (std::size_t i = chunks.size(); i-- > 1;)
        if (wanted[i] && chunks[i - 1].first_position == chunks[i].first_position) wanted[i - 1] = true;
    return wanted;
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
    const auto& terms = m_terms;
    if (!position_terms) return make_snippet(terms, body.text(), length);
    const auto chars = static_cast<std::size_t>(std::max(length, 1));
    // Everything the passage code reads lies within this many bytes of the
    // matches it is given (a character is at most 4 bytes), but for runs of
    // spaces, which stop at a chunk's first character.
    const auto margin = 4 * chars + 64;

    PartialBody partial(body);
    const auto wanted = chunks_with_matches(*position_terms, body, m_db, did);
    std::vector<TextMatch> matches;
    for (std::size_t i = 0; i < wanted.size();) {
        if (!wanted[i]) {
            ++i;
            continue;
        }
        // A run of wanted chunks is read as one text: a phrase may cross chunks.
        auto last = i;
        while (last + 1 < wanted.size() && wanted[last + 1]) ++last;
        for (auto k = i; k <= last; ++k) partial.load(k);
        const auto from = partial.begin(i);
        const auto char_from = body.chunks()[i].char_begin;
        for (auto match : terms.find(partial.text().substr(from, partial.end(last) - from))) {
            match.begin += from;
            match.end += from;
            match.char_begin += char_from;
            match.char_end += char_from;
            matches.push_back(match);
        }
        i = last + 1;
    }

    if (matches.empty()) {
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
        const auto [first, last] = densest_matches(matches, chars);
        const auto head = matches[first].begin;
        partial.load_bytes(head - std::min(head, margin), matches[last - 1].end + margin);
    }
    const auto text = partial.text();
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
