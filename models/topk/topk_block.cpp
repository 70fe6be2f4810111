#include "topk/topk_block.h"

#include <algorithm>

#include "common/timing_only.h"
#include "common/trace.h"

namespace dtq::topk {

block::block(const sc_core::sc_module_name& n, const block_config& cfg, const dtq::clock& clk, std::string track)
    : sc_module(n), in("in"), mem("mem"), m_cfg(cfg), m_clk(clk), m_track(std::move(track)) {
    in.register_b_transport(this, &block::b_transport);
}

void block::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    serve_job<topk_job>(tx, delay, m_clk, [this](topk_job& j, uint64_t ready) {
        const bool tracing = trace::global().enabled();
        j.start = std::max(ready, m_busy_until);
        switch (j.what) {
            case topk_job::kind::reset:
                m_importance.reset(j.tokens);
                j.start = j.end = ready;
                return;
            case topk_job::kind::importance:
                j.end = j.start + importance_accumulator::cycles(j.rows, j.cols, m_cfg.importance_lanes);
                if (j.probs) m_importance.accumulate(reinterpret_cast<const uint8_t*>(j.probs), j.rows, j.cols, *j.col_token);
                if (tracing && j.end > j.start) trace::global().span(m_track, j.label, j.start, j.end);
                break;
            case topk_job::kind::select: {
                j.split = split(m_cfg.engines, m_importance.scores(), *j.col_token, j.k0, j.k1);
                const uint64_t seq = m_importance.scores().size();
                std::vector<uint8_t> next(seq, 0);
                for (uint32_t id : j.split.bits4) next[id] = 4;
                for (uint32_t id : j.split.bits8) next[id] = 8;
                tlm::tlm_generic_payload w;
                init_payload(w, tlm::TLM_WRITE_COMMAND, j.list_addr, next.data(), seq);
                sc_core::sc_time d = m_clk.time(j.start + j.split.cycles) - sc_core::sc_time_stamp();
                mem->b_transport(w, d);
                if (!w.is_response_ok())
                    throw bus_fault(j.list_addr, "writing the precision list at " + hex_address(j.list_addr));
                j.end = m_clk.cycles(sc_core::sc_time_stamp() + d);
                if (tracing && j.split.cycles) trace::global().span(m_track, "top-k engines", j.start, j.start + j.split.cycles);
                break;
            }
        }
        m_busy_until = j.end;
    });
}

}  // namespace dtq::topk
