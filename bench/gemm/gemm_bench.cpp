// Functional GEMM throughput of the VSSA engine's exact int8 GEMM against OpenBLAS
// dgemm (exact for these ranges) on BERT-Base shapes, in the same run.
// Usage: gemm_bench [threads]
#include <cblas.h>
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <systemc>
#include <vector>

#include "platform/workloads/synthetic.h"
#include "vssa/gemm.h"

static const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

extern "C" char* openblas_get_config(void);
extern "C" void openblas_set_num_threads(int);

int sc_main(int argc, char** argv) {  // SystemC owns main(): the libraries link it
    const unsigned threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 2;
    openblas_set_num_threads(static_cast<int>(threads));
    fmt::print("OpenBLAS: {}\nthreads: {}\n", openblas_get_config(), threads);
    struct shape { const char* name; uint64_t M, N, K; };
    const shape shapes[] = {{"qkv/out proj 128x768x768", 128, 768, 768},
                            {"ffn_w1 128x3072x768", 128, 3072, 768},
                            {"ffn_w2 128x768x3072", 128, 768, 3072},
                            {"qk head 128x128x64", 128, 128, 64},
                            {"proj seq512 512x768x768", 512, 768, 768}};
    fmt::print("{:<28} {:>12} {:>12} {:>8}\n", "shape", "int8 GMAC/s", "dgemm GMAC/s", "ratio");
    for (const shape& s : shapes) {
        const auto a = dtq::synthetic_matrix(s.M, s.K, 127, 1), bt = dtq::synthetic_matrix(s.N, s.K, 127, 2);
        std::vector<int32_t> c(s.M * s.N);
        std::vector<double> ad(a.begin(), a.end()), bd(bt.begin(), bt.end()), cd(s.M * s.N);
        const double macs = static_cast<double>(s.M * s.N * s.K);
        auto time = [&](auto&& f) {
            f();  // warm up
            int reps = 0;
            const auto t0 = std::chrono::steady_clock::now();
            double el = 0;
            do {
                f();
                ++reps;
                el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            } while (el < 0.3);
            return macs * reps / el / 1e9;
        };
        const double mine = time([&] { dtq::vssa::gemm_s8(a.data(), bt.data(), c.data(), s.M, s.N, s.K, threads); });
        const double blas = time([&] {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(s.M), static_cast<int>(s.N),
                        static_cast<int>(s.K), 1.0, ad.data(), static_cast<int>(s.K), bd.data(), static_cast<int>(s.K),
                        0.0, cd.data(), static_cast<int>(s.N));
        });
        for (size_t i = 0; i < c.size(); ++i)
            if (static_cast<double>(c[i]) != cd[i]) { fmt::print("MISMATCH at {}\n", i); return 1; }
        fmt::print("{:<28} {:>12.1f} {:>12.1f} {:>8.2f}\n", s.name, mine, blas, mine / blas);
    }
    return 0;
}
