// Every scenario and sweep file error of docs/errors.md that tests/cli and test_config.cpp
// do not provoke already, each with its exact position and text.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "config_errors.h"
#include "platform/config/config.h"
#include "platform/frontend/sweep.h"

using dtq::config_error;
using dtq::config_schema;

namespace {

using dtq::test::errors_of;

const std::string k_dir = DTQ_BINARY_DIR "/test_config_errors";

std::string write(const std::string& name, const std::string& text) {
    std::system(("mkdir -p " + k_dir).c_str());
    std::ofstream(k_dir + "/" + name) << text;
    return k_dir + "/" + name;
}

template <class F>
std::string errors_thrown(F&& f) {
    try {
        f();
    } catch (const config_error& e) {
        std::string all;
        for (const auto& m : e.messages()) all += m + "\n";
        return all;
    }
    return "";
}

}  // namespace

TEST_CASE("config errors: structure of the file", "[config][errors]") {
    CHECK(errors_of("- a\n- b\n") == "s.yaml:1:1: expected a mapping of scenario keys at the top level\n");
    CHECK(errors_of("name: t\ndram: 5\n") == "s.yaml:2:7: dram: expected a mapping of dram.* keys\n");
    CHECK(errors_of("include: {a: 1}\nname: t\n") ==
          "s.yaml:1:10: include: expected a file name or a list of file names\n");
    CHECK(errors_of("include: [[a]]\nname: t\n") == "s.yaml:1:11: include: expected a file name\n");
    CHECK(errors_of("name: {a: 1}\n") == "s.yaml:1:7: name: expected a string, got a mapping\n");
}

TEST_CASE("config errors: values of each type", "[config][errors]") {
    CHECK(errors_of("name: t\nmode: fast\n") == "s.yaml:2:7: mode: expected one of functional, timing, got 'fast'\n");
    CHECK(errors_of("name: t\nworkload:\n  kind: nope\n") ==
          "s.yaml:3:9: workload.kind: expected one of dma_stream, attention_study, firmware, model, gemm, onnx, got 'nope'\n");
    CHECK(errors_of("name: t\nworkload:\n  attention:\n    ratio_4bit: abc\n") ==
          "s.yaml:4:17: workload.attention.ratio_4bit: expected a number in [0, 1], got 'abc'\n");
    CHECK(errors_of("name: t\nworkload:\n  attention:\n    ratio_4bit: 1.5\n") ==
          "s.yaml:4:17: workload.attention.ratio_4bit: expected a number in [0, 1], got 1.5\n");
    CHECK(errors_of("name: t\nl2:\n  size: 3 PiB\n") ==
          "s.yaml:3:9: l2.size: expected an unsigned integer (optionally with B/KiB/MiB/GiB) in [1 KiB, 1 GiB], got '3 PiB'\n");
}

TEST_CASE("config errors: constraints between keys", "[config][errors]") {
    CHECK(errors_of("name: t\nl2:\n  size: 1100\n") ==
          "s.yaml:3:9: l2.size: expected a multiple of line_bytes x ways = 1024, got 1100\n");
    CHECK(errors_of("name: t\ndram:\n  banks: {enabled: true, row_hit_cycles: 50, row_miss_cycles: 10}\n") ==
          "s.yaml:3:63: dram.banks.row_miss_cycles: expected >= row_hit_cycles (50), got 10\n");
    CHECK(errors_of("name: t\nworkload:\n  attention: {ratio_pruned: 0.5}\n") ==
          "s.yaml: workload.attention.ratio_8bit: expected ratio_pruned + ratio_4bit + ratio_8bit = 1, got 0.5 + 0.414 "
          "+ 0.306 = 1.22\n");
    CHECK(errors_of("name: t\nworkload:\n  dma_stream: {chunk_bytes: 1 MiB}\n") ==
          "s.yaml:3:29: workload.dma_stream.chunk_bytes: expected at most scratchpad.size (262144), got 1048576\n");
}

TEST_CASE("config errors: precision modes and the vsquant and softmax keys", "[config][errors]") {
    CHECK(errors_of("name: t\nworkload:\n  kind: model\n  model: {name: gpt2, precision: vsquant}\n") ==
          "s.yaml:4:34: workload.model.precision: expected 8bit or dtqatten for gpt2 (a decoder): the 4-bit and VS-Quant "
          "modes run encoders only (bert-base, bert-large), got vsquant\n");
    CHECK(errors_of("name: t\nworkload:\n  kind: model\n  model: {precision: 4bit, attention: unfused}\n").find(
              "workload.model.precision: expected 8bit with workload.model.attention unfused") != std::string::npos);
    CHECK(errors_of("name: t\nsoftmax: {mode: softermax}\nworkload:\n  kind: model\n  model: {precision: 8bit, nonlinear: host}\n") ==
          "s.yaml:2:17: softmax.mode: expected ibert with workload.model.nonlinear host: the host's math library implements "
          "I-BERT's i-softmax only, got softermax\n");
    CHECK(errors_of("name: t\nsoftmax: {mode: exp}\n") == "s.yaml:2:17: softmax.mode: expected one of ibert, softermax, got 'exp'\n");
    CHECK(errors_of("name: t\nvsquant: {scale_bits: 5}\n") == "s.yaml:2:23: vsquant.scale_bits: expected 4, 6 or 8, got 5\n");
    CHECK(errors_of("name: t\nvsquant: {vector_size: 0}\n") ==
          "s.yaml:2:24: vsquant.vector_size: expected an unsigned integer in [1, 1024], got 0\n");
    CHECK(errors_of("name: t\nworkload:\n  kind: model\n  model: {precision: dtqatten_vsquant, outliers: true}\n") == "");
}

TEST_CASE("config errors: T-REX keys weight_compression and buffer.two_direction", "[config][errors]") {
    CHECK(errors_of("name: t\nworkload:\n  kind: model\n  model: {precision: vsquant, weight_compression: nm24}\n").find(
              "workload.model.weight_compression: expected none with precision vsquant: its weights are already stored "
              "4-bit (layout.B_4BIT); nm24 needs precision 8bit, dtqatten or dtqatten_vsquant") != std::string::npos);
    CHECK(errors_of("name: t\nworkload:\n  kind: model\n  model: {weight_compression: 2of4}\n").find(
              "workload.model.weight_compression: expected one of none, nm24, got '2of4'") != std::string::npos);
    CHECK(errors_of("name: t\nworkload:\n  kind: model\n  model: {compression_4bit_fraction: 1.5}\n").find(
              "workload.model.compression_4bit_fraction:") != std::string::npos);
    CHECK(errors_of("name: t\nbuffer: {two_direction: maybe}\n").find("buffer.two_direction:") != std::string::npos);
    CHECK(errors_of("name: t\nbuffer: {two_direction: true}\nworkload:\n  kind: model\n  model: {precision: dtqatten_vsquant, weight_compression: nm24}\n") == "");
}

TEST_CASE("config errors: --set and includes", "[config][errors]") {
    CHECK(errors_of("name: t\n", {"dram.size=[1"}).find("--set dram.size=[1: dram.size: cannot parse the value: ") == 0);
    // A chain of ten includes: a.yaml -> i1.yaml -> ... -> i9.yaml.
    for (int i = 1; i <= 9; ++i) write("i" + std::to_string(i) + ".yaml", "include: i" + std::to_string(i + 1) + ".yaml\n");
    write("i10.yaml", "seed: 1\n");
    const std::string top = write("deep.yaml", "include: i1.yaml\nname: t\n");
    CHECK(errors_thrown([&] { config_schema::get().load(top); }) ==
          k_dir + "/i7.yaml:1:10: include: includes nested deeper than 8 levels\n");
}

TEST_CASE("config errors: sweep files", "[config][errors][sweep]") {
    const std::string base = DTQ_SOURCE_DIR "/scenarios/dma_stream.yaml";
    const auto sweep_errors = [&](const std::string& name, const std::string& text) {
        const std::string p = write(name, text);
        return errors_thrown([&] { dtq::load_sweep(p); });
    };
    const std::string d = k_dir + "/";
    CHECK(errors_thrown([&] { dtq::load_sweep(d + "none.yaml"); }) == d + "none.yaml: no such file\n");
    CHECK(sweep_errors("syn.yaml", "base: [x\n").find(d + "syn.yaml:2:1: syntax error: ") == 0);
    CHECK(sweep_errors("list.yaml", "- 1\n") == d + "list.yaml: expected a mapping with base and grid or points\n");
    CHECK(sweep_errors("keys.yaml", "base: " + base + "\ngird: {seed: [1]}\n") ==
          d + "keys.yaml:2:1: gird: unknown key (did you mean 'grid'? expected base, grid, points)\n" + d + "keys.yaml: expected grid or points\n");
    CHECK(sweep_errors("nobase.yaml", "grid: {seed: [1]}\n") == d + "nobase.yaml: base: expected the base scenario file\n");
    CHECK(sweep_errors("grid.yaml", "base: " + base + "\ngrid: [1]\n") ==
          d + "grid.yaml:2:7: grid: expected a mapping of key.path: [values]\n");
    CHECK(sweep_errors("both.yaml", "base: " + base + "\ngrid: {seed: [1]}\npoints: [{seed: 2}]\n") ==
          d + "both.yaml:3:9: points: give either grid or points, not both\n");
    CHECK(sweep_errors("pts.yaml", "base: " + base + "\npoints: {seed: 2}\n") ==
          d + "pts.yaml:2:9: points: expected a list of mappings\n");
    CHECK(sweep_errors("pt.yaml", "base: " + base + "\npoints: [3]\n") ==
          d + "pt.yaml:2:10: points: expected a mapping of key.path: value\n");
    CHECK(sweep_errors("bad_point.yaml", "base: " + base + "\npoints: [{seed: 1}, {dram.bytes_per_cycle: 0}]\n") ==
          d + "bad_point.yaml: point 1: --set dram.bytes_per_cycle=0: dram.bytes_per_cycle: expected an unsigned "
              "integer in [1, 4096], got 0\n");
}

TEST_CASE("config errors: request streams and batching", "[config][errors][batching]") {
    const std::string model = "name: t\nworkload:\n  kind: model\n";
    CHECK(errors_of(model + "  requests:\n    list: [{at_us: 0, seq: 16}, {at_us: 5, seq: 32}]\n") == "");
    CHECK(errors_of(model + "  requests:\n    list: [{at_us: 5, seq: 16}, {at_us: 2, seq: 32}]\n") ==
          "s.yaml:5:11: workload.requests.list: entry 1 (line 5): at_us: expected arrivals in order (at least 5, the previous "
          "entry's), got 2\n");
    CHECK(errors_of(model + "  requests:\n    list: [{at_us: 0, seq: 0}]\n") ==
          "s.yaml:5:11: workload.requests.list: entry 0 (line 5): seq: expected an integer in [1, 4096], got '0'\n");
    CHECK(errors_of(model + "  requests:\n    list: [{at_us: 0, tokens: 8}]\n") ==
          "s.yaml:5:11: workload.requests.list: entry 0 (line 5): unknown key 'tokens': expected at_us and seq\n");
    CHECK(errors_of(model + "  requests:\n    list: {at_us: 0}\n").find("workload.requests.list: expected a list of") !=
          std::string::npos);
    CHECK(errors_of(model + "  requests: {count: 4}\n") ==
          "s.yaml: workload.requests.seq: expected a list of sequence lengths for the generated requests "
          "(workload.requests.count)\n");
    CHECK(errors_of(model + "  requests: {count: 4, seq: [16, 5000]}\n") ==
          "s.yaml:4:29: workload.requests.seq: expected a list of 0..64 integers in [1, 4096], got '5000'\n");
    CHECK(errors_of(model + "  requests: {count: 4, seq: [16], interarrival_us: -1}\n") ==
          "s.yaml:4:52: workload.requests.interarrival_us: expected a number in [0, 1000000000], got -1\n");
    CHECK(errors_of(model + "  requests: {count: 2, seq: [64]}\n  batching: {policy: dynamic, token_budget: 32}\n") ==
          "s.yaml:5:45: workload.batching.token_budget: expected at least the longest request (64 tokens), got 32\n");
    CHECK(errors_of(model + "  requests: {count: 2, seq: [64]}\n  batching: {policy: dynamic, buffer_bytes: 1 KiB}\n") ==
          "s.yaml:5:45: workload.batching.buffer_bytes: expected 0 or at least the longest request's 64 tokens x 23040 bytes "
          "per token = 1474560 bytes (bert-base), got 1024\n");
    CHECK(errors_of(model + "  requests: {count: 2, seq: [64]}\n  batching: {policy: lifo}\n") ==
          "s.yaml:5:22: workload.batching.policy: expected one of single, fixed, dynamic, got 'lifo'\n");
    CHECK(errors_of("name: t\nworkload:\n  requests: {count: 2, seq: [64]}\n") ==
          "s.yaml:3:21: workload.requests.count: expected workload.kind model (requests run whole models), got dma_stream\n");
    CHECK(errors_of(model + "  model: {name: gpt2, decode_tokens: 2}\n  requests: {count: 2, seq: [64]}\n") ==
          "s.yaml:4:38: workload.model.decode_tokens: expected 0 with requests (a request is one prefill), got 2\n");
}
