#include "vssa/gemm.h"

#include <algorithm>
#include <thread>

namespace dtq::vssa {

void gemm_s8_reference(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K) {
    for (uint64_t i = 0; i < M; ++i)
        for (uint64_t j = 0; j < N; ++j) {
            int32_t s = 0;
            for (uint64_t k = 0; k < K; ++k) s += int32_t{a[i * K + k]} * int32_t{bt[j * K + k]};
            c[i * N + j] = s;
        }
}

namespace {

// 4 x 4 outputs at a time over the whole K: each A row and B row is read once per
// block and the 16 accumulators stay in registers; the k loop is an int16 dot product
// that GCC turns into vpmaddwd / vpdpwssd.
void kernel_rows(const int16_t* a, const int16_t* bt, int32_t* c, uint64_t i0, uint64_t i1, uint64_t N, uint64_t K) {
    uint64_t i = i0;
    for (; i + 4 <= i1; i += 4) {
        uint64_t j = 0;
        for (; j + 4 <= N; j += 4) {
            int32_t acc[4][4] = {};
            const int16_t* ar[4] = {a + i * K, a + (i + 1) * K, a + (i + 2) * K, a + (i + 3) * K};
            const int16_t* br[4] = {bt + j * K, bt + (j + 1) * K, bt + (j + 2) * K, bt + (j + 3) * K};
            for (int x = 0; x < 4; ++x)
                for (int y = 0; y < 4; ++y) {
                    int32_t s = 0;
                    const int16_t* __restrict pa = ar[x];
                    const int16_t* __restrict pb = br[y];
                    for (uint64_t k = 0; k < K; ++k) s += int32_t{pa[k]} * int32_t{pb[k]};
                    acc[x][y] = s;
                }
            for (int x = 0; x < 4; ++x)
                for (int y = 0; y < 4; ++y) c[(i + x) * N + j + y] = acc[x][y];
        }
        for (; j < N; ++j)
            for (int x = 0; x < 4; ++x) {
                int32_t s = 0;
                for (uint64_t k = 0; k < K; ++k) s += int32_t{a[(i + x) * K + k]} * int32_t{bt[j * K + k]};
                c[(i + x) * N + j] = s;
            }
    }
    for (; i < i1; ++i)
        for (uint64_t j = 0; j < N; ++j) {
            int32_t s = 0;
            for (uint64_t k = 0; k < K; ++k) s += int32_t{a[i * K + k]} * int32_t{bt[j * K + k]};
            c[i * N + j] = s;
        }
}

}  // namespace

void gemm_s8(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K, unsigned threads) {
    if (M == 0 || N == 0) return;
    if (K == 0) { std::fill(c, c + M * N, 0); return; }
    // Widen once to int16 (the multiply-add instructions take 16-bit lanes).
    std::vector<int16_t> a16(a, a + M * K), b16(bt, bt + N * K);
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(M / 4 + 1)));
    if (threads == 1) {
        kernel_rows(a16.data(), b16.data(), c, 0, M, N, K);
        return;
    }
    std::vector<std::thread> pool;
    const uint64_t per = (M / threads + 3) / 4 * 4;
    for (unsigned t = 0; t < threads; ++t) {
        const uint64_t i0 = std::min(M, t * per), i1 = t + 1 == threads ? M : std::min(M, (t + 1) * per);
        if (i0 < i1) pool.emplace_back(kernel_rows, a16.data(), b16.data(), c, i0, i1, N, K);
    }
    for (auto& th : pool) th.join();
}

int8_t quantize_4bit_code(int8_t x) {
    // round half to even of x / 16
    const int q = x >> 4, r = x & 15;  // x = 16 q + r, 0 <= r < 16 (arithmetic shift)
    const int v = q + (r > 8 || (r == 8 && (q & 1)));
    return static_cast<int8_t>(std::clamp(v, -8, 7));
}

int8_t quantize_4bit(int8_t x) { return static_cast<int8_t>(quantize_4bit_code(x) * 16); }

}  // namespace dtq::vssa
