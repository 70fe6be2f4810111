// The NM24 decompressor as a block (docs/compression.md, docs/architecture.md): an sc_module
// on the DMA's path whose `in` socket takes expand jobs (common/block_job.h):
//   timing      a B panel of `dense_bytes` dense weights whose compressed bytes the DMA starts
//               loading at the job's ready cycle and finishes at `dma_end`: the stage streams
//               behind the DMA and ends at wcomp::stage_end (docs/timing-model.md#decompressor);
//   functional  (image set) the dense N x K weights of an NM24 image (wcomp::decompress;
//               throws wcomp::format_error for a malformed one), no cycles.
// A streaming stage: consecutive panels are not serialized on it (each one's expansion
// overlaps its own load; the DMA's pace already orders them), as before this module existed.
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <string>
#include <vector>

#include "common/block_job.h"
#include "common/clock.h"
#include "decompressor/wcomp.h"

namespace dtq::wcomp {

struct expand_job : block_job<expand_job> {
    uint64_t dma_end = 0;      // timing: the DMA delivered the panel's last compressed byte
    uint64_t dense_bytes = 0;  // timing: dense bytes the panel expands to (0 = no timing)
    const uint8_t* image = nullptr;  // functional: the NM24 image (row table + row data)
    uint64_t image_bytes = 0, n = 0, k = 0;
    std::vector<int8_t> dense;  // set (functional): N x K
    uint64_t busy = 0;          // set (timing): expand cycles
};

class block : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket_optional<block> in;  // expand_job

    block(const sc_core::sc_module_name& n, const timing& cfg, const dtq::clock& clk, std::string track = "decompressor");
    block(const block&) = delete;
    block& operator=(const block&) = delete;

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

    timing m_cfg;
    dtq::clock m_clk;
    std::string m_track;
};

}  // namespace dtq::wcomp
