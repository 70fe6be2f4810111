/* Portable C of sw/include/dtq_hostmath.h: I-BERT's integer kernels (i-softmax, i-LayerNorm,
 * i-GELU) computed by the firmware itself, bit-exact with the C++ units
 * (models/ibert/kernels.cpp, which follow ../shared/refs/ibert_ref.py). Used by the rv32
 * build, where the host core really executes them (their cost is the instructions the ISS
 * retires); the test "hostmath: portable C equals the C++ I-BERT kernels" compiles this file
 * natively and compares both on random rows.
 *
 * rv32 GCC has no 128-bit integers: the few products that need more than 64 bits use the
 * small u128 below. Scale bookkeeping is IEEE binary64 as in the C++ (soft-float on rv32 is
 * correctly rounded too). Where the C++ would throw (a value that leaves its type) this
 * returns DTQ_HOSTMATH_BAD_INPUT, as the VP's implementation does. */
#include <math.h>
#include <stdint.h>

#include "dtq_hostmath.h"

#define EXP_X0 (-0.6931)
#define EXP_N 30
#define EXP_COEF0 0.35815147
#define EXP_COEF1 0.96963238
#define EXP_COEF2 1.0
#define SOFTMAX_MAX_BIT 32
#define SOFTMAX_OUT_BIT 7
#define EXP_ACT_BITS 16
#define LN_MAX_BIT 32
#define LN_FACTOR_BIT 31

/* ---- 128-bit two's complement helpers */
typedef struct {
    uint64_t lo, hi;
} u128;

static u128 u128_of_u64(uint64_t v) {
    u128 r;
    r.lo = v;
    r.hi = 0;
    return r;
}
static u128 u128_neg(u128 v) {
    u128 r;
    r.lo = ~v.lo + 1u;
    r.hi = ~v.hi + (r.lo == 0 ? 1u : 0u);
    return r;
}
static int u128_is_neg(u128 v) { return (int)(v.hi >> 63); }
static u128 u128_add(u128 a, u128 b) {
    u128 r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo ? 1u : 0u);
    return r;
}
static u128 u128_sub(u128 a, u128 b) { return u128_add(a, u128_neg(b)); }
static int u128_lt(u128 a, u128 b) { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo); } /* unsigned */
static u128 u128_shl(u128 v, int s) {
    u128 r;
    if (s == 0) return v;
    if (s >= 128) return u128_of_u64(0);
    if (s >= 64) {
        r.hi = v.lo << (s - 64);
        r.lo = 0;
    } else {
        r.hi = (v.hi << s) | (v.lo >> (64 - s));
        r.lo = v.lo << s;
    }
    return r;
}
static u128 u128_sar(u128 v, int s) { /* arithmetic */
    u128 r;
    const uint64_t fill = u128_is_neg(v) ? ~(uint64_t)0 : 0;
    if (s == 0) return v;
    if (s >= 128) {
        r.lo = r.hi = fill;
        return r;
    }
    if (s >= 64) {
        r.lo = s == 64 ? v.hi : (v.hi >> (s - 64)) | (fill << (128 - s));
        r.hi = fill;
    } else {
        r.lo = (v.lo >> s) | (v.hi << (64 - s));
        r.hi = (v.hi >> s) | (fill << (64 - s));
    }
    return r;
}
static u128 u128_mul_u64(uint64_t a, uint64_t b) {
    const uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    u128 r;
    r.lo = (mid << 32) | (uint32_t)p00;
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}
static uint64_t uabs64(int64_t v) { return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; }
static u128 s128_mul(int64_t a, int64_t b) {
    u128 r = u128_mul_u64(uabs64(a), uabs64(b));
    return ((a < 0) != (b < 0)) ? u128_neg(r) : r;
}
static int bitlen_u128(u128 v) {
    int n = 0;
    if (v.hi) {
        uint64_t h = v.hi;
        n = 64;
        while (h) {
            n++;
            h >>= 1;
        }
        return n;
    }
    while (v.lo) {
        n++;
        v.lo >>= 1;
    }
    return n;
}
/* v fits int64? then *out = v */
static int s128_to_i64(u128 v, int64_t *out) {
    const int neg = u128_is_neg(v);
    if ((neg && (v.hi != ~(uint64_t)0 || !(v.lo >> 63))) || (!neg && (v.hi != 0 || (v.lo >> 63)))) return 0;
    *out = (int64_t)v.lo;
    return 1;
}
/* round(v / 2^s), s > 0, ties to even (kernels.cpp shift_round, half_even) */
static u128 shift_round_even(u128 v, int s) {
    u128 q = u128_sar(v, s), rem, half;
    if (s >= 128) return u128_of_u64(0);
    rem = u128_sub(v, u128_shl(q, s)); /* 0 <= rem < 2^s */
    half = u128_shl(u128_of_u64(1), s - 1);
    if (u128_lt(half, rem) || (rem.lo == half.lo && rem.hi == half.hi && (q.lo & 1u))) q = u128_add(q, u128_of_u64(1));
    return q;
}

/* ---- bookkeeping helpers (kernels.cpp) */
static int floor_to_i64(double x, int64_t *out) {
    double f;
    if (!(x == x) || x == INFINITY || x == -INFINITY) return 0;
    f = floor(x);
    if (f < -9223372036854775808.0 || f >= 9223372036854775808.0) return 0;
    *out = (int64_t)f;
    return 1;
}
static int64_t floor_div64(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}
/* a / b correctly rounded to binary64 (ties to even), 0 < a < 2^64, 0 < b < 2^127 (div_to_double) */
static double div_to_double(uint64_t a_in, u128 b) {
    u128 q, r;
    int exp2 = 0, sticky = 0, drop;
    unsigned g;
    const u128 a = u128_of_u64(a_in);
    if (u128_lt(a, b)) {
        q = u128_of_u64(0);
        r = a;
    } else { /* a >= b: b < 2^64 here; long division of a by b */
        uint64_t qq = a.lo / b.lo;
        q = u128_of_u64(qq);
        r = u128_of_u64(a.lo - qq * b.lo);
    }
    while (bitlen_u128(q) < 55) {
        r = u128_shl(r, 1);
        q = u128_shl(q, 1);
        if (!u128_lt(r, b)) {
            r = u128_sub(r, b);
            q.lo |= 1u;
        }
        --exp2;
    }
    drop = bitlen_u128(q) - 55;
    if (drop > 0) {
        const u128 mask = u128_sub(u128_shl(u128_of_u64(1), drop), u128_of_u64(1));
        sticky = (q.lo & mask.lo) != 0 || (q.hi & mask.hi) != 0;
        q = u128_sar(q, drop);
        exp2 += drop;
    }
    sticky = sticky || r.lo != 0 || r.hi != 0;
    g = (unsigned)(q.lo & 3u);
    q = u128_sar(q, 2);
    exp2 += 2;
    if (g == 3 || (g == 2 && (sticky || (q.lo & 1u)))) q = u128_add(q, u128_of_u64(1));
    return ldexp((double)q.lo, exp2);
}

int dtq_host_softmax(const int32_t *scores, int8_t *probs, uint32_t cols, uint32_t seen, int32_t shift, int32_t head_dim) {
    double s, s2, mult16;
    int64_t x0_int, b_int, c_int, x_max, total = 0, factor, eff, m;
    int ex, e;
    uint32_t i;
    u128 exp_act_max;
    int64_t F, a;
    if (seen > cols || seen == 0 || shift < 0 || shift > 62) return DTQ_HOSTMATH_BAD_INPUT;
    s = ldexp(1.0, -shift) / sqrt((double)(head_dim > 0 ? head_dim : 1));
    if (!(s > 0)) return DTQ_HOSTMATH_BAD_INPUT;
    s2 = s * s;
    if (!floor_to_i64(EXP_X0 / s, &x0_int) || !floor_to_i64((EXP_COEF1 / EXP_COEF0) / s, &b_int) ||
        !floor_to_i64((EXP_COEF2 / EXP_COEF0) / s2, &c_int) || x0_int >= 0)
        return DTQ_HOSTMATH_BAD_INPUT;
    /* E_max = c_int << 30 (the QuantAct's default), M16 = (2^15 - 1) / E_max, exact int / int */
    if (c_int <= 0 || bitlen_u128(u128_of_u64((uint64_t)c_int)) + EXP_N > 126) return DTQ_HOSTMATH_BAD_INPUT;
    exp_act_max = u128_shl(u128_of_u64((uint64_t)c_int), EXP_N);
    mult16 = div_to_double((1u << (EXP_ACT_BITS - 1)) - 1u, exp_act_max);
    /* dyadic(M16): m = round_half_away(frexp(M16).f * 2^31), e = 31 - ex */
    F = (int64_t)ldexp(frexp(mult16, &ex), 53);
    a = F < 0 ? -F : F;
    m = (a + ((int64_t)1 << 21)) >> 22;
    if (F < 0) m = -m;
    e = 31 - ex;
    x_max = scores[0];
    for (i = 1; i < seen; i++)
        if (scores[i] > x_max) x_max = scores[i];
    /* pass 1: i-exp of x - max, requantized to 16 bits (exp16), summed */
    for (i = 0; i < seen; i++) {
        const int64_t x = (int64_t)scores[i] - x_max, lo = (int64_t)EXP_N * x0_int;
        const int64_t xc = x > lo ? x : lo;
        const int64_t q = floor_div64(xc, x0_int);
        const int64_t r = xc - x0_int * q;
        int64_t z, v, t;
        u128 p;
        if (__builtin_mul_overflow(r + b_int, r, &z) || __builtin_add_overflow(z, c_int, &z)) return DTQ_HOSTMATH_BAD_INPUT;
        if (EXP_N - q >= 0) {
            const int sh = (int)(EXP_N - q);
            if (z != 0 && (sh > 62 || bitlen_u128(u128_of_u64(uabs64(z))) + sh > 63)) return DTQ_HOSTMATH_BAD_INPUT;
            v = (int64_t)((uint64_t)z << sh);
        } else {
            const int64_t sh = q - EXP_N;
            v = sh >= 63 ? (z < 0 ? -1 : 0) : (z >> sh);
        }
        if (v < 0) v = 0;
        /* exp16 = clamp(round(v * m / 2^e), -2^15, 2^15 - 1) */
        p = s128_mul(v, m);
        if (e > 0) p = shift_round_even(p, e);
        else return DTQ_HOSTMATH_BAD_INPUT; /* M16 >= 2^31: E_max < 1, impossible with c_int > 0 */
        if (!s128_to_i64(p, &t)) t = u128_is_neg(p) ? INT64_MIN : INT64_MAX;
        if (t < -32768) t = -32768;
        if (t > 32767) t = 32767;
        total += t; /* exp16 is recomputed in pass 2: no buffer (freestanding, no heap) */
    }
    eff = total > 0 ? total : 1;
    factor = (int64_t)(((uint64_t)1 << SOFTMAX_MAX_BIT) / (uint64_t)eff);
    /* pass 2: recompute exp16 (same integers) and y = (exp16 * factor) >> (32 - 7), clamped to [0, 127] */
    for (i = 0; i < seen; i++) {
        const int64_t x = (int64_t)scores[i] - x_max, lo = (int64_t)EXP_N * x0_int;
        const int64_t xc = x > lo ? x : lo;
        const int64_t q = floor_div64(xc, x0_int);
        const int64_t r = xc - x0_int * q;
        const int64_t z = (r + b_int) * r + c_int; /* checked in pass 1 */
        int64_t v, t, y;
        u128 p;
        if (EXP_N - q >= 0) v = (int64_t)((uint64_t)z << (EXP_N - q));
        else v = (q - EXP_N) >= 63 ? (z < 0 ? -1 : 0) : (z >> (q - EXP_N));
        if (v < 0) v = 0;
        p = shift_round_even(s128_mul(v, m), e);
        if (!s128_to_i64(p, &t)) t = u128_is_neg(p) ? INT64_MIN : INT64_MAX;
        if (t < -32768) t = -32768;
        if (t > 32767) t = 32767;
        y = (t * factor) >> (SOFTMAX_MAX_BIT - SOFTMAX_OUT_BIT); /* |t| < 2^15, factor <= 2^32 */
        if (y < 0) y = 0;
        if (y > 127) y = 127;
        probs[i] = (int8_t)y;
    }
    for (i = seen; i < cols; i++) probs[i] = 0;
    return DTQ_HOSTMATH_OK;
}

/* sum((y >> s)^2) over the row, y = x - mean (|y| < 2^33: each square < 2^66, the sum < 2^98) */
static u128 ln_var_at(const int32_t *x, uint32_t cols, int64_t mean, int s) {
    u128 v = u128_of_u64(0);
    uint32_t i;
    for (i = 0; i < cols; i++) {
        const int64_t y = (int64_t)x[i] - mean;
        const int64_t t = s >= 63 ? (y < 0 ? -1 : 0) : (y >> s);
        v = u128_add(v, u128_mul_u64(uabs64(t), uabs64(t)));
    }
    return v;
}

int dtq_host_layernorm(const int32_t *x, int32_t *y, uint32_t cols, int32_t shift, const int32_t *bias) {
    int64_t sum = 0, mean, std_, factor;
    uint64_t var, root, xr, nxt, r;
    int used = shift, t;
    uint32_t i;
    u128 v;
    const u128 limit = u128_shl(u128_of_u64(1), LN_MAX_BIT);
    if (cols == 0 || shift < 0 || shift > 31) return DTQ_HOSTMATH_BAD_INPUT;
    for (i = 0; i < cols; i++) sum += x[i];
    /* mean = round_half_even(sum / n) */
    mean = floor_div64(sum, (int64_t)cols);
    r = (uint64_t)(sum - mean * (int64_t)cols);
    if (2 * r > cols || (2 * r == cols && (mean & 1))) ++mean;
    v = ln_var_at(x, cols, mean, used);
    if (!u128_lt(v, limit)) { /* overflow handling: smallest t with sum(y^2) <= 2^(2t+32), then raise until var < 2^32 */
        const u128 sq = ln_var_at(x, cols, mean, 0);
        for (t = 0;; t++) {
            const u128 p = u128_shl(u128_of_u64(1), 2 * t + LN_MAX_BIT);
            if (2 * t + LN_MAX_BIT >= 128 || !u128_lt(p, sq)) break;
        }
        if (t > used) used = t;
        v = ln_var_at(x, cols, mean, used);
        while (!u128_lt(v, limit)) v = ln_var_at(x, cols, mean, ++used);
    }
    var = v.lo;
    /* floor(sqrt(var)) by integer Newton from 2^ceil(bitlen/2) (i_sqrt) */
    root = 0;
    if (var) {
        xr = (uint64_t)1 << ((bitlen_u128(v) + 1) / 2);
        for (;;) {
            nxt = (xr + var / xr) >> 1;
            if (nxt >= xr) break;
            xr = nxt;
        }
        root = xr;
    }
    if (root && bitlen_u128(u128_of_u64(root)) + used > 63) return DTQ_HOSTMATH_BAD_INPUT;
    std_ = (int64_t)(root << used);
    factor = (int64_t)(((uint64_t)1 << LN_FACTOR_BIT) / (uint64_t)(std_ > 0 ? std_ : 1));
    for (i = 0; i < cols; i++) {
        const int64_t d = (int64_t)x[i] - mean;
        int64_t yn, out;
        if (!s128_to_i64(u128_sar(s128_mul(d, factor), 1), &yn)) return DTQ_HOSTMATH_BAD_INPUT;
        out = yn + (bias ? bias[i] : 0);
        if (out < INT32_MIN || out > INT32_MAX) return DTQ_HOSTMATH_BAD_INPUT;
        y[i] = (int32_t)out;
    }
    return DTQ_HOSTMATH_OK;
}

int dtq_host_gelu(const int8_t *x, int32_t *y, uint32_t n, int32_t b_int, int32_t c_int, int32_t shift_int, int32_t shift) {
    uint32_t i;
    const int64_t lim = -(int64_t)b_int;
    if (shift < 0 || shift > 31) return DTQ_HOSTMATH_BAD_INPUT;
    for (i = 0; i < n; i++) {
        const int64_t xi = x[i];
        const int64_t sgn = (xi > 0) - (xi < 0);
        int64_t a = xi < 0 ? -xi : xi, t, e, out;
        if (a > lim) a = lim;
        t = a + b_int;
        e = sgn * (t * t + c_int); /* |t| <= 2^31: t*t <= 2^62 */
        e = (e >> shift) + shift_int; /* floor; |e| < 2^63 */
        /* |out| >= |e| when x != 0 (x = 0 gives e = shift_int, out 0): |e| > 2^31 cannot fit,
         * and |e| <= 2^31 keeps the product below 2^38 */
        if (xi != 0 && (e > ((int64_t)1 << 31) || e < -((int64_t)1 << 31))) return DTQ_HOSTMATH_BAD_INPUT;
        out = xi * e;
        if (out < INT32_MIN || out > INT32_MAX) return DTQ_HOSTMATH_BAD_INPUT;
        y[i] = (int32_t)out;
    }
    return DTQ_HOSTMATH_OK;
}
