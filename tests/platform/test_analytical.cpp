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
