// Lockstep cosimulation of the C++ tile model against the Verilated array
// (rtl/vssa_array.sv): results and cycle counts must be equal on every tile; a fault
// injected into the model must be caught with a readable report and a VCD.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "vssa/engine.h"
#include "vssa/gemm.h"
#include "vssa_rtl.h"

using namespace dtq::vssa;

namespace {

tile_job make_job(int R, int C, int K, const std::vector<uint8_t>& rb, const std::vector<uint8_t>& cb,
                  const std::vector<int8_t>& a, const std::vector<int8_t>& b) {
    tile_job j;
    j.rows = R;
    j.cols = C;
    j.k = K;
    j.row_bits = rb;
    j.col_bits = cb;
    j.a = a.empty() ? nullptr : a.data();
    j.b = b.empty() ? nullptr : b.data();
    return j;
}

int8_t value(std::mt19937& rng, uint8_t bits) {
    // Extremes of each precision are drawn often: -128, 127 (8-bit), -8, 7 (4-bit).
    if (bits == 4) {
        static const int8_t ext4[] = {-8, 7, 0, -1};
        return rng() % 3 == 0 ? ext4[rng() % 4] : static_cast<int8_t>(static_cast<int>(rng() % 16) - 8);
    }
    static const int8_t ext8[] = {-128, 127, -8, 7, 0, -1};
    return rng() % 3 == 0 ? ext8[rng() % 6] : static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
}

}  // namespace

TEST_CASE("cosim: one PE on the RTL takes 1 + c K + 1 cycles (load, MACs, one drain row)", "[cosim]") {
    vssa_rtl rtl;
    // 1 x 1 tile, K MACs: one load cycle, K steps of c cycles, one result row.
    struct mode { uint8_t p, q; uint32_t c; };
    for (const mode m : {mode{4, 4, 1}, mode{8, 4, 2}, mode{4, 8, 2}, mode{8, 8, 4}}) {
        const int8_t av = m.p == 8 ? -128 : -8, bv = m.q == 8 ? 127 : 7;
        const std::vector<int8_t> a(5, av), b(5, bv);
        const tile_result r = rtl.run_tile(make_job(1, 1, 5, {m.p}, {m.q}, a, b));
        INFO("mode " << int{m.p} << "x" << int{m.q});
        CHECK(r.cycles == 1 + 5u * m.c + 1);
        CHECK(r.busy_pe_cycles == 5u * m.c);
        CHECK(r.stall_pe_cycles == 0);
        REQUIRE(r.c.size() == 1);
        CHECK(r.c[0] == 5 * int32_t{av} * int32_t{bv});  // e.g. 5 x -128 x 127 = -81280
    }
}

TEST_CASE("cosim: the RTL times the Fig. 5 r0c0 tile as computed by hand", "[cosim]") {
    // rows 8,4,4 x cols 8,4,4, K 9: sum of step durations 42 (tests/vssa derives it),
    // + 1 load + 3 drain = 46; busy 144, stall 140.
    vssa_rtl rtl;
    const tile_result r = rtl.run_tile(make_job(3, 3, 9, {8, 4, 4}, {8, 4, 4}, {}, {}));
    CHECK(r.cycles == 46);
    CHECK(r.busy_pe_cycles == 144);
    CHECK(r.stall_pe_cycles == 140);
}

TEST_CASE("cosim: 10,000+ random tiles in lockstep, zero mismatches in results and cycles", "[cosim]") {
    vssa_rtl rtl;
    tile_model model;
    std::mt19937 rng(2024);
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t tiles = 0, rtl_cycles = 0;
    const int kinds = 5;  // all-4, all-8, mixed rows/cols, mixed per-k (prob x V), extremes only
    for (int it = 0; it < 10240; ++it) {
        const int kind = it % kinds;
        const int R = 1 + static_cast<int>(rng() % static_cast<unsigned>(vssa_rtl::max_rows));
        const int C = 1 + static_cast<int>(rng() % static_cast<unsigned>(vssa_rtl::max_cols));
        const int K = 1 + static_cast<int>(rng() % (rng() % 8 == 0 ? 200u : 24u));
        tile_job j;
        j.rows = R;
        j.cols = C;
        j.k = K;
        j.index = static_cast<uint64_t>(it);
        auto pick = [&](int n) {
            std::vector<uint8_t> v(static_cast<size_t>(n));
            for (auto& x : v) x = kind == 0 ? 4 : kind == 1 ? 8 : (rng() & 1) ? 8 : 4;
            return v;
        };
        j.row_bits = kind == 3 ? std::vector<uint8_t>(static_cast<size_t>(R), 8) : pick(R);
        j.col_bits = pick(C);
        if (kind == 3) j.k_bits = pick(K);
        std::vector<int8_t> a(static_cast<size_t>(R * K)), b(static_cast<size_t>(K * C));
        for (int i = 0; i < R; ++i)
            for (int k = 0; k < K; ++k) {
                const uint8_t bits = j.a_bits(i, k);
                a[static_cast<size_t>(i * K + k)] = kind == 4 ? (bits == 8 ? (rng() & 1 ? 127 : -128) : (rng() & 1 ? 7 : -8))
                                                              : value(rng, bits);
            }
        for (int k = 0; k < K; ++k)
            for (int c = 0; c < C; ++c) {
                const uint8_t bits = j.b_bits(k, c);
                b[static_cast<size_t>(k * C + c)] = kind == 4 ? (bits == 8 ? (rng() & 1 ? 127 : -128) : (rng() & 1 ? 7 : -8))
                                                              : value(rng, bits);
            }
        j.a = a.data();
        j.b = b.data();
        const tile_result m = model.run_tile(j);
        const tile_result r = rtl.run_tile(j);
        INFO("tile " << it << ": " << R << " x " << C << " x " << K << " kind " << kind);
        REQUIRE(r.cycles == m.cycles);
        REQUIRE(r.busy_pe_cycles == m.busy_pe_cycles);
        REQUIRE(r.stall_pe_cycles == m.stall_pe_cycles);
        REQUIRE(r.c == m.c);
        // and the model's functional result is the naive product
        std::vector<int32_t> ref(static_cast<size_t>(R * C), 0);
        for (int i = 0; i < R; ++i)
            for (int c = 0; c < C; ++c)
                for (int k = 0; k < K; ++k)
                    ref[static_cast<size_t>(i * C + c)] += int32_t{a[static_cast<size_t>(i * K + k)]} * b[static_cast<size_t>(k * C + c)];
        REQUIRE(m.c == ref);
        ++tiles;
        rtl_cycles += r.cycles;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN(tiles << " tiles, " << rtl_cycles << " RTL cycles in " << s << " s");
    CHECK(tiles >= 10000);
}
