// The energy, power and area model (docs/energy.md). Expected values are computed here by
// hand from the 45 nm table's published numbers (Horowitz ISSCC 2014, NanGate 45 nm) and
// the scaling rule 40/45, not read back from the model. One elaboration per TEST_CASE.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>

#include "apps.h"
#include "common/stats.h"
#include "dtq_driver.h"
#include "energy/energy.h"
#include "memory_side.h"
#include "platform/sequencer/compute_ops.h"
#include "platform/config/config.h"

using namespace dtq;

namespace {

// A bus, DRAM, scratchpad, accumulator, DMA and the compute unit on a 4 x 4 VSSA: one GEMM.
// The units are top-level modules, so their statistics have the platform's names
// (compute.*, dma.*, dram.*): the energy model reads them by those names.
struct driver : sc_core::sc_module {
    std::function<void()> body;
    SC_HAS_PROCESS(driver);
    explicit driver(const sc_core::sc_module_name& n) : sc_module(n) { SC_THREAD(run); }
    void run() { body(); }
};

struct bench : test::memory_side {
    compute_ops compute;
    driver drv;
    std::vector<command_outcome> outcomes;
    command cmd;

    static compute_ops_config ops_cfg() {
        compute_ops_config c;
        c.vssa.rows = 4;
        c.vssa.cols = 4;
        c.vssa.arrays = 1;
        set_windows(c);
        return c;
    }
    explicit bench(const dram_config& d = small_dram())
        : memory_side(d), compute("compute", ops_cfg(), dma, scratchpad, clk), drv("drv") {
        compute.mem.bind(bus.in);
        drv.body = [this] {
            command c = cmd;
            c.start_cycle = clk.now();
            outcomes.push_back(compute.gemm(c));
        };
    }
};

constexpr uint64_t M = 4, N = 4, K = 16;
constexpr uint64_t A_AT = DTQ_DRAM_BASE + 0x10000, B_AT = A_AT + 0x10000, C_AT = B_AT + 0x10000, P_AT = C_AT + 0x10000;

energy::platform_shape bench_shape() {
    energy::platform_shape s;
    s.rows = s.cols = 4;
    s.pes = 16;
    s.scratchpad = 256 << 10;
    s.accumulator = 128 << 10;
    s.linebuf = 64 << 10;
    s.l2 = 0;
    s.clock_mhz = 1000;
    return s;
}

double stat(const char* k) { return stats_registry::global().number(k); }

// One GEMM tile: A 4 x 16 with every row 4-bit (precision list), B 4 x 16 int8: every MAC
// is 8x4 (2 nibble cycles), no PE waits for another.
void run_one_tile(bench& b) {
    std::vector<int8_t> a(M * K), w(N * K);
    for (uint64_t i = 0; i < a.size(); ++i) a[i] = static_cast<int8_t>(static_cast<int>(i % 15) - 7);  // 4-bit codes
    for (uint64_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
    const std::vector<uint8_t> bits(M, 4);
    b.dram.poke(A_AT - DTQ_DRAM_BASE, a.data(), a.size());
    b.dram.poke(B_AT - DTQ_DRAM_BASE, w.data(), w.size());
    b.dram.poke(P_AT - DTQ_DRAM_BASE, bits.data(), bits.size());
    dtq_cmd d;
    dtq_cmd_gemm(&d, A_AT, B_AT, C_AT, P_AT, M, N, K);
    std::memcpy(b.cmd.raw.data(), &d, sizeof d);
    b.cmd.opcode = d.opcode;
    sc_core::sc_start();
    REQUIRE(b.outcomes.size() == 1);
    REQUIRE(b.outcomes[0].error == regs::err::NONE);
}

// 40 nm = 45 nm x 40/45 (energy), x (40/45)^2 (area), docs/energy.md#nodes.
constexpr double E40 = 40.0 / 45.0;

}  // namespace

TEST_CASE("energy: one GEMM tile and its DMA transfers, by hand from the table and the counts", "[energy]") {
    bench b;
    run_one_tile(b);
    // The action counts, by hand: 4 x 4 x 16 = 256 MACs, all 8x4 (2 nibble cycles each), no stall.
    REQUIRE(stat("compute.gemm_macs_8x4") == 256);
    REQUIRE(stat("compute.gemm_macs_4x4") == 0);
    REQUIRE(stat("compute.gemm_macs_8x8") == 0);
    REQUIRE(stat("compute.gemm_busy_pe_cycles") == 512);
    REQUIRE(stat("compute.gemm_stall_pe_cycles") == 0);
    // DMA: A and B in (16 x 4 bytes each: 4-bit rows are read as int8 codes), C out (4 x 4
    // int32); the compute unit also reads the 4-byte precision list from DRAM (not by DMA).
    REQUIRE(stat("dram.bytes_read") == 128 + 4);
    REQUIRE(stat("dram.bytes_written") == 64);
    const double descriptors = stat("dma.descriptors"), dma_bytes = stat("dma.bytes");
    CHECK(descriptors == 3);  // one (2-D) descriptor each: A in, B in, C out
    CHECK(stat("accumulator.bytes_read") == 64);  // C drained from the accumulator by the DMA
    REQUIRE(dma_bytes == 192);

    energy::model m(energy::load_table("40nm"), bench_shape());
    const auto e = m.actions_pj();
    // VSSA, from Horowitz's 45 nm numbers: a 5 x 5-bit multiply = 0.2 pJ x (5/8)^2 = 0.078125,
    // a 32-bit add 0.1, a 32-bit P write 32 x 0.004; x 40/45.
    const double nibble = (0.2 * 25.0 / 64.0 + 0.1 + 32 * 0.004) * E40;
    CHECK(e.at("vssa.nibble_mac_pj") == Approx(512 * nibble).epsilon(1e-12));
    CHECK(e.at("vssa.operand_pj") == Approx(256 * 20 * 0.004 * E40).epsilon(1e-12));
    CHECK(e.at("vssa.stall_pj") == 0);
    // Operands from the 256 KiB scratchpad: 20 pJ / 8 B x sqrt(256 KiB / 32 KiB) per byte;
    // bytes = 256 MACs x 6 bits / 8 x (1/4 + 1/4).
    const double sp_pj_per_byte = 20.0 / 8.0 * std::sqrt(8.0) * E40;
    CHECK(e.at("vssa.feed_pj") == Approx(256 * 6.0 / 8.0 * 0.5 * sp_pj_per_byte).epsilon(1e-12));
    // DRAM (off-chip, not scaled): 20 pJ/bit.
    CHECK(e.at("dram.read_pj") == Approx(132 * 8 * 20.0).epsilon(1e-12));
    CHECK(e.at("dram.write_pj") == Approx(64 * 8 * 20.0).epsilon(1e-12));
    CHECK(e.at("dram.activate_pj") == 0);
    // DMA: 10 pJ per descriptor (scaled), 0.1 pJ/bit/mm over 1 mm (not scaled).
    CHECK(e.at("dma.descriptor_pj") == Approx(descriptors * 10.0 * E40).epsilon(1e-12));
    CHECK(e.at("dma.transfer_pj") == Approx(192 * 8 * 0.1).epsilon(1e-12));
    // Scratchpad and accumulator through their ports, at their sizes' pJ/byte (write = read).
    const double acc_pj_per_byte = 20.0 / 8.0 * std::sqrt(4.0) * E40;
    CHECK(e.at("scratchpad.write_pj") == Approx(stat("scratchpad.bytes_written") * sp_pj_per_byte).epsilon(1e-12));
    CHECK(e.at("scratchpad.read_pj") == Approx(stat("scratchpad.bytes_read") * sp_pj_per_byte).epsilon(1e-12));
    CHECK(e.at("accumulator.read_pj") == Approx(stat("accumulator.bytes_read") * acc_pj_per_byte).epsilon(1e-12));
    CHECK(stat("scratchpad.bytes_written") == 128);  // the DMA's A and B
    // No other unit did anything.
    for (const char* k : {"softmax.element_pj", "normact.layernorm_pj", "topk.compare_pj", "l2.read_pj", "host.nonlinear_pj"})
        CHECK(e.at(k) == 0);

    // The registered statistics: units, totals, leakage, power and ops.
    m.finish(1000);
    double dyn = 0;
    for (const auto& [k, v] : e) dyn += v;
    const double area_mm2 = m.area_mm2("total");
    const double leak_pj = 20.0 * 1e-3 * area_mm2 * 1e-6 * 1e12;  // 20 mW/mm2 x area x 1 us
    CHECK(stat("energy.total_uj") == Approx((dyn + leak_pj) * 1e-6).epsilon(1e-9));
    CHECK(stat("power.average_w") == Approx((dyn + leak_pj) * 1e-12 / 1e-6).epsilon(1e-9));
    CHECK(stat("perf.ops") == 512);  // 2 x 256 MACs
    CHECK(stat("perf.gops") == Approx(512 / 1e-6 * 1e-9).epsilon(1e-12));
    CHECK(stat("energy.dma.descriptor_pj") == Approx(descriptors * 10.0 * E40).epsilon(1e-12));
}

TEST_CASE("energy: dram.model jedec gives energy.dram.* its DRAMPower energies, by hand from the preset's currents", "[energy][jedec]") {
    dram_config d = bench::small_dram();
    d.model = "jedec";
    d.jedec.preset = "ddr4-3200";
    bench b(d);
    run_one_tile(b);
    // The DRAM commands, by hand: DDR4-3200 mapping ro-ra-ba-co-bg-ch (64 B bursts: bits 6-7 bank
    // group, 8-14 column, 15-16 bank, 17+ row). The DMA moves A (offset 0x10000: bank 2, row 0)
    // and B (0x20000: bank 0, row 1) as 4 rows of 16 B each, one access (one burst, RD) per row;
    // the precision list P (0x40000: bank 0, row 2) is one 4 B read; C (0x30000: bank 2, row 1)
    // 4 rows of 16 B written: 9 RD, 4 WR. The first access to each of the four rows opens it:
    // 4 ACT (two of them after a PRE of the bank's other row; open page), the rest are hits.
    REQUIRE(stat("dram.commands_rd") == 9);
    REQUIRE(stat("dram.commands_wr") == 4);
    REQUIRE(stat("dram.commands_act") == 4);
    REQUIRE(stat("dram.refreshes") == 0);  // a few thousand cycles, tREFI = 7.8 us
    // DRAMPower per command (docs/timing-model.md#jedec-dram), the preset's currents per x8
    // device: VDD 1.2 V IDD0 60.75, IDD2N 38.25, IDD3N 44, IDD4R 184.5, IDD4W 168.75 mA; VPP
    // 2.5 V IPP0 4.05 mA. tRC 74, tRAS 52, BL8 = 4 tCK, tCK 0.625 ns, 8 devices.
    const double k = 0.625 * 8;  // ns x devices
    const double act = (1.2 * (60.75 * 74 - (44.0 * 52 + 38.25 * 22)) + 2.5 * 4.05 * 74) * k;
    const double rd = 1.2 * (184.5 - 44.0) * 4 * k, wr = 1.2 * (168.75 - 44.0) * 4 * k;
    energy::model m(energy::load_table("40nm"), bench_shape());
    const auto e = m.actions_pj();
    CHECK(e.at("dram.read_pj") == Approx(9 * rd));
    CHECK(e.at("dram.write_pj") == Approx(4 * wr));
    CHECK(e.at("dram.activate_pj") == Approx(4 * act));
    CHECK(e.at("dram.precharge_pj") == 0);  // DRAMPower's ACT energy holds its PRE
    CHECK(e.at("dram.refresh_pj") == 0);
    // Background: IDD2N (all banks precharged) to IDD3N (a bank open) over the run's tCK.
    const double tck = std::ceil(sc_core::sc_time_stamp().to_seconds() / 0.625e-9 - 1e-6);  // the run in tCK
    CHECK(e.at("dram.background_pj") >= 1.2 * 38.25 * tck * k * (1 - 1e-9));
    CHECK(e.at("dram.background_pj") <= 1.2 * 44.0 * tck * k * (1 + 1e-9));
    CHECK(e.at("dram.background_pj") == Approx(stat("dram.energy_background")));
    // The same run's table energies are not used: 20 pJ/bit would give 132 x 8 x 20 pJ of reads.
    CHECK(e.at("dram.read_pj") != Approx(132 * 8 * 20.0));
}

TEST_CASE("energy: one table entry overridden changes exactly the energies that use it", "[energy]") {
    bench b;
    run_one_tile(b);
    const energy::platform_shape s = bench_shape();
    const auto base = energy::model(energy::load_table("40nm"), s).actions_pj();
    const auto check_only = [&](const std::map<std::string, double>& ov, std::set<std::string> changed) {
        const auto e = energy::model(energy::load_table("40nm", ov), s).actions_pj();
        for (const auto& [k, v] : base) {
            INFO(k);
            if (changed.count(k)) CHECK(e.at(k) != v);
            else CHECK(e.at(k) == v);
        }
    };
    check_only({{"dma_descriptor_pj", 20.0}}, {"dma.descriptor_pj"});
    check_only({{"dram_pj_per_bit", 3.9}}, {"dram.read_pj", "dram.write_pj"});
    check_only({{"reg_bit_pj", 0.01}}, {"vssa.nibble_mac_pj", "vssa.operand_pj"});
    // An override is not scaled: it is the value at the table's node.
    const auto e = energy::model(energy::load_table("40nm", {{"dma_descriptor_pj", 20.0}}), s).actions_pj();
    CHECK(e.at("dma.descriptor_pj") == Approx(stat("dma.descriptors") * 20.0).epsilon(1e-12));
}

TEST_CASE("energy: tables derive by the node rule and report bad input", "[energy]") {
    const energy::tech_table t45 = energy::load_table("45nm"), t40 = energy::load_table("40nm"), t28 = energy::load_table("28nm");
    CHECK(t45.at("int_add_32_pj") == 0.1);
    CHECK(t40.at("int_add_32_pj") == Approx(0.1 * 40 / 45).epsilon(1e-12));
    CHECK(t28.at("int_mul_8_pj") == Approx(0.2 * 28 / 45).epsilon(1e-12));
    CHECK(t40.at("cell_nand_um2") == Approx(0.798 * (40.0 / 45) * (40.0 / 45)).epsilon(1e-12));
    CHECK(t40.at("dram_pj_per_bit") == 20.0);  // off-chip: not scaled
    CHECK_THROWS_WITH(energy::load_table("40nm", {{"dram_pj_per_bitt", 1.0}}),
                      Catch::Contains("energy.override.dram_pj_per_bitt: unknown entry") && Catch::Contains("dram_pj_per_bit"));
    CHECK_THROWS_WITH(energy::load_table("7nm"), Catch::Contains("not a shipped table"));
    // Through the scenario keys: --set energy.override.ENTRY=VALUE and a mapping in YAML.
    const scenario_config c = config_schema::get().load_string(
        "name: t\nenergy: {tech: 28nm, override: {bus_mm: 2}}\n", "t.yaml", {"energy.override.dram_pj_per_bit=3.9"});
    CHECK(c.energy.tech == "28nm");
    CHECK(c.energy.override.at("bus_mm") == 2.0);
    CHECK(c.energy.override.at("dram_pj_per_bit") == 3.9);
    try {
        config_schema::get().load_string("name: t\n", "t.yaml", {"energy.override.bus_mm=abc"});
        FAIL("no config_error");
    } catch (const config_error& e) {
        CHECK_THAT(e.messages().at(0), Catch::Contains("--set energy.override.bus_mm=abc: energy.override: bus_mm: expected a number >= 0, got 'abc'"));
    }
}

TEST_CASE("energy: a table file with an entry without a source is an error naming its line", "[energy]") {
    const std::string dir = std::string(DTQ_BINARY_DIR) + "/tests/energy";
    const std::string f = dir + "/no_source.yaml";
    {
        std::ofstream o(f);
        o << "name: mine\nderive_from: 45nm\nnode_nm: 40\nvdd: 0.9\nentries:\n  bus_mm: {value: 2, unit: mm, scale: none}\n";
    }
    CHECK_THROWS_WITH(energy::load_table(f), Catch::Contains("no_source.yaml:6:11: entries.bus_mm.source: expected where the number comes from"));
    {
        std::ofstream o(f);
        o << "name: mine\nderive_from: 45nm\nnode_nm: 40\nvdd: 0.9\nentries:\n  bus_mm: {value: 2, unit: mm, scale: none, source: my floorplan}\n";
    }
    const energy::tech_table t = energy::load_table(f);
    CHECK(t.at("bus_mm") == 2.0);
    CHECK(t.at("int_add_32_pj") == Approx(0.1 * 40 / 45).epsilon(1e-12));  // derived from the shipped 45nm by name
    std::ofstream(f) << "name: mine\nnode_nm: 40\nvdd: 0.9\nentries:\n  bus_mm: {value: 2, unit: mm, scale: none, source: x}\n";
    CHECK_THROWS_WITH(energy::load_table(f), Catch::Contains("entries.int_add_8_pj: missing"));
}

TEST_CASE("energy: yosys areas of the PE and the MAC variants hold the ranges of docs/energy.md", "[energy][area]") {
    const energy::tech_table t = energy::load_table("40nm");
    const auto a = [&](const char* d) { return energy::design_area_um2(t, d); };
    // The multipliers alone: an n x n array grows as n^2, (16/4)^2 = 16 ("almost 16x").
    const double mul = a("mul16") / a("mul4");
    CHECK(mul >= 14.0);
    CHECK(mul <= 24.0);
    // Whole MACs (operand registers, multiplier, 2n+8-bit accumulator): registers and the
    // adder grow as n, so the ratio is well under 16.
    const double mac = a("mac16") / a("mac4");
    CHECK(mac >= 6.0);
    CHECK(mac <= 12.0);
    // The VSSA PE (4-bit multiplier, 8-bit operand registers, 32-bit P, nibble sequencing)
    // against SpAtten's 12-bit MAC and the plain 4-bit MAC.
    const double pe_vs_12 = a("vssa_pe") / a("mac12");
    CHECK(pe_vs_12 >= 0.3);
    CHECK(pe_vs_12 <= 0.6);
    const double pe_vs_16 = a("vssa_pe") / a("mac16");
    CHECK(pe_vs_16 >= 0.2);
    CHECK(pe_vs_16 <= 0.45);
    CHECK(a("vssa_pe") > a("mac4"));
    CHECK(a("vssa_pe") < a("mac8_acc32"));
    // Monotonic in the width.
    CHECK(a("mac4") < a("mac8"));
    CHECK(a("mac8") < a("mac12"));
    CHECK(a("mac12") < a("mac16"));
}
