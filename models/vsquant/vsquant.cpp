#include "vsquant/vsquant.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace dtq::vsquant {

namespace {

using i128 = __int128;

// round_half_even(num / den) for den > 0, exact.
int64_t div_round_half_even(i128 num, i128 den) {
    i128 q = num / den, r = num % den;  // truncating
    if (r < 0) {                        // floor
        q -= 1;
        r += den;
    }
    const i128 twice = 2 * r;
    if (twice > den || (twice == den && (q & 1))) q += 1;
    return static_cast<int64_t>(q);
}

int64_t clamp_q(int64_t v) { return std::clamp<int64_t>(v, -QMAX, QMAX); }

void check_shape(uint64_t rows, uint64_t k, const void* p) {
    if (rows == 0 || k == 0) throw std::invalid_argument("vsquant: a tensor needs rows >= 1 and k >= 1");
    if (p == nullptr) throw std::invalid_argument("vsquant: null input");
}

tensor empty_tensor(uint64_t rows, uint64_t k, const config& c, uint64_t gammas) {
    validate(c);
    tensor t;
    t.rows = rows;
    t.cols = k;
    t.cfg = c;
    t.q.assign(rows * k, 0);
    t.s.assign(rows * t.vectors_per_row(), 0);
    t.gamma.assign(gammas, 0.0);
    return t;
}

// Float path. A[r] is the coarse max of row r (A = 0: the row is all zero).
template <class GetA>
tensor quantize_float(const float* x, uint64_t rows, uint64_t k, const config& c, uint64_t gammas, GetA amax_of_row) {
    tensor t = empty_tensor(rows, k, c, gammas);
    const uint64_t V = c.vector_size, nv = t.vectors_per_row();
    const double smax = c.scale_max(), qs = QMAX * smax;
    for (uint64_t r = 0; r < rows; ++r) {
        const double A = amax_of_row(r);
        if (gammas > 1 || r == 0) t.gamma[gammas > 1 ? r : 0] = A / qs;
        if (A <= 0) continue;
        for (uint64_t v = 0; v < nv; ++v) {
            const uint64_t lo = v * V, hi = std::min(k, lo + V);
            double amax = 0;
            for (uint64_t j = lo; j < hi; ++j) amax = std::max(amax, std::fabs(static_cast<double>(x[r * k + j])));
            if (amax == 0) continue;  // s = 0, q = 0
            const double s = std::clamp(std::nearbyint(amax * smax / A), 1.0, smax);
            t.s[r * nv + v] = static_cast<uint16_t>(s);
            for (uint64_t j = lo; j < hi; ++j)
                t.q[r * k + j] = static_cast<int8_t>(
                    clamp_q(static_cast<int64_t>(std::nearbyint(static_cast<double>(x[r * k + j]) * qs / (s * A)))));
        }
    }
    return t;
}

// Integer path: exact rationals. A is the coarse max in int8 units.
template <class GetA>
tensor quantize_int(const int8_t* x, uint64_t rows, uint64_t k, double int8_scale, const config& c, uint64_t gammas,
                    GetA amax_of_row) {
    if (!(int8_scale > 0) || !std::isfinite(int8_scale)) throw std::invalid_argument("vsquant: int8 scale must be positive and finite");
    tensor t = empty_tensor(rows, k, c, gammas);
    const uint64_t V = c.vector_size, nv = t.vectors_per_row();
    const int64_t smax = c.scale_max(), qs = QMAX * smax;
    for (uint64_t r = 0; r < rows; ++r) {
        const int64_t A = amax_of_row(r);
        if (gammas > 1 || r == 0) t.gamma[gammas > 1 ? r : 0] = int8_scale * static_cast<double>(A) / static_cast<double>(qs);
        if (A <= 0) continue;
        for (uint64_t v = 0; v < nv; ++v) {
            const uint64_t lo = v * V, hi = std::min(k, lo + V);
            int64_t amax = 0;
            for (uint64_t j = lo; j < hi; ++j) amax = std::max<int64_t>(amax, std::abs(int64_t{x[r * k + j]}));
            if (amax == 0) continue;
            const int64_t s = std::clamp<int64_t>(div_round_half_even(i128{amax} * smax, A), 1, smax);
            t.s[r * nv + v] = static_cast<uint16_t>(s);
            for (uint64_t j = lo; j < hi; ++j)
                t.q[r * k + j] = static_cast<int8_t>(clamp_q(div_round_half_even(i128{x[r * k + j]} * qs, i128{s} * A)));
        }
    }
    return t;
}

}  // namespace

void validate(const config& c) {
    if (c.vector_size < 1) throw std::invalid_argument("vsquant: vector_size must be >= 1");
    if (c.scale_bits != 4 && c.scale_bits != 6 && c.scale_bits != 8)
        throw std::invalid_argument("vsquant: scale_bits must be 4, 6 or 8, got " + std::to_string(c.scale_bits));
}

tensor quantize_weights(const float* w, uint64_t channels, uint64_t k, const config& c, granularity g) {
    check_shape(channels, k, w);
    std::vector<double> row_max(channels, 0.0);
    for (uint64_t r = 0; r < channels; ++r)
        for (uint64_t j = 0; j < k; ++j) row_max[r] = std::max(row_max[r], std::fabs(static_cast<double>(w[r * k + j])));
    for (double v : row_max)
        if (!std::isfinite(v)) throw std::invalid_argument("vsquant: weights must be finite");
    const double tmax = *std::max_element(row_max.begin(), row_max.end());
    const bool pc = g == granularity::per_channel;
    return quantize_float(w, channels, k, c, pc ? channels : 1, [&](uint64_t r) { return pc ? row_max[r] : tmax; });
}

tensor quantize_weights(const int8_t* w, uint64_t channels, uint64_t k, double int8_scale, const config& c, granularity g) {
    check_shape(channels, k, w);
    std::vector<int64_t> row_max(channels, 0);
    for (uint64_t r = 0; r < channels; ++r)
        for (uint64_t j = 0; j < k; ++j) row_max[r] = std::max<int64_t>(row_max[r], std::abs(int64_t{w[r * k + j]}));
    const int64_t tmax = *std::max_element(row_max.begin(), row_max.end());
    const bool pc = g == granularity::per_channel;
    return quantize_int(w, channels, k, int8_scale, c, pc ? channels : 1, [&](uint64_t r) { return pc ? row_max[r] : tmax; });
}

tensor quantize_activations(const int8_t* a, uint64_t rows, uint64_t k, double int8_scale, const config& c, int32_t calib_amax) {
    check_shape(rows, k, a);
    if (calib_amax < 1) throw std::invalid_argument("vsquant: calibrated activation max must be >= 1");
    return quantize_int(a, rows, k, int8_scale, c, 1, [&](uint64_t) { return int64_t{calib_amax}; });
}

tensor quantize_activations(const float* a, uint64_t rows, uint64_t k, const config& c, double calib_amax) {
    check_shape(rows, k, a);
    if (!(calib_amax > 0) || !std::isfinite(calib_amax)) throw std::invalid_argument("vsquant: calibrated activation max must be positive");
    for (uint64_t i = 0; i < rows * k; ++i)
        if (!std::isfinite(a[i])) throw std::invalid_argument("vsquant: activations must be finite");
    return quantize_float(a, rows, k, c, 1, [&](uint64_t) { return calib_amax; });
}

std::vector<int64_t> gemm(const tensor& a, const tensor& w) {
    validate(a.cfg);
    validate(w.cfg);
    if (a.cols != w.cols) throw std::invalid_argument("vsquant gemm: K differs (" + std::to_string(a.cols) + " vs " + std::to_string(w.cols) + ")");
    if (a.cfg.vector_size != w.cfg.vector_size) throw std::invalid_argument("vsquant gemm: vector sizes differ");
    const uint64_t M = a.rows, N = w.rows, K = a.cols, V = a.cfg.vector_size, nv = a.vectors_per_row();
    if (a.q.size() != M * K || w.q.size() != N * K || a.s.size() != M * nv || w.s.size() != N * nv)
        throw std::invalid_argument("vsquant gemm: tensor arrays do not match their shapes");
    for (int8_t v : a.q)
        if (v < -8 || v > 7) throw std::invalid_argument("vsquant gemm: activation code outside [-8, 7]");
    for (int8_t v : w.q)
        if (v < -8 || v > 7) throw std::invalid_argument("vsquant gemm: weight code outside [-8, 7]");
    for (uint16_t s : a.s)
        if (s > a.cfg.scale_max()) throw std::invalid_argument("vsquant gemm: activation scale exceeds 2^M - 1");
    for (uint16_t s : w.s)
        if (s > w.cfg.scale_max()) throw std::invalid_argument("vsquant gemm: weight scale exceeds 2^M - 1");

    std::vector<int64_t> acc(M * N, 0);
    for (uint64_t m = 0; m < M; ++m)
        for (uint64_t n = 0; n < N; ++n) {
            const int8_t* ar = a.q.data() + m * K;
            const int8_t* wr = w.q.data() + n * K;
            int64_t sum = 0;
            for (uint64_t v = 0; v < nv; ++v) {
                int32_t dot = 0;  // |dot| <= 64 V
                for (uint64_t j = v * V, hi = std::min(K, j + V); j < hi; ++j) dot += int32_t{ar[j]} * int32_t{wr[j]};
                const int64_t sp = int64_t{a.s[m * nv + v]} * w.s[n * nv + v];  // < 2^16
                sum += int64_t{dot} * sp;
            }
            acc[m * N + n] = sum;
        }
    return acc;
}

std::vector<double> dequantize(const std::vector<int64_t>& acc, const tensor& a, const tensor& w) {
    if (acc.size() != a.rows * w.rows) throw std::invalid_argument("vsquant dequantize: accumulator size is not M x N");
    std::vector<double> out(acc.size());
    for (uint64_t m = 0; m < a.rows; ++m)
        for (uint64_t n = 0; n < w.rows; ++n)
            out[m * w.rows + n] = static_cast<double>(acc[m * w.rows + n]) * a.gamma_of(m) * w.gamma_of(n);
    return out;
}

std::vector<int64_t> gemm_scaled(const int8_t* a, const uint16_t* sa, const int8_t* bt, const uint16_t* sb, uint64_t M,
                                 uint64_t N, uint64_t K, uint32_t vector_size) {
    if (vector_size < 1) throw std::invalid_argument("vsquant gemm_scaled: vector_size must be >= 1");
    std::vector<int64_t> acc(M * N, 0);
    if (M == 0 || N == 0 || K == 0) return acc;
    if (a == nullptr || bt == nullptr) throw std::invalid_argument("vsquant gemm_scaled: null operand");
    const uint64_t V = sa || sb ? vector_size : K, nv = (K + V - 1) / V;  // no scales: one vector
    const uint64_t vs = (K + vector_size - 1) / vector_size;              // scales per row
    // B transposed to K x N: the inner loop runs over n, contiguous (vectorizes).
    std::vector<int16_t> b(K * N);
    for (uint64_t n = 0; n < N; ++n)
        for (uint64_t k = 0; k < K; ++k) b[k * N + n] = bt[n * K + k];
    std::vector<int32_t> dot(N);
    for (uint64_t m = 0; m < M; ++m) {
        int64_t* out = &acc[m * N];
        const int8_t* ar = a + m * K;
        for (uint64_t v = 0; v < nv; ++v) {
            std::fill(dot.begin(), dot.end(), 0);
            const uint64_t lo = v * V, hi = std::min(K, lo + V);
            for (uint64_t k = lo; k < hi; ++k) {  // |dot| <= 128 * 128 * V: int32 for V < 131072
                const int32_t x = ar[k];
                if (x == 0) continue;
                const int16_t* br = &b[k * N];
                for (uint64_t n = 0; n < N; ++n) dot[n] += x * int32_t{br[n]};
            }
            const int64_t s_a = sa ? sa[m * vs + v] : 1;
            if (s_a == 0) continue;
            if (sb)
                for (uint64_t n = 0; n < N; ++n) out[n] += int64_t{dot[n]} * s_a * sb[n * vs + v];
            else
                for (uint64_t n = 0; n < N; ++n) out[n] += int64_t{dot[n]} * s_a;
        }
    }
    return acc;
}

int64_t rescale(int64_t x, int64_t num, int64_t den) {
    if (den <= 0) throw std::invalid_argument("vsquant rescale: the denominator must be positive");
    return div_round_half_even(i128{x} * num, den);
}

std::vector<uint8_t> pack_scales(const uint16_t* s, uint64_t rows, uint64_t vectors, uint32_t scale_bits) {
    const uint64_t rb = (vectors * scale_bits + 7) / 8;
    std::vector<uint8_t> p(rows * rb, 0);
    for (uint64_t r = 0; r < rows; ++r)
        for (uint64_t v = 0; v < vectors; ++v) {
            const uint32_t x = s[r * vectors + v];
            if (x >> scale_bits) throw std::invalid_argument("vsquant pack_scales: a scale does not fit scale_bits");
            for (uint32_t b = 0; b < scale_bits; ++b)
                if (x >> b & 1u) {
                    const uint64_t bit = v * scale_bits + b;
                    p[r * rb + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
                }
        }
    return p;
}

std::vector<uint16_t> unpack_scales(const uint8_t* p, uint64_t rows, uint64_t vectors, uint32_t scale_bits) {
    const uint64_t rb = (vectors * scale_bits + 7) / 8;
    std::vector<uint16_t> s(rows * vectors, 0);
    for (uint64_t r = 0; r < rows; ++r)
        for (uint64_t v = 0; v < vectors; ++v) {
            uint32_t x = 0;
            for (uint32_t b = 0; b < scale_bits; ++b) {
                const uint64_t bit = v * scale_bits + b;
                x |= static_cast<uint32_t>(p[r * rb + bit / 8] >> (bit % 8) & 1u) << b;
            }
            s[r * vectors + v] = static_cast<uint16_t>(x);
        }
    return s;
}

uint64_t gemm_cycles(uint64_t m, uint64_t n, uint64_t k, uint32_t array_rows, uint32_t array_cols, uint32_t arrays,
                     uint32_t scale_stages) {
    if (array_rows == 0 || array_cols == 0 || arrays == 0) throw std::invalid_argument("vsquant gemm_cycles: array sizes must be >= 1");
    if (m == 0 || n == 0 || k == 0) return 0;
    std::vector<uint64_t> busy(arrays, 0);
    uint64_t t = 0;
    for (uint64_t r0 = 0; r0 < m; r0 += array_rows)
        for (uint64_t c0 = 0; c0 < n; c0 += array_cols, ++t)
            busy[t % arrays] += tile_cycles(std::min<uint64_t>(array_rows, m - r0), std::min<uint64_t>(array_cols, n - c0), k, scale_stages);
    return *std::max_element(busy.begin(), busy.end());
}

}  // namespace dtq::vsquant
