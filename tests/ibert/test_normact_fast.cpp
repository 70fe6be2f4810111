// The norm/act unit's row functions (ibert/normact.h) take fast paths (int64 arithmetic,
// a GELU table, no per-row allocation; docs/performance.md#i-bert-row-kernels). Each is
// compared here with the plain form it replaced (normact::reference, on the 128-bit
// kernels of kernels.h, themselves checked against the 140 golden vectors in test_ibert):
// the same outputs, or the same exception, on random rows and on the edges of the ranges.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "ibert/kernels.h"
#include "ibert/normact.h"
#include "xs64.h"  // the tests' own generator

using namespace dtq::ibert;

namespace {
// A row of int32: uniform in a random magnitude class, sometimes with the extremes.
std::vector<int32_t> row32(xs64& r, uint64_t cols) {
    const int bits = static_cast<int>(r.in(1, 31));
    const int64_t lim = (int64_t{1} << bits) - 1;
    std::vector<int32_t> x(cols);
    for (auto& v : x) v = static_cast<int32_t>(r.in(-lim - 1, lim));
    if (r.next() % 4 == 0) x[0] = std::numeric_limits<int32_t>::min();
    if (r.next() % 4 == 0) x[cols - 1] = std::numeric_limits<int32_t>::max();
    if (r.next() % 8 == 0) std::fill(x.begin(), x.end(), x[0]);  // constant: std 0
    return x;
}

template <class F>
std::string outcome(F f) {  // "" or the exception's type and message
    try {
        f();
    } catch (const std::overflow_error& e) {
        return std::string("overflow: ") + e.what();
    } catch (const std::exception& e) {
        return std::string("other: ") + e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("normact fast rows: REQUANT and RESADD equal the 128-bit form", "[ibert][normact]") {
    xs64 r{42};
    for (int t = 0; t < 3000; ++t) {
        // mostly even rows of up to 140, every 10th any length up to 3100 (odd ones, several 256-element blocks of the 4-bit packing)
        const uint64_t cols = t % 10 == 0 ? static_cast<uint64_t>(r.in(1, 3100)) : static_cast<uint64_t>(r.in(1, 70)) * 2;
        const std::vector<int32_t> x = row32(r, cols);
        // multipliers as dyadic() gives them (|m| in [2^30, 2^31]) and beyond; e around the fast range's ends
        const dyadic_t d = dyadic(std::ldexp(static_cast<double>(r.in(1, 1 << 20)), static_cast<int>(r.in(-40, 10))) *
                                  (r.next() & 1 ? 1 : -1));
        int64_t m = d.m;
        int e = d.e;
        switch (r.next() % 6) {
            case 0: e = static_cast<int>(r.in(-3, 3)); break;
            case 1: e = static_cast<int>(r.in(60, 70)); break;
            case 2: m = (r.next() & 1) ? (int64_t{1} << 31) : -(int64_t{1} << 31); break;
            case 3: m = r.in(-(int64_t{1} << 33), int64_t{1} << 33); break;
            default: break;
        }
        for (uint8_t bits : {uint8_t{8}, uint8_t{4}, uint8_t{0}}) {
            std::vector<uint8_t> a(cols, 0xAA), b(cols, 0xAA);
            uint64_t na = 0, nb = 0;
            const std::string ea = outcome([&] { na = normact::requant_row(x.data(), cols, m, e, bits, a.data()); });
            const std::string eb = outcome([&] { nb = normact::reference::requant_row(x.data(), cols, m, e, bits, b.data()); });
            REQUIRE(ea == eb);
            REQUIRE(na == nb);
            REQUIRE(a == b);
        }
        std::vector<int8_t> res(cols);
        for (auto& v : res) v = static_cast<int8_t>(r.in(-128, 127));
        const dyadic_t d1 = dyadic(static_cast<double>(r.in(1, 1000)) / 997.0);
        std::vector<int32_t> a(cols), b(cols);
        const std::string ea = outcome([&] { normact::resadd_row(x.data(), res.data(), cols, m, e, d1.m, d1.e, a.data()); });
        const std::string eb = outcome([&] { normact::reference::resadd_row(x.data(), res.data(), cols, m, e, d1.m, d1.e, b.data()); });
        REQUIRE(ea == eb);
        REQUIRE(a == b);
    }
}

TEST_CASE("normact fast rows: LAYERNORM equals the 128-bit i_layernorm, shift adjustment included", "[ibert][normact]") {
    xs64 r{7};
    int adjusted = 0;
    for (int t = 0; t < 3000; ++t) {
        const uint64_t cols = static_cast<uint64_t>(r.in(1, 1024));
        const std::vector<int32_t> x = row32(r, cols);
        const int shift = static_cast<int>(r.next() % 3 == 0 ? r.in(0, 40) : 0);
        std::vector<int32_t> bias(cols);
        for (auto& v : bias) v = static_cast<int32_t>(r.in(-(1 << 30), 1 << 30));
        const int32_t* bp = (r.next() & 1) ? bias.data() : nullptr;
        std::vector<int32_t> a(cols, 7), b(cols, 7);
        const std::string ea = outcome([&] { normact::layernorm_row(x.data(), cols, shift, bp, a.data()); });
        const std::string eb = outcome([&] { normact::reference::layernorm_row(x.data(), cols, shift, bp, b.data()); });
        REQUIRE(ea == eb);
        REQUIRE(a == b);
        std::vector<int64_t> xi(x.begin(), x.end());
        adjusted += i_layernorm(xi, std::vector<double>(cols, 1.0), std::vector<double>(cols, 0.0), shift).shift_adjusted;
    }
    CHECK(adjusted > 1000);  // the overflow handling was exercised, not only the plain path
    // edges: one column; a shift beyond the fast range; a negative shift (the reference's error)
    for (int shift : {0, 61, 62, 63, 100, -1}) {
        const int32_t x[2] = {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
        for (uint64_t cols : {uint64_t{1}, uint64_t{2}}) {
            int32_t a[2] = {1, 1}, b[2] = {1, 1};
            const std::string ea = outcome([&] { normact::layernorm_row(x, cols, shift, nullptr, a); });
            const std::string eb = outcome([&] { normact::reference::layernorm_row(x, cols, shift, nullptr, b); });
            REQUIRE(ea == eb);
            REQUIRE(a[0] == b[0]);
            REQUIRE(a[1] == b[1]);
        }
    }
}

TEST_CASE("normact fast rows: GELU's table equals i_gelu_int, for changing constants and overflowing ones", "[ibert][normact]") {
    xs64 r{3};
    std::vector<int8_t> all(256);
    for (int v = 0; v < 256; ++v) all[static_cast<size_t>(v)] = static_cast<int8_t>(v - 128);
    int overflowed = 0;
    for (int t = 0; t < 400; ++t) {
        // scales from tiny (large constants, results leaving int32) to large
        const double scale = std::ldexp(static_cast<double>(r.in(1, 1000)) / 1000.0, static_cast<int>(r.in(-30, 2)));
        gelu_consts_t k;
        try {
            k = gelu_consts(scale);
        } catch (const std::overflow_error&) {  // constants beyond int64: no row to compare
            continue;
        }
        for (int rep = 0; rep < 3; ++rep) {  // the same constants again: the cached table
            const uint64_t cols = rep == 0 ? 256 : static_cast<uint64_t>(r.in(1, 300));
            std::vector<int8_t> x = rep == 0 ? all : std::vector<int8_t>(cols);
            if (rep) for (auto& v : x) v = static_cast<int8_t>(r.in(-128, 127));
            std::vector<int32_t> a(cols, 5), b(cols, 5);
            const std::string ea = outcome([&] { normact::gelu_row(x.data(), cols, k, a.data()); });
            const std::string eb = outcome([&] { normact::reference::gelu_row(x.data(), cols, k, b.data()); });
            REQUIRE(ea == eb);
            overflowed += !ea.empty();
            if (ea.empty()) REQUIRE(a == b);
        }
    }
    CHECK(overflowed > 0);
}

TEST_CASE("floor_div: its 64-bit path == floor division in 128 bits", "[ibert][fast]") {
    // the plain form, written here: truncating 128-bit division, then one down when the
    // remainder is non-zero and the signs differ
    const auto plain = [](i128 a, i128 b) {
        i128 q = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) --q;
        return q;
    };
    constexpr int64_t MIN = std::numeric_limits<int64_t>::min(), MAX = std::numeric_limits<int64_t>::max();
    std::vector<i128> as = {0, 1, -1, 7, -7, 8, -8, MAX, MIN, i128{MIN} + 1, i128{MAX} - 1, i128{MAX} + 1, i128{MIN} - 1,
                            i128{1} << 100, -(i128{1} << 100)};
    std::vector<i128> bs = {1, -1, 2, -2, 3, -3, 7, -7, MAX, MIN, i128{MIN} + 1, i128{MAX} + 1, i128{MIN} - 1, -(i128{1} << 70)};
    xs64 r{31};
    for (int i = 0; i < 3000; ++i) {
        const int sa = static_cast<int>(r.in(0, 63)), sb = static_cast<int>(r.in(0, 40));
        as.push_back(static_cast<i128>(static_cast<int64_t>(r.next()) >> sa));
        bs.push_back(static_cast<i128>(static_cast<int64_t>(r.next()) >> (23 + sb % 40)));
    }
    // i-exp's own operands: x - max (<= 0, up to 65 bits) over x0_int (negative, small)
    for (int i = 0; i < 2000; ++i) {
        as.push_back(-static_cast<i128>(r.next() >> r.in(0, 63)));
        bs.push_back(-r.in(1, 100000));
    }
    for (size_t i = 0; i < as.size(); ++i)
        for (size_t j = i % 7; j < bs.size(); j += 97)
            if (bs[j] != 0) REQUIRE(floor_div(as[i], bs[j]) == plain(as[i], bs[j]));
}

TEST_CASE("i_softmax_row == i_softmax's y (random rows, scales, output bits, QuantAct settings, exceptions)", "[ibert][fast]") {
    xs64 r{4242};
    int compared = 0, thrown = 0, fast = 0, wide = 0;  // plans whose exp runs in int64 (fast64) or in 128 bits
    int rq_fast = 0, rq_saturated = 0;  // plans whose QuantAct takes the u128 form; rows with a value at its limit
    int rq_u64 = 0;                     // of those, plans in its uint64 form (33 <= e <= 94)
    for (int t = 0; t < 3000; ++t) {
        softmax_params p;
        p.output_bit = static_cast<int>(r.in(0, 32));
        const int mode = static_cast<int>(r.in(0, 4));
        if (mode == 1) p.exp_act_bits.reset();
        if (mode == 2) p.exp_act_bits = static_cast<int>(r.in(1, 64));
        if (mode == 3) p.exp_act_max_int = r.in(-5, int64_t{1} << 40);
        if (mode == 4) p.exp_act_max_real = std::ldexp(static_cast<double>(r.in(1, 1000)), static_cast<int>(r.in(-20, 40)));
        // the scores' scale as the softmax unit sees it (2^-10 / sqrt(64) and around), sometimes large
        const double scale = std::ldexp(static_cast<double>(r.in(1, 4096)), -static_cast<int>(r.in(8, 24)));
        const uint64_t n = static_cast<uint64_t>(r.in(1, 200));
        const int bits = static_cast<int>(r.in(1, 62));  // values up to 2^62 - 1, plus the int64 extremes below
        const int64_t lim = (int64_t{1} << bits) - 1;
        std::vector<int64_t> x(n);
        for (auto& v : x) v = r.in(-lim, lim);
        if (r.next() % 16 == 0) x[0] = std::numeric_limits<int64_t>::min();
        if (r.next() % 16 == 0) x[n - 1] = std::numeric_limits<int64_t>::max();
        if (r.next() % 8 == 0) std::fill(x.begin(), x.end(), x[0]);
        std::string ref_error, row_error;
        std::vector<int64_t> ref, y(n, 12345);
        try {
            ref = i_softmax(x, scale, p).y;
        } catch (const std::exception& e) {
            ref_error = e.what();
        }
        try {
            const softmax_plan plan = plan_softmax(scale, p);
            ++(plan.fast64 ? fast : wide);
            rq_fast += plan.rq_fast;
            rq_u64 += plan.rq_fast && plan.me16.e >= 33 && plan.me16.e <= 94;
            i_softmax_row(x.data(), n, plan, y.data());
            if (plan.rq_fast && ref_error.empty())  // did a value reach the saturation limit? (the reference's exp_int)
                for (int64_t v : i_softmax(x, scale, p).exp_int) rq_saturated += static_cast<uint64_t>(v) >= plan.rq_limit;
        } catch (const std::exception& e) {
            row_error = e.what();
        }
        INFO("row " << t << " n " << n << " scale " << scale << " output_bit " << p.output_bit << " mode " << mode);
        REQUIRE(row_error == ref_error);
        if (ref_error.empty()) {
            REQUIRE(y == ref);
            ++compared;
        } else {
            ++thrown;
        }
    }
    // both kinds occur, and both forms of the exp (the scales 2^-24 .. 16 straddle the int64 bound)
    CHECK(compared > 1000);
    CHECK(thrown > 10);
    CHECK(fast > 300);
    CHECK(wide > 30);
    CHECK(rq_fast > 200);
    CHECK(rq_u64 > 100);
    CHECK(rq_fast - rq_u64 > 20);
    CHECK(rq_saturated > 20);
}
