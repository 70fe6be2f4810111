// The stand-alone compute commands (docs/encoder.md): GEMM on the VSSA, and the vector
// commands SOFTMAX (softmax unit), LAYERNORM, GELU, REQUANT and RESADD (norm/act unit).
// Every operand lives in memory (normally DRAM: the survey's no-fusion assumption); the
// handler streams it through the scratchpad / accumulator SRAM with the DMA, in blocks,
// double-buffered (load of block t+1 and store of block t-1 overlap the compute of block
// t), and waits until the last store is done. GEMM partial sums stay in the accumulator
// SRAM across the k-blocks of an output block.
//
// Timing: the handler is the initiator of the blocks' jobs (common/block_job.h,
// docs/architecture.md): DMA descriptors go to the DMA's job socket (through the real memory
// system, timing only), each block's compute to the VSSA, the softmax unit or the norm/act
// unit, the expansion of NM24 panels to the decompressor; each block annotates its own
// cycles and is busy until its job ends, so the handler only says when a job's inputs are ready. Data (functional mode): operands are read
// and results written with TLM debug transport through the bus, the values the DMA's
// transfers would carry; the precision lists, which set the cycles, are read with timed
// accesses in both modes. GEMM blocking: the order (row blocks or column panels outer)
// with the fewer DRAM bytes, docs/encoder.md#gemm. 4-bit operands (per tensor or VS-Quant,
// docs/vsquant.md#in-the-platform): B stored as packed codes (and its scales), A's 4-bit rows
// quantized on the fly; the result is rounded into the 8-bit domain.
#pragma once
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include <memory>

#include "common/block_job.h"
#include "common/clock.h"
#include "common/stats.h"
#include "ctrl/ctrl.h"
#include "decompressor/decompressor_block.h"
#include "decompressor/wcomp.h"
#include "dma/dma.h"
#include "ibert/timing.h"
#include "memory/local_memory.h"
#include "normact/normact_block.h"
#include "softmax/softmax_block.h"
#include "softmax/softmax_unit.h"
#include "vsquant/vsquant.h"
#include "vssa/engine.h"
#include "vssa/vssa_block.h"

namespace dtq {

// GEMM blocking (docs/encoder.md#gemm), shared by the GEMM handler and the preflight rules:
// an output block of mb x nb (one accumulator half), k-blocks of kb so that an A block and
// a B panel each fit a quarter of the scratchpad. nb or kb 0: no block fits (CAPACITY).
struct gemm_blocking {
    uint64_t mb = 0, nb = 0, kb = 0;
};
gemm_blocking gemm_block_sizes(uint64_t M, uint64_t N, uint64_t K, uint64_t scratchpad_size, uint64_t accumulator_size,
                               uint64_t vssa_rows, uint64_t vssa_cols_total, bool wcomp);
// The largest VS-Quant 4-bit B panel of a GEMM (codes, scale bytes, 4-byte channel maxima
// per column), over its k-steps: it must fit a quarter of the scratchpad.
uint64_t vsq_panel_bytes(const gemm_blocking& b, uint64_t N, uint64_t K, uint64_t vector_size, uint64_t scale_bits);

struct compute_ops_config {
    vssa::vssa_config vssa;
    softmax::unit_config softmax;          // the SOFTMAX command's unit
    ibert::vector_unit_config normact;     // the LAYERNORM / GELU / REQUANT / RESADD unit
    vsquant::config vsq;                   // the VS-Quant PE's V and M (GEMM layout.VSQ)
    wcomp::timing decompressor;            // the NM24 decompressor on the DMA path (GEMM layout.WCOMP)
    // buffer.two_direction: the scratchpad is read by columns as cheaply as by rows, so a
    // B_ROW_MAJOR panel needs no transpose pass; false = a pass through its port (a
    // transpose_job to the scratchpad, paced by its bytes_per_cycle)
    bool two_direction = false;
    uint64_t scratchpad_base = 0, scratchpad_size = 0;
    uint64_t accumulator_base = 0, accumulator_size = 0;
    uint64_t dram_base = 0, dram_size = 0;  // which DMA transfers count as DRAM traffic
    bool timing_only = false;
};

// What one command did.
struct compute_report {
    uint64_t start = 0, end = 0;
    uint64_t busy_dma = 0, busy_vssa = 0, busy_unit = 0;  // unit: softmax or norm/act
    uint64_t dram_read = 0, dram_written = 0;            // bytes the DMA moved from / to DRAM
    uint64_t macs = 0, stall_pe_cycles = 0, busy_pe_cycles = 0, tiles = 0, blocks = 0;
    // GEMM layout.WCOMP: compressed bytes the decompressor read (DMA, incl. the row table),
    // dense bytes it wrote, its busy cycles and the cycles it delayed loads beyond the DMA.
    uint64_t wcomp_in = 0, wcomp_out = 0, wcomp_busy = 0, wcomp_delay = 0;
    uint64_t transpose_cycles = 0, transpose_bytes = 0;  // B_ROW_MAJOR panels' transpose passes
    uint64_t port_wait = 0;  // GEMM: cycles the VSSA's k-step jobs waited for their scratchpad banks
    uint64_t macs_by_mode[3] = {0, 0, 0};                // GEMM: 4x4, 8x4, 8x8 MACs (energy, docs/energy.md)
};

class compute_ops : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<compute_ops> mem;  // operands (debug transport), precision lists
    tlm_utils::simple_initiator_socket<compute_ops> to_dma;           // dma_job (operand loads, result stores)
    tlm_utils::simple_initiator_socket<compute_ops> to_vssa;          // vssa::gemm_job (GEMM)
    tlm_utils::simple_initiator_socket<compute_ops> to_softmax;       // softmax::softmax_job (SOFTMAX)
    tlm_utils::simple_initiator_socket<compute_ops> to_normact;       // normact::row_job (LAYERNORM, GELU, REQUANT, RESADD)
    tlm_utils::simple_initiator_socket<compute_ops> to_decompressor;  // wcomp::expand_job (GEMM layout.WCOMP)
    tlm_utils::simple_initiator_socket<compute_ops> to_scratchpad;    // transpose_job (B_ROW_MAJOR panels)

    // The platform's form: the to_* sockets are bound by the caller to the blocks it built.
    compute_ops(const sc_core::sc_module_name& n, const compute_ops_config& cfg, const dtq::clock& clk);
    // A self-contained bench: the handler builds its own blocks from `cfg` (children vssa,
    // softmax, normact, decompressor) and binds to_dma to `dma`'s job socket and
    // to_scratchpad to `scratchpad`'s.
    compute_ops(const sc_core::sc_module_name& n, const compute_ops_config& cfg, dtq::dma& dma, local_memory& scratchpad,
                const dtq::clock& clk);

    command_outcome gemm(const command& c);
    command_outcome vector(const command& c);  // SOFTMAX, LAYERNORM, GELU, REQUANT, RESADD

    const compute_report& last() const { return m_last; }
    const std::string& last_error() const { return m_last_error; }
    const std::string& unit_failure() const { return m_failure; }  // a model failure (lockstep mismatch ...)

private:
    enum class unit_kind { vssa, softmax, normact };
    struct stage {  // one block: its loads, its compute (a job for one unit), its stores
        std::vector<dma_descriptor> loads;
        unit_kind unit = unit_kind::vssa;
        vssa::gemm_job gemm;          // unit vssa
        softmax::softmax_job softmax; // unit softmax
        normact::row_job rows;        // unit normact
        std::vector<dma_descriptor> stores;
        uint64_t expand_bytes = 0;  // dense bytes the decompressor expands from this block's loads (WCOMP)
        uint64_t transpose = 0;     // bytes of the transpose pass after the loads (B_ROW_MAJOR, no two-direction buffer)
        uint64_t transpose_offset = 0;  // where that panel is in the scratchpad (from its first byte)
        long acc_wait = -1;  // compute starts after this stage's stores (its accumulator half), -1 = none
    };
    uint64_t schedule(std::vector<stage>& blocks, uint64_t start, const std::string& what, compute_report& rep);
    uint64_t compute(stage& s, uint64_t ready, compute_report& rep);
    uint64_t dma(const dma_descriptor& d, uint64_t at, compute_report& rep);
    void debug(bool write, uint64_t addr, void* data, uint64_t len);
    void read_rows(uint64_t addr, uint64_t rows, uint64_t row_bytes, uint64_t stride, uint8_t* dst);
    void write_rows(uint64_t addr, uint64_t rows, uint64_t row_bytes, uint64_t stride, const uint8_t* src);
    uint64_t timed_read(uint64_t addr, uint8_t* data, uint64_t len, uint64_t at);
    // A precision list of bits.size() rows (timed read); throws unit_error unless each is 0, 4 or 8.
    uint64_t read_precisions(uint64_t addr, std::vector<uint8_t>& bits, uint64_t at);
    command_outcome finish(compute_report& rep, unsigned unit);
    command_outcome failure(const command& c, const std::exception& e);
    bool in_dram(uint64_t a) const { return a >= m_cfg.dram_base && a - m_cfg.dram_base < m_cfg.dram_size; }

    // A vector command's operand and result rows (functional mode): reused from command to
    // command, grown when needed and never cleared (every byte read is written first), so a
    // command neither allocates nor zeroes them (docs/performance.md#row-kernels).
    template <class T>
    struct scratch {
        std::unique_ptr<T[]> p;
        uint64_t n = 0;
        T* get(uint64_t k) {
            if (k > n) {
                p.reset(new T[k]);  // default-initialised: not zeroed
                n = k;
            }
            return p.get();
        }
    };
    scratch<uint8_t> m_vec_in, m_vec_out;
    scratch<int64_t> m_vec_scores;

    compute_ops_config m_cfg;
    dtq::clock m_clk;
    compute_report m_last;
    std::string m_last_error, m_failure;
    job_sender m_sender;
    dma_job m_dma_job;
    // The self-contained form's own blocks (null in the platform's form); its VSSA reads its
    // operands through `own_vssa_mem`, forwarded to `mem` (debug transport).
    tlm_utils::simple_target_socket_optional<compute_ops> own_vssa_mem;
    unsigned forward_dbg(tlm::tlm_generic_payload& tx) { return mem->transport_dbg(tx); }
    std::unique_ptr<vssa::block> m_own_vssa;
    std::unique_ptr<softmax::block> m_own_softmax;
    std::unique_ptr<normact::block> m_own_normact;
    std::unique_ptr<wcomp::block> m_own_decompressor;
    stat_group m_stats;
    uint64_t& m_gemm_commands;
    uint64_t& m_gemm_cycles;
    uint64_t& m_gemm_vssa;
    uint64_t& m_gemm_macs;
    uint64_t& m_gemm_stall;
    uint64_t& m_gemm_tiles;
    uint64_t& m_gemm_busy_pe;
    uint64_t& m_vec_commands;
    uint64_t& m_vec_cycles;
    uint64_t& m_normact_busy;
    uint64_t& m_softmax_busy;
    uint64_t& m_dma_busy;
    uint64_t& m_dram_read;
    uint64_t& m_dram_written;
    uint64_t& m_wcomp_in;
    uint64_t& m_wcomp_out;
    uint64_t& m_wcomp_busy;
    uint64_t& m_wcomp_delay;
    uint64_t& m_transpose_cycles;
    uint64_t& m_transpose_bytes;
    uint64_t& m_gemm_port_wait;
    uint64_t* m_gemm_macs_mode[3];  // gemm_macs_4x4 / 8x4 / 8x8 (energy actions)
    uint64_t* m_elements[5];        // softmax / layernorm / gelu / requant / resadd elements
};

}  // namespace dtq
