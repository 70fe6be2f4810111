// Exact cycle model of one tile on a variable-speed systolic array (DTQAtten Sec. II-B,
// IV-B; DRQ's VSSA). R x C output-stationary array of 4-bit PEs; PE (i, j) holds output
// (i, j); row i carries a token of precision row_bits[i], column j one of col_bits[j].
// A MAC step of PE (i, j) takes c = (row_bits / 4) * (col_bits / 4) cycles: 1 for 4x4,
// 2 for 8x4 / 4x8, 4 for 8x8 (high/low nibble time multiplexing).
//
// Operands enter skewed: PE (i, j) does its k-th MAC in pipeline step t = k + i + j.
// All PEs advance in lockstep: step t lasts as long as its slowest ACTIVE PE, i.e.
// d(t) = max { c(i, j) : 0 <= t - i - j < K }; the others stall. Then the results
// drain, one array row per cycle. docs/timing-model.md#vssa has the derivation.
#pragma once
#include <cstdint>
#include <vector>

namespace dtq::vssa {

struct tile_shape {
    uint32_t rows = 0, cols = 0, k = 0;
    const uint8_t* row_bits = nullptr;  // rows entries, 4 or 8
    const uint8_t* col_bits = nullptr;  // cols entries, 4 or 8
};

struct tile_timing {
    uint64_t cycles = 0;          // steps + drain
    uint64_t step_cycles = 0;     // sum of step durations
    uint64_t busy_pe_cycles = 0;  // sum over PEs of K * c
    uint64_t stall_pe_cycles = 0; // sum over PEs of (their window - busy)
    uint64_t max_cycle = 0;       // operating cycles of the critical PE: K * max c
    uint64_t macs = 0;
    uint64_t pes = 0;             // active PEs: rows x cols
    uint64_t macs_by_mode[3] = {0, 0, 0};  // 4x4, 8x4 (either way), 8x8
    double stall_ratio() const;   // the paper's R = stall / (PE count x max_cycle)
};

inline uint32_t pe_cycles(uint8_t a_bits, uint8_t b_bits) { return (a_bits / 4u) * (b_bits / 4u); }

tile_timing tile_cycles(const tile_shape& t);

// A tile whose precision varies along the reduction instead (attention-prob x V: the
// row operand is an 8-bit probability, the column operand V[k][j] has the precision of
// token k): PE (i, j) at step t works on k = t - i - j with c(k) = (row_bits / 4) *
// (k_bits[k] / 4), so d(t) = max { c(k) : t - (rows + cols - 2) <= k <= t }.
tile_timing tile_cycles_reduction(uint32_t rows, uint32_t cols, uint8_t row_bits, const uint8_t* k_bits, uint32_t k);

}  // namespace dtq::vssa
