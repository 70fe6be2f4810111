// The comparison designs of Fig. 8 / Table I (platform/designs.h) against hand counts, and
// the SCALE-Sim output-stationary fold count against the VSSA's tiles (docs/timing-model.md).
#include <catch2/catch.hpp>

#include <string>

#include "platform/workloads/designs.h"
#include "vssa/engine.h"

using namespace dtq;

TEST_CASE("eyeriss_like: one small attention head by hand", "[designs]") {
    // n = 20 tokens, d_head = 8, on 14 x 16 PEs; a tile of r x c PEs over K costs
    // 1 (load) + K + (r + c - 2) (skew) + r (drain) = K + 2r + c - 1.
    // Q x K^T: 20 x 20 x 8: row tiles 14, 6; column tiles 16, 4.
    //   (14,16) 8+28+16-1 = 51, (14,4) 8+28+4-1 = 39, (6,16) 8+12+16-1 = 35, (6,4) 8+12+4-1 = 23 -> 148
    // P x V: 20 x 8 x 20: row tiles 14, 6; one column tile of 8.
    //   (14,8) 20+28+8-1 = 55, (6,8) 20+12+8-1 = 39 -> 94
    CHECK(designs::os_gemm_cycles(20, 20, 8, 14, 16) == 148);
    CHECK(designs::os_gemm_cycles(20, 8, 20, 14, 16) == 94);
    // DRAM: Q, K, V of 20 tokens x 8 at 16 bits = 3 x 320 = 960 bytes, output 20 x 8 x 2 = 320.
    const designs::timing t = designs::eyeriss_like_head(20, 8, 64);
    CHECK(t.compute_cycles == 242);
    CHECK(t.dram_bytes == 1280);
    CHECK(t.dram_cycles == 20);  // 1280 / 64
    CHECK(t.cycles == 242);      // compute bound
    // A 4-byte bus: 320 DRAM cycles > 242, the head becomes DRAM bound.
    const designs::timing slow = designs::eyeriss_like_head(20, 8, 4);
    CHECK(slow.dram_cycles == 320);
    CHECK(slow.cycles == 320);
    // 100% utilization: 2 x 20 x 20 x 8 = 6400 MACs on 224 PEs, one MAC a cycle: ceil(28.57) = 29.
    CHECK(t.macs == 6400);
    CHECK(t.ideal_cycles == 29);
    CHECK(designs::ideal_cycles(6400, 224) == 29);
    CHECK(designs::ideal_cycles(6272, 224) == 28);  // exactly 28
}

TEST_CASE("spatten_like: pruning cuts MACs and bytes, precision only bytes", "[designs]") {
    // 20 tokens, 14 kept, d_head 8, one 16 x 22 array of 12-bit PEs, one MAC per cycle.
    // Q x K^T 14 x 14 x 8: one tile 8 + 28 + 14 - 1 = 49; P x V 14 x 8 x 14: 14 + 28 + 8 - 1 = 49.
    const designs::timing half = designs::spatten_like_head(20, 14, 8, 0.5, 64);
    CHECK(half.compute_cycles == 98);
    // bytes: 3 x 14 x 8 x (mean 6 bits) / 8 = 252, output 20 x 8 x 1 = 160.
    CHECK(half.dram_bytes == 412);
    const designs::timing all4 = designs::spatten_like_head(20, 14, 8, 1.0, 64);
    const designs::timing all8 = designs::spatten_like_head(20, 14, 8, 0.0, 64);
    // MACs: 2 x 14 x 14 x 8 = 3136 on 352 PEs: ceil(8.9) = 9 cycles at 100% utilization.
    CHECK(half.macs == 3136);
    CHECK(half.ideal_cycles == 9);
    CHECK(all4.compute_cycles == 98);  // one speed at every precision
    CHECK(all8.compute_cycles == 98);
    CHECK(all4.dram_bytes == 3 * 14 * 8 / 2 + 160);
    CHECK(all8.dram_bytes == 3 * 14 * 8 + 160);
    CHECK(designs::spatten_rows * designs::spatten_cols == 3168 / 9);
    CHECK(designs::eyeriss_rows * designs::eyeriss_cols == 224);
}

TEST_CASE("VSSA fold count equals SCALE-Sim's output-stationary folds on ragged shapes", "[designs][scalesim]") {
    // Every operand 4-bit on one 16 x 18 array: the VSSA runs one tile per SCALE-Sim fold.
    // SCALE-Sim pads every fold to R x C: 2R + C + K - 2 cycles. The VSSA adds the load
    // cycle and uses only the occupied r x c of an edge fold: 1 + K + (r + c - 2) + r,
    // so per fold VSSA - SCALE-Sim = 1 - 2 (R - r) - (C - c).
    struct shape {
        uint64_t M, N, K;
    };
    const uint64_t R = 16, C = 18;
    for (const shape s : {shape{16, 18, 64}, shape{17, 19, 5}, shape{40, 50, 64}, shape{92, 92, 64}, shape{3, 100, 7}}) {
        vssa::vssa_config cfg;
        cfg.rows = R;
        cfg.cols = C;
        cfg.arrays = 1;
        cfg.reorder = false;
        vssa::gemm_op op;
        op.M = s.M;
        op.N = s.N;
        op.K = s.K;
        op.row_bits.assign(s.M, 4);
        op.col_bits.assign(s.N, 4);
        const vssa::gemm_result r = vssa::run_gemm(cfg, op);
        INFO("M " << s.M << " N " << s.N << " K " << s.K);
        CHECK(r.tiles == designs::scalesim_os_folds(s.M, s.N, R, C));
        // The per-fold difference summed by hand over the folds.
        int64_t want = 0;
        for (uint64_t r0 = 0; r0 < s.M; r0 += R)
            for (uint64_t c0 = 0; c0 < s.N; c0 += C) {
                const uint64_t rr = std::min(R, s.M - r0), cc = std::min(C, s.N - c0);
                want += static_cast<int64_t>(designs::scalesim_os_fold_cycles(s.K, R, C)) + 1 - 2 * static_cast<int64_t>(R - rr) -
                        static_cast<int64_t>(C - cc);
            }
        CHECK(static_cast<int64_t>(r.cycles) == want);
    }
    // A worked example (docs/timing-model.md): 17 x 19 x 5 -> 2 x 2 folds; SCALE-Sim 4 x (32 + 18 + 5 - 2) = 212;
    // VSSA (16,18) 1+5+16+18-2+16 = 54, (16,1) 1+5+16+1-2+16 = 37,
    // (1,18) 1+5+1+18-2+1 = 24, (1,1) 1+5+1+1-2+1 = 7 -> 122.
    CHECK(designs::scalesim_os_folds(17, 19, 16, 18) == 4);
    CHECK(4 * designs::scalesim_os_fold_cycles(5, 16, 18) == 212);
    CHECK(designs::os_gemm_cycles(17, 19, 5, 16, 18) == 122);
}

#include "platform/workloads/analytical.h"

TEST_CASE("report --survey: the survey's Table 5 model by hand on a small shape", "[analytical][survey]") {
    // 1 layer, d 8, 2 heads (d_head 4), FFN 32, seq 4: every matmul fits the 2 MB L2, so each
    // operand crosses DRAM <-> L2 once; no fusion; 32-bit outputs before non-linear ops.
    const dtq::model_shape m{"tiny", 1, 8, 2, 32, false};
    auto ops = dtq::analytical_ops(m, 4);
    std::vector<double> ideal;
    for (const auto& o : ops) ideal.push_back(o.ai());
    dtq::add_survey_traffic(m, 4, ops);
    const auto bytes = [&](const char* n) {
        for (const auto& o : ops)
            if (o.name == n) return o.survey_bytes;
        return -2.0;
    };
    CHECK(bytes("qkv_proj") == 3 * (32 + 64 + 32));  // Q, K, V: X 4x8, W 8x8, 8-bit out 4x8
    CHECK(bytes("qk") == 2 * (16 + 16 + 64));        // per head Q 4x4, K 4x4, 32-bit scores 4x4x4
    CHECK(bytes("sv") == 2 * (16 + 16 + 16));        // P 4x4, V 4x4, 8-bit out 4x4
    CHECK(bytes("out_proj") == 32 + 64 + 128);       // 32-bit out 4x8x4 (LayerNorm follows)
    CHECK(bytes("ffn_w1") == 32 + 256 + 512);        // 32-bit out 4x32x4 (GELU follows)
    CHECK(bytes("ffn_w2") == 128 + 256 + 128);       // 32-bit out 4x8x4
    CHECK(bytes("other") < 0);                       // not a Table 5 column
    CHECK(bytes("total") == 2208);
    // The ideal AI (Table 3's column) is unchanged by the survey model.
    for (size_t i = 0; i < ops.size(); ++i) CHECK(ops[i].ai() == ideal[i]);
}

TEST_CASE("report --table5: the survey's Table 5 layout, one row a sequence length, by hand", "[analytical][survey]") {
    // The tiny model of the test above at seq 4: the same hand-counted bytes, now in the
    // layout's row; ideal AI = Table 3's (analytical_ops), non-ideal = FLOPs / survey bytes.
    const dtq::model_shape m{"tiny", 1, 8, 2, 32, false};
    const auto j = dtq::survey_table5_json(m, {4, 8});
    REQUIRE(j["rows"].size() == 2);
    const auto& r = j["rows"][0];
    CHECK(r["seq"] == 4);
    CHECK(r["qk"]["heading"] == "Q x K");
    CHECK(r["qk"]["survey_dram_bytes"].get<double>() == 2 * (16 + 16 + 64));
    CHECK(r["out_proj"]["survey_dram_bytes"].get<double>() == 32 + 64 + 128);
    CHECK(r["total"]["survey_dram_bytes"].get<double>() == 2208);
    const auto ops = dtq::analytical_ops(m, 4);
    for (const auto& o : ops) {
        if (o.name == "other") continue;
        CHECK(r[o.name]["ideal_ai"].get<double>() == o.ai());
    }
    // Q x K at seq 4: 2 heads x 4 x 4 outputs x (4 multiplies + 3 adds) = 224 FLOPs over 192 bytes.
    CHECK(r["qk"]["survey_nonideal_ai"].get<double>() == Approx(224.0 / 192.0));
    CHECK(j["rows"][1]["seq"] == 8);  // the next row: the next sequence length
    const std::string t = dtq::survey_table5(m, {4});
    CHECK(t.find("W_Q,W_K,W_V") != std::string::npos);
    CHECK(t.find("1.17 (") != std::string::npos);  // Q x K's 224 / 192, two decimals
}

TEST_CASE("report --survey: square tiling when the operands exceed the L2", "[analytical][survey]") {
    // 32 x 32 x 32, 32-bit out, L2 1000 bytes: 1024 + 1024 + 4096 > 1000. T: 8 (8^2 x 6 = 384
    // <= 1000 < 16^2 x 6). A read ceil(32/8) = 4 times, B 4 times, C written once: 12288.
    dtq::survey_hw hw;
    hw.l2_bytes = 1000;
    CHECK(dtq::survey_matmul_bytes(32, 32, 32, 4, hw) == 4 * 1024 + 4 * 1024 + 4096);
    CHECK(dtq::survey_matmul_bytes(32, 32, 32, 4) == 1024 + 1024 + 4096);  // fits 2 MB
}

#include "platform/sequencer/bottleneck.h"

TEST_CASE("bottleneck_of: the busiest unit bounds the layer, ties to the first", "[attention][bottleneck]") {
    // BERT-Base seq 128 at 16 B/cycle (docs/results.md): DMA 35,453 > softmax 28,704 > VSSA 26,772.
    bottleneck b = bottleneck_of({35453, 3000, 26772, 28704, 7000});
    CHECK(std::string(b.name()) == "dma");
    CHECK(b.busy == 35453);
    // At 64 B/cycle the DMA drops to 10,958: the softmax unit bounds.
    b = bottleneck_of({10958, 3000, 26772, 28704, 7000});
    CHECK(std::string(b.name()) == "softmax");
    CHECK(b.busy == 28704);
    // A tie goes to the first unit in the order dma, fetcher, vssa, softmax, topk.
    b = bottleneck_of({5, 9, 9, 1, 9});
    CHECK(std::string(b.name()) == "fetcher");
    CHECK(bottleneck_of({0, 0, 0, 0, 1}).unit == 4);
    CHECK(std::string(bottleneck_of({0, 0, 0, 0, 0}).name()) == "dma");
}

TEST_CASE("eyeriss_like and spatten_like: their knobs by hand on a small head", "[designs]") {
    // n = 20, d_head = 8 (the first test's head). 11 x 18 PEs: Q x K^T 20 x 20 x 8: row tiles 11, 9;
    // column tiles 18, 2: (11,18) 8+22+18-1 = 47, (11,2) 8+22+2-1 = 31, (9,18) 8+18+18-1 = 43,
    // (9,2) 8+18+2-1 = 27 -> 148; P x V 20 x 8 x 20: (11,8) 20+22+8-1 = 49, (9,8) 20+18+8-1 = 45 -> 94.
    designs::eyeriss_params p;
    p.rows = 11;
    p.cols = 18;
    designs::timing t = designs::eyeriss_like_head(20, 8, 64, p);
    CHECK(t.compute_cycles == 148 + 94);
    CHECK(t.ideal_cycles == 33);  // 6400 MACs / 198 PEs = 32.3 -> 33
    // A fixed utilization replaces the dataflow: ceil(29 / 0.5) = 58 on 224 PEs; ceil(29 / 0.3) = ceil(96.7) = 97.
    designs::eyeriss_params u;
    u.utilization = 0.5;
    CHECK(designs::eyeriss_like_head(20, 8, 64, u).compute_cycles == 58);
    u.utilization = 0.3;
    CHECK(designs::eyeriss_like_head(20, 8, 64, u).compute_cycles == 97);
    CHECK(designs::cycles_at_utilization(29, 1.0) == 29);
    // 8-bit operands: Q, K, V 3 x 20 x 8 bytes + the output 20 x 8 = 640 (16-bit: 1280); the
    // scores through DRAM add S written and P read, 2 x 20 x 20 at 8 bits = 800.
    designs::eyeriss_params b;
    b.bits = 8;
    CHECK(designs::eyeriss_like_head(20, 8, 64, b).dram_bytes == 640);
    b.scores_in_dram = true;
    CHECK(designs::eyeriss_like_head(20, 8, 64, b).dram_bytes == 1440);
    CHECK(designs::eyeriss_like_head(20, 8, 64, b).compute_cycles == 242);  // cycles unchanged
    // SpAtten-like at 16 x 31 (496 PEs), 14 kept: Q x K^T one tile 8 + 32 + 14 - 1 = 53 (r 14,
    // c 14); P x V 14 x 8 x 14: 14 + 28 + 8 - 1 = 49; ideal 3136 / 496 = 6.3 -> 7.
    designs::spatten_params s;
    s.cols = 31;
    const designs::timing sp = designs::spatten_like_head(20, 14, 8, 0.5, 64, s);
    CHECK(sp.compute_cycles == 49 + 49);  // a 14 x 14 tile fits 16 x 22 and 16 x 31 alike
    CHECK(sp.ideal_cycles == 7);
}

TEST_CASE("VSSA P x V with row precisions: the probabilities at 4 bits or the query token's", "[designs][vssa]") {
    // One 2 x 1 array, P x V of 2 query rows x 1 column over K = 2 tokens with V's tokens at 4
    // and 8 bits. PE (i, 0) does its k-th MAC in step t = k + i; a step lasts its slowest active PE.
    vssa::vssa_config cfg;
    cfg.rows = 2;
    cfg.cols = 1;
    cfg.reorder = false;
    vssa::gemm_op pv;
    pv.M = 2;
    pv.N = 1;
    pv.K = 2;
    pv.k_bits = {4, 8};
    // 8-bit probabilities (row_bits empty): t0 PE0 k0 8x4 = 2; t1 PE0 k1 8x8 = 4, PE1 k0 8x4 = 2
    // (stalls 2); t2 PE1 k1 8x8 = 4. 1 + (2 + 4 + 4) + 2 rows drain = 13; busy 2+4+2+4 = 12.
    vssa::gemm_result r = vssa::run_gemm(cfg, pv);
    CHECK(r.cycles == 13);
    CHECK(r.busy_pe_cycles == 12);
    CHECK(r.stall_pe_cycles == 2);
    // Rows at 4 and 8 bits (the query tokens' precisions): t0 PE0 4x4 = 1; t1 PE0 4x8 = 2, PE1
    // 8x4 = 2; t2 PE1 8x8 = 4. 1 + (1 + 2 + 4) + 2 = 10; busy 1+2+2+4 = 9, no stall.
    pv.row_bits = {4, 8};
    r = vssa::run_gemm(cfg, pv);
    CHECK(r.cycles == 10);
    CHECK(r.busy_pe_cycles == 9);
    CHECK(r.stall_pe_cycles == 0);
    CHECK(r.macs_by_mode[0] == 1);  // 4x4
    CHECK(r.macs_by_mode[1] == 2);  // 8x4 either way
    CHECK(r.macs_by_mode[2] == 1);  // 8x8
    // Every probability 4-bit: t0 1; t1 PE0 4x8 = 2, PE1 4x4 = 1 (stalls 1); t2 PE1 4x8 = 2.
    // 1 + (1 + 2 + 2) + 2 = 8; busy 1+2+1+2 = 6.
    pv.row_bits = {4, 4};
    r = vssa::run_gemm(cfg, pv);
    CHECK(r.cycles == 8);
    CHECK(r.busy_pe_cycles == 6);
    CHECK(r.stall_pe_cycles == 1);
}
