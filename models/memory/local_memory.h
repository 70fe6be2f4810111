// Local memory of the accelerator: scratchpad, accumulator, Q/K/V line buffers.
// Dense SRAM of `banks` equal banks, each with one port of `bytes_per_cycle`, and a fixed
// `latency_cycles`. The bus side (the DMA's transfers) enters through one port of
// `bytes_per_cycle`; the blocks wired to the banks (the VSSA's operand streams, transpose
// passes) reserve the banks they use through the `jobs` socket. With `port_contention`, an
// access waits until every bank it touches is free: docs/timing-model.md#blocks.
// Timing: docs/timing-model.md#local-memories.
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "common/block_job.h"
#include "common/burst_train.h"
#include "common/clock.h"
#include "common/stats.h"

namespace dtq {

struct local_memory_config {
    uint64_t size = 256 << 10;
    uint64_t bytes_per_cycle = 64;
    uint64_t latency_cycles = 1;
    uint64_t banks = 1;            // equal banks of size / banks bytes, one port each
    bool port_contention = true;   // false: the blocks' bank reservations never delay anyone (as before #21's item 2)
};

// A transpose pass over `bytes` of the buffer from `offset` (common/block_job.h), sent to its
// `jobs` socket by a block or the sequencer that needs a row-written tile read by columns (a
// GEMM's row-major B panel, the attention's V): transpose_pass_cycles(bytes, bytes_per_cycle)
// from the cycle the job is ready and the banks it touches are free; it holds them meanwhile.
struct transpose_job : block_job<transpose_job> {
    uint64_t bytes = 0;
    uint64_t offset = 0;  // from the memory's first byte
};

// A block's use of the banks holding [offset, offset + bytes) for `cycles` cycles (an
// operand stream into the VSSA). The block asks with `cycles` = 0 first (start = the cycle
// those banks are free, nothing reserved), then reserves from the start it chose:
// start = max(ready, banks free), end = start + cycles, and the banks are busy until end.
struct port_job : block_job<port_job> {
    uint64_t offset = 0, bytes = 0, cycles = 0;
};

// A block's operand or result stream on one memory: the bytes [offset, offset + bytes).
struct bank_use {
    uint64_t offset = 0, bytes = 0;  // bytes 0: none
};

// A block's side of port_jobs on one memory (`sock`: bound to its `jobs`): the first cycle
// >= `at` at which every bank of `uses` is free ...
template <class Socket>
uint64_t banks_free_at(job_sender& s, port_job& pj, Socket& sock, const bank_use* uses, size_t n, uint64_t at, const clock& clk) {
    for (size_t i = 0; i < n; ++i)
        if (uses[i].bytes) {
            pj.offset = uses[i].offset;
            pj.bytes = uses[i].bytes;
            pj.cycles = 0;
            s.send(sock, pj, at, clk);
            at = std::max(at, pj.start);
        }
    return at;
}
// ... and holding them over [start, start + cycles) (start from banks_free_at).
template <class Socket>
void hold_banks(job_sender& s, port_job& pj, Socket& sock, const bank_use* uses, size_t n, uint64_t start, uint64_t cycles,
                const clock& clk) {
    if (cycles == 0) return;
    for (size_t i = 0; i < n; ++i)
        if (uses[i].bytes) {
            pj.offset = uses[i].offset;
            pj.bytes = uses[i].bytes;
            pj.cycles = cycles;
            s.send(sock, pj, start, clk);
        }
}

class local_memory : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<local_memory> in;  // from the bus
    tlm_utils::multi_passthrough_target_socket_optional<local_memory> jobs;  // transpose_job, port_job

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
    uint64_t access(bool is_read, uint64_t addr, uint64_t n, uint64_t at);
    uint64_t access_train(bool is_read, uint64_t addr, burst_train& t, uint64_t now);
    // The cycle the banks of [addr, addr + n) are free (0 without port_contention), and
    // marking them busy until `until`.
    std::pair<uint64_t, uint64_t> bank_range(uint64_t addr, uint64_t n) const;
    uint64_t banks_free(uint64_t addr, uint64_t n) const;
    void hold_banks(uint64_t addr, uint64_t n, uint64_t until);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    bool in_range(const tlm::tlm_generic_payload& tx) const;

    local_memory_config m_cfg;
    clock m_clk;
    std::vector<uint8_t> m_data;
    uint64_t m_busy_until = 0;              // the bus-side port
    divider m_port;                         // bytes_per_cycle
    divider m_bank_bytes;                   // size / banks
    std::vector<uint64_t> m_bank_busy;      // per bank: busy until (bus accesses and the blocks' reservations)
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
