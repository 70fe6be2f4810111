#include "normact/normact_block.h"

#include <algorithm>
#include <vector>

#include "common/host_pool.h"
#include "common/trace.h"

namespace dtq::normact {

uint64_t cycles(const row_job& j, const ibert::vector_unit_config& c) {
    if (j.kind == op::layernorm) return ibert::layernorm_cycles(j.cols, j.rows, c);
    return j.rows * ibert::vectors_per_row(j.cols, c) + (j.first ? c.pipeline_latency : 0);
}

void compute(const row_job& j) {
    namespace na = ibert::normact;
    const uint64_t cols = j.cols;
    const auto* i32 = static_cast<const int32_t*>(j.in);
    auto* o32 = static_cast<int32_t*>(j.out);
    // The rows are independent: up to j.threads host threads take contiguous ranges of them
    // (common/host_pool.h; the same results and exception whatever the count).
    const uint64_t ps = j.kind == op::layernorm ? PS_LAYERNORM : j.kind == op::gelu ? PS_GELU : j.kind == op::resadd ? PS_RESADD : PS_REQUANT;
    const auto rows = [&](auto&& row) { parallel_rows(j.threads, j.rows, cols * ps, PART_MIN_PS, row); };
    switch (j.kind) {
        case op::layernorm:
            rows([&](uint64_t r) {
                na::layernorm_row(i32 + r * cols, cols, j.param[0], static_cast<const int32_t*>(j.aux), o32 + r * cols);
            });
            break;
        case op::gelu: {
            ibert::gelu_consts_t k;
            k.b_int = j.param[0];
            k.c_int = j.param[1];
            k.shift_int = j.param[2];
            k.n = j.param[3];  // the erf shift (0..31, checked at submit)
            rows([&](uint64_t r) { na::gelu_row(static_cast<const int8_t*>(j.in) + r * cols, cols, k, o32 + r * cols); });
            break;
        }
        case op::requant: {
            const auto* bits = static_cast<const uint8_t*>(j.aux);
            auto* o8 = static_cast<uint8_t*>(j.out);
            // RELU: max(x, 0) on the int32 input. The requantization is monotone and maps 0 to
            // 0, so this equals ReLU of its int8 (or 4-bit) output, whatever the row's precision.
            rows([&](uint64_t r) {
                const int32_t* x = i32 + r * cols;
                thread_local std::vector<int32_t> pos;  // a row's clamped copy, reused (RELU only)
                if (j.relu) {
                    pos.assign(x, x + cols);
                    for (auto& v : pos) v = std::max(v, 0);
                    x = pos.data();
                }
                if (j.channel)
                    na::requant_row_channels(x, cols, j.channel, o8 + r * cols);
                else
                    na::requant_row(x, cols, j.param[0], j.param[1], bits ? bits[r] : uint8_t{8}, o8 + r * cols);
            });
            break;
        }
        case op::resadd: {
            const auto* res = static_cast<const int8_t*>(j.aux);
            rows([&](uint64_t r) {
                na::resadd_row(i32 + r * cols, res + r * cols, cols, j.param[0], j.param[1], j.param[2], j.param[3], o32 + r * cols);
            });
        }
    }
}

block::block(const sc_core::sc_module_name& n, const ibert::vector_unit_config& cfg, const dtq::clock& clk, std::string track)
    : sc_module(n), in("in"), spad("spad"), m_cfg(cfg), m_clk(clk), m_track(std::move(track)) {
    in.register_b_transport(this, &block::b_transport);
}

void block::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    serve_job<row_job>(tx, delay, m_clk, [this](row_job& j, uint64_t ready) {
        j.start = std::max(ready, m_busy_until);
        if (spad.size()) j.start = banks_free_at(m_sender, m_port_job, spad, j.banks, 2, j.start, m_clk);
        j.end = j.start + cycles(j, m_cfg);
        if (spad.size()) hold_banks(m_sender, m_port_job, spad, j.banks, 2, j.start, j.end - j.start, m_clk);
        m_busy_until = j.end;
        if (j.in) compute(j);
        if (trace::global().enabled() && j.end > j.start) trace::global().span(m_track, j.label, j.start, j.end);
    });
}

}  // namespace dtq::normact
