#pragma once
// Content coding of answers: which coding a client accepts (Accept-Encoding,
// RFC 9110 §12.5.3) and compressing a body with it. The answer's text is
// made as before; only its bytes on the wire change.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

namespace broadsheet::server {

enum class ContentCoding { identity, gzip };

/// The coding to send and whether the client would also take the body as it is.
struct CodingChoice {
    ContentCoding coding = ContentCoding::identity;
    bool identity_acceptable = true;
};

/// The Content-Encoding token of a coding ("" for identity).
[[nodiscard]] auto coding_name(ContentCoding coding) -> std::string_view;

/// Reads an Accept-Encoding value: names in any case, q-values, "*" for
/// every coding not named, "identity;q=0". gzip is chosen when it has a
/// weight above 0 and above any weight given to identity by name. `present`
/// is false when the request has no such header (then nothing is compressed).
[[nodiscard]] auto choose_coding(std::string_view accept_encoding, bool present = true) -> CodingChoice;

/// Whether answers of this Content-Type are text worth compressing.
[[nodiscard]] auto is_compressible(std::string_view content_type) -> bool;

/// Smaller bodies go out as they are (unless the client refuses identity):
/// they fit in a packet either way and compressing them gains little.
inline constexpr std::size_t min_compressed_body = 512;

/// Chosen by measurement on search answers and pages (docs/benchmarks.md).
inline constexpr int gzip_level = 4;

/// `data` in that coding, or nothing if the coder failed.
[[nodiscard]] auto compress(std::string_view data, ContentCoding coding) -> std::optional<std::string>;

/// Whether a body of this size goes out in the chosen coding rather than as it is.
[[nodiscard]] auto worth_compressing(std::size_t body_size, const CodingChoice& choice) -> bool;

/// A gzip member compressed once around a gap: an answer kept whole but for
/// a few bytes that change each time it is sent (a time taken) goes out
/// compressed with no compression work. The head is compressed up to a
/// byte boundary (a sync flush), the gap's bytes go in as a stored block,
/// and the tail's blocks end the stream; the trailer's CRC-32 is combined
/// from the parts'.
struct SplicedGzip {
    std::string head;  ///< the gzip header and the head's deflate blocks, ending on a byte boundary
    std::string tail;  ///< the tail's deflate blocks, the last one final
    std::uint32_t head_crc = 0;
    std::uint32_t tail_crc = 0;
    std::size_t head_size = 0;  ///< uncompressed
    std::size_t tail_size = 0;  ///< uncompressed

    /// The whole gzip body with `middle` (at most 65535 bytes) between head and tail.
    [[nodiscard]] auto with_middle(std::string_view middle) const -> std::string;
};

/// The parts of a gzip body of head + (a gap) + tail, or nothing if the coder failed.
[[nodiscard]] auto gzip_for_splicing(std::string_view head, std::string_view tail) -> std::optional<SplicedGzip>;

/// Compresses the answer in place when the client asks for it and its type
/// and size are worth it: Content-Encoding, Content-Length and the ETag's
/// coding follow; every answer of a compressible type gets
/// "Vary: Accept-Encoding" whether or not this one was compressed.
void encode_response(const httplib::Request& req, httplib::Response& res);

}  // namespace broadsheet::server
