// The softmax unit as a block (docs/architecture.md): an sc_module whose `in` socket takes
// softmax jobs (common/block_job.h): `rows` rows of `cols` int32 scores, from the VSSA (Q x
// K^T of a head) or from the scratchpad (a SOFTMAX command's block of rows). In functional
// mode the job carries the scores and gets the 8-bit probabilities back (softmax_unit.h: I-BERT
// i-softmax or Softermax). The block starts when the scores are ready and the unit is free
// and annotates softmax::cycles of its mode (models/ibert/timing.h, docs/timing-model.md).
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <string>
#include <vector>

#include "common/block_job.h"
#include "common/clock.h"
#include "memory/local_memory.h"
#include "softmax/softmax_unit.h"

namespace dtq::softmax {

struct softmax_job : block_job<softmax_job> {
    uint64_t rows = 0, cols = 0;
    // Functional (scores null = timing only): rows x cols scores, row-major (real = score x scale).
    const int64_t* scores = nullptr;
    double scale = 1.0;
    // >= 0: causal rows, row r sees columns 0 .. causal_offset + r (at most cols), the rest get 0.
    int64_t causal_offset = -1;
    unsigned threads = 1;       // host threads for the rows (results do not depend on it)
    std::vector<int8_t> probs;  // set by the block (functional): rows x cols
    // The scratchpad banks the unit reads its scores from and writes its probabilities to (a
    // SOFTMAX command's block; none on the attention path): held for the job's duration.
    bank_use banks[2];
};

// The default implementation; another one only has to answer softmax_jobs on its socket.
class block : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket_optional<block> in;  // softmax_job
    tlm_utils::simple_initiator_socket_optional<block> spad;         // port_job to the scratchpad's `jobs` (unbound: no contention)

    block(const sc_core::sc_module_name& n, const unit_config& cfg, const dtq::clock& clk, std::string track = "softmax");
    block(const block&) = delete;
    block& operator=(const block&) = delete;
    const unit_config& config() const { return m_cfg; }

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

    unit_config m_cfg;
    dtq::clock m_clk;
    std::string m_track;
    uint64_t m_busy_until = 0;
    job_sender m_sender;
    port_job m_port_job;
};

// The functional part of a softmax job, for any implementation of the block: the
// probabilities of job.scores with the unit `cfg`.
std::vector<int8_t> probabilities(const unit_config& cfg, const softmax_job& job);

}  // namespace dtq::softmax
