#include "broadsheet/schema/document.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>

#include <zstd.h>

#include "broadsheet/schema/dates.hpp"
#include "broadsheet/schema/text.hpp"
#include "zstd_contexts.hpp"

namespace broadsheet::schema {

using nlohmann::json;

namespace {

// Xapian terms are limited to 245 bytes; ids become terms, so keep well under.
constexpr std::size_t max_id_bytes = 200;
// Separates values of a multi-valued field inside one value slot.
constexpr char value_separator = '\x1f';

auto type_name(const json& value) -> std::string { return value.type_name(); }

auto find_value(const json& raw, const FieldSpec& field) -> const json* {
    if (auto it = raw.find(field.name); it != raw.end()) return &*it;
    for (const auto& alias : field.aliases)
        if (auto it = raw.find(alias); it != raw.end()) return &*it;
    return nullptr;
}

auto normalize_id(const json& value) -> std::string {
    std::string id;
    if (value.is_string()) {
        id = value.get<std::string>();
    } else if (value.is_number_integer()) {
        id = std::to_string(value.get<long long>());
    } else {
        throw RecordError("id must be a string or an integer, not " + type_name(value));
    }
    if (id.empty()) throw RecordError("id is empty");
    if (id.size() > max_id_bytes) throw RecordError("id is longer than " + std::to_string(max_id_bytes) + " bytes");
    for (unsigned char c : id)
        if (c < 0x20 || c == 0x7f) throw RecordError("id contains a control character");
    return id;
}

auto normalize_text(const FieldSpec& field, const json& value) -> json {
    if (value.is_string()) return value;
    if (value.is_array()) {
        // A list of paragraphs.
        std::string joined;
        for (const auto& part : value) {
            if (!part.is_string())
                throw RecordError("field '" + field.name + "' must be a string or a list of strings");
            if (!joined.empty()) joined += '\n';
            joined += part.get<std::string>();
        }
        return joined;
    }
    throw RecordError("field '" + field.name + "' must be a string, not " + type_name(value));
}

auto normalize_keyword(const FieldSpec& field, const json& value) -> json {
    auto check = [&](const json& item) -> std::string {
        if (item.is_string()) return item.get<std::string>();
        if (item.is_number()) return item.dump();
        throw RecordError("field '" + field.name + "' must hold strings, not " + type_name(item));
    };
    if (!field.multi) return check(value);
    json values = json::array();
    if (value.is_array()) {
        for (const auto& item : value) {
            auto text = check(item);
            if (!text.empty()) values.push_back(std::move(text));
        }
    } else {
        auto text = check(value);
        if (!text.empty()) values.push_back(std::move(text));
    }
    return values;
}

auto normalize_date(const FieldSpec& field, const json& value) -> json {
    if (value.is_number_integer()) {
        auto year = value.get<long long>();
        if (year < 1 || year > 9999) throw RecordError("field '" + field.name + "': year out of range");
        return parse_date(std::to_string(year))->iso();
    }
    if (!value.is_string())
        throw RecordError("field '" + field.name + "' must be an ISO 8601 date string, not " + type_name(value));
    auto text = value.get<std::string>();
    if (text.empty()) return nullptr;
    auto date = parse_date(text);
    if (!date)
        throw RecordError("field '" + field.name + "': unparsable date '" + text.substr(0, 40) +
                          "' (expected ISO 8601, e.g. 2014-06-03 or 2014-06-03T10:15:00Z)");
    return date->iso();
}

// Calls `visit(word, term)` for each word a document holds under `prefix`:
// its terms that start with the prefix and go on with a word, not with the
// rest of a longer prefix (words are lower case; prefixes are capitals).
template <typename Visit>
void for_each_field_word(const Xapian::Document& doc, const std::string& prefix, Visit visit) {
    auto term = doc.termlist_begin();
    const auto end = doc.termlist_end();
    for (term.skip_to(prefix); term != end; ++term) {
        const auto name = *term;
        if (!name.starts_with(prefix)) break;
        if (name.size() == prefix.size() || (name[prefix.size()] >= 'A' && name[prefix.size()] <= 'Z')) continue;
        visit(std::string_view(name).substr(prefix.size()), term);
    }
}

// What FLAG_SPELLING adds: one count per occurrence of each word of the
// default search. Those words are also indexed under their field's prefix,
// where they keep their positions (the unprefixed copies keep none).
void count_words(const Xapian::Document& doc, const std::vector<WeightedField>& fields, WordCounts& counts) {
    for (const auto& field : fields)
        for_each_field_word(doc, field.prefix, [&](std::string_view word, const Xapian::TermIterator& term) {
            counts[std::string(word)] += term.positionlist_count();
        });
}

// zstd's level for the chunks of long bodies: as small as Xapian's zlib made
// the whole body, at a fraction of the cost to read.
constexpr int body_compression_level = 6;

auto is_ascii_space_byte(char c) -> bool {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
auto is_ascii_word_byte(char c) -> bool {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Where the chunks of a long body start: about body_chunk_bytes apart, each
// at an ASCII word character after an ASCII space. No word, and no rule of
// Xapian's TermGenerator, reaches across such a space, so indexing the chunks
// one after another gives the terms and positions of indexing the whole; and
// a chunk never starts with a space or a closing quote, so the snippet code's
// look back over spaces and quotes never leaves a chunk it has read.
auto chunk_starts(std::string_view text) -> std::vector<std::size_t> {
    std::vector<std::size_t> starts{0};
    for (auto at = body_chunk_bytes; at < text.size();) {
        while (at < text.size() && !(is_ascii_space_byte(text[at - 1]) && is_ascii_word_byte(text[at]))) ++at;
        if (at >= text.size()) break;
        starts.push_back(at);
        at += body_chunk_bytes;
    }
    return starts;
}

// The first byte of the chunked layout, and of a record compressed with the
// generation's dictionary; the plain layout starts with the '{' of its JSON.
constexpr char chunked_layout = '\x01';
constexpr char dictionary_layout = '\x02';

// XORs bytes that sit at `offset` onwards in the stored stream with the
// keystream (splitmix64 of each 8-byte word's index): its own inverse. Not a
// secret, only bytes in which zlib finds no pattern (see BodyChunks).
void scramble(char* bytes, std::size_t size, std::size_t offset) {
    for (std::size_t i = 0; i < size;) {
        const auto at = offset + i;
        auto word = static_cast<std::uint64_t>(at / 8) * 0x9e3779b97f4a7c15u + 0x9e3779b97f4a7c15u;
        word = (word ^ (word >> 30)) * 0xbf58476d1ce4e5b9u;
        word = (word ^ (word >> 27)) * 0x94d049bb133111ebu;
        word ^= word >> 31;
        const auto shift = at % 8;
        const auto count = std::min<std::size_t>(8 - shift, size - i);
        for (std::size_t k = 0; k < count; ++k)
            bytes[i + k] = static_cast<char>(bytes[i + k] ^ static_cast<char>(word >> (8 * (shift + k))));
        i += count;
    }
}

auto compress_chunk(std::string_view chunk, std::string& out) -> std::size_t {
    const auto before = out.size();
    out.resize(before + ZSTD_compressBound(chunk.size()));
    const auto written = ZSTD_compressCCtx(detail::compress_context(), out.data() + before, out.size() - before,
                                           chunk.data(), chunk.size(), body_compression_level);
    if (ZSTD_isError(written)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(written));
    out.resize(before + written);
    return written;
}

// A text field's words twice: under the field's prefix with their positions
// (title:..., phrases), and, weighted, unprefixed for plain queries without
// positions. A phrase of unprefixed words is matched on the prefixed copies
// (server: with_positions_on_fields): fields are 100 positions apart, so it
// never spans two, and positions kept once are a third of the index less.
// The prefixed copy of a field of the default search is unstemmed unless
// `field_terms` asks for stems (field_stems.hpp); a field outside it has no
// other copy, so it keeps its stems.
void index_field(const FieldSpec& field, const Xapian::Utf8Iterator& text, Xapian::TermGenerator& generator,
                 FieldTerms field_terms) {
    const auto start = generator.get_termpos();
    if (field.weight == 0) {
        generator.index_text(text, 1, field.prefix);
        return;
    }
    if (field_terms == FieldTerms::unstemmed) generator.set_stemming_strategy(Xapian::TermGenerator::STEM_NONE);
    generator.index_text(text, 1, field.prefix);
    generator.set_stemming_strategy(index_stemming_strategy);
    const auto end = generator.get_termpos();
    generator.set_termpos(start);
    generator.index_text_without_positions(text, field.weight);
    generator.set_termpos(end);
}

// A long body's text field: indexed chunk by chunk (see chunk_starts), as
// index_field indexes a whole text, and stored compressed chunk by chunk.
struct ChunkedBody {
    json table;
    std::string compressed;
};

auto index_chunked(const FieldSpec& field, std::string_view text, Xapian::TermGenerator& generator,
                   FieldTerms field_terms) -> ChunkedBody {
    ChunkedBody body;
    const auto starts = chunk_starts(text);
    json begins = json::array(), chars = json::array(), positions = json::array(), frames = json::array();
    std::size_t char_count = 0;
    for (std::size_t i = 0; i < starts.size(); ++i) {
        const auto begin = starts[i];
        const auto end = i + 1 < starts.size() ? starts[i + 1] : text.size();
        const auto chunk = text.substr(begin, end - begin);
        const auto start = generator.get_termpos();
        begins.push_back(begin);
        chars.push_back(char_count);
        positions.push_back(start + 1);
        index_field(field, Xapian::Utf8Iterator(chunk.data(), chunk.size()), generator, field_terms);
        char_count += count_chars(text, begin, end);
        frames.push_back(compress_chunk(chunk, body.compressed));
    }
    body.table = json{{"size", text.size()},
                      {"begins", std::move(begins)},
                      {"chars", std::move(chars)},
                      {"positions", std::move(positions)},
                      {"end_position", generator.get_termpos() + 1},
                      {"frames", std::move(frames)}};
    return body;
}
// The plain layout: JSON of the stored fields but the body, NUL, the body as
// is. A JSON dump escapes NUL, so the first NUL is always the separator.
auto plain_record(json stored, const FieldSpec* body_field) -> std::string {
    if (!body_field || !stored.contains(body_field->name)) return stored.dump();
    auto body = std::move(stored[body_field->name].get_ref<std::string&>());
    stored.erase(body_field->name);
    auto data = stored.dump();
    data += '\0';
    data += body;
    return data;
}

// A record in the plain layout, compressed with the dictionary when that
// makes it smaller, and then scrambled as long bodies are: zstd's output is
// as dense as it gets, and glass's zlib would only inflate it at every read.
auto pack_record(std::string plain, const RecordDictionary* dictionary) -> std::string {
    if (!dictionary) return plain;
    std::string packed(1, dictionary_layout);
    dictionary->compress(plain, packed);
    if (packed.size() >= plain.size()) return plain;
    scramble(packed.data() + 1, packed.size() - 1, 1);
    return packed;
}

auto unpack_record(const std::string& data, const RecordDictionary* dictionary) -> std::string {
    if (!dictionary)
        throw std::runtime_error(
            "a stored record is compressed with the index's record dictionary, which the index does not hold");
    std::string frame(data, 1);
    scramble(frame.data(), frame.size(), 1);
    return dictionary->decompress(frame);
}
}  // namespace

auto normalize_record(const Schema& schema, const json& raw) -> json {
    if (!raw.is_object()) throw RecordError("a record must be a JSON object, not " + type_name(raw));
    json article = json::object();
    for (const auto& field : schema.fields()) {
        const json* value = find_value(raw, field);
        if (field.type == FieldType::id) {
            if (!value || value->is_null()) throw RecordError("missing id ('" + field.name + "')");
            article[field.name] = normalize_id(*value);
            continue;
        }
        if (!value || value->is_null()) continue;
        switch (field.type) {
            case FieldType::text: article[field.name] = normalize_text(field, *value); break;
            case FieldType::keyword: article[field.name] = normalize_keyword(field, *value); break;
            case FieldType::date: {
                auto date = normalize_date(field, *value);
                if (!date.is_null()) article[field.name] = std::move(date);
                break;
            }
            case FieldType::id: break;
        }
    }
    return article;
}

auto make_document(const Schema& schema, const json& article, Xapian::TermGenerator& generator, WordCounts* spelling,
                   const RecordDictionary* dictionary, FieldTerms field_terms) -> Xapian::Document {
    Xapian::Document doc;
    generator.set_document(doc);
    json stored = json::object();
    std::vector<WeightedField> searchable;  // the fields of the default search
    const auto* body_field = schema.snippet_field();
    std::optional<ChunkedBody> chunked;  // a long body, already indexed
    for (const auto& field : schema.fields()) {
        auto it = article.find(field.name);
        if (it == article.end() || it->is_null()) continue;
        if (field.stored) stored[field.name] = *it;
        switch (field.type) {
            case FieldType::id:
                doc.add_boolean_term(schema.id_term(it->get<std::string>()));
                // For breaking ties between equal scores by id.
                if (field.slot) doc.add_value(*field.slot, it->get<std::string>());
                break;
            case FieldType::text: {
                const auto& text = it->get_ref<const std::string&>();
                if (field.stored && &field == body_field && text.size() >= min_chunked_body_bytes) {
                    chunked = index_chunked(field, text, generator, field_terms);
                } else {
                    index_field(field, Xapian::Utf8Iterator(text), generator, field_terms);
                }
                if (field.weight > 0) searchable.push_back({field.prefix, field.weight});
                // A gap so a phrase never matches across two fields.
                generator.increase_termpos(100);
                break;
            }
            case FieldType::keyword: {
                if (field.prefix.empty() && !field.slot) break;
                std::vector<std::string> values;
                if (it->is_array()) {
                    for (const auto& v : *it) values.push_back(v.get<std::string>());
                } else {
                    values.push_back(it->get<std::string>());
                }
                if (!field.prefix.empty())
                    for (const auto& v : values) doc.add_boolean_term(schema.keyword_term(field, v));
                if (field.slot) doc.add_value(*field.slot, join_values(*it));
                break;
            }
            case FieldType::date: {
                auto date = parse_date(it->get<std::string>());
                if (!date) break;  // normalize_record already rejected it
                doc.add_value(*field.slot, date->sortable());
                if (field.year_slot) doc.add_value(*field.year_slot, date->year_string());
                break;
            }
        }
    }
    // Before the phrase terms: those are not words the speller may suggest.
    if (spelling) count_words(doc, searchable, *spelling);
    schema.synonyms().add_phrase_terms(doc, searchable);
    // Layout: plain_record, compressed with the dictionary if there is one.
    // A long body: a JSON array of the stored fields but the body and the
    // chunk table, NUL, the compressed chunks.
    std::string data;
    if (chunked) {
        stored.erase(body_field->name);
        data = json::array({std::move(stored), std::move(chunked->table)}).dump();
        data += '\0';
        data += chunked->compressed;
        data.insert(data.begin(), chunked_layout);
        scramble(data.data() + 1, data.size() - 1, 1);
    } else {
        data = pack_record(plain_record(std::move(stored), body_field), dictionary);
    }
    doc.set_data(data);
    return doc;
}

auto record_sample(const Schema& schema, const json& article) -> std::optional<std::string> {
    json stored = json::object();
    for (const auto& field : schema.fields()) {
        auto it = article.find(field.name);
        if (field.stored && it != article.end() && !it->is_null()) stored[field.name] = *it;
    }
    const auto* body_field = schema.snippet_field();
    if (body_field) {
        auto body = stored.find(body_field->name);
        if (body != stored.end() && body->is_string() &&
            body->get_ref<const std::string&>().size() >= min_chunked_body_bytes)
            return std::nullopt;
    }
    return plain_record(std::move(stored), body_field);
}

auto read_stored(const Schema& schema, const Xapian::Document& doc, BodyReading reading,
                 const RecordDictionary* dictionary) -> StoredDocument {
    auto data = doc.get_data();
    if (!data.empty() && data.front() == dictionary_layout) data = unpack_record(data, dictionary);
    StoredDocument result;
    json stored;
    if (!data.empty() && data.front() == chunked_layout) {
        // Unscrambled only as far as the NUL after the head.
        std::string_view scrambled(data.data() + 1, data.size() - 1);
        std::string head;
        while (head.size() < scrambled.size() && head.find('\0') == std::string::npos) {
            const auto from = head.size();
            head.append(scrambled.substr(from, 256));
            scramble(head.data() + from, head.size() - from, 1 + from);
        }
        const auto separator = head.find('\0');
        if (separator == std::string::npos) throw std::runtime_error("a long body's stored data has no head");
        head.resize(separator);
        stored = json::parse(head, nullptr, false);
        if (!stored.is_array() || stored.size() != 2) throw std::runtime_error("a long body's head is not readable");
        const auto begin = 1 + separator + 1;
        BodyChunks chunks(stored[1], std::move(data), begin, 0);
        if (reading == BodyReading::whole) result.body = chunks.text();
        else result.chunks = std::move(chunks);
        stored = std::move(stored[0]);
    } else {
        const auto separator = data.find('\0');
        std::string_view head(data.data(), separator == std::string::npos ? data.size() : separator);
        stored = head.empty() ? json::object() : json::parse(head, nullptr, false);
        if (separator != std::string::npos) result.body = data.substr(separator + 1);
    }
    if (!stored.is_object()) stored = json::object();
    const auto* body_field = schema.snippet_field();
    result.fields = json::object();
    for (const auto& field : schema.fields()) {
        if (!field.stored || (body_field && field.name == body_field->name)) continue;
        auto it = stored.find(field.name);
        if (it != stored.end()) {
            result.fields[field.name] = std::move(*it);
        } else {
            result.fields[field.name] = field.multi ? json::array() : json(nullptr);
        }
    }
    return result;
}

auto stored_fields(const Schema& schema, const Xapian::Document& doc, const RecordDictionary* dictionary) -> json {
    auto stored = read_stored(schema, doc, BodyReading::whole, dictionary);
    const auto* body_field = schema.snippet_field();
    if (body_field && body_field->stored) {
        stored.fields[body_field->name] = stored.body.empty() ? json(nullptr) : json(std::move(stored.body));
    }
    return std::move(stored.fields);
}

BodyChunks::BodyChunks(const json& table, std::string stored, std::size_t begin, std::size_t key_offset)
    : m_stored(std::move(stored)), m_key_offset(key_offset) {
    const auto bad = [] { return std::runtime_error("a long body's chunk table does not fit its chunks"); };
    const auto number_list = [&](const char* key) {
        auto it = table.find(key);
        if (it == table.end() || !it->is_array()) throw bad();
        std::vector<std::size_t> numbers;
        for (const auto& n : *it) {
            if (!n.is_number_unsigned()) throw bad();
            numbers.push_back(n.get<std::size_t>());
        }
        return numbers;
    };
    const auto begins = number_list("begins");
    const auto chars = number_list("chars");
    const auto positions = number_list("positions");
    const auto frames = number_list("frames");
    const auto size = table.find("size");
    const auto end_position = table.find("end_position");
    if (begins.empty() || chars.size() != begins.size() || positions.size() != begins.size() ||
        frames.size() != begins.size() || size == table.end() || !size->is_number_unsigned() ||
        end_position == table.end() || !end_position->is_number_unsigned())
        throw bad();
    m_size = size->get<std::size_t>();
    m_end_position = end_position->get<Xapian::termpos>();
    if (begin > m_stored.size()) throw bad();
    std::size_t frame = begin;
    m_frames.push_back(frame);
    for (std::size_t i = 0; i < begins.size(); ++i) {
        if (begins[i] > m_size || (i > 0 && begins[i] < begins[i - 1]) || (i == 0 && begins[i] != 0)) throw bad();
        m_chunks.push_back({begins[i], chars[i], static_cast<Xapian::termpos>(positions[i])});
        frame += frames[i];
        m_frames.push_back(frame);
    }
    if (frame != m_stored.size()) throw bad();
}

auto BodyChunks::chunk_of_position(Xapian::termpos position) const -> std::size_t {
    auto after = std::upper_bound(m_chunks.begin(), m_chunks.end(), position,
                                  [](Xapian::termpos p, const Chunk& chunk) { return p < chunk.first_position; });
    return after == m_chunks.begin() ? 0 : static_cast<std::size_t>(after - m_chunks.begin()) - 1;
}

void BodyChunks::decompress(std::size_t i, char* out) const {
    const auto size = chunk_end(i) - m_chunks[i].begin;
    thread_local std::string frame;
    frame.assign(m_stored, m_frames[i], m_frames[i + 1] - m_frames[i]);
    scramble(frame.data(), frame.size(), m_key_offset + m_frames[i]);
    const auto written = ZSTD_decompressDCtx(detail::decompress_context(), out, size, frame.data(), frame.size());
    if (ZSTD_isError(written) || written != size) throw std::runtime_error("a long body's chunk is damaged");
}

auto BodyChunks::text() const -> std::string {
    std::string text(m_size, '\0');
    for (std::size_t i = 0; i < m_chunks.size(); ++i) decompress(i, text.data() + m_chunks[i].begin);
    return text;
}

auto join_values(const json& values) -> std::string {
    if (values.is_string()) return values.get<std::string>();
    std::string joined;
    for (const auto& v : values) {
        if (!joined.empty()) joined += value_separator;
        joined += v.get<std::string>();
    }
    return joined;
}

auto split_values(std::string_view joined) -> std::vector<std::string> {
    std::vector<std::string> values;
    if (joined.empty()) return values;
    std::size_t start = 0;
    while (true) {
        auto end = joined.find(value_separator, start);
        values.emplace_back(joined.substr(start, end == std::string_view::npos ? joined.size() - start : end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return values;
}

}  // namespace broadsheet::schema
