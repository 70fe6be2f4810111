// Whole models through the firmware app `encoder` and the command queue (GEMM, REQUANT,
// RESADD, LAYERNORM, GELU, ATTENTION, SOFTMAX), checked against reference_model: every op
// as plain loops in one function (platform/workloads/model_workload.cpp), on the same integer
// constants. One elaboration per TEST_CASE.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "apps.h"
#include "common/stats.h"
#include "platform/config/config.h"
#include "platform/workloads/model_workload.h"
#include "platform/platform.h"

using namespace dtq;

namespace {

// extra: more keys of workload.model, e.g. ", nonlinear: host".
scenario_config model_cfg(const std::string& model, uint64_t seq, const std::string& precision, uint64_t decode = 0,
                          const std::string& extra = "") {
    const std::string yaml = "name: model_test\nseed: 5\nmode: functional\n"
                             "vssa: {rows: 8, cols: 8, arrays: 2}\n"
                             "workload:\n  kind: model\n  model: {name: " + model + ", seq: " + std::to_string(seq) +
                             ", layers: 1, precision: " + precision + ", decode_tokens: " + std::to_string(decode) + extra + "}\n";
    return config_schema::get().load_string(yaml, "test.yaml");
}

run_options quiet() {
    run_options o;
    o.quiet = true;
    return o;
}

std::vector<int8_t> read8(const platform& p, uint64_t addr, uint64_t n) {
    std::vector<int8_t> v(n);
    p.read_dram(addr, v.data(), n);
    return v;
}

double stat(const std::string& name) { return stats_registry::global().number(name); }

// One encoder layer's output in DRAM against the all-8-bit reference.
bool layer_equals_reference(const platform& p, const scenario_config& cfg) {
    const model_instance m = make_model(cfg, true);
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    return read8(p, lay.args.outputs, m.seq * 768) == reference_model(m, {})[0];
}

// A decoder's prefill and each decode step against the reference (a causal prefill one
// token longer per step).
void check_decoder(const platform& p, const scenario_config& cfg, uint64_t decode, bool quantized = false) {
    const model_instance m = make_model(cfg, true);
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    for (uint64_t t = 0; t < decode; ++t) {
        model_instance longer = m;  // prompt + the generated tokens 0..t, all at once
        longer.seq = m.seq + t + 1;
        longer.x.insert(longer.x.end(), m.dec_x.begin(), m.dec_x.begin() + static_cast<long>((t + 1) * 768));
        const std::vector<int8_t> ref = reference_model(longer, {}, quantized)[0];
        const std::vector<int8_t> last(ref.end() - 768, ref.end());
        CHECK(read8(p, lay.args.dec_out + t * 768, 768) == last);
    }
    // the prefill itself is causal: its rows equal the reference's
    CHECK(read8(p, lay.args.outputs, m.seq * 768) == reference_model(m, {}, quantized)[0]);
}

}  // namespace

TEST_CASE("encoder layer all 8-bit equals the reference bit for bit", "[model]") {
    const scenario_config cfg = model_cfg("bert-base", 16, "8bit");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    const model_instance m = make_model(cfg, true);
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    const std::vector<std::vector<int8_t>> ref = reference_model(m, {});
    const std::vector<int8_t> out = read8(p, lay.args.outputs, 16 * 768);
    CHECK(out == ref[0]);
    // not trivially equal: the layer changed its input, and outputs are not all zero
    CHECK(out != m.x);
    CHECK(std::count(out.begin(), out.end(), 0) < static_cast<long>(out.size() / 2));
    // GELU's constants at its input scale S_ACT = 1/32 (docs/ibert.md#i-gelu-on-int8-inputs, by
    // hand): b_int = -81, c_int = -7092, erf shift n = 0, shift_int = floor(-7091.2) = -7092
    CHECK(m.params[0].gelu_b == -81);
    CHECK(m.params[0].gelu_c == -7092);
    CHECK(m.params[0].gelu_n == 0);
    CHECK(m.params[0].gelu_shift == -7092);
}

namespace {
// Without the accuracy proxy the loader generates each matrix into a buffer
// (make_model(cfg, true, false) + model_weight_into) instead of keeping host matrices: the
// same bytes in DRAM as the host matrices.
void check_deferred_weights(uint64_t threads) {
    scenario_config cfg = model_cfg("bert-base", 16, "8bit");
    cfg.workload.model.layers = 2;
    cfg.vssa.threads = threads;
    const model_instance host = make_model(cfg, true);
    const model_instance lazy = make_model(cfg, true, false);
    REQUIRE(lazy.deferred_weights);
    REQUIRE_FALSE(host.deferred_weights);
    const model_layout lay = plan_model(host, DTQ_APP_DATA_ADDR);
    platform p(cfg);
    for (uint64_t l = 0; l < 2; ++l) {
        const layer_weights& w = host.weights[l];
        const std::vector<int8_t>* t[6] = {&w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2};
        CHECK(lazy.weights[l].wq.empty());
        CHECK(lazy.weights[l].ln1_bias == w.ln1_bias);
        for (int i = 0; i < 6; ++i) {
            std::vector<int8_t> b(t[i]->size());
            model_weight_into(lazy, l, i, b.data());
            CHECK(b == *t[i]);
            CHECK(read8(p, lay.weights_at[l * model_layout::WEIGHT_SLOTS + static_cast<uint64_t>(i)], b.size()) == *t[i]);
        }
    }
    REQUIRE(p.run(quiet()) == EXIT_OK);
    CHECK(read8(p, lay.args.outputs + 16 * 768, 16 * 768) == reference_model(host, {})[1]);  // layer 1 of layers x seq x d
}
}  // namespace

TEST_CASE("deferred weights: the loader writes the host matrices' bytes to DRAM (1 thread)", "[model]") {
    check_deferred_weights(1);
}

namespace {
// 4-bit, VS-Quant and NM24 weight images of deferred weights (generated one matrix at a time
// by the loader) equal the images made from the host matrices, scales included.
void check_deferred_images(const std::string& precision, const std::string& extra, uint64_t threads) {
    scenario_config cfg = model_cfg("bert-base", 16, precision, 0, extra);
    cfg.workload.model.layers = 2;
    cfg.vssa.threads = threads;
    const model_instance host = make_model(cfg, true);
    const model_instance lazy = make_model(cfg, true, false);
    REQUIRE(lazy.deferred_weights);
    const model_layout lay = plan_model(host, DTQ_APP_DATA_ADDR);
    platform p(cfg);
    for (uint64_t l = 0; l < 2; ++l) {
        const layer_weights& w = host.weights[l];
        const std::vector<int8_t>* t[6] = {&w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2};
        CHECK(lazy.weights[l].w1.empty());
        for (int i = 0; i < 6; ++i) {
            const auto [n, k] = weight_shape(host.shape, i);
            const weight_image img = make_weight_image(host, *t[i], n, k);
            const uint64_t at = lay.weights_at[l * model_layout::WEIGHT_SLOTS + static_cast<uint64_t>(i)];
            std::vector<uint8_t> got(img.b.size());
            p.read_dram(at, got.data(), got.size());
            CHECK(got == img.b);
            if (!img.scales.empty()) {
                got.resize(img.scales.size());
                p.read_dram(dtq_model_wscales(at, static_cast<uint32_t>(n), static_cast<uint32_t>(k)), got.data(), got.size());
                CHECK(got == img.scales);
            }
        }
    }
}
}  // namespace

TEST_CASE("deferred weights: 4-bit images equal the host matrices' (2 threads)", "[model]") { check_deferred_images("4bit", "", 2); }
TEST_CASE("deferred weights: VS-Quant images equal the host matrices' (1 thread)", "[model]") { check_deferred_images("vsquant", "", 1); }
TEST_CASE("deferred weights: NM24 images equal the host matrices' (2 threads)", "[model]") {
    check_deferred_images("8bit", ", weight_compression: nm24", 2);
}

TEST_CASE("deferred weights: the loader writes the host matrices' bytes to DRAM (2 threads)", "[model]") { check_deferred_weights(2); }

TEST_CASE("encoder layer with DTQAtten precisions equals the reference on the same precisions", "[model]") {
    const scenario_config cfg = model_cfg("bert-base", 32, "dtqatten");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    const model_instance m = make_model(cfg, true);
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    std::vector<uint8_t> prec(32);
    p.read_dram(lay.args.prec_log, prec.data(), 32);
    CHECK(prec == m.prec0);  // the firmware logged the loader's layer-0 precisions
    const auto n = [&](uint8_t b) { return std::count(prec.begin(), prec.end(), b); };
    CHECK(n(0) > 0);  // every path is exercised
    CHECK(n(4) > 0);
    CHECK(n(8) > 0);
    const std::vector<std::vector<int8_t>> ref = reference_model(m, {prec});
    CHECK(read8(p, lay.args.outputs, 32 * 768) == ref[0]);
    // and it differs from the all-8-bit layer (the precisions matter)
    CHECK(reference_model(m, {})[0] != ref[0]);
}

TEST_CASE("encoder layer with DTQAtten precisions equals the reference with dram.model jedec", "[model][jedec]") {
    // The DRAM model changes cycles only: the same outputs as the reference (and so as the
    // simple DRAM, checked against the same reference above), bit for bit.
    const std::string yaml = "name: model_test\nseed: 5\nmode: functional\n"
                             "vssa: {rows: 8, cols: 8, arrays: 2}\n"
                             "dram: {model: jedec, jedec: {preset: ddr4-3200, page_policy: adaptive}}\n"
                             "workload:\n  kind: model\n  model: {name: bert-base, seq: 32, layers: 1, precision: dtqatten}\n";
    const scenario_config cfg = config_schema::get().load_string(yaml, "test.yaml");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    const model_instance m = make_model(cfg, true);
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    std::vector<uint8_t> prec(32);
    p.read_dram(lay.args.prec_log, prec.data(), 32);
    CHECK(read8(p, lay.args.outputs, 32 * 768) == reference_model(m, {prec})[0]);
    CHECK(stat("dram.commands_act") > 0);  // the jedec model did the timing
}

TEST_CASE("decoder decode step equals the reference with dram.model jedec (HBM2 with FCFS and closed pages)", "[model][jedec]") {
    const std::string yaml = "name: model_test\nseed: 5\nmode: functional\n"
                             "vssa: {rows: 8, cols: 8, arrays: 2}\n"
                             "dram: {model: jedec, jedec: {preset: hbm2, scheduler: fcfs, page_policy: closed, channels: 4}}\n"
                             "workload:\n  kind: model\n  model: {name: gpt2, seq: 12, layers: 1, precision: 8bit, decode_tokens: 2}\n";
    const scenario_config cfg = config_schema::get().load_string(yaml, "test.yaml");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    check_decoder(p, cfg, 2);
    CHECK(stat("dram.row_hits") == 0);  // closed page: every access opens its row
}

TEST_CASE("decoder decode step equals a causal prefill one token longer", "[model]") {
    const scenario_config cfg = model_cfg("gpt2", 12, "8bit", 2);
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    check_decoder(p, cfg, 2);
}

TEST_CASE("unfused attention equals the reference bit for bit", "[model]") {
    const scenario_config cfg = model_cfg("bert-base", 16, "8bit", 0, ", attention: unfused");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    CHECK(layer_equals_reference(p, cfg));
    // per head one GEMM Q x K^T, one SOFTMAX, one GEMM P x V; no ATTENTION command
    CHECK(stat("ops.attention.commands") == 0);
    CHECK(stat("ops.qk.commands") == 12);
    CHECK(stat("ops.sv.commands") == 12);
    // the scores went through memory as int32: Q x K^T wrote at least 12 heads x 16 x 16 x 4 bytes
    CHECK(stat("ops.qk.dma_bytes_to_dram_addr") >= 12 * 16 * 16 * 4);
}

TEST_CASE("unfused causal attention with decode equals the reference", "[model]") {
    const scenario_config cfg = model_cfg("gpt2", 12, "8bit", 2, ", attention: unfused");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    check_decoder(p, cfg, 2);
    CHECK(stat("ops.qk.commands") == 12 + 2 * 12);  // prefill heads + per decode step heads
}

TEST_CASE("host non-linear ops equal the on-chip units and charge the host per element", "[model]") {
    const scenario_config cfg = model_cfg("bert-base", 16, "8bit", 0, ", nonlinear: host");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    CHECK(layer_equals_reference(p, cfg));
    // By hand, one BERT-Base layer at seq 16: softmax 12 heads x 16 x 16, two LayerNorms of
    // 16 x 768, GELU of 16 x 3072, at 70 / 25 / 60 cycles per element (the defaults).
    const double sm = 12 * 16 * 16, ln = 2 * 16 * 768, ge = 16 * 3072;
    CHECK(stat("host.nonlinear_elements") == sm + ln + ge);
    CHECK(stat("host.nonlinear_cycles") == sm * 70 + ln * 25 + ge * 60);
    // The accelerator ran only REQUANT (3 x 12 into Q/K/V, 12 attention outputs, LN1, FFN1,
    // GELU, LN2) and the 2 RESADDs as vector commands: no SOFTMAX, LAYERNORM or GELU.
    CHECK(stat("compute.vector_commands") == 36 + 12 + 4 + 2);
    CHECK(stat("compute.softmax_busy_cycles") == 0);
    // the host read every score and wrote every probability (plus its other traffic)
    CHECK(stat("host.bytes") >= sm * 4 + sm);
}

TEST_CASE("host non-linear ops in a decoder with decode equal the reference", "[model]") {
    const scenario_config cfg = model_cfg("gpt2", 12, "8bit", 2, ", nonlinear: host");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    check_decoder(p, cfg, 2);
    // causal softmax on the host, charged for the scores a row sees: prefill rows 1..12
    // (78 per head), the decode steps 13 and 14, x 12 heads
    const double sm = 12 * (78 + 13 + 14), ln = 2 * 768 * (12 + 2), ge = 3072 * (12 + 2);
    CHECK(stat("host.nonlinear_elements") == sm + ln + ge);
}

TEST_CASE("accuracy proxy compares kept rows", "[model]") {
    const std::vector<int8_t> a = {1, 2, 3, 4}, b = {1, 2, 5, 0};
    const accuracy all = compare_outputs(a, b, 2);
    CHECK(all.elements == 4);
    CHECK(all.mean_abs == Approx(1.5));  // (0 + 0 + 2 + 4) / 4
    CHECK(all.max_abs == 4);
    const accuracy first = compare_outputs(a, b, 2, {true, false});
    CHECK(first.elements == 2);
    CHECK(first.mean_abs == 0);
    CHECK(first.cosine == Approx(1.0));
    // cosine by hand: (1 + 4 + 15 + 0) / (sqrt(30) sqrt(30)) = 20 / 30
    CHECK(all.cosine == Approx(20.0 / 30.0));
    // column 0 only (the outlier channels left out): elements 1 vs 1 and 3 vs 5
    const accuracy col0 = compare_outputs(a, b, 2, {}, {true, false});
    CHECK(col0.elements == 2);
    CHECK(col0.mean_abs == Approx(1.0));
    CHECK(col0.max_abs == 2);
    CHECK(col0.cosine == Approx(16.0 / std::sqrt(10.0 * 26.0)));
}

// ---- 4-bit and VS-Quant precision modes (docs/vsquant.md#in-the-platform) -------------

namespace {

// One BERT-Base layer in a precision mode against the reference run in the same mode
// (reference_model with `quantized`: models/vsquant's quantizers and reference GEMM,
// plain loops), and against the all-8-bit reference (the accuracy proxy's figures).
struct mode_run {
    accuracy acc;
    double tokens4 = 0, tokens8 = 0, pruned = 0, next4 = 0;
};

mode_run check_mode(const std::string& precision, uint64_t seq, const std::string& extra = "") {
    const scenario_config cfg = model_cfg("bert-base", seq, precision, 0, ", outliers: true" + extra);
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    const model_instance m = make_model(cfg, true);
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    std::vector<uint8_t> prec(seq);
    p.read_dram(lay.args.prec_log, prec.data(), seq);
    const std::vector<uint8_t> ran = m.topk ? prec : m.prec0;  // the precisions layer 0 ran with
    const std::vector<int8_t> out = read8(p, lay.args.outputs, seq * 768);
    CHECK(out == reference_model(m, {ran}, true)[0]);
    if (m.all4 || m.vsq || m.wcomp)  // the mode's quantizers (or W') matter: DTQAtten's arithmetic on the same precisions differs
        CHECK(out != reference_model(m, {ran}, false)[0]);
    std::vector<bool> rows(seq);
    for (uint64_t t = 0; t < seq; ++t) rows[t] = ran[t] != 0;
    return {compare_outputs(out, reference_model(m, {})[0], 768, rows), stat("attention.tokens_4bit"),
            stat("attention.tokens_8bit"), stat("attention.tokens_pruned"), stat("attention.next_tokens_4bit")};
}

}  // namespace

TEST_CASE("encoder layer per-tensor 4-bit equals the reference and stays close to 8-bit", "[model][vsquant]") {
    const mode_run r = check_mode("4bit", 24);
    CHECK(r.acc.cosine < 1.0);
    CHECK(r.acc.cosine > 0.5);
    // every token 4-bit, no top-k
    CHECK(r.tokens4 == 24);
    CHECK(r.next4 == 0);
}

TEST_CASE("encoder layer VS-Quant 4-bit equals the reference and stays close to 8-bit", "[model][vsquant]") {
    const mode_run r = check_mode("vsquant", 24);
    CHECK(r.acc.cosine < 1.0);
    CHECK(r.acc.cosine > 0.5);
    CHECK(r.tokens4 == 24);
}

TEST_CASE("encoder layer DTQAtten with VS-Quant tokens equals the reference and stays close to 8-bit", "[model][vsquant]") {
    const mode_run r = check_mode("dtqatten_vsquant", 32);
    CHECK(r.acc.cosine < 1.0);
    CHECK(r.acc.cosine > 0.5);
    CHECK(r.tokens4 > 0);  // every path is exercised
    CHECK(r.tokens8 > 0);
    CHECK(r.pruned > 0);
}

// ---- softmax.mode (docs/softermax.md) ----------------------------------------------------

namespace {

scenario_config softermax_cfg(const std::string& model_keys) {
    const std::string yaml = "name: model_test\nseed: 5\nmode: functional\nsoftmax: {mode: softermax}\n"
                             "vssa: {rows: 8, cols: 8, arrays: 2}\n"
                             "workload:\n  kind: model\n  model: {name: bert-base, layers: 1, " + model_keys + "}\n";
    return config_schema::get().load_string(yaml, "test.yaml");
}

}  // namespace

TEST_CASE("encoder layer with the Softermax unit equals the reference with Softermax", "[model][softmax]") {
    const scenario_config cfg = softermax_cfg("seq: 32, precision: dtqatten");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    const model_instance m = make_model(cfg, true);
    REQUIRE(m.softmax == softmax::softmax_mode::softermax);
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    std::vector<uint8_t> prec(32);
    p.read_dram(lay.args.prec_log, prec.data(), 32);
    const std::vector<int8_t> out = read8(p, lay.args.outputs, 32 * 768);
    CHECK(out == reference_model(m, {prec})[0]);
    model_instance ib = m;  // the mode matters: the i-softmax reference differs
    ib.softmax = softmax::softmax_mode::ibert;
    CHECK(reference_model(ib, {prec})[0] != out);
    // The ATTENTION's softmax: per head nk rows of nk kept scores, 2 passes of 16 lanes + 8
    // cycles of latency per row (docs/softermax.md#timing).
    const uint64_t nk = static_cast<uint64_t>(std::count_if(prec.begin(), prec.end(), [](uint8_t b) { return b != 0; }));
    CHECK(stat("attention.softmax_busy_cycles") == 12 * nk * (2 * ((nk + 15) / 16) + 8));
}

TEST_CASE("unfused attention with the Softermax unit equals the reference and charges 2 passes", "[model][softmax]") {
    const scenario_config cfg = softermax_cfg("seq: 16, precision: 8bit, attention: unfused");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    const model_instance m = make_model(cfg, true);
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    CHECK(read8(p, lay.args.outputs, 16 * 768) == reference_model(m, {})[0]);
    // 12 SOFTMAX commands of 16 rows x 16 scores: 16 x (2 x 1 + 8) cycles each
    CHECK(stat("compute.softmax_busy_cycles") == 12 * 16 * (2 * 1 + 8));
}

// ---- request streams (docs/batching.md) ---------------------------------------------------

namespace {

scenario_config stream_cfg(const std::string& precision, const std::string& batching) {
    const std::string yaml = "name: stream_test\nseed: 5\nmode: functional\n"
                             "vssa: {rows: 8, cols: 8, arrays: 2}\n"
                             "workload:\n  kind: model\n  model: {name: bert-base, layers: 1, precision: " + precision + "}\n"
                             "  requests:\n    list: [{at_us: 0, seq: 8}, {at_us: 0, seq: 12}, {at_us: 0, seq: 5}, {at_us: 0, seq: 9}]\n"
                             "  batching: " + batching + "\n";
    return config_schema::get().load_string(yaml, "test.yaml");
}

// Every request's output equals the reference of that request run alone (its own input,
// layer-0 precisions and top-k counts); returns the batch table.
std::vector<dtq_batch_rec> check_stream(const scenario_config& cfg) {
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    const stream_layout st = plan_stream(cfg, true);
    for (size_t i = 0; i < st.table.size(); ++i) {
        const uint64_t seq = st.table[i].seq;
        const model_instance alone = request_instance(st.inst, seq, st.inputs[i]);
        // the precisions layer 0 ran with (DTQAtten: the request's own; 4-bit: every token 4)
        const std::vector<std::vector<uint8_t>> prec = alone.prec0.empty() ? std::vector<std::vector<uint8_t>>{}
                                                                           : std::vector<std::vector<uint8_t>>{alone.prec0};
        INFO("request " << i);
        CHECK(read8(p, st.table[i].out, seq * 768) == reference_model(alone, prec, true)[0]);
    }
    std::vector<dtq_request> req(st.table.size());
    p.read_dram(st.request_table, req.data(), req.size() * sizeof(dtq_request));
    std::vector<dtq_batch_rec> b(req.back().batch + 1);
    p.read_dram(st.batch_table, b.data(), b.size() * sizeof(dtq_batch_rec));
    return b;
}

}  // namespace

TEST_CASE("request stream packed in dynamic batches: each request equals its reference alone", "[model][batching]") {
    // All four arrive at 0; token_budget 24 packs, in order: 8 + 12 = 20 (+ 5 > 24), then 5 + 9 = 14.
    const std::vector<dtq_batch_rec> b = check_stream(stream_cfg("8bit", "{policy: dynamic, token_budget: 24}"));
    REQUIRE(b.size() == 2);
    CHECK((b[0].first == 0 && b[0].count == 2 && b[0].tokens == 20 && b[0].rows == 20));
    CHECK((b[1].first == 2 && b[1].count == 2 && b[1].tokens == 14 && b[1].rows == 14));
    CHECK(b[1].start == b[0].end);  // the second batch waits for nothing but the first
}

TEST_CASE("request stream in fixed padded batches with DTQAtten precisions: each request equals its reference alone",
          "[model][batching]") {
    // batch_size 3: requests 0-2 padded to the longest (12): 36 rows; then request 3 alone (the stream's end): 9 rows.
    const std::vector<dtq_batch_rec> b = check_stream(stream_cfg("dtqatten", "{policy: fixed, batch_size: 3}"));
    REQUIRE(b.size() == 2);
    CHECK((b[0].first == 0 && b[0].count == 3 && b[0].tokens == 25 && b[0].rows == 36));
    CHECK((b[1].first == 3 && b[1].count == 1 && b[1].tokens == 9 && b[1].rows == 9));
}

TEST_CASE("request stream one at a time with 4-bit linear layers: each request equals its reference alone", "[model][batching]") {
    const std::vector<dtq_batch_rec> b = check_stream(stream_cfg("4bit", "{policy: single}"));
    REQUIRE(b.size() == 4);
    for (uint32_t i = 0; i < 4; ++i) CHECK((b[i].first == i && b[i].count == 1 && b[i].rows == b[i].tokens));
}

// ---- NM24 compressed weights (docs/compression.md) ---------------------------------------

TEST_CASE("encoder layer with NM24 weights and DTQAtten precisions equals the reference on W'", "[model][wcomp]") {
    const mode_run r = check_mode("dtqatten", 32, ", weight_compression: nm24, compression_4bit_fraction: 0.5");
    CHECK(r.acc.cosine < 1.0);
    CHECK(r.acc.cosine > 0.5);
}

TEST_CASE("decoder with NM24 weights and decode equals the reference on W'", "[model][wcomp]") {
    const scenario_config cfg = model_cfg("gpt2", 16, "8bit", 2, ", weight_compression: nm24, compression_4bit_fraction: 0.25");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    check_decoder(p, cfg, 2, true);
    // 1 layer: 6 weights per prefill and per decode token, each image once (M <= 128)
    const model_instance m = make_model(cfg, false);
    uint64_t img = 0;
    for (auto [n, k] : {std::pair<uint64_t, uint64_t>{768, 768}, {768, 768}, {768, 768}, {768, 768}, {3072, 768}, {768, 3072}}) {
        const uint64_t n4 = (n + 2) / 4;  // round(0.25 n)
        img += 4 * n + (n - n4) * k / 8 * 5 + n4 * k / 8 * 3;
    }
    CHECK(stat("compute.decompressor_bytes_in") == static_cast<double>(3 * img));
    CHECK(m.wcomp);
}

// ---- two-direction accessible buffers (buffer.two_direction) -------------------------------

TEST_CASE("decoder on two-direction buffers equals the reference and skips every transpose pass", "[model][transpose]") {
    const scenario_config cfg = model_cfg("gpt2", 16, "8bit", 2);
    scenario_config two = cfg;
    two.buffer_two_direction = true;
    platform p(two);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    check_decoder(p, two, 2);  // the same bits as the reference (and as the transpose-pass run, which test_model checks too)
    CHECK(stat("compute.transpose_cycles") == 0);
    CHECK(stat("attention.transpose_cycles") == 0);
}

TEST_CASE("decoder transpose passes counted by hand", "[model][transpose]") {
    // 1 layer, 12 heads, head_dim 64, seq 16, 2 decode tokens, every token 8-bit.
    // Prefill: the fused ATTENTION transposes each head's V (16 x 64 = 1024 bytes) through
    // VBUF's 64 B/cycle port: 2 x 16 cycles, 12 heads. Decode token t: per head the GEMM p x V
    // reads the V cache (16 + t + 1) x 64 row-major in one panel: 2 x (17 + t) x 64 / 16 cycles
    // through the 16 B/cycle scratchpad port.
    const scenario_config cfg = model_cfg("gpt2", 16, "8bit", 2);
    REQUIRE(!cfg.buffer_two_direction);
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    check_decoder(p, cfg, 2);
    CHECK(stat("attention.transpose_cycles") == 12 * 2 * 16);
    CHECK(stat("attention.transpose_buffer_bytes") == 12 * 2 * 1024);
    CHECK(stat("compute.transpose_cycles") == 12 * (2 * 17 * 64 / 16 + 2 * 18 * 64 / 16));
    CHECK(stat("compute.transpose_buffer_bytes") == 12 * 2 * (17 + 18) * 64);
}

// ---- the reference's outlier magnitudes (docs/encoder.md#outliers) ------------------------

TEST_CASE("accuracy proxy: the reference's outlier and regular channel magnitudes, by plain loops", "[model][outliers]") {
    const uint64_t seq = 16, d = 768;
    const scenario_config cfg = model_cfg("bert-base", seq, "8bit", 0, ", outliers: true, accuracy: true");
    platform p(cfg);
    REQUIRE(p.run(quiet()) == EXIT_OK);
    const model_instance m = make_model(cfg, true);
    REQUIRE(m.outlier_dims.size() == 6);
    const std::vector<int8_t> ref = reference_model(m, {})[0];
    // 8-bit: no token pruned, every row counts.
    double o_abs = 0, r_abs = 0, o_sq = 0, r_sq = 0;
    double sat = 0;
    for (uint64_t t = 0; t < seq; ++t)
        for (uint64_t c = 0; c < d; ++c) {
            const double v = ref[t * d + c];
            const bool outlier = std::find(m.outlier_dims.begin(), m.outlier_dims.end(), c) != m.outlier_dims.end();
            (outlier ? o_abs : r_abs) += std::fabs(v);
            (outlier ? o_sq : r_sq) += v * v;
            if (v == 127 || v == -128) sat += 1;
        }
    const double n_o = 6.0 * seq, n_r = (d - 6.0) * seq;
    CHECK(stat("model.accuracy.layer0.ref_outlier_mean_abs") == Approx(o_abs / n_o).epsilon(1e-12));
    CHECK(stat("model.accuracy.layer0.ref_regular_mean_abs") == Approx(r_abs / n_r).epsilon(1e-12));
    CHECK(stat("model.accuracy.layer0.ref_regular_rms") == Approx(std::sqrt(r_sq / n_r)).epsilon(1e-12));
    CHECK(stat("model.accuracy.layer0.ref_outlier_energy_share") == Approx(o_sq / (o_sq + r_sq)).epsilon(1e-12));
    CHECK(stat("model.accuracy.layer0.ref_saturated") == sat);
    // The outliers are what the option makes them: far above the other channels.
    CHECK(o_abs / n_o > 5 * (r_abs / n_r));
}

TEST_CASE("make_model_layout plans the same DRAM layout as the full model, without tokens or weights", "[model]") {
    // The preflight's DRAM size check uses make_model_layout (no input tokens, precisions or
    // weights): every address of plan_model must be the full model's, in each precision mode,
    // with NM24 weights, decode steps, unfused attention, host non-linear ops and outliers.
    struct variant {
        std::string model, precision;
        uint64_t decode;
        std::string extra;
    };
    for (const variant& v : {variant{"bert-base", "dtqatten", 0, ""}, variant{"bert-base", "8bit", 0, ", weight_compression: nm24"},
                             variant{"bert-base", "4bit", 0, ""}, variant{"bert-base", "vsquant", 0, ""},
                             variant{"bert-base", "dtqatten_vsquant", 0, ", outliers: true"}, variant{"gpt2", "dtqatten", 3, ""},
                             variant{"gpt2", "8bit", 2, ", attention: unfused"}, variant{"bert-base", "8bit", 0, ", nonlinear: host"}}) {
        INFO(v.model << " " << v.precision << v.extra);
        const scenario_config cfg = model_cfg(v.model, 24, v.precision, v.decode, v.extra);
        const model_instance full = make_model(cfg, true), lean = make_model_layout(cfg);
        CHECK(lean.x.empty());
        CHECK(lean.prec0.empty());
        CHECK(lean.weights.empty());
        const model_layout a = plan_model(full, DTQ_APP_DATA_ADDR), b = plan_model(lean, DTQ_APP_DATA_ADDR);
        CHECK(a.end == b.end);
        CHECK(a.params_at == b.params_at);
        CHECK(a.weights_at == b.weights_at);
        CHECK(a.extras_at == b.extras_at);
        CHECK(std::memcmp(&a.args, &b.args, sizeof a.args) == 0);
    }
}

TEST_CASE("make_model without data draws the same layer-0 precisions as with it (the token values skipped)", "[model]") {
    // Timing mode builds only the salience of the synthetic input (tokens with values =
    // false, splitmix64::skip over each token's value draws): the precisions must be those of
    // the full input, with and without outlier channels.
    for (const std::string extra : {"", ", outliers: true"}) {
        INFO(extra);
        const scenario_config cfg = model_cfg("bert-base", 96, "dtqatten", 0, extra);
        const model_instance full = make_model(cfg, true), lean = make_model(cfg, false);
        REQUIRE(full.prec0.size() == 96);
        CHECK(lean.prec0 == full.prec0);
        CHECK(lean.x.empty());
        uint64_t kinds[9] = {};
        for (uint8_t b : full.prec0) ++kinds[b];
        CHECK(kinds[0] > 0);  // pruned, 4-bit and 8-bit tokens all present
        CHECK(kinds[4] > 0);
        CHECK(kinds[8] > 0);
    }
}
