#include "dma/dma.h"

#include "common/timing_only.h"
#include "common/trace.h"

#include <algorithm>

#include <fmt/format.h>

namespace dtq {

using namespace sc_core;

dma::dma(const sc_module_name& name, const dma_config& cfg, const clock& clk)
    : sc_module(name),
      mem("mem"),
      in("in"),
      m_cfg(cfg),
      m_clk(clk),
      m_buf(cfg.burst_bytes),
      m_stats(this->name()),
      m_descriptors(m_stats.counter("descriptors", "count", "descriptors completed or failed")),
      m_bytes(m_stats.counter("bytes", "bytes", "bytes copied")),
      m_descriptor_cycles(m_stats.counter("descriptor_cycles_sum", "cycles",
                                          "start-to-done cycles summed over descriptors (overlapping descriptors "
                                          "count twice: may exceed the run's cycles)")),
      m_busy_cycles(m_stats.counter("busy_cycles", "cycles", "cycles with at least one descriptor in flight")),
      m_errors(m_stats.counter("errors", "count", "descriptors stopped by an error response")),
      m_trains(m_stats.counter("train_descriptors", "count", "timing-only descriptors sent as burst trains (dma.trains)")) {
    in.register_b_transport(this, &dma::b_transport);
}

void dma::b_transport(int, tlm::tlm_generic_payload& tx, sc_time& delay) {
    serve_job<dma_job>(tx, delay, m_clk, [this](dma_job& j, uint64_t ready) {
        const uint64_t st = std::max(ready, m_issue);
        m_issue = st + 1;
        j.result = transfer_annotated(j.desc, j.timing_only, st);
        j.busy_added = m_last_busy_added;  // what this descriptor added to busy_cycles (the union)
        j.start = st;
        j.end = j.result.done_cycle;
    });
}

bool dma::burst(bool write, uint64_t addr, uint64_t len, uint8_t* data, bool timing_only_, uint64_t at,
                uint64_t& done, dma_result& r) {
    // One payload reused for every burst: constructing one allocates its extension array,
    // which cost about a tenth of a timing-mode run (docs/performance.md).
    tlm::tlm_generic_payload& tx = m_tx;
    if (timing_only_) tx.set_extension(&m_ext);
    init_payload(tx, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, timing_only_ ? nullptr : data, len);
    sc_time d = m_clk.time(at) - sc_time_stamp();
    mem->b_transport(tx, d);
    if (timing_only_) tx.clear_extension(&m_ext);
    if (!tx.is_response_ok()) {
        r.status = tx.get_response_status();
        r.error_address = addr;
        return false;
    }
    done = m_clk.cycles(sc_time_stamp() + d);
    return true;
}

int dma::train_range(uint64_t addr, uint64_t rows, uint64_t row_bytes, uint64_t stride, uint64_t& extent) const {
    uint64_t span = 0;
    if (rows == 0 || row_bytes == 0 || __builtin_mul_overflow(rows - 1, stride, &span) ||
        __builtin_add_overflow(span, row_bytes, &extent) || extent > UINT32_MAX)
        return -1;
    for (size_t i = 0; i < m_train_ranges.size(); ++i) {
        const range& g = m_train_ranges[i];
        if (addr >= g.base && addr - g.base < g.size && extent <= g.size - (addr - g.base)) return static_cast<int>(i);
    }
    return -1;
}

bool dma::send_train(bool write, uint64_t addr, uint64_t extent, uint64_t at, dma_result& r) {
    tlm::tlm_generic_payload& tx = m_tx;
    tx.set_extension(&m_ext);
    tx.set_extension(&m_train);
    init_payload(tx, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, nullptr, extent);
    sc_time d = m_clk.time(at) - sc_time_stamp();
    mem->b_transport(tx, d);
    tx.clear_extension(&m_train);
    tx.clear_extension(&m_ext);
    if (tx.is_response_ok() && m_train.done.size() == m_train.bursts.size()) return true;
    // Not expected (the ranges are memories, checked above): reported at the train's start.
    r.status = tx.is_response_ok() ? tlm::TLM_GENERIC_ERROR_RESPONSE : tx.get_response_status();
    r.error_address = addr;
    return false;
}

void dma::transfer_trains(const dma_descriptor& d, uint64_t src_extent, uint64_t dst_extent, uint64_t issue,
                          uint64_t& last, dma_result& r) {
    // The bursts are written in place (resize, then fields): a push_back of a struct built on
    // the stack stalled on store forwarding, two thirds of this function's time.
    const uint64_t bb = m_cfg.burst_bytes, per_row = ceil_div(d.row_bytes, bb);
    auto& bursts = m_train.bursts;
    bursts.resize(d.rows * per_row);
    burst_train::burst* b = bursts.data();
    for (uint64_t row = 0, at = 0; row < d.rows; ++row, at += d.src_pitch())
        for (uint64_t off = 0; off < d.row_bytes; off += bb, ++b) {
            b->offset = at + off;
            b->bytes = std::min(bb, d.row_bytes - off);
            b->issue = 0;
            b->write = -1;
        }
    // Reads: every burst requested at `issue`, as on the burst path.
    if (!send_train(false, d.src, src_extent, issue, r)) return;
    std::swap(m_ready, m_train.done);  // per burst, its data arrived
    // Writes: each burst when its data arrived.
    uint64_t base = UINT64_MAX;  // the earliest (a loop over values, which the compiler vectorizes)
    for (const uint64_t x : m_ready) base = std::min(base, x);
    b = bursts.data();
    const uint64_t* ready = m_ready.data();
    if (d.dst_pitch() == d.src_pitch()) {  // the same offsets
        for (size_t i = 0; i < bursts.size(); ++i) b[i].issue = ready[i] - base;
    } else {
        for (uint64_t row = 0, at = 0; row < d.rows; ++row, at += d.dst_pitch())
            for (uint64_t off = 0; off < d.row_bytes; off += bb, ++b, ++ready) {
                b->offset = at + off;
                b->issue = *ready - base;
            }
    }
    if (!send_train(true, d.dst, dst_extent, base, r)) return;
    for (uint64_t w : m_train.done) last = std::max(last, w);
    m_bytes += d.bytes();
}

dma_result dma::transfer_annotated(const dma_descriptor& d, bool timing_only_, uint64_t start_cycle) {
    dma_result r;
    r.start_cycle = start_cycle;
    const uint64_t issue = start_cycle + m_cfg.setup_cycles;
    uint64_t last = issue;
    const uint64_t src_stride = d.src_pitch(), dst_stride = d.dst_pitch();
    uint64_t src_extent = 0, dst_extent = 0;
    int src_range = -1, dst_range = -1;
    if (timing_only_ && m_cfg.trains) {
        src_range = train_range(d.src, d.rows, d.row_bytes, src_stride, src_extent);
        dst_range = train_range(d.dst, d.rows, d.row_bytes, dst_stride, dst_extent);
    }
    if (src_range >= 0 && dst_range >= 0 && src_range != dst_range) {
        ++m_trains;
        transfer_trains(d, src_extent, dst_extent, issue, last, r);
    } else {  // burst by burst
        for (uint64_t row = 0; row < d.rows && r.ok(); ++row) {
            for (uint64_t off = 0; off < d.row_bytes; off += m_cfg.burst_bytes) {
                const uint64_t n = std::min(m_cfg.burst_bytes, d.row_bytes - off);
                uint64_t ready = 0, written = 0;
                if (!burst(false, d.src + row * src_stride + off, n, m_buf.data(), timing_only_, issue, ready, r)) break;
                if (!burst(true, d.dst + row * dst_stride + off, n, m_buf.data(), timing_only_, ready, written, r)) break;
                last = std::max(last, written);
                m_bytes += n;
            }
        }
    }
    r.done_cycle = last;
    ++m_descriptors;
    if (!r.ok()) ++m_errors;
    m_descriptor_cycles += last - start_cycle;
    add_busy(start_cycle, last);
    if (trace::global().enabled())
        trace::global().span(name(), fmt::format("{} x {} B", d.rows, d.row_bytes), start_cycle, last,
                             fmt::format(R"({{"src":"{:#x}","dst":"{:#x}","bytes":{}}})", d.src, d.dst, d.bytes()));
    return r;
}

void dma::add_busy(uint64_t start, uint64_t end) {
    m_last_busy_added = 0;
    // Every later descriptor starts at or after the simulation's present (a job's ready cycle
    // is now + a non-negative delay), so spans that ended before it can never merge again:
    // they are counted in busy_cycles already and leave the map, which stays small on long
    // runs (it grew by the gaps between descriptors, about 0.46 MiB per GPT-2 decode token).
    const uint64_t present = m_clk.now();
    while (!m_busy_spans.empty() && m_busy_spans.begin()->second < present) m_busy_spans.erase(m_busy_spans.begin());
    if (end <= start) return;
    // The common case: the span starts inside or after the last one (descriptors issue in
    // order): extend it in place or append, no node freed and at most one made.
    if (!m_busy_spans.empty()) {
        auto& [first, last] = *m_busy_spans.rbegin();
        if (start >= first && start <= last) {
            m_last_busy_added = end > last ? end - last : 0;
            last = std::max(last, end);
            m_busy_cycles += m_last_busy_added;
            return;
        }
        if (start > last) {
            m_busy_spans.emplace_hint(m_busy_spans.end(), start, end);
            m_last_busy_added = end - start;
            m_busy_cycles += m_last_busy_added;
            return;
        }
    }
    // Merge with every span it touches; busy_cycles grows by what is new.
    auto it = m_busy_spans.upper_bound(start);
    if (it != m_busy_spans.begin() && std::prev(it)->second >= start) --it;
    uint64_t lo = start, hi = end, covered = 0;
    while (it != m_busy_spans.end() && it->first <= hi) {
        lo = std::min(lo, it->first);
        hi = std::max(hi, it->second);
        covered += it->second - it->first;
        it = m_busy_spans.erase(it);
    }
    m_busy_spans.emplace(lo, hi);
    m_last_busy_added = (hi - lo) - covered;
    m_busy_cycles += m_last_busy_added;
}

dma_result dma::transfer(const dma_descriptor& d, bool timing_only_) {
    const dma_result r = transfer_annotated(d, timing_only_, m_clk.now());
    const sc_time until = m_clk.time(r.done_cycle);
    if (until > sc_time_stamp()) wait(until - sc_time_stamp());
    done.notify(SC_ZERO_TIME);
    return r;
}

}  // namespace dtq
