#include "softmax/softermax.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dtq::softmax {

namespace {

using ibert::i128;

// v >> s for an unsigned v and any s >= 0: a shifter outputs 0 beyond its width.
uint64_t shr(uint64_t v, int64_t s) { return s >= 64 ? 0 : v >> s; }

int bitlen(uint64_t v) { return v == 0 ? 0 : 64 - __builtin_clzll(v); }

}  // namespace

int32_t softermax_to_log2(int64_t s, ibert::dyadic_t me) {
    const i128 p = i128{s} * me.m;  // |s| < 2^63, |m| <= 2^31: < 2^94
    i128 v;
    if (me.e > 100)  // |p| < 2^94: round(p / 2^e) is 0 (tiny scales)
        v = 0;
    else if (me.e > 0)
        v = (p + (i128{1} << (me.e - 1))) >> me.e;  // round half up (arithmetic shift = floor)
    else  // M >= 2^31 only for absurd scales; saturate before the shift can overflow
        v = me.e < -32 ? (p > 0 ? SOFTERMAX_X_MAX : p < 0 ? SOFTERMAX_X_MIN : 0) : p * (i128{1} << -me.e);
    return static_cast<int32_t>(std::clamp<i128>(v, SOFTERMAX_X_MIN, SOFTERMAX_X_MAX));
}

softermax_out softermax_row(const int64_t* scores, uint64_t n, double scale, int output_bit) {
    if (n == 0) throw std::invalid_argument("softermax: empty row");
    if (n > SOFTERMAX_MAX_ROW)
        throw std::invalid_argument("softermax: row of " + std::to_string(n) + " scores is longer than " +
                                    std::to_string(SOFTERMAX_MAX_ROW));
    if (!(scale > 0) || !std::isfinite(scale)) throw std::invalid_argument("softermax: scale must be positive and finite");
    if (output_bit < 0 || output_bit > 15) throw std::invalid_argument("softermax: output_bit must be in [0, 15]");

    softermax_out o;
    o.mult = (scale * SOFTERMAX_LOG2E) * static_cast<double>(1 << SOFTERMAX_X_FRAC);
    o.me = ibert::dyadic(o.mult);
    o.x.resize(n);
    for (uint64_t i = 0; i < n; ++i) o.x[i] = softermax_to_log2(scores[i], o.me);

    // Pass 1: integer running max, unnormalized exponentials, running sum.
    o.e_local.resize(n);
    o.m_local.resize(n);
    int32_t m = softermax_ceil_int(o.x[0]);
    uint64_t sum = 0;
    constexpr int32_t frac_mask = (1 << SOFTERMAX_X_FRAC) - 1;
    for (uint64_t i = 0; i < n; ++i) {
        const int32_t x = o.x[i];
        const int32_t c = softermax_ceil_int(x);
        if (c > m) {  // the max grows: rescale the sum to it (a right shift, m is an integer)
            sum = shr(sum, c - m);
            ++o.corrections;
            m = c;
        }
        const int32_t d = x - m * (1 << SOFTERMAX_X_FRAC);  // <= 0
        const int32_t k = d >> SOFTERMAX_X_FRAC;           // floor: integer part, <= 0
        const auto f = static_cast<uint32_t>(d & frac_mask);  // the fraction bits of x itself
        const uint64_t e = shr(softermax_pow2_frac(f), -int64_t{k});
        sum += e;  // < 2^31 for n <= 2^16
        o.e_local[i] = static_cast<uint32_t>(e);
        o.m_local[i] = m;
    }
    o.max = m;
    o.sum = sum;  // >= 2^14: the element that set the max contributes 2^f or 2^f / 2

    // Between the passes: normalized reciprocal, L = bitlen(sum).
    const int L = bitlen(sum);
    o.recip = (uint64_t{1} << (L + SOFTERMAX_E_FRAC)) / sum;

    // Pass 2: align to the final max (floor shifts compose: the same value as shifting 2^f
    // once by the final distance), multiply by the reciprocal, round half up, cap.
    const int64_t top = (int64_t{1} << std::min(output_bit, 7)) - 1;
    const int sh = L + SOFTERMAX_E_FRAC - output_bit;  // >= 15: L >= 15
    o.y.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t ef = shr(o.e_local[i], int64_t{m} - o.m_local[i]);
        const uint64_t y = (ef * o.recip + (uint64_t{1} << (sh - 1))) >> sh;  // ef * recip <= 2^31
        o.y[i] = std::min<int64_t>(static_cast<int64_t>(y), top);
    }
    return o;
}

uint64_t softermax_two_pass_sum(const std::vector<int32_t>& x) {
    int32_t m = SOFTERMAX_X_MIN;
    for (int32_t v : x) m = std::max(m, softermax_ceil_int(v));
    uint64_t sum = 0;
    for (int32_t v : x) {
        const int32_t d = v - m * (1 << SOFTERMAX_X_FRAC);
        sum += shr(softermax_pow2_frac(static_cast<uint32_t>(d & ((1 << SOFTERMAX_X_FRAC) - 1))), -int64_t{d >> SOFTERMAX_X_FRAC});
    }
    return sum;
}

}  // namespace dtq::softmax
