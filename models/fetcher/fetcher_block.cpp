#include "fetcher/fetcher_block.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/trace.h"
#include "memory/local_memory.h"

namespace dtq::fetcher {

block::block(const sc_core::sc_module_name& n, const block_config& cfg, const dtq::clock& clk, std::string track)
    : sc_module(n), in("in"), dma("dma"), vbuf("vbuf"), m_cfg(cfg), m_clk(clk), m_track(std::move(track)) {
    in.register_b_transport(this, &block::b_transport);
}

void block::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    serve_job<fetch_job>(tx, delay, m_clk, [this](fetch_job& j, uint64_t ready) {
        const bool tracing = trace::global().enabled();
        const uint64_t addr_cycles = address_cycles(j.tokens.size(), m_cfg.lanes);
        const uint64_t fstart = std::max(ready, m_busy_until);
        for (int x = 0; x < 3; ++x) {
            // Tensor x's addresses are generated after those of the tensors before it; a run
            // is issued once the address of its last token exists.
            const uint64_t gen0 = fstart + addr_cycles * static_cast<uint64_t>(x);
            const std::vector<fetch_run> runs = plan(j.src[x], j.tokens);
            const std::vector<dma_descriptor> descs = descriptors(runs, j.dst[x]);
            uint64_t end = gen0 + addr_cycles, first = UINT64_MAX;
            for (size_t i = 0; i < descs.size(); ++i) {
                const uint64_t gen = gen0 + address_cycles(runs[i].first + runs[i].tokens, m_cfg.lanes);
                j.dram_bytes[x] += descs[i].bytes();
                const dma_job& d = send_dma(m_sender, dma, m_dma_job, descs[i], j.timing_only, gen, m_clk);
                first = std::min(first, d.start);
                end = std::max(end, d.end);
                j.dma_busy += d.busy_added;
            }
            if (tracing && first != UINT64_MAX && end > first)
                trace::global().span("dma", fmt::format("fetch {} {}", "QKV"[x], j.label), first, end);
            j.ready[x] = end;
        }
        m_busy_until = fstart + 3 * addr_cycles;
        j.busy = 3 * addr_cycles;
        if (tracing && m_busy_until > fstart) trace::global().span(m_track, j.label, fstart, m_busy_until);
        // P x V reads V by columns (one head dimension across the tokens): without a
        // two-direction buffer a transpose pass reads the head's V rows from VBUF and writes
        // them back transposed through its port.
        if (j.transpose_port) {
            uint64_t vbytes = 0;
            for (const auto& tr : j.tokens) vbytes += vector_bytes({0, j.src[2].elements, j.src[2].elements}, tr.bits);
            uint64_t tc = transpose_pass_cycles(vbytes, j.transpose_port);
            if (vbuf.size()) {  // VBUF runs the pass on its banks (it waits for them if a block holds them)
                m_transpose_job.bytes = vbytes;
                m_transpose_job.offset = j.v_offset;
                m_transpose_job.label = "V " + j.label;
                const uint64_t te = m_sender.send(vbuf, m_transpose_job, j.ready[2], m_clk);
                tc = te - m_transpose_job.start;
                j.ready[2] = te;
            } else {
                if (tracing && tc) trace::global().span("transpose", "V " + j.label, j.ready[2], j.ready[2] + tc);
                j.ready[2] += tc;
            }
            j.transpose_cycles = tc;
            j.transpose_bytes = 2 * vbytes;
        }
        j.start = fstart;
        j.end = std::max({j.ready[0], j.ready[1], j.ready[2], m_busy_until});
    });
}

}  // namespace dtq::fetcher
