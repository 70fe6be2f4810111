// The rv32 firmware's host math (sw/hal/dtq_hostmath.c, portable C with its own 128-bit
// helpers) against the C++ I-BERT kernels the VP's native host math and the on-chip units use
// (models/ibert, models/softmax): bit for bit, on seeded random rows.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "dtq_hostmath.h"
#include "ibert/kernels.h"
#include "ibert/normact.h"
#include "softmax/softmax_unit.h"

extern "C" {
int dtq_c_softmax(const int32_t* scores, int8_t* probs, uint32_t cols, uint32_t seen, int32_t shift, int32_t head_dim);
int dtq_c_layernorm(const int32_t* x, int32_t* y, uint32_t cols, int32_t shift, const int32_t* bias);
int dtq_c_gelu(const int8_t* x, int32_t* y, uint32_t n, int32_t b_int, int32_t c_int, int32_t shift_int, int32_t shift);
}

TEST_CASE("hostmath: portable C softmax equals the C++ i-softmax unit", "[hostmath]") {
    std::mt19937_64 rng(7);
    int rows = 0;
    for (int shift : {0, 3, 6, 8, 10, 12})
        for (int range : {1 << 8, 1 << 14, 1 << 20})
            for (int r = 0; r < 8; ++r) {
                const uint32_t cols = 1 + static_cast<uint32_t>(rng() % 200), seen = 1 + static_cast<uint32_t>(rng() % cols);
                std::vector<int32_t> x(cols);
                for (auto& v : x) v = static_cast<int32_t>(static_cast<int64_t>(rng() % (2 * range)) - range);
                std::vector<int8_t> c(cols, 99);
                const int rc = dtq_c_softmax(x.data(), c.data(), cols, seen, shift, 64);
                const double scale = std::ldexp(1.0, -shift) / std::sqrt(64.0);
                const std::vector<int64_t> sc(x.begin(), x.begin() + seen);
                const std::vector<int8_t> ref = dtq::softmax::run(dtq::softmax::unit_config{}, sc.data(), 1, seen, scale);
                INFO("shift " << shift << " range " << range << " cols " << cols << " seen " << seen);
                REQUIRE(rc == DTQ_HOSTMATH_OK);
                for (uint32_t j = 0; j < cols; ++j) REQUIRE(int{c[j]} == (j < seen ? int{ref[j]} : 0));
                ++rows;
            }
    CHECK(rows == 144);
}

TEST_CASE("hostmath: portable C LayerNorm equals the C++ i-LayerNorm", "[hostmath]") {
    std::mt19937_64 rng(11);
    for (int shift : {0, 1, 2, 4})
        for (int range : {1 << 10, 1 << 20, 1 << 30})
            for (int r = 0; r < 6; ++r) {
                const uint32_t cols = 1 + static_cast<uint32_t>(rng() % 800);
                std::vector<int32_t> x(cols), bias(cols), c(cols), ref(cols);
                for (auto& v : x) v = static_cast<int32_t>(static_cast<int64_t>(rng() % (2 * uint64_t(range))) - range);
                for (auto& v : bias) v = static_cast<int32_t>(static_cast<int64_t>(rng() % 2001) - 1000);
                const int rc = dtq_c_layernorm(x.data(), c.data(), cols, shift, r % 2 ? bias.data() : nullptr);
                dtq::ibert::normact::layernorm_row(x.data(), cols, shift, r % 2 ? bias.data() : nullptr, ref.data());
                INFO("shift " << shift << " range " << range << " cols " << cols);
                REQUIRE(rc == DTQ_HOSTMATH_OK);
                REQUIRE(c == ref);
            }
}

TEST_CASE("hostmath: portable C GELU equals the C++ i-GELU on every int8 input", "[hostmath]") {
    std::vector<int8_t> x(256);
    for (int i = 0; i < 256; ++i) x[static_cast<size_t>(i)] = static_cast<int8_t>(i - 128);
    // I-BERT's n = 14 and the GELU command's int8 shift (n = 0 from 2^-9 up, 5 at 2^-12, 8 at 8e-5)
    for (double scale : {8e-5, 2.44140625e-4, 0.01, 0.05, 0.1, 0.3})
        for (const dtq::ibert::gelu_consts_t& k : {dtq::ibert::gelu_consts(scale), dtq::ibert::gelu_consts_int8(scale)}) {
            std::vector<int32_t> c(256), ref(256);
            const int rc = dtq_c_gelu(x.data(), c.data(), 256, static_cast<int32_t>(k.b_int), static_cast<int32_t>(k.c_int),
                                      static_cast<int32_t>(k.shift_int), k.n);
            dtq::ibert::normact::gelu_row(x.data(), 256, k, ref.data());
            INFO("scale " << scale << " n " << k.n);
            REQUIRE(rc == DTQ_HOSTMATH_OK);
            CHECK(c == ref);
        }
    // A shift too small for the scale: some result leaves int32 (the C++ row throws), and a shift
    // beyond the command's 0..31
    const dtq::ibert::gelu_consts_t k = dtq::ibert::gelu_consts(8e-5, {}, 0);
    std::vector<int32_t> c(256), ref(256);
    CHECK(dtq_c_gelu(x.data(), c.data(), 256, static_cast<int32_t>(k.b_int), static_cast<int32_t>(k.c_int),
                     static_cast<int32_t>(k.shift_int), 0) == DTQ_HOSTMATH_BAD_INPUT);
    CHECK_THROWS_AS(dtq::ibert::normact::gelu_row(x.data(), 256, k, ref.data()), std::overflow_error);
    CHECK(dtq_c_gelu(x.data(), c.data(), 256, -26, -693, -693, 32) == DTQ_HOSTMATH_BAD_INPUT);
}
