// The VSSA as a block (docs/architecture.md): an sc_module whose `in` socket takes GEMM jobs
// (common/block_job.h) from the sequencer. A job is one GEMM (a Q x K^T or P x V of a head,
// one k-step of a GEMM command's output block): its shape and the tokens' precisions (the
// cycles), and, in functional mode, where its operands are (the values). The block runs the
// shape on the engine (engine.h: the exact tile model, or the Verilated RTL), starts when the
// job's inputs are ready and the arrays are free, annotates the engine's makespan and draws
// the slice on its trace track. It reads its operands through its `mem` socket (debug
// transport through the bus: the line buffers, DRAM) and computes the values with the
// kernels of vssa_values.h; a GEMM command's C is written back through the same socket.
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "common/block_job.h"
#include "common/clock.h"
#include "common/stats.h"
#include "memory/local_memory.h"
#include "vsquant/vsquant.h"
#include "vssa/engine.h"
#include "vssa/vssa_values.h"

namespace dtq::vssa {

// Functional operands of an attention-path job: a head's Q x K^T or P x V. The tensors are
// in the line buffers (bus addresses), the kept tokens back to back in fetch order.
struct attention_operands {
    enum class kind { qk, pv } what = kind::qk;
    uint64_t seq = 0, dh = 0;
    const std::vector<token_slot>* order = nullptr;  // fetch order: how the tokens lie in the line buffers
    const std::vector<uint32_t>* kept = nullptr;     // kept tokens, in token order
    const std::vector<uint8_t>* kept_bits = nullptr;
    uint64_t a = 0, b = 0;                           // qk: Q and K in QBUF / KBUF; pv: b = V in VBUF
    const std::vector<int8_t>* probs = nullptr;      // pv: kept x kept probabilities (the softmax's output)
    bool vsq = false;                                // mode.VSQ (docs/vsquant.md#in-the-platform)
    vsquant::config vc;
};

// Functional operands of a GEMM command (registers.md, GEMM): the whole C = A x B at once
// (bus addresses), in one job that takes no cycles: the cycles come from the command's
// k-step jobs.
struct command_operands {
    uint64_t a = 0, b = 0, c = 0, b_scales = 0;
    uint64_t M = 0, N = 0, K = 0;
    bool b_row_major = false, b4 = false, vsq = false;
    const std::vector<uint8_t>* bits = nullptr;  // the rows' precisions (M)
    const std::vector<int8_t>* b_dense = nullptr;  // layout.WCOMP: the decompressor's output (N x K), read instead of b
    const std::vector<int32_t>* bias = nullptr;    // layout.BIAS: N int32 biases (read by the sequencer, timed)
    vsquant::config vc;
};

// The local memories the array's operand streams come from, in the order the platform binds
// them to the block's `ports` socket (each a memory's `jobs` socket).
enum port : int { QBUF = 0, KBUF, VBUF, SCRATCHPAD, PORTS };

// One operand stream of a job: the bytes [offset, offset + bytes) of a local memory, whose
// banks the array holds from the job's start to its end (docs/timing-model.md#blocks).
struct port_use {
    int port = -1;  // -1: none
    uint64_t offset = 0, bytes = 0;
};

struct gemm_job : block_job<gemm_job> {
    gemm_op op;  // the shape that sets the cycles (op.a / op.bt: operands given directly, e.g. by a test)
    port_use uses[2];  // the operand streams (timing): Q and K, V, or a GEMM k-step's A and B panels
    const attention_operands* attn = nullptr;  // functional mode: the attention path's values
    const command_operands* cmd = nullptr;     // functional mode: a GEMM command's values (no cycles; op unused)
    // Set by the block:
    gemm_result result;
    std::vector<int64_t> scores;  // attn qk: kept x kept, 8-bit domain
    std::vector<int32_t> rows;    // attn pv: seq x dh, original positions (pruned rows 0)
    uint64_t port_wait = 0;       // cycles the job waited for its operands' banks (port contention)
};

// A GEMM operand the command cannot take (a VS-Quant channel maximum out of range): the
// command fails with UNIT_ERROR at `addr`.
struct operand_error : std::runtime_error {
    operand_error(uint64_t a, const std::string& what) : std::runtime_error(what), addr(a) {}
    uint64_t addr;
};

// The job interface, for another implementation of the block (a test's, an RTL wrapper):
// it only has to answer gemm_jobs on a socket bound where the default block's `in` would be.
class block : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket_optional<block> in;  // gemm_job
    tlm_utils::simple_initiator_socket_optional<block> mem;         // operands and results (functional mode), to the bus
    // The banks of the operand streams (port_job to each memory's `jobs`), bound in `port`
    // order; unbound: no port contention (a bench of the block alone).
    tlm_utils::multi_passthrough_initiator_socket_optional<block> ports;

    block(const sc_core::sc_module_name& n, const vssa_config& cfg, const dtq::clock& clk, std::string track = "vssa");
    block(const block&) = delete;
    block& operator=(const block&) = delete;
    const vssa_config& config() const { return m_cfg; }

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    void debug(bool write, uint64_t addr, void* data, uint64_t len);
    void attention_values(gemm_job& j);
    void command_values(const command_operands& o);

    vssa_config m_cfg;
    dtq::clock m_clk;
    std::string m_track;
    uint64_t m_busy_until = 0;  // the arrays are free from this cycle
    job_sender m_sender;        // port_jobs
    port_job m_port_job;
    // command_values' operand copies, reused between commands (every byte is overwritten
    // before it is read: no per-command allocation nor zeroing of up to K x N bytes)
    std::vector<int8_t> m_am, m_bt;
    gemm_memo m_memo;  // timing mode: the results of GEMMs timed before (docs/performance.md#gemm-memo)
    stat_group m_stats;
};

}  // namespace dtq::vssa
