// VS-Quant: quantization by hand (int8 and float paths, rounding ties, saturation), the
// GEMM against a reference written here (per-element scale product, an independent
// formulation of the per-vector sum), the PE timing and the storage formulas with numbers
// computed by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "common/accuracy.h"
#include "vssa/tile_model.h"
#include "vsquant/vsquant.h"

using namespace dtq::vsquant;

namespace {

config cfg_of(uint32_t v, uint32_t m) {
    config c;
    c.vector_size = v;
    c.scale_bits = m;
    return c;
}

// A tensor with arbitrary codes in [-8, 7] and scales in [0, 2^M - 1].
tensor random_tensor(uint64_t rows, uint64_t k, const config& c, std::mt19937_64& rng, bool extremes = false) {
    tensor t;
    t.rows = rows;
    t.cols = k;
    t.cfg = c;
    t.q.resize(rows * k);
    for (auto& q : t.q) q = extremes ? int8_t{-8} : static_cast<int8_t>(static_cast<int>(rng() % 16) - 8);
    t.s.resize(rows * t.vectors_per_row());
    for (auto& s : t.s) s = extremes ? static_cast<uint16_t>(c.scale_max()) : static_cast<uint16_t>(rng() % (c.scale_max() + 1));
    t.gamma.assign(1, 1.0);
    return t;
}

// Reference: sum over k of qa * qw * sa(k / V) * sw(k / V), element by element.
std::vector<int64_t> reference_gemm(const tensor& a, const tensor& w) {
    const uint64_t V = a.cfg.vector_size;
    std::vector<int64_t> c(a.rows * w.rows, 0);
    for (uint64_t m = 0; m < a.rows; ++m)
        for (uint64_t n = 0; n < w.rows; ++n) {
            int64_t acc = 0;
            for (uint64_t k = 0; k < a.cols; ++k)
                acc += int64_t{a.q[m * a.cols + k]} * w.q[n * w.cols + k] * int64_t{a.scale(m, k / V)} * int64_t{w.scale(n, k / V)};
            c[m * w.rows + n] = acc;
        }
    return c;
}

}  // namespace

TEST_CASE("vsquant: int8 weights quantized by hand", "[vsquant]") {
    // V = 4, M = 4 (s <= 15), one channel of 8: A = 127; gamma = S * 127 / (7 * 15).
    const int8_t w[] = {127, -64, 0, 3, 10, -5, 0, 0};
    const tensor t = quantize_weights(w, 1, 8, 0.5, cfg_of(4, 4));
    // vector 0: amax 127: s = round(127 * 15 / 127) = 15; q = round(x * 105 / (15 * 127)) = round(7x / 127):
    //   127 -> 7, -64 -> round(-3.53) = -4, 0 -> 0, 3 -> round(0.165) = 0.
    // vector 1: amax 10: s = round(150 / 127) = 1; q = round(105 x / 127): 10 -> 8.27 -> 8 -> clamp 7; -5 -> -4.13 -> -4.
    CHECK(t.s == std::vector<uint16_t>{15, 1});
    CHECK(t.q == std::vector<int8_t>{7, -4, 0, 0, 7, -4, 0, 0});
    REQUIRE(t.gamma.size() == 1);
    CHECK(t.gamma[0] == 0.5 * 127.0 / 105.0);
    CHECK(t.value(0, 0) == 7.0 * 15 * (0.5 * 127.0 / 105.0));
}

TEST_CASE("vsquant: rounding ties go to even and a nonzero vector keeps s >= 1", "[vsquant]") {
    // Channel max A = 30 (the last vector), M = 4: vector {1, 0}: 1 * 15 / 30 = 0.5 -> 0 (even) -> 1 (nonzero);
    // vector {3, -3}: 45 / 30 = 1.5 -> 2; vector {0, 0}: s = 0; vector {30, -15}: 15.
    const int8_t w[] = {1, 0, 3, -3, 0, 0, 30, -15};
    const tensor t = quantize_weights(w, 1, 8, 1.0, cfg_of(2, 4));
    CHECK(t.s == std::vector<uint16_t>{1, 2, 0, 15});
    // q = round(x * 105 / (s * 30)): 1 -> 3.5 -> 4 (even); 3 / s 2 -> 5.25 -> 5; -3 -> -5;
    // 30 / s 15 -> 7; -15 -> -3.5 -> -4 (even).
    CHECK(t.q == std::vector<int8_t>{4, 0, 5, -5, 0, 0, 7, -4});
    // Another tie in q: s = 2, x * 105 / 60 = 3.5 needs x = 2: vector {2, 3} with A = 30.
    const int8_t w2[] = {2, 3, 30, 0};
    const tensor t2 = quantize_weights(w2, 1, 4, 1.0, cfg_of(2, 4));  // s0 = round(45 / 30) = 2
    CHECK(t2.s == std::vector<uint16_t>{2, 15});
    CHECK(t2.q == std::vector<int8_t>{4, 5, 7, 0});  // 2 -> 3.5 -> 4; 3 -> 5.25 -> 5
}

TEST_CASE("vsquant: per-channel and per-tensor gammas", "[vsquant]") {
    const int8_t w[] = {100, 50, 20, -10};  // 2 channels of 2, V = 2, M = 8
    const tensor pc = quantize_weights(w, 2, 2, 0.25, cfg_of(2, 8));
    REQUIRE(pc.gamma.size() == 2);
    CHECK(pc.gamma[0] == 0.25 * 100 / (7.0 * 255));
    CHECK(pc.gamma[1] == 0.25 * 20 / (7.0 * 255));
    CHECK(pc.s == std::vector<uint16_t>{255, 255});
    const tensor pt = quantize_weights(w, 2, 2, 0.25, cfg_of(2, 8), granularity::per_tensor);
    REQUIRE(pt.gamma.size() == 1);
    CHECK(pt.gamma[0] == 0.25 * 100 / (7.0 * 255));
    CHECK(pt.s == std::vector<uint16_t>{255, 51});  // 20 * 255 / 100 = 51
    CHECK(pt.q == std::vector<int8_t>{7, 4, 7, -4});  // 50 * 1785 / (255 * 100) = 3.5 -> 4; -10 * 1785 / 5100 = -3.5 -> -4
}

TEST_CASE("vsquant: activations use a calibrated max and saturate beyond it", "[vsquant]") {
    // Default A = 127 (the int8 range): no calibration needed.
    const int8_t a[] = {-128, 127, 1, 0};
    const tensor t = quantize_activations(a, 1, 4, 0.1, cfg_of(2, 8));
    // vector 0: amax 128: s = round(128 * 255 / 127) = 257 -> 255; q = round(-128 * 1785 / (255 * 127)) = round(-7.06) = -7, 127 -> 7.
    // vector 1: amax 1: s = round(255 / 127) = 2; q = round(1785 / 254) = round(7.03) = 7.
    CHECK(t.s == std::vector<uint16_t>{255, 2});
    CHECK(t.q == std::vector<int8_t>{-7, 7, 7, 0});
    CHECK(t.gamma == std::vector<double>{0.1 * 127 / 1785.0});
    // Calibrated max 64: 127 saturates (s = 255 and q clamped to 7).
    const tensor c = quantize_activations(a, 1, 4, 0.1, cfg_of(2, 8), 64);
    CHECK(c.s == std::vector<uint16_t>{255, 4});  // 1 * 255 / 64 = 3.98 -> 4
    CHECK(c.q == std::vector<int8_t>{-7, 7, 7, 0});
    CHECK_THROWS_AS(quantize_activations(a, 1, 4, 0.1, cfg_of(2, 8), 0), std::invalid_argument);
}

TEST_CASE("vsquant: the float path equals the int8 path on integer values", "[vsquant]") {
    std::mt19937_64 rng(3);
    for (uint32_t m : {4u, 6u, 8u})
        for (uint32_t v : {1u, 5u, 16u, 37u}) {
            const uint64_t ch = 6, k = 37;
            std::vector<int8_t> wi(ch * k);
            std::vector<float> wf(ch * k);
            for (uint64_t i = 0; i < ch * k; ++i) {
                const int x = static_cast<int>(rng() % 255) - 127;
                wi[i] = static_cast<int8_t>((i % 11 == 0) ? x : x / 8);  // mixed magnitudes
                wf[i] = static_cast<float>(wi[i]);
            }
            INFO("M " << m << " V " << v);
            const tensor ti = quantize_weights(wi.data(), ch, k, 1.0, cfg_of(v, m));
            const tensor tf = quantize_weights(wf.data(), ch, k, cfg_of(v, m));
            CHECK(ti.q == tf.q);
            CHECK(ti.s == tf.s);
            CHECK(ti.gamma == tf.gamma);
            const tensor ai = quantize_activations(wi.data(), ch, k, 1.0, cfg_of(v, m));
            const tensor af = quantize_activations(wf.data(), ch, k, cfg_of(v, m), 127.0);
            CHECK(ai.q == af.q);
            CHECK(ai.s == af.s);
            // Reconstruction: within half a step (s gamma / 2) of each unclipped element.
            for (uint64_t r = 0; r < ch; ++r)
                for (uint64_t j = 0; j < k; ++j) {
                    const double step = ti.scale(r, j / v) * ti.gamma_of(r);
                    if (std::abs(ti.q[r * k + j]) < QMAX) CHECK(std::fabs(ti.value(r, j) - wi[r * k + j]) <= step / 2 + 1e-12);
                }
        }
}

TEST_CASE("vsquant: per-vector scales beat plain per-channel 4-bit on rows with outliers", "[vsquant]") {
    // The accuracy helper on a float weight matrix whose magnitude varies along K.
    std::mt19937_64 rng(11);
    std::normal_distribution<double> g(0.0, 1.0);
    const uint64_t ch = 64, k = 256;
    std::vector<float> w(ch * k);
    for (uint64_t i = 0; i < ch * k; ++i) w[i] = static_cast<float>(g(rng) * ((i % k) % 64 == 0 ? 20.0 : 1.0));
    const tensor t = quantize_weights(w.data(), ch, k, cfg_of(16, 8));
    std::vector<double> ref(w.begin(), w.end()), vsq(ch * k), pc(ch * k);
    for (uint64_t r = 0; r < ch; ++r) {
        double amax = 0;
        for (uint64_t j = 0; j < k; ++j) amax = std::max(amax, std::fabs(static_cast<double>(w[r * k + j])));
        for (uint64_t j = 0; j < k; ++j) {
            vsq[r * k + j] = t.value(r, j);
            pc[r * k + j] = std::clamp(std::nearbyint(w[r * k + j] / (amax / 7)), -7.0, 7.0) * (amax / 7);
        }
    }
    const dtq::error_stats e_vsq = dtq::compare(ref, vsq), e_pc = dtq::compare(ref, pc);
    CHECK(e_vsq.mean_abs < e_pc.mean_abs / 3);
    CHECK(e_vsq.cosine > e_pc.cosine);
    CHECK(e_vsq.cosine > 0.99);
}

TEST_CASE("vsquant: GEMM equals the element-wise reference bit for bit", "[vsquant]") {
    std::mt19937_64 rng(5);
    struct shape {
        uint64_t m, n, k;
        uint32_t v, bits;
    };
    const shape shapes[] = {
        {3, 4, 64, 16, 8},   // V divides K
        {5, 3, 37, 16, 6},   // V does not divide K: a last vector of 5
        {2, 7, 37, 37, 4},   // V = K: one vector
        {4, 4, 10, 16, 8},   // V > K: one short vector
        {3, 2, 23, 1, 8},    // V = 1: a scale per element
        {1, 1, 1, 16, 4},    // one element
        {6, 5, 100, 7, 6},
    };
    for (const shape& s : shapes) {
        INFO("M " << s.m << " N " << s.n << " K " << s.k << " V " << s.v << " bits " << s.bits);
        const tensor a = random_tensor(s.m, s.k, cfg_of(s.v, s.bits), rng);
        const tensor w = random_tensor(s.n, s.k, cfg_of(s.v, s.bits), rng);
        CHECK(gemm(a, w) == reference_gemm(a, w));
    }
}

TEST_CASE("vsquant: GEMM at scale-factor extremes", "[vsquant]") {
    std::mt19937_64 rng(9);
    // All scales max and all codes -8: each vector gives 64 V * 255^2.
    // K = 40, V = 16: vectors of 16, 16, 8 -> 64 * 40 * 65025 = 166464000.
    tensor a = random_tensor(2, 40, cfg_of(16, 8), rng, true);
    tensor w = random_tensor(3, 40, cfg_of(16, 8), rng, true);
    std::vector<int64_t> c = gemm(a, w);
    CHECK(c == std::vector<int64_t>(6, 166464000));
    CHECK(c == reference_gemm(a, w));
    // 4-bit scales at max (15): 64 * 40 * 225 = 576000.
    tensor a4 = random_tensor(1, 40, cfg_of(16, 4), rng, true), w4 = random_tensor(1, 40, cfg_of(16, 4), rng, true);
    CHECK(gemm(a4, w4) == std::vector<int64_t>{576000});
    // A zero scale removes exactly its vector: zero the middle vector of a's row 0 -> 64 * 24 * 65025.
    a.s[1] = 0;
    c = gemm(a, w);
    CHECK(c[0] == 64 * 24 * 65025);
    CHECK(c[3] == 166464000);
    CHECK(c == reference_gemm(a, w));
    // All scales zero: all zero.
    std::fill(w.s.begin(), w.s.end(), 0);
    CHECK(gemm(a, w) == std::vector<int64_t>(6, 0));
    // Random codes with a mix of 0 and max scales.
    tensor x = random_tensor(4, 50, cfg_of(16, 6), rng), y = random_tensor(5, 50, cfg_of(16, 6), rng);
    for (size_t i = 0; i < x.s.size(); ++i) x.s[i] = (i % 2) ? 63 : 0;
    for (size_t i = 0; i < y.s.size(); ++i) y.s[i] = (i % 3) ? 63 : 0;
    CHECK(gemm(x, y) == reference_gemm(x, y));
}

TEST_CASE("vsquant: dequantized GEMM of quantized tensors approximates the float product", "[vsquant]") {
    std::mt19937_64 rng(21);
    std::uniform_int_distribution<int> d(-127, 127);
    const uint64_t M = 8, N = 12, K = 96;
    std::vector<int8_t> ai(M * K), wi(N * K);
    for (auto& v : ai) v = static_cast<int8_t>(d(rng) / ((rng() % 4) + 1));
    for (auto& v : wi) v = static_cast<int8_t>(d(rng));
    const double sa = 0.05, sw = 0.01;
    const tensor a = quantize_activations(ai.data(), M, K, sa, config{});
    const tensor w = quantize_weights(wi.data(), N, K, sw, config{});
    const std::vector<double> got = dequantize(gemm(a, w), a, w);
    std::vector<double> ref(M * N, 0.0);
    for (uint64_t m = 0; m < M; ++m)
        for (uint64_t n = 0; n < N; ++n) {
            int64_t acc = 0;
            for (uint64_t k = 0; k < K; ++k) acc += int64_t{ai[m * K + k]} * wi[n * K + k];
            ref[m * N + n] = static_cast<double>(acc) * sa * sw;
        }
    const dtq::error_stats e = dtq::compare(ref, got);
    CHECK(e.n == M * N);
    CHECK(e.cosine > 0.98);
    CHECK(e.mean_abs < 0.1 * e.ref_max_abs);
}

TEST_CASE("vsquant: bad configurations and operands throw", "[vsquant]") {
    CHECK_THROWS_AS(validate(cfg_of(0, 8)), std::invalid_argument);
    CHECK_THROWS_AS(validate(cfg_of(16, 5)), std::invalid_argument);
    CHECK_NOTHROW(validate(cfg_of(16, 4)));
    const int8_t w[] = {1, 2, 3, 4};
    CHECK_THROWS_AS(quantize_weights(w, 1, 4, 1.0, cfg_of(16, 7)), std::invalid_argument);
    CHECK_THROWS_AS(quantize_weights(w, 1, 4, 0.0, cfg_of(16, 8)), std::invalid_argument);
    CHECK_THROWS_AS(quantize_weights(w, 0, 4, 1.0, cfg_of(16, 8)), std::invalid_argument);
    std::mt19937_64 rng(1);
    tensor a = random_tensor(2, 10, cfg_of(4, 8), rng), b = random_tensor(2, 11, cfg_of(4, 8), rng);
    CHECK_THROWS_AS(gemm(a, b), std::invalid_argument);  // K differs
    tensor c = random_tensor(2, 10, cfg_of(5, 8), rng);
    CHECK_THROWS_AS(gemm(a, c), std::invalid_argument);  // V differs
    tensor d = random_tensor(2, 10, cfg_of(4, 8), rng);
    d.q[3] = 8;
    CHECK_THROWS_AS(gemm(a, d), std::invalid_argument);  // code beyond 4 bits
    d.q[3] = 0;
    d.s[0] = 256;
    CHECK_THROWS_AS(gemm(a, d), std::invalid_argument);  // scale beyond M bits
}

TEST_CASE("vsquant: PE tile cycles by hand and against the uniform 4-bit VSSA tile", "[vsquant]") {
    // 16 x 16, K 64: load 1 + steps (64 + 16 + 16 - 2 = 94) + scale stage 1 + drain 16 = 112.
    CHECK(tile_cycles(16, 16, 64) == 112);
    // 16 x 18 (dtqatten array), K 128: 1 + 160 + 1 + 16 = 178.
    CHECK(tile_cycles(16, 18, 128) == 178);
    CHECK(tile_cycles(1, 1, 1) == 1 + 1 + 1 + 1);
    CHECK(tile_cycles(16, 16, 64, 0) == 111);
    CHECK(tile_cycles(0, 16, 64) == 0);
    for (int r : {1, 4, 16})
        for (int c : {1, 7, 18})
            for (int k : {1, 16, 100}) {
                dtq::vssa::tile_job job;
                job.rows = r;
                job.cols = c;
                job.k = k;
                job.row_bits.assign(static_cast<size_t>(r), 4);
                job.col_bits.assign(static_cast<size_t>(c), 4);
                CHECK(tile_cycles(static_cast<uint64_t>(r), static_cast<uint64_t>(c), static_cast<uint64_t>(k)) ==
                      dtq::vssa::run_tile_model(job).cycles + SCALE_STAGES);
            }
    // GEMM 40 x 20 x 64 on 16 x 16 arrays: row tiles 16, 16, 8; column tiles 16, 4.
    // (16,16) 112, (16,4) 1 + 82 + 1 + 16 = 100, (8,16) 1 + 86 + 1 + 8 = 96, (8,4) 1 + 74 + 1 + 8 = 84.
    CHECK(gemm_cycles(40, 20, 64, 16, 16, 1) == 2 * (112 + 100) + 96 + 84);
    // Two arrays, round robin in order 112, 100, 112, 100, 96, 84: array 0 = 320, array 1 = 284.
    CHECK(gemm_cycles(40, 20, 64, 16, 16, 2) == 320);
    CHECK(gemm_cycles(0, 20, 64, 16, 16, 2) == 0);
    CHECK_THROWS_AS(gemm_cycles(4, 4, 4, 0, 16, 1), std::invalid_argument);
}

TEST_CASE("vsquant: scale-factor and DRAM bytes by hand", "[vsquant]") {
    const config m8 = cfg_of(16, 8), m6 = cfg_of(16, 6), m4 = cfg_of(16, 4);
    // K = 768, V = 16: 48 vectors per row.
    CHECK(vectors_per_row(768, m8) == 48);
    CHECK(element_row_bytes(768) == 384);
    CHECK(scale_row_bytes(768, m8) == 48);
    CHECK(scale_row_bytes(768, m6) == 36);
    CHECK(scale_row_bytes(768, m4) == 24);
    // K = 100: 7 vectors (the last of 4); 6-bit: 42 bits -> 6 bytes; elements 50 bytes; K = 7: 28 bits -> 4 bytes.
    CHECK(vectors_per_row(100, m6) == 7);
    CHECK(scale_row_bytes(100, m6) == 6);
    CHECK(element_row_bytes(100) == 50);
    CHECK(element_row_bytes(7) == 4);
    // A tile of 16 x 18 at K = 64 with 8-bit scales: (16 + 18) * 4 = 136 bytes.
    CHECK(tile_scale_bytes(16, 18, 64, m8) == 136);
    CHECK(buffer_scale_bytes(128, 768, m8) == 128 * 48);
    // Activations 128 x 768 per tensor: 128 * (384 + 48) + 4 = 55300 bytes; extra over 4-bit 6148.
    CHECK(dram_bytes(128, 768, m8, 1) == 55300);
    CHECK(extra_dram_bytes(128, 768, m8, 1) == 6148);
    // Weights 768 channels x 768 per channel: 768 * 432 + 768 * 4 = 334848; extra 768 * 52 = 39936.
    CHECK(dram_bytes(768, 768, m8, 768) == 334848);
    CHECK(extra_dram_bytes(768, 768, m8, 768) == 39936);
    // V = K: one scale per row.
    CHECK(scale_row_bytes(768, cfg_of(768, 4)) == 1);
}

TEST_CASE("vsquant: gemm_scaled equals gemm and plain loops for every operand mix", "[vsquant]") {
    std::mt19937_64 rng(77);
    for (const auto& [v, m, M, N, K] : {std::tuple{16u, 8u, 7u, 9u, 72u}, {5u, 4u, 3u, 4u, 23u}, {37u, 6u, 2u, 3u, 37u},
                                        {64u, 8u, 4u, 5u, 16u}, {1u, 8u, 3u, 2u, 5u}}) {
        const config c = cfg_of(v, m);
        const tensor a = random_tensor(M, K, c, rng), w = random_tensor(N, K, c, rng);
        // both operands VS-Quant: the library's reference GEMM
        CHECK(gemm_scaled(a.q.data(), a.s.data(), w.q.data(), w.s.data(), M, N, K, v) == gemm(a, w));
        // int8 values on one side (scale 1), or on both (a plain integer GEMM), by plain loops
        std::vector<int8_t> x(M * K);
        for (auto& e : x) e = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        std::vector<int64_t> one(M * N, 0), none(M * N, 0);
        for (uint64_t i = 0; i < M; ++i)
            for (uint64_t j = 0; j < N; ++j)
                for (uint64_t k = 0; k < K; ++k) {
                    one[i * N + j] += int64_t{x[i * K + k]} * w.q[j * K + k] * w.scale(j, k / v);
                    none[i * N + j] += int64_t{x[i * K + k]} * w.q[j * K + k];
                }
        CHECK(gemm_scaled(x.data(), nullptr, w.q.data(), w.s.data(), M, N, K, v) == one);
        CHECK(gemm_scaled(x.data(), nullptr, w.q.data(), nullptr, M, N, K, v) == none);
    }
    // int8 extremes: 128 x 128 x 3 = 49152 per element
    const std::vector<int8_t> lo(3, -128);
    CHECK(gemm_scaled(lo.data(), nullptr, lo.data(), nullptr, 1, 1, 3, 16) == std::vector<int64_t>{49152});
    CHECK_THROWS_AS(gemm_scaled(lo.data(), nullptr, lo.data(), nullptr, 1, 1, 3, 0), std::invalid_argument);
}

TEST_CASE("vsquant: rescale rounds half to even exactly", "[vsquant]") {
    CHECK(rescale(5, 1, 2) == 2);     // 2.5 -> 2
    CHECK(rescale(7, 1, 2) == 4);     // 3.5 -> 4
    CHECK(rescale(-5, 1, 2) == -2);   // -2.5 -> -2
    CHECK(rescale(-7, 1, 2) == -4);   // -3.5 -> -4
    CHECK(rescale(10, 127, 1785) == 1);  // 1270 / 1785 = 0.711
    CHECK(rescale(-10, 127, 1785) == -1);
    // a product beyond int64 before the division: (2^62) x 1785 / 1785
    CHECK(rescale(int64_t{1} << 62, 1785, 1785) == int64_t{1} << 62);
    const ratio r = gamma_ratio(127, cfg_of(16, 8));
    CHECK(r.num == 127);
    CHECK(r.den == 7 * 255);
    CHECK_THROWS_AS(rescale(1, 1, 0), std::invalid_argument);
}

TEST_CASE("vsquant: scales pack LSB first and unpack to the same values", "[vsquant]") {
    // 6-bit scales 1, 63, 5 at bits 0-5, 6-11, 12-17: byte 0 = bit 0 + bits 6, 7 = 0xC1; byte 1 =
    // bits 8-11 (63) + bits 12, 14 (5) = 0x5F; byte 2 = bits 16, 17 = 0 (18 bits, 3 bytes)
    const uint16_t s[3] = {1, 63, 5};
    const std::vector<uint8_t> p = pack_scales(s, 1, 3, 6);
    CHECK(p == std::vector<uint8_t>{0xC1, 0x5F, 0x00});
    CHECK(unpack_scales(p.data(), 1, 3, 6) == std::vector<uint16_t>{1, 63, 5});
    // 4-bit: two per byte, two rows of 3 -> 2 bytes per row
    const uint16_t t[6] = {1, 2, 3, 15, 0, 9};
    const std::vector<uint8_t> q = pack_scales(t, 2, 3, 4);
    CHECK(q == std::vector<uint8_t>{0x21, 0x03, 0x0F, 0x09});
    CHECK(unpack_scales(q.data(), 2, 3, 4) == std::vector<uint16_t>(t, t + 6));
    CHECK(pack_scales(t, 2, 3, 8) == std::vector<uint8_t>{1, 2, 3, 15, 0, 9});
    const uint16_t big[1] = {16};
    CHECK_THROWS_AS(pack_scales(big, 1, 1, 4), std::invalid_argument);
}
