// row_kernels_bench: the cost of run_parts(2, ...) with empty parts, and with parts that wait for
// a pool worker to start (its wake-up), against a std::thread start and join, and the row kernels' time per element
// on 128 rows of 768 (REQUANT 8-bit, LayerNorm, i-softmax, RESADD, GELU, Softermax): the figures
// behind common/host_pool.h's PART_MIN_PS and PS_* (docs/performance.md#row-kernels). Host time,
// wall-clock: it varies with the machine's load.
#include "common/host_pool.h"
#include "ibert/normact.h"
#include "ibert/kernels.h"
#include "softmax/softermax.h"
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <systemc>
#include <thread>
#include <vector>
using clk = std::chrono::steady_clock;
static double us(clk::time_point a, clk::time_point b) { return std::chrono::duration<double, std::micro>(b - a).count(); }
// dtq_common links SystemC, whose library owns main(): this is sc_main, and no banner.
static const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

int sc_main(int, char**) {
    const int N = 20000;
    std::vector<double> pool, wake, thr;
    for (int rep = 0; rep < 5; ++rep) {
        auto t0 = clk::now();
        for (int i = 0; i < N; ++i) dtq::run_parts(2, [](unsigned) {});
        auto t1 = clk::now();
        // a worker's wake-up: part 0 waits until part 1 has started, which only a worker can do
        for (int i = 0; i < N / 10; ++i) {
            std::atomic<int> started{0};
            dtq::run_parts(2, [&](unsigned) {
                ++started;
                while (started.load() < 2) std::this_thread::yield();
            });
        }
        auto t1b = clk::now();
        wake.push_back(us(t1, t1b) / (N / 10));
        t1 = clk::now();
        for (int i = 0; i < N / 10; ++i) { std::thread t([] {}); t.join(); }
        auto t2 = clk::now();
        pool.push_back(us(t0, t1) / N);
        thr.push_back(us(t1, t2) / (N / 10));
    }
    std::printf("run_parts(2) empty parts (the caller takes both), us per call (5 reps):");
    for (double v : pool) std::printf(" %.1f", v);
    std::printf("\nrun_parts(2) waiting for a worker to start part 1 (a wake-up), us (5 reps):");
    for (double v : wake) std::printf(" %.1f", v);
    std::printf("\nstd::thread start+join, us (5 reps):");
    for (double v : thr) std::printf(" %.1f", v);
    const uint64_t cols = 768, rows = 128, n = rows * cols;
    std::vector<int32_t> x(n), y(n);
    std::vector<uint8_t> o(n);
    for (uint64_t i = 0; i < n; ++i) x[i] = static_cast<int32_t>((i * 2654435761u) % 200001) - 100000;
    std::vector<int64_t> s(n), ys(cols);
    for (uint64_t i = 0; i < n; ++i) s[i] = x[i] / 64;
    const dtq::ibert::softmax_plan pl = dtq::ibert::plan_softmax(1.0 / 1024 / 8);
    const dtq::ibert::gelu_consts_t gk = dtq::ibert::gelu_consts_int8(0.02);
    for (int rep = 0; rep < 3; ++rep) {
        auto t0 = clk::now();
        for (uint64_t r = 0; r < rows; ++r) dtq::ibert::normact::requant_row(&x[r * cols], cols, 1518500250, 40, 8, &o[r * cols]);
        auto t1 = clk::now();
        for (uint64_t r = 0; r < rows; ++r) dtq::ibert::normact::layernorm_row(&x[r * cols], cols, 0, nullptr, &y[r * cols]);
        auto t2 = clk::now();
        for (uint64_t r = 0; r < rows; ++r) dtq::ibert::i_softmax_row(&s[r * cols], cols, pl, ys.data());
        auto t3 = clk::now();
        for (uint64_t r = 0; r < rows; ++r) dtq::ibert::normact::resadd_row(&x[r * cols], reinterpret_cast<const int8_t*>(&o[r * cols]), cols, 1518500250, 40, 1518500250, 33, &y[r * cols]);
        auto t4 = clk::now();
        for (uint64_t r = 0; r < rows; ++r) dtq::ibert::normact::gelu_row(reinterpret_cast<const int8_t*>(&o[r * cols]), cols, gk, &y[r * cols]);
        auto t5 = clk::now();
        for (uint64_t r = 0; r < rows; ++r) (void)dtq::softmax::softermax_row(&s[r * cols], cols, 1.0 / 1024 / 8, 7);
        auto t6 = clk::now();
        std::printf("\nns per element: requant8 %.2f layernorm %.2f softmax %.2f resadd %.2f gelu %.2f softermax %.2f", 1e3 * us(t0, t1) / n, 1e3 * us(t1, t2) / n, 1e3 * us(t2, t3) / n, 1e3 * us(t3, t4) / n, 1e3 * us(t4, t5) / n, 1e3 * us(t5, t6) / n);
    }
    std::printf("\n");
    return 0;
}
