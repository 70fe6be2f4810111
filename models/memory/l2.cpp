#include "memory/l2.h"

#include "common/timing_only.h"

namespace dtq {

using namespace sc_core;

l2::l2(const sc_module_name& name, const l2_config& cfg, const clock& clk)
    : sc_module(name),
      in("in"),
      mem("mem"),
      m_cfg(cfg),
      m_clk(clk),
      m_sets(cfg.size / (cfg.line_bytes * cfg.ways)),
      m_stats(this->name()),
      m_hits(m_stats.counter("hits", "count", "line lookups that hit")),
      m_misses(m_stats.counter("misses", "count", "line lookups that missed")),
      m_evictions(m_stats.counter("evictions", "count", "valid lines replaced")),
      m_writebacks(m_stats.counter("writebacks", "count", "dirty lines written back to DRAM")),
      m_bytes_read(m_stats.counter("bytes_read", "bytes", "bytes read by clients")),
      m_bytes_written(m_stats.counter("bytes_written", "bytes", "bytes written by clients")) {
    in.register_b_transport(this, &l2::b_transport);
    in.register_transport_dbg(this, &l2::transport_dbg);
    m_stats.derived("hit_rate", "ratio", "hits / (hits + misses)", [this] {
        const uint64_t n = m_hits + m_misses;
        return n ? static_cast<double>(m_hits) / static_cast<double>(n) : 0.0;
    });
    if (m_sets && !(m_sets & (m_sets - 1))) {  // power of two: mask and shift instead of divisions
        m_set_mask = m_sets - 1;
        while ((uint64_t{1} << m_set_shift) < m_sets) ++m_set_shift;
    }
    reset();
}

void l2::reset() {
    m_lines.assign(m_sets * m_cfg.ways, line{});
    m_stamp = 0;
    m_busy_until = 0;
}

uint64_t l2::dram_line(bool write, uint64_t line_addr, uint64_t at_cycle, tlm::tlm_response_status& st) {
    tlm::tlm_generic_payload& tx = m_tx;  // reused: constructing a payload allocates
    tx.set_extension(&m_ext);
    init_payload(tx, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, line_addr, nullptr, m_cfg.line_bytes);
    sc_time d = m_clk.time(at_cycle) - sc_time_stamp();
    mem->b_transport(tx, d);
    tx.clear_extension(&m_ext);
    if (!tx.is_response_ok()) st = tx.get_response_status();
    return m_clk.cycles(sc_time_stamp() + d);
}

void l2::b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
    const uint64_t addr = tx.get_address(), len = tx.get_data_length();
    const bool is_write = tx.is_write();
    if (len == 0 || tx.get_byte_enable_ptr()) {
        tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    // Data first (functional), through DRAM's debug port: the L2 keeps tags only.
    if (!is_timing_only(tx)) {
        if (mem->transport_dbg(tx) != len) {
            if (tx.is_response_ok()) tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
    }
    const uint64_t now = m_clk.now(delay);
    const uint64_t start = std::max(now, m_busy_until);
    m_busy_until = start + ceil_div(len, m_cfg.bytes_per_cycle);
    uint64_t ready = m_busy_until;
    tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;

    const uint64_t lb = m_cfg.line_bytes;
    for (uint64_t la = addr / lb * lb; la < addr + len; la += lb) {
        const uint64_t index = la / lb;
        const uint64_t set = m_set_mask ? index & m_set_mask : index % m_sets;
        const uint64_t tag = m_set_mask ? index >> m_set_shift : index / m_sets;
        line* ways = &m_lines[set * m_cfg.ways];
        // One pass: the hit, else the victim = the first invalid way, else the least
        // recently used one (stamps are unique).
        line* hit = nullptr;
        line* invalid = nullptr;
        line* oldest = &ways[0];
        for (uint64_t w = 0; w < m_cfg.ways; ++w) {
            line& x = ways[w];
            if (!x.valid) {
                if (!invalid) invalid = &x;
                continue;
            }
            if (x.tag == tag) {
                hit = &x;
                break;
            }
            if (x.lru < oldest->lru || !oldest->valid) oldest = &x;
        }
        if (hit) {
            ++m_hits;
        } else {
            ++m_misses;
            line* victim = invalid ? invalid : oldest;
            if (victim->valid) {
                ++m_evictions;
                if (victim->dirty) {
                    ++m_writebacks;
                    m_wb_bytes[victim->owner] += lb;
                    dram_line(true, (victim->tag * m_sets + set) * lb, start, st);
                }
            }
            const bool whole_line = is_write && la >= addr && la + lb <= addr + len;
            if (!whole_line) ready = std::max(ready, dram_line(false, la, start, st));
            *victim = line{tag, 0, true, false};
            hit = victim;
        }
        hit->lru = ++m_stamp;
        if (is_write) {
            hit->dirty = true;
            hit->owner = m_owner;
        }
    }
    if (st != tlm::TLM_OK_RESPONSE) {
        tx.set_response_status(st);
        return;
    }
    (is_write ? m_bytes_written : m_bytes_read) += len;
    delay = m_clk.time(ready + m_cfg.hit_latency_cycles) - sc_time_stamp();
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned l2::transport_dbg(tlm::tlm_generic_payload& tx) { return mem->transport_dbg(tx); }

uint64_t l2::flush(sc_time& delay) {
    uint64_t bytes = 0;
    tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;
    const uint64_t at = m_clk.now(delay);
    uint64_t done = at;
    for (uint64_t set = 0; set < m_sets; ++set)
        for (uint64_t w = 0; w < m_cfg.ways; ++w) {
            line& l = m_lines[set * m_cfg.ways + w];
            if (l.valid && l.dirty) {
                done = std::max(done, dram_line(true, (l.tag * m_sets + set) * m_cfg.line_bytes, at, st));
                l.dirty = false;
                ++m_writebacks;
                m_wb_bytes[l.owner] += m_cfg.line_bytes;
                bytes += m_cfg.line_bytes;
            }
        }
    delay = m_clk.time(done) - sc_time_stamp();
    return bytes;
}

}  // namespace dtq
