// VSSA benchmark.
//  1. Functional int8 x int8 -> int32 GEMM (dtq::vssa::gemm_s8) against OpenBLAS dgemm
//     (exact for these ranges) on BERT-Base shapes, same inputs, same run, results checked
//     equal.
//  2. Simulated cycles per wall-clock second of the tile backends on one dtqatten array
//     (16 x 18): model (closed form), rtl (Verilated array), lockstep (both + compare).
// Usage: vssa_bench [threads]
#include <cblas.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <systemc>
#include <vector>

#include "vssa/engine.h"
#include "vssa/gemm.h"
#ifdef DTQ_HAVE_RTL
#include "vssa_rtl.h"
#endif

// dtq_common links SystemC, whose library owns main(): this is sc_main, and no banner.
static const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

extern "C" char* openblas_get_config(void);
extern "C" void openblas_set_num_threads(int);

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Best of repeated runs for at least min_s seconds.
template <class F>
double best_time(F&& f, double min_s = 0.4) {
    f();  // warm up
    double best = 1e30, total = 0;
    while (total < min_s) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        const double s = seconds_since(t0);
        best = std::min(best, s);
        total += s;
    }
    return best;
}

std::vector<int8_t> random_s8(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<int8_t> v(n);
    for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    return v;
}

}  // namespace

int sc_main(int argc, char** argv) {
    const unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 1;
    openblas_set_num_threads(static_cast<int>(threads));
    fmt::print("OpenBLAS config: {}\nthreads: {} (both libraries)\n\n", openblas_get_config(), threads);

    struct shape { const char* name; uint64_t M, N, K; };
    const shape shapes[] = {{"QKV/out proj 128x768x768", 128, 768, 768},
                            {"FFN W1 128x3072x768", 128, 3072, 768},
                            {"FFN W2 128x768x3072", 128, 768, 3072},
                            {"Q x K^T head 128x128x64", 128, 128, 64},
                            {"prob x V head 128x64x128", 128, 64, 128}};
    fmt::print("{:<28} {:>12} {:>13} {:>7}\n", "GEMM M x N x K", "int8 GMAC/s", "dgemm GMAC/s", "ratio");
    for (const shape& s : shapes) {
        const auto a = random_s8(s.M * s.K, 1), bt = random_s8(s.N * s.K, 2);
        std::vector<int32_t> c(s.M * s.N);
        const std::vector<double> ad(a.begin(), a.end()), bd(bt.begin(), bt.end());
        std::vector<double> cd(s.M * s.N);
        const double macs = static_cast<double>(s.M * s.N * s.K);
        const double t_int8 = best_time([&] { dtq::vssa::gemm_s8(a.data(), bt.data(), c.data(), s.M, s.N, s.K, threads); });
        const double t_blas = best_time([&] {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(s.M), static_cast<int>(s.N),
                        static_cast<int>(s.K), 1.0, ad.data(), static_cast<int>(s.K), bd.data(), static_cast<int>(s.K), 0.0,
                        cd.data(), static_cast<int>(s.N));
        });
        for (size_t i = 0; i < c.size(); ++i)
            if (static_cast<double>(c[i]) != cd[i]) {
                fmt::print("MISMATCH at {}: {} vs {}\n", i, c[i], cd[i]);
                return 1;
            }
        fmt::print("{:<28} {:>12.1f} {:>13.1f} {:>7.2f}\n", s.name, macs / t_int8 / 1e9, macs / t_blas / 1e9, t_blas / t_int8);
    }

    // Tile backends: random mixed-precision tiles of the dtqatten array (16 x 18), K = 64.
    fmt::print("\n{:<10} {:>8} {:>14} {:>10} {:>16}\n", "backend", "tiles", "sim cycles", "wall s", "sim cycles / s");
    std::mt19937 rng(5);
    std::vector<dtq::vssa::tile_job> jobs(400);
    std::vector<std::vector<int8_t>> data(jobs.size() * 2);
    for (size_t n = 0; n < jobs.size(); ++n) {
        auto& j = jobs[n];
        j.rows = 16;
        j.cols = 18;
        j.k = 64;
        for (int i = 0; i < j.rows; ++i) j.row_bits.push_back((rng() & 1) ? 8 : 4);
        for (int i = 0; i < j.cols; ++i) j.col_bits.push_back((rng() & 1) ? 8 : 4);
        auto& a = data[2 * n];
        auto& b = data[2 * n + 1];
        for (int i = 0; i < j.rows * j.k; ++i) a.push_back(static_cast<int8_t>(static_cast<int>(rng() % 16) - 8));
        for (int i = 0; i < j.k * j.cols; ++i) b.push_back(static_cast<int8_t>(static_cast<int>(rng() % 16) - 8));
        j.a = a.data();
        j.b = b.data();
        j.index = n;
    }
    auto run = [&](const char* name, auto&& one) {
        uint64_t cycles = 0;
        const auto t0 = std::chrono::steady_clock::now();
        for (const auto& j : jobs) cycles += one(j);
        const double s = seconds_since(t0);
        fmt::print("{:<10} {:>8} {:>14} {:>10.3f} {:>16.3e}\n", name, jobs.size(), cycles, s, static_cast<double>(cycles) / s);
        return s;
    };
    dtq::vssa::tile_model model;
    const double t_model = run("model", [&](const dtq::vssa::tile_job& j) { return model.run_tile(j).cycles; });
    dtq::vssa::tile_job timing_only;
    const double t_timing = run("model-t", [&](const dtq::vssa::tile_job& j) {
        timing_only = j;
        timing_only.a = timing_only.b = nullptr;
        return dtq::vssa::run_tile_model(timing_only).cycles;
    });
    (void)t_timing;
#ifdef DTQ_HAVE_RTL
    dtq::vssa::vssa_rtl rtl;
    const double t_rtl = run("rtl", [&](const dtq::vssa::tile_job& j) { return rtl.run_tile(j).cycles; });
    const double t_lock = run("lockstep", [&](const dtq::vssa::tile_job& j) {
        const auto m = model.run_tile(j);
        const auto r = rtl.run_tile(j);
        if (m.cycles != r.cycles || m.c != r.c) std::abort();
        return r.cycles;
    });
    fmt::print("\nRTL / model wall time: {:.0f}x; lockstep overhead over rtl alone: {:.1f}%\n", t_rtl / t_model,
               100.0 * (t_lock - t_rtl) / t_rtl);
    fmt::print("RTL array: {} PEs, {:.2e} PE-cycles / s\n", 16 * 18,
               static_cast<double>(rtl.simulated_cycles()) * 288.0 / (t_rtl + t_lock));
#else
    fmt::print("(rtl backend not built: DTQ_COSIM=OFF)\n");
#endif
    return 0;
}
