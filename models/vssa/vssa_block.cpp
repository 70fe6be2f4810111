#include "vssa/vssa_block.h"

#include <algorithm>

#include "common/trace.h"

namespace dtq::vssa {

block::block(const sc_core::sc_module_name& n, const vssa_config& cfg, const dtq::clock& clk, std::string track)
    : sc_module(n), in("in"), m_cfg(cfg), m_clk(clk), m_track(std::move(track)) {
    in.register_b_transport(this, &block::b_transport);
}

void block::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    serve_job<gemm_job>(tx, delay, m_clk, [this](gemm_job& j, uint64_t ready) {
        j.result = run_gemm(m_cfg, j.op);
        j.start = std::max(ready, m_busy_until);
        j.end = j.start + j.result.cycles;
        m_busy_until = j.end;
        if (trace::global().enabled() && j.end > j.start)
            trace::global().span(m_track, j.label.empty() ? j.op.name : j.label, j.start, j.end);
    });
}

}  // namespace dtq::vssa
