// I-BERT integer-only kernels, bit-exact with ../shared/refs/ibert_ref.py (see
// ../shared/refs/IBERT_NOTES.md and docs/ibert.md): dyadic requantization, symmetric
// quantization, i-exp, i-softmax, i-GELU, i-sqrt, i-LayerNorm.
//
// Two halves, as in the reference:
//  * scale bookkeeping (float, host/offline): integer constants and output scales derived
//    from scaling factors, one IEEE operation per step in I-BERT's order, binary64 (fp64,
//    default) or binary32 (fp32);
//  * integer datapath (exact): where the reference uses unbounded Python integers the C++
//    computes in 128 bits. A result that does not fit its output type (int64, or uint64 for
//    var_int) throws std::overflow_error; nothing is ever truncated silently.
// Invalid arguments (empty rows, non-positive scales, bad bit widths, gamma = 0 ...) throw
// std::invalid_argument or std::domain_error, where the reference raises ValueError.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace dtq::ibert {

using i128 = __int128;
using u128 = unsigned __int128;

// ---- bookkeeping -------------------------------------------------------------------
enum class bookkeeping { fp64, fp32 };

// Bookkeeping arithmetic. fp32 rounds every operand and result to binary32 (C `float`);
// one binary64 op on binary32 operands rounded once more is correctly rounded for
// + - * / sqrt, so this equals float arithmetic in the same order.
struct book {
    bookkeeping mode = bookkeeping::fp64;
    double r(double x) const { return mode == bookkeeping::fp64 ? x : static_cast<double>(static_cast<float>(x)); }
    double div(double a, double b) const { return r(r(a) / r(b)); }
    double mul(double a, double b) const { return r(r(a) * r(b)); }
    double sqrt(double a) const;
};

// Exact floor of a finite bookkeeping value; throws std::domain_error when not finite and
// std::overflow_error when the floor does not fit int64.
int64_t floor_to_i64(double x);

// a / b correctly rounded to binary64 (ties to even), exact for 0 <= a, 0 < b < 2^127, as
// Python's int / int. Used for M16 = qmax / E_max when E_max >= 2^53.
double div_to_double(u128 a, u128 b);

// ---- exact integer rounding --------------------------------------------------------
enum class rounding { half_even, half_up, floor };

// round(v / 2^s) for any s (s <= 0: exact left shift, std::overflow_error beyond 127 bits).
// half_even = torch.round; half_up = (v + 2^(s-1)) >> s; floor = v >> s (arithmetic).
i128 shift_round(i128 v, int s, rounding mode = rounding::half_even);
// floor(a / b), b != 0 (i-exp's quotient); 64-bit division when both fit int64.
i128 floor_div(i128 a, i128 b);
// round_half_even(a / b), b > 0 (the LayerNorm mean).
int64_t div_round_half_even(i128 a, int64_t b);

// ---- dyadic requantization ---------------------------------------------------------
// (f, ex) = frexp(M); m = round_half_away(f * 2^31) (|m| in [2^30, 2^31], sign of M);
// e = 31 - ex. M = 0 gives (0, 31). Throws std::domain_error for a non-finite M.
struct dyadic_t {
    int64_t m = 0;
    int e = 31;
};
dyadic_t dyadic(double multiplier);

// y = round(z * m / 2^e) [+ round(w * m1 / 2^e1)], then clamp to [-2^(bits-1), 2^(bits-1)-1]
// when clamp. bits in [1, 64]. Products are exact (128-bit).
struct requant_params {
    dyadic_t me;
    int bits = 8;
    bool clamp = true;
    rounding mode = rounding::half_even;
};
std::vector<int64_t> requantize(const std::vector<int64_t>& z, const requant_params& p);
std::vector<int64_t> requantize(const std::vector<int64_t>& z, const requant_params& p,
                                const std::vector<int64_t>& identity, dyadic_t identity_me);

// ---- symmetric quantization (float -> int) -----------------------------------------
// scale = max(|xmin|, |xmax|, 1e-8) / (2^(bits-1) - 1); bits in [2, 64].
double symmetric_scale(int bits, double xmin, double xmax, const book& b = {});
// q = clamp(round_half_even((1/scale) * x), -n, n - 1), n = 2^(bits-1) - 1 (I-BERT's upper
// clamp at n - 1: [-127, 126] for 8 bits).
std::vector<int64_t> symmetric_quantize(const std::vector<double>& x, double scale, int bits, const book& b = {});

// ---- i-exp ---------------------------------------------------------------------------
struct exp_consts_t {
    int64_t x0_int = 0, b_int = 0, c_int = 0;
    int n = 30;
    double poly_scale = 0, exp_scale = 0;
};
// x0_int = floor(-0.6931/S), b_int = floor((0.96963238/0.35815147)/S),
// c_int = floor((1/0.35815147)/S^2), exp_scale = 0.35815147*S^2 / 2^30.
exp_consts_t exp_consts(double scale, const book& b = {});
struct exp_out {
    std::vector<int64_t> exp_int, q, z;
};
// x = max(x, n*x0_int); q = floor(x/x0_int); r = x - x0_int*q; z = (r + b_int)*r + c_int;
// exp_int = max(z * 2^(n-q), 0).
exp_out i_exp_int(const std::vector<int64_t>& x, const exp_consts_t& k);

// ---- i-softmax -------------------------------------------------------------------------
struct softmax_params {
    int output_bit = 8;                  // y = (exp16 * factor) >> (32 - output_bit); [0, 32]
    std::optional<int> exp_act_bits{16};  // QuantAct on exp_int; nullopt: no requantization
    // E_max of that QuantAct: nullopt = default c_int << 30; an integer (exact int / int)
    // or a real calibrated maximum (binary64 division), as the reference accepts both.
    std::optional<int64_t> exp_act_max_int;
    std::optional<double> exp_act_max_real;
};
struct softmax_out {
    exp_consts_t consts;
    int64_t x_max = 0;
    bool requantized = true;  // false when exp_act_bits is nullopt (mult16/me16 unused)
    i128 exp_act_max = 0;     // the E_max used (integer form; 0 when it was a real)
    double mult16 = 0;        // M16 = (2^(bits-1) - 1) / E_max
    dyadic_t me16;
    int64_t exp_sum = 0, factor = 0;
    std::vector<int64_t> exp_int, q, z, exp16, y;
    double out_scale = 0;     // 2^-output_bit
};
softmax_out i_softmax(const std::vector<int64_t>& x, double scale, const softmax_params& p = {}, const book& b = {});
// The same y as i_softmax(x, scale, p, b).y, row after row without allocation: the plan
// holds what i_softmax derives from (scale, p, b) alone (the i-exp constants, the QuantAct's
// dyadic multiplier), computed once; i_softmax_row then writes the row's y to `y` (n values),
// with the same exceptions, in the same order, for the same inputs.
struct softmax_plan {
    exp_consts_t consts;
    int output_bit = 8;
    bool requantized = false;
    int exp_act_bits = 16;
    dyadic_t me16;
    // i-exp of a row fits int64 (docs/performance.md#softmax-rows-in-64-bits): |x0_int|, |b_int|
    // <= 2^31 and the polynomial z's bound shifted by n below 2^62, so i_softmax_row may run
    // its exp in int64 (the same values; no check of the 128-bit form can fail there).
    bool fast64 = false;
    // The QuantAct of a fast64 row (exp values y in [0, 2^62)) in unsigned 128-bit arithmetic
    // (docs/performance.md#row-kernels): with m = me16.m > 0, 1 <= e = me16.e <= 120 and
    // hi = 2^(exp_act_bits - 1) - 1, y >= rq_limit = ceil((hi + 1) 2^e / m) (capped at 2^63)
    // gives y m / 2^e >= hi + 1, so hi after the clamp; below it the rounding of y m (< 2^93)
    // is done in u128 without the generic form's checks, none of which can fail there.
    bool rq_fast = false;
    uint64_t rq_limit = 0;
    int64_t rq_hi = 0;
};
softmax_plan plan_softmax(double scale, const softmax_params& p = {}, const book& b = {});
void i_softmax_row(const int64_t* x, uint64_t n, const softmax_plan& plan, int64_t* y);

// ---- i-GELU ------------------------------------------------------------------------------
// I-BERT's erf shift n (its "self.n = 14"), made for GELU on the int32 accumulator; the golden
// vectors use it.
constexpr int GELU_SHIFT = 14;
struct gelu_consts_t {
    int64_t b_int = 0, c_int = 0, shift_int = 0;
    int n = GELU_SHIFT;
    double scale_k = 0, erf_scale = 0, out_scale = 0;  // erf_scale and out_scale are negative
};
// I-BERT's constants for input scale S with erf shift n: b_int = floor(-1.769 / Sk),
// c_int = floor((1 / -0.2888) / Sk^2), erf_scale = Sk^2 (-0.2888) 2^n, shift_int =
// floor(1 / erf_scale), out_scale = S erf_scale / 2 (Sk = S / 1.4142).
gelu_consts_t gelu_consts(double scale, const book& b = {}, int n = GELU_SHIFT);
// The largest |value| any int8 input (|x| <= 128) can give in i-GELU's datapath with the
// constants k, by hand (docs/ibert.md#i-gelu-on-int8-inputs), b_int <= 0:
//   |t| = |min(|x|, -b_int) + b_int| <= |b_int|, so |t^2 + c_int| <= b_int^2 + |c_int| = V
//   |erf| = |floor(+-(t^2 + c_int) / 2^n)| <= ceil(V / 2^n) = E
//   |x (erf + shift_int)| <= 128 (E + |shift_int|)
// Returns max(V, 128 (E + |shift_int|)) (every other intermediate is below one of the two).
i128 gelu_int8_bound(const gelu_consts_t& k);
// The constants of the GELU command, which takes int8 inputs: those of gelu_consts(S, b, n) at
// the smallest n in 0..GELU_MAX_N (so the most precise erf) with gelu_int8_bound <= INT32_MAX,
// i.e. every int8 input's intermediates and result stay in int32. Throws std::range_error
// when no n does (S below about 7.8e-5: b_int^2 + |c_int| alone leaves int32).
constexpr int GELU_MAX_N = 31;
gelu_consts_t gelu_consts_int8(double scale, const book& b = {});
struct gelu_out {
    std::vector<int64_t> y, erf;
};
// sgn = sign(x); a = min(|x|, -b_int); erf = (sgn*((a + b_int)^2 + c_int)) >> n;
// y = x * (erf + shift_int).
gelu_out i_gelu_int(const std::vector<int64_t>& x, const gelu_consts_t& k);

// ---- i-sqrt ----------------------------------------------------------------------------------
// floor(sqrt(n)) by integer Newton from 2^ceil(bitlen(n)/2); iterations counts the updates
// computed, including the one that detects convergence (as the reference's counter).
struct sqrt_out {
    uint64_t root = 0;
    int iterations = 0;
};
sqrt_out i_sqrt(u128 n);

// ---- i-LayerNorm ----------------------------------------------------------------------------
struct ln_consts_t {
    double ln_scale = 0;           // sqrt(n) / 2^30
    std::vector<int64_t> bias_int;  // floor((beta_i / gamma_i) / ln_scale)
    std::vector<double> out_scale;  // ln_scale * gamma_i
};
ln_consts_t ln_consts(size_t n, const std::vector<double>& gamma, const std::vector<double>& beta, const book& b = {});

struct layernorm_out {
    int64_t mean_int = 0;
    uint64_t var_int = 0;
    int shift = 0;               // the shift actually used
    bool shift_adjusted = false;  // overflow handling raised it
    int64_t std_int = 0, factor = 0;
    ln_consts_t consts;
    std::vector<int64_t> y_norm, y;
};
// mean = round_half_even(sum/n); y = x - mean; var = sum((y >> shift)^2); overflow handling
// raises shift until var < 2^32; std = isqrt(var) << shift (0 -> 1); factor = floor(2^31/std);
// y_norm = (y * factor) >> 1; y = y_norm + bias_int.
layernorm_out i_layernorm(const std::vector<int64_t>& x, const std::vector<double>& gamma,
                          const std::vector<double>& beta, int shift = 0, bool overflow_handling = true,
                          const book& b = {});

}  // namespace dtq::ibert
