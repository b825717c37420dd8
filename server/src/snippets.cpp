#include "broadsheet/server/snippets.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>

#include "broadsheet/server/html.hpp"

namespace broadsheet::server {

namespace {

constexpr std::string_view mark_open = "<mark>";
constexpr std::string_view mark_close = "</mark>";
constexpr std::string_view ellipsis = "…";

// The TermGenerator's default: a longer word is not indexed, and takes no position.
constexpr std::size_t max_word_bytes = 64;

// ---------------------------------------------------------------- characters

struct Char {
    unsigned code;
    std::size_t size;
};

auto byte_at(std::string_view text, std::size_t at) -> unsigned { return static_cast<unsigned char>(text[at]); }

auto is_continuation(unsigned byte) -> bool { return (byte & 0xc0) == 0x80; }

// The character at `at`. A byte that does not start a valid sequence is a
// character of its own (Latin-1, as Xapian's Utf8Iterator reads it), so a cut
// between characters never splits a valid sequence.
auto decode(std::string_view text, std::size_t at) -> Char {
    const auto lead = byte_at(text, at);
    if (lead < 0x80) return {lead, 1};
    std::size_t size = 0;
    unsigned code = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        size = 2;
        code = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        size = 3;
        code = lead & 0x0f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        size = 4;
        code = lead & 0x07;
    } else {
        return {lead, 1};
    }
    if (size > text.size() - at) return {lead, 1};
    for (std::size_t k = 1; k < size; ++k) {
        const auto byte = byte_at(text, at + k);
        if (!is_continuation(byte)) return {lead, 1};
        code = (code << 6) | (byte & 0x3f);
    }
    const bool overlong = (size == 3 && code < 0x800) || (size == 4 && code < 0x10000);
    if (overlong || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return {lead, 1};
    return {code, size};
}

// The start of the character that ends at `at` (at > 0).
auto previous(std::string_view text, std::size_t at) -> std::size_t {
    auto start = at - 1;
    const auto stop = at >= 4 ? at - 4 : 0;
    while (start > stop && is_continuation(byte_at(text, start))) --start;
    return start + decode(text, start).size == at ? start : at - 1;
}

constexpr std::uint64_t every_byte = 0x0101010101010101;

auto load8(std::string_view text, std::size_t at) -> std::uint64_t {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + at, sizeof word);
    return word;
}

auto count_chars(std::string_view text, std::size_t from, std::size_t to) -> std::size_t {
    std::size_t chars = 0;
    auto at = from;
    // Eight bytes at a time: a continuation byte is 10xxxxxx.
    for (; at + 8 <= to; at += 8) {
        const auto word = load8(text, at);
        const auto continuation = (word >> 7) & ~(word >> 6) & every_byte;
        chars += 8 - static_cast<std::size_t>((continuation * every_byte) >> 56);  // the sum of the bytes
    }
    for (; at < to; ++at) chars += is_continuation(byte_at(text, at)) ? 0 : 1;
    return chars;
}

// `chars` characters on from `at`, or the end of the text.
auto forward(std::string_view text, std::size_t at, std::size_t chars) -> std::size_t {
    for (; chars > 0 && at < text.size(); --chars) at += decode(text, at).size;
    return at;
}

// `chars` characters back from `at`, or the start of the text.
auto backward(std::string_view text, std::size_t at, std::size_t chars) -> std::size_t {
    for (; chars > 0 && at > 0; --chars) at = previous(text, at);
    return at;
}

// Xapian::Unicode::is_wordchar for ASCII: letters, digits and "_".
constexpr auto ascii_word_chars = [] {
    std::array<bool, 128> table{};
    for (unsigned c = 0; c < table.size(); ++c)
        table[c] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    return table;
}();

auto is_wordchar(unsigned c) -> bool { return c < 128 ? ascii_word_chars[c] : Xapian::Unicode::is_wordchar(c); }

auto is_ascii_space(unsigned c) -> bool {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

auto is_space(unsigned c) -> bool { return c < 128 ? is_ascii_space(c) : Xapian::Unicode::is_whitespace(c); }

auto is_digit(unsigned c) -> bool {
    if (c < 128) return c >= '0' && c <= '9';
    return Xapian::Unicode::get_category(c) == Xapian::Unicode::DECIMAL_DIGIT_NUMBER;
}

auto is_ascii_upper(unsigned c) -> bool { return c >= 'A' && c <= 'Z'; }

void append_lower(std::string& out, unsigned c) {
    if (c < 128)
        out += static_cast<char>(is_ascii_upper(c) ? c + ('a' - 'A') : c);
    else
        Xapian::Unicode::append_utf8(out, Xapian::Unicode::tolower(c));
}

// ---------------------------------------------------------------- words

constexpr unsigned ignored_joiner = 0xffffffff;

auto is_zero_width(unsigned c) -> bool { return c >= 0x200b && (c <= 0x200d || c == 0x2060 || c == 0xfeff); }

// A character that joins two letters into one word ("AT&T", "don't"), as it
// goes into the term; 0 if it separates them.
auto word_joiner(unsigned c) -> unsigned {
    if (c == '&' || c == '\'' || c == 0xb7 || c == 0x5f4 || c == 0x2027) return c;
    if (c == 0x2019 || c == 0x201b) return '\'';  // typographic apostrophes
    return is_zero_width(c) ? ignored_joiner : 0;
}

// The same between two digits ("1,000.5").
auto digit_joiner(unsigned c) -> unsigned {
    switch (c) {
        case ',': case '.': case ';': case 0x37e: case 0x589: case 0x60d: case 0x7f8: case 0x2044:
        case 0xfe10: case 0xfe13: case 0xfe14:
            return c;
        default:
            return is_zero_width(c) ? ignored_joiner : 0;
    }
}

struct Word {
    std::size_t begin = 0;
    std::size_t end = 0;
};

// Splits text into words the way Xapian's TermGenerator does, so that a word
// here is a term (and a position) in the index: runs of word characters,
// joined by "&" or an apostrophe between letters and by "," or "." between
// digits; initials ("U.S.") as one word; "+" and "#" kept at the end ("C++").
class WordReader {
public:
    // With `wanted`, the lower-case form is only built for words whose form
    // starts with a wanted byte; others come back with an empty term.
    WordReader(std::string_view text, const std::array<bool, 256>* wanted)
        : m_text(text), m_wanted(wanted) {}

    /// Reads on from `at`, which must not be inside a word.
    void seek(std::size_t at) { m_at = at; }

    // The next word and its lower-case form; false at the end of the text.
    auto next(Word& word, std::string& term) -> bool {
        const auto n = m_text.size();
        while (m_at < n) {
            const auto byte = byte_at(m_text, m_at);
            if (byte < 0x80) {
                if (ascii_word_chars[byte]) break;
                ++m_at;
                continue;
            }
            const auto c = decode(m_text, m_at);
            if (Xapian::Unicode::is_wordchar(c.code)) break;
            m_at += c.size;
        }
        if (m_at >= n) return false;
        term.clear();
        word.begin = m_at;
        if (read_initials(word, term)) return true;

        auto at = m_at;
        unsigned last = 0;
        bool build = true;
        bool checked = false;
        while (true) {
            while (at < n) {
                const auto byte = byte_at(m_text, at);
                if (byte < 0x80) {
                    if (!ascii_word_chars[byte]) break;
                    if (build) term += static_cast<char>(is_ascii_upper(byte) ? byte + ('a' - 'A') : byte);
                    last = byte;
                    ++at;
                } else {
                    const auto c = decode(m_text, at);
                    if (!Xapian::Unicode::is_wordchar(c.code)) break;
                    if (build) append_lower(term, c.code);
                    last = c.code;
                    at += c.size;
                }
                if (!checked) {
                    // Its first letter decides whether the word could match at all.
                    checked = true;
                    if (m_wanted && !(*m_wanted)[static_cast<unsigned char>(term.front())]) {
                        build = false;
                        term.clear();
                    }
                }
            }
            if (at >= n) break;
            const auto joiner = decode(m_text, at);
            // Most words end at a space: no need to look further.
            if (joiner.code < 128 && joiner.code != '&' && joiner.code != '\'' && joiner.code != ',' &&
                joiner.code != '.' && joiner.code != ';')
                break;
            const auto after = at + joiner.size;
            if (after >= n) break;
            const auto following = decode(m_text, after).code;
            if (!is_wordchar(following)) break;
            const auto joined =
                is_digit(last) && is_digit(following) ? digit_joiner(joiner.code) : word_joiner(joiner.code);
            if (joined == 0) break;
            if (joined != ignored_joiner && build) Xapian::Unicode::append_utf8(term, joined);
            at = after;
        }
        word.end = at;
        // Up to three "+" or "#" end a word ("C++", "C#"), unless a word
        // character follows ("fish+chips").
        auto suffix_end = at;
        while (suffix_end < n && suffix_end - at < 4 && (m_text[suffix_end] == '+' || m_text[suffix_end] == '#'))
            ++suffix_end;
        const auto suffix = suffix_end - at;
        if (suffix > 0 && suffix <= 3 && (suffix_end == n || !is_wordchar(decode(m_text, suffix_end).code))) {
            if (build) term.append(m_text.substr(at, suffix));
            word.end = suffix_end;
        }
        m_at = word.end;
        return true;
    }

private:
    // Capital letters separated by dots ("U.S.", "P.T.O"): one word without the dots.
    auto read_initials(Word& word, std::string& term) -> bool {
        const auto n = m_text.size();
        if (!is_ascii_upper(byte_at(m_text, m_at))) return false;
        auto at = m_at;
        do {
            append_lower(term, byte_at(m_text, at));
            ++at;
        } while (at < n && m_text[at] == '.' && ++at < n && is_ascii_upper(byte_at(m_text, at)));
        if (term.size() > 1 && (at == n || !is_wordchar(decode(m_text, at).code))) {
            word.end = at;
            m_at = at;
            return true;
        }
        term.clear();
        return false;
    }

    std::string_view m_text;
    const std::array<bool, 256>* m_wanted;
    std::size_t m_at = 0;
};

// Whether a word the index has a position for lies in text[from, to), from
// not inside a word.
auto has_word(std::string_view text, std::size_t from, std::size_t to) -> bool {
    static constexpr std::array<bool, 256> none{};
    WordReader reader(text.substr(0, to), &none);
    reader.seek(from);
    Word word;
    std::string term;
    while (reader.next(word, term))
        if (word.end - word.begin <= max_word_bytes) return true;
    return false;
}

// Letters, as the TermGenerator decides whether to stem a word (not "1990s").
auto starts_with_letter(const std::string& word) -> bool {
    const auto c = decode(word, 0).code;
    if (c < 128) return (c >= 'a' && c <= 'z') || is_ascii_upper(c);
    switch (Xapian::Unicode::get_category(c)) {
        case Xapian::Unicode::LOWERCASE_LETTER:
        case Xapian::Unicode::TITLECASE_LETTER:
        case Xapian::Unicode::MODIFIER_LETTER:
        case Xapian::Unicode::OTHER_LETTER:
            return true;
        default:
            return false;
    }
}

// ---------------------------------------------------------------- the query

// Xapian 1.4 has no public accessor for a wildcard's pattern or a phrase's
// window, but both are in the query's serialisation (a stable format: remote
// databases exchange it). These read the few fields needed and give up on
// anything unexpected, so a query never fails because of its highlighting.
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
            value |= static_cast<std::size_t>(*next & 0x7f) << shift;
            if (*next & 0x80) return value + 255;
        }
        return std::nullopt;
    }
    auto rest() const -> std::string { return std::string(m_data.substr(m_at)); }

private:
    std::string_view m_data;
    std::size_t m_at = 0;
};

auto wildcard_pattern(const Xapian::Query& query) -> std::optional<std::string> {
    // 0x0b, max expansion, limit type, combining operator, pattern length, pattern.
    const auto data = query.serialise();
    SerialisedReader in(data);
    if (in.byte() != 0x0bu || !in.length() || !in.byte() || !in.byte()) return std::nullopt;
    auto size = in.length();
    auto pattern = in.rest();
    if (!size || *size != pattern.size()) return std::nullopt;
    return pattern;
}

// True for a phrase whose words must be adjacent ("..."), false for a looser
// window (ADJ/3).
auto is_tight_phrase(const Xapian::Query& query) -> bool {
    // 0xf8 | subquery count (0: count - 8 follows), then the window.
    const auto data = query.serialise();
    SerialisedReader in(data);
    auto head = in.byte();
    if (!head || (*head & 0xf8) != 0xf8) return false;
    std::optional<std::size_t> count = *head & 0x07;
    if (*count == 0) {
        count = in.length();
        if (count) *count += 8;
    }
    auto window = in.length();
    return count && window && *count == query.get_num_subqueries() && *window == *count;
}

auto low_bits(unsigned n) -> std::uint64_t { return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1; }

}  // namespace

void SnippetTerms::Hit::add(const Hit& other) {
    if (term < 0) term = other.term;
    elements |= other.elements;
}

SnippetTerms::SnippetTerms(const Xapian::Query& query, const schema::Schema& schema, const schema::FieldSpec& field)
    : m_prefix(field.prefix),
      m_unprefixed(field.weight > 0),
      m_stemmer(schema.stemmer()),
      m_stopper(schema.stopper()) {
    const auto& language = schema.language();
    m_stem_keeps_first_letter = language == "english" || language == "en" || language == "porter";
    if (!query.empty()) collect(query);
}

// The word a query term stands for in this field, or "" if the term is not
// about this field (another field's prefix, a filter, an id).
auto SnippetTerms::field_word(const std::string& term, bool& stemmed) const -> std::string {
    std::string_view rest = term;
    if (stemmed && !rest.empty() && rest.front() == 'Z') {
        rest.remove_prefix(1);
    } else {
        stemmed = false;
    }
    if (!m_prefix.empty() && rest.starts_with(m_prefix)) {
        rest.remove_prefix(m_prefix.size());
    } else if (!m_unprefixed || rest.empty() || is_ascii_upper(static_cast<unsigned char>(rest.front()))) {
        return {};
    }
    return std::string(rest);
}

void SnippetTerms::collect(const Xapian::Query& query) {
    switch (query.get_type()) {
        case Xapian::Query::LEAF_TERM:
            add_loose(*query.get_terms_begin());
            return;
        case Xapian::Query::OP_WILDCARD:
            if (auto pattern = wildcard_pattern(query)) add_wildcard(*pattern);
            return;
        case Xapian::Query::OP_AND_NOT:  // what follows the first is excluded
        case Xapian::Query::OP_FILTER:   // what follows the first only filters
            collect(query.get_subquery(0));
            return;
        case Xapian::Query::OP_PHRASE:
            if (is_tight_phrase(query)) {
                std::vector<std::vector<WordPattern>> words;
                bool simple = true;
                for (std::size_t i = 0; simple && i < query.get_num_subqueries(); ++i) {
                    auto sub = query.get_subquery(i);
                    std::vector<Xapian::Query> alternatives;
                    if (sub.get_type() == Xapian::Query::OP_SYNONYM || sub.get_type() == Xapian::Query::OP_OR) {
                        for (std::size_t k = 0; k < sub.get_num_subqueries(); ++k)
                            alternatives.push_back(sub.get_subquery(k));
                    } else {
                        alternatives.push_back(sub);
                    }
                    std::vector<WordPattern> word;
                    for (const auto& alternative : alternatives) {
                        bool stemmed = true;
                        if (alternative.get_type() == Xapian::Query::LEAF_TERM) {
                            auto text = field_word(*alternative.get_terms_begin(), stemmed);
                            if (text.find(' ') != std::string::npos) simple = false;
                            if (!text.empty())
                                word.push_back({stemmed ? WordPattern::Kind::stem : WordPattern::Kind::exact, text});
                        } else if (alternative.get_type() == Xapian::Query::OP_WILDCARD) {
                            auto pattern = wildcard_pattern(alternative);
                            stemmed = false;
                            auto text = pattern ? field_word(*pattern, stemmed) : std::string();
                            if (!text.empty()) word.push_back({WordPattern::Kind::wildcard, text});
                        } else {
                            simple = false;
                        }
                    }
                    // A word of another field: the phrase is not about this one.
                    if (word.empty()) return;
                    words.push_back(std::move(word));
                }
                if (simple) {
                    add_sequence(words);
                    return;
                }
            }
            break;  // a looser phrase: its words on their own
        case Xapian::Query::LEAF_POSTING_SOURCE:
        case Xapian::Query::LEAF_MATCH_ALL:
        case Xapian::Query::LEAF_MATCH_NOTHING:
        case Xapian::Query::OP_VALUE_RANGE:
        case Xapian::Query::OP_VALUE_GE:
        case Xapian::Query::OP_VALUE_LE:
            return;
        default:
            break;
    }
    for (std::size_t i = 0; i < query.get_num_subqueries(); ++i) collect(query.get_subquery(i));
}

void SnippetTerms::add_pattern(const WordPattern& pattern, const Hit& hit) {
    if (pattern.text.empty()) return;
    switch (pattern.kind) {
        case WordPattern::Kind::exact:
            m_exact[pattern.text].add(hit);
            m_first_bytes[static_cast<unsigned char>(pattern.text.front())] = true;
            break;
        case WordPattern::Kind::stem:
            m_stems[pattern.text].add(hit);
            m_stem_keys.emplace_back(pattern.text.substr(0, pattern.text.size() > 4 ? pattern.text.size() - 3 : 1),
                                     pattern.text.size());
            if (m_stem_keeps_first_letter) {
                m_first_bytes[static_cast<unsigned char>(pattern.text.front())] = true;
            } else {
                m_first_bytes.fill(true);
            }
            break;
        case WordPattern::Kind::wildcard: {
            auto existing = std::find_if(m_wildcards.begin(), m_wildcards.end(),
                                         [&](const auto& w) { return w.first == pattern.text; });
            if (existing == m_wildcards.end())
                m_wildcards.emplace_back(pattern.text, hit);
            else
                existing->second.add(hit);
            m_first_bytes[static_cast<unsigned char>(pattern.text.front())] = true;
            break;
        }
    }
}

void SnippetTerms::add_loose(const std::string& term) {
    bool stemmed = true;
    auto word = field_word(term, stemmed);
    if (word.empty()) return;
    const auto kind = stemmed ? WordPattern::Kind::stem : WordPattern::Kind::exact;
    if (word.find(' ') != std::string::npos) {
        // A run of words as one term ("united states", from a synonym).
        std::vector<std::vector<WordPattern>> words;
        for (std::size_t start = 0; start < word.size();) {
            auto space = std::min(word.find(' ', start), word.size());
            if (space > start) words.push_back({{kind, word.substr(start, space - start)}});
            start = space + 1;
        }
        if (words.size() > 1) {
            add_sequence(words);
            return;
        }
        if (words.empty()) return;
        word = words.front().front().text;
    }
    const auto& known = stemmed ? m_stems : m_exact;
    if (auto it = known.find(word); it != known.end() && it->second.term >= 0) return;  // twice in the query
    add_pattern({kind, word}, Hit{static_cast<std::int32_t>(m_term_count++), 0});
}

void SnippetTerms::add_wildcard(const std::string& pattern) {
    bool stemmed = false;
    auto text = field_word(pattern, stemmed);
    // A bare "*" would mark every word: nothing worth showing.
    if (text.empty()) return;
    add_pattern({WordPattern::Kind::wildcard, text}, Hit{static_cast<std::int32_t>(m_term_count++), 0});
}

void SnippetTerms::add_sequence(const std::vector<std::vector<WordPattern>>& words) {
    if (words.size() > 64 - m_element_bits) {
        // Out of bits (a query of many long phrases): mark these words on their own.
        for (const auto& word : words)
            for (const auto& pattern : word) add_pattern(pattern, Hit{static_cast<std::int32_t>(m_term_count), 0});
        ++m_term_count;
        return;
    }
    const Sequence sequence{m_term_count++, m_element_bits, static_cast<unsigned>(words.size())};
    for (std::size_t i = 0; i < words.size(); ++i) {
        const Hit element{-1, std::uint64_t{1} << (sequence.first_bit + i)};
        for (const auto& pattern : words[i]) add_pattern(pattern, element);
    }
    m_element_bits += sequence.size;
    m_sequences.push_back(sequence);
}

auto SnippetTerms::lookup(const std::string& word, std::unordered_map<std::string, Hit>& stem_cache) const -> Hit {
    Hit hit;
    if (word.empty() || !m_first_bytes[static_cast<unsigned char>(word.front())]) return hit;
    if (!m_exact.empty())
        if (auto it = m_exact.find(word); it != m_exact.end()) hit.add(it->second);
    for (const auto& [pattern, wildcard] : m_wildcards)
        if (word.starts_with(pattern)) hit.add(wildcard);
    // Stemming every word of a long speech would cost more than the rest of
    // the scan: only words that can stem to a query's stem are, once each.
    if (!m_stems.empty() && (!m_stem_keeps_first_letter || could_stem_to_query(word))) {
        auto cached = stem_cache.find(word);
        if (cached == stem_cache.end()) {
            Hit stemmed;
            // Stopwords are indexed unstemmed, so a stem never matches them.
            if (starts_with_letter(word) && !(m_stopper && (*m_stopper)(word))) {
                if (auto it = m_stems.find(m_stemmer(word)); it != m_stems.end()) stemmed = it->second;
            }
            cached = stem_cache.emplace(word, stemmed).first;
        }
        hit.add(cached->second);
    }
    return hit;
}

auto SnippetTerms::find(std::string_view text) const -> std::vector<TextMatch> {
    std::vector<TextMatch> matches;
    if (empty() || text.empty()) return matches;

    // A phrase ends at the current word: its first word's start is this far back.
    unsigned longest = 0;
    for (const auto& sequence : m_sequences) longest = std::max(longest, sequence.size);
    std::vector<std::size_t> recent_starts(longest, 0);
    // For each phrase, bit i: the last i + 1 words match its first i + 1 (shift-and).
    std::vector<std::uint64_t> progress(m_sequences.size(), 0);
    bool in_progress = false;

    auto add = [&](TextMatch match) {
        // A phrase takes in the single words it covers, and overlapping
        // phrases ("bank bank" in "bank bank bank") become one run.
        while (!matches.empty() && matches.back().begin >= match.begin) {
            match.end = std::max(match.end, matches.back().end);
            matches.pop_back();
        }
        if (!matches.empty() && matches.back().end > match.begin) {
            matches.back().end = std::max(matches.back().end, match.end);
            return;
        }
        matches.push_back(match);
    };

    std::unordered_map<std::string, Hit> stem_cache;
    std::size_t words = 0;
    std::size_t last_end = 0;
    auto read = [&](const Word& word, const std::string& term) {
        // (A word not looked at has no term: its own length is near enough.)
        if ((term.empty() ? word.end - word.begin : term.size()) > max_word_bytes) return;
        const auto hit = lookup(term, stem_cache);
        // Words were skipped since the last one read: a phrase starts afresh.
        if (in_progress && has_word(text, last_end, word.begin)) {
            std::fill(progress.begin(), progress.end(), 0);
            in_progress = false;
        }
        last_end = word.end;
        if (longest > 0) recent_starts[words % longest] = word.begin;
        ++words;
        if (hit.term >= 0) add({word.begin, word.end, 0, 0, static_cast<std::uint32_t>(hit.term)});
        if (hit.elements == 0) {
            if (in_progress) std::fill(progress.begin(), progress.end(), 0);
            in_progress = false;
            return;
        }
        in_progress = true;
        for (std::size_t k = 0; k < m_sequences.size(); ++k) {
            const auto& sequence = m_sequences[k];
            const auto mask = (hit.elements >> sequence.first_bit) & low_bits(sequence.size);
            progress[k] = ((progress[k] << 1) | 1) & mask;
            if ((progress[k] >> (sequence.size - 1)) & 1) {
                const auto first = recent_starts[(words - sequence.size) % longest];
                add({first, word.end, 0, 0, sequence.term});
            }
        }
    };

    // Splitting all of a 200 KB speech into words costs more than finding the
    // few places where a matching word can start: a byte a matching word's
    // lower-case form can start with (in either case; any non-ASCII byte, as
    // "İ" lower-cases to "i"), not preceded by a letter. Only the text from
    // the space before such a place is split, and a word never spans a space.
    std::array<bool, 256> may_start{};
    for (unsigned b = 0; b < may_start.size(); ++b) {
        if (b >= 0x80) {
            may_start[b] = true;
        } else if (m_first_bytes[b]) {
            may_start[b] = true;
            if (b >= 'a' && b <= 'z') may_start[b - ('a' - 'A')] = true;
        }
    }
    // With few such bytes (a query of a word or two), eight bytes at a time
    // are checked for them (and for non-ASCII bytes).
    std::vector<std::uint64_t> ascii_starts;
    for (unsigned b = 0; b < 0x80; ++b)
        if (may_start[b]) ascii_starts.push_back(every_byte * b);
    const bool eight_at_a_time = ascii_starts.size() <= 8;
    constexpr auto high_bits = every_byte << 7;
    auto maybe_in_eight = [&](std::size_t at) {
        // The top bit of each byte that may be one of them (or non-ASCII).
        const auto word = load8(text, at);
        auto found = word & high_bits;
        for (auto pattern : ascii_starts) {
            const auto x = word ^ pattern;  // a zero byte where it matches
            found |= (x - every_byte) & ~x & high_bits;
        }
        return found;
    };
    auto starts_here = [&](std::size_t at) {
        if (!may_start[byte_at(text, at)]) return false;
        if (at == 0) return true;
        const auto before = byte_at(text, at - 1);
        return before < 0x80 ? !ascii_word_chars[before] : !is_wordchar(decode(text, previous(text, at)).code);
    };

    WordReader reader(text, &m_first_bytes);
    Word word;
    std::string term;
    const auto n = text.size();
    for (std::size_t done = 0; done < n;) {
        auto at = done;
        while (at < n) {
            if (eight_at_a_time && at + 8 <= n) {
                auto found = maybe_in_eight(at);
                for (; found != 0; found &= found - 1) {
                    const auto candidate = at + static_cast<std::size_t>(std::countr_zero(found)) / 8;
                    if (starts_here(candidate)) break;
                }
                if (found != 0) {
                    at += static_cast<std::size_t>(std::countr_zero(found)) / 8;
                    break;
                }
                at += 8;
            } else if (starts_here(at)) {
                break;
            } else {
                ++at;
            }
        }
        if (at >= n) break;
        auto from = at;
        while (from > done && !is_ascii_space(byte_at(text, from - 1))) --from;
        reader.seek(from);
        done = n;
        while (reader.next(word, term)) {
            read(word, term);
            if (word.end > at) {
                done = word.end;
                break;
            }
        }
    }

    std::size_t at = 0;
    std::size_t chars = 0;
    auto chars_to = [&](std::size_t target) {
        chars += count_chars(text, at, target);
        at = target;
        return chars;
    };
    for (auto& match : matches) {
        match.char_begin = chars_to(match.begin);
        match.char_end = chars_to(match.end);
    }
    return matches;
}

namespace {

// ---------------------------------------------------------------- output

// text[from, to) escaped, the parts of `matches` in it marked. Marks with only
// spaces between them become one span, so a phrase reads as one highlight.
void render(std::string& out, std::string_view text, std::size_t from, std::size_t to,
            const std::vector<TextMatch>& matches) {
    auto match = std::lower_bound(matches.begin(), matches.end(), from,
                                  [](const TextMatch& m, std::size_t at) { return m.end <= at; });
    auto at = from;
    bool open = false;
    for (; match != matches.end() && match->begin < to; ++match) {
        const auto begin = std::max(match->begin, from);
        const auto end = std::min(match->end, to);
        const auto gap = text.substr(at, begin - at);
        if (open && gap.find_first_not_of(' ') != std::string_view::npos) {
            out += mark_close;
            open = false;
        }
        append_html_escaped(out, gap);
        if (!open) out += mark_open;
        open = true;
        append_html_escaped(out, text.substr(begin, end - begin));
        at = end;
    }
    if (open) out += mark_close;
    append_html_escaped(out, text.substr(at, to - at));
}

auto skip_spaces(std::string_view text, std::size_t at, std::size_t limit) -> std::size_t {
    while (at < limit) {
        const auto c = decode(text, at);
        if (!is_space(c.code)) break;
        at += c.size;
    }
    return at;
}

auto trim_spaces_back(std::string_view text, std::size_t at, std::size_t limit) -> std::size_t {
    while (at > limit) {
        const auto before = previous(text, at);
        if (!is_space(decode(text, before).code)) break;
        at = before;
    }
    return at;
}

// Where a passage cut at `at` should start so that it does not begin inside
// a word: the next run of text after a space, else the next word, not past `limit`.
auto snap_start(std::string_view text, std::size_t at, std::size_t limit) -> std::size_t {
    if (at == 0 || at >= limit || is_space(decode(text, previous(text, at)).code) || is_space(decode(text, at).code))
        return skip_spaces(text, at, limit);
    for (auto p = at; p < limit;) {
        const auto c = decode(text, p);
        if (is_space(c.code)) return skip_spaces(text, p, limit);
        p += c.size;
    }
    for (auto p = at; p < limit;) {
        const auto c = decode(text, p);
        if (is_wordchar(c.code) && !is_wordchar(decode(text, previous(text, p)).code)) return p;
        p += c.size;
    }
    return at;
}

// Where a passage cut at `at` should end so that it does not stop inside a
// word: the end of the run of text before a space, else of a word, not before
// `limit`; `at` itself if a single word spans it.
auto snap_end(std::string_view text, std::size_t at, std::size_t limit) -> std::size_t {
    if (at >= text.size()) return trim_spaces_back(text, text.size(), limit);
    if (at <= limit || is_space(decode(text, at).code) || is_space(decode(text, previous(text, at)).code))
        return trim_spaces_back(text, at, limit);
    for (auto p = at; p > limit;) {
        const auto before = previous(text, p);
        if (is_space(decode(text, before).code)) return trim_spaces_back(text, before, limit);
        p = before;
    }
    for (auto p = at; p > limit; p = previous(text, p)) {
        if (is_wordchar(decode(text, previous(text, p)).code) && !is_wordchar(decode(text, p).code)) return p;
    }
    return at;
}

auto is_sentence_end(unsigned c) -> bool { return c == '.' || c == '!' || c == '?'; }
auto is_cjk_sentence_end(unsigned c) -> bool { return c == 0x3002 || c == 0xff01 || c == 0xff1f; }
auto is_closing(unsigned c) -> bool {
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x2019 || c == 0x201d || c == 0xbb;
}

// Whether a sentence starts at `at` (a character that is not a space): the
// text's start, a new line, after ". " (or "!", "?", a closing quote after
// them), or after a CJK full stop.
auto starts_sentence(std::string_view text, std::size_t at) -> bool {
    if (is_space(decode(text, at).code)) return false;
    auto p = at;
    bool spaces = false;
    while (p > 0) {
        const auto before = previous(text, p);
        const auto c = decode(text, before).code;
        if (!is_space(c)) break;
        if (c == '\n' || c == 0x2028 || c == 0x2029) return true;
        spaces = true;
        p = before;
    }
    if (p == 0) return true;
    p = previous(text, p);
    auto c = decode(text, p).code;
    if (is_cjk_sentence_end(c)) return true;
    if (!spaces) return false;
    for (int closers = 0; closers < 3 && is_closing(c) && p > 0; ++closers) {
        p = previous(text, p);
        c = decode(text, p).code;
    }
    return is_sentence_end(c);
}

// The start of the sentence holding `at`, if it is at most `max_chars` back.
auto sentence_start(std::string_view text, std::size_t at, std::size_t max_chars) -> std::optional<std::size_t> {
    for (std::size_t walked = 0;; ++walked) {
        if (starts_sentence(text, at)) return at;
        if (at == 0 || walked >= max_chars) return std::nullopt;
        at = previous(text, at);
    }
}

auto has_text_before(std::string_view text, std::size_t at) -> bool { return trim_spaces_back(text, at, 0) > 0; }
auto has_text_after(std::string_view text, std::size_t at) -> bool {
    return skip_spaces(text, at, text.size()) < text.size();
}

auto passage(std::string_view text, std::size_t start, std::size_t end, const std::vector<TextMatch>& matches)
    -> std::string {
    std::string out;
    out.reserve(end - start + 64);
    if (has_text_before(text, start)) out += ellipsis;
    render(out, text, start, end, matches);
    if (has_text_after(text, end)) out += ellipsis;
    return out;
}

// The matches [first, last) of the window of at most `length` characters with
// the most different terms, then the most matches; the earliest of equals.
auto densest(const std::vector<TextMatch>& matches, std::size_t length) -> std::pair<std::size_t, std::size_t> {
    std::uint32_t terms = 0;
    for (const auto& match : matches) terms = std::max(terms, match.term + 1);
    std::vector<std::uint32_t> in_window(terms, 0);
    std::size_t distinct = 0;
    std::size_t best_first = 0, best_last = 1, best_distinct = 0, best_count = 0;
    std::size_t last = 0;
    for (std::size_t first = 0; first < matches.size(); ++first) {
        // One match longer than the length is a window of its own.
        while (last < matches.size() &&
               (last == first || matches[last].char_end - matches[first].char_begin <= length)) {
            if (in_window[matches[last].term]++ == 0) ++distinct;
            ++last;
        }
        const auto count = last - first;
        if (distinct > best_distinct || (distinct == best_distinct && count > best_count)) {
            best_first = first;
            best_last = last;
            best_distinct = distinct;
            best_count = count;
        }
        if (--in_window[matches[first].term] == 0) --distinct;
    }
    return {best_first, best_last};
}

}  // namespace

auto make_snippet(const SnippetTerms& terms, std::string_view text, int length) -> std::string {
    const auto limit = static_cast<std::size_t>(std::max(length, 1));
    const auto matches = terms.find(text);
    if (matches.empty()) {
        // No match in this text (a title-only hit): its lead reads best.
        const auto start = skip_spaces(text, 0, text.size());
        if (start == text.size()) return {};
        const auto end = snap_end(text, forward(text, start, limit), start + decode(text, start).size);
        return passage(text, start, end, matches);
    }

    const auto [first, last] = densest(matches, limit);
    const auto& head = matches[first];
    const auto& tail = matches[last - 1];
    const auto span = tail.char_end - head.char_begin;
    std::size_t start = head.begin;
    if (span < limit) {
        const auto extra = limit - span;
        // Around the matches, half the room before them; all that the end of
        // the text leaves over goes before them too.
        const auto after = count_chars(text, tail.end, forward(text, tail.end, extra - extra / 2));
        const auto before = extra - std::min(after, extra - extra / 2);
        if (head.char_begin <= extra) {
            start = 0;  // the whole start of the text fits
        } else if (auto sentence = sentence_start(text, head.begin, std::min(extra, std::max(limit / 3, before)))) {
            start = *sentence;
        } else {
            start = snap_start(text, backward(text, head.begin, before), head.begin);
        }
        start = skip_spaces(text, start, head.begin);
        const auto room = limit - std::min(limit, count_chars(text, start, head.begin) + span);
        const auto end = snap_end(text, forward(text, tail.end, room), tail.end);
        return passage(text, start, end, matches);
    }
    // The matches alone fill the length: as much of them as fits.
    const auto end = snap_end(text, forward(text, start, limit), start + decode(text, start).size);
    return passage(text, start, end, matches);
}

auto highlight_all(const SnippetTerms& terms, std::string_view text) -> std::string {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    render(out, text, 0, text.size(), terms.find(text));
    return out;
}

}  // namespace broadsheet::server
