// The analytical model against the survey's Table 3 (BERT-Base, whole model).
#include <catch2/catch.hpp>

#include "platform/workloads/analytical.h"

using namespace dtq;

namespace {
const op_count& op(const std::vector<op_count>& ops, const std::string& name) {
    for (const auto& o : ops)
        if (o.name == name) return o;
    FAIL("no op " << name);
    return ops.front();
}
}  // namespace

TEST_CASE("analytical: BERT-Base totals reproduce the survey's Table 3 within 0.5%", "[report]") {
    const model_shape m = *find_model("bert-base");
    struct row { uint64_t seq; double gflops, ai; };
    // Table 3, "Total" rows.
    for (const row r : {row{128, 22.42, 159.68}, row{512, 97.02, 231.0}, row{4096, 1323.66, 117.96}}) {
        const auto ops = analytical_ops(m, r.seq);
        const op_count& t = op(ops, "total");
        INFO("seq " << r.seq);
        CHECK(t.flops / 1e9 == Approx(r.gflops).epsilon(0.005));
        CHECK(t.ai() == Approx(r.ai).epsilon(0.005));
    }
}

TEST_CASE("analytical: per-op rows of Table 3 at seq 512", "[report]") {
    const auto ops = analytical_ops(*find_model("bert-base"), 512);
    // MHA projections = qkv + out: 28.99 GFLOPs, AI 438.86; act-to-act: 9.62, AI 101.95;
    // FFN: 57.98, AI 558.54; other: 0.42 GFLOPs, AI 2.73.
    const double proj_f = op(ops, "qkv_proj").flops + op(ops, "out_proj").flops;
    const double proj_m = op(ops, "qkv_proj").mops + op(ops, "out_proj").mops;
    CHECK(proj_f / 1e9 == Approx(28.99).epsilon(0.005));
    CHECK(proj_f / proj_m == Approx(438.86).epsilon(0.005));
    const double act_f = op(ops, "qk").flops + op(ops, "sv").flops;
    const double act_m = op(ops, "qk").mops + op(ops, "sv").mops;
    CHECK(act_f / 1e9 == Approx(9.62).epsilon(0.005));
    CHECK(act_f / act_m == Approx(101.95).epsilon(0.005));
    const double ffn_f = op(ops, "ffn_w1").flops + op(ops, "ffn_w2").flops;
    const double ffn_m = op(ops, "ffn_w1").mops + op(ops, "ffn_w2").mops;
    CHECK(ffn_f / 1e9 == Approx(57.98).epsilon(0.005));
    CHECK(ffn_f / ffn_m == Approx(558.54).epsilon(0.005));
    CHECK(op(ops, "other").ai() == Approx(2.73).epsilon(0.01));
}

TEST_CASE("analytical: hand count of one projection", "[report]") {
    // BERT-Base seq 128 out_proj: 12 layers x 2 x 128 x 768 x 768 FLOPs;
    // MOPs 12 x (768*768 weights + 128*768 in + 128*768 out) bytes.
    const auto ops = analytical_ops(*find_model("bert-base"), 128);
    CHECK(op(ops, "out_proj").flops == 12.0 * 2 * 128 * 768 * 768);
    CHECK(op(ops, "out_proj").mops == 12.0 * (768 * 768 + 2 * 128 * 768));
    CHECK(find_model("bert-large")->d_head() == 64);
    CHECK_FALSE(find_model("bert-huge").has_value());
}

TEST_CASE("analytical: every op's FLOPs and bytes exactly, counted by loops on a tiny model", "[report]") {
    // 2 layers, d 6, 2 heads of 3, FFN 10, seq 3: small enough to count every multiply and
    // add one by one. Projections count 2 FLOPs per MAC (the survey's convention);
    // act-to-act matmuls K multiplies and K - 1 adds per output (Table 3's convention).
    const model_shape m{"tiny", 2, 6, 2, 10, false};
    const uint64_t L = 3, D = 6, H = 2, DH = 3, F = 10, layers = 2;
    const auto ops = analytical_ops(m, L);
    auto proj_flops = [](uint64_t rows, uint64_t k, uint64_t cols) {
        uint64_t f = 0;
        for (uint64_t i = 0; i < rows; ++i)
            for (uint64_t j = 0; j < cols; ++j)
                for (uint64_t x = 0; x < k; ++x) f += 2;  // one multiply, one add
        return f;
    };
    auto act_flops = [](uint64_t rows, uint64_t k, uint64_t cols) {
        uint64_t f = 0;
        for (uint64_t i = 0; i < rows; ++i)
            for (uint64_t j = 0; j < cols; ++j) {
                f += 1;                                  // the first product
                for (uint64_t x = 1; x < k; ++x) f += 2;  // each further product and its add
            }
        return f;
    };
    // Per layer. Q, K, V projections: three 3 x 6 x 6 matmuls; bytes: weights 36, in 18, out 18 each.
    CHECK(op(ops, "qkv_proj").flops == layers * 3 * proj_flops(L, D, D));
    CHECK(op(ops, "qkv_proj").flops == 2.0 * 3 * 2 * 108);
    CHECK(op(ops, "qkv_proj").mops == layers * 3 * (36 + 18 + 18));
    // Q x K^T per head: 3 x 3 scores over 3 elements: 5 FLOPs each, 9 x 2 heads; bytes: Q and
    // K (3 x 6 each, all heads) and the 2 x 3 x 3 scores.
    CHECK(act_flops(L, DH, L) == 9 * 5);
    CHECK(op(ops, "qk").flops == layers * H * act_flops(L, DH, L));
    CHECK(op(ops, "qk").mops == layers * (18 + 18 + 18));
    // P x V per head: 3 x 3 outputs over the 3 tokens: 5 FLOPs each; bytes: P (2 x 9), V and out (18 each).
    CHECK(op(ops, "sv").flops == layers * H * act_flops(L, L, DH));
    CHECK(op(ops, "sv").mops == layers * (18 + 18 + 18));
    CHECK(op(ops, "out_proj").flops == layers * proj_flops(L, D, D));
    CHECK(op(ops, "out_proj").mops == layers * (36 + 18 + 18));
    // FFN: 3 x 6 x 10 then 3 x 10 x 6; bytes: 60 weights each, 18 + 30 activations each.
    CHECK(op(ops, "ffn_w1").flops == layers * proj_flops(L, D, F));
    CHECK(op(ops, "ffn_w1").mops == layers * (60 + 18 + 30));
    CHECK(op(ops, "ffn_w2").flops == layers * proj_flops(L, F, D));
    CHECK(op(ops, "ffn_w2").mops == layers * (60 + 30 + 18));
    // Other (docs/analytical-model.md): 4 FLOPs and 2 bytes per score (2 x 9 scores), 58 FLOPs
    // and 17 bytes per token per model dimension (18).
    CHECK(op(ops, "other").flops == layers * (4 * 18 + 58 * 18));
    CHECK(op(ops, "other").mops == layers * (2 * 18 + 17 * 18));
    double f = 0, b = 0;
    for (const char* n : {"qkv_proj", "qk", "sv", "out_proj", "ffn_w1", "ffn_w2", "other"}) f += op(ops, n).flops, b += op(ops, n).mops;
    CHECK(op(ops, "total").flops == f);
    CHECK(op(ops, "total").mops == b);
    CHECK(ops.back().name == "total");
    CHECK(ops.size() == 8);
}

TEST_CASE("analytical: Q x K FLOPs at BERT-Base seq 512 exactly (the -1 of the additions)", "[report]") {
    // 12 layers x 12 heads x 512 x 512 scores x (64 multiplies + 63 adds) = 4,794,089,472;
    // without the -1 it would be 4,831,838,208 (inside Table 3's 0.5 % for the act-to-act sum).
    const auto ops = analytical_ops(*find_model("bert-base"), 512);
    CHECK(op(ops, "qk").flops == 4794089472.0);
    CHECK(op(ops, "sv").flops == 12.0 * 512 * 64 * 12 * (2 * 512 - 1));
}
