// Fetcher addresses and lengths for hand-made layouts.
#include <catch2/catch.hpp>

#include "fetcher/fetcher.h"

using namespace dtq::fetcher;

TEST_CASE("fetcher: order with and without reordering", "[fetcher]") {
    const std::vector<uint32_t> b8 = {1, 5}, b4 = {0, 2, 7};
    CHECK(fetch_order(b8, b4, false) == std::vector<token_ref>{{0, 4}, {1, 8}, {2, 4}, {5, 8}, {7, 4}});
    CHECK(fetch_order(b8, b4, true) == std::vector<token_ref>{{0, 4}, {2, 4}, {7, 4}, {1, 8}, {5, 8}});
}

TEST_CASE("fetcher: packed tensor, 8-bit neighbours coalesce, 4-bit ones break runs", "[fetcher]") {
    // d_head 64, tokens packed back to back at 8 bits: stride 64 B, base 0x1000.
    const tensor_layout l{0x1000, 64, 64};
    CHECK(vector_bytes(l, 8) == 64);
    CHECK(vector_bytes(l, 4) == 32);
    const auto runs = plan(l, {{2, 8}, {3, 8}, {4, 4}, {5, 8}, {9, 8}});
    // tokens 2,3 at 0x1080..0x1100 contiguous; token 4 at 0x1100 (32 B, 4-bit) continues the
    // run; token 5 starts at 0x1140, not at 0x1120: new run; token 9 at 0x1240: new run.
    REQUIRE(runs.size() == 3);
    CHECK(runs[0] == fetch_run{0x1080, 64 + 64 + 32, 0, 3});
    CHECK(runs[1] == fetch_run{0x1140, 64, 3, 1});
    CHECK(runs[2] == fetch_run{0x1240, 64, 4, 1});
}

TEST_CASE("fetcher: one head of a [tokens x d_model] tensor is strided", "[fetcher]") {
    // Head 3 of Q in a row-major [seq x 768] int8 tensor: base + 3*64, stride 768.
    const tensor_layout l{0x100000000ull + 3 * 64, 768, 64};
    const auto runs = plan(l, {{0, 8}, {1, 8}, {2, 4}});
    REQUIRE(runs.size() == 3);
    CHECK(runs[0] == fetch_run{0x100000000ull + 192, 64, 0, 1});
    CHECK(runs[1] == fetch_run{0x100000000ull + 192 + 768, 64, 1, 1});
    CHECK(runs[2] == fetch_run{0x100000000ull + 192 + 1536, 32, 2, 1});
    const auto d = descriptors(runs, 0x22000000);
    REQUIRE(d.size() == 3);
    CHECK(d[0].src == 0x100000000ull + 192);
    CHECK(d[0].dst == 0x22000000);
    CHECK(d[1].dst == 0x22000000 + 64);
    CHECK(d[2].dst == 0x22000000 + 128);
    CHECK(d[2].row_bytes == 32);
    CHECK(address_cycles(3, 4) == 1);
    CHECK(address_cycles(128, 4) == 32);
}

TEST_CASE("fetcher: odd element counts round a 4-bit vector up to whole bytes", "[fetcher]") {
    const tensor_layout l{0, 64, 63};
    CHECK(vector_bytes(l, 4) == 32);  // 63 x 4 bits = 252 bits -> 32 bytes
    CHECK(vector_bytes(l, 8) == 63);
}
