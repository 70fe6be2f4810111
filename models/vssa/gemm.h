// Exact integer GEMM behind the VSSA's functional results: C[M x N] (int32) =
// A[M x K] (int8) x B (int8), with B given transposed (N x K, K contiguous), as the
// systolic array sees it (rows of A and columns of B are token vectors).
// 4-bit operands are held as their 4-bit code in [-8, 7] (quantize_4bit_code), as the
// line buffers and the PE's nibble hold them; the consumer applies the scale (x16 per
// 4-bit side, relative to the 8-bit domain). One int8 GEMM serves every precision mix.
#pragma once
#include <cstdint>
#include <vector>

namespace dtq::vssa {

// c[i * N + j] = sum_k a[i * K + k] * bt[j * K + k], exact. For K <= 131071 no int32
// intermediate can overflow (|c| <= 16384 K < 2^31); beyond that the caller must keep the
// partial sums in int32, as for gemm_s8_reference. With AVX512-VNNI at compile time (the
// default -march=native build): packed panels and a vpdpbusd micro-kernel; else with AVX2
// a vpmaddwd micro-kernel on operands widened to int16; otherwise, and for K > 131071, a
// portable int16 kernel (models/vssa/gemm.cpp, docs/performance.md).
// `threads` is an upper bound: column panels (or rows) are split over the host pool's threads
// (common/host_pool.h) when the work pays for them; c does not depend on it.
void gemm_s8(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K, unsigned threads = 1);
// The kernel this build's gemm_s8 uses for K <= 131071: "avx512-vnni", "avx2" or "portable".
const char* gemm_kernel_name();

// Process-wide record of every gemm_s8 call's shape (off by default): what a functional
// run computed, for bench/model_gemm to replay in OpenBLAS (dtqvp run writes it to
// OUT/gemms.json).
struct gemm_shape {
    uint64_t m, n, k, count;
};
void gemm_log_enable(bool on);
std::vector<gemm_shape> gemm_log();  // sorted by (m, n, k)

// The naive triple loop, for tests.
void gemm_s8_reference(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K);

// 8-bit value -> 4-bit code as the PE's nibble sees it: clamp(round_half_even(x / 16), -8, 7).
// Inline: the loops over a row that call it vectorise (it was an out-of-line call per element).
inline int8_t quantize_4bit_code(int8_t x) {
    // round half to even of x / 16
    const int q = x >> 4, r = x & 15;  // x = 16 q + r, 0 <= r < 16 (arithmetic shift)
    const int v = q + (r > 8 || (r == 8 && (q & 1)));
    return static_cast<int8_t>(v < -8 ? -8 : v > 7 ? 7 : v);
}
// The same token in the 8-bit domain: quantize_4bit_code(x) * 16.
int8_t quantize_4bit(int8_t x);

}  // namespace dtq::vssa
