// DRAM: one channel with a data bus of `bytes_per_cycle`, a fixed access latency and an
// optional bank/row-buffer model. Loosely timed: a transaction is served when the
// channel is free ("busy until"), the data bus is occupied ceil(len / bytes_per_cycle)
// cycles and the response arrives `latency` cycles after the last beat.
// Timing: docs/timing-model.md#dram. Backing store is sparse (4 KiB pages).
// With `model: jedec` the timing is the JEDEC model's (memory/dram_jedec.h,
// docs/timing-model.md#jedec-dram); the functional path is the same.
#pragma once
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <vector>

#include "common/burst_train.h"
#include "common/clock.h"
#include "memory/dram_jedec.h"
#include "common/stats.h"
#include "memory/sparse_store.h"

namespace dtq {

class trace;

struct dram_config {
    uint64_t size = 4ull << 30;        // bytes of address space
    uint64_t bytes_per_cycle = 64;     // data bus width per accelerator cycle (survey Fig. 11)
    uint64_t latency_cycles = 100;     // fixed access latency when banks are off
    bool banks_enabled = false;        // row-buffer model
    uint64_t banks = 8;
    uint64_t row_bytes = 2048;
    uint64_t row_hit_cycles = 20;      // tCAS-like: row already open
    uint64_t row_miss_cycles = 60;     // tRP + tRCD + tCAS-like: close, open, read
    std::string model = "simple";      // simple | jedec (memory/dram_jedec.h)
    dram_jedec_options jedec;
};

class dram : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<dram> in;  // from the bus or the L2

    dram(const sc_core::sc_module_name& name, const dram_config& cfg, const clock& clk);
    dram(const dram&) = delete;
    dram& operator=(const dram&) = delete;

    void reset();
    const dram_config& config() const { return m_cfg; }

    // Backdoor access for loaders and tests: no timing, no statistics.
    void poke(uint64_t addr, const void* src, uint64_t len);
    void peek(uint64_t addr, void* dst, uint64_t len) const;
    // Backdoor: [addr, addr + len) holds fill's bytes (fill(offset, dst, n), offset 0 at addr)
    // as if poked now, computed when read (sparse_store::generate): read-only contents such
    // as synthetic weights cost no host pages.
    void generate(uint64_t addr, uint64_t len, sparse_store::fill_fn fill) { m_store.generate(addr, len, std::move(fill)); }
    void set_read_threads(unsigned n) { m_store.set_read_threads(n); }  // sparse_store::set_read_threads
    uint64_t pages_allocated() const { return m_store.pages_allocated(); }
    uint64_t bytes_read() const { return m_bytes_read; }        // the dram.bytes_read statistic
    uint64_t bytes_written() const { return m_bytes_written; }  // the dram.bytes_written statistic
    // The JEDEC model (null with model: simple).
    dram_jedec* jedec() { return m_jedec.get(); }

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    uint64_t access(bool is_read, uint64_t addr, uint64_t len, uint64_t at);
    uint64_t access_train(bool is_read, uint64_t addr, burst_train& t, uint64_t now);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    bool check(tlm::tlm_generic_payload& tx) const;
    uint64_t access_latency(uint64_t addr, uint64_t len, uint64_t& extra_busy);
    void jedec_stats();
    void sync_jedec_counters();
    bool m_in_train = false;  // inside a train: sync_jedec_counters once after it
    void start_of_simulation() override;  // the trace is on by then: the command observer
    static void on_command(void* self, unsigned ch, unsigned rank, int bank, uint64_t row, dram_jedec::cmd c,
                           uint64_t at);

    dram_config m_cfg;
    clock m_clk;
    dtq::trace* const m_trace;  // trace::global(), looked up once (it is checked on every access)
    sparse_store m_store;
    divider m_port;       // bytes_per_cycle
    divider m_row_bytes;  // banks.row_bytes
    divider m_banks;      // banks.count
    uint64_t m_busy_until = 0;
    std::vector<int64_t> m_open_row;  // per bank, -1 = closed
    std::unique_ptr<dram_jedec> m_jedec;
    std::vector<std::string> m_tracks;  // trace track per channel (jedec)

    stat_group m_stats;
    uint64_t& m_bytes_read;
    uint64_t& m_bytes_written;
    uint64_t& m_reads;
    uint64_t& m_writes;
    uint64_t& m_busy_cycles;
    uint64_t& m_row_hits;
    uint64_t& m_row_misses;
};

}  // namespace dtq
