// Fuzzing the scenario loader with a fixed seed: every mutated input must end in a
// loaded config or a config_error with at least one positioned message; nothing else
// (no other exception, no crash, no hang).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>

#include "platform/config/config.h"

using dtq::config_error;
using dtq::config_schema;

namespace {

std::string read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

const char* const k_tokens[] = {":", "-", "[", "]", "{", "}", "\n", "  ", "\t", "#", "&a", "*a", "!!int", "'", "\"",
                                "0x", "-1", "1e309", "18446744073709551616", "4 GiB", "true", "null", "~", "...",
                                "---", "dram", "l2.size", "include: x.yaml", "name", "\xff\xfe", "%YAML 1.2", "|"};

std::string mutate(std::string s, std::mt19937_64& rng) {
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
        const size_t at = rng() % s.size();
        switch (rng() % 4) {
            case 0: s[at] = static_cast<char>(rng() % 256); break;               // flip a byte
            case 1: s.erase(at, 1 + rng() % 8); break;                           // delete a run
            case 2: s.insert(at, k_tokens[rng() % (sizeof k_tokens / sizeof *k_tokens)]); break;
            case 3: { const size_t from = rng() % s.size();                     // duplicate a run
                      s.insert(at, s.substr(from, 1 + rng() % 16)); } break;
        }
    }
    return s;
}

}  // namespace

TEST_CASE("fuzz: 5000 mutated scenarios load or fail with a positioned config_error", "[fuzz][config]") {
    const std::string base = read(DTQ_SOURCE_DIR "/scenarios/dma_stream.yaml") + read(DTQ_SOURCE_DIR "/scenarios/presets/survey_fig11.yaml");
    std::mt19937_64 rng(20261123);
    int ok = 0, rejected = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 5000; ++i) {
        const std::string text = mutate(base, rng);
        try {
            config_schema::get().load_string(text, "fuzz.yaml");
            ++ok;
        } catch (const config_error& e) {
            REQUIRE_FALSE(e.messages().empty());
            for (const auto& m : e.messages()) REQUIRE(m.rfind("fuzz.yaml", 0) == 0);
            ++rejected;
        }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("fuzz: " << ok << " accepted, " << rejected << " rejected in " << s << " s");
    CHECK(ok + rejected == 5000);
    CHECK(rejected > 1000);  // the mutations do reach the error paths
}

TEST_CASE("fuzz: 2000 random --set assignments are applied or rejected cleanly", "[fuzz][config]") {
    std::mt19937_64 rng(7);
    const auto& params = config_schema::get().params();
    const char* const values[] = {"0", "1", "-1", "64", "4KiB", "1 GiB", "99999999999999999999", "true", "false",
                                  "timing", "[1,2]", "{a: 1}", "", "x", "0x40", "1.5", "nan", "load"};
    int rejected = 0;
    for (int i = 0; i < 2000; ++i) {
        const std::string key = params[rng() % params.size()]->path;
        const std::string set = key + "=" + values[rng() % (sizeof values / sizeof *values)];
        try {
            config_schema::get().load_string("name: f\n", "f.yaml", {set});
        } catch (const config_error& e) {
            REQUIRE_FALSE(e.messages().empty());
            ++rejected;
        }
    }
    CHECK(rejected > 100);
}
