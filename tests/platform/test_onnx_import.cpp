// ONNX import (docs/workloads.md#onnx-graphs). The models are built by
// tests/platform/make_onnx_models.py with python3-onnx's helper API (2 encoder layers,
// d_model 64, 4 heads; a decoder block with a causal mask; malformed variants); the GEMMs
// each must map to come from that script's construction (expected.json), not from the
// importer. One elaboration per TEST_CASE.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "common/npy.h"
#include "common/stats.h"
#include "platform/config/config.h"
#include "platform/workloads/gemm_workload.h"
#include "platform/workloads/onnx_import.h"
#include "platform/workloads/onnx_pipeline.h"
#include "apps.h"
#include "platform/platform.h"

using namespace dtq;

namespace {

// The models, built once per test process into a directory of their own.
const std::string& models() {
    static const std::string dir = [] {
        const std::string d = (std::filesystem::temp_directory_path() / ("dtq_onnx_models_" + std::to_string(::getpid()))).string();
        const std::string cmd = std::string(DTQ_PYTHON) + " " DTQ_SOURCE_DIR "/tests/platform/make_onnx_models.py " + d;
        REQUIRE(std::system(cmd.c_str()) == 0);
        return d;
    }();
    return dir;
}

std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string import_error(const std::string& file) {
    try {
        import_onnx(models() + "/" + file, 16);
    } catch (const config_error& e) {
        return e.messages().at(0);
    }
    return "";
}

double stat(const std::string& name) { return stats_registry::global().number(name); }

scenario_config onnx_cfg(const std::string& file, const std::string& mode, const std::string& a_precision = "ratios",
                         const std::string& input = "") {
    const std::string yaml = "name: onnx_test\nseed: 4\nmode: " + mode + "\nvssa: {rows: 8, cols: 8, arrays: 2}\n"
                             "workload:\n  kind: onnx\n  onnx: {model: " + models() + "/" + file + ", seq: 16" +
                             (input.empty() ? "" : ", input: " + models() + "/" + input) + "}\n"
                             "  gemm: {a_precision: " + a_precision + ", b_bits: 8}\n";
    return config_schema::get().load_string(yaml, "test.yaml");
}

}  // namespace

TEST_CASE("onnx: the encoder and the decoder map to the GEMMs they were built with", "[onnx]") {
    REQUIRE(onnx_available());
    const nlohmann::json expected = nlohmann::json::parse(read_all(models() + "/expected.json"));
    for (const char* name : {"encoder2", "decoder"}) {
        INFO(name);
        const onnx_import_result r = import_onnx(models() + "/" + name + ".onnx", 16);
        const auto& e = expected[name];
        REQUIRE(r.gemms.size() == e.size());
        for (size_t i = 0; i < e.size(); ++i) {
            CHECK(r.gemms[i].name == e[i]["name"].get<std::string>());
            CHECK(r.gemms[i].m == e[i]["m"].get<uint64_t>());
            CHECK(r.gemms[i].n == e[i]["n"].get<uint64_t>());
            CHECK(r.gemms[i].k == e[i]["k"].get<uint64_t>());
        }
    }
    const onnx_import_result enc = import_onnx(models() + "/encoder2.onnx", 16);
    CHECK(enc.weight_gemms == 2 * 6);      // q, k, v, out, ffn1, ffn2 per layer
    CHECK(enc.activation_gemms == 2 * 8);  // 4 heads x (Q K^T, P V) per layer
    CHECK(enc.ops.at("LayerNormalization") == 2);  // layer 0; layer 1 decomposed
    CHECK(enc.ops.at("Erf") == 1);
    CHECK(enc.ops.at("Tanh") == 1);
    // Weights: 2 layers x (4 x (64 x 64 + 64) + 64 x 256 + 256 + 256 x 64 + 64 + 2 x 2 x 64) + the
    // mask 16 + the scalars: the attention scale of each layer (2); GELU 0.5, 1, sqrt 2 (layer 0,
    // 3) and 0.5, 1, 3, 0.044715, sqrt(2 / pi) (layer 1, 5); the decomposed LayerNorms' 2 and eps
    // (layer 1, 2 x 2). The int64 Reshape shapes are not parameters.
    const uint64_t per_layer = 4 * (64 * 64 + 64) + 64 * 256 + 256 + 256 * 64 + 64 + 4 * 64;
    CHECK(enc.parameters == 2 * per_layer + 16 + 2 + 3 + 5 + 2 * 2);
    // The sequence length replaces the symbolic `seq`: at 64 the scores are [1, 4, 64, 64],
    // which the fixed 16-token padding mask cannot broadcast to, and the importer says so.
    try {
        import_onnx(models() + "/encoder2.onnx", 64);
        FAIL("no error");
    } catch (const config_error& e) {
        CHECK(e.messages()[0].find("node 'l0_mask_add' (op Add, #14): shapes [1,4,64,64] and [1,1,1,16] do not broadcast") !=
              std::string::npos);
    }
}

TEST_CASE("onnx: malformed and unsupported models are errors naming the node", "[onnx]") {
    CHECK(import_error("bad_truncated.onnx").find("not a readable ONNX model") != std::string::npos);
    const std::string missing = import_error("bad_missing_initializer.onnx");
    CHECK(missing.find("node 'l1_ffn1' (op MatMul") != std::string::npos);
    CHECK(missing.find("input 'l1_ffn1_w' is not an initializer") != std::string::npos);
    const std::string unknown = import_error("bad_unknown_op.onnx");
    CHECK(unknown.find("node 'l0_softmax' (op FancySoftmax") != std::string::npos);
    CHECK(unknown.find("unsupported op type; supported: MatMul, Gemm") != std::string::npos);
    const std::string shapes = import_error("bad_shapes.onnx");
    CHECK(shapes.find("node 'l0_out' (op MatMul") != std::string::npos);
    CHECK(shapes.find("inner dimensions differ: [1,16,64] x [32,128]") != std::string::npos);
    CHECK(import_error("no_such_file.onnx").find("cannot open") != std::string::npos);
    // Through the command line: exit code 2 and the node on stderr.
    const std::string dir = models();
    std::ofstream(dir + "/bad.yaml") << "name: bad\nmode: timing\nworkload:\n  kind: onnx\n  onnx: {model: " << dir
                                     << "/bad_unknown_op.onnx, seq: 16}\n";
    const std::string cmd = std::string(DTQ_BINARY_DIR) + "/dtqvp run " + dir + "/bad.yaml --quiet 2> " + dir + "/bad.err";
    const int rc = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(rc));
    CHECK(WEXITSTATUS(rc) == 2);
    CHECK(read_all(dir + "/bad.err").find("node 'l0_softmax' (op FancySoftmax") != std::string::npos);
}

TEST_CASE("onnx: 1000 mutations of a valid model neither crash nor hang the importer", "[onnx][fuzz]") {
    // (Also run under ASan/UBSan outside the build: 1000 + 500 mutations of the decoder and the
    // encoder, the accepted ones through the float reference, no report.)
    const std::string good = read_all(models() + "/decoder.onnx");
    REQUIRE(!good.empty());
    std::mt19937_64 rng(25);
    uint64_t parsed = 0, rejected = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) {
        std::string b = good;
        switch (rng() % 4) {
            case 0:  // flip 1..8 random bytes
                for (uint64_t j = 0, n = 1 + rng() % 8; j < n; ++j) b[rng() % b.size()] = static_cast<char>(rng());
                break;
            case 1:  // truncate
                b.resize(rng() % b.size());
                break;
            case 2: {  // insert random bytes
                const size_t at = rng() % b.size();
                std::string ins(1 + rng() % 16, '\0');
                for (char& c : ins) c = static_cast<char>(rng());
                b.insert(at, ins);
                break;
            }
            default:  // mutate a byte in the first 4 KiB (the graph's structure lives before the weights)
                b[rng() % std::min<size_t>(4096, b.size())] ^= static_cast<char>(1u << (rng() % 8));
        }
        try {
            const onnx_import_result r = import_onnx_bytes(b, "fuzz", 16);
            CHECK(!r.gemms.empty());
            ++parsed;
            // An accepted graph also runs through the float reference (or is rejected there).
            std::ofstream(models() + "/fuzz.onnx", std::ios::binary) << b;
            try {
                const auto d = onnx_float_reference(models() + "/fuzz.onnx", 16, {}, 1);
                CHECK(d.size() == r.gemms.size());
            } catch (const config_error& e) {
                CHECK(!e.messages().empty());
            }
        } catch (const config_error& e) {
            CHECK(!e.messages().empty());
            ++rejected;
        }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("parsed " << parsed << ", rejected " << rejected << " in " << s << " s");
    CHECK(parsed + rejected == 1000);
    CHECK(rejected > 0);
    CHECK(s < 60);
}

// One mutation of a model file for the integer pipeline's fuzz tests: 1..4 bits flipped in
// the first 4 KiB (names, attributes, shapes: the structure), a byte anywhere replaced
// (weights, biases, gammas included), or the file truncated.
static std::string mutate_model(std::string b, std::mt19937_64& rng) {
    switch (rng() % 3) {
        case 0:
            for (uint64_t j = 0, n = 1 + rng() % 4; j < n; ++j) b[rng() % std::min<size_t>(4096, b.size())] ^= static_cast<char>(1u << (rng() % 8));
            break;
        case 1:
            b[rng() % b.size()] = static_cast<char>(rng());
            break;
        default:
            b.resize(rng() % b.size());
    }
    return b;
}

TEST_CASE("onnx: 1000 mutations of the integer pipeline's decoder neither crash nor hang the recognition of its layers", "[onnx][fuzz]") {
    // The accepted mutations go on through onnx_match_encoder (the integer pipeline's parsing
    // of the graph's structure): recognised or rejected with a message, never a crash. (Also
    // run under ASan/UBSan outside the build: onnx_import.cpp with a driver, the five models
    // and 300 other mutations of decoder_int.onnx, no report.)
    const std::string good = read_all(models() + "/decoder_int.onnx");
    REQUIRE(!good.empty());
    std::mt19937_64 rng(2525);
    uint64_t recognised = 0, rejected = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const std::string file = models() + "/fuzz_int.onnx";
    for (int i = 0; i < 1000; ++i) {
        const std::string b = mutate_model(good, rng);
        std::ofstream(file, std::ios::binary | std::ios::trunc) << b;
        try {
            const onnx_encoder_graph g = onnx_match_encoder(file, 16);
            CHECK(!g.layers.empty());
            ++recognised;
        } catch (const config_error& e) {
            CHECK(!e.messages().empty());
            ++rejected;
        }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("recognised " << recognised << ", rejected " << rejected << " in " << s << " s");
    CHECK(recognised + rejected == 1000);
    CHECK(recognised > 0);
    CHECK(rejected > 0);
    CHECK(s < 120);
}

TEST_CASE("onnx: 1000 mutations of the pre-LN decoder with biases neither crash nor hang its recognition and quantization", "[onnx][fuzz][preln]") {
    // decoder_preln.onnx (pre-LN, biases, per-channel LayerNorms, a final LayerNorm): each
    // mutation that still parses goes through make_onnx_pipeline (recognition, float reference,
    // calibration, quantization of the biases and the per-channel tables): a pipeline or a
    // config_error with a message, never a crash or another exception.
    const std::string good = read_all(models() + "/decoder_preln.onnx");
    REQUIRE(!good.empty());
    std::mt19937_64 rng(2526);
    uint64_t accepted = 0, rejected = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const std::string file = models() + "/fuzz_preln.onnx";
    for (int i = 0; i < 1000; ++i) {
        const std::string b = mutate_model(good, rng);
        std::ofstream(file, std::ios::binary | std::ios::trunc) << b;
        const std::string yaml = "name: fz\nseed: 4\nmode: functional\nworkload:\n  kind: onnx\n  onnx: {model: " + file +
                                 ", seq: 16, pipeline: integer}\n  gemm: {a_precision: '8'}\n";
        try {
            const onnx_pipeline op = make_onnx_pipeline(config_schema::get().load_string(yaml, "fz.yaml"));
            CHECK(!op.inst.weights.empty());
            ++accepted;
        } catch (const config_error& e) {
            CHECK(!e.messages().empty());
            ++rejected;
        }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("accepted " << accepted << ", rejected " << rejected << " in " << s << " s");
    CHECK(accepted + rejected == 1000);
    CHECK(accepted > 0);
    CHECK(rejected > 0);
    CHECK(s < 120);
}

TEST_CASE("onnx: the float reference of the imported encoder equals a numpy forward pass", "[onnx]") {
    const npy_array x = read_npy(models() + "/encoder2_x.npy", "float32", {1, 16, 64});
    const npy_array c = read_npy(models() + "/encoder2_gemm_c.npy");
    const std::vector<onnx_gemm_data> d =
        onnx_float_reference(models() + "/encoder2.onnx", 16, {std::vector<float>(x.as<float>(), x.as<float>() + x.elements())}, 1);
    REQUIRE(d.size() == 28);
    uint64_t at = 0;
    double worst = 0;
    for (const auto& g : d)
        for (float v : g.c) {
            REQUIRE(at < c.elements());
            const double ref = c.as<float>()[at++];
            worst = std::max(worst, std::fabs(v - ref) / (1.0 + std::fabs(ref)));
        }
    CHECK(at == c.elements());
    CHECK(worst < 1e-4);  // float32 against numpy's float64, rounded to float32
    CHECK(d[0].weight);
    CHECK(!d[3].weight);  // Q x K^T of head 0
}

TEST_CASE("onnx: the imported 2-layer encoder runs with its real weights, within the documented cosine", "[onnx]") {
    const scenario_config cfg = onnx_cfg("encoder2.onnx", "functional", "8", "encoder2_x.npy");
    platform p(cfg);
    run_options o;
    o.quiet = true;
    REQUIRE(p.run(o) == EXIT_OK);  // every GEMM's C equals the plain-loop product of the quantized operands
    // Per-tensor int8 activations and per-channel int8 weights (docs/workloads.md#real-weights):
    // the rounding error is about (max / rms) / 127 / sqrt(12) ~ 1 % of an operand's rms for
    // Gaussian-like data, so a product's cosine stays above 1 - 1e-3 with a wide margin.
    CHECK(stat("onnx.cosine_min") > 0.999);
    for (int i = 0; i < 28; ++i) CHECK(stat("gemm." + std::to_string(i) + ".cosine") > 0.999);
    CHECK(stat("gemm.count") == 28);
    CHECK(stat("onnx.weight_gemms") == 12);
    CHECK(stat("onnx.activation_gemms") == 16);
    CHECK(stat("onnx.ops.MatMul") == 16);
    CHECK(stat("gemm.0.m") == 16);
    CHECK(stat("gemm.0.n") == 64);
    CHECK(stat("gemm.0.k") == 64);
}

TEST_CASE("onnx: activation scales calibrated on four stacked samples", "[onnx]") {
    const scenario_config cfg = onnx_cfg("encoder2.onnx", "functional", "8", "encoder2_x4.npy");
    platform p(cfg);
    run_options o;
    o.quiet = true;
    REQUIRE(p.run(o) == EXIT_OK);
    CHECK(stat("onnx.calibration_samples") == 4);
    // Maxima over four N(0, 1) samples are a little larger than over the first alone: a
    // slightly coarser step, the same bound as one sample.
    CHECK(stat("onnx.cosine_min") > 0.999);
}

TEST_CASE("onnx: the imported encoder with DTQAtten-like ratios of 4-bit rows stays close to the float reference", "[onnx]") {
    const scenario_config cfg = onnx_cfg("encoder2.onnx", "functional", "ratios", "encoder2_x.npy");
    platform p(cfg);
    run_options o;
    o.quiet = true;
    REQUIRE(p.run(o) == EXIT_OK);
    // 4-bit rows carry 15 levels instead of 255: a 4-bit product has a ~16 x larger rounding
    // error (cosine about 0.99 for those rows); the kept 8-bit rows pull the mean up.
    CHECK(stat("onnx.cosine_min") > 0.95);
    CHECK(stat("onnx.cosine_min") < stat("onnx.cosine_mean"));
}

TEST_CASE("onnx: the encoder's own attention maps choose the token precisions through the top-k engines", "[onnx]") {
    const scenario_config cfg = onnx_cfg("encoder2.onnx", "functional", "topk", "encoder2_x.npy");
    platform p(cfg);
    run_options o;
    o.quiet = true;
    REQUIRE(p.run(o) == EXIT_OK);
    // 16 tokens at the default ratios (0.28 / 0.414 / 0.306): k0 = round(0.72 x 16) = 12 kept,
    // k1 = round(0.306 x 16) = 5 of them 8-bit, 7 4-bit, 4 pruned, in both layers (pruned tokens
    // stay pruned; layer 1 keeps 12 of its 12 candidates).
    for (int l = 0; l < 2; ++l) {
        const std::string g = "onnx.topk.layer" + std::to_string(l) + ".";
        CHECK(stat(g + "tokens_pruned") == 4);
        CHECK(stat(g + "tokens_4bit") == 7);
        CHECK(stat(g + "tokens_8bit") == 5);
        CHECK(stat(g + "ratio_pruned") == Approx(0.25));
    }
    // GEMMs before the first attention map run 8-bit (l0_q .. l0_qk[3]: 7 GEMMs); from l0_pv[0]
    // (GEMM 7) on, the 16 token rows carry the chosen precisions.
    CHECK(stat("gemm.3.rows_8bit") == 16);
    CHECK(stat("gemm.7.rows_pruned") == 4);
    CHECK(stat("gemm.7.rows_4bit") == 7);
    CHECK(stat("gemm.27.rows_8bit") == 5);
    // Which tokens: the three padding tokens (13, 14, 15; probability 0 after the -10^4 mask)
    // are pruned.
    REQUIRE(p.gemm_workload() != nullptr);
    const std::vector<uint8_t>& bits = p.gemm_workload()->jobs().at(7).a_bits;
    REQUIRE(bits.size() == 16);
    CHECK(bits[13] == 0);
    CHECK(bits[14] == 0);
    CHECK(bits[15] == 0);
    CHECK(stat("onnx.cosine_min") > 0.95);
}

TEST_CASE("onnx: topk_scores random keeps the counts, ranks at random (seeded), and tokens.csv lists each choice", "[onnx]") {
    // The ablation of workload.gemm.topk_scores: the same k0 / k1 as the importance ranking, the
    // tokens by a seeded random order. The importance ranking prunes the three padding tokens
    // (probability 0, above); a random order of 16 tokens prunes 4, all three of them only
    // with probability C(13, 1) / C(16, 4) = 13 / 1820, so at a fixed seed the choice differs.
    const std::string dir = models() + "/topk_random_out";
    scenario_config cfg = onnx_cfg("encoder2.onnx", "functional", "topk", "encoder2_x.npy");
    cfg.workload.gemm.topk_scores = "random";
    platform p(cfg);
    run_options o;
    o.quiet = true;
    o.out_dir = dir;
    std::filesystem::create_directories(dir);
    REQUIRE(p.run(o) == EXIT_OK);
    for (int l = 0; l < 2; ++l) {
        const std::string g = "onnx.topk.layer" + std::to_string(l) + ".";
        CHECK(stat(g + "tokens_pruned") == 4);
        CHECK(stat(g + "tokens_4bit") == 7);
        CHECK(stat(g + "tokens_8bit") == 5);
    }
    const std::vector<uint8_t>& bits = p.gemm_workload()->jobs().at(7).a_bits;
    REQUIRE(bits.size() == 16);
    CHECK((bits[13] != 0 || bits[14] != 0 || bits[15] != 0));
    // tokens.csv: a header and 2 maps x 16 tokens; its precisions are the GEMMs' rows.
    std::ifstream f(dir + "/tokens.csv");
    std::string line;
    REQUIRE(std::getline(f, line));
    CHECK(line == "map,node,token,score,precision");
    std::vector<int> prec0;
    int rows = 0;
    while (std::getline(f, line)) {
        ++rows;
        if (line.rfind("0,", 0) == 0) prec0.push_back(std::stoi(line.substr(line.rfind(',') + 1)));
    }
    CHECK(rows == 32);
    REQUIRE(prec0.size() == 16);
    for (size_t t = 0; t < 16; ++t) CHECK(prec0[t] == int{bits[t]});
}

TEST_CASE("onnx: the imported causal decoder block runs in timing mode", "[onnx]") {
    const scenario_config cfg = onnx_cfg("decoder.onnx", "timing");
    platform p(cfg);
    run_options o;
    o.quiet = true;
    REQUIRE(p.run(o) == EXIT_OK);
    CHECK(stat("gemm.count") == 12);
    CHECK(stat("onnx.ops.Gemm") == 1);
    CHECK(stat("onnx.ops.Split") == 1);
    CHECK(stat("gemm.0.n") == 192);  // the fused QKV projection
}

// ---- the integer pipeline (docs/workloads.md#integer-pipeline) --------------------------

namespace {

scenario_config integer_cfg(const std::string& file, const std::string& a_precision, const std::string& input = "encoder2_x.npy") {
    const std::string yaml = "name: onnx_int_test\nseed: 4\nmode: functional\nvssa: {rows: 8, cols: 8, arrays: 2}\n"
                             "workload:\n  kind: onnx\n  onnx: {model: " + models() + "/" + file + ", seq: 16, pipeline: integer, input: " +
                             models() + "/" + input + "}\n  gemm: {a_precision: " + a_precision + "}\n";
    return config_schema::get().load_string(yaml, "test.yaml");
}

// Runs the imported graph through the encoder firmware; checks every layer's output in DRAM
// against reference_model (model_workload.cpp) on the quantized graph with the precisions the
// VP ran, and the dequantized output against the numpy float forward pass of the construction
// (make_onnx_models.py) on the tokens not pruned. Returns the smallest cosine.
// `stats`: these statistics' values, read while the platform lives.
double run_integer(const std::string& file, const std::string& numpy_out, const std::string& a_precision,
                   std::vector<std::vector<uint8_t>>* prec_out = nullptr, std::map<std::string, double>* stats = nullptr) {
    const scenario_config cfg = integer_cfg(file, a_precision);
    const onnx_pipeline op = make_onnx_pipeline(cfg);  // the same deterministic import the platform does
    const model_instance& m = op.inst;
    const model_layout lay = plan_model(m, DTQ_APP_DATA_ADDR);
    platform p(cfg);
    run_options o;
    o.quiet = true;
    REQUIRE(p.run(o) == EXIT_OK);
    const uint64_t s = m.seq, d = m.shape.d_model;
    std::vector<std::vector<uint8_t>> prec(m.layers, std::vector<uint8_t>(s));
    for (uint64_t l = 0; l < m.layers; ++l) p.read_dram(lay.args.prec_log + l * s, prec[l].data(), s);
    const std::vector<std::vector<int8_t>> ref = reference_model(m, prec);
    const npy_array y = read_npy(models() + "/" + numpy_out);
    REQUIRE(y.shape == std::vector<uint64_t>{m.layers, s, d});
    double worst = 1.0;
    for (uint64_t l = 0; l < m.layers; ++l) {
        INFO("layer " << l);
        std::vector<int8_t> out(s * d);
        p.read_dram(lay.args.outputs + l * s * d, out.data(), out.size());
        double dot = 0, na = 0, nb = 0;
        for (uint64_t t = 0; t < s; ++t) {
            if (prec[m.layers - 1][t] == 0) continue;  // pruned (padding, or by the top-k engines): no output
            for (uint64_t i = 0; i < d; ++i) {
                CHECK(out[t * d + i] == ref[l][t * d + i]);
                const double a = out[t * d + i] * op.out_scale[l], b = y.as<float>()[(l * s + t) * d + i];
                dot += a * b, na += a * a, nb += b * b;
            }
        }
        worst = std::min(worst, dot / std::sqrt(na * nb));
        CHECK(stat(fmt::format("onnx.layer{}.mismatches", l)) == 0);
    }
    if (prec_out) *prec_out = prec;
    if (stats)
        for (auto& [name, v] : *stats) v = stat(name);
    return worst;
}

}  // namespace

TEST_CASE("onnx integer: the encoder runs as the integer pipeline, bit-exact with reference_model, near numpy", "[onnx][integer]") {
    std::vector<std::vector<uint8_t>> prec;
    std::map<std::string, double> st{{"onnx.layers", 0}, {"onnx.heads", 0}, {"onnx.causal", 0}};
    const double cosine = run_integer("encoder2_int.onnx", "encoder2_int_y.npy", "8", &prec, &st);
    CHECK(cosine > 0.999);  // the documented bound (docs/workloads.md#integer-pipeline)
    // a_precision 8: the 3 padding tokens (the mask's last 3) pruned from layer 0 on, the 13 others 8-bit
    for (const auto& pl : prec)
        for (uint64_t t = 0; t < 16; ++t) CHECK(pl[t] == (t >= 13 ? 0 : 8));
    CHECK(st["onnx.layers"] == 2);
    CHECK(st["onnx.heads"] == 4);
    CHECK(st["onnx.causal"] == 0);
}

TEST_CASE("onnx integer: the Q/K/V and context requantization constants follow the documented scales", "[onnx][integer]") {
    // docs/workloads.md#integer-pipeline, "Scales", recomputed here from the float reference's
    // tensors: Q, K, V share 2^-j with j = floor(log2(127 / max)) over every layer; the layer-0
    // input, the context and the LayerNorm outputs max / 127; weights per tensor max / 127;
    // probabilities 2^-7. Each constant is dyadic(s_in / s_out): m / 2^e within 2^-30 of it.
    // (Bit-exactness with reference_model cannot see a wrong constant: both use it.)
    const scenario_config cfg = integer_cfg("encoder2_int.onnx", "8");
    const onnx_pipeline op = make_onnx_pipeline(cfg);
    const onnx_encoder_graph g = onnx_match_encoder(cfg.workload.onnx.model, 16);
    std::map<std::string, double> mx;
    const std::vector<std::vector<float>> samples = onnx_input_samples(cfg);
    for (const auto& sample : samples) {
        std::map<std::string, onnx_value> v;
        onnx_float_reference(cfg.workload.onnx.model, 16, {sample}, cfg.seed, nullptr, &v);
        for (const auto& [name, val] : v)
            for (float x : val.v) mx[name] = std::max<double>(mx[name], std::fabs(x));
    }
    const auto amax = [](const std::vector<float>& w) {
        double m = 0;
        for (float x : w) m = std::max<double>(m, std::fabs(x));
        return m;
    };
    double qkv = 0;
    for (const auto& ly : g.layers) qkv = std::max({qkv, mx.at(ly.q), mx.at(ly.k), mx.at(ly.v)});
    const int j = static_cast<int>(std::floor(std::log2(127.0 / qkv)));
    REQUIRE(qkv * std::ldexp(1.0, j) <= 127.0);  // Q, K, V fit int8 at 2^-j ...
    REQUIRE(qkv * std::ldexp(1.0, j + 1) > 127.0);  // ... and would not at 2^-(j+1)
    const double s_qkv = std::ldexp(1.0, -j);
    CHECK(op.inst.score_shift == static_cast<uint32_t>(2 * j));
    const auto value = [](const dtq_rq& r) { return std::ldexp(static_cast<double>(r.m), -r.e); };
    double s_in = mx.at(g.layers[0].x) / 127.0;
    REQUIRE(op.inst.params.size() == g.layers.size());
    for (size_t l = 0; l < g.layers.size(); ++l) {
        INFO("layer " << l);
        const auto& ly = g.layers[l];
        const dtq_layer_params& p = op.inst.params[l];
        const double s_w = std::max({amax(ly.wq), amax(ly.wk), amax(ly.wv)}) / 127.0, s_ctx = mx.at(ly.ctx) / 127.0;
        const double want_qkv = s_in * s_w / s_qkv, want_attn = std::ldexp(1.0, -7) * s_qkv / s_ctx;
        CHECK(std::fabs(value(p.qkv) - want_qkv) <= std::ldexp(want_qkv, -30));
        CHECK(std::fabs(value(p.attn) - want_attn) <= std::ldexp(want_attn, -30));
        s_in = mx.at(ly.y) / 127.0;  // the next layer's input: this layer's LayerNorm output
    }
}

TEST_CASE("onnx integer: the causal decoder block runs as the integer pipeline, bit-exact, near numpy", "[onnx][integer]") {
    std::map<std::string, double> st{{"onnx.causal", 0}, {"onnx.layers", 0}};
    const double cosine = run_integer("decoder_int.onnx", "decoder_int_y.npy", "8", nullptr, &st);
    CHECK(cosine > 0.999);
    CHECK(st["onnx.causal"] == 1);
    CHECK(st["onnx.layers"] == 1);
}

// Biases and per-channel LayerNorms (docs/workloads.md#biases-and-per-channel-layernorm).
TEST_CASE("onnx integer: the encoder with biases and per-channel LayerNorm gamma and beta runs bit-exact, near numpy",
          "[onnx][integer][bias]") {
    // make_onnx_models.py: every projection and FFN layer has a bias (MatMul + Add); gamma per
    // channel, |gamma| in [0.5, 1.5] with channels 3, 11, ... negative; layer 0 LayerNormalization,
    // layer 1 the decomposed form.
    const onnx_pipeline op = make_onnx_pipeline(integer_cfg("encoder2_bias.onnx", "8"));
    REQUIRE(op.inst.weights.size() == 2);
    for (const layer_weights& w : op.inst.weights) {
        for (const auto* b : {&w.bq, &w.bk, &w.bv, &w.bo, &w.b2}) CHECK(b->size() == 64);
        CHECK(w.b1.size() == 256);
        REQUIRE(w.ln1_rq.size() == 64);
        REQUIRE(w.ln2_rq.size() == 64);
        for (uint64_t c = 0; c < 64; ++c) {  // the sign of each channel's multiplier is its gamma's
            CHECK((w.ln1_rq[c].m < 0) == (c % 8 == 3));
            CHECK((w.ln2_rq[c].m < 0) == (c % 8 == 3));
        }
    }
    std::map<std::string, double> st{{"onnx.layers", 0}};
    const double cosine = run_integer("encoder2_bias.onnx", "encoder2_bias_y.npy", "8", nullptr, &st);
    CHECK(cosine > 0.999);  // the documented bound (docs/workloads.md#integer-pipeline)
    CHECK(st["onnx.layers"] == 2);
}

TEST_CASE("onnx integer: the decoder with the fused QKV's bias, Gemm's C and per-channel LayerNorms runs bit-exact, near numpy",
          "[onnx][integer][bias]") {
    const onnx_pipeline op = make_onnx_pipeline(integer_cfg("decoder_bias.onnx", "8"));
    REQUIRE(op.inst.weights.size() == 1);
    const layer_weights& w = op.inst.weights[0];
    for (const auto* b : {&w.bq, &w.bk, &w.bv, &w.bo, &w.b2}) CHECK(b->size() == 64);  // the Split's three parts, Gemm's C
    CHECK(w.ln1_rq.size() == 64);
    std::map<std::string, double> st{{"onnx.causal", 0}};
    const double cosine = run_integer("decoder_bias.onnx", "decoder_bias_y.npy", "8", nullptr, &st);
    CHECK(cosine > 0.999);
    CHECK(st["onnx.causal"] == 1);
}

TEST_CASE("onnx integer: the encoder with biases under DTQAtten's top-k stays bit-exact", "[onnx][integer][bias]") {
    std::vector<std::vector<uint8_t>> prec;
    const double cosine = run_integer("encoder2_bias.onnx", "encoder2_bias_y.npy", "topk", &prec);
    CHECK(cosine > 0.995);  // as the encoder without biases: 4-bit and pruned tokens
    uint64_t c[9] = {};
    for (uint8_t b : prec[1]) ++c[b];
    CHECK(c[0] == 4);  // k0 = round(0.72 x 16) = 12 kept, k1 = round(0.306 x 16) = 5 of them 8-bit
    CHECK(c[4] == 7);
    CHECK(c[8] == 5);
}

// Pre-LN graphs (docs/workloads.md#pre-ln).
TEST_CASE("onnx integer: a pre-LN encoder with a final LayerNorm runs bit-exact, near numpy", "[onnx][integer][preln]") {
    // make_onnx_models.py pre_ln(False): 2 GPT-2-style layers (LayerNorm before the attention
    // and the FFN, residual sums after), biases, per-channel LayerNorms, a final LayerNorm.
    const onnx_pipeline op = make_onnx_pipeline(integer_cfg("encoder2_preln.onnx", "8"));
    REQUIRE(op.inst.weights.size() == 2);
    CHECK(op.graph.pre_ln);
    CHECK(op.graph.final_ln);
    CHECK(op.inst.weights[0].pre_ln);
    CHECK_FALSE(op.inst.weights[0].final_ln);
    CHECK(op.inst.weights[1].final_ln);
    CHECK(op.inst.weights[1].lnf_rq.size() == 64);  // per-channel gamma
    std::map<std::string, double> st{{"onnx.pre_ln", 0}, {"onnx.final_ln", 0}};
    const double cosine = run_integer("encoder2_preln.onnx", "encoder2_preln_y.npy", "8", nullptr, &st);
    CHECK(cosine > 0.999);  // the documented bound (docs/workloads.md#integer-pipeline)
    CHECK(st["onnx.pre_ln"] == 1);
    CHECK(st["onnx.final_ln"] == 1);
}

TEST_CASE("onnx integer: a pre-LN causal decoder block runs bit-exact, near numpy", "[onnx][integer][preln]") {
    std::map<std::string, double> st{{"onnx.pre_ln", 0}, {"onnx.causal", 0}};
    const double cosine = run_integer("decoder_preln.onnx", "decoder_preln_y.npy", "8", nullptr, &st);
    CHECK(cosine > 0.999);
    CHECK(st["onnx.pre_ln"] == 1);
    CHECK(st["onnx.causal"] == 1);
}

TEST_CASE("onnx integer: a pre-LN encoder under DTQAtten's top-k stays bit-exact", "[onnx][integer][preln]") {
    std::vector<std::vector<uint8_t>> prec;
    const double cosine = run_integer("encoder2_preln.onnx", "encoder2_preln_y.npy", "topk", &prec);
    CHECK(cosine > 0.995);
    uint64_t c[9] = {};
    for (uint8_t b : prec[1]) ++c[b];
    CHECK(c[0] == 4);  // k0 = round(0.72 x 16) = 12 kept, k1 = round(0.306 x 16) = 5 of them 8-bit
    CHECK(c[4] == 7);
    CHECK(c[8] == 5);
}

TEST_CASE("onnx integer: DTQAtten's top-k engines choose the encoder's token precisions in the ATTENTION command", "[onnx][integer]") {
    std::vector<std::vector<uint8_t>> prec;
    std::map<std::string, double> st{{"onnx.layer1.tokens_pruned", 0}, {"onnx.layer1.tokens_4bit", 0}};
    const double cosine = run_integer("encoder2_int.onnx", "encoder2_int_y.npy", "topk", &prec, &st);
    CHECK(cosine > 0.995);  // 4-bit tokens (a 16 times coarser step) and pruned tokens' keys and values
    // Layer 0: the padding pruned, the rest 8-bit; layer 1: what layer 0's engines chose at the
    // default ratios, k0 = round(0.72 x 16) = 12 kept, k1 = round(0.306 x 16) = 5 of them 8-bit.
    uint64_t c[9] = {};
    for (uint8_t b : prec[1]) ++c[b];
    CHECK(c[0] == 4);
    CHECK(c[4] == 7);
    CHECK(c[8] == 5);
    for (uint64_t t = 13; t < 16; ++t) CHECK(prec[1][t] == 0);  // a padding token stays pruned
    CHECK(st["onnx.layer1.tokens_pruned"] == 4);
    CHECK(st["onnx.layer1.tokens_4bit"] == 7);
}

TEST_CASE("onnx integer: scales calibrated on four stacked samples, the first one run, still bit-exact", "[onnx][integer]") {
    const scenario_config cfg = integer_cfg("encoder2_int.onnx", "8", "encoder2_x4.npy");
    const onnx_pipeline one = make_onnx_pipeline(integer_cfg("encoder2_int.onnx", "8"));
    const onnx_pipeline four = make_onnx_pipeline(cfg);
    CHECK(four.samples == 4);
    CHECK(four.in_scale >= one.in_scale);  // sample 0 is in both: maxima over more samples are not smaller
    for (size_t l = 0; l < four.out_scale.size(); ++l) CHECK(four.out_scale[l] >= one.out_scale[l]);  // maxima over more samples
    platform p(cfg);
    run_options o;
    o.quiet = true;
    REQUIRE(p.run(o) == EXIT_OK);  // the platform's own comparison with reference_model: exit 1 on a difference
    CHECK(stat("onnx.calibration_samples") == 4);
    CHECK(stat("onnx.mismatches") == 0);
    CHECK(stat("onnx.cosine_min") > 0.99);
}

TEST_CASE("onnx integer: what the recipe cannot run exactly is an error naming the node", "[onnx][integer]") {
    const auto error_of = [](const std::string& file) {
        try {
            make_onnx_pipeline(integer_cfg(file, "8"));
        } catch (const config_error& e) {
            return e.messages().at(0);
        }
        return std::string();
    };
    // encoder2.onnx's gammas are N(0, 0.05): layer 0's first LayerNorm has channel 16 at gamma
    // -0.00052 with beta 0.086, beta / gamma beyond I-BERT's int32 bias_int
    const std::string tiny = error_of("encoder2.onnx");
    CHECK_THAT(tiny, Catch::Contains("layer 0: LayerNorm 1 channel 16") && Catch::Contains("beyond the int32 bias_int"));
    const std::string gamma = error_of("bad_int_gamma.onnx");  // a gamma of 0
    CHECK_THAT(gamma, Catch::Contains("node 'l1_bln_mul' (op Mul") && Catch::Contains("channel 5: gamma 0") &&
                          Catch::Contains("must be finite and nonzero"));
    // FFN1 weights x 1e-4: GELU's input scale is so fine that c_int = floor(1 / (a S^2)) leaves int32
    const std::string gelu = error_of("bad_int_tiny_gelu.onnx");
    CHECK_THAT(gelu, Catch::Contains("layer 0: the FFN's first projection output (GELU's input)") &&
                         Catch::Contains("beyond int32, which the GELU command cannot take"));
    const std::string unknown = error_of("bad_unknown_op.onnx");  // the importer's own checks come first
    CHECK_THAT(unknown, Catch::Contains("'l0_softmax' (op FancySoftmax"));
    // timing mode and other precisions are configuration errors
    const auto load_error = [](const std::string& yaml) {
        try {
            config_schema::get().load_string(yaml, "test.yaml");
        } catch (const config_error& e) {
            return e.messages().at(0);
        }
        return std::string();
    };
    CHECK_THAT(load_error("name: t\nmode: timing\nworkload: {kind: onnx, onnx: {model: m.onnx, pipeline: integer}}\n"),
               Catch::Contains("workload.onnx.pipeline"));
    CHECK_THAT(load_error("name: t\nmode: functional\nworkload: {kind: onnx, onnx: {model: m.onnx, pipeline: integer}, gemm: {a_precision: ratios}}\n"),
               Catch::Contains("workload.gemm.a_precision"));
}

// ReLU FFNs (docs/workloads.md#relu): FFN1's REQUANT with its RELU bit replaces GELU.
TEST_CASE("onnx integer: a pre-LN encoder with ReLU FFNs runs bit-exact, near numpy", "[onnx][integer][relu]") {
    // make_onnx_models.py pre_ln(False, relu=True): encoder2_preln's structure, a Relu node
    // between FFN1 and FFN2; the numpy reference applies max(h, 0).
    const onnx_pipeline op = make_onnx_pipeline(integer_cfg("encoder2_preln_relu.onnx", "8"));
    REQUIRE(op.inst.weights.size() == 2);
    CHECK(op.graph.layers[0].relu);
    CHECK(op.inst.weights[0].relu);
    CHECK(op.inst.weights[1].relu);
    CHECK(run_integer("encoder2_preln_relu.onnx", "encoder2_preln_relu_y.npy", "8") > 0.99);
}

TEST_CASE("onnx integer: a ReLU encoder under DTQAtten's top-k stays bit-exact", "[onnx][integer][relu]") {
    std::vector<std::vector<uint8_t>> prec;
    CHECK(run_integer("encoder2_preln_relu.onnx", "encoder2_preln_relu_y.npy", "topk", &prec) > 0.95);
    uint64_t c[9] = {};
    for (uint8_t b : prec[1]) ++c[b];
    CHECK(c[0] == 4);  // k0 = round(0.72 x 16) = 12 kept, k1 = round(0.306 x 16) = 5 of them 8-bit
    CHECK(c[8] == 5);
}

// The shipped trained layer (scenarios/onnx/, docs/workloads.md#use-lite): TensorFlow.js's
// own output of layer 1 of the Universal Sentence Encoder Lite (use_lite_l1_y.npy, written by
// tools/use_lite/extract.js) against the VP's float reference of the imported ONNX graph.
TEST_CASE("onnx: the VP's float reference of the trained USE-Lite layer reproduces TensorFlow.js's output", "[onnx][use_lite]") {
    const std::string dir = DTQ_SOURCE_DIR "/scenarios/onnx/";
    const npy_array x = read_npy(dir + "use_lite_l1_x.npy", "float32", {1, 116, 512});
    const npy_array y = read_npy(dir + "use_lite_l1_y.npy", "float32", {1, 116, 512});
    std::map<std::string, onnx_value> val;
    std::vector<onnx_softmax_data> sm;
    onnx_float_reference(dir + "use_lite_l1.onnx", 116, {std::vector<float>(x.as<float>(), x.as<float>() + x.elements())}, 1, &sm, &val);
    REQUIRE(val.count("y"));
    const std::vector<float>& v = val.at("y").v;
    REQUIRE(v.size() == y.elements());
    double dot = 0, na = 0, nb = 0, worst = 0, big = 0;
    for (size_t i = 0; i < v.size(); ++i) {
        const double a = v[i], b = y.as<float>()[i];
        dot += a * b, na += a * a, nb += b * b;
        worst = std::max(worst, std::fabs(a - b));
        big = std::max(big, std::fabs(b));
    }
    // The ONNX file holds the weights rounded to float16 (to_onnx.py checks the same bound
    // with numpy before writing): the output moves by well under 0.1 % of its range.
    CHECK(dot / std::sqrt(na * nb) > 0.99999);
    CHECK(worst / big < 1e-3);
    REQUIRE(sm.size() == 1);  // one attention map: 4 heads x 116 x 116
    CHECK(sm[0].heads == 4);
    CHECK(sm[0].rows == 116);
}
