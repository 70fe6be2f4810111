// Local memory of the accelerator: scratchpad, accumulator, Q/K/V line buffers.
// Dense SRAM with one port of `bytes_per_cycle` and a fixed `latency_cycles`.
// Timing: docs/timing-model.md#local-memories.
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <vector>

#include "common/block_job.h"
#include "common/clock.h"
#include "common/stats.h"

namespace dtq {

struct local_memory_config {
    uint64_t size = 256 << 10;
    uint64_t bytes_per_cycle = 64;
    uint64_t latency_cycles = 1;
};

// A transpose pass over `bytes` of the buffer (common/block_job.h), sent to its `jobs` socket
// by a block or the sequencer that needs a row-written tile read by columns (a GEMM's
// row-major B panel): transpose_pass_cycles(bytes, bytes_per_cycle) from the job's ready
// cycle. The pass does not queue behind the port's other accesses (port contention between
// blocks is not modelled, docs/timing-model.md#blocks).
struct transpose_job : block_job<transpose_job> {
    uint64_t bytes = 0;
};

class local_memory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<local_memory> in;  // from the bus
    tlm_utils::multi_passthrough_target_socket_optional<local_memory> jobs;  // transpose_job

    local_memory(const sc_core::sc_module_name& name, const local_memory_config& cfg, const clock& clk);
    local_memory(const local_memory&) = delete;
    local_memory& operator=(const local_memory&) = delete;

    void reset();
    const local_memory_config& config() const { return m_cfg; }
    uint8_t* data() { return m_data.data(); }  // backdoor for the compute units and tests
    const uint8_t* data() const { return m_data.data(); }

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    void job_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    uint64_t access(bool is_read, uint64_t n, uint64_t at);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    bool in_range(const tlm::tlm_generic_payload& tx) const;

    local_memory_config m_cfg;
    clock m_clk;
    std::vector<uint8_t> m_data;
    uint64_t m_busy_until = 0;
    stat_group m_stats;
    uint64_t& m_bytes_read;
    uint64_t& m_bytes_written;
};

// An explicit transpose pass over `bytes` of a buffer whose rows can only be read and written
// whole (no column access): every byte is read once and written once through the buffer's
// `port_bytes`-wide port, one access per cycle: 2 ceil(bytes / port_bytes) cycles
// (docs/timing-model.md#transpose). A two-direction accessible buffer needs no pass.
constexpr uint64_t transpose_pass_cycles(uint64_t bytes, uint64_t port_bytes) {
    return 2 * ((bytes + port_bytes - 1) / port_bytes);
}

}  // namespace dtq
