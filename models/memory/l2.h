// L2: set-associative, write-back, write-allocate cache in front of DRAM, LRU
// replacement. It keeps tags only: the data lives in DRAM's store (read and written
// through `mem` by debug transport, without timing), so the L2 can never return stale
// data, while its timing and the DRAM traffic it causes (line fills, write-backs) are
// those of a write-back cache. A write miss that covers a whole line allocates it
// without a fill (no bytes of the old line are needed).
// Timing: docs/timing-model.md#l2.
#pragma once
#include <array>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <vector>

#include "common/burst_train.h"
#include "common/clock.h"
#include "common/stats.h"
#include "common/timing_only.h"

namespace dtq {

class trace;

struct l2_config {
    bool enabled = true;
    uint64_t size = 2ull << 20;      // survey Fig. 11: 2 MB
    uint64_t line_bytes = 64;
    uint64_t ways = 16;
    uint64_t hit_latency_cycles = 10;
    uint64_t bytes_per_cycle = 16;   // local memory <-> L2 (survey Fig. 11)
    // Keep each set's recency order as a list of way numbers (most recent first) instead of
    // per-way LRU stamps, for ways <= 16: the victim is read, not searched. The same LRU
    // (same victims, statistics and DRAM traffic); false = the stamp form, kept as the
    // reference (docs/performance.md#l2-fast-path).
    bool fast_path = true;
};

class l2 : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<l2> in;       // from the bus
    tlm_utils::simple_initiator_socket<l2> mem;   // to DRAM

    l2(const sc_core::sc_module_name& name, const l2_config& cfg, const clock& clk);
    l2(const l2&) = delete;
    l2& operator=(const l2&) = delete;
    ~l2() override;

    void reset();
    // Writes back every dirty line (timed DRAM writes issued at `delay`); returns bytes.
    uint64_t flush(sc_core::sc_time& delay);

    // Write-back attribution: writes mark their lines with the current owner (an id the
    // platform sets around each command, 0 = nobody), and a write-back adds its bytes to the
    // owner of the line it writes, so a 32-bit output evicted later counts for its producer.
    void set_owner(uint8_t owner) { m_owner = owner; }
    uint64_t writeback_bytes_of(uint8_t owner) const { return m_wb_bytes[owner]; }

    // Tests: start the LRU stamps at `s`, to cross their renumbering (renumber_stamps).
    void start_stamps_at(int32_t s) { m_stamp = s; }

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    uint64_t access(bool is_write, uint64_t addr, uint64_t len, uint64_t at, tlm::tlm_response_status& st);
    template <bool Fast>
    uint64_t access_impl(bool is_write, uint64_t addr, uint64_t len, uint64_t at, tlm::tlm_response_status& st);
    uint64_t access_train(bool is_write, uint64_t addr, burst_train& t, uint64_t now, tlm::tlm_response_status& st);
    template <bool Write>  // any geometry of the fast path (ways <= 16)
    uint64_t train_loop(uint64_t addr, burst_train& t, uint64_t now, tlm::tlm_response_status& st);
    template <bool Write>  // 16 ways, a power-of-two number of sets (the default)
    uint64_t train_loop16(uint64_t addr, burst_train& t, uint64_t now, tlm::tlm_response_status& st);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    // Timed transfer of whole lines to/from DRAM issued at `at` (time, absolute); returns
    // the cycle its data is done.
    uint64_t dram_burst(bool write, uint64_t addr, uint64_t bytes, const sc_core::sc_time& at,
                        tlm::tlm_response_status& st);
    struct run {  // consecutive lines
        uint64_t addr, bytes;
    };
    // Appends a line to the last run when it follows it, else starts a run.
    void add_run(std::vector<run>& runs, uint64_t line_addr) const;
    void renumber_stamps();
    // Address of the valid line in slot i (= set x ways + way) of `set`.
    uint64_t line_address(uint64_t i, uint64_t set) const {
        return ((uint64_t{static_cast<uint32_t>(m_tag[i])} - 1) * m_sets + set) * m_cfg.line_bytes;
    }

    l2_config m_cfg;
    clock m_clk;
    dtq::trace* const m_trace;  // trace::global(), looked up once (it is checked on every access)
    uint64_t m_sets;
    divider m_port;  // bytes_per_cycle
    divider m_line;  // line_bytes
    uint64_t m_set_mask = 0;  // m_sets - 1 when m_sets is a power of two (else 0: divide)
    unsigned m_set_shift = 0;
    tlm::tlm_generic_payload m_tx;  // line fills and write-backs (timing only: m_ext stays set)
    timing_only m_ext;
    // The tag store, structure of arrays, m_sets x ways each: the tags of one set are
    // contiguous (16 ways = one 64-byte host cache line), so a lookup touches one host line;
    // the LRU stamps are read only to choose a victim. docs/performance.md#timing-mode.
    std::vector<int32_t> m_tag;     // 0 = invalid, else line tag + 1 (as uint32)
    std::vector<int32_t> m_lru;     // last use stamp (unique in a set), 0 = never; renumber_stamps
    // Fast path (m_fast): per set the ways from the most to the least recently used, one per
    // nibble of a uint64 from nibble 0 (nibbles from `ways` on unused); invalid ways last,
    // lowest first, as the stamps do.
    bool m_fast = false;
    std::vector<uint64_t> m_order;
    std::vector<uint8_t> m_dirty;
    std::vector<uint8_t> m_owner_of;  // who last wrote the line (set_owner)
    std::vector<run> m_wb_runs, m_fill_runs;  // DRAM traffic of the access in progress
    // Fast path, trains: the DRAM traffic of the whole train, kept in order while its bursts
    // are looked up, then sent to DRAM as one mixed train (send_deferred). The requests are
    // m_dram_train's bursts, written in place with absolute addresses and cycles (offset,
    // issue) until send_deferred rebases them, each with the index of the client's burst it
    // serves in `client`.
    bool m_defer = false;
    size_t m_burst = 0;  // the client's burst in progress (m_defer)
    burst_train m_dram_train;
    burst_train m_chunk_train;  // a part of m_dram_train (a span beyond 32 bits: rare)
    __attribute__((always_inline)) inline void defer(uint64_t addr, uint64_t bytes, uint64_t at, bool write);
    void defer_out_of_line(uint64_t addr, uint64_t bytes, uint64_t at, bool write);
    void keep_fill_run(uint64_t addr, uint64_t bytes);  // a burst's earlier fill run (m_fill_runs)
    // Sends the deferred requests to DRAM; raises done[burst] to each fill's done + hit latency.
    void send_deferred(std::vector<uint64_t>& done, tlm::tlm_response_status& st);
    int32_t m_stamp = 0;
    uint64_t m_busy_until = 0;
    uint8_t m_owner = 0;
    std::array<uint64_t, 256> m_wb_bytes{};  // write-back bytes by line owner

    stat_group m_stats;
    uint64_t& m_hits;
    uint64_t& m_misses;
    uint64_t& m_evictions;
    uint64_t& m_writebacks;
    uint64_t& m_bytes_read;
    uint64_t& m_bytes_written;
};

}  // namespace dtq
