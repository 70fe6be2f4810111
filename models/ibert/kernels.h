// I-BERT integer-only kernels, bit-exact with ../shared/refs/ibert_ref.py (see
// ../shared/refs/IBERT_NOTES.md and docs/ibert.md): dyadic requantization, symmetric
// quantization, i-exp, i-softmax, i-GELU, i-sqrt, i-LayerNorm. The integer datapath is
// exact (128-bit intermediates where the reference uses unbounded integers); the scale
// bookkeeping is IEEE binary64 (or binary32) in I-BERT's order of operations.
#pragma once
#include <cstdint>
#include <vector>

namespace dtq::ibert {

using i128 = __int128;

enum class bookkeeping { fp64, fp32 };

struct book {
    bookkeeping mode = bookkeeping::fp64;
    double r(double x) const { return mode == bookkeeping::fp64 ? x : static_cast<double>(static_cast<float>(x)); }
    double div(double a, double b) const { return r(r(a) / r(b)); }
    double mul(double a, double b) const { return r(r(a) * r(b)); }
    double sqrt(double a) const;
};

// round(v / 2^s), ties to even (s <= 0: exact left shift).
i128 shift_round_half_even(i128 v, int s);
i128 shift_round_half_up(i128 v, int s);
// round_half_even(a / b), b > 0.
int64_t div_round_half_even(i128 a, int64_t b);

struct dyadic_t { int64_t m; int e; };
dyadic_t dyadic(double multiplier);  // frexp, m = round_half_away(f * 2^31), e = 31 - ex

// Dyadic requantization with an optional residual, clamped to `bits` when clamp.
std::vector<int64_t> requantize(const std::vector<int64_t>& z, dyadic_t me, int bits, bool clamp = true,
                                const std::vector<int64_t>* identity = nullptr, dyadic_t ime = {0, 0},
                                bool half_up = false);

double symmetric_scale(int bits, double xmin, double xmax, const book& b = {});
std::vector<int64_t> symmetric_quantize(const std::vector<double>& x, double scale, int bits, const book& b = {});

struct exp_consts_t { int64_t x0_int, b_int, c_int; int n; double exp_scale; };
exp_consts_t exp_consts(double scale, const book& b = {});
struct exp_out { std::vector<int64_t> exp_int, q, z; };
exp_out i_exp_int(const std::vector<int64_t>& x, const exp_consts_t& k);

struct softmax_out {
    exp_consts_t consts;
    double mult16 = 0;
    dyadic_t me16{0, 0};
    int64_t x_max = 0, exp_sum = 0, factor = 0, exp_act_max = 0;
    std::vector<int64_t> exp_int, exp16, y;
};
// exp_act_max <= 0 selects the default c_int << 30; a calibrated maximum that is not an
// integer is given as exp_act_max_real (> 0) instead.
softmax_out i_softmax(const std::vector<int64_t>& x, double scale, int output_bit = 8, int exp_act_bits = 16,
                      int64_t exp_act_max = 0, const book& b = {}, double exp_act_max_real = 0);

struct gelu_consts_t { int64_t b_int, c_int, shift_int; int n; double erf_scale, out_scale; };
gelu_consts_t gelu_consts(double scale, const book& b = {});
struct gelu_out { std::vector<int64_t> y, erf; };
gelu_out i_gelu_int(const std::vector<int64_t>& x, const gelu_consts_t& k);

struct sqrt_out { uint64_t root; int iterations; };
sqrt_out i_sqrt(unsigned __int128 n);

struct layernorm_out {
    int64_t mean_int = 0;
    uint64_t var_int = 0;
    int shift = 0;
    bool shift_adjusted = false;
    int64_t std_int = 0, factor = 0;
    double ln_scale = 0;
    std::vector<int64_t> bias_int, y_norm, y;
    std::vector<double> out_scale;
};
layernorm_out i_layernorm(const std::vector<int64_t>& x, const std::vector<double>& gamma,
                          const std::vector<double>& beta, int shift = 0, bool overflow_handling = true,
                          const book& b = {});

}  // namespace dtq::ibert
