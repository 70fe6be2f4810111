// The synthetic model's weight generator (platform/workloads/synthetic.h): the fast form
// (draws by index, vector lanes) against the sequential splitmix64 it replaced
// (docs/performance.md#synthetic-weights), and its two building blocks on their own.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "platform/workloads/synthetic.h"

using namespace dtq;

namespace {
// An independent generator for the test inputs (xorshift64*), not the one under test.
struct xs64 {
    uint64_t s;
    uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545f4914f6cdd1dull;
    }
};
}  // namespace

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

TEST_CASE("small_mod(d)(x) == x % d for d < 2^16", "[synthetic]") {
    xs64 r{99};
    std::vector<uint64_t> divisors = {1, 2, 3, 7, 81, 111, 255, 4095, 65535};
    for (int i = 0; i < 40; ++i) divisors.push_back(1 + r.next() % 65535);
    for (uint64_t d : divisors) {
        const small_mod m(d);
        std::vector<uint64_t> xs = {0, 1, d - 1, d, d + 1, ~0ull, ~0ull - 1, 1ull << 63, (1ull << 32) - 1, 1ull << 32,
                                    (1ull << 48) - 1, 0xffffffff00000000ull};
        for (uint64_t k = 1; k < 1000; ++k) {  // around multiples of d, where the binary64 quotient can be off by one
            const uint64_t base = (r.next() >> (r.next() % 64)) / d * d;
            xs.push_back(base);
            xs.push_back(base - 1);
            xs.push_back(base + 1);
            xs.push_back(r.next());
        }
        for (uint64_t x : xs) REQUIRE(static_cast<uint64_t>(m(x)) == x % d);
    }
    // d = 111 (the weights' 2 x 55 + 1) on every y = (x >> 32) * 7 + (x mod 2^32) near the top of its range
    const small_mod m111(111);
    for (uint64_t h = (1ull << 32) - 4096; h < (1ull << 32); ++h)
        for (uint64_t l : {0ull, 1ull, 110ull, 111ull, 0xffffffffull, 0xfffffff0ull}) {
            const uint64_t x = (h << 32) | l;
            REQUIRE(static_cast<uint64_t>(m111(x)) == x % 111);
        }
}

TEST_CASE("synthetic_weight_blocks == the sequential generator it replaced (with and without the rank-1 term)", "[synthetic]") {
    xs64 r{2026};
    struct shape {
        uint64_t n, k;
    };
    // the model's shapes (d 768 / 1024, FFN 3072 / 4096 are covered by their factors) and odd ones
    for (shape s : {shape{1, 1}, shape{3, 5}, shape{17, 33}, shape{64, 768}, shape{768, 64}, shape{31, 257}, shape{8, 1024}}) {
        std::vector<int8_t> u(s.k), v(s.n);
        for (auto& x : u) x = static_cast<int8_t>(static_cast<int>(r.next() % 255) - 127);
        for (auto& x : v) x = (r.next() & 1) ? 1 : -1;
        for (int t = 0; t < 3; ++t) {
            const uint64_t seed = r.next();
            CHECK(synthetic_weight_blocks(s.n, s.k, seed, nullptr, nullptr) == synthetic_weight_reference(s.n, s.k, seed, nullptr, nullptr));
            CHECK(synthetic_weight_blocks(s.n, s.k, seed, u.data(), v.data()) == synthetic_weight_reference(s.n, s.k, seed, u.data(), v.data()));
        }
    }
    // the clamp at +-127 and its two sides: large rank-1 terms
    std::vector<int8_t> u(40, 127), v(9, 1);
    v[3] = -1;
    CHECK(synthetic_weight_blocks(9, 40, 5, u.data(), v.data()) == synthetic_weight_reference(9, 40, 5, u.data(), v.data()));
    // the model's own seeds (model_workload.cpp: seed * 1000003 + layer * 64 + 1..6), one FFN matrix in full
    CHECK(synthetic_weight_blocks(3072, 768, 1 * 1000003 + 5, nullptr, nullptr) == synthetic_weight_reference(3072, 768, 1 * 1000003 + 5, nullptr, nullptr));
    // and the form the model uses on this build (blocks with AVX-512 DQ, else sequential)
    CHECK(synthetic_weight(64, 768, 77, nullptr, nullptr) == synthetic_weight_reference(64, 768, 77, nullptr, nullptr));
}
