// DMA engine: 1-D and 2-D (rows x row_bytes, with source and destination strides)
// copies between any two mapped ranges (DRAM/L2 and the local memories), in bursts of
// `burst_bytes`. The engine itself is not a bottleneck: all bursts are requested
// after `setup_cycles`, the source serves them as fast as its port allows and each
// burst is written as soon as its data arrived, so a transfer is bound by its slowest
// hop. One blocking call per descriptor; it waits once, until the last write is done.
// Timing: docs/timing-model.md#dma.
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <map>
#include <string>
#include <vector>

#include "common/block_job.h"
#include "common/clock.h"
#include "common/burst_train.h"
#include "common/stats.h"
#include "common/timing_only.h"

namespace dtq {

struct dma_config {
    uint64_t setup_cycles = 10;   // descriptor decode and first request
    uint64_t burst_bytes = 256;   // largest single bus transaction
    // Timing only: send a descriptor's bursts as one burst train per side
    // (common/burst_train.h) where set_train_ranges allows it. Same timing and statistics,
    // fewer transactions (docs/performance.md#timing-mode).
    bool trains = true;
};

struct dma_descriptor {
    uint64_t src = 0, dst = 0;
    uint64_t rows = 1;            // 1 = a 1-D transfer
    uint64_t row_bytes = 0;
    uint64_t src_stride = 0;      // bytes between row starts (2-D); 0 = rows are contiguous
    uint64_t dst_stride = 0;
    uint64_t bytes() const { return rows * row_bytes; }
    // Bytes between row starts as used: the stride, or row_bytes when it is 0.
    uint64_t src_pitch() const { return src_stride ? src_stride : row_bytes; }
    uint64_t dst_pitch() const { return dst_stride ? dst_stride : row_bytes; }
};

struct dma_result {
    tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
    uint64_t error_address = 0;   // address of the failing burst
    uint64_t start_cycle = 0, done_cycle = 0;
    bool ok() const { return status == tlm::TLM_OK_RESPONSE; }
};

// A descriptor sent as a job to the DMA's `in` socket (the fetcher's Q/K/V runs, the
// sequencer's operand loads and result stores; common/block_job.h). The engine keeps many
// descriptors in flight: it issues one per cycle, in order (a descriptor ready at cycle r
// goes out at max(r, the cycle after the previous issue)), each after its setup, and the
// memories' ports set the pace. Timing only: the data of a timing_only descriptor does not
// move (functional commands move theirs by debug transport).
struct dma_job : block_job<dma_job> {
    dma_descriptor desc;
    bool timing_only = true;
    dma_result result;        // set by the DMA; result.ok() false = a TLM error response
    uint64_t busy_added = 0;  // cycles this transfer added to the union of the queue's busy intervals
};

class dma : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<dma> mem;  // to the bus
    tlm_utils::multi_passthrough_target_socket_optional<dma> in;  // descriptor jobs (dma_job)
    sc_core::sc_event done;                       // notified when a descriptor completes

    dma(const sc_core::sc_module_name& name, const dma_config& cfg, const clock& clk);
    dma(const dma&) = delete;
    dma& operator=(const dma&) = delete;

    // Blocking: call from an SC_THREAD. `timing_only` moves no data (timing mode).
    dma_result transfer(const dma_descriptor& d, bool timing_only = false);
    // Non-waiting form: returns the result with done_cycle set, advancing no time;
    // the caller accounts for the time (temporal decoupling).
    dma_result transfer_annotated(const dma_descriptor& d, bool timing_only, uint64_t start_cycle);

    // Bus address ranges [base, base + size) of memories whose whole path accepts burst
    // trains (set by the platform, which alone knows the map). A timing-only descriptor goes
    // as trains when its source and its destination each lie in one of them, different ones.
    struct range {
        uint64_t base, size;
    };
    void set_train_ranges(std::vector<range> ranges) { m_train_ranges = std::move(ranges); }

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    bool burst(bool write, uint64_t addr, uint64_t len, uint8_t* data, bool timing_only, uint64_t at,
               uint64_t& done, dma_result& r);

    // The range index holding rows x row_bytes at `addr` with `stride`, or -1.
    int train_range(uint64_t addr, uint64_t rows, uint64_t row_bytes, uint64_t stride, uint64_t& extent) const;
    // The descriptor's bursts as two trains (read, then write at each burst's arrival).
    void transfer_trains(const dma_descriptor& d, uint64_t src_extent, uint64_t dst_extent, uint64_t issue,
                         uint64_t& last, dma_result& r);
    bool send_train(bool write, uint64_t addr, uint64_t extent, uint64_t at, dma_result& r);

    dma_config m_cfg;
    std::vector<range> m_train_ranges;
    burst_train m_train;
    std::vector<uint64_t> m_ready;  // per burst, its data arrived (train path)
    clock m_clk;
    std::vector<uint8_t> m_buf;
    tlm::tlm_generic_payload m_tx;  // reused by every burst
    timing_only m_ext;
    stat_group m_stats;
    uint64_t& m_descriptors;
    uint64_t& m_bytes;
    uint64_t& m_descriptor_cycles;  // descriptor_cycles_sum: start-to-done summed (overlaps count twice)
    uint64_t& m_busy_cycles;        // busy_cycles: cycles with at least one descriptor in flight
    uint64_t& m_errors;
    uint64_t& m_trains;
    // The union of the descriptors' [start, done) intervals, merged: busy_cycles is its length.
    std::map<uint64_t, uint64_t> m_busy_spans;  // start -> end, disjoint
    void add_busy(uint64_t start, uint64_t end);
    uint64_t m_issue = 0;             // descriptor jobs: next issue slot
    uint64_t m_last_busy_added = 0;   // what the last add_busy added to the union's length
};

// Sends `d` as a job to a DMA's `in` socket (ready at cycle `ready`); throws bus_fault when
// the transfer got an error response.
template <class Socket>
const dma_job& send_dma(job_sender& sender, Socket& socket, dma_job& job, const dma_descriptor& d, bool timing_only,
                        uint64_t ready, const clock& clk) {
    job.desc = d;
    job.timing_only = timing_only;
    sender.send(socket, job, ready, clk);
    if (!job.result.ok())
        throw bus_fault(job.result.error_address, std::string("DMA got ") + response_name(job.result.status) + " at " +
                                                      hex_address(job.result.error_address));
    return job;
}

}  // namespace dtq
