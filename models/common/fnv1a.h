// 64-bit FNV-1a (Fowler/Noll/Vo): a content digest for cache keys and output checks, not
// for security. fnv1a(FNV_OFFSET, data, n) hashes n bytes; pass the result as h to continue.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dtq {

constexpr uint64_t FNV_OFFSET = 0xcbf29ce484222325ull;

inline uint64_t fnv1a(uint64_t h, const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

}  // namespace dtq
