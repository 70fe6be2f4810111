// The VSSA block's value kernels (models/vssa/vssa_values.h), on cases small enough to work
// out by hand: a head's tensor unpacked from its line-buffer image, Q x K^T scores in the
// 8-bit domain, P x V with a 4-bit V token, a GEMM command's C with a 4-bit row.
#include <catch2/catch.hpp>

#include <vector>

#include "vssa/vssa_values.h"

using namespace dtq::vssa;

TEST_CASE("vssa values: a head unpacked from its line-buffer image into token positions", "[vssa][values]") {
    // Fetch order: token 2 at 4 bits (codes 2 and -3: one byte, low nibble first = 0xD2),
    // then token 0 at 8 bits (1, -1); token 1 is pruned.
    const std::vector<token_slot> order = {{2, 4}, {0, 8}};
    const uint8_t image[3] = {0xD2, 0x01, 0xFF};
    CHECK(head_bytes(order, 2) == 3);
    const std::vector<int8_t> m = unpack_head(image, order, 3, 2);
    CHECK(m == std::vector<int8_t>{1, -1, 0, 0, 2, -3});
}

TEST_CASE("vssa values: Q x K^T scores count a 4-bit side x16", "[vssa][values]") {
    // C over 3 tokens (original positions), kept tokens 0 (8-bit) and 2 (4-bit):
    // s00 = c00 = 1, s01 = c02 x 16 = 48, s10 = c20 x 16 = 112, s11 = c22 x 256 = 2304.
    const std::vector<int32_t> c = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const std::vector<int64_t> s = scores_8bit(c, 3, {0, 2}, {8, 4});
    CHECK(s == std::vector<int64_t>{1, 48, 112, 2304});
}

TEST_CASE("vssa values: P x V scales a 4-bit V token's codes x16 and leaves pruned rows 0", "[vssa][values]") {
    // seq 3, dh 2; kept tokens 0 (8-bit, V = 1, -1) and 2 (4-bit codes 2, -3 = 32, -48 in the
    // 8-bit domain); token 1 pruned. P = [[1, 2], [3, 4]]:
    // row of token 0 = [1 x 1 + 2 x 32, 1 x -1 + 2 x -48] = [65, -97]
    // row of token 2 = [3 x 1 + 4 x 32, 3 x -1 + 4 x -48] = [131, -195]
    const std::vector<int8_t> p = {1, 2, 3, 4};
    const std::vector<int8_t> vm = {1, -1, 9, 9, 2, -3};
    const std::vector<int32_t> rows = attention_pv(p, vm, 3, 2, {0, 2}, {8, 4}, false, dtq::vsquant::config{}, 1);
    CHECK(rows == std::vector<int32_t>{65, -97, 0, 0, 131, -195});
}

TEST_CASE("vssa values: a GEMM command's C with a pruned row and a 4-bit row", "[vssa][values]") {
    // A rows: 8-bit [10, 20]; 4-bit [32, -48] -> codes [2, -3], counted x16; pruned [5, 5] -> 0.
    // B^T = [[1, 2]]: C = [10 + 40, (2 - 6) x 16, 0] = [50, -64, 0].
    std::vector<int8_t> am = {10, 20, 32, -48, 5, 5};
    const std::vector<int8_t> bt = {1, 2};
    const std::vector<int32_t> c = command_gemm(am, bt, {8, 4, 0}, 3, 1, 2, false, false, dtq::vsquant::config{}, {}, {}, 1);
    CHECK(c == std::vector<int32_t>{50, -64, 0});
}
