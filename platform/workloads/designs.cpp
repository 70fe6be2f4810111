#include "platform/workloads/designs.h"

#include <algorithm>
#include <cmath>

namespace dtq::designs {

uint64_t os_gemm_cycles(uint64_t M, uint64_t N, uint64_t K, uint64_t R, uint64_t C) {
    uint64_t total = 0;
    for (uint64_t r0 = 0; r0 < M; r0 += R)
        for (uint64_t c0 = 0; c0 < N; c0 += C) total += os_tile_cycles(K, std::min(R, M - r0), std::min(C, N - c0));
    return total;
}

uint64_t scalesim_os_folds(uint64_t M, uint64_t N, uint64_t R, uint64_t C) { return ((M + R - 1) / R) * ((N + C - 1) / C); }

uint64_t scalesim_os_fold_cycles(uint64_t K, uint64_t R, uint64_t C) { return 2 * R + C + K - 2; }

uint64_t head_dram_bytes(uint64_t tokens, uint64_t d_head, double bits, uint64_t n, uint64_t out_bits) {
    const double in = 3.0 * static_cast<double>(tokens * d_head) * bits / 8.0;
    // bits may be a mean (4 x k4 + 8 x k8) / k0 whose product lands a rounding error above a
    // whole byte count (12576.000000000002): not a byte more
    return static_cast<uint64_t>(std::ceil(in - 1e-6)) + n * d_head * out_bits / 8;
}

static timing finish(uint64_t compute, uint64_t bytes, uint64_t bpc) {
    timing t;
    t.compute_cycles = compute;
    t.dram_bytes = bytes;
    t.dram_cycles = bpc ? (bytes + bpc - 1) / bpc : 0;
    t.cycles = std::max(t.compute_cycles, t.dram_cycles);
    return t;
}

uint64_t cycles_at_utilization(uint64_t ideal, double utilization) {
    return static_cast<uint64_t>(std::ceil(static_cast<double>(ideal) / utilization - 1e-9));
}

timing eyeriss_like_head(uint64_t n, uint64_t d_head, uint64_t bpc, const eyeriss_params& p) {
    const uint64_t macs = 2 * n * n * d_head;
    const uint64_t ideal = ideal_cycles(macs, p.rows * p.cols);
    const uint64_t compute = p.utilization > 0 ? cycles_at_utilization(ideal, p.utilization)
                                               : os_gemm_cycles(n, n, d_head, p.rows, p.cols) +
                                                     os_gemm_cycles(n, d_head, n, p.rows, p.cols);
    uint64_t bytes = head_dram_bytes(n, d_head, static_cast<double>(p.bits), n, p.bits);
    if (p.scores_in_dram) bytes += 2 * n * n * p.bits / 8;  // S written, P read back
    timing t = finish(compute, bytes, bpc);
    t.macs = macs;
    t.ideal_cycles = ideal;
    t.busy_pe_cycles = t.macs;
    return t;
}

timing spatten_like_head(uint64_t n, uint64_t kept, uint64_t d_head, double share4, uint64_t bpc, const spatten_params& p) {
    const uint64_t compute = os_gemm_cycles(kept, kept, d_head, p.rows, p.cols) + os_gemm_cycles(kept, d_head, kept, p.rows, p.cols);
    const double bits = 4.0 * share4 + 8.0 * (1.0 - share4);  // expected over the layers
    timing t = finish(compute, head_dram_bytes(kept, d_head, bits, n, 8), bpc);
    t.macs = 2 * kept * kept * d_head;
    t.ideal_cycles = ideal_cycles(t.macs, p.rows * p.cols);
    t.busy_pe_cycles = t.macs;
    return t;
}

}  // namespace dtq::designs
