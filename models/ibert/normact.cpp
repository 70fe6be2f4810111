#include "ibert/normact.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

#include "vssa/gemm.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include "common/immintrin_quiet.h"  // (GCC 12's false -Wmaybe-uninitialized)
#define DTQ_ROWS_AVX512 1
#endif

namespace dtq::ibert::normact {

int64_t scale_round(int64_t x, int64_t m, int e) {
    return static_cast<int64_t>(shift_round(static_cast<i128>(x) * m, e, rounding::half_even));
}

namespace {

// round_half_even(p / 2^e) for 1 <= e <= 62, as shift_round on int64 (arithmetic >> = floor).
inline int64_t round_shift64(int64_t p, int e) {
    const int64_t q = p >> e;
    const uint64_t rem = static_cast<uint64_t>(p) & ((uint64_t{1} << e) - 1);
    const uint64_t half = uint64_t{1} << (e - 1);
    return q + static_cast<int64_t>(rem > half || (rem == half && (q & 1)));
}
// The int64 form is exact when |x| <= 2^31 and |m| <= 2^31 (|x m| <= 2^62) and 1 <= e <= 62.
inline bool fits64(int64_t m, int e) {
    constexpr int64_t lim = int64_t{1} << 31;
    return m >= -lim && m <= lim && e >= 1 && e <= 62;
}

// The same value without a branch: floor((p + 2^(e-1) - 1 + b) / 2^e), b = bit e of p (the
// parity of q = floor(p / 2^e)). With r = p - q 2^e in [0, 2^e) and h = 2^(e-1): r + h - 1 + b
// reaches 2^e exactly when r > h, or r = h and b = 1 (half to even); otherwise q. |p| <= 2^62
// and 2^(e-1) <= 2^61, so the sum fits int64. Vector form below (docs/performance.md#row-kernels).
inline int64_t round_shift64_nb(int64_t p, int e) {
    return (p + ((int64_t{1} << (e - 1)) - 1) + ((p >> e) & 1)) >> e;
}

// q[i] = clamp(round_half_even(x[i] m / 2^e), -128, 127) for fits64(m, e): REQUANT's int8 values.
void requant_q8(const int32_t* x, uint64_t n, int64_t m, int e, int8_t* q) {
    uint64_t i = 0;
#ifdef DTQ_ROWS_AVX512
    // vpmuldq multiplies the low 32 bits of each 64-bit lane as signed: exact for m in int32
    // (every dyadic m but +2^31, which takes the scalar loop). vpsraq is floor(p / 2^e);
    // vpmovsqb saturates int64 to int8, which is the clamp to [-128, 127].
    if (m >= std::numeric_limits<int32_t>::min() && m <= std::numeric_limits<int32_t>::max()) {
        const __m512i vm = _mm512_set1_epi64(m), vh = _mm512_set1_epi64((int64_t{1} << (e - 1)) - 1), one = _mm512_set1_epi64(1);
        const __m128i ve = _mm_cvtsi32_si128(e);
        const auto q8 = [&](__m256i x8) {
            const __m512i p = _mm512_mul_epi32(_mm512_cvtepi32_epi64(x8), vm);
            const __m512i b = _mm512_and_si512(_mm512_srl_epi64(p, ve), one);
            return _mm512_cvtsepi64_epi8(_mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(p, vh), b), ve));
        };
        for (; i + 16 <= n; i += 16) {
            const __m128i lo = q8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)));
            const __m128i hi = q8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i + 8)));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm_unpacklo_epi64(lo, hi));
        }
        if (i < n) {  // 1..15 left: masked
            const auto k = static_cast<__mmask16>((1u << (n - i)) - 1u);
            const __m512i xv = _mm512_maskz_loadu_epi32(k, x + i);
            const __m128i lo = q8(_mm512_castsi512_si256(xv)), hi = q8(_mm512_extracti64x4_epi64(xv, 1));
            _mm_mask_storeu_epi8(q + i, k, _mm_unpacklo_epi64(lo, hi));
            return;
        }
    }
#endif
    for (; i < n; ++i) q[i] = static_cast<int8_t>(std::clamp<int64_t>(round_shift64_nb(int64_t{x[i]} * m, e), -128, 127));
}

// A requantized row as the memory holds it: int8 (bits 8) or two 4-bit codes a byte, low
// nibble first (bits 4), from q8(i), the element's int8 value. Returns the bytes written.
template <class Q8>
inline uint64_t pack_row(const Q8& q8, uint64_t cols, uint8_t bits, uint8_t* out) {
    if (bits == 8) {
        for (uint64_t i = 0; i < cols; ++i) out[i] = static_cast<uint8_t>(q8(i));
        return cols;
    }
    // blocks of codes, then the nibble pairs: two simple loops the compiler vectorises
    constexpr uint64_t B = 256;
    alignas(64) uint8_t code[B];
    const uint64_t even = cols & ~uint64_t{1};  // an odd last element has no byte
    for (uint64_t i0 = 0; i0 < even; i0 += B) {
        const uint64_t m = std::min(B, even - i0);
        for (uint64_t t = 0; t < m; ++t) code[t] = static_cast<uint8_t>(vssa::quantize_4bit_code(q8(i0 + t)) & 0xF);
        for (uint64_t t = 0; t < m / 2; ++t) out[i0 / 2 + t] = static_cast<uint8_t>(code[2 * t] | (code[2 * t + 1] << 4));
    }
    return cols / 2;
}

// i-GELU of every int8 input for one set of constants, from the 128-bit kernel itself
// (so exact by construction); per thread, rebuilt when the constants change.
struct gelu_table {
    int64_t b_int = 0, c_int = 0, shift_int = 0;
    int n = -1;
    bool valid = false;
    int32_t y[256];
    bool fits[256];  // the result fits int32 (else gelu_row throws, as the kernel's caller did)
    bool all_fit = false;
};

}  // namespace

uint64_t requant_row(const int32_t* x, uint64_t cols, int64_t m, int e, uint8_t bits, uint8_t* out) {
    if (bits == 0) return 0;
    if (!fits64(m, e)) return reference::requant_row(x, cols, m, e, bits, out);
    if (bits == 8) {
        requant_q8(x, cols, m, e, reinterpret_cast<int8_t*>(out));
        return cols;
    }
    // 4-bit: blocks of int8 values, their codes, then the nibble pairs (three loops the compiler
    // vectorises). code(v) = min(round_half_even(v / 16), 7) as quantize_4bit_code (v / 16 >= -8
    // already), with the branch-free rounding of round_shift64_nb for e = 4.
    constexpr uint64_t B = 1024;
    alignas(64) int8_t q[B];
    alignas(64) uint8_t code[B];
    const uint64_t even = cols & ~uint64_t{1};
    for (uint64_t i0 = 0; i0 < even; i0 += B) {
        const uint64_t n = std::min(B, even - i0);
        requant_q8(x + i0, n, m, e, q);
        for (uint64_t t = 0; t < n; ++t) {
            const int v = (int{q[t]} + 7 + ((int{q[t]} >> 4) & 1)) >> 4;
            code[t] = static_cast<uint8_t>((v > 7 ? 7 : v) & 0xF);
        }
        uint8_t* o = out + i0 / 2;
        for (uint64_t t = 0; t < n / 2; ++t) o[t] = static_cast<uint8_t>(code[2 * t] | (code[2 * t + 1] << 4));
    }
    return cols / 2;
}

void requant_row_channels(const int32_t* x, uint64_t cols, const int32_t* me, uint8_t* out) {
    for (uint64_t i = 0; i < cols; ++i) {
        const int64_t m = me[2 * i];
        const int e = me[2 * i + 1];
        const int64_t v = fits64(m, e) ? round_shift64(int64_t{x[i]} * m, e) : scale_round(x[i], m, e);
        out[i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127)));
    }
}

void resadd_row(const int32_t* x, const int8_t* res, uint64_t cols, int64_t m0, int e0, int64_t m1, int e1, int32_t* y) {
    if (!fits64(m0, e0) || !fits64(m1, e1)) return reference::resadd_row(x, res, cols, m0, e0, m1, e1, y);
    constexpr int64_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
    uint64_t i = 0;
#ifdef DTQ_ROWS_AVX512
    // as requant_q8: vpmuldq (m0, m1 in int32), the branch-free rounding, and vpmovsqd's
    // saturation to int32 for the clamp
    constexpr int64_t i32lo = std::numeric_limits<int32_t>::min(), i32hi = std::numeric_limits<int32_t>::max();
    if (m0 >= i32lo && m0 <= i32hi && m1 >= i32lo && m1 <= i32hi) {
        const __m512i vm0 = _mm512_set1_epi64(m0), vm1 = _mm512_set1_epi64(m1), one = _mm512_set1_epi64(1);
        const __m512i vh0 = _mm512_set1_epi64((int64_t{1} << (e0 - 1)) - 1), vh1 = _mm512_set1_epi64((int64_t{1} << (e1 - 1)) - 1);
        const __m128i ve0 = _mm_cvtsi32_si128(e0), ve1 = _mm_cvtsi32_si128(e1);
        const auto rs = [&](__m512i p, __m512i vh, __m128i ve) {
            const __m512i b = _mm512_and_si512(_mm512_srl_epi64(p, ve), one);
            return _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(p, vh), b), ve);
        };
        for (; i + 8 <= cols; i += 8) {
            const __m512i p0 = _mm512_mul_epi32(_mm512_cvtepi32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i))), vm0);
            const __m512i p1 = _mm512_mul_epi32(_mm512_cvtepi8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(res + i))), vm1);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), _mm512_cvtsepi64_epi32(_mm512_add_epi64(rs(p0, vh0, ve0), rs(p1, vh1, ve1))));
        }
    }
#endif
    // each term is at most 2^61 in magnitude, so the sum fits int64
    for (; i < cols; ++i)
        y[i] = static_cast<int32_t>(std::clamp<int64_t>(round_shift64_nb(int64_t{x[i]} * m0, e0) + round_shift64_nb(int64_t{res[i]} * m1, e1), lo, hi));
}

namespace {
// LAYERNORM's last pass: y = ((x - mean) factor >> 1) + bias, |x - mean| < 2^32, factor <= 2^31.
// Blocks of 64 computed in int64 (a loop the compiler vectorises) and stored when all fit int32;
// a block with a value outside int32 is redone element by element, which writes the values before
// it and throws, as the plain loop.
template <bool HasBias>
void layernorm_store(const int32_t* x, uint64_t cols, int64_t mean, int64_t factor, const int32_t* bias, int32_t* y) {
    constexpr int64_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
    constexpr uint64_t B = 64;
    alignas(64) int64_t v[B];
    for (uint64_t i0 = 0; i0 < cols; i0 += B) {
        const uint64_t n = std::min(B, cols - i0);
        int64_t vmin = 0, vmax = 0;
        for (uint64_t t = 0; t < n; ++t) {
            v[t] = (((int64_t{x[i0 + t]} - mean) * factor) >> 1) + (HasBias ? int64_t{bias[i0 + t]} : 0);
            vmin = std::min(vmin, v[t]);
            vmax = std::max(vmax, v[t]);
        }
        if (vmin < lo || vmax > hi) {
            for (uint64_t t = 0; t < n; ++t) {
                if (v[t] < lo || v[t] > hi) throw std::overflow_error("i-LayerNorm result leaves int32");
                y[i0 + t] = static_cast<int32_t>(v[t]);
            }
        }
        for (uint64_t t = 0; t < n; ++t) y[i0 + t] = static_cast<int32_t>(v[t]);
    }
}
}  // namespace

void layernorm_row(const int32_t* x, uint64_t cols, int shift, const int32_t* bias_int, int32_t* y) {
    // i_layernorm's integer datapath (kernels.cpp) for gamma = 1, beta = 0 (its bias_int is
    // then 0), without its vectors: |x| < 2^31, so the sum fits int64 for cols < 2^32,
    // |x - mean| < 2^32, a shifted square < 2^64 (summed in 128 bits), |y factor| < 2^63.
    if (cols == 0 || shift < 0 || cols >= (uint64_t{1} << 32) || shift > 62)
        return reference::layernorm_row(x, cols, shift, bias_int, y);
    int64_t sum = 0;
    for (uint64_t i = 0; i < cols; ++i) sum += x[i];
    const int64_t mean = div_round_half_even(sum, static_cast<int64_t>(cols));
    const auto var_at = [&](int s) {  // sum((y >> s)^2), y >> s rounding toward -inf
        // a = |y >> s| < 2^32, so a^2 < 2^64: its low and high 32-bit halves are summed apart, in
        // uint64 (each sum of cols < 2^32 terms below 2^32 stays below 2^64; a loop the compiler
        // vectorises), and joined in 128 bits: the same sum as adding each a^2 in 128 bits.
        uint64_t lo = 0, hi = 0;
        for (uint64_t i = 0; i < cols; ++i) {
            const int64_t t = (int64_t{x[i]} - mean) >> s;
            const auto a = static_cast<uint64_t>(t < 0 ? -t : t);
            const uint64_t sq = a * a;
            lo += sq & 0xFFFFFFFFu;
            hi += sq >> 32;
        }
        return (static_cast<u128>(hi) << 32) + lo;
    };
    const u128 limit = u128{1} << 32;
    int used = shift;
    u128 var = var_at(used);
    if (var >= limit) {
        // I-BERT's set_shift: smallest t >= 0 with sum(y^2) <= 2^(2t+32) (below 2^96 here)
        const u128 sq = var_at(0);
        int t = 0;
        while (sq > (u128{1} << (2 * t + 32))) ++t;
        used = std::max(used, t);
        var = var_at(used);
        while (var >= limit) var = var_at(++used);  // y >> s rounds negative y away from 0
    }
    if (used > 62) return reference::layernorm_row(x, cols, shift, bias_int, y);
    const uint64_t root = i_sqrt(var).root;  // var < 2^32: root < 2^16
    const i128 std_ = i128{static_cast<int64_t>(root)} << used;
    if (std_ > std::numeric_limits<int64_t>::max()) return reference::layernorm_row(x, cols, shift, bias_int, y);
    const int64_t eff = std_ > 0 ? static_cast<int64_t>(std_) : 1;  // REFERENCE-DEFINED: std 0 -> 1
    const int64_t factor = (int64_t{1} << 31) / eff;
    if (bias_int) layernorm_store<true>(x, cols, mean, factor, bias_int, y);
    else layernorm_store<false>(x, cols, mean, factor, nullptr, y);
}

void gelu_row(const int8_t* x, uint64_t cols, const gelu_consts_t& k, int32_t* y) {
    thread_local gelu_table t;
    if (!t.valid || t.b_int != k.b_int || t.c_int != k.c_int || t.shift_int != k.shift_int || t.n != k.n) {
        t.valid = false;
        std::vector<int64_t> all(256);
        for (int v = -128; v < 128; ++v) all[static_cast<size_t>(v + 128)] = v;
        gelu_out r;
        try {
            r = i_gelu_int(all, k);
        } catch (const std::exception&) {  // some int8 input overflows the kernel: the row decides, as before
            return reference::gelu_row(x, cols, k, y);
        }
        for (size_t i = 0; i < 256; ++i) {
            t.fits[i] = r.y[i] >= std::numeric_limits<int32_t>::min() && r.y[i] <= std::numeric_limits<int32_t>::max();
            t.y[i] = t.fits[i] ? static_cast<int32_t>(r.y[i]) : 0;
        }
        t.all_fit = std::all_of(t.fits, t.fits + 256, [](bool f) { return f; });
        t.b_int = k.b_int;
        t.c_int = k.c_int;
        t.shift_int = k.shift_int;
        t.n = k.n;
        t.valid = true;
    }
    uint64_t i0 = 0;
#ifdef DTQ_ROWS_AVX512
    if (t.all_fit)  // no input can throw: 16 table entries a step (vpgatherdd)
        for (; i0 + 16 <= cols; i0 += 16) {
            const __m512i j = _mm512_add_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i0))),
                                               _mm512_set1_epi32(128));
            _mm512_storeu_si512(y + i0, _mm512_i32gather_epi32(j, t.y, 4));
        }
#endif
    for (uint64_t i = i0; i < cols; ++i) {
        const auto j = static_cast<size_t>(int{x[i]} + 128);
        if (!t.fits[j]) throw std::overflow_error("i-GELU result leaves int32");
        y[i] = t.y[j];
    }
}

namespace reference {

uint64_t requant_row(const int32_t* x, uint64_t cols, int64_t m, int e, uint8_t bits, uint8_t* out) {
    if (bits == 0) return 0;
    const auto q8 = [&](uint64_t i) {
        return static_cast<int8_t>(std::clamp<int64_t>(scale_round(x[i], m, e), -128, 127));
    };
    return pack_row(q8, cols, bits, out);
}

void resadd_row(const int32_t* x, const int8_t* res, uint64_t cols, int64_t m0, int e0, int64_t m1, int e1, int32_t* y) {
    constexpr int64_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
    for (uint64_t i = 0; i < cols; ++i)
        y[i] = static_cast<int32_t>(std::clamp<int64_t>(scale_round(x[i], m0, e0) + scale_round(res[i], m1, e1), lo, hi));
}

void layernorm_row(const int32_t* x, uint64_t cols, int shift, const int32_t* bias_int, int32_t* y) {
    // gamma = 1, beta = 0: bias_int = 0 and y = y_norm; the caller's bias_int is added after.
    const std::vector<int64_t> in(x, x + cols);
    const std::vector<double> gamma(cols, 1.0), beta(cols, 0.0);
    const layernorm_out r = i_layernorm(in, gamma, beta, shift, true);
    for (uint64_t i = 0; i < cols; ++i) {
        const int64_t v = r.y_norm[i] + (bias_int ? bias_int[i] : 0);
        if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
            throw std::overflow_error("i-LayerNorm result leaves int32");
        y[i] = static_cast<int32_t>(v);
    }
}

void gelu_row(const int8_t* x, uint64_t cols, const gelu_consts_t& k, int32_t* y) {
    const std::vector<int64_t> in(x, x + cols);
    const gelu_out r = i_gelu_int(in, k);
    for (uint64_t i = 0; i < cols; ++i) {
        if (r.y[i] < std::numeric_limits<int32_t>::min() || r.y[i] > std::numeric_limits<int32_t>::max())
            throw std::overflow_error("i-GELU result leaves int32");
        y[i] = static_cast<int32_t>(r.y[i]);
    }
}

}  // namespace reference

}  // namespace dtq::ibert::normact
