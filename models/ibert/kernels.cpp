#include "ibert/kernels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dtq::ibert {

namespace {
constexpr double GELU_K = 1.4142, GELU_A = -0.2888, GELU_B = -1.769, GELU_C = 1.0;
constexpr int GELU_SHIFT = 14;
constexpr double EXP_X0 = -0.6931;
constexpr int EXP_N = 30;
constexpr double EXP_COEF0 = 0.35815147, EXP_COEF1 = 0.96963238, EXP_COEF2 = 1.0;
constexpr int SOFTMAX_MAX_BIT = 32, LN_MAX_BIT = 32, LN_FACTOR_BIT = 31, LN_OUT_SHIFT = 30;

i128 floor_shift(i128 v, int s) { return v >> s; }  // arithmetic: floor for negatives
i128 shl(i128 v, int s) { return v * (i128{1} << s); }  // v * 2^s; << of a negative value is UB in C++17
int64_t floor_d(double x) {
    if (!std::isfinite(x)) throw std::domain_error("non-finite value in scale bookkeeping");
    return static_cast<int64_t>(std::floor(x));
}
}  // namespace

double book::sqrt(double a) const { return r(std::sqrt(r(a))); }

i128 shift_round_half_even(i128 v, int s) {
    if (s <= 0) return shl(v, -s);
    const i128 q = v >> s, rem = v - shl(q, s), half = i128{1} << (s - 1);
    return (rem > half || (rem == half && (q & 1))) ? q + 1 : q;
}

i128 shift_round_half_up(i128 v, int s) {
    if (s <= 0) return shl(v, -s);
    const i128 q = v >> s, rem = v - shl(q, s);
    return rem >= (i128{1} << (s - 1)) ? q + 1 : q;
}

int64_t div_round_half_even(i128 a, int64_t b) {
    i128 q = a / b, r = a % b;
    if (r < 0) { r += b; q -= 1; }  // floor division
    if (2 * r > b || (2 * r == b && (q & 1))) ++q;
    return static_cast<int64_t>(q);
}

dyadic_t dyadic(double mult) {
    if (!std::isfinite(mult)) throw std::domain_error("multiplier must be finite");
    int ex = 0;
    const double f = std::frexp(mult, &ex);  // exact; |f| in [0.5, 1)
    // f * 2^31 is exact in binary64 only when f has <= 53 significant bits: it does, but
    // the product may need a fractional part: f = F / 2^53 exactly, so m = round(F / 2^22).
    const int64_t F = static_cast<int64_t>(std::ldexp(f, 53));  // exact integer
    const int64_t a = F < 0 ? -F : F;
    int64_t m = (a + (int64_t{1} << 21)) >> 22;                   // half away from zero
    if (F < 0) m = -m;
    return {m, 31 - (mult == 0 ? 0 : ex)};
}

std::vector<int64_t> requantize(const std::vector<int64_t>& z, dyadic_t me, int bits, bool clamp,
                                const std::vector<int64_t>* identity, dyadic_t ime, bool half_up) {
    std::vector<int64_t> out(z.size());
    const i128 lo = -(i128{1} << (bits - 1)), hi = (i128{1} << (bits - 1)) - 1;
    for (size_t i = 0; i < z.size(); ++i) {
        i128 v = half_up ? shift_round_half_up(i128{z[i]} * me.m, me.e) : shift_round_half_even(i128{z[i]} * me.m, me.e);
        if (identity)
            v += half_up ? shift_round_half_up(i128{(*identity)[i]} * ime.m, ime.e)
                         : shift_round_half_even(i128{(*identity)[i]} * ime.m, ime.e);
        if (clamp) v = std::clamp(v, lo, hi);
        out[i] = static_cast<int64_t>(v);
    }
    return out;
}

double symmetric_scale(int bits, double xmin, double xmax, const book& b) {
    const double n = static_cast<double>((int64_t{1} << (bits - 1)) - 1);
    double amax = std::max(std::fabs(b.r(xmin)), std::fabs(b.r(xmax)));
    amax = std::max(amax, b.r(1e-8));
    return b.div(amax, n);
}

std::vector<int64_t> symmetric_quantize(const std::vector<double>& x, double scale, int bits, const book& b) {
    if (!(std::isfinite(scale) && scale > 0)) throw std::domain_error("scaling factor must be finite and positive");
    const int64_t n = (int64_t{1} << (bits - 1)) - 1;
    const double inv = b.div(1.0, scale);
    std::vector<int64_t> out;
    for (double v : x) {
        const double p = b.mul(inv, v);
        if (!std::isfinite(p)) throw std::domain_error("cannot round a non-finite value");
        const int64_t q = static_cast<int64_t>(std::nearbyint(p));  // ties to even (default rounding mode)
        out.push_back(std::clamp(q, -n, n - 1));
    }
    return out;
}

exp_consts_t exp_consts(double scale, const book& b) {
    if (!(std::isfinite(scale) && scale > 0)) throw std::domain_error("scaling factor must be finite and positive");
    const double s = b.r(scale), s2 = b.mul(s, s);
    const double coef_b = EXP_COEF1 / EXP_COEF0, coef_c = EXP_COEF2 / EXP_COEF0;  // binary64, as I-BERT
    exp_consts_t k;
    k.x0_int = floor_d(b.div(EXP_X0, s));
    k.b_int = floor_d(b.div(coef_b, s));
    k.c_int = floor_d(b.div(coef_c, s2));
    k.n = EXP_N;
    k.exp_scale = b.div(b.mul(EXP_COEF0, s2), static_cast<double>(int64_t{1} << EXP_N));
    return k;
}

exp_out i_exp_int(const std::vector<int64_t>& x, const exp_consts_t& k) {
    exp_out o;
    const i128 lo = i128{k.n} * k.x0_int;
    for (int64_t xi : x) {
        const i128 xc = std::max<i128>(xi, lo);
        // floor division by a negative divisor
        i128 q = xc / k.x0_int;
        if ((xc % k.x0_int != 0) && ((xc < 0) != (k.x0_int < 0))) --q;
        const i128 r = xc - i128{k.x0_int} * q;
        const i128 z = (r + k.b_int) * r + k.c_int;
        const int sh = k.n - static_cast<int>(q);
        i128 v = sh >= 0 ? shl(z, sh) : floor_shift(z, -sh);
        if (v < 0) v = 0;
        o.exp_int.push_back(static_cast<int64_t>(v));
        o.q.push_back(static_cast<int64_t>(q));
        o.z.push_back(static_cast<int64_t>(z));
    }
    return o;
}

softmax_out i_softmax(const std::vector<int64_t>& x, double scale, int output_bit, int exp_act_bits,
                      int64_t exp_act_max, const book& b, double exp_act_max_real) {
    if (x.empty()) throw std::invalid_argument("empty row");
    softmax_out o;
    o.consts = exp_consts(scale, b);
    o.x_max = *std::max_element(x.begin(), x.end());
    std::vector<int64_t> xs(x.size());
    for (size_t i = 0; i < x.size(); ++i) xs[i] = x[i] - o.x_max;  // fits: int32 inputs
    exp_out e = i_exp_int(xs, o.consts);
    o.exp_int = e.exp_int;
    const int64_t qmax = (int64_t{1} << (exp_act_bits - 1)) - 1;
    o.exp_act_max = exp_act_max > 0 ? exp_act_max : (o.consts.c_int << o.consts.n);
    o.mult16 = static_cast<double>(qmax) / static_cast<double>(o.exp_act_max);
    // Python's int / int is correctly rounded; both operands are exact in binary64 here
    // only when exp_act_max < 2^53, so divide exactly in long double when it is not.
    if (o.exp_act_max >= (int64_t{1} << 53))
        o.mult16 = static_cast<double>(static_cast<long double>(qmax) / static_cast<long double>(o.exp_act_max));
    if (exp_act_max <= 0 && exp_act_max_real > 0) o.mult16 = static_cast<double>(qmax) / exp_act_max_real;
    o.me16 = dyadic(o.mult16);
    o.exp16 = requantize(o.exp_int, o.me16, exp_act_bits, true);
    i128 total = 0;
    for (int64_t v : o.exp16) total += v;
    o.exp_sum = static_cast<int64_t>(total);
    const i128 eff = total > 0 ? total : 1;
    o.factor = static_cast<int64_t>((i128{1} << SOFTMAX_MAX_BIT) / eff);
    const int sh = SOFTMAX_MAX_BIT - output_bit;
    for (int64_t v : o.exp16) o.y.push_back(static_cast<int64_t>(floor_shift(i128{v} * o.factor, sh)));
    return o;
}

gelu_consts_t gelu_consts(double scale, const book& b) {
    if (!(std::isfinite(scale) && scale > 0)) throw std::domain_error("scaling factor must be finite and positive");
    const double s = b.r(scale), sk = b.div(s, GELU_K), sk2 = b.mul(sk, sk);
    gelu_consts_t k;
    k.b_int = floor_d(b.div(GELU_B, sk));
    k.c_int = floor_d(b.div(GELU_C / GELU_A, sk2));
    k.erf_scale = b.mul(b.mul(sk2, GELU_A), static_cast<double>(1 << GELU_SHIFT));
    k.shift_int = floor_d(b.div(1.0, k.erf_scale));
    k.out_scale = b.div(b.mul(s, k.erf_scale), 2.0);
    k.n = GELU_SHIFT;
    return k;
}

gelu_out i_gelu_int(const std::vector<int64_t>& x, const gelu_consts_t& k) {
    gelu_out o;
    const i128 lim = -i128{k.b_int};
    for (int64_t xi : x) {
        const int sgn = (xi > 0) - (xi < 0);
        i128 a = xi < 0 ? -i128{xi} : i128{xi};
        if (a > lim) a = lim;
        i128 y = sgn * ((a + k.b_int) * (a + k.b_int) + k.c_int);
        y = floor_shift(y, k.n);
        o.erf.push_back(static_cast<int64_t>(y));
        o.y.push_back(static_cast<int64_t>(i128{xi} * (y + k.shift_int)));
    }
    return o;
}

sqrt_out i_sqrt(unsigned __int128 n) {
    if (n == 0) return {0, 0};
    int bits = 0;
    for (unsigned __int128 t = n; t; t >>= 1) ++bits;
    unsigned __int128 x = static_cast<unsigned __int128>(1) << ((bits + 1) / 2);
    int it = 0;
    for (;;) {
        ++it;
        const unsigned __int128 nxt = (x + n / x) >> 1;
        if (nxt >= x) return {static_cast<uint64_t>(x), it};
        x = nxt;
    }
}

layernorm_out i_layernorm(const std::vector<int64_t>& x, const std::vector<double>& gamma,
                          const std::vector<double>& beta, int shift, bool overflow_handling, const book& b) {
    const size_t n = x.size();
    if (n == 0) throw std::invalid_argument("empty row");
    if (gamma.size() != n || beta.size() != n) throw std::invalid_argument("gamma/beta length mismatch");
    layernorm_out o;
    i128 sum = 0;
    for (int64_t v : x) sum += v;
    o.mean_int = div_round_half_even(sum, static_cast<int64_t>(n));
    std::vector<i128> y(n);
    for (size_t i = 0; i < n; ++i) y[i] = i128{x[i]} - o.mean_int;
    auto var_at = [&](int s) {
        unsigned __int128 v = 0;
        for (i128 e : y) { const i128 t = floor_shift(e, s); v += static_cast<unsigned __int128>(t * t); }
        return v;
    };
    const unsigned __int128 limit = static_cast<unsigned __int128>(1) << LN_MAX_BIT;
    int used = shift;
    unsigned __int128 var = var_at(used);
    if (overflow_handling && var >= limit) {
        o.shift_adjusted = true;
        unsigned __int128 sq = 0;
        for (i128 e : y) sq += static_cast<unsigned __int128>(e * e);
        int t = 0;
        while (sq > (static_cast<unsigned __int128>(1) << (2 * t + LN_MAX_BIT))) ++t;
        used = std::max(used, t);
        var = var_at(used);
        while (var >= limit) var = var_at(++used);
    }
    o.shift = used;
    o.var_int = static_cast<uint64_t>(var);
    const i128 std_ = i128{static_cast<int64_t>(i_sqrt(var).root)} << used;
    o.std_int = static_cast<int64_t>(std_);
    const i128 eff = std_ > 0 ? std_ : 1;
    o.factor = static_cast<int64_t>((i128{1} << LN_FACTOR_BIT) / eff);
    o.ln_scale = b.div(b.sqrt(static_cast<double>(n)), static_cast<double>(int64_t{1} << LN_OUT_SHIFT));
    for (size_t i = 0; i < n; ++i) {
        if (b.r(gamma[i]) == 0) throw std::domain_error("gamma must be non-zero");
        o.bias_int.push_back(floor_d(b.div(b.div(beta[i], gamma[i]), o.ln_scale)));
        o.out_scale.push_back(b.mul(o.ln_scale, gamma[i]));
        const int64_t yn = static_cast<int64_t>(floor_shift(y[i] * o.factor, 1));
        o.y_norm.push_back(yn);
        o.y.push_back(yn + o.bias_int.back());
    }
    return o;
}

}  // namespace dtq::ibert
