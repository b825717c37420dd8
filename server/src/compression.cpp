#include "broadsheet/server/compression.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>

#include <zlib.h>

#include "broadsheet/schema/strings.hpp"
#include "broadsheet/server/http_caching.hpp"

namespace broadsheet::server {

namespace {

auto equals_ignoring_case(std::string_view a, std::string_view b) -> bool {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return schema::ascii_lower(x) == schema::ascii_lower(y); });
}

// A qvalue as RFC 9110 §12.4.2 writes it, in thousandths: "0", "0.5", "1.000";
// nothing for anything else.
auto parse_weight(std::string_view text) -> std::optional<int> {
    if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
    int whole = text[0] - '0';
    if (text.size() == 1) return whole * 1000;
    if (text[1] != '.' || text.size() > 5) return std::nullopt;
    int thousandths = 0;
    int scale = 100;
    for (char c : text.substr(2)) {
        if (c < '0' || c > '9') return std::nullopt;
        thousandths += (c - '0') * scale;
        scale /= 10;
    }
    if (whole == 1 && thousandths != 0) return std::nullopt;
    return whole * 1000 + thousandths;
}

// One deflater per thread and framing, reset between answers: its window
// and hash tables (about 270 KB) are allocated once, not for every answer,
// which measured several times the cost of compressing a 5 KB answer.
class Deflater {
public:
    /// `window_bits` as deflateInit2 takes it: 15 + 16 writes a gzip header
    /// and trailer, -15 bare deflate blocks.
    explicit Deflater(int window_bits) {
        m_ready = deflateInit2(&m_stream, gzip_level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    ~Deflater() {
        if (m_ready) deflateEnd(&m_stream);
    }
    Deflater(const Deflater&) = delete;
    auto operator=(const Deflater&) -> Deflater& = delete;

    /// All of `data` compressed, then flushed with `flush`: Z_FINISH ends the
    /// stream, Z_SYNC_FLUSH leaves it open at a byte boundary.
    auto deflate_all(std::string_view data, int flush) -> std::optional<std::string> {
        if (!m_ready || data.size() > UINT_MAX / 2 || deflateReset(&m_stream) != Z_OK) return std::nullopt;
        // A sync flush adds an empty stored block beyond the bound.
        std::string out(deflateBound(&m_stream, static_cast<uLong>(data.size())) + 16, '\0');
        m_stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        m_stream.avail_in = static_cast<uInt>(data.size());
        m_stream.next_out = reinterpret_cast<Bytef*>(out.data());
        m_stream.avail_out = static_cast<uInt>(out.size());
        auto status = deflate(&m_stream, flush);
        bool done = flush == Z_FINISH ? status == Z_STREAM_END
                                      : status == Z_OK && m_stream.avail_in == 0 && m_stream.avail_out > 0;
        if (!done) return std::nullopt;
        out.resize(m_stream.total_out);
        return out;
    }

private:
    z_stream m_stream{};
    bool m_ready = false;
};

constexpr int gzip_window = 15 + 16;
constexpr int raw_window = -15;

auto crc_of(std::string_view data) -> std::uint32_t {
    return static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

void append_le(std::string& out, std::uint32_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xffU);
}

// Puts a coded body in place of the answer's: Content-Encoding,
// Content-Length and the ETag's coding follow.
void set_coded_body(httplib::Response& res, std::string coded, ContentCoding coding) {
    res.body = std::move(coded);
    res.set_header("Content-Encoding", std::string(coding_name(coding)));
    // httplib counted the body before the post-routing hook; the header must count what is sent.
    res.headers.erase("Content-Length");
    res.set_header("Content-Length", std::to_string(res.body.size()));
    if (res.has_header("ETag")) {
        auto etag = recode_entity_tag(res.get_header_value("ETag"), coding);
        res.headers.erase("ETag");
        res.set_header("ETag", etag);
    }
}

}  // namespace

auto coding_name(ContentCoding coding) -> std::string_view {
    switch (coding) {
        case ContentCoding::gzip: return "gzip";
        case ContentCoding::identity: break;
    }
    return "";
}

auto choose_coding(std::string_view accept_encoding, bool present) -> CodingChoice {
    if (!present) return {};
    // Weights in thousandths; nothing where the header does not name the coding.
    std::optional<int> gzip_weight, identity_weight, any_weight;
    while (!accept_encoding.empty()) {
        auto comma = accept_encoding.find(',');
        auto element = accept_encoding.substr(0, comma);
        accept_encoding = comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
        auto semicolon = element.find(';');
        auto name = schema::trim(element.substr(0, semicolon));
        if (name.empty()) continue;
        std::optional<int> weight = 1000;
        while (semicolon != std::string_view::npos) {
            element = element.substr(semicolon + 1);
            semicolon = element.find(';');
            auto parameter = schema::trim(element.substr(0, semicolon));
            auto equals = parameter.find('=');
            if (equals == std::string_view::npos ||
                !equals_ignoring_case(schema::trim(parameter.substr(0, equals)), "q"))
                continue;
            weight = parse_weight(schema::trim(parameter.substr(equals + 1)));
        }
        if (!weight) continue;  // a malformed weight: the element says nothing
        if (equals_ignoring_case(name, "gzip") || equals_ignoring_case(name, "x-gzip")) gzip_weight = weight;
        else if (equals_ignoring_case(name, "identity")) identity_weight = weight;
        else if (name == "*") any_weight = weight;
    }
    auto gzip_q = gzip_weight.value_or(any_weight.value_or(0));
    CodingChoice choice;
    // Identity is acceptable unless excluded by name, or by "*" without a name.
    choice.identity_acceptable = identity_weight.value_or(any_weight.value_or(1)) > 0;
    // Only a weight the client gave identity itself can outrank gzip.
    if (gzip_q == 0 || (identity_weight && *identity_weight > gzip_q)) return choice;
    choice.coding = ContentCoding::gzip;
    return choice;
}

auto is_compressible(std::string_view content_type) -> bool {
    auto type = schema::trim(content_type.substr(0, content_type.find(';')));
    constexpr std::array<std::string_view, 5> types{"application/json", "application/javascript",
                                                    "application/openapi+json", "image/svg+xml", "application/xml"};
    if (type.size() >= 5 && equals_ignoring_case(type.substr(0, 5), "text/")) return true;
    return std::any_of(types.begin(), types.end(), [&](auto known) { return equals_ignoring_case(type, known); });
}

auto compress(std::string_view data, ContentCoding coding) -> std::optional<std::string> {
    switch (coding) {
        case ContentCoding::gzip: {
            thread_local Deflater deflater(gzip_window);
            return deflater.deflate_all(data, Z_FINISH);
        }
        case ContentCoding::identity: break;
    }
    return std::string(data);
}

auto gzip_for_splicing(std::string_view head, std::string_view tail) -> std::optional<SplicedGzip> {
    thread_local Deflater head_deflater(gzip_window);
    thread_local Deflater tail_deflater(raw_window);
    auto head_blocks = head_deflater.deflate_all(head, Z_SYNC_FLUSH);
    auto tail_blocks = tail_deflater.deflate_all(tail, Z_FINISH);
    if (!head_blocks || !tail_blocks) return std::nullopt;
    return SplicedGzip{
        std::move(*head_blocks), std::move(*tail_blocks), crc_of(head), crc_of(tail), head.size(), tail.size()};
}

auto SplicedGzip::with_middle(std::string_view middle) const -> std::string {
    constexpr std::size_t max_stored_block = 65535;
    const auto length = static_cast<std::uint32_t>(std::min(middle.size(), max_stored_block));
    middle = middle.substr(0, length);
    std::string out;
    out.reserve(head.size() + 5 + middle.size() + tail.size() + 8);
    out += head;
    // A stored block (RFC 1951 §3.2.4), not the last: its 3 header bits
    // padded to the byte boundary the head's sync flush left, then LEN and
    // its complement.
    out += '\0';
    append_le(out, length, 2);
    append_le(out, ~length & 0xffffU, 2);
    out += middle;
    out += tail;
    // The member's trailer (RFC 1952): CRC-32 and size of the whole text.
    auto crc = crc32_combine(static_cast<uLong>(head_crc), static_cast<uLong>(crc_of(middle)),
                             static_cast<z_off_t>(middle.size()));
    crc = crc32_combine(crc, static_cast<uLong>(tail_crc), static_cast<z_off_t>(tail_size));
    append_le(out, static_cast<std::uint32_t>(crc), 4);
    append_le(out, static_cast<std::uint32_t>(head_size + middle.size() + tail_size), 4);
    return out;
}

auto worth_compressing(std::size_t body_size, const CodingChoice& choice) -> bool {
    return choice.coding != ContentCoding::identity &&
           (body_size >= min_compressed_body || !choice.identity_acceptable);
}

void encode_response(const httplib::Request& req, httplib::Response& res) {
    if (!is_compressible(res.get_header_value("Content-Type"))) return;
    add_vary(res, "Accept-Encoding");
    if (res.body.empty() || res.has_header("Content-Encoding")) return;
    auto choice = choose_coding(req.get_header_value("Accept-Encoding"), req.has_header("Accept-Encoding"));
    if (!worth_compressing(res.body.size(), choice)) return;
    auto encoded = compress(res.body, choice.coding);
    if (!encoded || (encoded->size() >= res.body.size() && choice.identity_acceptable)) return;
    set_coded_body(res, std::move(*encoded), choice.coding);
}

}  // namespace broadsheet::server
