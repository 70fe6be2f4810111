#include "vssa/tile_model.h"

#include <algorithm>

namespace dtq::vssa {

double tile_timing::stall_ratio() const {
    return pes && max_cycle ? static_cast<double>(stall_pe_cycles) / (static_cast<double>(pes) * static_cast<double>(max_cycle))
                            : 0.0;
}

namespace {

// Prefix sums of the step durations d(t) = max { v[x] : t - w + 1 <= x <= t } over
// `steps` steps, for v taking values in {1, 2, 4}: a sliding-window maximum that only
// tracks the last index of each value. Shared by both tile kinds: for Q x K^T tiles v is
// the slowest PE of each anti-diagonal and w = K; for prob x V tiles v is the MAC time
// of each reduction index and w = R + C - 1.
std::vector<uint64_t> step_prefix(const std::vector<uint32_t>& v, uint64_t w, uint64_t steps) {
    std::vector<uint64_t> prefix(steps + 1, 0);
    int64_t last[5] = {-1, -1, -1, -1, -1};
    for (uint64_t tt = 0; tt < steps; ++tt) {
        if (tt < v.size()) last[v[tt]] = static_cast<int64_t>(tt);
        const int64_t lo = static_cast<int64_t>(tt) - static_cast<int64_t>(w) + 1;
        uint32_t d = 0;
        for (uint32_t c : {4u, 2u, 1u})
            if (last[c] >= 0 && last[c] >= lo) { d = c; break; }
        prefix[tt + 1] = prefix[tt] + d;
    }
    return prefix;
}

}  // namespace

tile_timing tile_cycles(const tile_shape& t) {
    tile_timing r;
    if (t.rows == 0 || t.cols == 0 || t.k == 0) return r;
    const uint32_t R = t.rows, C = t.cols, K = t.k;
    r.pes = uint64_t{R} * C;
    r.macs = r.pes * K;
    // Per-PE mode counts and the slowest PE of each anti-diagonal s = i + j.
    uint64_t n_by_c[5] = {0, 0, 0, 0, 0};  // index = cycles per MAC (1, 2, 4)
    const uint32_t diags = R + C - 1;
    std::vector<uint32_t> dmax(diags, 0);
    bool uniform = true;
    const uint32_t c00 = pe_cycles(t.row_bits[0], t.col_bits[0]);
    for (uint32_t i = 0; i < R; ++i)
        for (uint32_t j = 0; j < C; ++j) {
            const uint32_t c = pe_cycles(t.row_bits[i], t.col_bits[j]);
            ++n_by_c[c];
            dmax[i + j] = std::max(dmax[i + j], c);
            uniform &= c == c00;
        }
    r.macs_by_mode[0] = n_by_c[1] * K;
    r.macs_by_mode[1] = n_by_c[2] * K;
    r.macs_by_mode[2] = n_by_c[4] * K;
    r.busy_pe_cycles = (n_by_c[1] * 1 + n_by_c[2] * 2 + n_by_c[4] * 4) * K;
    const uint32_t cmax = n_by_c[4] ? 4 : n_by_c[2] ? 2 : 1;
    r.max_cycle = uint64_t{K} * cmax;
    const uint64_t steps = uint64_t{K} + diags - 1;
    if (uniform) {
        r.step_cycles = steps * c00;
        r.stall_pe_cycles = 0;
    } else {
        // d(t) = max of dmax over the diagonals active at t: s in [t - K + 1, t].
        const std::vector<uint64_t> prefix = step_prefix(dmax, K, steps);
        r.step_cycles = prefix[steps];
        // A PE on diagonal s is active in steps [s, s + K): its window.
        uint64_t windows = 0;
        for (uint32_t i = 0; i < R; ++i)
            for (uint32_t j = 0; j < C; ++j) windows += prefix[i + j + K] - prefix[i + j];
        r.stall_pe_cycles = windows - r.busy_pe_cycles;
    }
    r.cycles = r.step_cycles + R;  // + drain, one row per cycle
    return r;
}

tile_timing tile_cycles_reduction(uint32_t rows, uint32_t cols, uint8_t row_bits, const uint8_t* k_bits, uint32_t k) {
    tile_timing r;
    if (rows == 0 || cols == 0 || k == 0) return r;
    r.pes = uint64_t{rows} * cols;
    r.macs = r.pes * k;
    const uint32_t diags = rows + cols - 1;
    const uint64_t steps = uint64_t{k} + diags - 1;
    uint64_t busy_one = 0;  // busy cycles of one PE: sum of c(k)
    std::vector<uint32_t> ck(k);
    for (uint32_t x = 0; x < k; ++x) {
        ck[x] = pe_cycles(row_bits, k_bits[x]);
        busy_one += ck[x];
        r.macs_by_mode[ck[x] == 1 ? 0 : ck[x] == 2 ? 1 : 2] += r.pes;
    }
    r.busy_pe_cycles = busy_one * r.pes;
    r.max_cycle = busy_one;  // every PE runs all k; the critical PE does not stall
    const std::vector<uint64_t> prefix = step_prefix(ck, diags, steps);
    r.step_cycles = prefix[steps];
    uint64_t windows = 0;
    for (uint32_t i = 0; i < rows; ++i)
        for (uint32_t j = 0; j < cols; ++j) windows += prefix[i + j + k] - prefix[i + j];
    r.stall_pe_cycles = windows - r.busy_pe_cycles;
    r.cycles = r.step_cycles + rows;
    return r;
}

}  // namespace dtq::vssa
