#include "zstd_contexts.hpp"

#include <memory>
#include <new>

namespace broadsheet::schema::detail {

namespace {

struct Contexts {
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> compress{nullptr, ZSTD_freeCCtx};
    std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> decompress{nullptr, ZSTD_freeDCtx};
};

auto contexts() -> Contexts& {
    thread_local Contexts kept;
    return kept;
}

}  // namespace

auto compress_context() -> ZSTD_CCtx* {
    auto& context = contexts().compress;
    if (!context) context.reset(ZSTD_createCCtx());
    if (!context) throw std::bad_alloc();
    return context.get();
}

auto decompress_context() -> ZSTD_DCtx* {
    auto& context = contexts().decompress;
    if (!context) context.reset(ZSTD_createDCtx());
    if (!context) throw std::bad_alloc();
    return context.get();
}

}  // namespace broadsheet::schema::detail
