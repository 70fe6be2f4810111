// VS-Quant accuracy on one GEMM: int8 activations (128 x 768, N(0, 1) with every 97th
// channel 8x larger: outlier channels) and int8 weights (768 channels x 768, N(0, 0.05^2)),
// per-tensor int8 scales; the exact int8 product (dequantized) is the reference. Compared:
// VS-Quant (quantize_activations / quantize_weights, gemm, dequantize) for scale bits 4/6/8
// and V = 16, 64, K, and plain 4-bit (per-tensor activations, per-channel weights, [-7, 7]).
// Usage: vsquant_bench [seed]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <systemc>

#include "common/accuracy.h"
#include "vsquant/vsquant.h"

using namespace dtq::vsquant;

// dtq_common links SystemC, whose library owns main(): this is sc_main, and no banner.
static const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

int sc_main(int argc, char** argv) {
    const uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
    const uint64_t M = 128, N = 768, K = 768;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0, 1);
    std::vector<double> af(M * K), wf(N * K);
    double amax = 0, wmax = 0;
    for (uint64_t i = 0; i < M * K; ++i) {
        af[i] = g(rng) * ((i % K) % 97 == 0 ? 8.0 : 1.0);
        amax = std::max(amax, std::fabs(af[i]));
    }
    for (uint64_t i = 0; i < N * K; ++i) {
        wf[i] = g(rng) * 0.05;
        wmax = std::max(wmax, std::fabs(wf[i]));
    }
    const double sa = amax / 127, sw = wmax / 127;
    std::vector<int8_t> a(M * K), w(N * K);
    for (uint64_t i = 0; i < M * K; ++i) a[i] = static_cast<int8_t>(std::lround(af[i] / sa));
    for (uint64_t i = 0; i < N * K; ++i) w[i] = static_cast<int8_t>(std::lround(wf[i] / sw));
    std::vector<double> ref(M * N);
    for (uint64_t m = 0; m < M; ++m)
        for (uint64_t n = 0; n < N; ++n) {
            int64_t acc = 0;
            for (uint64_t k = 0; k < K; ++k) acc += int64_t{a[m * K + k]} * w[n * K + k];
            ref[m * N + n] = static_cast<double>(acc) * sa * sw;
        }
    std::printf("vsquant_bench: seed %llu, GEMM %llu x %llu x %llu, errors against the int8 product (max |ref| below)\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(M), static_cast<unsigned long long>(N),
                static_cast<unsigned long long>(K));
    for (uint32_t bits : {4u, 6u, 8u})
        for (uint32_t V : {16u, 64u, static_cast<uint32_t>(K)}) {
            config c;
            c.vector_size = V;
            c.scale_bits = bits;
            const tensor ta = quantize_activations(a.data(), M, K, sa, c), tw = quantize_weights(w.data(), N, K, sw, c);
            const dtq::error_stats e = dtq::compare(ref, dequantize(gemm(ta, tw), ta, tw));
            std::printf("  VS-Quant scale bits %u V %3u: mean %.5f max %.5f cos %.6f (max |ref| %.3f)\n", bits, V, e.mean_abs, e.max_abs,
                        e.cosine, e.ref_max_abs);
        }
    // Plain 4-bit: activations per tensor (127 -> 7), weights per channel (channel max -> 7).
    std::vector<int> aq(M * K), wq(N * K);
    std::vector<double> wsc(N), got(M * N);
    for (uint64_t i = 0; i < M * K; ++i) aq[i] = std::clamp(static_cast<int>(std::nearbyint(a[i] * 7.0 / 127)), -7, 7);
    for (uint64_t n = 0; n < N; ++n) {
        int mx = 1;
        for (uint64_t k = 0; k < K; ++k) mx = std::max(mx, std::abs(static_cast<int>(w[n * K + k])));
        wsc[n] = mx / 7.0;
        for (uint64_t k = 0; k < K; ++k) wq[n * K + k] = std::clamp(static_cast<int>(std::nearbyint(w[n * K + k] / wsc[n])), -7, 7);
    }
    for (uint64_t m = 0; m < M; ++m)
        for (uint64_t n = 0; n < N; ++n) {
            int64_t acc = 0;
            for (uint64_t k = 0; k < K; ++k) acc += int64_t{aq[m * K + k]} * wq[n * K + k];
            got[m * N + n] = static_cast<double>(acc) * (127 / 7.0) * sa * wsc[n] * sw;
        }
    const dtq::error_stats e = dtq::compare(ref, got);
    std::printf("  plain 4-bit (per-tensor act, per-channel weight): mean %.5f max %.5f cos %.6f\n", e.mean_abs, e.max_abs, e.cosine);
    return 0;
}
