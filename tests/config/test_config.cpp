// Scenario loading: typed values, positions of every error, includes, --set, the
// generated reference doc.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "config_errors.h"
#include "platform/config/config.h"

using dtq::config_error;
using dtq::config_schema;

namespace {

using dtq::test::errors_of;

std::string read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("config: defaults and typed values, sizes with suffixes", "[config]") {
    const auto c = config_schema::get().load_string(
        "name: t\nmode: timing\ndram:\n  bytes_per_cycle: 32\nl2:\n  size: 1 MiB\n  enabled: false\n", "s.yaml");
    CHECK(c.name == "t");
    CHECK(c.mode == dtq::sim_mode::timing);
    CHECK(c.dram.bytes_per_cycle == 32);
    CHECK(c.dram.latency_cycles == dtq::dram_config{}.latency_cycles);
    CHECK(c.l2.size == (1u << 20));
    CHECK_FALSE(c.l2.enabled);
}

TEST_CASE("config: unknown key reported at its line and column with a suggestion", "[config]") {
    // line 3, column 3 is where 'bytes_per_cycl' starts.
    const std::string e = errors_of("name: t\ndram:\n  bytes_per_cycl: 32\n");
    CHECK(e == "s.yaml:3:3: dram.bytes_per_cycl: unknown key (did you mean 'dram.bytes_per_cycle'?)\n");
}

TEST_CASE("config: wrong type reported at the value's position", "[config]") {
    const std::string e = errors_of("name: t\nl2:\n  enabled: yes please\n  ways: [1, 2]\n");
    CHECK(e.find("s.yaml:3:12: l2.enabled: expected true or false, got 'yes please'") != std::string::npos);
    CHECK(e.find("s.yaml:4:9: l2.ways: expected an unsigned integer in [1, 64], got 'a non-scalar'") != std::string::npos);
}

TEST_CASE("config: out of range, negative and 64-bit overflow values", "[config]") {
    CHECK(errors_of("name: t\nl2:\n  ways: 65\n") ==
          "s.yaml:3:9: l2.ways: expected an unsigned integer in [1, 64], got 65\n");
    CHECK(errors_of("name: t\ndma:\n  burst_bytes: -4\n").find("s.yaml:3:16: dma.burst_bytes: expected an unsigned integer") == 0);
    CHECK(errors_of("name: t\nseed: 18446744073709551616\n").find("s.yaml:2:7: seed: expected an unsigned integer") == 0);
    CHECK(errors_of("name: t\nscratchpad:\n  size: 0\n").find("s.yaml:3:9: scratchpad.size") == 0);
}

TEST_CASE("config: missing required key, syntax error, every error reported", "[config]") {
    CHECK(errors_of("seed: 3\n") == "s.yaml: name: missing required key\n");
    CHECK(errors_of("name: t\ndram: {bytes_per_cycle: 3\n").find("s.yaml:") == 0);
    CHECK(errors_of("name: t\ndram: {bytes_per_cycle: 3\n").find("syntax error") != std::string::npos);
    const std::string two = errors_of("name: t\nfoo: 1\nbar: 2\n");
    CHECK(two == "s.yaml:2:1: foo: unknown key\ns.yaml:3:1: bar: unknown key\n");
}

TEST_CASE("config: cross-key constraints name the key that breaks them", "[config]") {
    CHECK(errors_of("name: t\nl2:\n  line_bytes: 48\n") == "s.yaml:3:15: l2.line_bytes: expected a power of two, got 48\n");
    CHECK(errors_of("name: t\nclock_mhz: 700\n").find("s.yaml:2:12: clock_mhz: expected a frequency") == 0);
}

TEST_CASE("config: --set overrides use the same validation", "[config]") {
    const auto c = config_schema::get().load_string("name: t\n", "s.yaml", {"dram.bytes_per_cycle=16", "mode=timing"});
    CHECK(c.dram.bytes_per_cycle == 16);
    CHECK(c.mode == dtq::sim_mode::timing);
    CHECK(errors_of("name: t\n", {"dram.bytes_per_cycle=abc"}) ==
          "--set dram.bytes_per_cycle=abc: dram.bytes_per_cycle: expected an unsigned integer in [1, 4096], got 'abc'\n");
    CHECK(errors_of("name: t\n", {"dram.nope=1"}).find("--set dram.nope=1: dram.nope: unknown key") == 0);
    CHECK(errors_of("name: t\n", {"novalue"}) == "--set novalue: expected key.path=value\n");
}

TEST_CASE("config: include reads a preset first, the scenario overrides it", "[config]") {
    const std::string dir = DTQ_BINARY_DIR "/test_config_include";
    std::system(("mkdir -p " + dir).c_str());
    std::ofstream(dir + "/preset.yaml") << "dram:\n  bytes_per_cycle: 8\n  latency_cycles: 7\n";
    std::ofstream(dir + "/s.yaml") << "include: preset.yaml\nname: inc\ndram:\n  latency_cycles: 9\n";
    std::ofstream(dir + "/bad.yaml") << "include: preset_missing.yaml\nname: inc\n";
    std::ofstream(dir + "/loop.yaml") << "include: loop.yaml\nname: inc\n";
    const auto c = config_schema::get().load(dir + "/s.yaml");
    CHECK(c.dram.bytes_per_cycle == 8);
    CHECK(c.dram.latency_cycles == 9);
    CHECK_THROWS_WITH(config_schema::get().load(dir + "/bad.yaml"),
                      Catch::Contains("bad.yaml:1:10: include: ") && Catch::Contains("preset_missing.yaml: no such file"));
    CHECK_THROWS_WITH(config_schema::get().load(dir + "/loop.yaml"), Catch::Contains("include cycle"));
    CHECK_THROWS_WITH(config_schema::get().load(dir + "/none.yaml"), Catch::Contains("none.yaml: no such file"));
}

TEST_CASE("config: the resolved config round-trips through its JSON echo", "[config]") {
    const auto& s = config_schema::get();
    const auto c = s.load_string("name: rt\nseed: 42\nl2:\n  ways: 8\n  size: 1 MiB\n", "s.yaml");
    const auto j = s.to_json(c);
    CHECK(j["l2"]["ways"] == 8);
    CHECK(j["seed"] == 42);
    // Feeding the echo back as YAML (JSON is YAML) gives the same echo.
    const auto again = s.load_string(j.dump(), "echo.json");
    CHECK(s.to_json(again) == j);
}

TEST_CASE("config: docs/config.md is generated from the schema and up to date", "[config][docs]") {
    const std::string doc = read(DTQ_SOURCE_DIR "/docs/config.md");
    INFO("regenerate with: build/dtqvp config-doc > docs/config.md");
    CHECK(doc == config_schema::get().markdown());
    for (const auto& p : config_schema::get().params()) CHECK(doc.find("`" + p->path + "`") != std::string::npos);
}
