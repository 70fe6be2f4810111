#include "decompressor/decompressor_block.h"

#include "common/trace.h"

namespace dtq::wcomp {

block::block(const sc_core::sc_module_name& n, const timing& cfg, const dtq::clock& clk, std::string track)
    : sc_module(n), in("in"), m_cfg(cfg), m_clk(clk), m_track(std::move(track)) {
    in.register_b_transport(this, &block::b_transport);
}

void block::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    serve_job<expand_job>(tx, delay, m_clk, [this](expand_job& j, uint64_t ready) {
        j.start = j.end = ready;
        if (j.image) j.dense = decompress(j.image, j.image_bytes, j.n, j.k);
        if (j.dense_bytes) {
            j.end = stage_end(ready, j.dma_end, j.dense_bytes, m_cfg);
            j.busy = expand_cycles(j.dense_bytes, m_cfg);
            if (trace::global().enabled()) trace::global().span(m_track, j.label, j.start, j.end);
        }
    });
}

}  // namespace dtq::wcomp
