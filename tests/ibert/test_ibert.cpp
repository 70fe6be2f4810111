// I-BERT kernels: the shipped golden vectors, an fp32-bookkeeping vector file from the
// reference, hand-computed cases, the vector runner on corrupted and malformed files, and
// the vector units' cycle formulas.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "ibert/kernels.h"
#include "ibert/timing.h"
#include "ibert/vectors.h"

using namespace dtq::ibert;
using v64 = std::vector<int64_t>;

namespace {
const std::string k_vectors = DTQ_SHARED_DIR "/refs/vectors/ibert_vectors.json";
const std::string k_tmp = DTQ_BINARY_DIR "/tests/ibert/";

nlohmann::json load(const std::string& path) {
    nlohmann::json doc;
    std::ifstream(path) >> doc;
    return doc;
}
size_t count_cases(const nlohmann::json& doc) {
    size_t n = 0;
    for (const auto& [k, cases] : doc["kernels"].items()) n += cases.size();
    return n;
}
struct run_result {
    int rc;
    vector_summary s;
    std::string out, err;
};
run_result run(const std::string& path) {
    std::ostringstream out, err;
    run_result r{};
    r.rc = run_vector_file(path, out, err, &r.s);
    r.out = out.str();
    r.err = err.str();
    return r;
}
run_result run_text(const std::string& name, const std::string& text) {
    std::ofstream(k_tmp + name) << text;
    return run(k_tmp + name);
}
std::string last_line(const std::string& s) {
    const size_t end = s.find_last_not_of('\n');
    const size_t start = s.rfind('\n', end);
    return s.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}
std::string kernel_line(const std::string& k, int passed, int failed) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%-20s %4d passed %4d failed\n", k.c_str(), passed, failed);
    return buf;
}
bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }
}  // namespace

// ---- golden vectors ---------------------------------------------------------------------

TEST_CASE("ibert: the shipped golden vectors all pass (140 cases)", "[ibert][vectors]") {
    const auto doc = load(k_vectors);
    REQUIRE(count_cases(doc) == 140);  // 7 kernels x 20 cases
    const run_result r = run(k_vectors);
    INFO(r.out << r.err);
    CHECK(r.rc == 0);
    CHECK(r.s.passed == 140);
    CHECK(r.s.failed == 0);
    CHECK(r.s.malformed == 0);
    CHECK(r.err.empty());
    CHECK(last_line(r.out) == "140 passed, 0 failed");
    for (const char* k : {"i_exp", "i_softmax", "i_gelu", "i_sqrt", "i_layernorm", "requantize", "symmetric_quantize"}) {
        INFO(k);
        CHECK(has(r.out, kernel_line(k, 20, 0)));
    }
}

TEST_CASE("ibert: a vector file with fp32 bookkeeping from the reference passes", "[ibert][vectors]") {
    // The reference writes it; fp32 changes every derived constant (checked in the file).
    const std::string path = k_tmp + "fp32_vectors.json";
    const std::string cmd = std::string(DTQ_PYTHON) + " " DTQ_SHARED_DIR "/refs/ibert_ref.py vectors " + path +
                            " --seed 7 --bookkeeping fp32 > /dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    const auto doc = load(path);
    REQUIRE(doc["bookkeeping"] == "fp32");
    const run_result r = run(path);
    INFO(r.out << r.err);
    CHECK(r.rc == 0);
    CHECK(r.s.passed == static_cast<int>(count_cases(doc)));
    CHECK(r.s.failed == 0);
    // The same file read with fp64 bookkeeping must fail: the mode is really applied.
    auto doc64 = doc;
    doc64["bookkeeping"] = "fp64";
    std::ofstream(k_tmp + "fp32_as_fp64.json") << doc64.dump();
    const run_result w = run(k_tmp + "fp32_as_fp64.json");
    CHECK(w.rc == 1);
    CHECK(w.s.failed > 0);
}

// ---- hand-computed cases ---------------------------------------------------------------

TEST_CASE("ibert: i-sqrt is floor(sqrt(n)) on squares and their neighbours", "[ibert][sqrt]") {
    for (uint64_t r : {1ull, 2ull, 3ull, 255ull, 256ull, 46340ull, 46341ull, 65535ull, 65536ull, 4294967295ull}) {
        INFO(r);
        const u128 sq = static_cast<u128>(r) * r;
        CHECK(i_sqrt(sq).root == r);
        CHECK(i_sqrt(sq - 1).root == r - 1);
        CHECK(i_sqrt(sq + 1).root == r);
    }
    CHECK(i_sqrt(0).root == 0);
    CHECK(i_sqrt(0).iterations == 0);
    CHECK(i_sqrt(UINT64_MAX).root == 4294967295ull);
    CHECK(i_sqrt(~u128{0}).root == UINT64_MAX);  // 2^128 - 1: root 2^64 - 1
    // 2^32 - 1 (the largest var_int): isqrt = 65535, float32 sqrt would give 65536.
    CHECK(i_sqrt((u128{1} << 32) - 1).root == 65535);
    // n = 16: start 2^ceil(5/2) = 8; updates 8 -> 5 -> 4 -> 4 (stop): 3 updates.
    CHECK(i_sqrt(16).iterations == 3);
}

TEST_CASE("ibert: dyadic multiplier from frexp with round-half-away mantissa", "[ibert][requant]") {
    CHECK(dyadic(0.5).m == (int64_t{1} << 30));
    CHECK(dyadic(0.5).e == 31);
    CHECK(dyadic(0.0).m == 0);
    CHECK(dyadic(0.0).e == 31);
    CHECK(dyadic(-0.75).m == -(int64_t{3} << 29));
    // f = 1 - 2^-40: f * 2^31 = 2^31 - 2^-9 rounds up to exactly 2^31 (not renormalised).
    CHECK(dyadic(1.0 - 0x1p-40).m == (int64_t{1} << 31));
    CHECK(dyadic(1.0 - 0x1p-40).e == 31);
    // f * 2^31 = 2^30 + 1/2 exactly (f = 0.5 + 2^-32): a tie, rounded away from zero both ways.
    CHECK(dyadic(0.5 + 0x1p-32).m == (int64_t{1} << 30) + 1);
    CHECK(dyadic(-(0.5 + 0x1p-32)).m == -((int64_t{1} << 30) + 1));
    // M = 3.75 = 0.9375 * 2^2: e = 29.
    CHECK(dyadic(3.75).e == 29);
    CHECK(dyadic(0x1p40).e == -10);  // |M| >= 2^31: negative shift (left shift)
    CHECK_THROWS_AS(dyadic(std::numeric_limits<double>::infinity()), std::domain_error);
}

TEST_CASE("ibert: requantization rounds ties to even, not half up", "[ibert][requant]") {
    requant_params p{dyadic(0.5), 8, true, rounding::half_even};  // y = round(z / 2)
    // z/2 = 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5
    const v64 z{1, 3, 5, -1, -3, -5, 7};
    CHECK(requantize(z, p) == v64{0, 2, 2, 0, -2, -2, 4});
    p.mode = rounding::half_up;  // (v + 2^(e-1)) >> e
    CHECK(requantize(z, p) == v64{1, 2, 3, 0, -1, -2, 4});
    p.mode = rounding::floor;
    CHECK(requantize(z, p) == v64{0, 1, 2, -1, -2, -3, 3});
    // Clamp to int8 and to int4; unclamped keeps the value.
    p.mode = rounding::half_even;
    CHECK(requantize({1000, -1000}, p) == v64{127, -128});
    p.bits = 4;
    CHECK(requantize({1000, -1000, 15}, p) == v64{7, -8, 7});
    p.clamp = false;
    CHECK(requantize({1000, -1000}, p) == v64{500, -500});
    // Negative multiplier: the sign is in m; -0.5 * 3 = -1.5 -> -2 (even).
    CHECK(requantize({3, -3, 5}, requant_params{dyadic(-0.5), 8, true, rounding::half_even}) == v64{-2, 2, -2});
    // Residual branch: round(z * 0.5) + round(w * 0.25), each rounded on its own.
    CHECK(requantize({1, 3}, requant_params{dyadic(0.5), 8, true, rounding::half_even}, v64{2, 6}, dyadic(0.25)) ==
          v64{0 + 0, 2 + 2});
    // A multiplier of 1e300 saturates exactly at the clamp; without a clamp it cannot be represented.
    CHECK(requantize({1, -1, 0}, requant_params{dyadic(1e300), 8, true, rounding::half_even}) == v64{127, -128, 0});
    CHECK_THROWS_AS(requantize({1}, requant_params{dyadic(1e300), 8, false, rounding::half_even}), std::overflow_error);
    // A tiny multiplier rounds everything to 0 (shift > 127 bits).
    CHECK(requantize({INT64_MAX, INT64_MIN}, requant_params{dyadic(1e-300), 8, true, rounding::half_even}) == v64{0, 0});
    // int64 extremes times m < 2^31: exact in 128 bits. INT64_MIN * 0.5 = -2^62.
    CHECK(requantize({INT64_MIN}, requant_params{dyadic(0.5), 64, false, rounding::half_even}) == v64{-(int64_t{1} << 62)});
}

TEST_CASE("ibert: symmetric quantization clamps the top at n - 1 (I-BERT's [-127, 126])", "[ibert][symq]") {
    // xmax = 127 gives scale = 127 / 127 = 1 exactly, so x/scale = x.
    const double s = symmetric_scale(8, -3.0, 127.0);
    REQUIRE(s == 1.0);
    const std::vector<double> x{127.0, -127.0, 126.5, 125.5, 0.5, -0.5, 1.5, 2.5, 200.0, -200.0};
    // 127 -> 126 (upper clamp n-1), -127 stays (lower clamp -n), ties to even, saturation.
    CHECK(symmetric_quantize(x, s, 8) == v64{126, -127, 126, 126, 0, 0, 2, 2, 126, -127});
    // 4 bits: n = 7, range [-7, 6].
    CHECK(symmetric_quantize({7.0, -7.0, 6.5, -8.0}, 1.0, 4) == v64{6, -7, 6, -7});
    // The 1e-8 floor on the range: an all-zero row gets scale 1e-8 / 127.
    CHECK(symmetric_scale(8, 0.0, 0.0) == 1e-8 / 127.0);
    CHECK_THROWS_AS(symmetric_quantize({1.0}, 0.0, 8), std::domain_error);
}

TEST_CASE("ibert: i-exp halves at every multiple of x0_int and is constant beyond the clip", "[ibert][exp]") {
    const exp_consts_t k = exp_consts(1e-3);
    // x0_int = floor(-0.6931 / 1e-3) = floor(-693.1) = -694 (binary64: -693.0999999999999).
    CHECK(k.x0_int == -694);
    CHECK(k.n == 30);
    v64 x;
    for (int q = 0; q <= 30; ++q) x.push_back(q * k.x0_int);
    x.push_back(30 * k.x0_int - 1);
    x.push_back(INT64_MIN);
    const exp_out e = i_exp_int(x, k);
    for (int q = 0; q <= 30; ++q) {
        INFO(q);
        CHECK(e.q[q] == q);
        CHECK(e.z[q] == k.c_int);  // r = 0: z = c_int
        CHECK(e.exp_int[q] == k.c_int << (30 - q));
    }
    CHECK(e.exp_int[31] == k.c_int);  // clipped to 30 * x0_int
    CHECK(e.exp_int[32] == k.c_int);
}

TEST_CASE("ibert: i-softmax on rows whose result is known", "[ibert][softmax]") {
    // One element: exp16 = 32767 (the default E_max is exp(0)); factor = floor(2^32 / 32767)
    // = 131076; y = 32767 * 131076 >> 24 = 255.
    const softmax_out one = i_softmax({5}, 1e-3);
    CHECK(one.exp16 == v64{32767});
    CHECK(one.factor == 131076);
    CHECK(one.y == v64{255});
    CHECK(one.out_scale == 1.0 / 256);
    // Two equal entries: factor = floor(2^32 / 65534) = 65538; y = 32767 * 65538 >> 24 = 127.
    CHECK(i_softmax({7, 7}, 1e-3).y == v64{127, 127});
    // INT32_MAX and INT32_MIN: x - max needs 33 bits; the minimum is far below the clip, exp16 = 0.
    const softmax_out ext = i_softmax({INT32_MAX, INT32_MIN}, 1e-3);
    CHECK(ext.exp16 == v64{32767, 0});
    CHECK(ext.y == v64{255, 0});
    // int64 extremes (65-bit differences) work the same way.
    CHECK(i_softmax({INT64_MAX, INT64_MIN}, 1e-3).y == v64{255, 0});
    // exp_act_bits = 1: qmax = 0, M16 = 0, every exp16 = 0, sum = 0 -> treated as 1: all zero.
    softmax_params p;
    p.exp_act_bits = 1;
    const softmax_out zero = i_softmax({1, 2, 3}, 1e-3, p);
    CHECK(zero.exp_sum == 0);
    CHECK(zero.factor == (int64_t{1} << 32));
    CHECK(zero.y == v64{0, 0, 0});
    CHECK_THROWS_AS(i_softmax({}, 1e-3), std::invalid_argument);
}

TEST_CASE("ibert: M16 = qmax / E_max is correctly rounded also above 2^53", "[ibert][softmax]") {
    CHECK(div_to_double(1, 3) == 1.0 / 3.0);
    CHECK(div_to_double(32767, 1000) == 32.767);
    // Ties to even at 2^53: (2^53 + 1) / 1 and 3 (2^53 + 1) / 3 -> 2^53; (2^53 + 3) -> 2^53 + 4.
    const u128 p53 = u128{1} << 53;
    CHECK(div_to_double(p53 + 1, 1) == 0x1p53);
    CHECK(div_to_double(3 * (p53 + 1), 3) == 0x1p53);
    CHECK(div_to_double(p53 + 3, 1) == 0x1p53 + 4);
    // Just above a tie (sticky remainder): (2^54 + 3) / 2 = 2^53 + 1.5 -> 2^53 + 2.
    CHECK(div_to_double(2 * p53 + 3, 2) == 0x1p53 + 2);
    // 1 / (2^60 + 1) = 2^-60 (1 - 2^-60 + ...) rounds to 2^-60.
    CHECK(div_to_double(1, (u128{1} << 60) + 1) == 0x1p-60);
}

TEST_CASE("ibert: i-GELU is 0 at 0, the identity for large x and 0 for very negative x", "[ibert][gelu]") {
    const gelu_consts_t k = gelu_consts(1e-3);
    CHECK(k.erf_scale < 0);  // I-BERT's output scale is negative: y has the opposite sign of GELU
    CHECK(k.out_scale < 0);
    const gelu_out o = i_gelu_int({0, 5000, -5000}, k);
    CHECK(o.y[0] == 0);
    CHECK(o.y[1] * k.out_scale == Approx(5.0).margin(1e-2));  // GELU(5) ~ 5
    CHECK(o.y[2] * k.out_scale == Approx(0.0).margin(1e-2));  // GELU(-5) ~ 0
    // erf is clipped at |x| >= -b_int: both sides of the clip give the same erf.
    CHECK(i_gelu_int({-k.b_int, -k.b_int + 1000}, k).erf[0] == i_gelu_int({-k.b_int + 1000}, k).erf[0]);
}

TEST_CASE("ibert: i-LayerNorm on rows whose result is known", "[ibert][layernorm]") {
    const std::vector<double> g2{1.0, 1.0}, b2{0.0, 0.0};
    // y = {-3, 3}: var = 18, isqrt = 4, factor = 2^31 / 4 = 2^29, y_norm = y * 2^29 >> 1.
    const layernorm_out o = i_layernorm({-3, 3}, g2, b2);
    CHECK(o.mean_int == 0);
    CHECK(o.var_int == 18);
    CHECK(o.std_int == 4);
    CHECK(o.factor == (int64_t{1} << 29));
    CHECK(o.y_norm == v64{-3 * (int64_t{1} << 28), 3 * (int64_t{1} << 28)});
    CHECK(o.consts.bias_int == v64{0, 0});
    CHECK(o.consts.ln_scale == std::sqrt(2.0) / 0x1p30);
    // The mean rounds half to even: 1.5 -> 2, 0.5 -> 0, -0.5 -> 0, 2.5 -> 2.
    CHECK(i_layernorm({1, 2}, g2, b2).mean_int == 2);
    CHECK(i_layernorm({0, 1}, g2, b2).mean_int == 0);
    CHECK(i_layernorm({-1, 0}, g2, b2).mean_int == 0);
    CHECK(i_layernorm({2, 3}, g2, b2).mean_int == 2);
    // A constant row has std 0 (guarded to 1): the output is exactly bias_int.
    const std::vector<double> g3{1.0, 2.0, -1.0}, b3{0.1, -0.2, 0.3};
    const layernorm_out c = i_layernorm({5, 5, 5}, g3, b3);
    CHECK(c.std_int == 0);
    CHECK(c.y == c.consts.bias_int);
    // var >= 2^32 raises the shift: y = {-2^20, 2^20}: sum y^2 = 2^41 <= 2^(2t+32) -> t = 5.
    const layernorm_out s = i_layernorm({-(1 << 20), 1 << 20}, g2, b2);
    CHECK(s.shift_adjusted);
    CHECK(s.shift == 5);
    CHECK(s.var_int == 2 * (uint64_t{1} << 30));  // (2^15)^2 * 2
    CHECK_THROWS_AS(i_layernorm({1, 2}, {1.0, 0.0}, b2), std::domain_error);  // gamma = 0
    CHECK_THROWS_AS(i_layernorm({1, 2}, g2, b2, -1), std::invalid_argument);
}

// ---- the vector runner on bad input --------------------------------------------------------

TEST_CASE("ibert: a corrupted expected value is reported as one failure of its kernel", "[ibert][vectors]") {
    auto doc = load(k_vectors);
    auto& c = doc["kernels"]["i_gelu"][3];
    const int64_t good = c["y_int"][5].get<int64_t>();
    c["y_int"][5] = good + 1;
    const std::string name = c["name"].get<std::string>();
    std::ofstream(k_tmp + "corrupted.json") << doc.dump();
    const run_result r = run(k_tmp + "corrupted.json");
    INFO(r.out << r.err);
    CHECK(r.rc == 1);
    CHECK(r.s.passed == 139);
    CHECK(r.s.failed == 1);
    CHECK(r.s.malformed == 0);
    CHECK(has(r.out, kernel_line("i_gelu", 19, 1)));
    CHECK(has(r.out, kernel_line("i_softmax", 20, 0)));
    CHECK(has(r.out, "first mismatch: case 3 '" + name + "'"));
    CHECK(has(r.out, "inputs: n=64, scale="));
    CHECK(has(r.out, "field 'y_int'[5]: expected " + std::to_string(good + 1) + ", got " + std::to_string(good)));
    CHECK(has(r.out, "(input x_int[5] = " + std::to_string(c["x_int"][5].get<int64_t>()) + ")"));
    CHECK(last_line(r.out) == "139 passed, 1 failed");
}

TEST_CASE("ibert: a corrupted derived constant is reported with its field", "[ibert][vectors]") {
    auto doc = load(k_vectors);
    doc["kernels"]["i_layernorm"][0]["ln_scale"] = 1.0;
    doc["kernels"]["i_layernorm"][0].erase("ln_scale_hex");
    std::ofstream(k_tmp + "corrupted_const.json") << doc.dump();
    const run_result r = run(k_tmp + "corrupted_const.json");
    INFO(r.out << r.err);
    CHECK(r.rc == 1);
    CHECK(has(r.out, kernel_line("i_layernorm", 19, 1)));
    CHECK(has(r.out, "field 'ln_scale': expected 1 [0x1p+0], got"));
}

TEST_CASE("ibert: a result the C++ cannot represent is a failure, not a wrap", "[ibert][vectors]") {
    // x = 2^40 > 0 at S = 1e-3: q = floor(2^40 / -694) < 0, so exp_int = z << (30 - q) needs
    // about 1.6e9 bits (the Python reference runs out of memory). The C++ throws overflow_error.
    CHECK_THROWS_AS(i_exp_int({int64_t{1} << 40}, exp_consts(1e-3)), std::overflow_error);
    const run_result r = run_text("overflow.json", R"({"kernels": {"i_exp": [{"name": "positive", "n": 1,
        "scale": 0.001, "x_int": [1099511627776]}]}})");
    INFO(r.out << r.err);
    CHECK(r.rc == 1);
    CHECK(r.s.failed == 1);
    CHECK(has(r.out, "first mismatch: case 0 'positive'"));
    CHECK(has(r.out, "inputs: n=1, scale=0.001"));
    CHECK(has(r.out, "the C++ kernel cannot represent the reference's result: exp_int exceeds 127 bits"));
}

TEST_CASE("ibert: malformed vector files are errors naming the file, case and key", "[ibert][vectors]") {
    SECTION("missing file") {
        const run_result r = run(k_tmp + "does_not_exist.json");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "does_not_exist.json: cannot open the vector file"));
    }
    SECTION("not JSON") {
        const run_result r = run_text("bad_json.json", "{not json");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "bad_json.json: not valid JSON"));
    }
    SECTION("no kernels object") {
        const run_result r = run_text("no_kernels.json", "[1, 2]");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "expected a JSON object with a 'kernels' object"));
    }
    SECTION("unknown bookkeeping") {
        const run_result r = run_text("bk.json", R"({"bookkeeping": "fp16", "kernels": {}})");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "'bookkeeping' must be \"fp64\" or \"fp32\", got \"fp16\""));
    }
    SECTION("unknown kernel, other kernels still run") {
        const run_result r = run_text("unknown.json", R"({"kernels": {"i_tanh": [],
            "i_sqrt": [{"name": "a", "n": 2, "x": [16, 17], "root": [4, 4], "iterations": [3, 3]}]}})");
        INFO(r.out << r.err);
        CHECK(r.rc == 2);
        CHECK(has(r.err, "unknown.json: kernels.i_tanh: unknown kernel"));
        CHECK(r.s.passed == 1);
        CHECK(last_line(r.out) == "1 passed, 0 failed");
    }
    SECTION("missing expected key") {
        const run_result r = run_text("missing_key.json", R"({"kernels": {"i_sqrt": [{"name": "a", "n": 1, "x": [4]}]}})");
        CHECK(r.rc == 2);
        CHECK(r.s.malformed == 1);
        CHECK(has(r.err, "missing_key.json: kernels.i_sqrt[0] 'a': 'root': missing key"));
    }
    SECTION("ill-typed input") {
        const run_result r = run_text("ill_typed.json", R"({"kernels": {"i_exp": [{"name": "b", "n": 1, "scale": "0.001", "x_int": [0]}]}})");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "kernels.i_exp[0] 'b': 'scale': expected a number, got \"0.001\""));
    }
    SECTION("non-integer element, named by index") {
        const run_result r = run_text("elem.json", R"({"kernels": {"i_gelu": [{"name": "c", "n": 2, "scale": 0.001, "x_int": [1, 2.5]}]}})");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "'x_int': element 1: expected an integer in int64, got 2.5"));
    }
    SECTION("n disagrees with the input length") {
        const run_result r = run_text("n.json", R"({"kernels": {"i_sqrt": [{"name": "d", "n": 3, "x": [4], "root": [2], "iterations": [2]}]}})");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "'n': is 3 but 'x' has 1 values"));
    }
    SECTION("decimal and hex float disagree") {
        auto doc = load(k_vectors);
        doc["kernels"]["i_exp"][2]["scale_hex"] = "0x1p-3";
        std::ofstream(k_tmp + "hex.json") << doc.dump();
        const run_result r = run(k_tmp + "hex.json");
        CHECK(r.rc == 2);
        CHECK(r.s.malformed == 1);
        CHECK(r.s.passed == 139);
        CHECK(has(r.err, "kernels.i_exp[2] 'boundaries': 'scale_hex': 0x1p-3 disagrees with the decimal value"));
    }
    SECTION("input the reference rejects (gamma = 0)") {
        auto doc = load(k_vectors);
        doc["kernels"]["i_layernorm"][1]["gamma"][0] = 0.0;
        doc["kernels"]["i_layernorm"][1].erase("gamma_hex");
        std::ofstream(k_tmp + "gamma0.json") << doc.dump();
        const run_result r = run(k_tmp + "gamma0.json");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "kernels.i_layernorm[1] 'two': 'gamma[0]': must be non-zero"));
    }
    SECTION("a case that is not an object") {
        const run_result r = run_text("notobj.json", R"({"kernels": {"requantize": [42]}})");
        CHECK(r.rc == 2);
        CHECK(has(r.err, "kernels.requantize[0] '?': expected a case object, got 42"));
    }
}

// ---- timing formulas ----------------------------------------------------------------------

TEST_CASE("ibert: vector-unit cycle formulas", "[ibert][timing]") {
    constexpr vector_unit_config c{};
    static_assert(c.lanes == 16);
    // softmax over n = 128: passes max, exp+sum, normalize: 3 * ceil(128 / 16) + latency.
    CHECK(softmax_cycles(128) == 3 * 8 + c.pipeline_latency);
    CHECK(softmax_cycles(129) == 3 * 9 + c.pipeline_latency);  // a partial vector costs a full cycle
    CHECK(softmax_cycles(1) == 3 + c.pipeline_latency);
    CHECK(softmax_cycles(0) == 0);
    CHECK(softmax_cycles(128, 12) == 12 * (3 * 8 + c.pipeline_latency));
    CHECK(layernorm_cycles(768) == 3 * 48 + c.pipeline_latency);
    CHECK(gelu_cycles(3072, 128) == 128 * 192 + c.pipeline_latency);
    CHECK(requant_cycles(20) == 2 + c.pipeline_latency);
    constexpr vector_unit_config narrow{4, 2};
    CHECK(softmax_cycles(10, 1, narrow) == 3 * 3 + 2);
    CHECK(vectors_per_row(10, narrow) == 3);
    CHECK(valid(c));
    CHECK_FALSE(valid(vector_unit_config{0, 0}));
}
