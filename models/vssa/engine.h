// The VSSA engine: maps a GEMM onto `arrays` arrays of rows x cols PEs in the order of
// the paper's Fig. 5 (row tiles of A against column tiles of B), tile n on array
// n mod arrays, times every tile with the exact tile model and computes the int32
// result in functional mode. Tokens of precision 0 are skipped entirely. With
// `reorder`, tokens are clustered by precision, low precision first (Sec. IV-B); in
// functional mode the engine then also computes the plain-order result and checks that
// the reordered one equals it up to the permutation.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "vssa/tile_model.h"

namespace dtq::vssa {

enum class pe_backend { model, rtl, lockstep };

struct vssa_config {
    uint32_t rows = 16, cols = 16, arrays = 1;
    bool reorder = true;
    pe_backend backend = pe_backend::model;
    unsigned threads = 1;  // host threads of the functional GEMM
};

vssa_config preset_dtqatten();  // 11 arrays of 16 x 18 = 3168 PEs (paper Sec. V)
vssa_config preset_single16();  // one 16 x 16 array

// A x B with B given transposed (bt: N x K). Precisions per token: row_bits (M) and
// col_bits (N) for Q x K^T-like GEMMs; or, when k_bits is non-empty, per reduction index
// (attention-prob x V: rows are 8-bit probabilities, k_bits[k] is token k's precision).
struct gemm_op {
    std::string name;
    uint64_t M = 0, N = 0, K = 0;
    std::vector<uint8_t> row_bits, col_bits, k_bits;  // 0, 4 or 8
    const int8_t* a = nullptr;   // M x K, null in timing mode
    const int8_t* bt = nullptr;  // N x K
};

struct gemm_result {
    uint64_t cycles = 0;                   // makespan over the arrays
    uint64_t macs = 0, macs_by_mode[3] = {0, 0, 0};
    uint64_t busy_pe_cycles = 0, stall_pe_cycles = 0;
    uint64_t tiles = 0;
    double stall_ratio_sum = 0;            // sum over tiles (iterations) of R
    std::vector<double> iteration_r;       // R per tile, in Fig. 5 order
    std::vector<int32_t> c;                // M x N, functional mode only (pruned rows/cols are 0)
    bool reorder_checked = false;          // the permutation identity was verified
};

class reorder_mismatch : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Per-tile hook for other backends (rtl, lockstep): given the tile's operands (rows x k,
// cols x k in hardware order) and the model's timing, may check or replace it.
struct tile_operands {
    uint32_t rows, cols, k;
    const uint8_t* row_bits;
    const uint8_t* col_bits;
    const int8_t* a;   // rows x k, null in timing mode
    const int8_t* bt;  // cols x k
};
using tile_hook = std::function<void(const tile_operands&, const tile_timing& model, uint64_t tile_index)>;

gemm_result run_gemm(const vssa_config& cfg, const gemm_op& op, const tile_hook& hook = {});

}  // namespace dtq::vssa
