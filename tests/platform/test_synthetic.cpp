// The synthetic model's weight generator (platform/workloads/synthetic.h): one splitmix64
// draw per weight split into four 16-bit lanes (docs/performance.md#one-draw-weights). The
// vectorised generator against a scalar form of the definition written here, its histogram
// against the pmf computed here from the definition, and splitmix64_at on its own.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "platform/workloads/synthetic.h"
#include "xs64.h"  // the tests' own generator

using namespace dtq;

TEST_CASE("splitmix64_at(seed, d) is the d-th next() of splitmix64(seed)", "[synthetic]") {
    // splitmix64's published first output for seed 0 (Vigna's splitmix64.c): 0xe220a8397b1dcdaf
    CHECK(splitmix64_at(0, 0) == 0xe220a8397b1dcdafull);
    xs64 r{0x1234567};
    for (int t = 0; t < 20; ++t) {
        const uint64_t seed = r.next();
        splitmix64 g(seed);
        for (uint64_t d = 0; d < 1000; ++d) REQUIRE(splitmix64_at(seed, d) == g.next());
    }
}

namespace {
// The definition, scalar and sequential: the e-th weight takes splitmix64(seed)'s e-th
// output x; lane l = bits 16l .. 16l + 15 of x, c_l = floor(lane x 111 / 65536) in [0, 110];
// bell = (c_0 + c_1 + c_2 + c_3 - 220) / 2 rounded toward zero; plus u_i v_j, clamped to +-127.
std::vector<int8_t> reference(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v) {
    splitmix64 g(seed);
    std::vector<int8_t> w(n * k);
    for (uint64_t j = 0; j < n; ++j)
        for (uint64_t i = 0; i < k; ++i) {
            const uint64_t x = g.next();
            int64_t s = 0;
            for (int l = 0; l < 4; ++l) s += static_cast<int64_t>((x >> (16 * l)) % 65536 * 111 / 65536);
            const int64_t bell = s >= 220 ? (s - 220) / 2 : -((220 - s) / 2);
            const int64_t r = bell + (u ? int64_t{u[i]} * int64_t{v[j]} : 0);
            w[j * k + i] = static_cast<int8_t>(r > 127 ? 127 : r < -127 ? -127 : r);
        }
    return w;
}
}  // namespace

TEST_CASE("synthetic_weight == the scalar definition (with and without the rank-1 term)", "[synthetic]") {
    xs64 r{2026};
    struct shape {
        uint64_t n, k;
    };
    // the model's shapes (d 768 / 1024, FFN 3072 / 4096 are covered by their factors), odd
    // ones and block tails (the generator works in blocks of 512 per row)
    for (shape s : {shape{1, 1}, shape{3, 5}, shape{17, 33}, shape{64, 768}, shape{768, 64}, shape{31, 257}, shape{8, 1024},
                    shape{5, 511}, shape{5, 513}, shape{2, 1537}}) {
        std::vector<int8_t> u(s.k), v(s.n);
        for (auto& x : u) x = static_cast<int8_t>(static_cast<int>(r.next() % 255) - 127);
        for (auto& x : v) x = (r.next() & 1) ? 1 : -1;
        for (int t = 0; t < 3; ++t) {
            const uint64_t seed = r.next();
            CHECK(synthetic_weight(s.n, s.k, seed, nullptr, nullptr) == reference(s.n, s.k, seed, nullptr, nullptr));
            CHECK(synthetic_weight(s.n, s.k, seed, u.data(), v.data()) == reference(s.n, s.k, seed, u.data(), v.data()));
        }
    }
    // the clamp at +-127 and its two sides: large rank-1 terms
    std::vector<int8_t> u(40, 127), v(9, 1);
    v[3] = -1;
    u[7] = -127;
    const std::vector<int8_t> w = synthetic_weight(9, 40, 5, u.data(), v.data());
    CHECK(w == reference(9, 40, 5, u.data(), v.data()));
    CHECK(w[0] == 127);
    CHECK(w[3 * 40] == -127);
    // into a caller's buffer: the same bytes, nothing written past n x k
    std::vector<int8_t> buf(64 * 768 + 16, 99);
    synthetic_weight_into(buf.data(), 64, 768, 77, nullptr, nullptr);
    CHECK(std::vector<int8_t>(buf.begin(), buf.begin() + 64 * 768) == reference(64, 768, 77, nullptr, nullptr));
    for (size_t i = 64 * 768; i < buf.size(); ++i) REQUIRE(buf[i] == 99);
}

TEST_CASE("synthetic_weight_range == the same elements of the scalar definition, at any start and length", "[synthetic]") {
    // What a generated DRAM range reads (docs/performance.md#generated-weights): random
    // windows, crossing rows and the generator's 512-weight blocks, starting anywhere.
    xs64 r{4711};
    for (const auto& [n, k] : {std::pair<uint64_t, uint64_t>{7, 768}, {5, 1537}, {33, 17}, {3, 3072}}) {
        std::vector<int8_t> u(k), v(n);
        for (auto& x : u) x = static_cast<int8_t>(static_cast<int>(r.next() % 255) - 127);
        for (auto& x : v) x = (r.next() & 1) ? 1 : -1;
        const uint64_t seed = r.next();
        for (const bool rank1 : {false, true}) {
            const std::vector<int8_t> want = reference(n, k, seed, rank1 ? u.data() : nullptr, rank1 ? v.data() : nullptr);
            for (int t = 0; t < 40; ++t) {
                const uint64_t first = r.next() % (n * k), len = 1 + r.next() % (n * k - first);
                std::vector<int8_t> got(len + 1, 99);
                synthetic_weight_range(got.data(), first, len, k, seed, rank1 ? u.data() : nullptr, rank1 ? v.data() : nullptr);
                REQUIRE(std::equal(got.begin(), got.end() - 1, want.begin() + static_cast<std::ptrdiff_t>(first)));
                REQUIRE(got.back() == 99);  // nothing past len
            }
        }
    }
}

TEST_CASE("synthetic_weight's histogram follows the pmf of its definition", "[synthetic]") {
    // pmf of one lane's c: n(c) of the 65536 lane values have floor(lane x 111 / 65536) = c
    // (590 or 591 each; 65536 = 111 x 590 + 46)
    std::vector<double> lane(111, 0.0);
    for (uint64_t x = 0; x < 65536; ++x) lane[x * 111 / 65536] += 1.0 / 65536.0;
    int n590 = 0, n591 = 0;
    for (double p : lane) (std::lround(p * 65536) == 590 ? n590 : n591) += 1;
    CHECK(n590 == 65);
    CHECK(n591 == 46);
    // the sum of 4 independent lanes (the 64 bits of a splitmix64 output), then the bell
    std::vector<double> sum(1, 1.0);
    for (int l = 0; l < 4; ++l) {
        std::vector<double> next(sum.size() + 110, 0.0);
        for (size_t s = 0; s < sum.size(); ++s)
            for (size_t c = 0; c < 111; ++c) next[s + c] += sum[s] * lane[c];
        sum = next;
    }
    std::map<int, double> pmf;  // weight -> probability
    for (int s = 0; s <= 440; ++s) pmf[s >= 220 ? (s - 220) / 2 : -((220 - s) / 2)] += sum[static_cast<size_t>(s)];
    CHECK(pmf.begin()->first == -110);
    CHECK(pmf.rbegin()->first == 110);
    double mean = 0, var = 0;
    for (auto [w, p] : pmf) mean += w * p;
    for (auto [w, p] : pmf) var += (w - mean) * (w - mean) * p;
    // tools/weight_distribution.py (exact rationals): mean -0.0016684, variance 1013.8414
    CHECK(mean == Approx(-0.0016684).margin(1e-6));
    CHECK(var == Approx(1013.8414).margin(1e-3));

    // one FFN matrix of the model's seeds (model_workload.cpp: seed x 1000003 + layer x 64 + 1..6)
    const uint64_t n = 3072, k = 768;
    const std::vector<int8_t> w = synthetic_weight(n, k, 1 * 1000003 + 5, nullptr, nullptr);
    std::map<int, double> hist;
    double m1 = 0, m2 = 0;
    for (int8_t x : w) {
        hist[x] += 1;
        m1 += x;
        m2 += static_cast<double>(x) * x;
    }
    const double N = static_cast<double>(w.size());
    for (auto [v, c] : hist) REQUIRE(pmf.count(v) == 1);  // nothing outside [-110, 110]
    double chi2 = 0;
    for (auto [v, p] : pmf) {
        const double e = N * p, c = hist.count(v) ? hist[v] : 0.0;
        INFO("weight " << v << ": " << c << " against " << e);
        CHECK(std::abs(c - e) <= 5 * std::sqrt(e) + 1);  // 5 sigma per bin
        chi2 += (c - e) * (c - e) / e;
    }
    // 220 degrees of freedom: mean 220, sd 21; 350 is beyond 6 sd
    CHECK(chi2 < 350);
    const double sm = m1 / N, sv = m2 / N - sm * sm;
    CHECK(std::abs(sm - mean) < 5 * std::sqrt(var / N));  // sd of the sample mean: 0.021
    CHECK(sv == Approx(var).epsilon(0.01));
}

TEST_CASE("splitmix64::skip(n) is n calls of next()", "[synthetic]") {
    for (const uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{7}, uint64_t{3073}}) {
        splitmix64 a(99), b(99);
        for (uint64_t i = 0; i < n; ++i) a.next();
        b.skip(n);
        CHECK(a.next() == b.next());
        CHECK(a.uniform(0, 999) == b.uniform(0, 999));
    }
}
