// Cycle formulas of the I-BERT vector units (softmax, LayerNorm, GELU, requantization).
// Header-only; the provenance of every constant is in docs/ibert.md ("Timing").
//
// Model (survey, Sec. 3.4 and Fig. 11): the 32-bit accumulator results stream through an
// L-lane unit ("16 activation units", SFU width S = 16), one vector of L elements of one
// row per cycle per pass ("1-cycle latency per vector for the SFU"). Reductions (max, sum,
// sum of squares) need their own pass over the row before the pass that uses them
// ("Multiple passes of accumulator-reads are required"), so:
//   i-softmax  over a row of n: pass 1 max, pass 2 i-exp + sum, pass 3 normalize -> 3 passes
//   i-LayerNorm over a row of n: pass 1 mean, pass 2 variance, pass 3 normalize  -> 3 passes
//   i-GELU, requantization: element-wise                                        -> 1 pass
// A pass over n elements takes ceil(n / L) cycles (a vector never mixes two rows). On top of
// the streaming cycles, each operation pays a fixed pipeline latency (fill and drain,
// including the drain of the reductions between dependent passes): `pipeline_latency`.
// Rows of softmax / LayerNorm are charged one after the other (no overlap of one row's drain
// with the next row's first pass: conservative). Element-wise ops stream all rows back to
// back and pay the latency once.
#pragma once
#include <cstdint>

namespace dtq::ibert {

struct vector_unit_config {
    uint32_t lanes = 16;            // L: elements per vector; [survey] SFU width S = 16 (Fig. 11)
    uint32_t pipeline_latency = 8;  // [assumption] cycles per operation: 2 dependent reductions x log2(16)-deep tree
};

constexpr bool valid(const vector_unit_config& c) { return c.lanes >= 1; }

constexpr uint32_t SOFTMAX_PASSES = 3;    // max, exp + sum, normalize
constexpr uint32_t LAYERNORM_PASSES = 3;  // mean, variance, normalize
constexpr uint32_t GELU_PASSES = 1;
constexpr uint32_t REQUANT_PASSES = 1;

// Vectors (= cycles of one pass) for a row of n elements: ceil(n / L).
constexpr uint64_t vectors_per_row(uint64_t n, const vector_unit_config& c = {}) {
    return (n + c.lanes - 1) / c.lanes;
}

// i-softmax of `rows` rows of n elements: rows * (3 * ceil(n / L) + pipeline_latency).
constexpr uint64_t softmax_cycles(uint64_t n, uint64_t rows = 1, const vector_unit_config& c = {}) {
    return n == 0 || rows == 0 ? 0 : rows * (SOFTMAX_PASSES * vectors_per_row(n, c) + c.pipeline_latency);
}

// i-LayerNorm of `rows` rows of n elements: rows * (3 * ceil(n / L) + pipeline_latency).
constexpr uint64_t layernorm_cycles(uint64_t n, uint64_t rows = 1, const vector_unit_config& c = {}) {
    return n == 0 || rows == 0 ? 0 : rows * (LAYERNORM_PASSES * vectors_per_row(n, c) + c.pipeline_latency);
}

// i-GELU of `rows` rows of n elements: rows * ceil(n / L) + pipeline_latency.
constexpr uint64_t gelu_cycles(uint64_t n, uint64_t rows = 1, const vector_unit_config& c = {}) {
    return n == 0 || rows == 0 ? 0 : rows * GELU_PASSES * vectors_per_row(n, c) + c.pipeline_latency;
}

// Dyadic requantization of `rows` rows of n elements: rows * ceil(n / L) + pipeline_latency.
constexpr uint64_t requant_cycles(uint64_t n, uint64_t rows = 1, const vector_unit_config& c = {}) {
    return n == 0 || rows == 0 ? 0 : rows * REQUANT_PASSES * vectors_per_row(n, c) + c.pipeline_latency;
}

// Examples (default config), checked at compile time.
static_assert(softmax_cycles(128) == 3 * 8 + 8);
static_assert(softmax_cycles(17) == 3 * 2 + 8);
static_assert(layernorm_cycles(768, 128) == 128 * (3 * 48 + 8));
static_assert(gelu_cycles(3072, 128) == 128 * 192 + 8);

}  // namespace dtq::ibert
