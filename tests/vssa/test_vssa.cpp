// VSSA tile cycles by hand and against a literal step-by-step simulation written here;
// functional GEMMs against a naive triple loop; the reordering identity.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "vssa/engine.h"
#include "vssa/gemm.h"
#include "vssa/tile_model.h"

using namespace dtq::vssa;

namespace {

// Literal lockstep simulation: every step, every PE; independent of tile_cycles().
struct brute {
    uint64_t steps_cycles = 0, stall = 0, busy = 0;
};
brute simulate(const std::vector<uint8_t>& rb, const std::vector<uint8_t>& cb, uint32_t K) {
    brute b;
    const uint32_t R = static_cast<uint32_t>(rb.size()), C = static_cast<uint32_t>(cb.size());
    for (uint32_t t = 0; t < K + R + C - 2; ++t) {
        uint32_t d = 0;
        for (uint32_t i = 0; i < R; ++i)
            for (uint32_t j = 0; j < C; ++j)
                if (t >= i + j && t - i - j < K) d = std::max(d, (rb[i] / 4u) * (cb[j] / 4u));
        b.steps_cycles += d;
        for (uint32_t i = 0; i < R; ++i)
            for (uint32_t j = 0; j < C; ++j)
                if (t >= i + j && t - i - j < K) {
                    const uint32_t c = (rb[i] / 4u) * (cb[j] / 4u);
                    b.busy += c;
                    b.stall += d - c;
                }
    }
    return b;
}

tile_timing tile(std::vector<uint8_t> rb, std::vector<uint8_t> cb, uint32_t K) {
    return tile_cycles({static_cast<uint32_t>(rb.size()), static_cast<uint32_t>(cb.size()), K, rb.data(), cb.data()});
}

}  // namespace

TEST_CASE("vssa: a single PE takes 1, 2, 4 cycles per MAC for 4x4, 8x4/4x8, 8x8", "[vssa]") {
    CHECK(tile({4}, {4}, 1).step_cycles == 1);
    CHECK(tile({8}, {4}, 1).step_cycles == 2);
    CHECK(tile({4}, {8}, 1).step_cycles == 2);
    CHECK(tile({8}, {8}, 1).step_cycles == 4);
    // K MACs in sequence, then one cycle to drain the result row.
    CHECK(tile({8}, {8}, 10).cycles == 40 + 1);
    CHECK(tile({8}, {4}, 10).stall_pe_cycles == 0);
}

TEST_CASE("vssa: uniform tiles never stall; fill and drain are counted", "[vssa]") {
    for (uint8_t p : {4, 8})
        for (uint8_t q : {4, 8}) {
            const auto t = tile(std::vector<uint8_t>(16, p), std::vector<uint8_t>(16, q), 64);
            const uint32_t c = (p / 4u) * (q / 4u);
            // 64 + 16 + 16 - 2 = 94 steps of c cycles, plus 16 drain cycles.
            CHECK(t.cycles == 94u * c + 16u);
            CHECK(t.stall_pe_cycles == 0);
            CHECK(t.stall_ratio() == 0.0);
            CHECK(t.busy_pe_cycles == 256u * 64u * c);
        }
}

TEST_CASE("vssa: 3x3 tile of the Fig. 5 example, normal order (rows 8,4,4 x cols 8,4,4, K 9)", "[vssa]") {
    // c(i,j):  4 2 2 / 2 1 1 / 2 1 1. Slowest per anti-diagonal s = i + j: 4, 2, 2, 1, 1.
    // Steps t = 0..12 see diagonals [t-8, t]: t <= 8 includes s = 0 -> 4 cycles (9 steps);
    // t = 9, 10 -> 2; t = 11, 12 -> 1.  Sum = 36 + 4 + 2 = 42; + 3 drain = 45.
    // Windows (sum of the 9 steps a PE is active): s0 36, s1 34, s2 32, s3 29, s4 26;
    // PEs per diagonal 1, 2, 3, 2, 1 -> 284. Busy = 9 x (sum of c = 16) = 144.
    // Stall = 140. R = 140 / (9 PEs x 36) = 0.4321.
    const auto t = tile({8, 4, 4}, {8, 4, 4}, 9);
    CHECK(t.step_cycles == 42);
    CHECK(t.cycles == 45);
    CHECK(t.busy_pe_cycles == 144);
    CHECK(t.stall_pe_cycles == 140);
    CHECK(t.max_cycle == 36);
    CHECK(t.stall_ratio() == Approx(140.0 / 324.0));
}

TEST_CASE("vssa: 3x3 tiles after clustering: all-4-bit and one mixed column", "[vssa]") {
    // All 4-bit: 13 steps of 1 cycle + 3 drain, no stall.
    const auto u = tile({4, 4, 4}, {4, 4, 4}, 9);
    CHECK(u.cycles == 16);
    CHECK(u.stall_pe_cycles == 0);
    // rows 4,4,4 x cols 4,4,8: c = 1 1 2 per row; diagonal maxima 1, 1, 2, 2, 2.
    // t = 0, 1 -> 1 cycle; t = 2..12 -> 2 cycles: 2 + 22 = 24; + 3 = 27.
    // Windows: s0 16, s1 17, s2 18, s3 18, s4 18 -> 16 + 34 + 54 + 36 + 18 = 158.
    // Busy 9 x 12 = 108; stall 50; max_cycle 18; R = 50 / 162.
    const auto m = tile({4, 4, 4}, {4, 4, 8}, 9);
    CHECK(m.cycles == 27);
    CHECK(m.stall_pe_cycles == 50);
    CHECK(m.stall_ratio() == Approx(50.0 / 162.0));
}

TEST_CASE("vssa: Fig. 5 style 9 tokens x 9 channels on a 3x3 array, plain and reordered", "[vssa]") {
    // Token precisions (ids 0..8); Q x K^T over the same tokens.
    const std::vector<uint8_t> bits = {8, 4, 4, 8, 4, 8, 4, 4, 8};
    vssa_config cfg;
    cfg.rows = cfg.cols = 3;
    gemm_op op;
    op.M = op.N = 9;
    op.K = 9;
    op.row_bits = op.col_bits = bits;
    for (bool reorder : {false, true}) {
        cfg.reorder = reorder;
        // Expected per iteration from the literal simulation, tile by tile in Fig. 5 order.
        std::vector<uint32_t> order(9);
        for (uint32_t i = 0; i < 9; ++i) order[i] = i;
        if (reorder) std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return bits[a] < bits[b]; });
        uint64_t expect_cycles = 0, expect_stall = 0;
        std::vector<double> expect_r;
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) {
                std::vector<uint8_t> rb, cb;
                uint32_t cmax = 0;
                for (int x = 0; x < 3; ++x) {
                    rb.push_back(bits[order[r * 3 + x]]);
                    cb.push_back(bits[order[c * 3 + x]]);
                }
                for (auto p : rb)
                    for (auto q : cb) cmax = std::max(cmax, (p / 4u) * (q / 4u));
                const brute b = simulate(rb, cb, 9);
                expect_cycles += b.steps_cycles + 3;
                expect_stall += b.stall;
                expect_r.push_back(static_cast<double>(b.stall) / (9.0 * 9.0 * cmax));
            }
        const gemm_result res = run_gemm(cfg, op);
        INFO("reorder " << reorder);
        CHECK(res.tiles == 9);
        CHECK(res.cycles == expect_cycles);
        CHECK(res.stall_pe_cycles == expect_stall);
        REQUIRE(res.iteration_r.size() == 9);
        for (int i = 0; i < 9; ++i) CHECK(res.iteration_r[i] == Approx(expect_r[i]));
    }
    // Clustering helps: fewer cycles and a lower mean R.
    cfg.reorder = false;
    const auto plain = run_gemm(cfg, op);
    cfg.reorder = true;
    const auto clustered = run_gemm(cfg, op);
    CHECK(clustered.cycles < plain.cycles);
    CHECK(clustered.stall_ratio_sum < plain.stall_ratio_sum);
    // Normal order: iteration r0c0 is the hand-computed tile above.
    CHECK(plain.iteration_r[0] == Approx(140.0 / 324.0));
}

TEST_CASE("vssa: tile model equals the literal simulation on random tiles", "[vssa]") {
    std::mt19937 rng(3);
    for (int it = 0; it < 300; ++it) {
        const uint32_t R = 1 + rng() % 8, C = 1 + rng() % 8, K = 1 + rng() % 40;
        std::vector<uint8_t> rb(R), cb(C);
        for (auto& b : rb) b = (rng() & 1) ? 8 : 4;
        for (auto& b : cb) b = (rng() & 1) ? 8 : 4;
        const auto t = tile(rb, cb, K);
        const brute b = simulate(rb, cb, K);
        REQUIRE(t.step_cycles == b.steps_cycles);
        REQUIRE(t.stall_pe_cycles == b.stall);
        REQUIRE(t.busy_pe_cycles == b.busy);
    }
}

TEST_CASE("vssa: reduction-precision tiles (prob x V) against the literal simulation", "[vssa]") {
    std::mt19937 rng(5);
    for (int it = 0; it < 200; ++it) {
        const uint32_t R = 1 + rng() % 6, C = 1 + rng() % 6, K = 1 + rng() % 30;
        std::vector<uint8_t> kb(K);
        for (auto& b : kb) b = (rng() & 1) ? 8 : 4;
        const auto t = tile_cycles_reduction(R, C, 8, kb.data(), K);
        uint64_t steps = 0, stall = 0;
        for (uint32_t s = 0; s < K + R + C - 2; ++s) {
            uint32_t d = 0;
            for (uint32_t i = 0; i < R; ++i)
                for (uint32_t j = 0; j < C; ++j)
                    if (s >= i + j && s - i - j < K) d = std::max(d, 2u * (kb[s - i - j] / 4u));
            steps += d;
            for (uint32_t i = 0; i < R; ++i)
                for (uint32_t j = 0; j < C; ++j)
                    if (s >= i + j && s - i - j < K) stall += d - 2u * (kb[s - i - j] / 4u);
        }
        REQUIRE(t.step_cycles == steps);
        REQUIRE(t.stall_pe_cycles == stall);
    }
}

TEST_CASE("vssa: random mixed-precision GEMMs equal a naive triple loop", "[vssa]") {
    std::mt19937 rng(11);
    for (int it = 0; it < 40; ++it) {
        const uint64_t M = 1 + rng() % 70, N = 1 + rng() % 70, K = 1 + rng() % 100;
        std::vector<int8_t> a(M * K), bt(N * K);
        gemm_op op;
        op.M = M; op.N = N; op.K = K;
        op.row_bits.resize(M);
        op.col_bits.resize(N);
        for (uint64_t i = 0; i < M; ++i) op.row_bits[i] = uint8_t{0} + (rng() % 3) * 4;  // 0, 4, 8
        for (uint64_t j = 0; j < N; ++j) op.col_bits[j] = uint8_t{0} + (rng() % 3) * 4;
        // Extremes included; 4-bit tokens quantized into the 8-bit domain.
        const int8_t extremes[] = {-128, 127, -8, 7, 0};
        for (uint64_t i = 0; i < M; ++i)
            for (uint64_t k = 0; k < K; ++k) {
                int8_t v = (rng() % 5 == 0) ? extremes[rng() % 5] : static_cast<int8_t>(rng() % 256 - 128);
                a[i * K + k] = op.row_bits[i] == 4 ? quantize_4bit(v) : v;
            }
        for (uint64_t j = 0; j < N; ++j)
            for (uint64_t k = 0; k < K; ++k) {
                int8_t v = (rng() % 5 == 0) ? extremes[rng() % 5] : static_cast<int8_t>(rng() % 256 - 128);
                bt[j * K + k] = op.col_bits[j] == 4 ? quantize_4bit(v) : v;
            }
        op.a = a.data();
        op.bt = bt.data();
        vssa_config cfg;
        cfg.rows = 4 + rng() % 13;
        cfg.cols = 4 + rng() % 15;
        cfg.arrays = 1 + rng() % 3;
        cfg.reorder = rng() & 1;
        cfg.threads = 1 + rng() % 2;
        const gemm_result res = run_gemm(cfg, op);
        std::vector<int32_t> ref(M * N);
        gemm_s8_reference(a.data(), bt.data(), ref.data(), M, N, K);
        for (uint64_t i = 0; i < M; ++i)
            for (uint64_t j = 0; j < N; ++j) {
                const bool live = op.row_bits[i] && op.col_bits[j];
                REQUIRE(res.c[i * N + j] == (live ? ref[i * N + j] : 0));
            }
        CHECK(res.reorder_checked == cfg.reorder);
    }
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

TEST_CASE("vssa: tiles round-robin over arrays; the makespan is the busiest array", "[vssa]") {
    gemm_op op;
    op.M = 32; op.N = 32; op.K = 8;  // 2 x 2 tiles of 16 x 16
    op.row_bits.assign(32, 8);
    op.col_bits.assign(32, 8);
    vssa_config cfg;  // 16 x 16
    cfg.arrays = 1;
    const uint64_t one_tile = (8 + 30) * 4 + 16;  // 38 steps of 4 cycles + 16 drain
    CHECK(run_gemm(cfg, op).cycles == 4 * one_tile);
    cfg.arrays = 3;  // tiles 0, 3 on array 0
    CHECK(run_gemm(cfg, op).cycles == 2 * one_tile);
    cfg.arrays = 4;
    CHECK(run_gemm(cfg, op).cycles == one_tile);
    op.row_bits[5] = 0;  // a pruned token removes its row: 31 rows still need 2 row tiles
    op.row_bits[20] = 0;
    op.row_bits[21] = 0;  // 29 rows
    CHECK(run_gemm(cfg, op).macs == 29u * 32u * 8u);
}
