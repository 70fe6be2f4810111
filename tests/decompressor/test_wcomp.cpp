// NM24 codec and decompressor timing (docs/compression.md). Expectations are derived here
// by hand or by an independent formulation, never copied from the program's output.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "decompressor/wcomp.h"
#include "vssa/gemm.h"

using namespace dtq;

namespace {

std::vector<int8_t> random_weights(uint64_t n, uint64_t k, uint32_t seed, int lo = -128, int hi = 127) {
    std::mt19937 g(seed);
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<int8_t> w(n * k);
    for (auto& x : w) x = static_cast<int8_t>(d(g));
    return w;
}

// Independent W': per group of 4, the two largest |w| by an explicit double loop (a weight is
// dropped if two others beat it: larger |w|, or equal |w| at a lower index).
std::vector<int8_t> pruned_by_hand(const std::vector<int8_t>& w) {
    std::vector<int8_t> p(w.size(), 0);
    for (size_t g = 0; g < w.size(); g += 4)
        for (size_t i = 0; i < 4; ++i) {
            int beaten = 0;
            for (size_t j = 0; j < 4; ++j) {
                const int ai = std::abs(int{w[g + i]}), aj = std::abs(int{w[g + j]});
                if (j != i && (aj > ai || (aj == ai && j < i))) ++beaten;
            }
            if (beaten < 2) p[g + i] = w[g + i];
        }
    return p;
}

// round_half_even in doubles (exact for these small integers)
int code_by_hand(int w, int s) {
    const double x = static_cast<double>(w) / s;
    double r = std::nearbyint(x);  // default rounding mode: to nearest, ties to even
    return static_cast<int>(std::clamp(r, -7.0, 7.0));
}

uint32_t entry_at(const std::vector<uint8_t>& img, uint64_t r) {
    uint32_t e = 0;
    std::memcpy(&e, &img[4 * r], 4);
    return e;
}

}  // namespace

TEST_CASE("wcomp: a 1 x 8 row byte by byte", "[wcomp]") {
    // groups {10, -3, 7, 0} keeps 10 (pos 0) and 7 (pos 2); {1, -128, 1, 2} keeps -128 (1), 2 (3)
    const std::vector<int8_t> w = {10, -3, 7, 0, 1, -128, 1, 2};
    const std::vector<uint8_t> img8 = wcomp::compress(w.data(), 1, 8, 0.0);
    REQUIRE(img8.size() == 4 + 5);
    CHECK(entry_at(img8, 0) == 0u);                            // offset 0, 8-bit row
    CHECK(img8[4] == (0 | 2 << 2 | (1 | 3 << 2) << 4));        // index byte 0b11'01'10'00 = 0xD8
    CHECK(img8[4] == 0xD8);
    CHECK(img8[5] == 10);
    CHECK(img8[6] == 7);
    CHECK(img8[7] == static_cast<uint8_t>(-128));
    CHECK(img8[8] == 2);
    const std::vector<int8_t> d8 = wcomp::decompress(img8.data(), img8.size(), 1, 8);
    CHECK(d8 == std::vector<int8_t>{10, 0, 7, 0, 0, -128, 0, 2});

    // 4-bit: amax 128 -> s = min(ceil(128 / 7), 18) = 18; codes 10/18 -> 1, 7/18 -> 0, -128/18 -> -7, 2/18 -> 0
    const std::vector<uint8_t> img4 = wcomp::compress(w.data(), 1, 8, 1.0);
    REQUIRE(img4.size() == 4 + 3);
    CHECK(entry_at(img4, 0) == (18u << 24));
    CHECK(img4[4] == 0xD8);
    CHECK(img4[5] == (1 | 0 << 4));
    CHECK(img4[6] == (0x9 | 0 << 4));  // -7 = 0b1001
    CHECK(wcomp::decompress(img4.data(), img4.size(), 1, 8) == std::vector<int8_t>{18, 0, 0, 0, 0, -126, 0, 0});
}

TEST_CASE("wcomp: round trip equals W' on random weights", "[wcomp]") {
    for (double f : {0.0, 0.25, 0.5, 1.0})
        for (auto [n, k] : {std::pair<uint64_t, uint64_t>{1, 8}, {7, 64}, {64, 72}, {33, 768}}) {
            const std::vector<int8_t> w = random_weights(n, k, static_cast<uint32_t>(n * 131 + k + static_cast<uint64_t>(f * 8)));
            const std::vector<uint8_t> img = wcomp::compress(w.data(), n, k, f);
            const uint64_t n4 = wcomp::rows_4bit(n, f);
            CHECK(img.size() == 4 * n + (n - n4) * k / 8 * 5 + n4 * k / 8 * 3);
            const std::vector<int8_t> d = wcomp::decompress(img.data(), img.size(), n, k);
            CHECK(d == wcomp::represented(w.data(), n, k, f));
            // by hand: 8-bit rows are the pruned rows; 4-bit rows are code x s of them
            const std::vector<int8_t> p = pruned_by_hand(w);
            uint64_t rows4 = 0;
            for (uint64_t r = 0; r < n; ++r) {
                const uint32_t s = wcomp::entry_scale(entry_at(img, r));
                rows4 += s != 0;
                int amax = 0;
                for (uint64_t i = 0; i < k; ++i) amax = std::max(amax, std::abs(int{p[r * k + i]}));
                if (s) CHECK(static_cast<int>(s) == std::clamp((amax + 6) / 7, 1, 18));
                bool same = true;
                for (uint64_t i = 0; i < k; ++i) {
                    const int want = s ? code_by_hand(p[r * k + i], static_cast<int>(s)) * static_cast<int>(s) : p[r * k + i];
                    same = same && d[r * k + i] == want;
                }
                CHECK(same);
            }
            CHECK(rows4 == n4);
        }
}

TEST_CASE("wcomp: adversarial weights: zeros ties and -128", "[wcomp]") {
    const uint64_t n = 4, k = 16;
    std::vector<int8_t> zero(n * k, 0), ties(n * k, 5), low(n * k, -128);
    for (uint64_t i = 0; i < n * k; i += 2) ties[i] = -5;  // |w| all equal: keep positions 0 and 1
    for (double f : {0.0, 0.5, 1.0}) {
        for (const auto* w : {&zero, &ties, &low}) {
            const std::vector<uint8_t> img = wcomp::compress(w->data(), n, k, f);
            const std::vector<int8_t> d = wcomp::decompress(img.data(), img.size(), n, k);
            CHECK(d == wcomp::represented(w->data(), n, k, f));
            CHECK(d.size() == n * k);
        }
        // all zero: every W' element 0; a 4-bit zero row has s = 1
        const std::vector<uint8_t> z = wcomp::compress(zero.data(), n, k, f);
        CHECK(wcomp::decompress(z.data(), z.size(), n, k) == zero);
        if (f == 1.0) CHECK(wcomp::entry_scale(entry_at(z, 0)) == 1u);
        // ties: positions 0 and 1 of each group kept
        std::vector<int8_t> want(n * k, 0);
        for (uint64_t i = 0; i < n * k; i += 4) want[i] = -5, want[i + 1] = 5;
        const std::vector<uint8_t> t = wcomp::compress(ties.data(), n, k, f);
        const std::vector<int8_t> dt = wcomp::decompress(t.data(), t.size(), n, k);
        if (f == 0.0) CHECK(dt == want);
        if (f == 1.0) CHECK(dt == want);  // s = ceil(5 / 7) = 1: code 5 x 1 exact
        // -128: 8-bit rows keep -128 exactly; 4-bit rows give -7 x 18 = -126
        const std::vector<uint8_t> l = wcomp::compress(low.data(), n, k, f);
        const std::vector<int8_t> dl = wcomp::decompress(l.data(), l.size(), n, k);
        for (uint64_t r = 0; r < n; ++r) {
            const bool four = wcomp::entry_scale(entry_at(l, r)) != 0;
            CHECK(dl[r * k] == (four ? -126 : -128));
            CHECK(dl[r * k + 2] == 0);
        }
    }
}

TEST_CASE("wcomp: the rule picks the rows with the smallest 4-bit error", "[wcomp]") {
    // row 0: values that are multiples of s = 2 (max 14): exact at 4 bits; row 1: noisy; row 2: zeros
    const uint64_t k = 8;
    std::vector<int8_t> w = {14, 2, 0, 0, 4, 6, 0, 0,  //
                             15, 1, 0, 0, 13, 3, 0, 0,  // s = 3: 15 -> 5 exact, 13 -> 4 (12), 3 -> 1, 1 -> 0
                             0, 0, 0, 0, 0, 0, 0, 0};
    const std::vector<bool> two = wcomp::choose_4bit_rows(w.data(), 3, k, 2.0 / 3.0);
    CHECK(two == std::vector<bool>{true, false, true});
    const std::vector<bool> one = wcomp::choose_4bit_rows(w.data(), 3, k, 1.0 / 3.0);
    CHECK(one == std::vector<bool>{true, false, false});  // rows 0 and 2 both exact: the lower row
    CHECK(wcomp::rows_4bit(3, 0.5) == 2u);  // 1.5 rounds half up
    CHECK(wcomp::rows_4bit(4, 0.5) == 2u);
    CHECK(wcomp::code_of(9, 2) == 4);   // 4.5 -> 4 (even)
    CHECK(wcomp::code_of(11, 2) == 6);  // 5.5 -> 6
    CHECK(wcomp::code_of(-9, 2) == -4);
    CHECK(wcomp::code_of(-128, 1) == -7);
}

TEST_CASE("wcomp: the GEMM on decompressed weights equals the reference GEMM on W'", "[wcomp]") {
    const uint64_t M = 5, N = 24, K = 40;
    const std::vector<int8_t> a = random_weights(M, K, 7), w = random_weights(N, K, 8);
    const std::vector<uint8_t> img = wcomp::compress(w.data(), N, K, 0.5);
    const std::vector<int8_t> wd = wcomp::decompress(img.data(), img.size(), N, K);
    std::vector<int32_t> c(M * N);
    vssa::gemm_s8(a.data(), wd.data(), c.data(), M, N, K, 1);
    const std::vector<int8_t> wp = wcomp::represented(w.data(), N, K, 0.5);
    for (uint64_t i = 0; i < M; ++i)
        for (uint64_t j = 0; j < N; ++j) {
            int64_t s = 0;
            for (uint64_t x = 0; x < K; ++x) s += int64_t{a[i * K + x]} * wp[j * K + x];
            CHECK(c[i * N + j] == s);
        }
}

TEST_CASE("wcomp: malformed images are rejected with their byte offset", "[wcomp]") {
    const std::vector<int8_t> w = random_weights(2, 16, 3);
    const std::vector<uint8_t> good = wcomp::compress(w.data(), 2, 16, 0.5);
    const auto fails_at = [](std::vector<uint8_t> img, uint64_t off) {
        try {
            wcomp::decompress(img.data(), img.size(), 2, 16);
        } catch (const wcomp::format_error& e) {
            return e.offset() == off;
        }
        return false;
    };
    std::vector<uint8_t> bad = good;
    bad[4] ^= 1;  // row 1's offset
    CHECK(fails_at(bad, 4));
    bad = good;
    bad[3] = 19;  // row 0's scale
    CHECK(fails_at(bad, 0));
    bad = good;
    bad[8] = 0x00;  // row 0, chunk 0: positions 0, 0
    CHECK(fails_at(bad, 8));
    bad = good;
    bad.pop_back();
    CHECK(fails_at(bad, bad.size()));
    // a 4-bit row with the code -8
    const uint64_t r4 = wcomp::entry_scale(entry_at(good, 0)) ? 0 : 1;
    bad = good;
    bad[8 + wcomp::entry_offset(entry_at(good, r4)) + 1] = 0x08;
    CHECK(fails_at(bad, 8 + wcomp::entry_offset(entry_at(good, r4)) + 1));
    CHECK_THROWS_AS(wcomp::compress(w.data(), 2, 12, 0.5), wcomp::format_error);  // K not a multiple of 8
}

TEST_CASE("wcomp: decompressor stage cycles by hand", "[wcomp]") {
    const wcomp::timing t{64, 4};
    CHECK(wcomp::expand_cycles(64 * 100, t) == 4 + 100);
    CHECK(wcomp::expand_cycles(64 * 100 + 1, t) == 4 + 101);
    // DMA slower than the decompressor: ends latency after the last byte
    CHECK(wcomp::stage_end(1000, 1500, 6400, t) == 1504);
    // DMA faster: the expansion rate sets the end: 1000 + 4 + 100
    CHECK(wcomp::stage_end(1000, 1050, 6400, t) == 1104);
}

TEST_CASE("wcomp: the kept pair of every group with values in -3..3 (all ties) and every code", "[wcomp]") {
    // All 7^4 groups of small values (every pattern of equal |w|, signs and zeros) against
    // the double-loop definition; then code_of against round-half-even by hand for every
    // int8 w and scale, which the compressor's code table is filled from.
    std::vector<int8_t> w;
    for (int a = -3; a <= 3; ++a)
        for (int b = -3; b <= 3; ++b)
            for (int c = -3; c <= 3; ++c)
                for (int d = -3; d <= 3; ++d)
                    for (int v : {a, b, c, d}) w.push_back(static_cast<int8_t>(v));
    w.resize(w.size() + 4, 0);  // 2402 groups: rows of K = 8
    CHECK(wcomp::prune_2_4(w.data(), w.size() / 8, 8) == pruned_by_hand(w));
    for (int s = 1; s <= 18; ++s)
        for (int x = -128; x <= 127; ++x) REQUIRE(int{wcomp::code_of(x, s)} == code_by_hand(x, s));
}
