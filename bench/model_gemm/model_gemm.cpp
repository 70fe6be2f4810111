// model_gemm: wall time of a whole model's integer GEMMs in the VP's functional kernel
// (dtq::vssa::gemm_s8) and in OpenBLAS dgemm, measured in the same run, on the same
// operands, results checked equal (dgemm is exact here: |C| <= 16384 K < 2^53).
//
// Input: a JSON list of GEMMs, the format the VP writes as gemms.json in a run's --out
// directory:  [{"m": 128, "n": 768, "k": 768, "count": 48}, ...]  (optional "name").
// C[m x n] = A[m x k] x B[k x n]; "count" repeats of that shape in one pass.
// Output (stdout): one JSON object with both wall times per pass, GMAC/s, the ratio and
// the OpenBLAS library that was really called (path resolved at run time, its config).
//
// Usage: model_gemm [--threads N] [--passes P] [--no-blas] FILE|-
//   --threads N   threads of both libraries (default: every online core)
//   --passes P    timed passes over the whole list for each library, interleaved; the
//                 best pass is reported, the others too (default 3)
#include <cblas.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <systemc>
#include <thread>
#include <vector>

#include "vssa/gemm.h"

// dtq_vssa links SystemC, whose library owns main(): this is sc_main, and no banner.
static const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

extern "C" char* openblas_get_config(void);
extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);
extern "C" char* openblas_get_corename(void);

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

struct gemm {
    std::string name;
    uint64_t m = 0, n = 0, k = 0, count = 1;
    std::vector<int8_t> a, bt;   // A (m x k), B transposed (n x k)
    std::vector<double> ad, bd;  // the same operands as doubles (converted outside the timed region)
    std::vector<int32_t> c;
    std::vector<double> cd;
};

int usage(const std::string& why) {
    std::cerr << "model_gemm: " << why << "\nusage: model_gemm [--threads N] [--passes P] [--no-blas] FILE|-\n";
    return 2;
}

uint64_t field(const nlohmann::json& e, const char* key, size_t index, bool required = true) {
    if (!e.contains(key)) {
        if (!required) return 1;
        throw std::runtime_error(fmt::format("entry {}: missing \"{}\"", index, key));
    }
    const auto& v = e.at(key);
    if (!v.is_number_unsigned() || v.get<uint64_t>() == 0)
        throw std::runtime_error(fmt::format("entry {}: \"{}\" must be a positive integer, got {}", index, key, v.dump()));
    return v.get<uint64_t>();
}

}  // namespace

int sc_main(int argc, char** argv) {
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    int passes = 3;
    bool blas = true;
    std::string file;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--threads" && i + 1 < argc) threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
        else if (arg == "--passes" && i + 1 < argc) passes = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--no-blas") blas = false;
        else if (arg == "-" || arg.empty() || arg[0] != '-') file = arg;
        else return usage("unknown option " + arg);
    }
    if (file.empty()) return usage("no GEMM list given");

    std::vector<gemm> list;
    try {
        nlohmann::json j;
        if (file == "-") {
            j = nlohmann::json::parse(std::cin);
        } else {
            std::ifstream in(file);
            if (!in) return usage("cannot open " + file);
            j = nlohmann::json::parse(in);
        }
        if (j.is_object() && j.contains("gemms")) j = j.at("gemms");
        if (!j.is_array() || j.empty()) throw std::runtime_error("expected a non-empty JSON list of {m, n, k, count}");
        for (size_t i = 0; i < j.size(); ++i) {
            const auto& e = j[i];
            if (!e.is_object()) throw std::runtime_error(fmt::format("entry {}: expected an object", i));
            gemm g;
            g.m = field(e, "m", i);
            g.n = field(e, "n", i);
            g.k = field(e, "k", i);
            g.count = field(e, "count", i, false);
            g.name = e.contains("name") && e["name"].is_string() ? e["name"].get<std::string>()
                                                                 : fmt::format("{}x{}x{}", g.m, g.n, g.k);
            list.push_back(std::move(g));
        }
    } catch (const std::exception& e) {
        std::cerr << "model_gemm: " << file << ": " << e.what() << "\n";
        return 2;
    }

    // Operands: int8 in [-128, 127], one set per entry, reused for its `count` repeats.
    std::mt19937 rng(1);
    double macs = 0;
    uint64_t calls = 0;
    for (auto& g : list) {
        g.a.resize(g.m * g.k);
        g.bt.resize(g.n * g.k);
        for (auto& x : g.a) x = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        for (auto& x : g.bt) x = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        g.c.assign(g.m * g.n, 0);
        if (blas) {
            g.ad.assign(g.a.begin(), g.a.end());
            g.bd.assign(g.bt.begin(), g.bt.end());
            g.cd.assign(g.m * g.n, 0.0);
        }
        macs += static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k) * static_cast<double>(g.count);
        calls += g.count;
    }

    auto pass_int8 = [&] {
        for (auto& g : list)
            for (uint64_t r = 0; r < g.count; ++r) dtq::vssa::gemm_s8(g.a.data(), g.bt.data(), g.c.data(), g.m, g.n, g.k, threads);
    };
    auto pass_blas = [&] {
        for (auto& g : list)
            for (uint64_t r = 0; r < g.count; ++r)
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(g.m), static_cast<int>(g.n),
                            static_cast<int>(g.k), 1.0, g.ad.data(), static_cast<int>(g.k), g.bd.data(),
                            static_cast<int>(g.k), 0.0, g.cd.data(), static_cast<int>(g.n));
    };

    nlohmann::json out;
    out["input"] = file;
    out["gemms"] = list.size();
    out["calls_per_pass"] = calls;
    out["macs_per_pass"] = macs;
    out["threads"] = threads;
    out["passes"] = passes;

    if (blas) {
        openblas_set_num_threads(static_cast<int>(threads));
        Dl_info info{};
        const bool found = dladdr(reinterpret_cast<void*>(&cblas_dgemm), &info) != 0 && info.dli_fname;
        const std::string config = openblas_get_config();
        out["blas"] = {{"library", found ? info.dli_fname : "?"},
                       {"config", config},
                       {"core", openblas_get_corename()},
                       {"threads", openblas_get_num_threads()},
                       {"is_openblas", config.find("OpenBLAS") != std::string::npos}};
    }

    // Warm-up pass of each (thread pools, page faults, packing buffers), then interleaved
    // timed passes so that load from other processes hits both alike.
    pass_int8();
    if (blas) pass_blas();
    std::vector<double> t_int8, t_blas;
    for (int p = 0; p < passes; ++p) {
        auto t0 = clock_type::now();
        pass_int8();
        t_int8.push_back(seconds_since(t0));
        if (blas) {
            t0 = clock_type::now();
            pass_blas();
            t_blas.push_back(seconds_since(t0));
        }
    }
    if (blas)
        for (const auto& g : list)
            for (size_t i = 0; i < g.c.size(); ++i)
                if (static_cast<double>(g.c[i]) != g.cd[i]) {
                    std::cerr << fmt::format("model_gemm: MISMATCH in {} at {}: {} vs {}\n", g.name, i, g.c[i], g.cd[i]);
                    return 1;
                }

    auto summary = [&](const std::vector<double>& t) {
        const double best = *std::min_element(t.begin(), t.end());
        return nlohmann::json{{"wall_seconds", best}, {"gmacs_per_second", macs / best / 1e9}, {"pass_seconds", t}};
    };
    out["int8"] = summary(t_int8);
    out["int8"]["kernel"] = dtq::vssa::gemm_kernel_name();
    if (blas) {
        out["dgemm"] = summary(t_blas);
        out["results_equal"] = true;
        // > 1: the VP's kernel is faster than OpenBLAS dgemm on the same GEMMs.
        out["ratio_dgemm_over_int8"] = out["dgemm"]["wall_seconds"].get<double>() / out["int8"]["wall_seconds"].get<double>();
    }
    std::cout << out.dump(2) << "\n";
    return 0;
}
