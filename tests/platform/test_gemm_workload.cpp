// workload.kind gemm (docs/workloads.md#gemm-lists): the GEMM list through the firmware app
// `gemm` and the GEMM command. Expected values are derived here by hand from the documented
// formulas (docs/timing-model.md: the tile formula and the GEMM blocking; SCALE-Sim's
// output-stationary folds), not read from the program. One elaboration per TEST_CASE.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/stats.h"
#include "platform/config/config.h"
#include "platform/workloads/gemm_workload.h"
#include "platform/platform.h"

using namespace dtq;

namespace {

double stat(const std::string& name) { return stats_registry::global().number(name); }

std::string temp_dir(const std::string& name) {
    const std::string d = (std::filesystem::temp_directory_path() / ("dtq_gemm_test_" + name)).string();
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
}

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
    std::ifstream f(path);
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(f, line);) {
        std::vector<std::string> r;
        std::stringstream ls(line);
        for (std::string e; std::getline(ls, e, ',');) {
            while (!e.empty() && e.front() == ' ') e.erase(e.begin());
            r.push_back(e);
        }
        rows.push_back(r);
    }
    return rows;
}

uint64_t div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

TEST_CASE("gemm_single: 128x768x768 all 4-bit on one 16x16 array takes the documented cycles", "[gemm]") {
    const scenario_config cfg = config_schema::get().load(DTQ_SOURCE_DIR "/scenarios/gemm_single.yaml");
    const std::string out = temp_dir("single");
    platform p(cfg);
    run_options o;
    o.quiet = true;
    o.out_dir = out;
    REQUIRE(p.run(o) == EXIT_OK);  // functional: C equals the plain-loop reference (else exit 1)

    // Blocking (docs/timing-model.md "Stand-alone commands"): scratchpad 256 KiB -> quarter
    // 65536 B, accumulator 128 KiB -> half 65536 B.
    const uint64_t M = 128, N = 768, K = 768, R = 16, C = 16;
    const uint64_t mb = 128;                                              // min(M, 128)
    const uint64_t nb = std::min<uint64_t>({N, std::max<uint64_t>(C, 128), 65536 / (4 * mb)});  // 128
    const uint64_t kb = std::min<uint64_t>(K, 65536 / std::max(mb, nb));  // 512, a multiple of 64
    REQUIRE(nb == 128);
    REQUIRE(kb == 512);
    const uint64_t blocks = div_up(M, mb) * div_up(N, nb);  // 6 output blocks
    const uint64_t tiles_per_step = (mb / R) * (nb / C);       // 64 tiles of 16 x 16
    // A uniform 4x4 tile (docs/timing-model.md#vssa): 1 + (K + R + C - 2) + R cycles, no stall.
    const auto tile = [&](uint64_t k) { return 1 + (k + R + C - 2) + R; };
    const uint64_t vssa = blocks * tiles_per_step * (tile(512) + tile(256));
    REQUIRE(vssa == 331008);
    CHECK(stat("gemm.0.vssa_cycles") == vssa);
    CHECK(stat("gemm.0.tiles") == blocks * tiles_per_step * 2);
    CHECK(stat("gemm.0.macs") == M * N * K);
    CHECK(stat("gemm.0.busy_pe_cycles") == M * N * K);  // a 4x4 MAC is one PE cycle
    CHECK(stat("gemm.0.stall_pe_cycles") == 0);
    CHECK(stat("gemm.0.stall_ratio") == 0);
    // Compute-bound (a k-step's loads take less than its compute): cycles = prologue (the
    // first k-step's loads) + the VSSA cycles + epilogue (the last block's store). The loads
    // move A 128 x 512 and B 128 columns x 256 bytes (4-bit) through the 16 B/cycle L2 /
    // scratchpad port, the store 128 x 128 int32 through the 16 B/cycle L2 port: at least
    // (65536 + 32768) / 16 + 65536 / 16 = 10240 cycles; the latencies (the precision list's
    // read, DMA setup, bus, L2, DRAM) add a few hundred at most.
    const double exposed = stat("gemm.0.cycles") - static_cast<double>(vssa);
    CHECK(exposed >= 10240);
    CHECK(exposed <= 10240 + 1000);
    CHECK(stat("gemm.0.utilization") == Approx(static_cast<double>(M * N * K) / (256.0 * stat("gemm.0.cycles"))));
    // DRAM bytes: A is reused across column blocks only without a K cut; K is cut here, so
    // every output block loads its A rows (128 x 768) again; B (4-bit, 768 x 384 bytes) and
    // C (int32) move once.
    CHECK(stat("gemm.0.dram_read_bytes") == blocks * M * K + N * K / 2);  // A per output block, B 4-bit once
    CHECK(stat("gemm.0.dram_written_bytes") == M * N * 4);

    const auto csv = read_csv(out + "/gemms.csv");
    REQUIRE(csv.size() == 2);
    REQUIRE(csv[0][0] == "name");
    REQUIRE(csv[0][1] == "m");
    REQUIRE(csv[0][2] == "n");
    REQUIRE(csv[0][3] == "k");
    REQUIRE(csv[0][8] == "tiles");
    REQUIRE(csv[0][12] == "cycles");
    CHECK(csv[1][0] == "proj");
    CHECK(csv[1][8] == std::to_string(768));
    CHECK(csv[1][12] == std::to_string(static_cast<uint64_t>(stat("gemm.0.cycles"))));
}

TEST_CASE("SCALE-Sim topology and config: per-layer folds equal ceil(M / H) x ceil(N / W)", "[gemm][scalesim]") {
    const std::string dir = temp_dir("scalesim");
    // SCALE-Sim's GEMM topology form: a header, then `name, M, N, K,` (trailing comma; one
    // line without it, a blank line, Windows line ends: all accepted as SCALE-Sim reads them).
    write_file(dir + "/topo.csv", "Layer, M, N, K,\n"
                                  "QK, 200, 300, 64,\n"
                                  "square, 64, 64, 64,\r\n"
                                  "\n"
                                  "odd, 17, 13, 40\n"
                                  "gemv, 1, 500, 32,\n");
    write_file(dir + "/array.cfg", "[general]\nrun_name = test\n\n[architecture_presets]\nArrayHeight:    8\nArrayWidth:     12\n"
                                   "IfmapSramSzkB:    64\nFilterSramSzkB:   64\nOfmapSramSzkB:    128\nIfmapOffset:    0\n"
                                   "Dataflow : os\nBandwidth : 10\nMemoryBanks: 1\n\n[run_presets]\nInterfaceBandwidth: CALC\n");
    const std::string yaml = "name: scalesim_test\nseed: 3\nmode: timing\nworkload:\n  kind: gemm\n  gemm:\n    topology: " + dir +
                             "/topo.csv\n    scalesim_config: " + dir + "/array.cfg\n";
    const scenario_config cfg = config_schema::get().load_string(yaml, "test.yaml");
    CHECK(cfg.vssa.rows == 8);
    CHECK(cfg.vssa.cols == 12);
    CHECK(cfg.vssa.arrays == 1);
    CHECK(cfg.scratchpad.size == 128u << 10);
    CHECK(cfg.accumulator.size == 128u << 10);
    platform p(cfg);
    run_options o;
    o.quiet = true;
    o.out_dir = dir + "/out";
    REQUIRE(p.run(o) == EXIT_OK);

    struct layer {
        const char* name;
        uint64_t m, n, k;
    } layers[] = {{"QK", 200, 300, 64}, {"square", 64, 64, 64}, {"odd", 17, 13, 40}, {"gemv", 1, 500, 32}};
    const auto report = read_csv(dir + "/out/COMPUTE_REPORT.csv");
    REQUIRE(report.size() == 5);
    CHECK(report[0][0] == "LayerID");
    CHECK(report[0][1] == "Total Cycles");
    CHECK(report[0][4] == "Mapping Efficiency %");
    const auto gemms = read_csv(dir + "/out/gemms.csv");
    REQUIRE(gemms.size() == 5);
    for (size_t i = 0; i < 4; ++i) {
        const layer& l = layers[i];
        INFO(l.name);
        const uint64_t row_folds = div_up(l.m, 8), col_folds = div_up(l.n, 12);
        const std::string g = "gemm." + std::to_string(i) + ".";
        CHECK(stat(g + "m") == l.m);
        CHECK(stat(g + "n") == l.n);
        CHECK(stat(g + "k") == l.k);
        CHECK(stat(g + "row_folds") == row_folds);
        CHECK(stat(g + "col_folds") == col_folds);
        // K <= 512 fits one k-step (scratchpad quarter 32 KiB / at most 128 rows or columns =
        // 256 >= K): the engine's tile count is the fold count.
        CHECK(stat(g + "tiles") == row_folds * col_folds);
        // Mapping efficiency: the mean over folds of used PEs / (8 x 12) = M N / (folds x 96).
        const double eff = static_cast<double>(l.m * l.n) / static_cast<double>(row_folds * col_folds * 96);
        CHECK(stat(g + "mapping_efficiency") == Approx(eff));
        CHECK(std::stod(report[i + 1][4]) == Approx(100 * eff).epsilon(1e-4));
        CHECK(report[i + 1][0] == std::to_string(i));
        CHECK(std::stoull(report[i + 1][1]) == static_cast<uint64_t>(stat(g + "cycles")));
        // 8-bit x 8-bit: 4 PE cycles per MAC, and the VSSA cycles of a uniform tile set.
        CHECK(stat(g + "busy_pe_cycles") == 4 * l.m * l.n * l.k);
        CHECK(gemms[i + 1][0] == l.name);
    }
}

TEST_CASE("SCALE-Sim inputs: bad lines and unmapped dataflows are errors naming file and line", "[gemm][scalesim]") {
    const std::string dir = temp_dir("scalesim_bad");
    try {
        parse_scalesim_topology("Layer, M, N, K,\nok, 1, 2, 3,\nbad, 4, x, 6,\nshort, 1, 2,\n", "t.csv");
        FAIL("no error");
    } catch (const config_error& e) {
        REQUIRE(e.messages().size() == 2);
        CHECK(e.messages()[0] == "t.csv:3: N: expected an integer in [1, 65536], got 'x'");
        CHECK(e.messages()[1].rfind("t.csv:4: expected `name, M, N, K,` (4 fields), got 3 fields", 0) == 0);
    }
    CHECK_THROWS_AS(parse_scalesim_topology("Layer, M, N, K,\n", "empty.csv"), config_error);
    write_file(dir + "/ws.cfg", "[architecture_presets]\nArrayHeight: 32\nArrayWidth: 32\nDataflow : ws\n");
    scenario_config c;
    try {
        apply_scalesim_config(c, dir + "/ws.cfg");
        FAIL("no error");
    } catch (const config_error& e) {
        REQUIRE(e.messages().size() == 1);
        CHECK(e.messages()[0].find("ws.cfg:4: Dataflow: expected os") != std::string::npos);
    }
    // Through the scenario loader: exit-2 class errors (config_error) naming the key.
    const std::string yaml = "name: t\nworkload:\n  kind: gemm\n  gemm:\n    list:\n      - {name: a, m: 4, n: 4, k: 0}\n";
    try {
        config_schema::get().load_string(yaml, "test.yaml");
        FAIL("no error");
    } catch (const config_error& e) {
        CHECK(e.messages()[0].find("workload.gemm.list") != std::string::npos);
        CHECK(e.messages()[0].find("k: expected an integer in [1, 65536], got '0'") != std::string::npos);
    }
}

TEST_CASE("gemm list: ratio and explicit row precisions, 8-bit B, checked against the reference", "[gemm]") {
    const std::string yaml =
        "name: gemm_mix\nseed: 7\nmode: functional\nvssa: {rows: 8, cols: 8, arrays: 2}\n"
        "workload:\n  kind: gemm\n  gemm:\n    a_precision: ratios\n    ratio_pruned: 0.25\n    ratio_4bit: 0.5\n    ratio_8bit: 0.25\n"
        "    list:\n"
        "      - {name: mixed, m: 40, n: 24, k: 72}\n"
        "      - {name: listed, m: 6, n: 10, k: 20, a_precision: list, a_prec: [8, 0, 4, 4, 8, 0], b_bits: 4}\n"
        "      - {name: own_ratios, m: 10, n: 9, k: 16, ratios: [0, 1, 0]}\n";
    const scenario_config cfg = config_schema::get().load_string(yaml, "test.yaml");
    platform p(cfg);
    run_options o;
    o.quiet = true;
    REQUIRE(p.run(o) == EXIT_OK);  // every C equals the plain-loop reference
    CHECK(stat("gemm.0.rows_pruned") == 10);  // round(0.25 x 40)
    CHECK(stat("gemm.0.rows_4bit") == 20);
    CHECK(stat("gemm.0.rows_8bit") == 10);
    CHECK(stat("gemm.1.rows_pruned") == 2);
    CHECK(stat("gemm.1.rows_4bit") == 2);
    CHECK(stat("gemm.1.rows_8bit") == 2);
    CHECK(stat("gemm.2.rows_4bit") == 10);
    // MACs count the active rows only; a 4-bit row x 4-bit B column is one PE cycle, 8 x 4 two.
    CHECK(stat("gemm.0.macs") == 30 * 24 * 72);
    CHECK(stat("gemm.1.busy_pe_cycles") == (2 * 1 + 2 * 2) * 10 * 20);
    CHECK(stat("gemm.count") == 3);
}

TEST_CASE("ratio_rows: counts by rounding, positions seeded and reproducible", "[gemm]") {
    const auto a = ratio_rows(100, 0.28, 0.414, 11), b = ratio_rows(100, 0.28, 0.414, 11), c = ratio_rows(100, 0.28, 0.414, 12);
    CHECK(a == b);
    CHECK(a != c);
    CHECK(std::count(a.begin(), a.end(), 0) == 28);
    CHECK(std::count(a.begin(), a.end(), 4) == 41);
    CHECK(std::count(a.begin(), a.end(), 8) == 31);
}
