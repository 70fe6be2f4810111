// Softmax accuracy and cycles: i-softmax (I-BERT) and Softermax, each as the softmax unit
// produces it for the pipeline (dtq::softmax::run: 8-bit, y = prob * 2^7, capped at 127),
// against float softmax of the same real scores (score * scale), on seeded rows of
// seq x seq scores. Also the ideal 8-bit output round(128 p) capped at 127, the floor any
// 8-bit probability format has. Errors are in probability units (1 LSB = 1/128).
// Usage: softmax_bench [seed]
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <systemc>
#include <vector>

#include "common/accuracy.h"
#include "softmax/softmax_unit.h"

// dtq_common links SystemC, whose library owns main(): this is sc_main, and no banner.
static const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

int sc_main(int argc, char** argv) {
    const uint64_t seed = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1;
    const double scale = 0.002;  // int32 score resolution (real = score * scale)
    fmt::print("softmax_bench: seed {}, scale {}, rows of seq scores ~ N(0, sigma^2) (real units), seq rows per case\n", seed, scale);
    fmt::print("errors in probability units (1 LSB = 1/128 = 0.0078); cosine over all rows of the case\n\n");
    fmt::print("{:>4} {:>6} | {:>10} {:>10} {:>8} | {:>10} {:>10} {:>8} | {:>10} {:>10} {:>8}\n", "seq", "sigma",
               "isoft mean", "isoft max", "isoft cos", "sterm mean", "sterm max", "sterm cos", "ideal mean", "ideal max", "ideal cos");
    for (uint64_t seq : {128u, 512u}) {
        for (double sigma : {1.0, 3.0, 6.0}) {
            std::mt19937_64 rng(seed * 1000003 + seq * 31 + static_cast<uint64_t>(sigma * 10));
            std::normal_distribution<double> g(0.0, sigma);
            std::vector<int64_t> s(seq * seq);
            for (auto& v : s) v = std::llround(g(rng) / scale);
            std::vector<double> ref(seq * seq), ideal(seq * seq);
            for (uint64_t r = 0; r < seq; ++r) {
                double mx = -1e300, sum = 0;
                for (uint64_t j = 0; j < seq; ++j) mx = std::max(mx, static_cast<double>(s[r * seq + j]) * scale);
                for (uint64_t j = 0; j < seq; ++j) sum += std::exp(static_cast<double>(s[r * seq + j]) * scale - mx);
                for (uint64_t j = 0; j < seq; ++j) {
                    const double p = std::exp(static_cast<double>(s[r * seq + j]) * scale - mx) / sum;
                    ref[r * seq + j] = p;
                    ideal[r * seq + j] = std::min(127.0, std::nearbyint(p * 128)) / 128;
                }
            }
            dtq::softmax::unit_config ib, sm;
            sm.mode = dtq::softmax::softmax_mode::softermax;
            const std::vector<int8_t> yi = dtq::softmax::run(ib, s.data(), seq, seq, scale);
            const std::vector<int8_t> ys = dtq::softmax::run(sm, s.data(), seq, seq, scale);
            std::vector<double> pi(seq * seq), ps(seq * seq);
            for (uint64_t i = 0; i < seq * seq; ++i) {
                pi[i] = yi[i] / 128.0;
                ps[i] = ys[i] / 128.0;
            }
            const dtq::error_stats ei = dtq::compare(ref, pi), es = dtq::compare(ref, ps), e8 = dtq::compare(ref, ideal);
            fmt::print("{:>4} {:>6} | {:>10.6f} {:>10.6f} {:>8.5f} | {:>10.6f} {:>10.6f} {:>8.5f} | {:>10.6f} {:>10.6f} {:>8.5f}\n", seq,
                       sigma, ei.mean_abs, ei.max_abs, ei.cosine, es.mean_abs, es.max_abs, es.cosine, e8.mean_abs, e8.max_abs, e8.cosine);
        }
    }
    fmt::print("\ncycles per head (seq rows of seq scores; 16 lanes, pipeline latency 8):\n");
    for (uint64_t seq : {128u, 512u}) {
        dtq::softmax::unit_config ib, sm;
        sm.mode = dtq::softmax::softmax_mode::softermax;
        const uint64_t ci = dtq::softmax::cycles(ib, seq, seq), cs = dtq::softmax::cycles(sm, seq, seq);
        fmt::print("  seq {:>4}: i-softmax {:>7}  softermax {:>7}  ({:.1f} % fewer)\n", seq, ci, cs, 100.0 * (1.0 - double(cs) / double(ci)));
    }
    return 0;
}
