// I-BERT kernels: the shipped golden vectors, hand-computed cases, and the vector
// runner's behaviour on a corrupted or malformed file.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ibert/kernels.h"
#include "ibert/vectors.h"

using namespace dtq::ibert;

namespace {
const std::string k_vectors = DTQ_SHARED_DIR "/refs/vectors/ibert_vectors.json";
}

TEST_CASE("ibert: the shipped golden vectors all pass (140 cases)", "[ibert]") {
    std::ostringstream out, err;
    vector_summary s;
    CHECK(run_vector_file(k_vectors, out, err, &s) == 0);
    CHECK(s.passed == 140);
    CHECK(s.failed == 0);
    CHECK(out.str().find("140 passed, 0 failed\n") != std::string::npos);
}

TEST_CASE("ibert: i-sqrt is floor(sqrt(n)) on squares and their neighbours", "[ibert]") {
    for (uint64_t r : {1ull, 2ull, 3ull, 1000ull, 65535ull, 4294967295ull}) {
        CHECK(i_sqrt(static_cast<unsigned __int128>(r) * r).root == r);
        CHECK(i_sqrt(static_cast<unsigned __int128>(r) * r - 1).root == r - 1);
        CHECK(i_sqrt(static_cast<unsigned __int128>(r) * r + 1).root == r);
    }
    CHECK(i_sqrt(0).root == 0);
    CHECK(i_sqrt(UINT64_MAX).root == 4294967295ull);
}

TEST_CASE("ibert: requantization rounds ties to even, not half up", "[ibert]") {
    // M = 0.5 -> frexp (0.5, 0): m = 2^30, e = 31: y = round(z / 2).
    const dyadic_t me = dyadic(0.5);
    CHECK(me.m == (int64_t{1} << 30));
    CHECK(me.e == 31);
    // 1/2 -> 0, 3/2 -> 2, 5/2 -> 2, -1/2 -> 0, -3/2 -> -2; half-up gives 1, 2, 3, 0, -1.
    CHECK(requantize({1, 3, 5, -1, -3}, me, 8) == std::vector<int64_t>{0, 2, 2, 0, -2});
    CHECK(requantize({1, 3, 5, -1, -3}, me, 8, true, nullptr, {0, 0}, true) == std::vector<int64_t>{1, 2, 3, 0, -1});
    // Clamp to int8.
    CHECK(requantize({1000, -1000}, me, 8) == std::vector<int64_t>{127, -128});
}

TEST_CASE("ibert: symmetric quantization clamps the top at n - 1 (I-BERT's [-127, 126])", "[ibert]") {
    // scale = 1.27 / 127 = 0.01: 1.27 -> 127 -> clamped to 126; -1.27 -> -127.
    const double s = symmetric_scale(8, -1.27, 1.27);
    CHECK(symmetric_quantize({1.27, -1.27, 0.005, 0.015}, s, 8) == std::vector<int64_t>{126, -127, 0, 2});
}

TEST_CASE("ibert: i-softmax of a one-element row is 255 (factor 131076)", "[ibert]") {
    // exp16 = 32767 for the row maximum; factor = floor(2^32 / 32767) = 131076;
    // y = 32767 * 131076 >> 24 = 255.
    const auto o = i_softmax({5}, 0.001);
    CHECK(o.exp16 == std::vector<int64_t>{32767});
    CHECK(o.factor == 131076);
    CHECK(o.y == std::vector<int64_t>{255});
    // Two equal entries share the probability: factor = floor(2^32 / 65534) = 65538; y = 127.
    const auto t = i_softmax({7, 7}, 0.001);
    CHECK(t.y == std::vector<int64_t>{127, 127});
}

TEST_CASE("ibert: a corrupted expected value is reported as one failure of its kernel", "[ibert]") {
    nlohmann::json doc;
    std::ifstream(k_vectors) >> doc;
    doc["kernels"]["i_gelu"][3]["y_int"][0] = doc["kernels"]["i_gelu"][3]["y_int"][0].get<int64_t>() + 1;
    const std::string path = DTQ_BINARY_DIR "/tests/ibert/corrupted.json";
    std::ofstream(path) << doc.dump();
    std::ostringstream out, err;
    vector_summary s;
    CHECK(run_vector_file(path, out, err, &s) == 1);
    CHECK(s.passed == 139);
    CHECK(s.failed == 1);
    CHECK(out.str().find("i_gelu                 19 passed    1 failed") != std::string::npos);
    CHECK(out.str().find("first mismatch: case 3") != std::string::npos);
    CHECK(out.str().find("'y_int'[0]") != std::string::npos);
    CHECK(out.str().find("139 passed, 1 failed\n") != std::string::npos);
}

TEST_CASE("ibert: malformed vector files are errors naming the problem", "[ibert]") {
    const std::string dir = DTQ_BINARY_DIR "/tests/ibert/";
    auto run = [&](const std::string& text, std::string& msg) {
        std::ofstream(dir + "bad.json") << text;
        std::ostringstream out, err;
        const int rc = run_vector_file(dir + "bad.json", out, err);
        msg = err.str();
        return rc;
    };
    std::string msg;
    CHECK(run("{not json", msg) == 2);
    CHECK(msg.find("not valid JSON") != std::string::npos);
    CHECK(run("{\"kernels\": {\"i_tanh\": []}}", msg) == 2);
    CHECK(msg.find("unknown kernel 'i_tanh'") != std::string::npos);
    CHECK(run("{\"kernels\": {\"i_sqrt\": [{\"name\": \"a\", \"x\": [4]}]}}", msg) == 2);
    CHECK(msg.find("i_sqrt[0] 'a': missing key 'root'") != std::string::npos);
    CHECK(run("{\"kernels\": {\"i_exp\": [{\"name\": \"b\", \"scale\": \"x\"}]}}", msg) == 2);
    CHECK(msg.find("'scale' must be a number") != std::string::npos);
    std::ostringstream out, err;
    CHECK(run_vector_file(dir + "missing.json", out, err) == 2);
    CHECK(err.str().find("cannot open") != std::string::npos);
}
