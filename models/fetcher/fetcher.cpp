#include "fetcher/fetcher.h"

#include "common/clock.h"

namespace dtq::fetcher {

std::vector<token_ref> fetch_order(const std::vector<uint32_t>& bits8, const std::vector<uint32_t>& bits4, bool reorder) {
    std::vector<token_ref> order;
    order.reserve(bits8.size() + bits4.size());
    if (reorder) {
        for (uint32_t id : bits4) order.push_back({id, 4});
        for (uint32_t id : bits8) order.push_back({id, 8});
        return order;
    }
    // Merge two ascending lists.
    size_t i = 0, j = 0;
    while (i < bits8.size() || j < bits4.size()) {
        if (j == bits4.size() || (i < bits8.size() && bits8[i] < bits4[j])) order.push_back({bits8[i++], 8});
        else order.push_back({bits4[j++], 4});
    }
    return order;
}

uint64_t vector_bytes(const tensor_layout& l, uint8_t bits) { return ceil_div(l.elements * bits, 8); }

std::vector<fetch_run> plan(const tensor_layout& l, const std::vector<token_ref>& order) {
    std::vector<fetch_run> runs;
    for (uint32_t i = 0; i < order.size(); ++i) {
        const uint64_t addr = l.base + uint64_t{order[i].id} * l.token_stride;
        const uint64_t bytes = vector_bytes(l, order[i].bits);
        if (!runs.empty() && runs.back().addr + runs.back().bytes == addr) {
            runs.back().bytes += bytes;
            ++runs.back().tokens;
        } else {
            runs.push_back({addr, bytes, i, 1});
        }
    }
    return runs;
}

std::vector<dma_descriptor> descriptors(const std::vector<fetch_run>& runs, uint64_t dst) {
    std::vector<dma_descriptor> d;
    d.reserve(runs.size());
    for (const auto& r : runs) {
        d.push_back({r.addr, dst, 1, r.bytes, 0, 0});
        dst += r.bytes;
    }
    return d;
}

uint64_t address_cycles(uint64_t tokens, uint64_t lanes) { return ceil_div(tokens, lanes); }

}  // namespace dtq::fetcher
