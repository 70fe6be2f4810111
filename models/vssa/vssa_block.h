// The VSSA as a block (docs/architecture.md): an sc_module whose `in` socket takes GEMM jobs
// (common/block_job.h) from the sequencer. A job is one GEMM (a Q x K^T or P x V of a head,
// one k-step of a GEMM command's output block): its shape, the tokens' precisions and, in
// functional mode, its operands. The block runs it on the engine (engine.h: the exact tile
// model, or the Verilated RTL), starts when the job's inputs are ready and the arrays are
// free, annotates the engine's makespan and draws the slice on its trace track.
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <string>

#include "common/block_job.h"
#include "common/clock.h"
#include "vssa/engine.h"

namespace dtq::vssa {

struct gemm_job : block_job<gemm_job> {
    gemm_op op;          // what to compute; op.a / op.bt null = timing only (same cycles)
    gemm_result result;  // set by the block
};

// The job interface, for another implementation of the block (a test's, an RTL wrapper):
// it only has to answer gemm_jobs on a socket bound where the default block's `in` would be.
class block : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket_optional<block> in;  // gemm_job

    block(const sc_core::sc_module_name& n, const vssa_config& cfg, const dtq::clock& clk, std::string track = "vssa");
    block(const block&) = delete;
    block& operator=(const block&) = delete;
    const vssa_config& config() const { return m_cfg; }

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

    vssa_config m_cfg;
    dtq::clock m_clk;
    std::string m_track;
    uint64_t m_busy_until = 0;  // the arrays are free from this cycle
};

}  // namespace dtq::vssa
