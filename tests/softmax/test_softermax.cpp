// Softermax mode of the softmax unit: bit for bit against the golden vectors of
// tools/softermax_ref.py, the online-normalization identity on long rows, hand-computed
// rows, the mode dispatch of dtq::softmax::run and the cycle formulas.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "softmax/softmax_unit.h"

using namespace dtq::softmax;

namespace {

nlohmann::json load(const std::string& path) {
    std::ifstream f(path);
    REQUIRE(f.good());
    return nlohmann::json::parse(f);
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

template <class T>
std::vector<T> as_vec(const nlohmann::json& j) {
    return j.get<std::vector<T>>();
}

// sum of the exponentials the normalization pass uses (each aligned to the final max).
uint64_t final_numerator_sum(const softermax_out& o) {
    uint64_t s = 0;
    for (size_t i = 0; i < o.e_local.size(); ++i) {
        const int64_t d = int64_t{o.max} - o.m_local[i];
        s += d >= 64 ? 0 : (uint64_t{o.e_local[i]} >> d);
    }
    return s;
}

}  // namespace

TEST_CASE("softermax: golden vectors of tools/softermax_ref.py bit for bit", "[softmax][softermax]") {
    const nlohmann::json doc = load(DTQ_SOFTERMAX_VECTORS);
    REQUIRE(doc.at("format_version") == 1);
    const auto& w = doc.at("widths");
    CHECK(w.at("x_bits") == SOFTERMAX_X_BITS);
    CHECK(w.at("x_frac") == SOFTERMAX_X_FRAC);
    CHECK(w.at("e_frac") == SOFTERMAX_E_FRAC);
    CHECK(w.at("seg_bits") == SOFTERMAX_SEG_BITS);
    CHECK(w.at("sum_bits") == SOFTERMAX_SUM_BITS);
    CHECK(as_vec<uint32_t>(w.at("pow2_table")) == std::vector<uint32_t>(std::begin(SOFTERMAX_POW2_TABLE), std::end(SOFTERMAX_POW2_TABLE)));
    const auto& cases = doc.at("cases");
    REQUIRE(cases.size() >= 60);
    size_t long_rows = 0, with_corrections = 0;
    for (const auto& c : cases) {
        INFO("case " << c.at("name").get<std::string>());
        const auto scores = as_vec<int64_t>(c.at("scores"));
        REQUIRE(scores.size() == c.at("n").get<size_t>());
        const double scale = std::strtod(c.at("scale_hex").get<std::string>().c_str(), nullptr);
        REQUIRE(scale == c.at("scale").get<double>());
        const softermax_out o = softermax_row(scores.data(), scores.size(), scale, c.at("output_bit").get<int>());
        CHECK(o.mult == std::strtod(c.at("mult_hex").get<std::string>().c_str(), nullptr));
        CHECK(o.me.m == c.at("m").get<int64_t>());
        CHECK(o.me.e == c.at("e").get<int>());
        CHECK(o.x == as_vec<int32_t>(c.at("x")));
        CHECK(o.max == c.at("max").get<int32_t>());
        CHECK(o.e_local == as_vec<uint32_t>(c.at("e_local")));
        CHECK(o.m_local == as_vec<int32_t>(c.at("m_local")));
        CHECK(o.sum == c.at("sum").get<uint64_t>());
        CHECK(o.corrections == c.at("corrections").get<uint32_t>());
        CHECK(o.recip == c.at("recip").get<uint64_t>());
        CHECK(o.y == as_vec<int64_t>(c.at("y")));
        CHECK(softermax_two_pass_sum(o.x) == c.at("two_pass_sum").get<uint64_t>());
        long_rows += scores.size() >= 512;
        with_corrections += o.corrections > 0;
    }
    CHECK(long_rows >= 6);
    CHECK(with_corrections >= 20);
}

TEST_CASE("softermax: the checked-in vectors are what the reference writes today", "[softmax][softermax]") {
    const std::string out = std::string(DTQ_BINARY_DIR) + "/softermax_vectors_regen.json";
    const std::string cmd = std::string(DTQ_PYTHON) + " " DTQ_SOFTERMAX_REF " vectors --seed 1 -o " + out;
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(slurp(out) == slurp(DTQ_SOFTERMAX_VECTORS));
}

TEST_CASE("softermax: pow2 table is correctly rounded and the interpolation stays within 2^-9", "[softmax][softermax]") {
    for (int s = 0; s <= 8; ++s) CHECK(std::fabs(SOFTERMAX_POW2_TABLE[s] - std::exp2(s / 8.0) * 32768.0) <= 0.5);
    uint32_t prev = 0;
    for (uint32_t f = 0; f < (1u << SOFTERMAX_X_FRAC); ++f) {
        const uint32_t p = softermax_pow2_frac(f);
        const double exact = std::exp2(f / 64.0) * 32768.0;
        CHECK(p >= prev);  // monotone
        CHECK(std::fabs(p - exact) / exact < 1.0 / 512);
        prev = p;
    }
    CHECK(softermax_pow2_frac(0) == 32768);
    CHECK(softermax_ceil_int(0) == 0);
    CHECK(softermax_ceil_int(1) == 1);
    CHECK(softermax_ceil_int(64) == 1);
    CHECK(softermax_ceil_int(65) == 2);
    CHECK(softermax_ceil_int(-1) == 0);
    CHECK(softermax_ceil_int(-64) == -1);
    CHECK(softermax_ceil_int(-65) == -1);
}

TEST_CASE("softermax: hand-computed rows", "[softmax][softermax]") {
    // Two zeros: x = 0, m = 0, e = 2^15 each, sum = 2^16, L = 17, r = 2^32 / 2^16 = 2^16,
    // y = (2^15 * 2^16 + 2^24) >> 25 = 64.
    const int64_t two[] = {0, 0};
    softermax_out o = softermax_row(two, 2, 0.01);
    CHECK(o.x == std::vector<int32_t>{0, 0});
    CHECK(o.sum == 65536);
    CHECK(o.recip == 65536);
    CHECK(o.y == std::vector<int64_t>{64, 64});
    // One element: the whole mass, 128, capped to 127.
    const int64_t one[] = {-123456};
    CHECK(softermax_row(one, 1, 0.001).y == std::vector<int64_t>{127});
    // scale = 1 / (64 log2 e) makes x = score (M = 1 within an ulp): scores
    // {64, 0}: x = {64, 0}; m = 1; e = {2^15, 2^15 >> 1 = 2^14}; sum = 49152 (L = 16);
    // r = floor(2^31 / 49152) = 43690; y = round(32768 * 43690 / 2^24) = round(85.33) = 85
    // and round(16384 * 43690 / 2^24) = round(42.67) = 43.
    const double unit = 1.0 / (64.0 * SOFTERMAX_LOG2E);
    const int64_t pair[] = {64, 0};
    o = softermax_row(pair, 2, unit);
    CHECK(o.x == std::vector<int32_t>{64, 0});
    CHECK(o.max == 1);
    CHECK(o.e_local == std::vector<uint32_t>{32768, 16384});
    CHECK(o.sum == 49152);
    CHECK(o.recip == 43690);
    CHECK(o.y == std::vector<int64_t>{85, 43});
    // Rising: {0, 64}: m goes 0 -> 1, the sum 2^15 is shifted to 2^14, then + 2^15.
    const int64_t rise[] = {0, 64};
    o = softermax_row(rise, 2, unit);
    CHECK(o.corrections == 1);
    CHECK(o.m_local == std::vector<int32_t>{0, 1});
    CHECK(o.sum == 49152);
    CHECK(o.y == std::vector<int64_t>{43, 85});
    // Saturation: scores far beyond 2^9 log2 units all clip to x = 32767: equal.
    const int64_t big[] = {int64_t{1} << 40, (int64_t{1} << 40) + 100000};
    o = softermax_row(big, 2, 1.0);
    CHECK(o.x == std::vector<int32_t>{SOFTERMAX_X_MAX, SOFTERMAX_X_MAX});
    CHECK(o.y == std::vector<int64_t>{64, 64});
}

TEST_CASE("softermax: online normalization identity on long rows", "[softmax][softermax]") {
    // S1 = one-pass running sum (shifted whenever the max grows), S2 = the sum of the same
    // exponentials each taken once against the final max. Floor shifts compose, and
    // floor(a + b) >= floor(a) + floor(b), so S2 <= S1; S1 <= the exact sum < S2 + n. The
    // numerators of the normalization pass add up to S2 exactly. Equality S1 == S2 whenever
    // the max never grows after the first element.
    std::mt19937_64 rng(20240611);
    double worst_rel = 0;
    for (uint64_t n : {512u, 1024u, 4096u, 16384u, 65536u}) {
        for (int kind = 0; kind < 4; ++kind) {
            std::vector<int64_t> s(n);
            std::normal_distribution<double> g(0.0, kind == 0 ? 1.0 : kind == 1 ? 4.0 : 0.5);
            int64_t walk = 0;
            for (uint64_t i = 0; i < n; ++i) {
                if (kind == 3) {  // rising walk: the max changes very often
                    walk += static_cast<int64_t>(rng() % 900) - 300;
                    s[i] = walk;
                } else {
                    s[i] = std::llround(g(rng) / 0.002);
                }
            }
            INFO("n " << n << " kind " << kind);
            const softermax_out o = softermax_row(s.data(), n, kind == 3 ? 0.001 : 0.002);
            const uint64_t s2 = softermax_two_pass_sum(o.x);
            if (kind == 3) CHECK(o.corrections >= std::min<uint64_t>(n / 8, 256));  // the walk rises until x saturates (2^9 log2 units)
            CHECK(s2 <= o.sum);
            CHECK(o.sum <= s2 + n - 1);
            CHECK(final_numerator_sum(o) == s2);
            worst_rel = std::max(worst_rel, static_cast<double>(o.sum - s2) / static_cast<double>(s2));
            // Max first: no correction, the two sums are equal.
            std::vector<int64_t> t(s);
            std::iter_swap(t.begin(), std::max_element(t.begin(), t.end()));
            const softermax_out p = softermax_row(t.data(), n, kind == 3 ? 0.001 : 0.002);
            CHECK(p.corrections == 0);
            CHECK(p.sum == softermax_two_pass_sum(p.x));
        }
    }
    // Measured: the one-pass sum is a little larger (fewer floors), well below 1 %.
    CHECK(worst_rel < 0.01);
    WARN("worst relative one-pass vs two-pass sum difference: " << worst_rel);
}

TEST_CASE("softmax unit: mode dispatch and cycles", "[softmax]") {
    std::mt19937_64 rng(7);
    const uint64_t rows = 5, cols = 33;
    std::vector<int64_t> s(rows * cols);
    for (auto& v : s) v = static_cast<int64_t>(rng() % 4001) - 2000;
    unit_config ib;
    CHECK(ib.mode == softmax_mode::ibert);  // the default does not change the pipeline
    const auto pi = run(ib, s.data(), rows, cols, 0.002);
    for (uint64_t r = 0; r < rows; ++r) {
        const std::vector<int64_t> row(s.begin() + static_cast<long>(r * cols), s.begin() + static_cast<long>((r + 1) * cols));
        dtq::ibert::softmax_params p;
        p.output_bit = 7;
        const auto o = dtq::ibert::i_softmax(row, 0.002, p);
        for (uint64_t j = 0; j < cols; ++j) CHECK(pi[r * cols + j] == std::min<int64_t>(o.y[j], 127));
    }
    unit_config sm;
    sm.mode = softmax_mode::softermax;
    const auto ps = run(sm, s.data(), rows, cols, 0.002);
    for (uint64_t r = 0; r < rows; ++r) {
        const softermax_out o = softermax_row(s.data() + r * cols, cols, 0.002, 7);
        for (uint64_t j = 0; j < cols; ++j) CHECK(ps[r * cols + j] == o.y[j]);
    }
    // Cycles: 16 lanes, latency 8. 128 x 128: i-softmax 128 (3 * 8 + 8) = 4096,
    // softermax 128 (2 * 8 + 8) = 3072; a partial vector costs a cycle: 33 -> 3 vectors.
    CHECK(cycles(ib, 128, 128) == 4096);
    CHECK(cycles(sm, 128, 128) == 3072);
    CHECK(cycles(sm, 512, 512) == 512 * (2 * 32 + 8));
    CHECK(cycles(ib, 512, 512) == 512 * (3 * 32 + 8));
    CHECK(cycles(sm, 5, 33) == 5 * (2 * 3 + 8));
    CHECK(cycles(sm, 0, 33) == 0);
    softmax_mode m = softmax_mode::ibert;
    CHECK(parse_mode("softermax", m));
    CHECK(m == softmax_mode::softermax);
    CHECK(parse_mode("ibert", m));
    CHECK(m == softmax_mode::ibert);
    CHECK_FALSE(parse_mode("Softermax", m));
    CHECK(std::string(mode_name(softmax_mode::softermax)) == "softermax");
}

TEST_CASE("softermax: bad arguments throw", "[softmax][softermax]") {
    const int64_t one[] = {1};
    CHECK_THROWS_AS(softermax_row(one, 0, 0.01), std::invalid_argument);
    CHECK_THROWS_AS(softermax_row(one, 1, 0.0), std::invalid_argument);
    CHECK_THROWS_AS(softermax_row(one, 1, -1.0), std::invalid_argument);
    CHECK_THROWS_AS(softermax_row(one, 1, std::nan("")), std::invalid_argument);
    CHECK_THROWS_AS(softermax_row(one, 1, 0.01, 16), std::invalid_argument);
    std::vector<int64_t> huge(SOFTERMAX_MAX_ROW + 1, 0);
    CHECK_THROWS_AS(softermax_row(huge.data(), huge.size(), 0.01), std::invalid_argument);
    CHECK_NOTHROW(softermax_row(huge.data(), SOFTERMAX_MAX_ROW, 0.01));  // sum = 2^31 still fits
}
