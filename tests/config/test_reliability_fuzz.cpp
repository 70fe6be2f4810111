// Issue 20's fuzz test: 10^4 sweep files and --set values through the code paths of
// `dtqvp sweep` and `dtqvp check` (load_sweep; the scenario loader and the preflight
// rules), in process. Each case must end as the command line would end it with exit code 0
// (accepted) or 2 (config_error with messages), within a time bound per case, and the
// process's peak memory stays bounded (a grid of 10^10 points allocates nothing).
#include <catch2/catch.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "platform/config/config.h"
#include "platform/config/preflight.h"
#include "platform/frontend/sweep.h"

using namespace dtq;

namespace {

const char* const k_keys[] = {"dram.size", "dram.bytes_per_cycle", "seed", "mode", "clock_mhz", "linebuf.size", "scratchpad.size",
                              "accumulator.size", "workload.kind", "workload.model.seq", "workload.model.decode_tokens",
                              "workload.model.name", "workload.model.precision", "workload.firmware_app", "vsquant.vector_size",
                              "vsquant.scale_bits", "budget.max_cycles", "budget.wall_seconds", "watchdog.timeout_cycles",
                              "workload.attention.seq", "workload.dma_stream.bytes", "l2.size", "nope", "dramm", "dram",
                              "workload.model.layers", "workload.model.attention", "workload.model.nonlinear"};
const char* const k_values[] = {"0", "1", "2", "-1", "4KiB", "1MiB", "16MiB", "4GiB", "5GiB", "512", "1024", "4096", "4097",
                                "18446744073709551616", "timing", "functional", "model", "firmware", "hello", "selftest",
                                "attention", "encoder", "gpt2", "bert-base", "bert-large", "vsquant", "8bit", "dtqatten",
                                "[1, 2]", "{a: 1}", "''", "x", "1.5", "nan", "true", "~", "host", "unfused", "[", "}{"};

template <class T, size_t N>
const char* pick(const T (&a)[N], std::mt19937_64& rng) { return a[rng() % N]; }

long peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

// A random sweep file over the shipped dma_stream or a model scenario.
std::string sweep_text(std::mt19937_64& rng, const std::string& dir) {
    std::string s;
    const int shape = static_cast<int>(rng() % 10);
    if (shape == 0) return std::string(1 + rng() % 40, "ab:-[]{}\n #'\""[rng() % 14]);  // noise
    s += shape == 1 ? "" : "base: " + (rng() % 5 ? dir + (rng() % 2 ? "/dma_stream.yaml" : "/models/bert_base.yaml")
                                                    : std::string(pick(k_values, rng))) + "\n";
    if (rng() % 2) {
        s += "grid:\n";
        // small (up to 3 x 3 points, every point validated) or huge (6 to 11 keys of 10 to
        // 12 values: 10^6 to 3 x 10^11 points, refused before anything is built)
        const bool huge = rng() % 4 == 0;
        const int keys = static_cast<int>(huge ? 6 + rng() % 6 : rng() % 4);
        for (int k = 0; k < keys; ++k) {
            s += std::string("  ") + pick(k_keys, rng) + ": [";
            const int n = static_cast<int>(huge ? 10 + rng() % 3 : rng() % 4);
            for (int v = 0; v < n; ++v) s += (v ? ", " : "") + std::string(rng() % 3 ? std::to_string(rng() % 2048) : pick(k_values, rng));
            s += "]\n";
        }
    } else {
        s += "points:\n";
        const int n = static_cast<int>(rng() % 4);
        for (int p = 0; p < n; ++p) s += std::string("  - {") + pick(k_keys, rng) + ": " + pick(k_values, rng) + "}\n";
    }
    if (rng() % 8 == 0) s += rng() % 2 ? "---\nx: 1\n" : "base: again.yaml\n";
    if (rng() % 8 == 0) s += std::string(pick(k_keys, rng)) + ": 1\n";
    return s;
}

}  // namespace

TEST_CASE("fuzz: 10000 sweep files and --set values end with exit code 0 or 2 within time and memory bounds",
          "[fuzz][config][reliability]") {
    const std::string dir = DTQ_SOURCE_DIR "/scenarios";
    const std::string file = std::filesystem::temp_directory_path().string() + "/dtq_fuzz_sweep_" + std::to_string(getpid()) + ".yaml";
    std::mt19937_64 rng(20);
    int accepted = 0, rejected = 0;
    double slowest = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const long rss0 = peak_rss_mib();
    for (int i = 0; i < 10000; ++i) {
        const auto c0 = std::chrono::steady_clock::now();
        int code = -1;
        std::string what;
        try {
            if (i % 2 == 0) {  // a sweep file
                std::ofstream(file) << sweep_text(rng, dir);
                const sweep_spec s = load_sweep(file);
                REQUIRE(s.size() >= 1);
                REQUIRE(s.size() <= sweep_spec::MAX_POINTS);
                (void)s.point(s.size() - 1);
            } else {  // `check SCENARIO --set ...` (1 to 3 values)
                std::vector<std::string> sets;
                for (int n = 1 + static_cast<int>(rng() % 3); n > 0; --n)
                    sets.push_back(std::string(pick(k_keys, rng)) + "=" + pick(k_values, rng));
                const char* base = rng() % 3 == 0 ? "/models/bert_base.yaml" : rng() % 2 ? "/firmware_hello.yaml" : "/dma_stream.yaml";
                const scenario_config c = config_schema::get().load(dir + base, sets);
                if (auto e = preflight(c); !e.empty()) throw config_error(e);
            }
            code = 0;
        } catch (const config_error& e) {
            REQUIRE_FALSE(e.messages().empty());
            code = 2;
        } catch (const sweep_error& e) {
            code = e.exit_code;
        } catch (const std::exception& e) {
            what = e.what();
        }
        INFO("case " << i << ": " << what);
        REQUIRE((code == 0 || code == 1 || code == 2 || code == 3));
        (code == 0 ? accepted : rejected)++;
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
        slowest = std::max(slowest, s);
        REQUIRE(s < 5.0);  // per case (a sanitizer build is ~3x slower)
    }
    std::remove(file.c_str());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("fuzz: " << accepted << " accepted, " << rejected << " rejected in " << s << " s, slowest case " << slowest
                  << " s, peak RSS " << peak_rss_mib() << " MiB (" << rss0 << " MiB before)");
    CHECK(accepted > 100);
    CHECK(rejected > 2000);
    CHECK(peak_rss_mib() - rss0 < 512);  // no case allocates by the claimed size
}
