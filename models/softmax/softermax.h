// Softermax mode of the softmax unit (docs/softermax.md): base-2 exponentials, an integer
// running max, online normalization (running max and running sum in ONE pass over the
// scores, the sum shifted right whenever the max grows), then a second pass that aligns
// every stored exponential to the final max and multiplies it by a normalized reciprocal
// of the sum. Low-precision fixed point with the widths below; bit-exact with
// tools/softermax_ref.py (golden vectors: tests/softmax/softermax_vectors.json).
//
// Method: Stevens et al., "Softermax: Hardware/Software Co-Design of an Efficient Softmax
// for Transformers" (DAC 2021), as used by the VS-Quant + Softermax accelerator of
// ../shared/seeds/vs-quant-softermax-accelerator.txt ("approximate softmax"). The seed holds
// only that paper's abstract, so every width here is a choice of dtqvp, written down in
// docs/softermax.md#widths.
#pragma once
#include <cstdint>
#include <vector>

#include "ibert/kernels.h"

namespace dtq::softmax {

// ---- widths (docs/softermax.md#widths) ------------------------------------------------
constexpr int SOFTERMAX_X_BITS = 16;    // x: signed, log2 domain, saturating
constexpr int SOFTERMAX_X_FRAC = 6;     // fractional bits of x
constexpr int SOFTERMAX_M_BITS = 11;    // integer running max: ceil of x, signed
constexpr int SOFTERMAX_E_FRAC = 15;    // exponentials: unsigned Q1.15 (16 bits)
constexpr int SOFTERMAX_SEG_BITS = 3;   // 2^f: 8 linear segments
constexpr int SOFTERMAX_SUM_BITS = 32;  // running sum: unsigned Q17.15
constexpr uint64_t SOFTERMAX_MAX_ROW = uint64_t{1} << 16;  // n * 2^15 <= 2^31: the sum never overflows
constexpr int32_t SOFTERMAX_X_MIN = -(int32_t{1} << (SOFTERMAX_X_BITS - 1));
constexpr int32_t SOFTERMAX_X_MAX = (int32_t{1} << (SOFTERMAX_X_BITS - 1)) - 1;
// The binary64 nearest to log2(e); tools/softermax_ref.py uses the same literal.
constexpr double SOFTERMAX_LOG2E = 1.4426950408889634;
// round(2^(s/8) * 2^15), s = 0..8 (correctly rounded; tests/softmax checks it).
constexpr uint32_t SOFTERMAX_POW2_TABLE[9] = {32768, 35734, 38968, 42495, 46341, 50535, 55109, 60097, 65536};

// 2^(f / 2^X_FRAC) in Q1.15 for 0 <= f < 2^X_FRAC: table entry of the top 3 bits, plus the
// floor of the linear interpolation on the low 3 bits. Result in [2^15, 2^16).
constexpr uint32_t softermax_pow2_frac(uint32_t f) {
    const int lo_bits = SOFTERMAX_X_FRAC - SOFTERMAX_SEG_BITS;
    const uint32_t s = f >> lo_bits, r = f & ((1u << lo_bits) - 1);
    const uint32_t a = SOFTERMAX_POW2_TABLE[s], b = SOFTERMAX_POW2_TABLE[s + 1];
    return a + (((b - a) * r) >> lo_bits);
}

// ceil(x / 2^X_FRAC): the running-max candidate of a fixed-point x.
constexpr int32_t softermax_ceil_int(int32_t x) { return -((-x) >> SOFTERMAX_X_FRAC); }

// x = sat16(round_half_up(s * m / 2^e)): a score in log2 units with X_FRAC fraction bits,
// (m, e) = dyadic(scale * log2(e) * 2^X_FRAC).
int32_t softermax_to_log2(int64_t s, ibert::dyadic_t me);

// Everything the reference writes for one row (tests compare every field).
struct softermax_out {
    double mult = 0;              // scale * log2(e) * 2^X_FRAC (binary64, in this order)
    ibert::dyadic_t me;           // its dyadic form
    std::vector<int32_t> x;       // inputs in the log2 domain
    int32_t max = 0;              // final integer max
    std::vector<uint32_t> e_local;  // 2^(x - m_local) in Q1.15, as stored by pass 1
    std::vector<int32_t> m_local;   // the running max when the element was seen
    uint64_t sum = 0;             // one-pass running sum (Q17.15)
    uint32_t corrections = 0;     // times the running max grew (the sum was shifted)
    uint64_t recip = 0;           // floor(2^(bitlen(sum) + 15) / sum), in (2^15, 2^16]
    std::vector<int64_t> y;       // probabilities * 2^output_bit, capped to 2^min(output_bit, 7) - 1
};

// One row of n integer scores (real value = score * scale). Throws std::invalid_argument for
// n = 0, n > SOFTERMAX_MAX_ROW, a scale that is not finite and positive, or output_bit
// outside [0, 15].
softermax_out softermax_row(const int64_t* scores, uint64_t n, double scale, int output_bit = 7);

// The sum of the same exponentials, each taken once against the final max (the two-pass
// formulation). The one-pass sum S1 and this S2 satisfy S2 <= S1 <= S2 + n - 1, with
// S1 == S2 when the max never grows after the first element (docs/softermax.md#online).
uint64_t softermax_two_pass_sum(const std::vector<int32_t>& x);

}  // namespace dtq::softmax
