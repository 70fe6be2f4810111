// The comparison designs of DTQAtten Sec. V (Fig. 8, Table I), timed on the same attention
// GEMMs and the same DRAM as the VSSA (docs/results.md#fig-8-and-table-i-the-papers-comparison-designs, provenance of every
// constant in docs/timing-model.md#comparison-designs):
//   eyeriss_like   224 16-bit MACs as one 14 x 16 output-stationary array, one MAC per PE per
//                  cycle, dense 16-bit operands, no pruning;
//   spatten_like   the area of 3168 4-bit MACs spent on 12-bit MACs (area ~ bits^2: 3168 / 9 =
//                  352 PEs, one 16 x 22 array), one MAC per PE per cycle at every precision;
//                  cascade token pruning removes tokens from the GEMMs and the DRAM traffic,
//                  per-layer precision (4 or 8 bits) shrinks the DRAM bytes only.
// Both use the VSSA's output-stationary tile formula at one cycle per MAC step.
#pragma once
#include <cstdint>

namespace dtq::designs {

constexpr uint64_t eyeriss_rows = 14, eyeriss_cols = 16;  // 224 MACs (paper Sec. V)
constexpr uint64_t eyeriss_bits = 16;
constexpr uint64_t spatten_rows = 16, spatten_cols = 22;  // 352 = 3168 / (12/4)^2
constexpr uint64_t spatten_pe_bits = 12;

// One output tile of r x c occupied PEs over a reduction of K: the operand load cycle, K
// MAC steps plus the skew r + c - 2 of the wavefront, and the r-cycle drain of the results
// (docs/timing-model.md#vssa with c = 1).
constexpr uint64_t os_tile_cycles(uint64_t K, uint64_t r, uint64_t c) { return 1 + K + r + c - 2 + r; }

// An M x N x K GEMM on one R x C array, tiles one after another; edge tiles use only their
// occupied rows and columns.
uint64_t os_gemm_cycles(uint64_t M, uint64_t N, uint64_t K, uint64_t R, uint64_t C);

// Output-stationary folds of SCALE-Sim (ceil(M / R) x ceil(N / C)) and its cycles per fold
// (2R + C + K - 2: the operands fill, the reduction, the drain; every fold padded to R x C).
uint64_t scalesim_os_folds(uint64_t M, uint64_t N, uint64_t R, uint64_t C);
uint64_t scalesim_os_fold_cycles(uint64_t K, uint64_t R, uint64_t C);

struct timing {
    uint64_t macs = 0;            // MACs the design's PEs execute
    uint64_t ideal_cycles = 0;    // PE cycles of those MACs / PEs, rounded up: 100% utilization
    uint64_t busy_pe_cycles = 0;  // PE cycles on MACs (= macs at one MAC per PE per cycle)
    uint64_t stall_pe_cycles = 0; // PE cycles stalled (0 on the one-speed designs)
    uint64_t compute_cycles = 0;  // the GEMMs on the design's PEs
    uint64_t dram_bytes = 0;      // Q, K, V read and the attention output written
    uint64_t dram_cycles = 0;     // dram_bytes / DRAM bytes per cycle, rounded up
    uint64_t cycles = 0;          // max of the two: loads overlap compute (double buffering)
};

// Cycles with every one of `pes` PEs busy every cycle on `pe_cycles` of work, rounded up.
constexpr uint64_t ideal_cycles(uint64_t pe_cycles, uint64_t pes) { return pes ? (pe_cycles + pes - 1) / pes : 0; }

// Bytes of one head's attention with `tokens` tokens per operand at `bits`: Q, K, V read,
// the n x d_head output written at out_bits.
uint64_t head_dram_bytes(uint64_t tokens, uint64_t d_head, double bits, uint64_t n, uint64_t out_bits);

// The Eyeriss-like design's assumptions, each a knob of the attention study
// (workload.attention.eyeriss_*; the defaults are the paper's design, docs/results.md#what-the-papers-1357-x-implies-measured).
struct eyeriss_params {
    uint64_t rows = eyeriss_rows, cols = eyeriss_cols;  // its PEs: one rows x cols array
    uint64_t bits = eyeriss_bits;                       // operand width: DRAM bytes and PE energy (not cycles)
    double utilization = 0;       // 0: its dataflow's cycles (os_gemm_cycles); else ideal_cycles / utilization
    bool scores_in_dram = false;  // the n x n scores written to DRAM and the probabilities read back, at `bits`
};
// The SpAtten-like design's PEs (workload.attention.spatten_*).
struct spatten_params {
    uint64_t rows = spatten_rows, cols = spatten_cols;
    uint64_t pe_bits = spatten_pe_bits;  // PE width: energy only (one MAC per PE per cycle at any precision)
};

// Compute cycles at a given utilization: ceil(ideal / utilization) (utilization in (0, 1]).
uint64_t cycles_at_utilization(uint64_t ideal, double utilization);

// One head of one layer (Q x K^T: n x n x d_head; P x V: n x d_head x n).
timing eyeriss_like_head(uint64_t n, uint64_t d_head, uint64_t dram_bytes_per_cycle, const eyeriss_params& p = {});
// kept: tokens left after pruning; share4: the probability that the layer is 4-bit.
timing spatten_like_head(uint64_t n, uint64_t kept, uint64_t d_head, double share4, uint64_t dram_bytes_per_cycle,
                         const spatten_params& p = {});

}  // namespace dtq::designs
