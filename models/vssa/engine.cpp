#include "vssa/engine.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "vssa/gemm.h"

namespace dtq::vssa {

vssa_config preset_dtqatten() {
    vssa_config c;
    c.rows = 16;
    c.cols = 18;
    c.arrays = 11;
    return c;
}

vssa_config preset_single16() { return vssa_config{}; }

namespace {

// Active (non-pruned) indices, clustered low precision first when reordering.
std::vector<uint32_t> order_of(const std::vector<uint8_t>& bits, uint64_t n, bool reorder) {
    std::vector<uint32_t> idx;
    for (uint32_t i = 0; i < n; ++i)
        if (bits.empty() || bits[i] != 0) idx.push_back(i);
    if (reorder && !bits.empty())
        std::stable_sort(idx.begin(), idx.end(), [&](uint32_t x, uint32_t y) { return bits[x] < bits[y]; });
    return idx;
}

std::vector<int8_t> gather(const int8_t* m, uint64_t ld, const std::vector<uint32_t>& rows, const std::vector<uint32_t>& cols) {
    std::vector<int8_t> g(rows.size() * cols.size());
    for (size_t r = 0; r < rows.size(); ++r)
        for (size_t c = 0; c < cols.size(); ++c) g[r * cols.size() + c] = m[uint64_t{rows[r]} * ld + cols[c]];
    return g;
}

// Functional product over the given orders; scattered back to M x N original positions.
std::vector<int32_t> compute(const gemm_op& op, const std::vector<uint32_t>& ro, const std::vector<uint32_t>& co,
                             const std::vector<uint32_t>& ko, unsigned threads) {
    const auto a = gather(op.a, op.K, ro, ko);
    const auto bt = gather(op.bt, op.K, co, ko);
    std::vector<int32_t> dense(ro.size() * co.size());
    gemm_s8(a.data(), bt.data(), dense.data(), ro.size(), co.size(), ko.size(), threads);
    std::vector<int32_t> c(op.M * op.N, 0);
    for (size_t r = 0; r < ro.size(); ++r)
        for (size_t x = 0; x < co.size(); ++x) c[uint64_t{ro[r]} * op.N + co[x]] = dense[r * co.size() + x];
    return c;
}

}  // namespace

gemm_result run_gemm(const vssa_config& cfg, const gemm_op& op, const tile_hook& hook) {
    gemm_result res;
    const bool by_k = !op.k_bits.empty();
    const std::vector<uint32_t> ro = order_of(by_k ? std::vector<uint8_t>{} : op.row_bits, op.M, cfg.reorder);
    const std::vector<uint32_t> co = order_of(by_k ? std::vector<uint8_t>{} : op.col_bits, op.N, cfg.reorder);
    const std::vector<uint32_t> ko = order_of(op.k_bits, op.K, cfg.reorder);
    const uint32_t K = static_cast<uint32_t>(ko.size());
    std::vector<uint64_t> array_busy(std::max(1u, cfg.arrays), 0);
    std::vector<uint8_t> rb(cfg.rows), cb(cfg.cols), kb(K);
    for (uint32_t x = 0; x < K; ++x) kb[x] = by_k ? op.k_bits[ko[x]] : 0;
    std::vector<int8_t> ta, tb;
    uint64_t tile = 0;
    for (size_t r0 = 0; r0 < ro.size(); r0 += cfg.rows) {
        const uint32_t rows = static_cast<uint32_t>(std::min<size_t>(cfg.rows, ro.size() - r0));
        for (uint32_t i = 0; i < rows; ++i) rb[i] = by_k ? 8 : op.row_bits[ro[r0 + i]];
        for (size_t c0 = 0; c0 < co.size(); c0 += cfg.cols, ++tile) {
            const uint32_t cols = static_cast<uint32_t>(std::min<size_t>(cfg.cols, co.size() - c0));
            for (uint32_t j = 0; j < cols; ++j) cb[j] = by_k ? 8 : op.col_bits[co[c0 + j]];
            const tile_timing t = by_k ? tile_cycles_reduction(rows, cols, 8, kb.data(), K)
                                       : tile_cycles({rows, cols, K, rb.data(), cb.data()});
            if (hook) {
                ta.clear();
                tb.clear();
                if (op.a) {
                    for (uint32_t i = 0; i < rows; ++i)
                        for (uint32_t x = 0; x < K; ++x) ta.push_back(op.a[uint64_t{ro[r0 + i]} * op.K + ko[x]]);
                    for (uint32_t j = 0; j < cols; ++j)
                        for (uint32_t x = 0; x < K; ++x) tb.push_back(op.bt[uint64_t{co[c0 + j]} * op.K + ko[x]]);
                }
                hook({rows, cols, K, rb.data(), cb.data(), op.a ? ta.data() : nullptr, op.bt ? tb.data() : nullptr}, t, tile);
            }
            array_busy[tile % array_busy.size()] += t.cycles;
            res.macs += t.macs;
            for (int m = 0; m < 3; ++m) res.macs_by_mode[m] += t.macs_by_mode[m];
            res.busy_pe_cycles += t.busy_pe_cycles;
            res.stall_pe_cycles += t.stall_pe_cycles;
            res.iteration_r.push_back(t.stall_ratio());
            res.stall_ratio_sum += t.stall_ratio();
        }
    }
    res.tiles = tile;
    res.cycles = *std::max_element(array_busy.begin(), array_busy.end());
    if (op.a && op.bt) {
        res.c = compute(op, ro, co, ko, cfg.threads);
        if (cfg.reorder) {
            // The hardware ran in clustered order; the plain order must give the same
            // outputs at the permuted positions (DTQAtten Sec. IV-B, eq. (2)).
            const auto plain = compute(op, order_of(by_k ? std::vector<uint8_t>{} : op.row_bits, op.M, false),
                                       order_of(by_k ? std::vector<uint8_t>{} : op.col_bits, op.N, false),
                                       order_of(op.k_bits, op.K, false), cfg.threads);
            if (plain != res.c) {
                size_t at = 0;
                while (plain[at] == res.c[at]) ++at;
                throw reorder_mismatch(fmt::format("{}: reordered result differs from the plain one at ({}, {}): {} vs {}",
                                                   op.name, at / op.N, at % op.N, res.c[at], plain[at]));
            }
            res.reorder_checked = true;
        }
    }
    return res;
}

}  // namespace dtq::vssa
