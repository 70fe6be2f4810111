// Importance accumulator and top-k engines against straightforward references
// written here (full sort with the tie rule), and the cycle formula by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "topk/topk.h"

using namespace dtq::topk;

namespace {

// Reference: sort every candidate by (score desc, id asc), take k, return ids ascending.
std::vector<uint32_t> reference_topk(const std::vector<uint32_t>& scores, std::vector<uint32_t> cand, size_t k) {
    std::sort(cand.begin(), cand.end(), [&](uint32_t a, uint32_t b) {
        return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
    });
    cand.resize(std::min(k, cand.size()));
    std::sort(cand.begin(), cand.end());
    return cand;
}

}  // namespace

TEST_CASE("importance: column sums over rows and heads, through a column -> token map", "[topk]") {
    importance_accumulator acc(4);
    // head 0: 2 rows x 3 columns for tokens {3, 0, 2}
    const uint8_t h0[] = {10, 20, 30, 1, 2, 3};
    acc.accumulate(h0, 2, 3, {3, 0, 2});
    // head 1: 1 row x 2 columns for tokens {0, 1}
    const uint8_t h1[] = {100, 200};
    acc.accumulate(h1, 1, 2, {0, 1});
    // token 0: 20 + 2 + 100; token 1: 200; token 2: 30 + 3; token 3: 10 + 1
    CHECK(acc.scores() == std::vector<uint32_t>{122, 200, 33, 11});
    CHECK(importance_accumulator::cycles(128, 128, 16) == 128 * 8);
    CHECK(importance_accumulator::cycles(3, 17, 16) == 3 * 2);
}

TEST_CASE("top-k: ties go to the lower token id", "[topk]") {
    const std::vector<uint32_t> scores = {5, 9, 5, 9, 5, 1};
    const std::vector<uint32_t> all = {0, 1, 2, 3, 4, 5};
    CHECK(select(scores, all, 1) == std::vector<uint32_t>{1});
    CHECK(select(scores, all, 3) == std::vector<uint32_t>{0, 1, 3});
    CHECK(select(scores, all, 4) == std::vector<uint32_t>{0, 1, 2, 3});
    CHECK(select(scores, all, 0).empty());
    CHECK(select(scores, all, 10) == all);
}

TEST_CASE("top-k: random scores with many ties match the full-sort reference", "[topk]") {
    std::mt19937 rng(7);
    for (int iter = 0; iter < 500; ++iter) {
        const size_t n = 1 + rng() % 300;
        std::vector<uint32_t> scores(n);
        const uint32_t range = 1 + rng() % 40;  // few distinct values: many ties
        for (auto& s : scores) s = rng() % range;
        std::vector<uint32_t> cand(n);
        std::iota(cand.begin(), cand.end(), 0u);
        std::shuffle(cand.begin(), cand.end(), rng);
        cand.resize(1 + rng() % n);
        const size_t k = rng() % (cand.size() + 1);
        REQUIRE(select(scores, cand, k) == reference_topk(scores, cand, k));
    }
}

TEST_CASE("top-k: two engines split tokens into 8-bit, 4-bit and pruned", "[topk]") {
    const std::vector<uint32_t> scores = {50, 10, 40, 30, 20, 60, 0, 45};
    const std::vector<uint32_t> cand = {0, 1, 2, 3, 4, 5, 6, 7};
    engine_config c;
    const precision_split s = split(c, scores, cand, 5, 2);
    CHECK(s.bits8 == std::vector<uint32_t>{0, 5});          // 60, 50
    CHECK(s.bits4 == std::vector<uint32_t>{2, 3, 7});       // 45, 40, 30
    CHECK(s.pruned == std::vector<uint32_t>{1, 4, 6});      // 20, 10, 0
    // By hand: engine 0 over 8 candidates, a pass ceil(8/16) + 4 = 5 cycles, the 256-bin
    // scan 16: 4 x (5 + 16) + 5 = 89; engine 1 over the 5 survivors: the same 89.
    CHECK(s.cycles == 89 + 89);
}

TEST_CASE("top-k: engine 1 selects among engine 0's survivors, not among all candidates", "[topk]") {
    // 40 candidates, keep 10, 3 of them 8-bit. Engine 0 streams 40 scores: ceil(40/16) + 4 = 7
    // cycles a pass, 4 x (7 + 16) + 7 = 99; engine 1 streams the 10 survivors: 1 + 4 = 5,
    // 4 x (5 + 16) + 5 = 89.
    std::vector<uint32_t> scores(40), cand(40);
    for (uint32_t i = 0; i < 40; ++i) scores[i] = (i * 37) % 41, cand[i] = i;
    engine_config c;
    const precision_split s = split(c, scores, cand, 10, 3);
    CHECK(s.bits8.size() == 3);
    CHECK(s.bits4.size() == 7);
    CHECK(s.pruned.size() == 30);
    CHECK(s.cycles == 99 + 89);
}

TEST_CASE("top-k: cycle formula by hand", "[topk]") {
    engine_config c;  // 16 lanes, 8-bit digits of a 32-bit score, latency 4
    // 128 candidates: a pass is 128/16 + 4 = 12 cycles; scan of 256 bins 256/16 = 16.
    // 4 digits x (12 + 16) + emit 12 = 124.
    CHECK(select_cycles(c, 128, 90) == 124);
    // 90 candidates: ceil(90/16) = 6 -> pass 10; 4 x 26 + 10 = 114.
    CHECK(select_cycles(c, 90, 39) == 114);
    CHECK(select_cycles(c, 0, 0) == 0);
    c.lanes = 64;
    // 128/64 + 4 = 6; scan 256/64 = 4; 4 x 10 + 6 = 46.
    CHECK(select_cycles(c, 128, 1) == 46);
}

TEST_CASE("top-k: counts from ratios round to nearest and clamp", "[topk]") {
    CHECK(count_from_ratio(0.72, 128) == 92);   // 92.16
    CHECK(count_from_ratio(0.306, 128) == 39);  // 39.168
    CHECK(count_from_ratio(1.5, 10) == 10);
    CHECK(count_from_ratio(1e300, 10) == 10);  // no overflow in the conversion
    CHECK(count_from_ratio(-0.5, 10) == 0);
    CHECK(count_from_ratio(0.0, 10) == 0);
}

// The rule of docs/attention.md#token-counts-from-ratios, in integers: a ratio of p
// thousandths of n tokens is p n / 1000; the nearest integer, an exact half to the even one.
static uint64_t rule_count(uint64_t p_thousandths, uint64_t n) {
    const uint64_t num = p_thousandths * n, q = num / 1000, r = num % 1000;
    if (r > 500 || (r == 500 && q % 2 == 1)) return q + 1;
    return q;
}

TEST_CASE("top-k: ratio-to-count rounding at every seq 2..512 and every ratio in thousandths", "[topk]") {
    // Hand values first: seq 512 at the paper's ratios (0.28 pruned, 0.306 8-bit) keeps
    // 368.64 -> 369 tokens (143 pruned), 156.672 -> 157 at 8 bits, 212 at 4 bits; a floor
    // gives 144 / 212 / 156. Exact halves: 0.306 x 250 = 76.5 -> 76, 0.7 x 45 = 31.5 -> 32
    // (the double product is 31.499999999999996), 0.5 x 3 = 1.5 -> 2, 0.5 x 5 = 2.5 -> 2.
    CHECK(count_from_ratio(1.0 - 0.28, 512) == 369);
    CHECK(count_from_ratio(0.306, 512) == 157);
    CHECK(count_from_ratio(0.306, 250) == 76);
    CHECK(count_from_ratio(1.0 - 0.3, 45) == 32);
    CHECK(count_from_ratio(0.5, 3) == 2);
    CHECK(count_from_ratio(0.5, 5) == 2);
    CHECK(rule_count(720, 512) == 369);
    CHECK(rule_count(700, 45) == 32);
    uint64_t checked = 0, mismatches = 0;
    for (uint64_t n = 2; n <= 512; ++n)
        for (uint64_t p = 0; p <= 1000; ++p) {
            const uint64_t want = rule_count(p, n);
            // As the scenarios give them: a kept fraction (k1 = ratio_8bit x n) and one minus
            // the pruned fraction (k0 = (1 - ratio_pruned) x n), both doubles from decimals.
            const uint64_t direct = count_from_ratio(static_cast<double>(p) / 1000.0, n);
            const uint64_t complement = count_from_ratio(1.0 - static_cast<double>(1000 - p) / 1000.0, n);
            if (direct != want || complement != want) {
                if (++mismatches <= 10)
                    FAIL_CHECK("p = " << p << "/1000, n = " << n << ": rule " << want << ", got " << direct << " and "
                                      << complement);
            }
            ++checked;
        }
    CHECK(checked == 511 * 1001);
    CHECK(mismatches == 0);
}
