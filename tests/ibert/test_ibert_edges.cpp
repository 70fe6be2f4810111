// The integer units where their clamps and caps act, against the Python reference
// (../shared/refs/ibert_ref.py, run by this test through tests/ibert/ibert_edges.py):
// the most negative inputs, all-equal rows, one-hot rows (the largest probability), and the
// attention unit's softmax (output_bit 7) including its cap at 127, which the reference
// shows never acts (docs/attention.md "Softmax unit").
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <nlohmann/json.hpp>

#include "ibert/kernels.h"
#include "softmax/softmax_unit.h"

using namespace dtq;

namespace {

const nlohmann::json& edges() {
    static const nlohmann::json j = [] {
        // one file per process: ctest -j runs this file's test cases in parallel processes, and
        // one writing the file while another parsed it made a case fail now and then
        const std::string out = std::string(DTQ_BINARY_DIR) + "/ibert_edges." + std::to_string(::getpid()) + ".json";
        const std::string cmd = std::string(DTQ_PYTHON) + " " + DTQ_SOURCE_DIR + "/tests/ibert/ibert_edges.py " +
                                DTQ_SHARED_DIR + "/refs " + out + " > /dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
        std::ifstream f(out);
        nlohmann::json parsed = nlohmann::json::parse(f);
        std::remove(out.c_str());
        return parsed;
    }();
    return j;
}

std::vector<int64_t> ints(const nlohmann::json& a) { return a.get<std::vector<int64_t>>(); }

}  // namespace

TEST_CASE("ibert edges: the attention unit's softmax equals the reference at output_bit 7, y never reaches 128",
          "[ibert][softmax][edges]") {
    const auto& j = edges();
    REQUIRE(j["softmax_output_bit"] == 7);
    softmax::unit_config c;
    REQUIRE(c.output_bit == 7);
    // The reference over 20,000 random rows with one maximum: 127 at most.
    CHECK(j["probe_rows"] == 20000);
    CHECK(j["probe_ymax"] == 127);
    size_t rows = 0, one_hot_127 = 0;
    for (const auto& r : j["softmax"]) {
        const std::vector<int64_t> x = ints(r["x"]), want = ints(r["y"]);
        const std::vector<int8_t> got = softmax::run(c, x.data(), 1, x.size(), r["scale"].get<double>());
        INFO(r["name"].get<std::string>() << ", n = " << x.size() << ", scale = " << r["scale"].get<double>());
        // The reasoning of docs/attention.md: the row maximum's exp16 is 2^15 - 1 whatever the
        // scale, so y = floor(e_j floor(2^32 / T) / 2^25) < 128 e_j / T <= 128.
        CHECK(r["exp16_max"] == 32767);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            CHECK(want[i] >= 0);
            CHECK(want[i] <= 127);
            CHECK(int64_t{got[i]} == want[i]);
        }
        if (std::string(r["name"]) == "one_hot_int32") one_hot_127 += want[0] == 127;
        ++rows;
    }
    CHECK(rows > 600);
    CHECK(one_hot_127 == 12 * 4);  // the largest probability, every scale and length: 127
}

TEST_CASE("ibert edges: i-GELU and i-exp at their clips and at INT32_MIN equal the reference", "[ibert][edges]") {
    const auto& j = edges();
    size_t n = 0;
    for (const auto& r : j["gelu"]) {
        const double s = r["scale"].get<double>();
        INFO("gelu scale " << s);
        CHECK(ibert::i_gelu_int(ints(r["x"]), ibert::gelu_consts(s)).y == ints(r["y"]));
        ++n;
    }
    for (const auto& r : j["exp"]) {
        const double s = r["scale"].get<double>();
        INFO("exp scale " << s);
        CHECK(ibert::i_exp_int(ints(r["x"]), ibert::exp_consts(s)).exp_int == ints(r["y"]));
        ++n;
    }
    CHECK(n == 16);
}

TEST_CASE("ibert edges: i-LayerNorm of all-equal rows (std 0) equals the reference", "[ibert][edges]") {
    const auto& j = edges();
    size_t n = 0;
    for (const auto& r : j["layernorm"]) {
        const std::vector<double> g = r["gamma"].get<std::vector<double>>(), b = r["beta"].get<std::vector<double>>();
        const std::vector<int64_t> x = ints(r["x"]);
        INFO("n = " << x.size() << ", value " << x[0]);
        CHECK(ibert::i_layernorm(x, g, b, 0, true).y == ints(r["y"]));
        ++n;
    }
    CHECK(n == 20);
}
