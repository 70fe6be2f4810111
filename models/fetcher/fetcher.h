// Q/K/V fetcher (DTQAtten Sec. IV-A): from the token-id lists that the top-k engines
// produced, the physical start address and length of each token's Q, K and V vector,
// coalesced into runs of contiguous bytes, and the DMA descriptors that bring them
// into the line buffers. A 4-bit token's vector is stored packed (two elements per
// byte) at the start of its token slot, so it moves half the bytes of an 8-bit one;
// pruned (0-bit) tokens are not fetched at all.
#pragma once
#include <cstdint>
#include <vector>

#include "dma/dma.h"

namespace dtq::fetcher {

struct token_ref {
    uint32_t id = 0;
    uint8_t bits = 8;  // 4 or 8
    bool operator==(const token_ref& o) const { return id == o.id && bits == o.bits; }
};

// Where one head's Q (or K, or V) lives in DRAM: token t's vector starts at
// base + t * token_stride and holds `elements` values.
struct tensor_layout {
    uint64_t base = 0;
    uint64_t token_stride = 0;  // bytes between consecutive tokens
    uint64_t elements = 64;     // d_head
};

struct fetch_run {
    uint64_t addr = 0, bytes = 0;
    uint32_t first = 0, tokens = 0;  // index into the fetch order, count
    bool operator==(const fetch_run& o) const {
        return addr == o.addr && bytes == o.bytes && first == o.first && tokens == o.tokens;
    }
};

// Fetch order: with reordering, 4-bit tokens first then 8-bit (each by ascending id):
// the paper's clustering, low precision first. Without it, ascending id.
std::vector<token_ref> fetch_order(const std::vector<uint32_t>& bits8, const std::vector<uint32_t>& bits4, bool reorder);

uint64_t vector_bytes(const tensor_layout& l, uint8_t bits);

// Address and length per token, merged while the next token's bytes start where the
// previous one's end.
std::vector<fetch_run> plan(const tensor_layout& l, const std::vector<token_ref>& order);

// DMA descriptors bringing the runs into a line buffer at `dst`, packed in fetch order.
std::vector<dma_descriptor> descriptors(const std::vector<fetch_run>& runs, uint64_t dst);

// Address generation: `lanes` tokens per cycle.
uint64_t address_cycles(uint64_t tokens, uint64_t lanes);

}  // namespace dtq::fetcher
