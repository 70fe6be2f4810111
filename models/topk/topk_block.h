// Module 2 of DTQAtten as a block (docs/architecture.md): the importance accumulator and the
// two cascaded top-k engines (topk.h), an sc_module whose `in` socket takes three kinds of
// job (common/block_job.h):
//   reset       a new layer of `tokens` tokens: the importance scores go to 0 (no cycles);
//   importance  a head's rows x cols probabilities (functional: the values and the token of
//               each column) are added to the scores: importance_accumulator::cycles;
//   select      both engines (k0 of the candidates kept, k1 of those at 8 bits: split()'s
//               cycles), then the next layer's precision list (one byte per token: 0, 4, 8) is
//               written to `list_addr` through the `mem` socket; the job ends when the write is
//               done.
// Each job starts when its input is ready and the unit is free.
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <string>
#include <vector>

#include "common/block_job.h"
#include "common/clock.h"
#include "topk/topk.h"

namespace dtq::topk {

struct topk_job : block_job<topk_job> {
    enum class kind { reset, importance, select } what = kind::importance;
    uint64_t tokens = 0;                 // reset: the layer's tokens (the precision list's length)
    uint64_t rows = 0, cols = 0;         // importance: one head's probabilities
    const int8_t* probs = nullptr;       // importance, functional: rows x cols (null = timing only)
    const std::vector<uint32_t>* col_token = nullptr;  // importance (functional), select: the kept tokens
    uint64_t k0 = 0, k1 = 0, list_addr = 0;            // select
    precision_split split;               // set by select
};

struct block_config {
    engine_config engines;
    uint64_t importance_lanes = 16;  // probabilities taken per cycle by the importance accumulator
};

class block : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket_optional<block> in;  // topk_job
    tlm_utils::simple_initiator_socket<block> mem;                  // the precision list (to the bus)

    block(const sc_core::sc_module_name& n, const block_config& cfg, const dtq::clock& clk, std::string track = "topk");
    block(const block&) = delete;
    block& operator=(const block&) = delete;

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

    block_config m_cfg;
    dtq::clock m_clk;
    std::string m_track;
    importance_accumulator m_importance;
    uint64_t m_busy_until = 0;
};

}  // namespace dtq::topk
