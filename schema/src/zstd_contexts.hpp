#pragma once
// zstd's working contexts, one pair per thread: making one costs more than
// decompressing a chunk or a record, and a context is for one thread at a time.
// Shared by the long-body chunks (document.cpp) and the record dictionary.

#include <zstd.h>

namespace broadsheet::schema::detail {

/// This thread's compression context, made on first use; throws std::bad_alloc if zstd cannot make one.
[[nodiscard]] auto compress_context() -> ZSTD_CCtx*;
/// This thread's decompression context, likewise.
[[nodiscard]] auto decompress_context() -> ZSTD_DCtx*;

}  // namespace broadsheet::schema::detail
