// Exact int8 GEMM (gemm.h): c[M x N] (int32) = a[M x K] x bt[N x K]^T. Two kernels, chosen
// at compile time.
//
// AVX512-VNNI (__AVX512F__, __AVX512BW__ and __AVX512VNNI__, i.e. the default -march=native
// build on the project's machines). vpdpbusd multiplies unsigned by signed bytes (4 per int32
// lane, non-saturating), so A is biased: a + 128 = a ^ 0x80 as uint8, and
//   sum_k a_k b_k = sum_k (a_k + 128) b_k - 128 sum_k b_k.
// The accumulators start at -128 x (column sum of B), so nothing runs after the kernel.
//   - B: panels of 32 columns (two zmm of 16 int32 lanes); per group of 4 k, 64 bytes hold the
//     4 bytes of each of 16 columns (a 16 x 16 dword transpose of 16 rows of bt; masked loads
//     zero the K tail, columns past N are zero). Column sums come from the packed vectors
//     (vpdpbusd by 128). The next panel's source is prefetched into L2 meanwhile.
//   - A: blocks of 8 rows; per k-group the 4 bytes of each row (the same transpose).
//   - Micro-kernel: 8 rows x 32 columns = 16 zmm accumulators; per k-group 2 loads of B, 8
//     broadcasts of A, 16 vpdpbusd. Row tails use 1..7-row instances, column tails masked
//     stores. K is cut into blocks of 768 (24 KiB of the panel stays in L1 across the row
//     blocks); later blocks start from c.
//   - threads: column panels (row blocks when there are fewer panels) are split over
//     the host pool's threads (common/host_pool.h), the caller computing one part, at most
//     one thread per 6e6 MACs. Sums are exact, so c does not depend on the split.
// Bound: after the first g k-groups an accumulator holds
//   sum_{k < 4g} a_k b_k - 128 sum_{k >= 4g} b_k,
// every term at most 128 x 128 = 16384 in magnitude, so |acc| <= 16384 K at every step, the
// bound of the result itself. K <= 131071 gives |acc| <= 2147467264 < 2^31: nothing wraps
// (K = 65536: 2^30). (Starting from zero and subtracting afterwards would reach 255 x 128 x K
// = 32640 K, i.e. K <= 65793.) Larger K take the portable kernel, whose result may then not
// fit int32 either (all -128 operands: 16384 K >= 2^31).
//
// Portable (any other target, and K > 131071): operands widened to int16, 4 x 4 blocks of
// dot products over the whole K (GCC vectorizes them), rows split over the host pool's threads.
//
// Measured (bench/vssa/vssa_bench, best of >= 0.4 s per shape and of 7 runs; GMAC/s; dgemm =
// OpenBLAS 0.3.21 cblas_dgemm on the same inputs, same threads). Intel Xeon @ 2.8 GHz KVM
// guest, 2 vCPUs (AVX512 F/BW/VL/VNNI), GCC 12.2 -O3 -march=native, Debian 12; commit
// 06b8afd against 0cf084b (the int16 kernel). The machine ran two other compile jobs
// throughout (load 3-5): 2-thread figures are pessimistic. docs/performance.md has the rest.
//                               1 thread                    2 threads
//   M x N x K            before  after  dgemm  after/   before  after  dgemm  after/
//                                               dgemm                         dgemm
//   128 x 768 x 768        18.0  227.8   28.6   8.0      22.8  209.4   46.3   4.5
//   128 x 3072 x 768       15.8  191.1   29.6   6.5      14.9  299.2   27.5  10.9
//   128 x 768 x 3072       11.9  204.9   26.8   7.6      10.4  283.5   24.9  11.4
//   128 x 128 x 64         19.7  184.1   24.0   7.7      13.6  182.9   35.2   5.2
//   128 x 64 x 128         24.8  180.7   23.6   7.7      16.2  178.6   37.9   4.7
// A register-only loop of 16 independent vpdpbusd ran at 215-275 GMAC/s on one vCPU in the
// same conditions: the 128 x 768 x 768 product is at that ceiling.
#include "vssa/gemm.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <cstring>
#include <memory>
#include <utility>

#include "common/host_pool.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#define DTQ_GEMM_VNNI 1
#include "common/immintrin_quiet.h"  // (GCC 12's false -Wmaybe-uninitialized)
#elif defined(__AVX2__)
#define DTQ_GEMM_AVX2 1
#include <immintrin.h>
#endif

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

// ---- portable kernel --------------------------------------------------------------------

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

void gemm_portable(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K, unsigned threads) {
    // Widen once to int16 (the multiply-add instructions take 16-bit lanes).
    std::vector<int16_t> a16(a, a + M * K), b16(bt, bt + N * K);
    threads = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(M / 4 + 1)));
    if (threads == 1) {
        kernel_rows(a16.data(), b16.data(), c, 0, M, N, K);
        return;
    }
    const uint64_t per = (M / threads + 3) / 4 * 4;
    run_parts(threads, [&](unsigned t) {  // common/host_pool.h: the pool's workers, no thread start per call
        const uint64_t i0 = std::min(M, t * per), i1 = t + 1 == threads ? M : std::min(M, (t + 1) * per);
        if (i0 < i1) kernel_rows(a16.data(), b16.data(), c, i0, i1, N, K);
    });
}

#ifdef DTQ_GEMM_VNNI
// ---- AVX512-VNNI kernel -----------------------------------------------------------------

constexpr int kMR = 8;              // rows of A per micro-kernel
constexpr int kNV = 2;              // zmm (16 columns each) per row
constexpr int kNR = 16 * kNV;       // columns of B per panel
// K block of the panel loop, in k-groups of 4 (x 32 columns = 24 KiB of packed B).
constexpr uint64_t kKcGroups = 192;
// Work below which another thread does not pay for its start (multiply-accumulates).
constexpr double kMinMacsPerThread = 6e6;
// Largest K for which no int32 intermediate can wrap (see the header of this file).
constexpr uint64_t kVnniMaxK = 131071;

// 16 x 16 transpose of 32-bit elements: out[j] lane i = r[i] lane j.
inline void transpose16(__m512i r[16]) {
    __m512i a[16], b[16];
    for (int i = 0; i < 8; ++i) {
        a[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {
        b[4 * i] = _mm512_unpacklo_epi64(a[4 * i], a[4 * i + 2]);
        b[4 * i + 1] = _mm512_unpackhi_epi64(a[4 * i], a[4 * i + 2]);
        b[4 * i + 2] = _mm512_unpacklo_epi64(a[4 * i + 1], a[4 * i + 3]);
        b[4 * i + 3] = _mm512_unpackhi_epi64(a[4 * i + 1], a[4 * i + 3]);
    }
    // b[4 i + q], 128-bit lane L = element 4 L + q of rows 4 i .. 4 i + 3.
    for (int q = 0; q < 4; ++q) {
        const __m512i c0 = _mm512_shuffle_i32x4(b[q], b[4 + q], 0x88), c1 = _mm512_shuffle_i32x4(b[q], b[4 + q], 0xdd);
        const __m512i d0 = _mm512_shuffle_i32x4(b[8 + q], b[12 + q], 0x88), d1 = _mm512_shuffle_i32x4(b[8 + q], b[12 + q], 0xdd);
        r[q] = _mm512_shuffle_i32x4(c0, d0, 0x88);
        r[8 + q] = _mm512_shuffle_i32x4(c0, d0, 0xdd);
        r[4 + q] = _mm512_shuffle_i32x4(c1, d1, 0x88);
        r[12 + q] = _mm512_shuffle_i32x4(c1, d1, 0xdd);
    }
}

// A packed for the kernel: row blocks of up to kMR rows; block b holds, for each k-group g
// (4 consecutive k), the 4 bytes of each of its h rows: pa[(g * h + r) * 4 + q] =
// a[i0 + r][4 g + q] ^ 0x80 (= a + 128 as uint8; 0x80 past K, where B is zero).
struct packed_a {
    std::unique_ptr<uint8_t[]> data;  // every byte is written by pack_a
    uint64_t kg = 0;                  // k-groups = ceil(K / 4)
    const uint8_t* block(uint64_t i0) const { return data.get() + i0 * kg * 4; }
};

void pack_a(const int8_t* a, uint64_t M, uint64_t K, packed_a& p) {
    p.kg = (K + 3) / 4;
    p.data.reset(new uint8_t[M * p.kg * 4]);
    const __m512i x80 = _mm512_set1_epi8(static_cast<char>(0x80));
    for (uint64_t i0 = 0; i0 < M; i0 += kMR) {
        const uint64_t h = std::min<uint64_t>(kMR, M - i0);
        const __mmask16 rows = static_cast<__mmask16>((1u << h) - 1u);
        uint8_t* dst = p.data.get() + i0 * p.kg * 4;
        for (uint64_t k0 = 0; k0 < K; k0 += 64) {
            const uint64_t rem = K - k0;
            const __mmask64 m = rem >= 64 ? ~__mmask64{0} : (__mmask64{1} << rem) - 1;
            __m512i r[16];
            for (uint64_t l = 0; l < 16; ++l)
                r[l] = l < h ? _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, a + (i0 + l) * K + k0), x80) : _mm512_setzero_si512();
            transpose16(r);  // r[g] lane l = 4 bytes of group g of row l
            const uint64_t g0 = k0 / 4, ng = std::min<uint64_t>(16, p.kg - g0);
            for (uint64_t g = 0; g < ng; ++g) _mm512_mask_storeu_epi32(dst + (g0 + g) * h * 4, rows, r[g]);
        }
    }
}

// One panel of B: columns j0 .. j0 + nv * 16 (zero past N); for each k-group g the 64-byte
// vectors pb[g * nv + v] hold, in lane l, bytes 4g..4g+3 of column j0 + 16 v + l (zero past
// K). bias[16 v + l] = -128 * (column sum), the accumulators' initial value.
void pack_b_panel(const int8_t* bt, uint64_t N, uint64_t K, uint64_t j0, int nv, uint8_t* pb, int32_t* bias) {
    const uint64_t kg = (K + 3) / 4;
    const __m512i u128 = _mm512_set1_epi8(static_cast<char>(0x80));
    for (int v = 0; v < nv; ++v) {
        const uint64_t jv = j0 + 16 * static_cast<uint64_t>(v);
        const int rows = static_cast<int>(std::min<uint64_t>(16, N - jv));
        __m512i sum = _mm512_setzero_si512();
        for (uint64_t k0 = 0; k0 < K; k0 += 64) {
            const uint64_t rem = K - k0;
            const __mmask64 m = rem >= 64 ? ~__mmask64{0} : (__mmask64{1} << rem) - 1;
            __m512i r[16];
            for (int l = 0; l < 16; ++l)
                r[l] = l < rows ? _mm512_maskz_loadu_epi8(m, bt + (jv + static_cast<uint64_t>(l)) * K + k0) : _mm512_setzero_si512();
            transpose16(r);
            const uint64_t g0 = k0 / 4, ng = std::min<uint64_t>(16, kg - g0);
            uint8_t* dst = pb + g0 * static_cast<uint64_t>(nv) * 64 + static_cast<uint64_t>(v) * 64;
            for (uint64_t g = 0; g < ng; ++g) {
                sum = _mm512_dpbusd_epi32(sum, u128, r[g]);  // += 128 x (4 bytes of each column)
                _mm512_storeu_si512(dst + g * static_cast<uint64_t>(nv) * 64, r[g]);
            }
        }
        _mm512_storeu_si512(bias + 16 * v, _mm512_sub_epi32(_mm512_setzero_si512(), sum));
    }
}

// acc += u8 x s8 dot products of 4 bytes (vpdpbusd). Inline asm: GCC 12 wraps each
// _mm512_dpbusd_epi32 of a loop-carried accumulator in two register copies.
inline void dpbusd(__m512i& acc, __m512i a, __m512i b) { __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b)); }

// Rows r < MR, columns [0, 16 NV) of c (under the column masks) = init + sum over kg
// k-groups of pa x pb; init is bias (first K block) or c itself (later K blocks).
// The accumulators are named variables, not an array: GCC 12 keeps a __m512i array in
// memory here and copies every accumulator twice per k-group.
template <int MR, int NV>
void micro_kernel(const uint8_t* pa, const uint8_t* pb, const int32_t* bias, uint64_t kg, int32_t* c, uint64_t ldc,
                  const __mmask16* mask) {
    static_assert(MR >= 1 && MR <= 8 && NV >= 1 && NV <= 2, "micro_kernel: up to 8 x 2 accumulators");
    const __mmask16 m0 = mask[0], m1 = NV > 1 ? mask[1] : 0;
    auto init = [&](int r, int v) {
        return bias ? _mm512_loadu_si512(bias + 16 * v) : _mm512_maskz_loadu_epi32(v ? m1 : m0, c + r * ldc + 16 * v);
    };
    const __m512i z = _mm512_setzero_si512();
#define DTQ_ACC(r)                                                   \
    __m512i a##r##0 = MR > r ? init(r, 0) : z;                        \
    __m512i a##r##1 = MR > r && NV > 1 ? init(r, 1) : z;
    DTQ_ACC(0) DTQ_ACC(1) DTQ_ACC(2) DTQ_ACC(3) DTQ_ACC(4) DTQ_ACC(5) DTQ_ACC(6) DTQ_ACC(7)
#undef DTQ_ACC
    for (uint64_t g = 0; g < kg; ++g) {
        const __m512i b0 = _mm512_loadu_si512(pb), b1 = NV > 1 ? _mm512_loadu_si512(pb + 64) : z;
#define DTQ_ROW(r)                                                   \
        if constexpr (MR > r) {                                      \
            int32_t w;                                               \
            std::memcpy(&w, pa + 4 * r, 4);                          \
            const __m512i av = _mm512_set1_epi32(w);                 \
            dpbusd(a##r##0, av, b0);                                 \
            if constexpr (NV > 1) dpbusd(a##r##1, av, b1);            \
        }
        DTQ_ROW(0) DTQ_ROW(1) DTQ_ROW(2) DTQ_ROW(3) DTQ_ROW(4) DTQ_ROW(5) DTQ_ROW(6) DTQ_ROW(7)
#undef DTQ_ROW
        pa += MR * 4;
        pb += NV * 64;
    }
#define DTQ_STORE(r)                                                            \
    if constexpr (MR > r) {                                                     \
        _mm512_mask_storeu_epi32(c + r * ldc, m0, a##r##0);                     \
        if constexpr (NV > 1) _mm512_mask_storeu_epi32(c + r * ldc + 16, m1, a##r##1); \
    }
    DTQ_STORE(0) DTQ_STORE(1) DTQ_STORE(2) DTQ_STORE(3) DTQ_STORE(4) DTQ_STORE(5) DTQ_STORE(6) DTQ_STORE(7)
#undef DTQ_STORE
}

using kernel_fn = void (*)(const uint8_t*, const uint8_t*, const int32_t*, uint64_t, int32_t*, uint64_t, const __mmask16*);

// kKernels[nv - 1][h - 1] = micro_kernel<h, nv>
template <int NV, size_t... H>
constexpr std::array<kernel_fn, sizeof...(H)> kernel_row(std::index_sequence<H...>) {
    return {&micro_kernel<static_cast<int>(H) + 1, NV>...};
}
template <size_t... V>
constexpr std::array<std::array<kernel_fn, kMR>, sizeof...(V)> kernel_table(std::index_sequence<V...>) {
    return {kernel_row<static_cast<int>(V) + 1>(std::make_index_sequence<kMR>{})...};
}
constexpr auto kKernels = kernel_table(std::make_index_sequence<kNV>{});

// Rows [i0, i1) (i0 a multiple of kMR) x column panels [p0, p1) of width kNR. K is cut into
// blocks of at most kKcGroups k-groups so that a block of the panel stays in L1 across the
// row blocks.
void vnni_part(const packed_a& A, const int8_t* bt, int32_t* c, uint64_t i0, uint64_t i1, uint64_t N, uint64_t K, uint64_t p0,
               uint64_t p1) {
    if (i0 >= i1 || p0 >= p1) return;
    const uint64_t kg = A.kg;
    const uint64_t nkb = (kg + kKcGroups - 1) / kKcGroups, kcg = (kg + nkb - 1) / nkb;
    std::vector<uint8_t> pb(kg * kNR * 4);
    alignas(64) int32_t bias[kNR];
    for (uint64_t p = p0; p < p1; ++p) {
        const uint64_t j0 = p * kNR, nc = std::min<uint64_t>(kNR, N - j0);
        const int nv = static_cast<int>((nc + 15) / 16);
        pack_b_panel(bt, N, K, j0, nv, pb.data(), bias);
        __mmask16 mask[kNV];
        for (int v = 0; v < kNV; ++v) {
            const uint64_t lo = 16 * static_cast<uint64_t>(v), n = nc > lo ? std::min<uint64_t>(16, nc - lo) : 0;
            mask[v] = static_cast<__mmask16>((1u << n) - 1u);
        }
        // The next panel's source (contiguous rows of bt) is prefetched into L2, a slice per
        // micro-kernel call; packing then waits on L2 instead of L3 / DRAM (B of 3072 x 768
        // does not fit L2: packing went from ~19% to ~12% of the time, perf).
        const char* next = reinterpret_cast<const char*>(bt + std::min(N, j0 + kNR) * K);
        const uint64_t next_lines = p + 1 < p1 ? (std::min<uint64_t>(kNR, N - j0 - kNR) * K + 63) / 64 : 0;
        const uint64_t calls = nkb * ((i1 - i0 + kMR - 1) / kMR), per_call = (next_lines + calls - 1) / calls;
        uint64_t line = 0;
        for (uint64_t g0 = 0; g0 < kg; g0 += kcg) {
            const uint64_t ng = std::min(kcg, kg - g0);
            const uint8_t* pbk = pb.data() + g0 * static_cast<uint64_t>(nv) * 64;
            for (uint64_t i = i0; i < i1; i += kMR) {
                for (const uint64_t end = std::min(next_lines, line + per_call); line < end; ++line)
                    _mm_prefetch(next + line * 64, _MM_HINT_T1);
                const uint64_t h = std::min<uint64_t>(kMR, i1 - i);
                kKernels[nv - 1][h - 1](A.block(i) + g0 * h * 4, pbk, g0 == 0 ? bias : nullptr, ng, c + i * N + j0, N, mask);
            }
        }
    }
}

void gemm_vnni(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K, unsigned threads) {
    packed_a A;
    pack_a(a, M, K, A);
    const uint64_t panels = (N + kNR - 1) / kNR, row_blocks = (M + kMR - 1) / kMR;
    // A thread cost 10-20 us to start and join when each call started its own (the pool's wake-up is
    // less: docs/performance.md#row-kernels): use one per kMinMacsPerThread MACs at most.
    const double macs = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    const uint64_t t = std::min<uint64_t>({threads, std::max<uint64_t>(1, static_cast<uint64_t>(macs / kMinMacsPerThread)),
                                           std::max(panels, row_blocks)});
    // Part n of t: a share of the column panels, or of the row blocks when there are fewer
    // panels than threads. The calling thread computes part 0.
    auto part = [&](uint64_t n) {
        if (panels >= t) vnni_part(A, bt, c, 0, M, N, K, panels * n / t, panels * (n + 1) / t);
        else vnni_part(A, bt, c, std::min(M, row_blocks * n / t * kMR), std::min(M, row_blocks * (n + 1) / t * kMR), N, K, 0, panels);
    };
    run_parts(static_cast<unsigned>(t), [&](unsigned n) { part(n); });  // the calling thread takes parts too
}
#endif


#ifdef DTQ_GEMM_AVX2
// ---- AVX2 kernel (no AVX-512: e.g. AMD Zen 2/3) -----------------------------------------
// vpmaddwd on int8 values widened to int16: per 32-bit lane a_k b_k + a_k+1 b_k+1, at most
// 2 x 16384 in magnitude, then vpaddd into int32 accumulators; the same exactness bound as
// the VNNI kernel (|acc| <= 16384 K at every step), so K <= 131071.
//   B is packed per panel of 16 columns, k-pair by k-pair: 16 columns x (b_k, b_k+1) as
//   int16 = two ymm; A per block of 6 rows, k-pair by k-pair: (a_k, a_k+1) as one int32 to
//   broadcast. Micro-kernel 6 rows x 16 columns = 12 ymm accumulators + 2 of B + 1 of A.
//   K is cut into blocks of 512 k (16 KiB of the packed panel stays in L1 across the row
//   blocks); the blocks after the first add into C.

constexpr int kMR2 = 6;
constexpr uint64_t kNR2 = 16;
constexpr uint64_t kKcPairs = 256;
constexpr double kMinMacsPerThread2 = 6e6;
constexpr uint64_t kAvx2MaxK = 131071;

struct packed_a2 {
    uint64_t M = 0, kp = 0;          // rows, k-pairs
    std::vector<int32_t> v;          // per block of kMR2 rows: kp x h int32
    const int32_t* block(uint64_t i) const { return v.data() + i * kp; }  // i a multiple of kMR2
};

inline int32_t pair16(int8_t lo, int8_t hi) {
    return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint16_t>(int16_t{lo})) |
                                (static_cast<uint32_t>(static_cast<uint16_t>(int16_t{hi})) << 16));
}

void pack_a2(const int8_t* a, uint64_t M, uint64_t K, packed_a2& p) {
    p.M = M;
    p.kp = (K + 1) / 2;
    p.v.assign(M * p.kp, 0);
    for (uint64_t i0 = 0; i0 < M; i0 += kMR2) {
        const uint64_t h = std::min<uint64_t>(kMR2, M - i0);
        int32_t* dst = p.v.data() + i0 * p.kp;
        for (uint64_t r = 0; r < h; ++r) {
            const int8_t* row = a + (i0 + r) * K;
            for (uint64_t q = 0; q < p.kp; ++q) {
                const uint64_t k = 2 * q;
                dst[q * h + r] = pair16(row[k], k + 1 < K ? row[k + 1] : int8_t{0});
            }
        }
    }
}

// Columns [j0, j0 + 16) of B (bt: N x K), zero past N and past K.
void pack_b2(const int8_t* bt, uint64_t N, uint64_t K, uint64_t j0, int16_t* pb) {
    const uint64_t kp = (K + 1) / 2;
    for (uint64_t c = 0; c < kNR2; ++c) {
        const uint64_t j = j0 + c;
        const int8_t* col = j < N ? bt + j * K : nullptr;
        for (uint64_t q = 0; q < kp; ++q) {
            const uint64_t k = 2 * q;
            // ymm 0 holds columns 0..7, ymm 1 columns 8..15; lane c%8 = (b_k, b_k+1)
            int16_t* d = pb + q * 32 + (c / 8) * 16 + (c % 8) * 2;
            d[0] = col ? col[k] : 0;
            d[1] = col && k + 1 < K ? col[k + 1] : 0;
        }
    }
}

// `mask`: 16 int32, -1 for the columns to store (the panel's columns inside N).
template <int H>
void micro_kernel2(const int32_t* pa, const int16_t* pb, uint64_t np, bool first, int32_t* c, uint64_t ldc,
                   const int32_t* mask) {
    const __m256i mask0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(mask));
    const __m256i mask1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(mask + 8));
    __m256i acc[H][2];
    for (int r = 0; r < H; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    for (uint64_t q = 0; q < np; ++q) {
        const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(pb + q * 32));
        const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(pb + q * 32 + 16));
        for (int r = 0; r < H; ++r) {
            const __m256i x = _mm256_set1_epi32(pa[q * H + r]);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(x, b0));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(x, b1));
        }
    }
    for (int r = 0; r < H; ++r) {
        int* row = reinterpret_cast<int*>(c + static_cast<uint64_t>(r) * ldc);
        if (!first) {
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_maskload_epi32(row, mask0));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_maskload_epi32(row + 8, mask1));
        }
        _mm256_maskstore_epi32(row, mask0, acc[r][0]);
        _mm256_maskstore_epi32(row + 8, mask1, acc[r][1]);
    }
}

using kernel2_fn = void (*)(const int32_t*, const int16_t*, uint64_t, bool, int32_t*, uint64_t, const int32_t*);
constexpr std::array<kernel2_fn, kMR2> kKernels2 = {micro_kernel2<1>, micro_kernel2<2>, micro_kernel2<3>,
                                                    micro_kernel2<4>, micro_kernel2<5>, micro_kernel2<6>};

// Column panels [p0, p1) x every row.
void avx2_part(const packed_a2& A, const int8_t* bt, int32_t* c, uint64_t N, uint64_t K, uint64_t p0, uint64_t p1) {
    const uint64_t kp = A.kp, M = A.M;
    const uint64_t nkb = (kp + kKcPairs - 1) / kKcPairs, kcp = (kp + nkb - 1) / nkb;
    struct aligned_free { void operator()(int16_t* p) const { std::free(p); } };
    const size_t bytes = (kp * 32 * sizeof(int16_t) + 31) / 32 * 32;
    std::unique_ptr<int16_t, aligned_free> pb(static_cast<int16_t*>(std::aligned_alloc(32, bytes)));
    for (uint64_t p = p0; p < p1; ++p) {
        const uint64_t j0 = p * kNR2, nc = std::min<uint64_t>(kNR2, N - j0);
        pack_b2(bt, N, K, j0, pb.get());
        alignas(32) int32_t mask[16];
        for (uint64_t x = 0; x < 16; ++x) mask[x] = x < nc ? -1 : 0;
        for (uint64_t q0 = 0; q0 < kp; q0 += kcp) {
            const uint64_t nq = std::min(kcp, kp - q0);
            for (uint64_t i = 0; i < M; i += kMR2) {
                const uint64_t h = std::min<uint64_t>(kMR2, M - i);
                kKernels2[h - 1](A.block(i) + q0 * h, pb.get() + q0 * 32, nq, q0 == 0, c + i * N + j0, N, mask);
            }
        }
    }
}

void gemm_avx2(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K, unsigned threads) {
    packed_a2 A;
    pack_a2(a, M, K, A);
    const uint64_t panels = (N + kNR2 - 1) / kNR2;
    const double macs = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    const uint64_t t = std::min<uint64_t>({threads, std::max<uint64_t>(1, static_cast<uint64_t>(macs / kMinMacsPerThread2)), panels});
    run_parts(static_cast<unsigned>(t), [&](unsigned n) { avx2_part(A, bt, c, N, K, panels * n / t, panels * (n + 1) / t); });
}
#endif

}  // namespace

namespace {
std::atomic<bool> g_log_on{false};
std::mutex g_log_mutex;
std::map<std::array<uint64_t, 3>, uint64_t> g_log;
}  // namespace

void gemm_log_enable(bool on) { g_log_on = on; }

std::vector<gemm_shape> gemm_log() {
    std::lock_guard<std::mutex> lock(g_log_mutex);
    std::vector<gemm_shape> v;
    for (const auto& [mnk, n] : g_log) v.push_back(gemm_shape{mnk[0], mnk[1], mnk[2], n});
    return v;
}

void gemm_s8(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K, unsigned threads) {
    if (g_log_on) {
        std::lock_guard<std::mutex> lock(g_log_mutex);
        ++g_log[{M, N, K}];
    }
    if (M == 0 || N == 0) return;
    if (K == 0) { std::fill(c, c + M * N, 0); return; }
    threads = std::max(1u, threads);
#ifdef DTQ_GEMM_VNNI
    if (K <= kVnniMaxK) {
        gemm_vnni(a, bt, c, M, N, K, threads);
        return;
    }
#endif
#ifdef DTQ_GEMM_AVX2
    if (K <= kAvx2MaxK) {
        gemm_avx2(a, bt, c, M, N, K, threads);
        return;
    }
#endif
    gemm_portable(a, bt, c, M, N, K, threads);
}

const char* gemm_kernel_name() {
#if defined(DTQ_GEMM_VNNI)
    return "avx512-vnni";
#elif defined(DTQ_GEMM_AVX2)
    return "avx2";
#else
    return "portable";
#endif
}

int8_t quantize_4bit(int8_t x) { return static_cast<int8_t>(quantize_4bit_code(x) * 16); }

}  // namespace dtq::vssa
