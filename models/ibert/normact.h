// The norm/act unit (ARCHITECTURE.md "ibert/ (norm, gelu, requant)"): the row operations of
// the stand-alone vector commands REQUANT, RESADD, LAYERNORM and GELU on raw row-major
// buffers, bit-exact with the I-BERT kernels (kernels.h) they are built on, plus their
// cycles (timing.h). No SystemC: platform/ moves the data (docs/encoder.md).
#pragma once
#include <cstdint>

#include "ibert/kernels.h"
#include "ibert/timing.h"

namespace dtq::ibert::normact {

// round_half_even(x * m / 2^e) as I-BERT's requantization (shift_round, half to even).
int64_t scale_round(int64_t x, int64_t m, int e);

// REQUANT of one row: y = clamp(scale_round(x, m, e), -128, 127). bits 8 writes `cols`
// int8 values; bits 4 writes cols / 2 bytes of packed 4-bit codes (the code of the int8
// value as the VSSA's nibble sees it, element 2i in the low nibble; cols even); bits 0
// writes nothing. Returns the bytes written.
uint64_t requant_row(const int32_t* x, uint64_t cols, int64_t m, int e, uint8_t bits, uint8_t* out);

// REQUANT PER_CHANNEL of one int8 row: y_c = clamp(scale_round(x_c, m_c, e_c), -128, 127)
// with me = cols (m, e) pairs (an I-BERT LayerNorm output of per-channel scale gamma_c S).
void requant_row_channels(const int32_t* x, uint64_t cols, const int32_t* me, uint8_t* out);

// RESADD of one row: y = sat32(scale_round(x, m0, e0) + scale_round(res, m1, e1)).
void resadd_row(const int32_t* x, const int8_t* res, uint64_t cols, int64_t m0, int e0, int64_t m1, int e1, int32_t* y);

// LAYERNORM of one row: i-LayerNorm's integer datapath (mean, variance with the overflow
// shift starting at `shift`, isqrt, factor) -> y_norm, plus bias_int[i] (null = none).
// Throws what i_layernorm throws.
void layernorm_row(const int32_t* x, uint64_t cols, int shift, const int32_t* bias_int, int32_t* y);

// GELU of one row: i-GELU's integer datapath with the constants of the input scale;
// throws std::overflow_error when a result leaves int32.
void gelu_row(const int8_t* x, uint64_t cols, const gelu_consts_t& k, int32_t* y);

// The row functions above take fast paths (int64 arithmetic where the operand ranges
// provably fit, a 256-entry table for GELU's int8 input, no per-row allocation; see
// docs/performance.md#i-bert-row-kernels). These are the plain forms they replaced, on the
// 128-bit kernels of kernels.h: the same results and the same exceptions
// (tests/ibert/test_normact_fast.cpp compares them on random rows).
namespace reference {
uint64_t requant_row(const int32_t* x, uint64_t cols, int64_t m, int e, uint8_t bits, uint8_t* out);
void resadd_row(const int32_t* x, const int8_t* res, uint64_t cols, int64_t m0, int e0, int64_t m1, int e1, int32_t* y);
void layernorm_row(const int32_t* x, uint64_t cols, int shift, const int32_t* bias_int, int32_t* y);
void gelu_row(const int8_t* x, uint64_t cols, const gelu_consts_t& k, int32_t* y);
}  // namespace reference

}  // namespace dtq::ibert::normact
