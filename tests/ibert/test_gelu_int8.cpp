// i-GELU on int8 inputs (the GELU command; docs/ibert.md#i-gelu-on-int8-inputs): the erf shift n
// is the smallest that keeps every int8 input's intermediates and result in int32. The rule by
// hand at three scales, then the constants and every int8 result against the Python reference
// (../shared/refs/ibert_ref.py at that n, run through tests/ibert/gelu_int8_ref.py, which
// applies the rule again on its own) at 66 scales from 7.9e-5 to 4.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <nlohmann/json.hpp>

#include "ibert/kernels.h"
#include "ibert/normact.h"

using namespace dtq;

namespace {

std::vector<int64_t> all_int8() {
    std::vector<int64_t> x;
    for (int v = -128; v < 128; ++v) x.push_back(v);
    return x;
}

// The largest |result| over every int8 input, from the kernel (for the bound's soundness)
int64_t max_abs_out(const ibert::gelu_consts_t& k) {
    int64_t m = 0;
    for (int64_t y : ibert::i_gelu_int(all_int8(), k).y) m = std::max(m, y < 0 ? -y : y);
    return m;
}

}  // namespace

TEST_CASE("gelu int8: the shift rule by hand at S = 1/32, 2^-12 and 5e-5", "[ibert][gelu]") {
    constexpr int64_t I32 = std::numeric_limits<int32_t>::max();  // 2147483647
    // S = 1/32 (the synthetic models' S_ACT): Sk = S / 1.4142 = 0.0220971;
    // b_int = floor(-1.769 / Sk) = floor(-80.055) = -81; c_int = floor(-3.46260 / Sk^2) =
    // floor(-3.46260 / 4.88292e-4) = floor(-7091.3) = -7092; at n = 0 erf_scale = -0.2888 Sk^2 =
    // -1.41019e-4 and shift_int = floor(1 / erf_scale) = floor(-7091.2) = -7092.
    // V = 81^2 + 7092 = 13653, E = 13653, 128 (13653 + 7092) = 2655360 <= 2^31 - 1: n = 0.
    {
        const ibert::gelu_consts_t k = ibert::gelu_consts_int8(1.0 / 32);
        CHECK(k.n == 0);
        CHECK(k.b_int == -81);
        CHECK(k.c_int == -7092);
        CHECK(k.shift_int == -7092);
        CHECK(ibert::gelu_int8_bound(k) == 2655360);
        CHECK(max_abs_out(k) <= 2655360);
        // I-BERT's n = 14 stays available (int32 inputs, the golden vectors): erf shift 14,
        // shift_int = floor(-7091.2 / 2^14) = -1
        const ibert::gelu_consts_t k14 = ibert::gelu_consts(1.0 / 32);
        CHECK(k14.n == 14);
        CHECK(k14.b_int == -81);
        CHECK(k14.c_int == -7092);
        CHECK(k14.shift_int == -1);
    }
    // S = 2^-12: Sk = 1.72633e-4; b_int = floor(-10247.2) = -10248; c_int = floor(-3.46260 /
    // 2.98023e-8) = -116183478; V = 10248^2 + 116183478 = 105021504 + 116183478 = 221204982.
    // n = 4: E = ceil(V / 16) = 13825312, shift_int = floor(-116183477.4 / 16) = -7261468,
    //        128 (13825312 + 7261468) = 2699107840 > 2^31 - 1;
    // n = 5: E = ceil(V / 32) = 6912656, shift_int = floor(-116183477.4 / 32) = -3630734,
    //        128 (6912656 + 3630734) = 1349553920 <= 2^31 - 1: n = 5.
    {
        const ibert::gelu_consts_t k = ibert::gelu_consts_int8(std::ldexp(1.0, -12));
        CHECK(k.n == 5);
        CHECK(k.b_int == -10248);
        CHECK(k.c_int == -116183478);
        CHECK(k.shift_int == -3630734);
        CHECK(ibert::gelu_int8_bound(k) == 1349553920);
        CHECK(max_abs_out(k) <= 1349553920);
        const ibert::gelu_consts_t k4 = ibert::gelu_consts(std::ldexp(1.0, -12), {}, 4);
        CHECK(k4.shift_int == -7261468);
        CHECK(ibert::gelu_int8_bound(k4) == 2699107840);
        CHECK(ibert::gelu_int8_bound(k4) > I32);
    }
    // S = 5e-5: Sk = 3.53557e-5, b_int = floor(-50034.3) = -50035 and b_int^2 = 2503501225 alone
    // is beyond 2^31 - 1 whatever n: refused.
    {
        CHECK(ibert::gelu_consts(5e-5, {}, 0).b_int == -50035);
        CHECK_THROWS_AS(ibert::gelu_consts_int8(5e-5), std::range_error);
        CHECK_THROWS_WITH(ibert::gelu_consts_int8(5e-5), Catch::Contains("leaves int32 whatever the shift n"));
    }
}

TEST_CASE("gelu int8: constants and every int8 result equal the reference at the chosen n, 66 scales", "[ibert][gelu]") {
    const std::string out = std::string(DTQ_BINARY_DIR) + "/gelu_int8." + std::to_string(::getpid()) + ".json";
    const std::string cmd = std::string(DTQ_PYTHON) + " " + DTQ_SOURCE_DIR + "/tests/ibert/gelu_int8_ref.py " +
                            DTQ_SHARED_DIR + "/refs " + out;
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream f(out);
    const nlohmann::json j = nlohmann::json::parse(f);
    std::remove(out.c_str());
    const std::vector<int64_t> x = j["x"].get<std::vector<int64_t>>();
    std::vector<int8_t> x8(x.begin(), x.end());
    size_t n = 0, shifted = 0;
    for (const auto& c : j["cases"]) {
        const double s = c["scale"].get<double>();
        INFO("scale " << s);
        const ibert::gelu_consts_t k = ibert::gelu_consts_int8(s);
        CHECK(k.n == c["n"].get<int>());
        CHECK(k.b_int == c["b_int"].get<int64_t>());
        CHECK(k.c_int == c["c_int"].get<int64_t>());
        CHECK(k.shift_int == c["shift_int"].get<int64_t>());
        CHECK(k.erf_scale == c["erf_scale"].get<double>());
        CHECK(k.out_scale == c["out_scale"].get<double>());
        const std::vector<int64_t> want = c["y"].get<std::vector<int64_t>>();
        CHECK(ibert::i_gelu_int(x, k).y == want);
        std::vector<int32_t> row(x.size());
        ibert::normact::gelu_row(x8.data(), x8.size(), k, row.data());  // the unit's table
        CHECK(std::vector<int64_t>(row.begin(), row.end()) == want);
        shifted += k.n > 0;
        ++n;
    }
    CHECK(n == 66);
    CHECK(shifted > 5);  // the finest scales need n > 0
    for (const auto& s : j["refused"]) CHECK_THROWS_AS(ibert::gelu_consts_int8(s.get<double>()), std::range_error);
}
