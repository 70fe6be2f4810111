// The norm/act unit as a block (docs/architecture.md): an sc_module whose `in` socket takes
// the row jobs of the vector commands LAYERNORM, GELU, REQUANT and RESADD (common/block_job.h):
// a block of `rows` rows of `cols` elements in the scratchpad. In functional mode the job
// carries the rows and gets the results back, computed by the bit-exact row functions of
// models/ibert/normact.h. The block starts when its rows are loaded and the unit is free and
// annotates the cycles of models/ibert/timing.h (docs/timing-model.md): LayerNorm three
// passes per row plus the pipeline latency per row; the element-wise ops stream their rows
// back to back and pay the latency once per command (`first`).
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <string>

#include "common/block_job.h"
#include "common/clock.h"
#include "memory/local_memory.h"
#include "ibert/normact.h"
#include "ibert/timing.h"

namespace dtq::normact {

enum class op { layernorm, gelu, requant, resadd };

struct row_job : block_job<row_job> {
    op kind = op::layernorm;
    uint64_t rows = 0, cols = 0;
    bool first = true;  // the command's first block (element-wise ops: the pipeline latency)
    // Functional (in null = timing only), row-major, `cols` elements per row:
    const void* in = nullptr;   // int32 rows (GELU: int8)
    const void* aux = nullptr;  // LAYERNORM: int32 bias (cols) or null; RESADD: int8 residual rows;
                                // REQUANT: one precision byte per row (0, 4, 8) or null (all 8)
    int32_t param[4] = {0, 0, 0, 0};  // the command's PARAM0..3 (docs/encoder.md)
    const int32_t* channel = nullptr;  // REQUANT PER_CHANNEL: cols (m, e) pairs (then aux is null: every row int8)
    bool relu = false;                 // REQUANT RELU: max(x, 0) before the requantization
    void* out = nullptr;        // int32 rows (REQUANT: cols bytes per row)
    unsigned threads = 1;       // host threads for the rows (results do not depend on it)
    // The scratchpad banks the unit reads its rows from and writes its results to: held for
    // the job's duration (docs/timing-model.md#blocks).
    bank_use banks[2];
};

// Cycles of a row job on a unit of configuration `c` (what the default block charges).
uint64_t cycles(const row_job& j, const ibert::vector_unit_config& c);
// The functional part of a row job (any implementation of the block may call it).
void compute(const row_job& j);

class block : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket_optional<block> in;  // row_job
    tlm_utils::simple_initiator_socket_optional<block> spad;         // port_job to the scratchpad's `jobs` (unbound: no contention)

    block(const sc_core::sc_module_name& n, const ibert::vector_unit_config& cfg, const dtq::clock& clk,
          std::string track = "normact");
    block(const block&) = delete;
    block& operator=(const block&) = delete;

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

    ibert::vector_unit_config m_cfg;
    dtq::clock m_clk;
    std::string m_track;
    uint64_t m_busy_until = 0;
    job_sender m_sender;
    port_job m_port_job;
};

}  // namespace dtq::normact
