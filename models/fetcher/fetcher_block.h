// The Q/K/V fetcher as a block (DTQAtten Sec. IV-A; docs/architecture.md): an sc_module whose
// `in` socket takes one job per head (common/block_job.h): the kept tokens in fetch order, where
// the head's Q, K and V live in DRAM and the line-buffer halves they go to. The fetcher
// generates the tokens' addresses (`lanes` per cycle: Q's, then K's, then V's), coalesces them
// into runs (fetcher.h) and sends each run's descriptor through its `dma` socket as soon as the
// address of the run's last token exists. Without a two-direction line buffer, V is then
// transposed in place through VBUF's port (local_memory.h transpose_pass_cycles;
// docs/timing-model.md#transpose). The job returns when each tensor is in its line buffer.
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <string>
#include <vector>

#include "common/block_job.h"
#include "common/clock.h"
#include "dma/dma.h"
#include "fetcher/fetcher.h"
#include "memory/local_memory.h"

namespace dtq::fetcher {

struct fetch_job : block_job<fetch_job> {
    std::vector<token_ref> tokens;  // fetch order, with the precision each token moves at
    tensor_layout src[3];           // Q, K, V of the head
    uint64_t dst[3] = {0, 0, 0};    // line-buffer addresses
    bool timing_only = true;        // false: the DMA moves the data
    uint64_t transpose_port = 0;    // V's line-buffer port, bytes per cycle (0: a two-direction buffer, no pass)
    uint64_t v_offset = 0;          // V's place in VBUF (from its first byte): the banks the pass holds
    // Set by the block:
    uint64_t ready[3] = {0, 0, 0};  // the cycle each tensor is in its line buffer (V: transposed)
    uint64_t dram_bytes[3] = {0, 0, 0};
    uint64_t busy = 0;              // address generation cycles
    uint64_t dma_busy = 0;          // cycles the fetch added to the DMA's busy union
    uint64_t transpose_cycles = 0, transpose_bytes = 0;
};

struct block_config {
    uint64_t lanes = 1;  // token addresses generated per cycle
};

class block : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket_optional<block> in;  // fetch_job
    tlm_utils::simple_initiator_socket<block> dma;                  // descriptors (dma_job) to the DMA
    // V's transpose pass (transpose_job) to VBUF's `jobs`: the buffer charges it on its banks;
    // unbound (a bench of the fetcher alone): the block charges transpose_pass_cycles itself.
    tlm_utils::simple_initiator_socket_optional<block> vbuf;

    block(const sc_core::sc_module_name& n, const block_config& cfg, const dtq::clock& clk, std::string track = "fetcher");
    block(const block&) = delete;
    block& operator=(const block&) = delete;

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

    block_config m_cfg;
    dtq::clock m_clk;
    std::string m_track;
    job_sender m_sender;
    dma_job m_dma_job;
    transpose_job m_transpose_job;
    uint64_t m_busy_until = 0;
};

}  // namespace dtq::fetcher
