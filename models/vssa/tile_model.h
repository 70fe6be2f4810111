// Exact cycle model of one tile on a variable-speed systolic array (DTQAtten Sec. II-B,
// IV-B; DRQ's VSSA), the same contract as rtl/vssa_array.sv (docs/cosim.md).
//
// R x C output-stationary array of 4-bit PEs; PE (i, j) holds output (i, j). Element
// A[i][k] has precision row_bits[i]; element B[k][j] has precision col_bits[j], or
// k_bits[k] when k_bits is given (attention-prob x V: the reduction runs over tokens).
// A MAC of PE (i, j) on k takes c = (bits(A[i][k]) / 4) * (bits(B[k][j]) / 4) cycles:
// 1 for 4x4, 2 for 8x4 / 4x8, 4 for 8x8 (high/low nibble time multiplexing).
//
// Operands enter skewed: PE (i, j) does its k-th MAC in pipeline step t = k + i + j,
// T = K + R + C - 2 steps. All PEs advance in lockstep: step t lasts as long as its
// slowest ACTIVE PE, d(t) = max { c(i, j, t - i - j) : 0 <= t - i - j < K }; the others
// stall. A tile takes
//     cycles = 1 (load of step 0's operands) + sum_t d(t) + R (result drain, a row a cycle)
// docs/timing-model.md#vssa has the derivation and the provenance of each term.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dtq::vssa {

struct tile_job {
    int rows = 0, cols = 0, k = 0;
    std::vector<uint8_t> row_bits;  // rows entries: 4 or 8 (precision of A's row i)
    std::vector<uint8_t> col_bits;  // cols entries: 4 or 8 (precision of B's column j)
    std::vector<uint8_t> k_bits;    // empty, or k entries: precision of B's row k (overrides col_bits)
    const int8_t* a = nullptr;      // rows x k, row-major; null in timing mode
    const int8_t* b = nullptr;      // k x cols, row-major; null in timing mode
    uint64_t index = 0;             // tile number within its GEMM (reports only)

    bool functional() const { return a != nullptr && b != nullptr; }
    uint8_t a_bits(int i, int /*kk*/) const { return row_bits[static_cast<size_t>(i)]; }
    uint8_t b_bits(int kk, int j) const {
        return k_bits.empty() ? col_bits[static_cast<size_t>(j)] : k_bits[static_cast<size_t>(kk)];
    }
};

struct tile_result {
    uint64_t cycles = 0;           // 1 + step_cycles + rows
    uint64_t step_cycles = 0;      // sum over steps of d(t)
    uint64_t busy_pe_cycles = 0;   // sum over PEs and MACs of c
    uint64_t stall_pe_cycles = 0;  // sum over PEs of (d(t) - c) over the steps the PE is active
    uint64_t max_cycle = 0;        // operating cycles of the critical PE: max over PEs of sum_k c
    double stall_ratio = 0;        // the paper's R = stall / (rows x cols x max_cycle)
    uint64_t macs = 0;
    uint64_t macs_by_mode[3] = {0, 0, 0};  // 4x4, 8x4 (either way), 8x8
    std::vector<int32_t> c;        // rows x cols, functional mode only
};

// Cycles of one MAC for a pair of precisions (4 or 8 bits).
inline uint32_t pe_cycles(uint8_t a_bits, uint8_t b_bits) { return (a_bits / 4u) * (b_bits / 4u); }

// Test-only fault injection: makes the model deliberately wrong so a test can prove the
// lockstep checker catches it. Never set outside tests.
struct tile_model_fault {
    int64_t add_cycles_at_tile = -1;  // add one cycle to the tile with this index
    int64_t flip_result_bit_at_tile = -1;  // flip bit `flip_bit` of c[0] of this tile
    int flip_bit = 0;
    bool armed() const { return add_cycles_at_tile >= 0 || flip_result_bit_at_tile >= 0; }  // any fault set
};

// A way to run a tile: the C++ model (tile_model) or the Verilated RTL (rtl/vssa_rtl.h).
class tile_backend {
public:
    virtual ~tile_backend() = default;
    virtual tile_result run_tile(const tile_job& job) = 0;
    // Re-run the tile with a waveform written to vcd_path (RTL backends; the model has none).
    virtual bool trace_tile(const tile_job& job, const std::string& vcd_path) { return false; }
    virtual const char* name() const = 0;
};

// Throws std::invalid_argument: sizes < 1, missing precisions, precisions not 4 or 8, and
// in functional mode operands outside their precision's range ([-8, 7] for 4-bit).
void validate(const tile_job& job);

// The exact timing of a tile, O(R C + R + C + K) (O(R + C) for uniform tiles);
// functional mode also computes c. No SystemC.
tile_result run_tile_model(const tile_job& job);

// The C++ model as a backend. A timing-only tile (no operands) whose shape and precisions
// (rows, cols, k, row_bits, col_bits, k_bits) equal the previous timing-only tile's reuses
// that tile's result: run_tile_model is a function of exactly these (a GEMM's tiles along a
// row block mostly repeat one pattern; docs/performance.md#timing-mode-3). The fault
// injection still applies per tile index.
class tile_model final : public tile_backend {
public:
    tile_model() = default;
    explicit tile_model(const tile_model_fault& fault) : m_fault(fault) {}
    tile_result run_tile(const tile_job& job) override;
    const char* name() const override { return "model"; }
    uint64_t reused() const { return m_reused; }  // tiles answered from the previous one (tests)

private:
    tile_model_fault m_fault;
    bool m_have_last = false;
    tile_job m_last;  // shape and precisions of the last timing-only tile (no operands)
    tile_result m_last_result;
    uint64_t m_reused = 0;
};

}  // namespace dtq::vssa
