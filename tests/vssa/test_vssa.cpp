// VSSA tile cycles by hand and against a literal step-by-step simulation written here;
// functional GEMMs against a naive triple loop; the reordering identity.
// Every expected number below is derived in the comment next to it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "vssa/engine.h"
#include "vssa/gemm.h"
#include "vssa/tile_model.h"

using namespace dtq::vssa;

namespace {

// Literal lockstep simulation: every step, every PE; independent of run_tile_model().
struct brute {
    uint64_t steps_cycles = 0, stall = 0, busy = 0;
};
brute simulate(const std::vector<uint8_t>& rb, const std::vector<uint8_t>& cb, const std::vector<uint8_t>& kb, uint32_t K) {
    brute b;
    const uint32_t R = static_cast<uint32_t>(rb.size()), C = static_cast<uint32_t>(cb.size());
    auto cyc = [&](uint32_t i, uint32_t j, uint32_t k) { return (rb[i] / 4u) * ((kb.empty() ? cb[j] : kb[k]) / 4u); };
    for (uint32_t t = 0; t < K + R + C - 2; ++t) {
        uint32_t d = 0;
        for (uint32_t i = 0; i < R; ++i)
            for (uint32_t j = 0; j < C; ++j)
                if (t >= i + j && t - i - j < K) d = std::max(d, cyc(i, j, t - i - j));
        b.steps_cycles += d;
        for (uint32_t i = 0; i < R; ++i)
            for (uint32_t j = 0; j < C; ++j)
                if (t >= i + j && t - i - j < K) {
                    b.busy += cyc(i, j, t - i - j);
                    b.stall += d - cyc(i, j, t - i - j);
                }
    }
    return b;
}

tile_result tile(std::vector<uint8_t> rb, std::vector<uint8_t> cb, int K, std::vector<uint8_t> kb = {}) {
    tile_job j;
    j.rows = static_cast<int>(rb.size());
    j.cols = static_cast<int>(cb.size());
    j.k = K;
    j.row_bits = std::move(rb);
    j.col_bits = std::move(cb);
    j.k_bits = std::move(kb);
    return run_tile_model(j);
}

}  // namespace

TEST_CASE("vssa: a single PE takes 1, 2, 4 cycles per MAC for 4x4, 8x4/4x8, 8x8", "[vssa]") {
    CHECK(tile({4}, {4}, 1).step_cycles == 1);
    CHECK(tile({8}, {4}, 1).step_cycles == 2);
    CHECK(tile({4}, {8}, 1).step_cycles == 2);
    CHECK(tile({8}, {8}, 1).step_cycles == 4);
    // 1 load cycle + K MACs of 4 cycles + 1 drain row: 1 + 40 + 1.
    CHECK(tile({8}, {8}, 10).cycles == 42);
    CHECK(tile({8}, {4}, 10).cycles == 22);  // 1 + 10 x 2 + 1
    CHECK(tile({4}, {4}, 10).cycles == 12);  // 1 + 10 x 1 + 1
    CHECK(tile({8}, {4}, 10).stall_pe_cycles == 0);
    CHECK(tile({8}, {8}, 10).busy_pe_cycles == 40);
}

TEST_CASE("vssa: uniform tiles never stall, load, fill and drain are counted", "[vssa]") {
    for (uint8_t p : {4, 8})
        for (uint8_t q : {4, 8}) {
            const auto t = tile(std::vector<uint8_t>(16, p), std::vector<uint8_t>(16, q), 64);
            const uint32_t c = (p / 4u) * (q / 4u);
            // 64 + 16 + 16 - 2 = 94 steps of c cycles, + 1 load, + 16 drain cycles.
            CHECK(t.cycles == 1u + 94u * c + 16u);
            CHECK(t.stall_pe_cycles == 0);
            CHECK(t.stall_ratio == 0.0);
            CHECK(t.busy_pe_cycles == 256u * 64u * c);
            CHECK(t.max_cycle == 64u * c);
        }
    // Uniform along k too (prob x V with all 8-bit V): 1 + (5 + 3 + 4 - 2) x 4 + 3 = 44.
    const auto u = tile({8, 8, 8}, {8, 8, 8, 8}, 5, {8, 8, 8, 8, 8});
    CHECK(u.cycles == 44);
    CHECK(u.stall_pe_cycles == 0);
}

TEST_CASE("vssa: 3x3 test pattern, 8x8 PE at PE_00 (rows 8,4,4 x cols 8,4,4, K 9)", "[vssa]") {
    // Not the paper's Fig. 5 iteration r0c0, which puts the 8x8 PE at PE_11 (next test case).
    // c(i,j) = 4 2 2 / 2 1 1 / 2 1 1. Slowest per anti-diagonal s = i + j: 4, 2, 2, 1, 1.
    // Steps t = 0..12 see diagonals [t-8, t]: t <= 8 includes s = 0 -> 4 cycles (9 steps);
    // t = 9, 10 -> 2; t = 11, 12 -> 1.  Sum = 36 + 4 + 2 = 42; + 1 load + 3 drain = 46.
    // Windows (sum of the 9 steps a PE is active): s0 36, s1 34, s2 32, s3 29, s4 26;
    // PEs per diagonal 1, 2, 3, 2, 1 -> 284. Busy = 9 x (sum of c = 16) = 144.
    // Stall = 140. R = 140 / (9 PEs x 36) = 0.4321.
    const auto t = tile({8, 4, 4}, {8, 4, 4}, 9);
    CHECK(t.step_cycles == 42);
    CHECK(t.cycles == 46);
    CHECK(t.busy_pe_cycles == 144);
    CHECK(t.stall_pe_cycles == 140);
    CHECK(t.max_cycle == 36);
    CHECK(t.stall_ratio == Approx(140.0 / 324.0));
    CHECK(t.macs_by_mode[0] == 4u * 9u);  // 4x4 PEs: (1,1) (1,2) (2,1) (2,2)
    CHECK(t.macs_by_mode[1] == 4u * 9u);  // 8x4: (0,1) (0,2) (1,0) (2,0)
    CHECK(t.macs_by_mode[2] == 1u * 9u);  // 8x8: (0,0)
}

TEST_CASE("vssa: the paper's Fig. 5 iteration r0c0, 8x8 PE at PE_11 (rows 4,8,4 x cols 4,8,4, K 9)", "[vssa]") {
    // c(i,j) = 1 2 1 / 2 4 2 / 1 2 1. Slowest per anti-diagonal s = i + j: 1, 2, 4, 2, 1.
    // Steps t = 0..12 see diagonals [t-8, t]: t0 -> 1, t1 -> 2, t2..10 include s = 2 -> 4 (9 steps),
    // t11 -> 2, t12 -> 1. Sum = 1 + 2 + 36 + 2 + 1 = 42; + 1 load + 3 drain = 46.
    // Windows: s0 t0..8 = 31, s1 t1..9 = 34, s2 t2..10 = 36, s3 t3..11 = 34, s4 t4..12 = 31;
    // PEs per diagonal 1, 2, 3, 2, 1 -> 31 + 68 + 108 + 68 + 31 = 306. Busy = 9 x 16 = 144.
    // Stall = 162. R = 162 / (9 PEs x 36) = 0.5.
    const auto t = tile({4, 8, 4}, {4, 8, 4}, 9);
    CHECK(t.step_cycles == 42);
    CHECK(t.cycles == 46);
    CHECK(t.busy_pe_cycles == 144);
    CHECK(t.stall_pe_cycles == 162);
    CHECK(t.max_cycle == 36);
    CHECK(t.stall_ratio == Approx(0.5));
}

TEST_CASE("vssa: Fig. 5 style 9 tokens x 9 channels on a 3x3 array, plain and reordered, R by hand", "[vssa]") {
    // Tokens 0..8 with precisions 8 4 4 8 4 8 4 4 8; Q x K^T over the same tokens, 9 channels.
    // Write a = bits / 4 (1 or 2); c(i,j) = a_i a_j; busy = 9 x (sum a over rows)(sum a over cols).
    // Steps t = 0..12; diagonal s = 0..4 is active in t = s..s+8; d(t) = max of the diagonal
    // maxima dmax[s] over the active diagonals; window(s) = sum of d over t = s..s+8.
    //
    // Plain order: row / col tiles T0 = (2,1,1), T1 = (2,1,2), T2 = (1,1,2).
    //  r0c0 T0xT0: dmax 4 2 2 1 1; d = 4 (t0..8), 2, 2, 1, 1 -> 42; windows 36 34 32 29 26 ->
    //       36 + 2x34 + 3x32 + 2x29 + 26 = 284; busy 9x4x4 = 144; stall 140; max c 4.
    //  r0c1 T0xT1: c = 4 2 4 / 2 1 2 / 2 1 2, dmax 4 2 4 2 2; d = 4 (t0..10), 2, 2 -> 48;
    //       windows 36 36 36 34 32 -> 316; busy 9x4x5 = 180; stall 136.
    //  r0c2 T0xT2: c = 2 2 4 / 1 1 2 / 1 1 2, dmax 2 2 4 2 2; d = 2, 2, 4 (t2..10), 2, 2 -> 44;
    //       windows 32 34 36 34 32 -> 308; busy 144; stall 164.
    //  r1c0 T1xT0: dmax 4 2 4 2 2 as r0c1 -> 48 steps' cycles, stall 136.
    //  r1c1 T1xT1: dmax 4 2 4 2 4: every step 4 -> 52; windows 9 x 36 = 324; busy 9x5x5 = 225; stall 99.
    //  r1c2 T1xT2: c = 2 2 4 / 1 1 2 / 2 2 4, dmax 2 2 4 2 4; d = 2, 2, 4 (t2..12) -> 48;
    //       windows 32 34 36 36 36 -> 316; busy 9x5x4 = 180; stall 136.
    //  r2c0 T2xT0: dmax 2 2 4 2 2 as r0c2 -> 44, stall 164.
    //  r2c1 T2xT1: dmax 2 2 4 2 4 as r1c2 -> 48, stall 136.
    //  r2c2 T2xT2: c = 1 1 2 / 1 1 2 / 2 2 4, dmax 1 1 2 2 4; d = 1 1 2 2 4 x 9 -> 42;
    //       windows 26 29 32 34 36 -> 284; busy 144; stall 140.
    //  Every tile has an 8x8 PE: max_cycle = 36, R = stall / 324.
    //  Cycles = 1 + steps + 3 each: 46 52 48 52 56 52 48 52 46 = 452 on one array.
    //
    // Reordered (4-bit first): tokens 1 2 4 6 7 | 0 3 5 8; tiles U0 = (1,1,1), U1 = (1,1,2), U2 = (2,2,2).
    //  r0c0 U0xU0: uniform 1 -> 13, stall 0.              r0c2 U0xU2: uniform 2 -> 26, stall 0.
    //  r0c1 U0xU1: c = 1 1 2 per row, dmax 1 1 2 2 2; d = 1, 1, 2 (t2..12) -> 24; windows
    //       16 17 18 18 18 -> 158; busy 9x3x4 = 108; stall 50; max c 2 -> R = 50 / (9 x 18).
    //  r1c0 U1xU0: dmax 1 1 2 2 2 -> 24, stall 50, R = 50 / 162.
    //  r1c1 U1xU1: as plain r2c2 -> 42, stall 140, R = 140 / 324.
    //  r1c2 U1xU2: c = 2 2 2 / 2 2 2 / 4 4 4, dmax 2 2 4 4 4; d = 2, 2, 4 (t2..12) -> 48;
    //       windows 32 34 36 36 36 -> 316; busy 9x4x6 = 216; stall 100; R = 100 / 324.
    //  r2c0 U2xU0: uniform 2 -> 26.  r2c1 U2xU1: dmax 2 2 4 4 4 -> 48, stall 100.  r2c2: uniform 4 -> 52.
    //  Cycles: 17 28 30 28 46 52 30 52 56 = 339.
    const std::vector<uint8_t> bits = {8, 4, 4, 8, 4, 8, 4, 4, 8};
    vssa_config cfg;
    cfg.rows = cfg.cols = 3;
    gemm_op op;
    op.M = op.N = 9;
    op.K = 9;
    op.row_bits = op.col_bits = bits;

    cfg.reorder = false;
    const gemm_result plain = run_gemm(cfg, op);
    const double plain_r[9] = {140 / 324.0, 136 / 324.0, 164 / 324.0, 136 / 324.0, 99 / 324.0,
                               136 / 324.0, 164 / 324.0, 136 / 324.0, 140 / 324.0};
    CHECK(plain.tiles == 9);
    CHECK(plain.cycles == 452);
    CHECK(plain.stall_pe_cycles == 140u + 136 + 164 + 136 + 99 + 136 + 164 + 136 + 140);  // 1251
    REQUIRE(plain.iteration_r.size() == 9);
    for (int i = 0; i < 9; ++i) CHECK(plain.iteration_r[static_cast<size_t>(i)] == Approx(plain_r[i]));

    cfg.reorder = true;
    const gemm_result re = run_gemm(cfg, op);
    const double re_r[9] = {0, 50 / 162.0, 0, 50 / 162.0, 140 / 324.0, 100 / 324.0, 0, 100 / 324.0, 0};
    CHECK(re.cycles == 339);
    CHECK(re.stall_pe_cycles == 50u + 50 + 140 + 100 + 100);  // 440
    REQUIRE(re.iteration_r.size() == 9);
    for (int i = 0; i < 9; ++i) CHECK(re.iteration_r[static_cast<size_t>(i)] == Approx(re_r[i]));
    CHECK(re.row_order == std::vector<uint32_t>{1, 2, 4, 6, 7, 0, 3, 5, 8});
    // Clustering: 5 stall iterations instead of 9 and a lower mean R (Sec. IV-B).
    CHECK(std::count_if(re.iteration_r.begin(), re.iteration_r.end(), [](double r) { return r > 0; }) == 5);
    CHECK(re.mean_stall_ratio() == Approx(540.0 / 2916.0));
    CHECK(plain.mean_stall_ratio() == Approx(1251.0 / 2916.0));
}

TEST_CASE("vssa: tile model equals the literal simulation on random tiles", "[vssa]") {
    std::mt19937 rng(3);
    for (int it = 0; it < 300; ++it) {
        const uint32_t R = 1 + rng() % 8, C = 1 + rng() % 8, K = 1 + rng() % 40;
        std::vector<uint8_t> rb(R), cb(C);
        for (auto& b : rb) b = (rng() & 1) ? 8 : 4;
        for (auto& b : cb) b = (rng() & 1) ? 8 : 4;
        const auto t = tile(rb, cb, static_cast<int>(K));
        const brute b = simulate(rb, cb, {}, K);
        REQUIRE(t.step_cycles == b.steps_cycles);
        REQUIRE(t.cycles == 1 + b.steps_cycles + R);
        REQUIRE(t.stall_pe_cycles == b.stall);
        REQUIRE(t.busy_pe_cycles == b.busy);
    }
}

TEST_CASE("vssa: reduction-precision tiles (prob x V) against the literal simulation", "[vssa]") {
    std::mt19937 rng(5);
    for (int it = 0; it < 300; ++it) {
        const uint32_t R = 1 + rng() % 6, C = 1 + rng() % 6, K = 1 + rng() % 30;
        std::vector<uint8_t> kb(K), rb(R, 8), cb(C, 8);
        for (auto& b : kb) b = (rng() & 1) ? 8 : 4;
        if (it % 3 == 0)  // rows of mixed precision too (the general path)
            for (auto& b : rb) b = (rng() & 1) ? 8 : 4;
        const auto t = tile(rb, cb, static_cast<int>(K), kb);
        const brute b = simulate(rb, cb, kb, K);
        REQUIRE(t.step_cycles == b.steps_cycles);
        REQUIRE(t.stall_pe_cycles == b.stall);
        REQUIRE(t.busy_pe_cycles == b.busy);
    }
}

TEST_CASE("vssa: tile validation rejects bad sizes, precisions and 4-bit values out of range", "[vssa]") {
    CHECK_THROWS_AS(tile({}, {4}, 1), std::invalid_argument);
    CHECK_THROWS_AS(tile({6}, {4}, 1), std::invalid_argument);
    tile_job j;
    j.rows = j.cols = j.k = 1;
    j.row_bits = {4};
    j.col_bits = {8};
    const int8_t a = 8, b = -128;  // 8 does not fit a 4-bit token
    j.a = &a;
    j.b = &b;
    CHECK_THROWS_AS(run_tile_model(j), std::invalid_argument);
    const int8_t a_ok = -8;
    j.a = &a_ok;
    const tile_result r = run_tile_model(j);
    CHECK(r.c == std::vector<int32_t>{1024});  // -8 x -128
}

TEST_CASE("vssa: gemm_s8 equals the naive triple loop at the extremes and odd shapes", "[vssa]") {
    std::mt19937 rng(17);
    for (int it = 0; it < 30; ++it) {
        const uint64_t M = 1 + rng() % 37, N = 1 + rng() % 41, K = 1 + rng() % 300;
        std::vector<int8_t> a(M * K), bt(N * K);
        for (auto& v : a) v = (rng() % 4 == 0) ? -128 : static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        for (auto& v : bt) v = (rng() % 4 == 0) ? -128 : static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        std::vector<int32_t> c(M * N), ref(M * N);
        gemm_s8(a.data(), bt.data(), c.data(), M, N, K, 1 + it % 2);
        gemm_s8_reference(a.data(), bt.data(), ref.data(), M, N, K);
        REQUIRE(c == ref);
    }
    // All -128: every output is K x 16384.
    std::vector<int8_t> a(8 * 1000, -128), bt(8 * 1000, -128);
    std::vector<int32_t> c(64);
    gemm_s8(a.data(), bt.data(), c.data(), 8, 8, 1000, 2);
    CHECK(std::all_of(c.begin(), c.end(), [](int32_t v) { return v == 16384000; }));
}

TEST_CASE("vssa: gemm_s8 remainder paths: every M, N, K tail, extremes, 1 and 2 threads", "[vssa]") {
    // The VNNI kernel works on row blocks of 8, column panels of 32 (two vectors of 16) and
    // k-groups of 4; these sizes hit every row-block height 1..8, one- and two-vector
    // panels with every column tail, and every K mod 4 (and mod 64), each with 1 and 2
    // threads. Values are mostly -128 / 127 (the extremes of the biased-A identity).
    std::mt19937 rng(23);
    auto fill = [&](std::vector<int8_t>& v, int mode) {
        for (auto& x : v) {
            const unsigned r = rng();
            if (mode == 0) x = -128;
            else if (mode == 1) x = 127;
            else if (mode == 2) x = (r & 1) ? -128 : 127;
            else x = (r % 3 == 0) ? -128 : (r % 3 == 1) ? 127 : static_cast<int8_t>(static_cast<int>(r >> 8) % 256 - 128);
        }
    };
    std::vector<uint64_t> Ms, Ns, Ks;
    for (uint64_t v = 1; v <= 17; ++v) Ms.push_back(v);
    for (uint64_t v : {23, 24, 25, 31, 40, 64, 70}) Ms.push_back(v);
    for (uint64_t v = 1; v <= 34; ++v) Ns.push_back(v);
    for (uint64_t v : {47, 48, 49, 63, 64, 65, 70}) Ns.push_back(v);
    for (uint64_t v = 1; v <= 9; ++v) Ks.push_back(v);
    for (uint64_t v : {15, 16, 17, 31, 32, 33, 63, 64, 65, 67, 70}) Ks.push_back(v);
    uint64_t cases = 0;
    for (const uint64_t M : Ms)
        for (const uint64_t N : Ns)
            for (const uint64_t K : Ks) {
                // Full cross product for small shapes; a quarter of the others (at random).
                if (M * N * K > 4096 && rng() % 4 != 0) continue;
                std::vector<int8_t> a(M * K), bt(N * K);
                fill(a, static_cast<int>(rng() % 4));
                fill(bt, static_cast<int>(rng() % 4));
                std::vector<int32_t> ref(M * N);
                gemm_s8_reference(a.data(), bt.data(), ref.data(), M, N, K);
                for (unsigned threads : {1u, 2u}) {
                    std::vector<int32_t> c(M * N, 0x5a5a5a5a);
                    gemm_s8(a.data(), bt.data(), c.data(), M, N, K, threads);
                    INFO("M " << M << " N " << N << " K " << K << " threads " << threads);
                    REQUIRE(c == ref);
                }
                ++cases;
            }
    CHECK(cases > 5000);
    // K beyond one K block of the kernel (768): later blocks accumulate into c.
    for (const uint64_t K : {767, 768, 769, 1001, 1539, 3073})
        for (const uint64_t M : {1, 9, 17})
            for (const uint64_t N : {1, 33, 50}) {
                std::vector<int8_t> a(M * K), bt(N * K);
                fill(a, static_cast<int>(rng() % 4));
                fill(bt, static_cast<int>(rng() % 4));
                std::vector<int32_t> ref(M * N), c(M * N);
                gemm_s8_reference(a.data(), bt.data(), ref.data(), M, N, K);
                gemm_s8(a.data(), bt.data(), c.data(), M, N, K, 1 + static_cast<unsigned>(K % 2));
                INFO("M " << M << " N " << N << " K " << K);
                REQUIRE(c == ref);
            }
}

TEST_CASE("vssa: gemm_s8 at the largest exact K and beyond (fallback path)", "[vssa]") {
    // All -128: every output is K x 16384. K = 131071 is the largest with K x 16384 < 2^31
    // (the VNNI kernel's bound, models/vssa/gemm.cpp); K = 65536 gives 2^30.
    for (const uint64_t K : {uint64_t{65536}, uint64_t{131071}}) {
        std::vector<int8_t> a(3 * K, -128), bt(17 * K, -128);
        std::vector<int32_t> c(3 * 17);
        gemm_s8(a.data(), bt.data(), c.data(), 3, 17, K, 2);
        CHECK(std::all_of(c.begin(), c.end(), [&](int32_t v) { return v == static_cast<int32_t>(K * 16384); }));
    }
    // 127 x -128 everywhere: -16256 K.
    {
        const uint64_t K = 131071;
        std::vector<int8_t> a(2 * K, 127), bt(5 * K, -128);
        std::vector<int32_t> c(2 * 5);
        gemm_s8(a.data(), bt.data(), c.data(), 2, 5, K, 1);
        CHECK(std::all_of(c.begin(), c.end(), [&](int32_t v) { return v == -static_cast<int32_t>(K * 16256); }));
    }
    // Beyond the bound gemm_s8 takes the portable path; random values keep the sums small.
    const uint64_t K = 131075, M = 3, N = 18;
    std::mt19937 rng(29);
    std::vector<int8_t> a(M * K), bt(N * K);
    for (auto& v : a) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    for (auto& v : bt) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
    std::vector<int32_t> c(M * N), ref(M * N);
    gemm_s8_reference(a.data(), bt.data(), ref.data(), M, N, K);
    gemm_s8(a.data(), bt.data(), c.data(), M, N, K, 2);
    CHECK(c == ref);
}

TEST_CASE("vssa: gemm_s8 results do not depend on the thread count", "[vssa]") {
    // gemm_s8 starts a thread per 6e6 MACs at most (models/vssa/gemm.cpp): 77 x 301 x 1300
    // (10 column panels) splits panels over up to 5 threads; 203 x 20 x 3001 (one panel)
    // splits row blocks over 2.
    std::mt19937 rng(31);
    struct shape { uint64_t M, N, K; };
    for (const shape s : {shape{77, 301, 1300}, shape{203, 20, 3001}}) {
        std::vector<int8_t> a(s.M * s.K), bt(s.N * s.K);
        for (auto& v : a) v = (rng() % 4 == 0) ? -128 : static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        for (auto& v : bt) v = (rng() % 4 == 0) ? 127 : static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        std::vector<int32_t> ref(s.M * s.N);
        gemm_s8_reference(a.data(), bt.data(), ref.data(), s.M, s.N, s.K);
        for (unsigned threads : {1u, 2u, 3u, 5u, 64u}) {
            std::vector<int32_t> c(s.M * s.N);
            gemm_s8(a.data(), bt.data(), c.data(), s.M, s.N, s.K, threads);
            INFO("M " << s.M << " N " << s.N << " K " << s.K << " threads " << threads);
            CHECK(c == ref);
        }
    }
}

TEST_CASE("vssa: random mixed-precision GEMMs equal a naive triple loop", "[vssa]") {
    std::mt19937 rng(11);
    for (int it = 0; it < 40; ++it) {
        const uint64_t M = 1 + rng() % 70, N = 1 + rng() % 70, K = 1 + rng() % 100;
        std::vector<int8_t> a(M * K), bt(N * K);
        gemm_op op;
        op.M = M;
        op.N = N;
        op.K = K;
        op.row_bits.resize(M);
        op.col_bits.resize(N);
        for (uint64_t i = 0; i < M; ++i) op.row_bits[i] = static_cast<uint8_t>((rng() % 3) * 4);  // 0, 4, 8
        for (uint64_t j = 0; j < N; ++j) op.col_bits[j] = static_cast<uint8_t>((rng() % 3) * 4);
        // 4-bit tokens in [-8, 7], 8-bit in [-128, 127]; extremes drawn often.
        auto draw = [&](uint8_t bits) {
            if (bits == 4) return rng() % 3 == 0 ? static_cast<int8_t>(rng() & 1 ? 7 : -8) : static_cast<int8_t>(static_cast<int>(rng() % 16) - 8);
            return rng() % 3 == 0 ? static_cast<int8_t>(rng() & 1 ? 127 : -128) : static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        };
        for (uint64_t i = 0; i < M; ++i)
            for (uint64_t k = 0; k < K; ++k) a[i * K + k] = draw(op.row_bits[i]);
        for (uint64_t j = 0; j < N; ++j)
            for (uint64_t k = 0; k < K; ++k) bt[j * K + k] = draw(op.col_bits[j]);
        op.a = a.data();
        op.bt = bt.data();
        vssa_config cfg;
        cfg.rows = 4 + rng() % 13;
        cfg.cols = 4 + rng() % 15;
        cfg.arrays = 1 + rng() % 3;
        cfg.reorder = rng() & 1;
        cfg.threads = 1 + rng() % 2;
        const gemm_result res = run_gemm(cfg, op);
        std::vector<int32_t> ref(M * N, 0);
        for (uint64_t i = 0; i < M; ++i)
            for (uint64_t j = 0; j < N; ++j)
                if (op.row_bits[i] && op.col_bits[j])  // pruned tokens are skipped entirely: 0
                    for (uint64_t k = 0; k < K; ++k) ref[i * N + j] += int32_t{a[i * K + k]} * int32_t{bt[j * K + k]};
        REQUIRE(res.c == ref);
        CHECK(res.reorder_checked == cfg.reorder);
        // Timing mode gives the same cycles.
        gemm_op timing = op;
        timing.a = timing.bt = nullptr;
        const gemm_result t = run_gemm(cfg, timing);
        CHECK(t.cycles == res.cycles);
        CHECK(t.stall_pe_cycles == res.stall_pe_cycles);
        CHECK(t.c.empty());
    }
}

TEST_CASE("vssa: reordered output equals the permuted plain output, a corrupted one is caught", "[vssa]") {
    std::mt19937 rng(23);
    const uint64_t M = 40, N = 33, K = 20;
    std::vector<int8_t> a(M * K), bt(N * K);
    for (auto& v : a) v = static_cast<int8_t>(static_cast<int>(rng() % 16) - 8);
    for (auto& v : bt) v = static_cast<int8_t>(static_cast<int>(rng() % 16) - 8);
    gemm_op op;
    op.name = "qk";
    op.M = M;
    op.N = N;
    op.K = K;
    for (uint64_t i = 0; i < M; ++i) op.row_bits.push_back(static_cast<uint8_t>((rng() % 3) * 4));
    for (uint64_t j = 0; j < N; ++j) op.col_bits.push_back(static_cast<uint8_t>((rng() % 3) * 4));
    op.a = a.data();
    op.bt = bt.data();
    vssa_config cfg;
    cfg.reorder = false;
    const gemm_result plain = run_gemm(cfg, op);
    cfg.reorder = true;
    gemm_result re = run_gemm(cfg, op);
    CHECK(re.reorder_checked);
    // Hardware position p holds token row_order[p]; its outputs are the plain ones of that token.
    for (size_t p = 0; p < re.row_order.size(); ++p)
        for (size_t q = 0; q < re.col_order.size(); ++q)
            REQUIRE(re.c_hw[p * re.col_order.size() + q] == plain.c[re.row_order[p] * N + re.col_order[q]]);
    CHECK(re.c == plain.c);  // un-permuted
    // Low precision first within each side, no pruned token kept.
    for (size_t p = 1; p < re.row_order.size(); ++p) CHECK(op.row_bits[re.row_order[p - 1]] <= op.row_bits[re.row_order[p]]);
    for (uint32_t r : re.row_order) CHECK(op.row_bits[r] != 0);
    // A wrong permutation (two hardware rows swapped) is caught.
    std::swap(re.row_order[0], re.row_order.back());
    CHECK_THROWS_AS(check_reordered(op, re), reorder_mismatch);
}

TEST_CASE("vssa: tiles go round-robin or greedily over arrays, the makespan is the busiest array", "[vssa]") {
    gemm_op op;
    op.M = 32;
    op.N = 32;
    op.K = 8;  // 2 x 2 tiles of 16 x 16
    op.row_bits.assign(32, 8);
    op.col_bits.assign(32, 8);
    vssa_config cfg;  // 16 x 16
    cfg.arrays = 1;
    const uint64_t one_tile = 1 + (8 + 30) * 4 + 16;  // load + 38 steps of 4 cycles + 16 drain = 169
    CHECK(run_gemm(cfg, op).cycles == 4 * one_tile);
    cfg.arrays = 3;  // tiles 0, 3 on array 0
    CHECK(run_gemm(cfg, op).cycles == 2 * one_tile);
    cfg.arrays = 4;
    CHECK(run_gemm(cfg, op).cycles == one_tile);
    CHECK(run_gemm(cfg, op).utilization(cfg) == Approx(4.0 * 256 * 8 * 4 / (4.0 * 256 * 169)));
    op.row_bits[5] = 0;  // a pruned token removes its row: 29 rows still need 2 row tiles
    op.row_bits[20] = 0;
    op.row_bits[21] = 0;
    CHECK(run_gemm(cfg, op).macs == 29u * 32u * 8u);

    // One row tile of 8-bit tokens, three column tiles: 8-bit (8 x 8: 169 cycles), then two
    // 4-bit ones (8 x 4, 2 cycles a step: 1 + 38 x 2 + 16 = 93). Two arrays, no reordering.
    gemm_op g;
    g.M = 16;
    g.N = 48;
    g.K = 8;
    g.row_bits.assign(16, 8);
    g.col_bits.assign(48, 4);
    for (int j = 0; j < 16; ++j) g.col_bits[static_cast<size_t>(j)] = 8;
    vssa_config two;
    two.arrays = 2;
    two.reorder = false;
    // round-robin: array 0 gets tiles 0 and 2: 169 + 93 = 262; array 1: 93.
    CHECK(run_gemm(two, g).cycles == 262);
    // greedy: tile 0 -> array 0 (169), tile 1 -> array 1 (93), tile 2 -> array 1 (186).
    two.schedule = tile_schedule::greedy;
    CHECK(run_gemm(two, g).cycles == 186);
}

TEST_CASE("vssa: the balanced schedule places the longest tiles first", "[vssa]") {
    // The same tiles as above (one 8-bit column tile of 169 cycles, two 4-bit ones of 93)
    // with the slow tile last in Fig. 5 order: tiles 93, 93, 169 on two arrays.
    gemm_op g;
    g.M = 16;
    g.N = 48;
    g.K = 8;
    g.row_bits.assign(16, 8);
    g.col_bits.assign(48, 4);
    for (int j = 32; j < 48; ++j) g.col_bits[static_cast<size_t>(j)] = 8;
    vssa_config two;
    two.arrays = 2;
    two.reorder = false;
    // round-robin: array 0 gets tiles 0 and 2: 93 + 169 = 262.
    CHECK(run_gemm(two, g).cycles == 262);
    // greedy in Fig. 5 order: 93 -> array 0, 93 -> array 1, 169 -> array 0 (tie, lowest): 262.
    two.schedule = tile_schedule::greedy;
    CHECK(run_gemm(two, g).cycles == 262);
    // balanced (longest first): 169 -> array 0, 93 -> array 1, 93 -> array 1: 186.
    two.schedule = tile_schedule::balanced;
    const gemm_result b = run_gemm(two, g);
    CHECK(b.cycles == 186);
    CHECK(b.array_cycles == std::vector<uint64_t>{169, 186});
    CHECK(b.tiles == 3);
}

TEST_CASE("vssa: presets", "[vssa]") {
    const vssa_config d = preset_dtqatten();
    CHECK(d.rows * d.cols * d.arrays == 3168u);  // Sec. V: 16 x 18 x 11 4-bit PEs
    const vssa_config s = preset_single16();
    CHECK(s.rows * s.cols * s.arrays == 256u);
}

TEST_CASE("vssa: the rtl backend is refused when it is not installed", "[vssa]") {
    // dtq_vssa alone (this test links only it) has no RTL.
    vssa_config cfg;
    cfg.backend = pe_backend::lockstep;
    gemm_op op;
    op.M = op.N = op.K = 4;
    op.row_bits.assign(4, 8);
    op.col_bits.assign(4, 8);
    CHECK_FALSE(rtl_backend_available());
    CHECK_THROWS_AS(run_gemm(cfg, op), std::runtime_error);
}

TEST_CASE("vssa: 4-bit quantization rounds half to even and clamps to [-8, 7] x 16", "[vssa]") {
    CHECK(quantize_4bit(0) == 0);
    CHECK(quantize_4bit(8) == 0);      // 0.5 -> 0 (even)
    CHECK(quantize_4bit(24) == 32);    // 1.5 -> 2
    CHECK(quantize_4bit(9) == 16);     // 0.5625 -> 1
    CHECK(quantize_4bit(-8) == 0);     // -0.5 -> 0
    CHECK(quantize_4bit(-24) == -32);  // -1.5 -> -2
    CHECK(quantize_4bit(127) == 112);  // 7.94 -> 8 -> clamp 7
    CHECK(quantize_4bit(-128) == -128);
}

// ---- Simulator speed-ups (docs/performance.md#timing-mode-3): same results as the plain form --

TEST_CASE("tile_model: reusing the previous timing-only tile gives run_tile_model's result on every tile", "[vssa][perf]") {
    // A random stream of timing-only tiles in which runs of equal shapes and precisions
    // repeat (as along a GEMM's row block) and others change one field at a time: each
    // tile_model::run_tile answer must equal a fresh run_tile_model of the same job; an
    // injected fault still hits exactly its tile index, also when that tile is reused.
    std::mt19937 rng(31337);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto bits = [&](size_t n, int mix) {
        std::vector<uint8_t> v(n);
        for (auto& b : v) b = mix == 0 ? 4 : mix == 1 ? 8 : (pick(2) ? 8 : 4);
        return v;
    };
    tile_model_fault fault;
    fault.add_cycles_at_tile = 57;
    tile_model plain, faulty(fault);
    tile_job job, prev;
    uint64_t compared = 0, same = 0;
    for (uint64_t i = 0; i < 400; ++i) {
        if (i == 0 || pick(4) == 0) {  // a new pattern (else the previous tile repeats)
            const int what = i == 0 ? 0 : pick(5);
            if (what == 0) { job.rows = 1 + pick(16); job.cols = 1 + pick(18); job.k = 1 + pick(40); }
            if (what <= 1) job.row_bits = bits(static_cast<size_t>(job.rows), pick(3));
            if (what == 0 || what == 2) job.col_bits = bits(static_cast<size_t>(job.cols), pick(3));
            if (what == 3) job.k_bits = job.k_bits.empty() ? bits(static_cast<size_t>(job.k), pick(3)) : std::vector<uint8_t>{};
            if (what == 4 && !job.k_bits.empty()) job.k_bits[static_cast<size_t>(pick(job.k))] ^= 12;  // 4 <-> 8
            if (!job.k_bits.empty() && job.k_bits.size() != static_cast<size_t>(job.k)) job.k_bits = bits(static_cast<size_t>(job.k), 2);
        }
        job.index = i;
        // Counted here, field by field: the tiles equal to the one before them.
        same += i > 0 && job.rows == prev.rows && job.cols == prev.cols && job.k == prev.k && job.row_bits == prev.row_bits &&
                job.col_bits == prev.col_bits && job.k_bits == prev.k_bits;
        prev = job;
        const tile_result want = run_tile_model(job);
        const tile_result got = plain.run_tile(job), got_f = faulty.run_tile(job);
        INFO("tile " << i);
        CHECK(got.cycles == want.cycles);
        CHECK(got.step_cycles == want.step_cycles);
        CHECK(got.busy_pe_cycles == want.busy_pe_cycles);
        CHECK(got.stall_pe_cycles == want.stall_pe_cycles);
        CHECK(got.max_cycle == want.max_cycle);
        CHECK(got.stall_ratio == want.stall_ratio);
        CHECK(got.macs == want.macs);
        for (int m = 0; m < 3; ++m) CHECK(got.macs_by_mode[m] == want.macs_by_mode[m]);
        CHECK(got_f.cycles == want.cycles + (i == 57 ? 1 : 0));
        ++compared;
    }
    CHECK(compared == 400);
    CHECK(same > 200);              // the stream does repeat
    CHECK(plain.reused() == same);  // exactly the repeated tiles are answered from the last one
    // A bad job still throws (it is never answered from the cache) and is not kept.
    tile_job bad = job;
    bad.row_bits.assign(static_cast<size_t>(bad.rows), 6);
    CHECK_THROWS_AS(plain.run_tile(bad), std::invalid_argument);
    CHECK_THROWS_AS(plain.run_tile(bad), std::invalid_argument);
}

TEST_CASE("token_order: the counting sort orders tokens as std::stable_sort by precision", "[vssa][perf]") {
    std::mt19937 rng(4242);
    for (int round = 0; round < 50; ++round) {
        const uint64_t n = 1 + rng() % 700;
        std::vector<uint8_t> bits(n);
        const bool any_byte = round % 5 == 0;  // the sort takes any byte, not only 0 / 4 / 8
        for (auto& b : bits) b = any_byte ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(4 * (rng() % 3));
        std::vector<uint32_t> want;
        for (uint32_t i = 0; i < n; ++i)
            if (bits[i] != 0) want.push_back(i);
        std::stable_sort(want.begin(), want.end(), [&](uint32_t x, uint32_t y) { return bits[x] < bits[y]; });
        INFO("round " << round);
        CHECK(token_order(bits, n, true) == want);
    }
}

TEST_CASE("vssa: quantize_4bit_code (inline) on every int8 == round half to even of x / 16, clamped", "[vssa]") {
    // the definition in binary64: x / 16 is exact, nearbyint rounds half to even (default mode)
    for (int x = -128; x <= 127; ++x) {
        const double q = std::nearbyint(static_cast<double>(x) / 16.0);
        const int want = static_cast<int>(std::clamp(q, -8.0, 7.0));
        INFO("x = " << x);
        REQUIRE(int{quantize_4bit_code(static_cast<int8_t>(x))} == want);
        REQUIRE(int{quantize_4bit(static_cast<int8_t>(x))} == want * 16);
    }
}

namespace {
// Every field of two GEMM results (gemm_memo's answers must be run_gemm's, whole).
void check_same_result(const gemm_result& got, const gemm_result& want) {
    CHECK(got.cycles == want.cycles);
    CHECK(got.array_cycles == want.array_cycles);
    CHECK(got.macs == want.macs);
    for (int m = 0; m < 3; ++m) CHECK(got.macs_by_mode[m] == want.macs_by_mode[m]);
    CHECK(got.busy_pe_cycles == want.busy_pe_cycles);
    CHECK(got.stall_pe_cycles == want.stall_pe_cycles);
    CHECK(got.tiles == want.tiles);
    CHECK(got.stall_ratio_sum == want.stall_ratio_sum);
    CHECK(got.iteration_r == want.iteration_r);
    CHECK(got.row_order == want.row_order);
    CHECK(got.col_order == want.col_order);
    CHECK(got.k_order == want.k_order);
    CHECK(got.c_hw == want.c_hw);
    CHECK(got.c == want.c);
    CHECK(got.reorder_checked == want.reorder_checked);
}
}  // namespace

TEST_CASE("gemm_memo: on random timing-only GEMMs, seen before or not, every result is run_gemm's, and it hits", "[vssa][perf]") {
    // docs/performance.md#gemm-memo. A pool of random ops (shapes, precisions with pruned
    // tokens, QK^T-like or prob x V-like, VS-Quant scale stages) drawn from with repeats, on
    // four configurations (reorder, schedules, arrays); a small capacity, so that the memo
    // also starts over. Each answer is compared with run_gemm on the same op, field by field.
    std::mt19937 rng(1234);
    std::vector<gemm_op> pool;
    for (int p = 0; p < 12; ++p) {
        gemm_op op;
        op.name = "op" + std::to_string(p);
        op.M = 1 + rng() % 40;
        op.N = 1 + rng() % 40;
        op.K = 1 + rng() % 50;
        const auto bits = [&](uint64_t n) {
            std::vector<uint8_t> b(n);
            for (auto& x : b) x = static_cast<uint8_t>(4 * (rng() % 3));
            return b;
        };
        op.row_bits = bits(op.M);
        if (p % 3 == 2) op.k_bits = bits(op.K);  // prob x V: precision per reduction index
        else op.col_bits = bits(op.N);
        op.scale_stages = p % 4 == 1 ? 3 : 0;
        pool.push_back(op);
    }
    // Ops that differ from one of the pool's in one input of the timing each (a row, column or
    // reduction token's precision, the scale stages), and one that differs only in its name:
    // the first must not share the original's result, the last must (the name is not an input).
    const auto flip = [](std::vector<uint8_t>& bits) { bits[0] = bits[0] == 8 ? 4 : 8; };
    std::vector<std::pair<size_t, gemm_op>> near;  // (the original's index, the op)
    near.emplace_back(0, pool[0]);
    flip(near.back().second.row_bits);
    near.emplace_back(0, pool[0]);
    flip(near.back().second.col_bits);
    near.emplace_back(2, pool[2]);  // p = 2: a prob x V op
    flip(near.back().second.k_bits);
    near.emplace_back(0, pool[0]);
    near.back().second.scale_stages = 3;
    for (const auto& [orig, op] : near) pool.push_back(op);
    gemm_op renamed = pool[1];
    renamed.name = "renamed";
    pool.push_back(renamed);
    vssa_config configs[4];
    configs[1].reorder = false;
    configs[2].arrays = 3;
    configs[2].schedule = tile_schedule::greedy;
    configs[3].arrays = 2;
    configs[3].schedule = tile_schedule::balanced;
    configs[3].rows = 8;
    // 8 phases of 50 calls, each drawing from its own 6 random (configuration, op) pairs, with
    // capacity 8: a phase empties the memo at most once (after that it holds at most the
    // phase's 6 pairs), so each of its pairs misses at most twice (before and after) and the
    // phase at most 12 times: at least 400 - 8 x 12 = 304 hits; the memo starts over on the way.
    gemm_memo memo(8);
    uint64_t calls = 0;
    std::vector<std::pair<size_t, size_t>> window(6);
    for (int i = 0; i < 400; ++i) {
        if (i % 50 == 0)
            for (auto& [c, o] : window) c = rng() % 4, o = rng() % pool.size();
        const auto [c, o] = window[rng() % window.size()];
        const vssa_config& cfg = configs[c];
        const gemm_op& op = pool[o];
        INFO("call " << i << ": config " << c << ", " << op.name);
        check_same_result(memo.run(cfg, op), run_gemm(cfg, op));
        ++calls;
        CHECK(memo.size() <= 8);
    }
    CHECK(memo.calls() == calls);
    CHECK(memo.hits() >= calls - 8 * 12);
    CHECK(memo.hits() < calls);
    // Not pure: functional ops, the memo switched off, a fault: every call runs.
    gemm_memo other;
    std::vector<int8_t> a(pool[0].M * pool[0].K, 3), bt(pool[0].N * pool[0].K, -2);
    gemm_op functional = pool[0];
    functional.a = a.data();
    functional.bt = bt.data();
    vssa_config off;
    off.gemm_memo = false;
    vssa_config faulty;
    faulty.fault.add_cycles_at_tile = 0;
    for (int i = 0; i < 3; ++i) {
        check_same_result(other.run(vssa_config{}, functional), run_gemm(vssa_config{}, functional));
        check_same_result(other.run(off, pool[0]), run_gemm(off, pool[0]));
        check_same_result(other.run(faulty, pool[0]), run_gemm(faulty, pool[0]));
    }
    CHECK(other.hits() == 0);
    CHECK(other.size() == 0);
    // The renamed op is answered from its twin's entry: one miss, then a hit; each near op,
    // run after its original, is a miss with its own result.
    gemm_memo twin;
    twin.run(vssa_config{}, pool[1]);
    check_same_result(twin.run(vssa_config{}, renamed), run_gemm(vssa_config{}, renamed));
    CHECK(twin.hits() == 1);
    for (const auto& [orig, op] : near) {
        INFO("near op of pool[" << orig << "]");
        twin.run(vssa_config{}, pool[orig]);
        check_same_result(twin.run(vssa_config{}, op), run_gemm(vssa_config{}, op));
    }
    CHECK(twin.hits() == 3);  // `renamed`, and pool[0] the second and third time; no near op
    CHECK(twin.size() == 3 + near.size());  // pool[1], pool[0], pool[2] and the near ops (renamed shares pool[1]'s entry)
}
