// Exact integer GEMM behind the VSSA's functional results: C[M x N] (int32) =
// A[M x K] (int8) x B (int8), with B given transposed (N x K, K contiguous), as the
// systolic array sees it (rows of A and columns of B are token vectors).
// 4-bit tokens are represented in the same int8 domain as their 8-bit value with
// the low nibble dropped (v4 << 4, see quantize_4bit), which is what the PE's
// high-nibble-only mode computes; so one int8 GEMM serves every precision mix.
#pragma once
#include <cstdint>
#include <vector>

namespace dtq::vssa {

// c[i * N + j] = sum_k a[i * K + k] * bt[j * K + k]. Blocked; vectorizes to VNNI with
// -march=native. `threads` > 1 splits rows over std::threads.
void gemm_s8(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K, unsigned threads = 1);

// The naive triple loop, for tests.
void gemm_s8_reference(const int8_t* a, const int8_t* bt, int32_t* c, uint64_t M, uint64_t N, uint64_t K);

// 8-bit value -> 4-bit token in the 8-bit domain: clamp(round_half_even(x / 16), -8, 7) * 16.
int8_t quantize_4bit(int8_t x);

}  // namespace dtq::vssa
