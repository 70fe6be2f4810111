#include "ibert/kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include "common/immintrin_quiet.h"  // (GCC 12's false -Wmaybe-uninitialized)
#define DTQ_SOFTMAX_AVX512 1
#endif

namespace dtq::ibert {

namespace {
// I-BERT's constants, exactly as written in fairseq quant_modules.py (IBERT_NOTES.md §3).
constexpr double GELU_K = 1.4142, GELU_A = -0.2888, GELU_B = -1.769, GELU_C = 1.0;
constexpr double GELU_C_OVER_A = GELU_C / GELU_A;  // coeff[2] /= coeff[0], binary64
constexpr double EXP_X0 = -0.6931;
constexpr int EXP_N = 30;
constexpr double EXP_COEF0 = 0.35815147, EXP_COEF1 = 0.96963238, EXP_COEF2 = 1.0;
constexpr double EXP_COEF_B = EXP_COEF1 / EXP_COEF0;  // binary64, as I-BERT
constexpr double EXP_COEF_C = EXP_COEF2 / EXP_COEF0;
constexpr int SOFTMAX_MAX_BIT = 32, LN_MAX_BIT = 32, LN_FACTOR_BIT = 31, LN_OUT_SHIFT = 30;
constexpr int FREXP_MAX_BIT = 31;

int bitlen(u128 v) {
    int n = 0;
    const auto hi = static_cast<uint64_t>(v >> 64);
    if (hi) return 64 + (64 - __builtin_clzll(hi));
    const auto lo = static_cast<uint64_t>(v);
    if (lo) n = 64 - __builtin_clzll(lo);
    return n;
}
u128 uabs(i128 v) { return v < 0 ? -static_cast<u128>(v) : static_cast<u128>(v); }

int64_t to_i64(i128 v, const char* what) {
    if (v < std::numeric_limits<int64_t>::min() || v > std::numeric_limits<int64_t>::max())
        throw std::overflow_error(std::string(what) + " does not fit in int64");
    return static_cast<int64_t>(v);
}

// v * 2^s, s >= 0, exact; a result beyond 126 bits is an overflow, not a wrap.
// (<< of a negative value is UB in C++17, hence the multiply.)
i128 shl_checked(i128 v, i128 s, const char* what) {
    if (v == 0) return 0;
    if (s > 126 || bitlen(uabs(v)) + static_cast<int>(s) > 126)
        throw std::overflow_error(std::string(what) + " exceeds 127 bits");
    return v * (i128{1} << static_cast<int>(s));
}
// floor(v / 2^s), s >= 0 (arithmetic shift; any s).
i128 floor_shift(i128 v, i128 s) {
    if (s >= 127) return v < 0 ? -1 : 0;
    return v >> static_cast<int>(s);
}
i128 mul_checked(i128 a, i128 b, const char* what) {
    i128 r;
    if (__builtin_mul_overflow(a, b, &r)) throw std::overflow_error(std::string(what) + " exceeds 127 bits");
    return r;
}
// floor(a / b) for b != 0. Both in int64 (the softmax's x - max and x0_int): a 64-bit
// division (the 128-bit one is a libgcc call, __divmodti4); INT64_MIN / -1 overflows
// int64, so it takes the 128-bit path. Same quotient either way.
i128 floor_quot(i128 a, i128 b) {
    constexpr i128 lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
    if (a > lo && a <= hi && b >= lo && b <= hi) {
        const auto a64 = static_cast<int64_t>(a), b64 = static_cast<int64_t>(b);
        int64_t q64 = a64 / b64;
        if ((a64 % b64 != 0) && ((a64 < 0) != (b64 < 0))) --q64;
        return q64;
    }
    i128 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}
void check_scale(double s) {
    if (!(std::isfinite(s) && s > 0))
        throw std::domain_error("scaling factor must be a finite positive number");
}

// Unsigned 256-bit sum of squares (LayerNorm: sum of up to n values < 2^128).
struct wide {
    u128 lo = 0, hi = 0;
    void add(u128 v) {
        lo += v;
        if (lo < v) ++hi;
    }
    bool below(u128 limit) const { return hi == 0 && lo < limit; }
    // *this <= 2^k
    bool le_pow2(int k) const {
        if (k < 128) return hi == 0 && lo <= (u128{1} << k);
        if (k - 128 >= 128) return true;
        const u128 p = u128{1} << (k - 128);
        return hi < p || (hi == p && lo == 0);
    }
};
}  // namespace

double book::sqrt(double a) const { return r(std::sqrt(r(a))); }

int64_t floor_to_i64(double x) {
    if (!std::isfinite(x)) throw std::domain_error("non-finite value in scale bookkeeping");
    const double f = std::floor(x);
    // [-2^63, 2^63) is exactly representable at its ends.
    if (f < -9223372036854775808.0 || f >= 9223372036854775808.0)
        throw std::overflow_error("floor of a bookkeeping value does not fit in int64");
    return static_cast<int64_t>(f);
}

double div_to_double(u128 a, u128 b) {
    if (b == 0) throw std::domain_error("division by zero");
    if ((a >> 127) || (b >> 127)) throw std::overflow_error("div_to_double operands must be below 2^127");
    if (a == 0) return 0.0;
    u128 q = a / b, r = a % b;
    int exp2 = 0;
    bool sticky = false;
    // Bring the quotient to exactly 55 bits: 53 kept, one guard bit, one round bit; the
    // rest (and the remainder) is the sticky bit.
    while (bitlen(q) < 55) {
        r <<= 1;  // r < b < 2^127
        q <<= 1;
        if (r >= b) {
            r -= b;
            q |= 1;
        }
        --exp2;
    }
    if (const int drop = bitlen(q) - 55; drop > 0) {
        sticky = (q & ((u128{1} << drop) - 1)) != 0;
        q >>= drop;
        exp2 += drop;
    }
    sticky = sticky || r != 0;
    const unsigned g = static_cast<unsigned>(q & 3);
    q >>= 2;
    exp2 += 2;
    if (g == 3 || (g == 2 && (sticky || (q & 1)))) ++q;  // ties to even
    return std::ldexp(static_cast<double>(static_cast<uint64_t>(q)), exp2);
}

i128 shift_round(i128 v, int s, rounding mode) {
    if (s <= 0) return shl_checked(v, -static_cast<i128>(s), "left shift in requantization");
    if (s >= 128) {
        // |v| < 2^127 <= 2^(s-1): |v / 2^s| < 1/2, so both half modes give 0.
        return mode == rounding::floor ? (v < 0 ? -1 : 0) : 0;
    }
    const i128 q = v >> s;
    if (mode == rounding::floor) return q;
    const u128 rem = static_cast<u128>(v) & ((u128{1} << s) - 1);
    const u128 half = u128{1} << (s - 1);
    if (mode == rounding::half_up) return rem >= half ? q + 1 : q;
    return (rem > half || (rem == half && (q & 1))) ? q + 1 : q;
}

int64_t div_round_half_even(i128 a, int64_t b) {
    if (b <= 0) throw std::invalid_argument("divisor must be positive");
    i128 q = floor_quot(a, b);
    const i128 r = a - q * b;  // 0 <= r < b
    if (2 * r > b || (2 * r == b && (q & 1))) ++q;
    return to_i64(q, "rounded mean");
}

dyadic_t dyadic(double mult) {
    if (!std::isfinite(mult)) throw std::domain_error("multiplier must be finite");
    int ex = 0;
    const double f = std::frexp(mult, &ex);  // exact; |f| in [0.5, 1), f = 0 and ex = 0 for 0
    // f = F / 2^53 exactly (F an integer, |F| <= 2^53), so f * 2^31 = F / 2^22 and
    // round_half_away is done exactly on integers.
    const auto F = static_cast<int64_t>(std::ldexp(f, 53));
    const int64_t a = F < 0 ? -F : F;
    int64_t m = (a + (int64_t{1} << 21)) >> 22;
    if (F < 0) m = -m;
    return {m, FREXP_MAX_BIT - ex};
}

namespace {
// round(z * m / 2^e) with a saturated stand-in for results beyond 2^125 (only possible
// when e < 0, i.e. |M| >= 2^31): the caller clamps to at most 64 bits, where a saturated
// value lands on the same bound as the exact one.
struct term {
    i128 v;
    bool sat;
};
term requant_term(int64_t z, dyadic_t me, rounding mode) {
    const i128 p = i128{z} * me.m;  // < 2^95
    if (me.e < 0 && p != 0 && bitlen(uabs(p)) - me.e > 125)
        return {p < 0 ? -(i128{1} << 125) : (i128{1} << 125), true};
    return {shift_round(p, me.e, mode), false};
}
std::vector<int64_t> requant_impl(const std::vector<int64_t>& z, const requant_params& p,
                                  const std::vector<int64_t>* identity, dyadic_t ime) {
    if (p.bits < 1 || p.bits > 64) throw std::invalid_argument("requantize: bits must be in [1, 64]");
    if (identity && identity->size() != z.size()) throw std::invalid_argument("identity length mismatch");
    const i128 lo = -(i128{1} << (p.bits - 1)), hi = (i128{1} << (p.bits - 1)) - 1;
    std::vector<int64_t> out(z.size());
    for (size_t i = 0; i < z.size(); ++i) {
        term t = requant_term(z[i], p.me, p.mode);
        if (identity) {
            const term w = requant_term((*identity)[i], ime, p.mode);
            if (t.sat && w.sat && ((t.v < 0) != (w.v < 0)))
                throw std::overflow_error("requantize: two saturated terms of opposite sign");
            t = {t.v + w.v, t.sat || w.sat};
        }
        if (p.clamp) t.v = std::clamp(t.v, lo, hi);
        else if (t.sat) throw std::overflow_error("requantize: unclamped result exceeds 125 bits");
        out[i] = to_i64(t.v, "requantized value");
    }
    return out;
}
}  // namespace

std::vector<int64_t> requantize(const std::vector<int64_t>& z, const requant_params& p) {
    return requant_impl(z, p, nullptr, {});
}
std::vector<int64_t> requantize(const std::vector<int64_t>& z, const requant_params& p,
                                const std::vector<int64_t>& identity, dyadic_t identity_me) {
    return requant_impl(z, p, &identity, identity_me);
}

double symmetric_scale(int bits, double xmin, double xmax, const book& b) {
    if (bits < 2 || bits > 64) throw std::invalid_argument("symmetric quantization: bits must be in [2, 64]");
    // n = 2^(bits-1) - 1 converted to the bookkeeping float (rounds for bits > 54, as Python's float(n)).
    const auto n = static_cast<double>((i128{1} << (bits - 1)) - 1);
    double amax = std::max(std::fabs(b.r(xmin)), std::fabs(b.r(xmax)));
    amax = std::max(amax, b.r(1e-8));  // torch.clamp(scale, min=1e-8)
    return b.div(amax, n);
}

std::vector<int64_t> symmetric_quantize(const std::vector<double>& x, double scale, int bits, const book& b) {
    check_scale(scale);
    if (bits < 2 || bits > 64) throw std::invalid_argument("symmetric quantization: bits must be in [2, 64]");
    const i128 n = (i128{1} << (bits - 1)) - 1;
    const double inv = b.div(1.0, scale);
    std::vector<int64_t> out;
    out.reserve(x.size());
    for (double v : x) {
        const double p = b.mul(inv, v);
        if (!std::isfinite(p)) throw std::domain_error("cannot round a non-finite value");
        const double qd = std::nearbyint(p);  // ties to even (default rounding mode)
        // exact integer value; beyond 2^100 only the sign matters for the clamp
        const i128 q = std::fabs(qd) < 0x1p100 ? static_cast<i128>(qd) : (qd < 0 ? -(i128{1} << 100) : (i128{1} << 100));
        // the reference's order: q < -n -> -n, else q > n-1 -> n-1
        const i128 c = q < -n ? -n : (q > n - 1 ? n - 1 : q);
        out.push_back(static_cast<int64_t>(c));
    }
    return out;
}

exp_consts_t exp_consts(double scale, const book& b) {
    check_scale(scale);
    const double s = b.r(scale), s2 = b.mul(s, s);
    exp_consts_t k;
    k.x0_int = floor_to_i64(b.div(EXP_X0, s));
    k.b_int = floor_to_i64(b.div(EXP_COEF_B, s));
    k.c_int = floor_to_i64(b.div(EXP_COEF_C, s2));
    k.n = EXP_N;
    k.poly_scale = b.mul(EXP_COEF0, s2);
    k.exp_scale = b.div(k.poly_scale, static_cast<double>(int64_t{1} << EXP_N));
    return k;
}

namespace {
// One element of i-exp on a 128-bit input (softmax passes x - max(x), up to 65 bits).
struct exp_elem {
    i128 e, q, z;
};
exp_elem exp_one(i128 x, const exp_consts_t& k) {
    const i128 lo = i128{k.n} * k.x0_int;
    const i128 xc = x > lo ? x : lo;
    const i128 q = floor_quot(xc, k.x0_int);
    const i128 r = xc - i128{k.x0_int} * q;  // x0_int < r <= 0
    const i128 z = mul_checked(r + k.b_int, r, "i-exp polynomial") + k.c_int;
    const i128 sh = i128{k.n} - q;
    i128 v = sh >= 0 ? shl_checked(z, sh, "exp_int") : floor_shift(z, -sh);
    if (v < 0) v = 0;
    return {v, q, z};
}
}  // namespace

i128 floor_div(i128 a, i128 b) { return floor_quot(a, b); }

exp_out i_exp_int(const std::vector<int64_t>& x, const exp_consts_t& k) {
    if (k.x0_int >= 0) throw std::invalid_argument("x0_int must be negative");
    exp_out o;
    o.exp_int.reserve(x.size());
    o.q.reserve(x.size());
    o.z.reserve(x.size());
    for (int64_t xi : x) {
        const exp_elem e = exp_one(xi, k);
        o.exp_int.push_back(to_i64(e.e, "exp_int"));
        o.q.push_back(to_i64(e.q, "i-exp q"));
        o.z.push_back(to_i64(e.z, "i-exp z"));
    }
    return o;
}

softmax_out i_softmax(const std::vector<int64_t>& x, double scale, const softmax_params& p, const book& b) {
    if (x.empty()) throw std::invalid_argument("empty row");
    if (p.output_bit < 0 || p.output_bit > SOFTMAX_MAX_BIT)
        throw std::invalid_argument("output_bit must be in [0, 32]");
    if (p.exp_act_bits && (*p.exp_act_bits < 1 || *p.exp_act_bits > 64))
        throw std::invalid_argument("exp_act_bits must be in [1, 64]");
    softmax_out o;
    o.consts = exp_consts(scale, b);
    if (o.consts.x0_int >= 0) throw std::invalid_argument("x0_int must be negative");
    o.x_max = *std::max_element(x.begin(), x.end());
    for (int64_t v : x) {
        const exp_elem e = exp_one(i128{v} - o.x_max, o.consts);  // x - max needs 65 bits for int64 rows
        o.exp_int.push_back(to_i64(e.e, "exp_int"));
        o.q.push_back(to_i64(e.q, "i-exp q"));
        o.z.push_back(to_i64(e.z, "i-exp z"));
    }
    o.requantized = p.exp_act_bits.has_value();
    if (o.requantized) {
        const int bits = *p.exp_act_bits;
        const i128 qmax = (i128{1} << (bits - 1)) - 1;
        if (p.exp_act_max_real) {
            if (!(std::isfinite(*p.exp_act_max_real) && *p.exp_act_max_real > 0))
                throw std::invalid_argument("exp_act_max must be positive");
            o.mult16 = static_cast<double>(qmax) / *p.exp_act_max_real;  // float division, as Python int / float
        } else {
            o.exp_act_max = p.exp_act_max_int ? i128{*p.exp_act_max_int}
                                              : shl_checked(o.consts.c_int, o.consts.n, "default exp_act_max");
            if (o.exp_act_max <= 0) throw std::invalid_argument("exp_act_max must be positive");
            o.mult16 = div_to_double(static_cast<u128>(qmax), static_cast<u128>(o.exp_act_max));  // exact int / int
        }
        o.me16 = dyadic(o.mult16);
        o.exp16 = requantize(o.exp_int, requant_params{o.me16, bits, true, rounding::half_even});
    } else {
        o.exp16 = o.exp_int;
    }
    i128 total = 0;
    for (int64_t v : o.exp16) total += v;
    o.exp_sum = to_i64(total, "exp_sum");
    const i128 eff = total > 0 ? total : 1;  // REFERENCE-DEFINED: sum 0 -> 1 (all-zero output)
    o.factor = to_i64((i128{1} << SOFTMAX_MAX_BIT) / eff, "softmax factor");
    const int sh = SOFTMAX_MAX_BIT - p.output_bit;
    o.y.reserve(x.size());
    for (int64_t v : o.exp16) o.y.push_back(to_i64(floor_shift(mul_checked(v, o.factor, "softmax product"), sh), "softmax y"));
    o.out_scale = std::ldexp(1.0, -p.output_bit);
    return o;
}

softmax_plan plan_softmax(double scale, const softmax_params& p, const book& b) {
    // i_softmax's checks and constants, in its order
    if (p.output_bit < 0 || p.output_bit > SOFTMAX_MAX_BIT)
        throw std::invalid_argument("output_bit must be in [0, 32]");
    if (p.exp_act_bits && (*p.exp_act_bits < 1 || *p.exp_act_bits > 64))
        throw std::invalid_argument("exp_act_bits must be in [1, 64]");
    softmax_plan pl;
    pl.consts = exp_consts(scale, b);
    if (pl.consts.x0_int >= 0) throw std::invalid_argument("x0_int must be negative");
    pl.output_bit = p.output_bit;
    pl.requantized = p.exp_act_bits.has_value();
    if (pl.requantized) {
        pl.exp_act_bits = *p.exp_act_bits;
        const i128 qmax = (i128{1} << (pl.exp_act_bits - 1)) - 1;
        double mult16 = 0;
        if (p.exp_act_max_real) {
            if (!(std::isfinite(*p.exp_act_max_real) && *p.exp_act_max_real > 0))
                throw std::invalid_argument("exp_act_max must be positive");
            mult16 = static_cast<double>(qmax) / *p.exp_act_max_real;
        } else {
            const i128 emax = p.exp_act_max_int ? i128{*p.exp_act_max_int}
                                                : shl_checked(pl.consts.c_int, pl.consts.n, "default exp_act_max");
            if (emax <= 0) throw std::invalid_argument("exp_act_max must be positive");
            mult16 = div_to_double(static_cast<u128>(qmax), static_cast<u128>(emax));
        }
        pl.me16 = dyadic(mult16);
    }
    {  // |r| < |x0|, so |z| = |(r + b) r + c| <= (|x0| + |b|) |x0| + |c|; the shift is n - q in [0, n]
        const exp_consts_t& k = pl.consts;
        const i128 lim31 = i128{1} << 31;
        const i128 ax0 = -i128{k.x0_int}, ab = k.b_int < 0 ? -i128{k.b_int} : i128{k.b_int}, ac = k.c_int < 0 ? -i128{k.c_int} : i128{k.c_int};
        pl.fast64 = k.n >= 0 && k.n <= 30 && ax0 <= lim31 && ab <= lim31 && ac <= (i128{1} << 40) &&
                    (((ax0 + ab) * ax0 + ac) << k.n) < (i128{1} << 62);
    }
    if (pl.fast64 && pl.requantized && pl.me16.m > 0 && pl.me16.m <= (int64_t{1} << 31) && pl.me16.e >= 1 &&
        pl.me16.e <= 120 && pl.exp_act_bits >= 2 && pl.exp_act_bits <= 64) {
        const u128 hi1 = u128{1} << (pl.exp_act_bits - 1);  // hi + 1
        const u128 cap = u128{1} << 63;
        // ceil(hi1 2^e / m), or the cap when hi1 2^e alone reaches 2^127 / m's range
        const int lg = pl.exp_act_bits - 1 + pl.me16.e;
        u128 lim = cap;
        if (lg < 126) {
            const u128 num = u128{1} << lg, m = static_cast<u128>(pl.me16.m);
            lim = std::min(cap, (num + m - 1) / m);
        }
        pl.rq_fast = true;
        pl.rq_limit = static_cast<uint64_t>(lim);
        pl.rq_hi = static_cast<int64_t>(hi1 - 1);
    }
    return pl;
}

void i_softmax_row(const int64_t* x, uint64_t n, const softmax_plan& pl, int64_t* y) {
    if (n == 0) throw std::invalid_argument("empty row");
    int64_t x_max = x[0];
    for (uint64_t i = 1; i < n; ++i) x_max = std::max(x_max, x[i]);  // a reduction the compiler vectorises
    // The int64 form of exp_one where it is exact (fast64, and x_max far from INT64_MIN so that
    // x_lo + x_max does not wrap): x - x_max is clamped at x_lo = n x0 before it is formed.
    const exp_consts_t& k = pl.consts;
    const int64_t x_lo = int64_t{k.n} * k.x0_int;
    const bool fast = pl.fast64 && x_max >= std::numeric_limits<int64_t>::min() / 2;
    uint64_t i0 = 0;
#ifdef DTQ_SOFTMAX_AVX512
    // 8 values a step. q = floor(xc / x0) from binary64: xc in [n x0, 0] and x0 are exact there
    // (|xc| <= 30 2^31 < 2^53) and Q = xc / x0 lies in [0, 30]. An integer Q is exact; otherwise
    // Q is at least 1 / |x0| >= 2^-31 below the next integer, while the rounding error of the
    // quotient is at most half an ulp of a value below 32, 2^-48: truncation gives floor(Q), the
    // quotient of the scalar loop. z << (n - q) is z 2^(n-q) (no overflow under fast64).
    if (fast) {
        const __m512i vmax = _mm512_set1_epi64(x_max), vlo = _mm512_set1_epi64(x_lo), vthr = _mm512_set1_epi64(x_max + x_lo);
        const __m512i vx0 = _mm512_set1_epi64(k.x0_int), vb = _mm512_set1_epi64(k.b_int), vc = _mm512_set1_epi64(k.c_int);
        const __m512i vn = _mm512_set1_epi64(k.n), zero = _mm512_setzero_si512();
        const __m512d vx0d = _mm512_set1_pd(static_cast<double>(k.x0_int));
        for (; i0 + 8 <= n; i0 += 8) {
            const __m512i xv = _mm512_loadu_si512(x + i0);
            const __m512i xc = _mm512_mask_sub_epi64(vlo, _mm512_cmpgt_epi64_mask(xv, vthr), xv, vmax);
            const __m512i q = _mm512_cvttpd_epi64(_mm512_div_pd(_mm512_cvtepi64_pd(xc), vx0d));
            const __m512i r = _mm512_sub_epi64(xc, _mm512_mullo_epi64(vx0, q));
            const __m512i z = _mm512_add_epi64(_mm512_mullo_epi64(_mm512_add_epi64(r, vb), r), vc);
            const __m512i v = _mm512_sllv_epi64(z, _mm512_sub_epi64(vn, q));
            _mm512_storeu_si512(y + i0, _mm512_max_epi64(v, zero));
        }
    }
#endif
    for (uint64_t i = i0; fast && i < n; ++i) {
        const int64_t xc = x[i] > x_max + x_lo ? x[i] - x_max : x_lo;  // max(x - x_max, n x0), both <= 0
        const int64_t q = xc / k.x0_int;                            // both <= 0, x0 < 0: truncation = floor
        const int64_t r = xc - k.x0_int * q;
        const int64_t z = (r + k.b_int) * r + k.c_int;
        const int64_t v = z * (int64_t{1} << (k.n - q));
        y[i] = v < 0 ? 0 : v;
    }
    for (uint64_t i = 0; !fast && i < n; ++i) {
        const exp_elem e = exp_one(i128{x[i]} - x_max, pl.consts);
        y[i] = to_i64(e.e, "exp_int");
        to_i64(e.q, "i-exp q");
        to_i64(e.z, "i-exp z");
    }
    if (pl.requantized && fast && pl.rq_fast && pl.me16.e >= 33 && pl.me16.e <= 94) {
        // The same values in uint64 (a loop the compiler vectorises: two 32 x 32 -> 64-bit
        // products). y = yh 2^32 + yl (yh < 2^30, yl < 2^32), m <= 2^31: y m = C 2^32 + Bl with
        // B = yl m < 2^63, C = yh m + (B >> 32) < 2^62, Bl = B mod 2^32. round_half_even(y m / 2^e)
        // is the rounding of (C + Bl / 2^32) / 2^s, s = e - 32 >= 1: with C = Q 2^s + r and
        // h = 2^(s-1), it goes up when r > h, or r = h and (Bl > 0 or Q odd); that is
        // floor((C + h - 1 + t) / 2^s) with the sticky t = (Q & 1) | (Bl != 0) (as
        // normact's round_shift64_nb). C + h < 2^63 for e <= 94. The clamp: min(q, hi).
        const auto m = static_cast<uint64_t>(pl.me16.m);
        const int sh = pl.me16.e - 32;
        const uint64_t h1 = (uint64_t{1} << (sh - 1)) - 1, hi = static_cast<uint64_t>(pl.rq_hi);
        for (uint64_t i = 0; i < n; ++i) {
            const auto v = static_cast<uint64_t>(y[i]);  // 0 <= y < 2^62 (fast64)
            const uint64_t b = (v & 0xFFFFFFFFu) * m;
            const uint64_t c = (v >> 32) * m + (b >> 32);
            const uint64_t t = ((c >> sh) & 1) | static_cast<uint64_t>((b & 0xFFFFFFFFu) != 0);
            const uint64_t q = (c + h1 + t) >> sh;
            y[i] = static_cast<int64_t>(q < hi ? q : hi);
        }
    } else if (pl.requantized && fast && pl.rq_fast) {  // the same values (see softmax_plan::rq_fast)
        const u128 m = static_cast<u128>(pl.me16.m);
        const int e = pl.me16.e;
        const u128 h1 = (u128{1} << (e - 1)) - 1;
        for (uint64_t i = 0; i < n; ++i) {
            const auto v = static_cast<uint64_t>(y[i]);  // 0 <= y < 2^62 (fast64)
            if (v >= pl.rq_limit) {
                y[i] = pl.rq_hi;
                continue;
            }
            // round half to even of p / 2^e, branch-free as normact's round_shift64_nb: p < 2^93
            const u128 p = u128{v} * m;
            const u128 q = (p + h1 + ((p >> e) & 1)) >> e;
            y[i] = q > static_cast<u128>(pl.rq_hi) ? pl.rq_hi : static_cast<int64_t>(q);
        }
    } else if (pl.requantized) {  // requantize(exp_int, {me16, bits, clamp, half_even})
        const i128 lo = -(i128{1} << (pl.exp_act_bits - 1)), hi = (i128{1} << (pl.exp_act_bits - 1)) - 1;
        for (uint64_t i = 0; i < n; ++i) {
            term t = requant_term(y[i], pl.me16, rounding::half_even);
            t.v = std::clamp(t.v, lo, hi);
            y[i] = to_i64(t.v, "requantized value");
        }
    }
    i128 total = 0;
    if (fast && pl.requantized && pl.exp_act_bits <= 32 && n < (uint64_t{1} << 31)) {
        uint64_t t = 0;  // 0 <= y < 2^31: the sum stays below 2^62 (a vectorised reduction)
        for (uint64_t i = 0; i < n; ++i) t += static_cast<uint64_t>(y[i]);
        total = t;
    } else {
        for (uint64_t i = 0; i < n; ++i) total += y[i];
    }
    to_i64(total, "exp_sum");
    const i128 eff = total > 0 ? total : 1;
    const int64_t factor = to_i64((i128{1} << SOFTMAX_MAX_BIT) / eff, "softmax factor");
    const int sh = SOFTMAX_MAX_BIT - pl.output_bit;
    if (fast) {  // every y >= 0 (exp values, or their requantization), so 0 <= y <= total <= eff
        for (uint64_t i = 0; i < n; ++i) y[i] = (y[i] * factor) >> sh;
        return;
    }
    for (uint64_t i = 0; i < n; ++i)  // 0 <= y <= eff: y factor <= 2^32, so int64 and >> are exact
        y[i] = y[i] >= 0 && y[i] <= eff ? (y[i] * factor) >> sh
                                        : to_i64(floor_shift(mul_checked(y[i], factor, "softmax product"), sh), "softmax y");
}

gelu_consts_t gelu_consts(double scale, const book& b, int n) {
    check_scale(scale);
    if (n < 0 || n > 62) throw std::invalid_argument("i-GELU shift n must be 0..62, got " + std::to_string(n));
    gelu_consts_t k;
    const double s = b.r(scale);
    k.scale_k = b.div(s, GELU_K);
    k.b_int = floor_to_i64(b.div(GELU_B, k.scale_k));
    const double sk2 = b.mul(k.scale_k, k.scale_k);
    k.c_int = floor_to_i64(b.div(GELU_C_OVER_A, sk2));
    k.erf_scale = b.mul(b.mul(sk2, GELU_A), std::ldexp(1.0, n));
    k.shift_int = floor_to_i64(b.div(1.0, k.erf_scale));
    k.out_scale = b.div(b.mul(s, k.erf_scale), 2.0);
    k.n = n;
    return k;
}

i128 gelu_int8_bound(const gelu_consts_t& k) {
    if (k.b_int > 0 || k.n < 0 || k.n > 62) throw std::invalid_argument("i-GELU bound: expected b_int <= 0 and n in 0..62");
    const auto mag = [](int64_t v) { return v < 0 ? -i128{v} : i128{v}; };
    const i128 v = mag(k.b_int) * mag(k.b_int) + mag(k.c_int);     // |t^2 + c_int|
    const i128 e = (v + (i128{1} << k.n) - 1) >> k.n;                 // |erf|, floor rounds away from 0 below 0
    const i128 out = 128 * (e + mag(k.shift_int));                    // |x (erf + shift_int)|
    return std::max(v, out);
}

gelu_consts_t gelu_consts_int8(double scale, const book& b) {
    constexpr i128 lim = std::numeric_limits<int32_t>::max();
    gelu_consts_t k;
    for (int n = 0; n <= GELU_MAX_N; ++n) {
        k = gelu_consts(scale, b, n);
        if (gelu_int8_bound(k) <= lim) return k;
    }
    throw std::range_error(fmt::format("i-GELU on int8 inputs: at input scale {:.4g}, b_int^2 + |c_int| = {:.4g} leaves int32 "
                                       "whatever the shift n (the scale is too fine: S below about 7.8e-5)",
                                       scale, static_cast<double>(k.b_int) * static_cast<double>(k.b_int) - static_cast<double>(k.c_int)));
}

gelu_out i_gelu_int(const std::vector<int64_t>& x, const gelu_consts_t& k) {
    gelu_out o;
    o.y.reserve(x.size());
    o.erf.reserve(x.size());
    const i128 lim = -i128{k.b_int};
    for (int64_t xi : x) {
        const int sgn = (xi > 0) - (xi < 0);
        i128 a = xi < 0 ? -i128{xi} : i128{xi};
        if (a > lim) a = lim;
        const i128 t = a + k.b_int;
        i128 y = sgn * (mul_checked(t, t, "i-GELU square") + k.c_int);
        y = floor_shift(y, k.n);
        o.erf.push_back(to_i64(y, "i-GELU erf"));
        o.y.push_back(to_i64(mul_checked(xi, y + k.shift_int, "i-GELU product"), "i-GELU y"));
    }
    return o;
}

sqrt_out i_sqrt(u128 n) {
    if (n == 0) return {0, 0};
    u128 x = u128{1} << ((bitlen(n) + 1) / 2);  // >= sqrt(n); at most 2^64
    int it = 0;
    for (;;) {
        ++it;
        const u128 nxt = (x + n / x) >> 1;
        if (nxt >= x) return {static_cast<uint64_t>(x), it};
        x = nxt;
    }
}

ln_consts_t ln_consts(size_t n, const std::vector<double>& gamma, const std::vector<double>& beta, const book& b) {
    if (gamma.size() != n || beta.size() != n) throw std::invalid_argument("gamma/beta length mismatch");
    ln_consts_t k;
    k.ln_scale = b.div(b.sqrt(static_cast<double>(n)), static_cast<double>(int64_t{1} << LN_OUT_SHIFT));
    k.bias_int.reserve(n);
    k.out_scale.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        if (b.r(gamma[i]) == 0) throw std::domain_error("gamma must be non-zero (I-BERT divides beta by gamma)");
        k.bias_int.push_back(floor_to_i64(b.div(b.div(beta[i], gamma[i]), k.ln_scale)));
        k.out_scale.push_back(b.mul(k.ln_scale, gamma[i]));
    }
    return k;
}

layernorm_out i_layernorm(const std::vector<int64_t>& x, const std::vector<double>& gamma,
                          const std::vector<double>& beta, int shift, bool overflow_handling, const book& b) {
    const size_t n = x.size();
    if (n == 0) throw std::invalid_argument("empty row");
    if (shift < 0) throw std::invalid_argument("shift must be >= 0");
    layernorm_out o;
    o.consts = ln_consts(n, gamma, beta, b);
    i128 sum = 0;
    for (int64_t v : x) sum += v;
    o.mean_int = div_round_half_even(sum, static_cast<int64_t>(n));
    std::vector<i128> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = i128{x[i]} - o.mean_int;  // |y| < 2^64
    auto var_at = [&](int s) {
        wide v;
        for (i128 e : y) {
            const u128 t = uabs(floor_shift(e, s));  // <= 2^64 - 1, so t*t < 2^128
            v.add(t * t);
        }
        return v;
    };
    const u128 limit = u128{1} << LN_MAX_BIT;
    int used = shift;
    wide var = var_at(used);
    if (overflow_handling && !var.below(limit)) {
        o.shift_adjusted = true;
        // I-BERT's set_shift: smallest t >= 0 with sum(y^2) <= 2^(2t+32)
        const wide sq = var_at(0);
        int t = 0;
        while (!sq.le_pow2(2 * t + LN_MAX_BIT)) ++t;
        used = std::max(used, t);
        var = var_at(used);
        // REFERENCE-DEFINED: y >> s rounds negative y away from 0, so var can still be >= 2^32
        while (!var.below(limit)) var = var_at(++used);
    }
    if (!var.below(static_cast<u128>(std::numeric_limits<uint64_t>::max()) + 1))
        throw std::overflow_error("var_int does not fit in uint64 (overflow handling off)");
    o.shift = used;
    o.var_int = static_cast<uint64_t>(var.lo);
    const uint64_t root = i_sqrt(var.lo).root;
    const i128 std_ = shl_checked(root, used, "std_int");
    o.std_int = to_i64(std_, "std_int");
    const i128 eff = std_ > 0 ? std_ : 1;  // REFERENCE-DEFINED: std 0 -> 1
    o.factor = to_i64((i128{1} << LN_FACTOR_BIT) / eff, "LayerNorm factor");
    o.y_norm.reserve(n);
    o.y.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const i128 yn = floor_shift(y[i] * o.factor, 1);  // |y| < 2^64, factor <= 2^31
        o.y_norm.push_back(to_i64(yn, "y_norm_int"));
        o.y.push_back(to_i64(yn + o.consts.bias_int[i], "LayerNorm y"));
    }
    return o;
}

}  // namespace dtq::ibert
