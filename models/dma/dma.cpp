#include "dma/dma.h"

#include "common/timing_only.h"
#include "common/trace.h"

#include <fmt/format.h>

namespace dtq {

using namespace sc_core;

dma::dma(const sc_module_name& name, const dma_config& cfg, const clock& clk)
    : sc_module(name),
      mem("mem"),
      m_cfg(cfg),
      m_clk(clk),
      m_buf(cfg.burst_bytes),
      m_stats(this->name()),
      m_descriptors(m_stats.counter("descriptors", "count", "descriptors completed or failed")),
      m_bytes(m_stats.counter("bytes", "bytes", "bytes copied")),
      m_busy_cycles(m_stats.counter("busy_cycles", "cycles", "sum over descriptors of start-to-done cycles")),
      m_errors(m_stats.counter("errors", "count", "descriptors stopped by an error response")) {}

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

dma_result dma::transfer_annotated(const dma_descriptor& d, bool timing_only_, uint64_t start_cycle) {
    dma_result r;
    r.start_cycle = start_cycle;
    const uint64_t issue = start_cycle + m_cfg.setup_cycles;
    uint64_t last = issue;
    const uint64_t src_stride = d.src_stride ? d.src_stride : d.row_bytes;
    const uint64_t dst_stride = d.dst_stride ? d.dst_stride : d.row_bytes;
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
    r.done_cycle = last;
    ++m_descriptors;
    if (!r.ok()) ++m_errors;
    m_busy_cycles += last - start_cycle;
    if (trace::global().enabled())
        trace::global().span(name(), fmt::format("{} x {} B", d.rows, d.row_bytes), start_cycle, last,
                             fmt::format(R"({{"src":"{:#x}","dst":"{:#x}","bytes":{}}})", d.src, d.dst, d.bytes()));
    return r;
}

dma_result dma::transfer(const dma_descriptor& d, bool timing_only_) {
    const dma_result r = transfer_annotated(d, timing_only_, m_clk.now());
    const sc_time until = m_clk.time(r.done_cycle);
    if (until > sc_time_stamp()) wait(until - sc_time_stamp());
    done.notify(SC_ZERO_TIME);
    return r;
}

}  // namespace dtq
