#include "softmax/softmax_block.h"

#include <algorithm>

#include "common/trace.h"

namespace dtq::softmax {

std::vector<int8_t> probabilities(const unit_config& cfg, const softmax_job& j) {
    std::vector<int8_t> p(j.rows * j.cols);
    run_into(cfg, j.scores, j.rows, j.cols, j.scale, j.causal_offset, p.data(), j.threads);
    return p;
}

block::block(const sc_core::sc_module_name& n, const unit_config& cfg, const dtq::clock& clk, std::string track)
    : sc_module(n), in("in"), spad("spad"), m_cfg(cfg), m_clk(clk), m_track(std::move(track)) {
    in.register_b_transport(this, &block::b_transport);
}

void block::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    serve_job<softmax_job>(tx, delay, m_clk, [this](softmax_job& j, uint64_t ready) {
        j.start = std::max(ready, m_busy_until);
        if (spad.size()) j.start = banks_free_at(m_sender, m_port_job, spad, j.banks, 2, j.start, m_clk);
        j.end = j.start + cycles(m_cfg, j.rows, j.cols);
        if (spad.size()) hold_banks(m_sender, m_port_job, spad, j.banks, 2, j.start, j.end - j.start, m_clk);
        m_busy_until = j.end;
        if (j.scores) j.probs = probabilities(m_cfg, j);
        if (trace::global().enabled() && j.end > j.start) trace::global().span(m_track, j.label, j.start, j.end);
    });
}

}  // namespace dtq::softmax
