#include "ibert/normact.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <vector>

#include "vssa/gemm.h"

namespace dtq::ibert::normact {

int64_t scale_round(int64_t x, int64_t m, int e) {
    return static_cast<int64_t>(shift_round(static_cast<i128>(x) * m, e, rounding::half_even));
}

uint64_t requant_row(const int32_t* x, uint64_t cols, int64_t m, int e, uint8_t bits, uint8_t* out) {
    if (bits == 0) return 0;
    const auto q8 = [&](uint64_t i) {
        return static_cast<int8_t>(std::clamp<int64_t>(scale_round(x[i], m, e), -128, 127));
    };
    if (bits == 8) {
        for (uint64_t i = 0; i < cols; ++i) out[i] = static_cast<uint8_t>(q8(i));
        return cols;
    }
    for (uint64_t i = 0; i + 1 < cols; i += 2) {
        const auto lo = static_cast<uint8_t>(vssa::quantize_4bit_code(q8(i)) & 0xF);
        const auto hi = static_cast<uint8_t>(vssa::quantize_4bit_code(q8(i + 1)) & 0xF);
        out[i / 2] = static_cast<uint8_t>(lo | (hi << 4));
    }
    return cols / 2;
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

}  // namespace dtq::ibert::normact
