// Which unit bounds an ATTENTION layer (docs/results.md#what-bounds-the-attention-layer).
// Every unit of the layer (DMA, fetcher, VSSA, softmax, top-k) is one resource that runs one
// job at a time, so the layer takes at least as many cycles as its busiest unit is busy:
// that unit is the layer's bottleneck, and bound_ratio = its busy cycles / the layer's
// cycles says how tight the bound is (1: the layer is exactly as long as that unit's work;
// below 1: dependencies between units add waiting on top).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace dtq {

constexpr std::size_t BOTTLENECK_UNITS = 5;
// In this order; a tie goes to the first.
constexpr std::array<const char*, BOTTLENECK_UNITS> bottleneck_unit_names{"dma", "fetcher", "vssa", "softmax", "topk"};

struct bottleneck {
    std::size_t unit = 0;  // index into bottleneck_unit_names
    uint64_t busy = 0;     // that unit's busy cycles
    const char* name() const { return bottleneck_unit_names[unit]; }
};

constexpr bottleneck bottleneck_of(const std::array<uint64_t, BOTTLENECK_UNITS>& busy) {
    bottleneck b{0, busy[0]};
    for (std::size_t i = 1; i < BOTTLENECK_UNITS; ++i)
        if (busy[i] > b.busy) b = bottleneck{i, busy[i]};
    return b;
}

}  // namespace dtq
