#include "memory/local_memory.h"

#include "common/burst_train.h"

#include <algorithm>
#include <cstring>

#include "common/timing_only.h"
#include "common/trace.h"

namespace dtq {

using namespace sc_core;

local_memory::local_memory(const sc_module_name& name, const local_memory_config& cfg, const clock& clk)
    : sc_module(name),
      in("in"),
      jobs("jobs"),
      m_cfg(cfg),
      m_clk(clk),
      m_data(cfg.size, 0),
      m_port(cfg.bytes_per_cycle),
      m_bank_bytes(std::max<uint64_t>(1, cfg.size / std::max<uint64_t>(1, cfg.banks))),
      m_bank_busy(std::max<uint64_t>(1, cfg.banks), 0),
      m_stats(this->name()),
      m_bytes_read(m_stats.counter("bytes_read", "bytes", "bytes read through the port")),
      m_bytes_written(m_stats.counter("bytes_written", "bytes", "bytes written through the port")) {
    in.register_b_transport(this, &local_memory::b_transport);
    in.register_transport_dbg(this, &local_memory::transport_dbg);
    in.register_get_direct_mem_ptr(this, &local_memory::get_direct_mem_ptr);
    jobs.register_b_transport(this, &local_memory::job_transport);
}

void local_memory::job_transport(int, tlm::tlm_generic_payload& tx, sc_time& delay) {
    if (tx.get_extension<port_job>()) {
        serve_job<port_job>(tx, delay, m_clk, [this](port_job& j, uint64_t ready) {
            j.start = std::max(ready, banks_free(j.offset, j.bytes));
            j.end = j.start + j.cycles;
            if (j.cycles) hold_banks(j.offset, j.bytes, j.end);
        });
        return;
    }
    serve_job<transpose_job>(tx, delay, m_clk, [this](transpose_job& j, uint64_t ready) {
        j.start = std::max(ready, banks_free(j.offset, j.bytes));
        j.end = j.start + transpose_pass_cycles(j.bytes, m_cfg.bytes_per_cycle);
        hold_banks(j.offset, j.bytes, j.end);
        if (trace::global().enabled() && j.end > j.start) trace::global().span("transpose", j.label, j.start, j.end);
    });
}

// The banks [first, last] that bytes [addr, addr + n) touch (n > 0; past the end: the last bank).
std::pair<uint64_t, uint64_t> local_memory::bank_range(uint64_t addr, uint64_t n) const {
    const uint64_t last = m_bank_busy.size() - 1;
    return {std::min(m_bank_bytes.div(addr), last), std::min(m_bank_bytes.div(addr + n - 1), last)};
}

uint64_t local_memory::banks_free(uint64_t addr, uint64_t n) const {
    if (!m_cfg.port_contention || n == 0) return 0;
    const auto [first, last] = bank_range(addr, n);
    return *std::max_element(m_bank_busy.begin() + static_cast<std::ptrdiff_t>(first),
                             m_bank_busy.begin() + static_cast<std::ptrdiff_t>(last) + 1);
}

void local_memory::hold_banks(uint64_t addr, uint64_t n, uint64_t until) {
    if (!m_cfg.port_contention || n == 0) return;
    const auto [first, last] = bank_range(addr, n);
    for (uint64_t b = first; b <= last; ++b) m_bank_busy[b] = std::max(m_bank_busy[b], until);
}

void local_memory::reset() {
    std::fill(m_data.begin(), m_data.end(), 0);
    m_busy_until = 0;
    std::fill(m_bank_busy.begin(), m_bank_busy.end(), 0);
}

bool local_memory::in_range(const tlm::tlm_generic_payload& tx) const {
    const uint64_t a = tx.get_address(), n = tx.get_data_length();
    return n > 0 && a < m_cfg.size && n <= m_cfg.size - a;
}

// One access of `n` bytes at `addr` requested at cycle `at` through the bus-side port; it
// also waits for the banks it touches (a block's reservation); returns the cycle its data
// is done. Without the blocks' reservations a bank is never busy past the port, so the
// port alone sets the pace (as before the banks existed).
uint64_t local_memory::access(bool is_read, uint64_t addr, uint64_t n, uint64_t at) {
    (is_read ? m_bytes_read : m_bytes_written) += n;
    const uint64_t start = std::max(at, m_busy_until);
    if (!m_cfg.port_contention) {
        m_busy_until = start + m_port.ceil(n);
    } else {  // banks_free and hold_banks over one bank range (n > 0: in_range, train_fits)
        const auto [first, last] = bank_range(addr, n);
        uint64_t free_at = 0;
        for (uint64_t b = first; b <= last; ++b) free_at = std::max(free_at, m_bank_busy[b]);
        m_busy_until = std::max(start, free_at) + m_port.ceil(n);
        for (uint64_t b = first; b <= last; ++b) m_bank_busy[b] = std::max(m_bank_busy[b], m_busy_until);
    }
    return m_busy_until + m_cfg.latency_cycles;
}

// A train's bursts, each exactly as access() at now + its issue offset, in one loop (the
// port's busy-until and the byte count in registers); fills t.done, returns the last.
uint64_t local_memory::access_train(bool is_read, uint64_t addr, burst_train& t, uint64_t now) {
    const size_t n = t.bursts.size();
    t.done.resize(n);
    const burst_train::burst* b = t.bursts.data();
    uint64_t* done = t.done.data();
    uint64_t busy = m_busy_until, bytes = 0, last = now;
    const uint64_t latency = m_cfg.latency_cycles;
    const bool contention = m_cfg.port_contention;
    // Members the loop reads, as locals (the stores into the banks' busy-until may alias them,
    // which made the compiler reload each per burst).
    const divider port = m_port, bank = m_bank_bytes;
    uint64_t* const bank_busy = m_bank_busy.data();
    const uint64_t last_bank = m_bank_busy.size() - 1;
    // Within the train every bank is set to the port's busy-until (which never decreases) or
    // keeps its value, so no bank is busy past max(hi, busy): once `start` reaches hi, the
    // banks cannot delay a burst and their update is a store (the same values as access()).
    const uint64_t hi = contention ? *std::max_element(m_bank_busy.begin(), m_bank_busy.end()) : 0;
    for (size_t i = 0; i < n; ++i) {
        const uint64_t a = addr + b[i].offset, len = b[i].bytes;
        uint64_t start = std::max(now + b[i].issue, busy);
        bytes += len;
        if (contention) {
            // bank_range(a, len)
            const uint64_t first = std::min(bank.div(a), last_bank), lastb = std::min(bank.div(a + len - 1), last_bank);
            if (start < hi) {  // a bank may still be held past the port (a block's reservation)
                for (uint64_t k = first; k <= lastb; ++k) start = std::max(start, bank_busy[k]);
                busy = start + port.ceil(len);
                for (uint64_t k = first; k <= lastb; ++k) bank_busy[k] = std::max(bank_busy[k], busy);
            } else {  // every bank is free by `start`: max(bank, busy) = busy, no loads
                busy = start + port.ceil(len);
                if (first == lastb) bank_busy[first] = busy;  // a burst within one bank (most)
                else std::fill(bank_busy + first, bank_busy + lastb + 1, busy);
            }
        } else {
            busy = start + port.ceil(len);
        }
        done[i] = busy + latency;
        last = std::max(last, done[i]);
    }
    m_busy_until = busy;
    (is_read ? m_bytes_read : m_bytes_written) += bytes;
    return last;
}

void local_memory::b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
    if (!in_range(tx)) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return;
    }
    const uint64_t a = tx.get_address(), n = tx.get_data_length();
    const uint64_t now = m_clk.now(delay);
    uint64_t done;
    if (burst_train* t = train_of(tx)) {  // timing only: one access per burst
        if (!train_fits(*t, n)) {
            tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
            return;
        }
        done = access_train(tx.is_read(), a, *t, now);
    } else {
        if (!is_timing_only(tx)) {
            if (tx.is_read()) std::memcpy(tx.get_data_ptr(), &m_data[a], n);
            else std::memcpy(&m_data[a], tx.get_data_ptr(), n);
        }
        done = access(tx.is_read(), a, n, now);
    }
    delay = m_clk.time(done) - sc_time_stamp();
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned local_memory::transport_dbg(tlm::tlm_generic_payload& tx) {
    if (!in_range(tx)) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    const uint64_t a = tx.get_address(), n = tx.get_data_length();
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), &m_data[a], n);
    else if (tx.is_write()) std::memcpy(&m_data[a], tx.get_data_ptr(), n);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return static_cast<unsigned>(n);
}

bool local_memory::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    dmi.set_dmi_ptr(m_data.data());
    dmi.set_start_address(0);
    dmi.set_end_address(m_cfg.size - 1);
    dmi.allow_read_write();
    dmi.set_read_latency(m_clk.time(m_cfg.latency_cycles));
    dmi.set_write_latency(m_clk.time(m_cfg.latency_cycles));
    return true;
}

}  // namespace dtq
