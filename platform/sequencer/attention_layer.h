// One DTQAtten attention layer as the hardware runs it (paper Sec. IV-A, Fig. 4): the
// handler of the ATTENTION command. Per head: the Q/K/V fetcher brings the kept tokens'
// vectors from DRAM into the line buffers (DMA, clustered low precision first when the
// VSSA reorders, double-buffered so head h+1 is fetched while head h computes), Q x K^T
// on the VSSA, i-softmax, then the probabilities go both to P x V on the VSSA (module 1)
// and to the importance accumulator (module 2); the result is drained from the
// accumulator SRAM to DRAM by the DMA. After the last head the two top-k engines select
// the next layer's precisions. The VSSA runs Q x K^T of head h+1 before P x V of head h,
// so the softmax of head h overlaps the VSSA.
//
// Timing: the handler is the initiator of the blocks' jobs (common/block_job.h,
// docs/architecture.md): per head a fetch job to the fetcher (which sends its descriptors to
// the DMA), GEMM jobs to the VSSA, a softmax job, an importance job to the top-k block, the
// result drain's descriptors to the DMA; after the last head the top-k block's select job.
// Each block starts a job when its inputs are ready (the handler says when) and the block is
// free, and annotates its own cycles; the handler computes no block's cycles. It then waits
// until the layer's last job ends. Module 2 cycles are "hidden" when
// they run while module 1 still runs, "exposed" when they extend the layer past module 1's
// end. docs/attention.md has the schedule, docs/timing-model.md the constants.
#pragma once
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/block_job.h"
#include "common/clock.h"
#include "common/stats.h"
#include "ctrl/ctrl.h"
#include "dma/dma.h"
#include "memory/local_memory.h"
#include "platform/config/config.h"
#include "softmax/softmax_unit.h"
#include "topk/topk.h"
#include "vsquant/vsquant.h"
#include "vssa/engine.h"
#include "vssa/vssa_values.h"

namespace dtq {

// softmax, topk, importance_lanes and fetcher_lanes configure the blocks the platform builds
// (the handler itself only sends them jobs); vssa.reorder and vssa.threads are the handler's.
struct attention_layer_config {
    vssa::vssa_config vssa;
    softmax::unit_config softmax;
    topk::engine_config topk;
    uint64_t importance_lanes = 16;  // probabilities taken per cycle by the importance accumulator
    uint64_t fetcher_lanes = 1;      // token addresses generated per cycle
    bool timing_only = false;        // timing mode: no data moves or is computed
    vsquant::config vsq;             // the VS-Quant PE's V and M (ATTENTION mode.VSQ)
    // buffer.two_direction: the V line buffer is read by columns as cheaply as by rows, so P x V
    // needs no transpose pass; false = a pass through VBUF's port (docs/timing-model.md#transpose)
    bool two_direction = false;
    uint64_t linebuf_bytes_per_cycle = 64;  // VBUF's port: the transpose pass's pace
};

// The memories the pipeline uses besides DRAM: the three line buffers and the accumulator
// SRAM (for the results on their way to DRAM), with their bus base addresses.
struct attention_memories {
    local_memory& qbuf;
    local_memory& kbuf;
    local_memory& vbuf;
    local_memory& accumulator;
    uint64_t qbuf_base, kbuf_base, vbuf_base, accumulator_base;
};

// What one ATTENTION command did (also summed into the attention.* statistics).
struct attention_layer_report {
    uint64_t start = 0, end = 0;             // cycles
    uint64_t module1_end = 0;                // last P x V / output write
    uint64_t busy_dma = 0, busy_fetcher = 0, busy_softmax = 0;
    uint64_t vssa_qk = 0, vssa_pv = 0;       // VSSA cycles by GEMM kind (VSSA busy = their sum)
    uint64_t module2 = 0, hidden = 0, exposed = 0;  // module 2 = the top-k unit's busy cycles
    uint64_t pruned = 0, bits4 = 0, bits8 = 0;           // this layer's tokens
    uint64_t next_pruned = 0, next_bits4 = 0, next_bits8 = 0;  // what the top-k chose (k0 != 0)
    uint64_t stall_pe_cycles = 0, busy_pe_cycles = 0, tiles = 0;
    // DRAM bytes by the survey's ops: Q and K fetches (qk); V fetches and the output (sv);
    // the precision list read and written (other).
    uint64_t dram_qk = 0, dram_sv = 0, dram_other = 0;
    double stall_ratio_sum = 0;
    uint64_t transpose_cycles = 0, transpose_bytes = 0;  // V transpose passes (no two-direction buffer)
    uint64_t vssa_port_wait = 0;  // cycles the VSSA's jobs waited for their line-buffer banks
    // Energy actions (docs/energy.md): VSSA MACs by PE mode, softmax elements, importance
    // updates, top-k comparisons, fetcher token lookups.
    uint64_t macs_by_mode[3] = {0, 0, 0};
    uint64_t softmax_elements = 0, importance_updates = 0, topk_comparisons = 0, fetcher_lookups = 0;
    // The unit busy longest in this layer (bottleneck.h) and its busy cycles.
    const char* bottleneck = "";
    uint64_t bottleneck_cycles = 0;
};

class attention_layer : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<attention_layer> mem;         // precision lists (to the bus)
    tlm_utils::simple_initiator_socket<attention_layer> to_fetcher;  // fetcher::fetch_job
    tlm_utils::simple_initiator_socket<attention_layer> to_vssa;     // vssa::gemm_job
    tlm_utils::simple_initiator_socket<attention_layer> to_softmax;  // softmax::softmax_job
    tlm_utils::simple_initiator_socket<attention_layer> to_topk;     // topk::topk_job
    tlm_utils::simple_initiator_socket<attention_layer> to_dma;      // dma_job (the result drain)

    attention_layer(const sc_core::sc_module_name& n, const attention_layer_config& cfg, const attention_memories& m,
                    const dtq::clock& clk);

    // The ATTENTION command handler (ctrl::set_handler). Blocks until the layer is done.
    command_outcome execute(const command& c);
    const attention_layer_report& last() const { return m_last; }
    // A VSSA lockstep mismatch or another failure of the model itself (the command also
    // fails with UNIT_ERROR; the run ends with exit code 3): the message; "" if none.
    const std::string& unit_failure() const { return m_failure; }
    // Why the last command failed (a command error the firmware sees in ERR_CODE: CAPACITY,
    // BUS_ERROR, a bad precision byte ...); "" if it succeeded.
    const std::string& last_error() const { return m_last_error; }

private:
    bool timed_access(bool write, uint64_t addr, uint8_t* data, uint64_t len, uint64_t at, uint64_t& done);

    attention_layer_config m_cfg;
    attention_memories m_mem;
    job_sender m_sender;
    dma_job m_dma_job;
    dtq::clock m_clk;
    attention_layer_report m_last;
    std::string m_failure, m_last_error;
    stat_group m_stats;
    uint64_t& m_layers;
    uint64_t& m_cycles;
    uint64_t& m_busy_dma;
    uint64_t& m_busy_fetcher;
    uint64_t& m_busy_softmax;
    uint64_t& m_vssa_qk;
    uint64_t& m_vssa_pv;
    uint64_t& m_module2;
    uint64_t& m_hidden;
    uint64_t& m_exposed;
    uint64_t& m_pruned;
    uint64_t& m_bits4;
    uint64_t& m_bits8;
    uint64_t& m_next_pruned;
    uint64_t& m_next_bits4;
    uint64_t& m_next_bits8;
    uint64_t& m_stall;
    uint64_t& m_tiles;
    uint64_t& m_transpose_cycles;
    uint64_t& m_transpose_bytes;
    uint64_t& m_busy_pe;
    uint64_t* m_macs_mode[3];
    uint64_t& m_softmax_elements;
    uint64_t& m_importance_updates;
    uint64_t& m_topk_comparisons;
    uint64_t& m_fetcher_lookups;
    uint64_t* m_bound_layers[5];  // per unit of bottleneck.h: layers it bounded
    uint64_t* m_bound_busy[5];    // and its busy cycles in those layers
    uint64_t& m_bound_cycles;
    uint64_t& m_vssa_port_wait;
    double m_r_sum = 0;
};

// The VSSA engine configuration of a scenario (vssa.*); a lockstep mismatch's VCD goes to
// OUT_DIR/vssa_mismatch.vcd ("" = the current directory).
vssa::vssa_config vssa_config_of(const scenario_config& c, const std::string& out_dir);
// The VS-Quant PE's parameters (vsquant.*) and the softmax unit (softmax.mode) of a scenario.
vsquant::config vsquant_config_of(const scenario_config& c);
softmax::unit_config softmax_config_of(const scenario_config& c);

// Packing a token into its DRAM slot and back (the VSSA block unpacks the line buffers):
// vssa/vssa_values.h.
using vssa::pack_token;
using vssa::unpack_token;

}  // namespace dtq
