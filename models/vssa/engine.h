// The VSSA engine: maps a GEMM onto `arrays` arrays of rows x cols PEs in the order of
// the paper's Fig. 5 (row tiles of A against column tiles of B, row tile outermost),
// tile n on array n mod arrays (round_robin), on the array that frees up first
// (greedy) or longest tile first (balanced), times every tile with the exact tile model or the Verilated RTL, and
// computes the int32 result in functional mode. Tokens of precision 0 are skipped
// entirely. With `reorder`, tokens are clustered by precision, low precision first
// (Sec. IV-B); in functional mode the engine then checks that the reordered result is
// the permuted plain result (check_reordered). docs/timing-model.md#vssa, docs/cosim.md.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "vssa/tile_model.h"

namespace dtq::vssa {

enum class pe_backend { model, rtl, lockstep };
// round_robin: tile n on array n mod arrays; greedy: each tile, in Fig. 5 order, on the
// array that frees up first; balanced: every tile's cycles are known before it runs (the
// precisions of its tokens fix them), so the tiles go longest first to the array that
// frees up first (LPT list scheduling, makespan <= 4/3 of the optimum).
enum class tile_schedule { round_robin, greedy, balanced };

struct vssa_config {
    uint32_t rows = 16, cols = 16, arrays = 1;
    bool reorder = true;
    pe_backend backend = pe_backend::model;
    tile_schedule schedule = tile_schedule::round_robin;
    unsigned threads = 1;                         // host threads of the functional GEMM
    bool gemm_memo = true;                        // timing mode: reuse a GEMM's results (gemm_memo)
    std::string vcd_path = "vssa_mismatch.vcd";   // lockstep: the mismatching tile's waveform
    tile_model_fault fault;                       // test only: makes the model wrong on purpose
};

vssa_config preset_dtqatten();  // 11 arrays of 16 x 18 = 3168 PEs (paper Sec. V)
vssa_config preset_single16();  // one 16 x 16 array

// A x B with B given transposed (bt: N x K, K contiguous). Precisions per token: row_bits
// (M) and col_bits (N) for Q x K^T-like GEMMs; or, when k_bits is non-empty, per
// reduction index (attention-prob x V: k_bits[k] is token k's precision; the rows are
// 8-bit probabilities when row_bits is empty, else row i's probabilities are at row_bits[i]
// (a study assumption: workload.attention.prob_precision); col_bits is then ignored).
struct gemm_op {
    std::string name;
    uint64_t M = 0, N = 0, K = 0;
    std::vector<uint8_t> row_bits, col_bits, k_bits;  // 0 (pruned), 4 or 8
    const int8_t* a = nullptr;   // M x K, null in timing mode
    const int8_t* bt = nullptr;  // N x K
    // VS-Quant PE (docs/timing-model.md#vs-quant-pe): drain cycles every tile adds for the
    // scale-multiply stage (vsquant::SCALE_STAGES); 0 = the plain VSSA.
    uint32_t scale_stages = 0;
};

struct gemm_result {
    uint64_t cycles = 0;                   // makespan over the arrays
    std::vector<uint64_t> array_cycles;    // busy cycles per array
    uint64_t macs = 0, macs_by_mode[3] = {0, 0, 0};  // 4x4, 8x4 (either way), 8x8
    uint64_t busy_pe_cycles = 0, stall_pe_cycles = 0;
    uint64_t tiles = 0;
    double stall_ratio_sum = 0;            // sum over tiles (iterations) of R
    std::vector<double> iteration_r;       // R per tile, in Fig. 5 order
    // Hardware order: position p of the array's row stream holds token row_order[p] (pruned
    // tokens are absent); likewise col_order, k_order. Identity (minus pruned) without reorder.
    std::vector<uint32_t> row_order, col_order, k_order;
    std::vector<int32_t> c_hw;             // row_order.size() x col_order.size(), hardware order
    std::vector<int32_t> c;                // M x N in original positions (pruned rows/cols are 0)
    bool reorder_checked = false;          // check_reordered passed
    uint64_t tiles_compared = 0;           // lockstep: tiles compared model vs RTL

    double mean_stall_ratio() const { return tiles ? stall_ratio_sum / static_cast<double>(tiles) : 0.0; }
    // busy PE cycles / (PEs of all arrays x makespan)
    double utilization(const vssa_config& cfg) const;
};

class reorder_mismatch : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The first lockstep tile whose model and RTL results or cycle counts differ.
class cosim_mismatch : public std::runtime_error {
public:
    cosim_mismatch(const std::string& report, uint64_t tile, uint64_t model_cycles, uint64_t rtl_cycles, std::string vcd)
        : std::runtime_error(report), tile(tile), model_cycles(model_cycles), rtl_cycles(rtl_cycles), vcd_path(std::move(vcd)) {}
    uint64_t tile, model_cycles, rtl_cycles;
    std::string vcd_path;  // empty if no waveform could be written
};

// Runs a GEMM. Functional mode when op.a and op.bt are set, else timing mode (same cycles).
// Throws reorder_mismatch, cosim_mismatch, std::invalid_argument (bad precisions; in rtl or
// lockstep mode also 4-bit operands outside [-8, 7]) and std::runtime_error (rtl backend
// requested but not installed).
gemm_result run_gemm(const vssa_config& cfg, const gemm_op& op);

// Timing mode's reuse of GEMM results (docs/performance.md#gemm-memo). run_gemm without
// operands, with the model backend and no fault, is a function of the configuration's array
// geometry, reorder and schedule and of the op's shape, token precisions and scale stages (not
// of its name): the memo keeps the results it has computed under those and answers a GEMM seen
// before with a copy of its result. Anything else (functional ops, the rtl and lockstep
// backends, a fault, cfg.gemm_memo false) runs. At most `capacity` results are kept; a result
// past that empties the memo first, so memory stays bounded on runs whose shapes never repeat
// (a GPT-2 decode step's K grows by one per token).
class gemm_memo {
public:
    explicit gemm_memo(size_t capacity = 64) : m_capacity(capacity ? capacity : 1) {}
    gemm_result run(const vssa_config& cfg, const gemm_op& op);
    uint64_t calls() const { return m_calls; }  // GEMMs run or answered
    uint64_t hits() const { return m_hits; }    // GEMMs answered from the memo
    size_t size() const { return m_results.size(); }

private:
    size_t m_capacity;
    uint64_t m_calls = 0, m_hits = 0;
    std::unordered_map<std::string, gemm_result> m_results;
    std::string m_key;  // the key being built (reused: no allocation per lookup)
};

// The clustering permutation of one side: active (non-pruned) indices, low precision first
// when reorder (stable), else in order.
std::vector<uint32_t> token_order(const std::vector<uint8_t>& bits, uint64_t n, bool reorder);

// Recomputes the plain-order product independently and checks that the reordered one
// (r.c_hw, in r's hardware order) equals it at the permuted positions; throws
// reorder_mismatch naming the first differing element. Functional results only.
void check_reordered(const gemm_op& op, const gemm_result& r, unsigned threads = 1);

// The RTL backend lives in dtq_vssa_rtl (rtl/), which dtq_vssa must not depend on; it
// registers a factory here (dtq::vssa::install_rtl_backend() in rtl/vssa_rtl.h).
using backend_factory = std::function<std::unique_ptr<tile_backend>()>;
void register_rtl_backend(backend_factory factory);
bool rtl_backend_available();
std::unique_ptr<tile_backend> make_rtl_backend();  // throws std::runtime_error if none

// Process-wide lockstep counters, also registered as statistics "cosim.tiles_compared" and
// "cosim.mismatches" (created on first use).
struct cosim_counters {
    uint64_t& tiles_compared;
    uint64_t& mismatches;
};
cosim_counters cosim_stats();

// Process-wide: write the waveform of the `tile`-th tile (0-based, counted over every tile
// the RTL runs in this process, in execution order) to vcd_path (rtl / lockstep only;
// dtqvp run --rtl-vcd). An empty path turns it off. Returns nothing; a failure to write
// is reported on stderr and the run goes on.
void set_tile_waveform(const std::string& vcd_path, uint64_t tile);
// After the run: how many RTL tiles ran, whether the requested tile's waveform was written
// or failed to be written.
struct tile_waveform_status {
    uint64_t rtl_tiles_run = 0;
    bool written = false, failed = false;
};
tile_waveform_status tile_waveform();

// The readable report of one mismatching tile (what cosim_mismatch carries).
std::string mismatch_report(const std::string& gemm, const tile_job& job, const tile_result& model, const tile_result& rtl,
                            const std::string& vcd_path);

}  // namespace dtq::vssa
