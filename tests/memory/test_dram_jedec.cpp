// JEDEC DRAM model (dram.model: jedec): exact command and data cycles derived by hand in each
// test from the preset's constants (DDR4-3200AA 22-22-22 unless said; docs/timing-model.md#jedec-dram),
// bandwidth efficiencies of streams against bounds derived from the same constants, and the
// TLM target's conversion to accelerator cycles.
#include <catch2/catch.hpp>
#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <vector>

#include "common/stats.h"
#include "memory/dram.h"
#include "memory/dram_jedec.h"

using namespace sc_core;
using namespace dtq;

namespace {

using req = dram_jedec::request;

// DDR4-3200AA, tCK = 0.625 ns (JESD79-4 speed bin; the preset's numbers, repeated here).
constexpr uint64_t CL = 22, CWL = 16, RCD = 22, RP = 22, RAS = 52, RC = 74, CCD_S = 4, CCD_L = 8, RRD_S = 4,
                   RRD_L = 8, FAW = 34, WTR_S = 4, WTR_L = 12, RTP = 12, WR = 24, RPab = 22, RFC = 560, REFI = 12480,
                   BURST = 4;  // BL8 on a double-data-rate bus

// Addresses with mapping ro-ra-ba-co-bg-ch, one channel, one rank, 64 B bursts:
// bits 6-7 bank group, 8-14 column, 15-16 bank, 17+ row.
uint64_t ddr4_addr(uint64_t bg, uint64_t bank, uint64_t row, uint64_t col) {
    return bg << 6 | col << 8 | bank << 15 | row << 17;
}

struct log_entry { dram_jedec::cmd c; int bank; uint64_t row, at; };
void record(void* ctx, unsigned, unsigned, int bank, uint64_t row, dram_jedec::cmd c, uint64_t at) {
    static_cast<std::vector<log_entry>*>(ctx)->push_back({c, bank, row, at});
}
uint64_t at_of(const std::vector<log_entry>& log, dram_jedec::cmd c, size_t nth = 0) {
    for (const auto& e : log)
        if (e.c == c && nth-- == 0) return e.at;
    FAIL("command not issued");
    return 0;
}

dram_jedec ddr4(dram_jedec_options o = {}) {
    o.preset = "ddr4-3200";
    return dram_jedec(dram_preset("ddr4-3200"), o, 1000);
}

}  // namespace

TEST_CASE("dram jedec: the presets load and pass their consistency checks", "[dram][jedec]") {
    for (const auto& n : dram_preset_names()) {
        INFO(n);
        const dram_spec s = dram_preset(n);
        CHECK(dram_spec_check(s).empty());
    }
    const dram_spec d = dram_preset("ddr4-3200");
    CHECK(d.burst_bytes() == 64);   // x64, BL8
    CHECK(d.row_bytes() == 8192);   // 1024 columns x 8 B
    CHECK(dram_preset("lpddr4-4266").burst_bytes() == 32);  // x16, BL16
    CHECK(dram_preset("hbm2").burst_bytes() == 32);         // 64-bit pseudo-channel, BL4
    CHECK_THROWS_WITH(dram_preset("ddr5"), Catch::Contains("unknown DRAM preset 'ddr5'"));
    CHECK_THROWS_WITH(dram_spec_from_yaml("name: x\nbogus: 1\n", "f.yaml"), Catch::Contains("f.yaml: key 'bogus'"));
    CHECK(!dram_mapping_check("ro-ra-ba-co-bg").empty());
    CHECK(!dram_mapping_check("ro-ro-ba-co-bg-ch").empty());
    CHECK(dram_mapping_check("ch-ro-ra-ba-bg-co").empty());
}

TEST_CASE("dram jedec: address mapping puts the fields where the mapping string says", "[dram][jedec]") {
    auto e = ddr4();
    const auto l = e.decode(ddr4_addr(3, 2, 77, 100));
    CHECK(l.bg == 3);
    CHECK(l.bank == 2);
    CHECK(l.row == 77);
    CHECK(l.col == 100);
    dram_jedec_options o;
    o.xor_bank = true;
    auto x = ddr4(o);
    const auto m = x.decode(ddr4_addr(3, 2, 77, 100));  // 77 = 0b1001101: bank ^= 0b01, bg ^= 0b11
    CHECK(m.bank == (2u ^ 1u));
    CHECK(m.bg == (3u ^ 3u));
}

TEST_CASE("dram jedec: a row-miss read on an idle bank takes tRCD + CL + BL/2", "[dram][jedec]") {
    auto e = ddr4();
    std::vector<log_entry> log;
    e.set_observer(record, &log);
    std::vector<req> b = {{true, ddr4_addr(0, 0, 5, 0), 100, 0}};
    e.serve(b);
    CHECK(at_of(log, dram_jedec::cmd::act) == 100);
    CHECK(at_of(log, dram_jedec::cmd::rd) == 100 + RCD);
    CHECK(b[0].done == 100 + RCD + CL + BURST);  // 148
    CHECK(e.totals().row_misses == 1);
}

TEST_CASE("dram jedec: a row hit takes CL + BL/2 after the read command", "[dram][jedec]") {
    auto e = ddr4();
    std::vector<req> b = {{true, ddr4_addr(0, 0, 5, 0), 0, 0}};
    e.serve(b);
    REQUIRE(b[0].done == RCD + CL + BURST);
    std::vector<req> h = {{true, ddr4_addr(0, 0, 5, 9), 200, 0}};
    e.serve(h);
    CHECK(h[0].done == 200 + CL + BURST);  // 226
    CHECK(e.totals().row_hits == 1);
}

TEST_CASE("dram jedec: a row conflict waits for tRAS then tRP and tRC between the ACTs", "[dram][jedec]") {
    auto e = ddr4();
    std::vector<log_entry> log;
    e.set_observer(record, &log);
    std::vector<req> b = {{true, ddr4_addr(0, 0, 1, 0), 0, 0}};
    e.serve(b);  // ACT 0, RD 22, data done 48
    std::vector<req> c = {{true, ddr4_addr(0, 0, 2, 0), 30, 0}};
    e.serve(c);
    // PRE at max(30, ACT + tRAS = 52, RD + tRTP = 34) = 52; ACT at max(52 + tRP, 0 + tRC) = 74.
    CHECK(at_of(log, dram_jedec::cmd::pre) == RAS);
    CHECK(at_of(log, dram_jedec::cmd::act, 1) == std::max(RAS + RP, RC));
    CHECK(c[0].done == 74 + RCD + CL + BURST);  // 122
    CHECK(e.totals().row_conflicts == 1);
}

TEST_CASE("dram jedec: the fifth activate waits for tFAW", "[dram][jedec]") {
    auto e = ddr4();
    std::vector<log_entry> log;
    e.set_observer(record, &log);
    // Four ACTs to bank groups 0..3 (tRRD_S apart), then a fifth to bank group 0, bank 1.
    std::vector<req> b = {{true, ddr4_addr(0, 0, 0, 0), 0, 0},
                          {true, ddr4_addr(1, 0, 0, 0), 0, 0},
                          {true, ddr4_addr(2, 0, 0, 0), 0, 0},
                          {true, ddr4_addr(3, 0, 0, 0), 0, 0},
                          {true, ddr4_addr(0, 1, 0, 0), 0, 0}};
    e.serve(b);
    CHECK(at_of(log, dram_jedec::cmd::act, 0) == 0);
    CHECK(at_of(log, dram_jedec::cmd::act, 1) == RRD_S);
    CHECK(at_of(log, dram_jedec::cmd::act, 2) == 2 * RRD_S);
    CHECK(at_of(log, dram_jedec::cmd::act, 3) == 3 * RRD_S);
    // The reads: RD k at max(ACT k + tRCD, RD k-1 + tCCD_S, data bus): 22, 26, 30, 34.
    CHECK(at_of(log, dram_jedec::cmd::rd, 3) == 3 * RRD_S + RCD);
    // Fifth ACT: tRRD_S after the fourth would be 16, tFAW after the first is 34; the command bus
    // carries RD 4 at cycle 34, so the ACT goes at 35.
    CHECK(at_of(log, dram_jedec::cmd::act, 4) == FAW + 1);
    // Its read: max(35 + tRCD = 57, RD 4 + tCCD_S = 38, RD 1 (same group) + tCCD_L = 30) = 57.
    CHECK(b[4].done == FAW + 1 + RCD + CL + BURST);  // 83
}

TEST_CASE("dram jedec: a read after a write waits for tWTR_L (same group) or tWTR_S (other group)", "[dram][jedec]") {
    {
        auto e = ddr4();
        std::vector<req> b = {{false, ddr4_addr(0, 0, 0, 0), 0, 0}, {true, ddr4_addr(0, 0, 0, 1), 0, 0}};
        e.serve(b);
        // WR at tRCD = 22, data [38, 42); RD at max(WR + tCCD_L = 30, 42 + tWTR_L = 54) = 54.
        CHECK(b[0].done == RCD + CWL + BURST);
        CHECK(b[1].done == RCD + CWL + BURST + WTR_L + CL + BURST);  // 80
    }
    {
        auto e = ddr4();
        std::vector<req> b = {{false, ddr4_addr(0, 0, 0, 0), 0, 0}, {true, ddr4_addr(1, 0, 0, 0), 0, 0}};
        e.serve(b);
        // Other group: ACT at tRRD_S = 4, RD at max(4 + tRCD = 26, 22 + tCCD_S = 26, 42 + tWTR_S = 46) = 46.
        CHECK(b[1].done == RCD + CWL + BURST + WTR_S + CL + BURST);  // 72
    }
}

TEST_CASE("dram jedec: a conflict after a write precharges tWR after the write's last data beat", "[dram][jedec]") {
    auto e = ddr4();
    std::vector<log_entry> log;
    e.set_observer(record, &log);
    std::vector<req> w = {{false, ddr4_addr(0, 0, 1, 0), 0, 0}};
    e.serve(w);  // ACT 0, WR at tRCD = 22, data [22 + CWL, + BL/2) = [38, 42)
    REQUIRE(w[0].done == RCD + CWL + BURST);
    std::vector<req> r = {{true, ddr4_addr(0, 0, 2, 0), 30, 0}};
    e.serve(r);
    // PRE at max(30, ACT + tRAS = 52, 42 + tWR = 66) = 66: write recovery, not tRAS, bounds it;
    // ACT at max(66 + tRP = 88, 0 + tRC = 74) = 88; RD at 88 + tRCD = 110 (42 + tWTR_L = 54 is long past).
    const uint64_t pre = RCD + CWL + BURST + WR;
    REQUIRE(pre > RAS);
    CHECK(at_of(log, dram_jedec::cmd::pre) == pre);
    CHECK(at_of(log, dram_jedec::cmd::act, 1) == std::max(pre + RP, RC));
    CHECK(r[0].done == pre + RP + RCD + CL + BURST);  // 136
}

TEST_CASE("dram jedec: FR-FCFS serves a row hit before an older conflict and FCFS does not", "[dram][jedec]") {
    const auto run = [](const char* sched) {
        dram_jedec_options o;
        o.scheduler = sched;
        auto e = ddr4(o);
        std::vector<req> b = {{true, ddr4_addr(0, 0, 0, 0), 0, 0},
                              {true, ddr4_addr(0, 0, 1, 0), 0, 0},
                              {true, ddr4_addr(0, 0, 0, 1), 0, 0}};
        e.serve(b);
        return std::vector<uint64_t>{b[0].done, b[1].done, b[2].done};
    };
    // FR-FCFS: row 0 (ACT 0, RD 22, done 48); its hit RD at 22 + tCCD_L = 30, done 56; then row 1:
    // PRE at max(ACT + tRAS = 52, 30 + tRTP) = 52, ACT at 74, RD 96, done 122.
    // (done cycles listed in request order: row 0, row 1, row 0 again)
    CHECK(run("fr-fcfs") == std::vector<uint64_t>{48, 74 + RCD + CL + BURST, 30 + CL + BURST});
    // FCFS: row 1 first (done 122), then row 0 again: PRE at max(74 + tRAS = 126, 96 + tRTP = 108) = 126,
    // ACT at max(126 + tRP, 74 + tRC) = 148, RD 170, done 196.
    CHECK(run("fcfs") == std::vector<uint64_t>{48, 122, 148 + RCD + CL + BURST});
}

TEST_CASE("dram jedec: closed page policy precharges after each access", "[dram][jedec]") {
    dram_jedec_options o;
    o.page_policy = "closed";
    auto e = ddr4(o);
    std::vector<req> b = {{true, ddr4_addr(0, 0, 0, 0), 0, 0}, {true, ddr4_addr(0, 0, 0, 1), 0, 0}};
    e.serve(b);
    // RDA at 22: auto-precharge at max(22 + tRTP, 0 + tRAS) = 52; next ACT at max(52 + tRP, tRC) = 74.
    CHECK(b[1].done == RC + RCD + CL + BURST);  // 122
    CHECK(e.totals().row_hits == 0);
    CHECK(e.totals().row_misses == 2);
}

TEST_CASE("dram jedec: an all-bank refresh in the middle of a read stream", "[dram][jedec]") {
    auto e = ddr4();
    std::vector<log_entry> log;
    e.set_observer(record, &log);
    std::vector<req> a = {{true, ddr4_addr(0, 0, 0, 0), 0, 0}};
    e.serve(a);  // ACT 0, RD 22
    std::vector<req> b = {{true, ddr4_addr(0, 0, 0, 1), REFI - 10, 0}};
    e.serve(b);  // a hit just before the refresh is due: RD at 12470
    CHECK(b[0].done == REFI - 10 + CL + BURST);
    std::vector<req> c = {{true, ddr4_addr(0, 0, 0, 2), REFI + 1, 0}};
    e.serve(c);
    // Due at tREFI = 12480: precharge-all at max(12480, RD + tRTP = 12482) = 12482, REF at + tRPab = 12504;
    // the bank reopens tRFC later: ACT 13064, RD 13086, data done 13112.
    const uint64_t pre = REFI - 10 + RTP, ref = pre + RPab;
    CHECK(at_of(log, dram_jedec::cmd::pre) == pre);
    CHECK(at_of(log, dram_jedec::cmd::ref) == ref);
    CHECK(at_of(log, dram_jedec::cmd::act, 1) == ref + RFC);
    CHECK(c[0].done == ref + RFC + RCD + CL + BURST);
    CHECK(e.refreshes(REFI + 1, false) == 1);
    // By 3.5 tREFI three refreshes are due, whether issued or not.
    CHECK(e.refreshes(REFI * 7 / 2, false) == 3);
}

namespace {

double eff(const std::string& preset, const std::string& pattern, const std::string& refresh = "preset") {
    dram_jedec_options o;
    o.preset = preset;
    o.refresh = refresh;
    return dram_stream(o, pattern, 4 << 20, 1).efficiency;
}

}  // namespace

TEST_CASE("dram jedec: sequential streams run near peak on every preset", "[dram][jedec][stream]") {
    // 4 MiB in 4 KiB accesses, the controller never idle. Without refresh the data bus is never
    // idle but for the first access's latency: efficiency ~1. All-bank refresh stops the bus
    // tRFC + tRPab every tREFI: DDR4 (560 + 22) / 12480 = 4.7 %, HBM2 (220 + 14) / 3900 = 6.0 %,
    // LPDDR4 (812 + 45) / 8341 = 10.3 %; per-bank refresh (LPDDR4's preset) mostly hides behind the
    // other banks.
    CHECK(eff("ddr4-3200", "seq-read", "off") > 0.99);
    CHECK(eff("ddr4-3200", "seq-read") == Approx(1.0 - 582.0 / 12480.0).margin(0.01));
    CHECK(eff("ddr4-3200", "seq-write") == Approx(1.0 - 582.0 / 12480.0).margin(0.01));
    CHECK(eff("hbm2", "seq-read") == Approx(1.0 - 234.0 / 3900.0).margin(0.01));
    CHECK(eff("lpddr4-4266", "seq-read", "all-bank") == Approx(1.0 - 857.0 / 8341.0).margin(0.01));
    CHECK(eff("lpddr4-4266", "seq-read") > 0.95);
}

TEST_CASE("dram jedec: single-bank random reads are bounded by tRC", "[dram][jedec][stream]") {
    // Every read opens another row of bank 0: ACT to ACT >= tRC, so efficiency <= (BL/2) / tRC = 4 / 74;
    // refresh takes 4.7 % of it.
    const double e = eff("ddr4-3200", "rand-read-1bank");
    CHECK(e <= static_cast<double>(BURST) / RC);
    CHECK(e > 0.9 * static_cast<double>(BURST) / RC);
}

TEST_CASE("dram jedec: random reads over all banks are bounded by tFAW and above one bank's bound", "[dram][jedec][stream]") {
    // Nearly every read opens a row: at most 4 ACTs per tFAW, efficiency <= 4 x BL/2 / tFAW = 16 / 34;
    // spreading over 16 banks does at least as well as one bank (4 / 74).
    const double e = eff("ddr4-3200", "rand-read");
    CHECK(e <= 4.0 * BURST / FAW);
    CHECK(e > static_cast<double>(BURST) / RC);
}

namespace {

struct driver : sc_module {
    dtq::clock clk;
    dram d;
    tlm_utils::simple_initiator_socket<driver> out;
    std::vector<uint64_t> done;
    driver(const sc_module_name& n, const dram_config& c) : sc_module(n), d("dram", c, clk), out("out") {
        out.bind(d.in);
        SC_THREAD(run);
    }
    SC_HAS_PROCESS(driver);
    void run() {
        std::vector<uint8_t> buf(64);
        for (uint64_t addr : {uint64_t(0), uint64_t(64)}) {
            tlm::tlm_generic_payload tx;
            tx.set_command(tlm::TLM_READ_COMMAND);
            tx.set_address(addr);
            tx.set_data_ptr(buf.data());
            tx.set_data_length(64);
            tx.set_streaming_width(64);
            sc_time delay = SC_ZERO_TIME;
            out->b_transport(tx, delay);
            done.push_back(clk.cycles(sc_time_stamp() + delay));
        }
        wait(sc_time(100, SC_NS));  // the run ends at cycle 100: the ratio statistics' denominator
    }
};

}  // namespace

TEST_CASE("dram jedec: the TLM target converts DRAM cycles to accelerator cycles, and its statistics by hand", "[dram][jedec]") {
    dram_config c;
    c.model = "jedec";
    c.jedec.preset = "ddr4-3200";
    driver tb("tb", c);
    sc_start();
    // A row miss: 48 tCK x 0.625 ns = 30 ns = 30 cycles at 1 GHz. The second burst (bank group 1,
    // issued at 0 too): ACT at tRRD_S = 4, RD at max(26, 22 + tCCD_S) = 26, done 52 tCK = 32.5 ns -> cycle 33.
    REQUIRE(tb.done.size() == 2);
    CHECK(tb.done[0] == 30);
    CHECK(tb.done[1] == 33);
    auto& s = stats_registry::global();
    CHECK(s.number("tb.dram.commands_act") == 2);
    CHECK(s.number("tb.dram.row_misses") == 2);
    CHECK(s.number("tb.dram.ch0.bytes") == 128);
    CHECK(s.number("tb.dram.energy_rd") > 0);
    // The statistics of docs/timing-model.md#jedec-dram, by hand. Two RD bursts, no write, no
    // PRE (open page), no conflict; each access a window of one burst (queue occupancy 1).
    CHECK(s.number("tb.dram.commands_rd") == 2);
    CHECK(s.number("tb.dram.commands_wr") == 0);
    CHECK(s.number("tb.dram.commands_pre") == 0);
    CHECK(s.number("tb.dram.row_conflicts") == 0);
    CHECK(s.number("tb.dram.refreshes") == 0);  // 100 ns << tREFI 7.8 us
    CHECK(s.number("tb.dram.queue_occupancy_avg") == 1.0);
    CHECK(s.number("tb.dram.queue_occupancy_max") == 1);
    // Latency per burst, arrival (0) to last data beat: 48 and 52 tCK = 30 and 32.5 cycles.
    CHECK(s.number("tb.dram.read_latency_avg") == Approx((48 + 52) / 2.0 * 0.625).epsilon(1e-12));
    // Peak: 64 B per BL8 (4 tCK = 2.5 ns) = 25.6 B per 1 GHz cycle, one channel.
    CHECK(s.number("tb.dram.peak_bandwidth") == Approx(64 / (BURST * 0.625)).epsilon(1e-12));
    // Data bus busy 2 x 4 tCK = 5 ns = 5 cycles of the 100; efficiency is the same ratio in tCK (8 / 160).
    CHECK(s.number("tb.dram.busy_cycles") == 5);
    CHECK(s.number("tb.dram.bandwidth_utilization") == Approx(5.0 / 100).epsilon(1e-12));
    CHECK(s.number("tb.dram.ch0.efficiency") == Approx(2.0 * BURST / (100 / 0.625)).epsilon(1e-12));
    CHECK(s.number("tb.dram.ch0.bandwidth") == Approx(128.0 / 100).epsilon(1e-12));
}

TEST_CASE("dram jedec: DRAMPower energy of two closed-page reads by hand", "[dram][jedec][energy]") {
    dram_jedec_options o;
    o.page_policy = "closed";
    auto e = ddr4(o);
    std::vector<req> b = {{true, ddr4_addr(0, 0, 0, 0), 0, 0}, {true, ddr4_addr(1, 0, 0, 0), 0, 0}};
    e.serve(b);
    // Read 1: ACT 0, RD 22, auto-precharge at max(22 + tRTP, 0 + tRAS) = 52.
    // Read 2: ACT 4 (tRRD_S), RD 26, auto-precharge at max(26 + tRTP, 4 + tRAS) = 56.
    // A bank is open during [0, 56): 56 tCK active standby, the rest of 1000 tCK precharged.
    // Preset currents per x8 device (mA): VDD 1.2 V: IDD0 60.75, IDD2N 38.25, IDD3N 44, IDD4R 184.5;
    // VPP 2.5 V: IPP0 4.05 (its IPP2N, IPP3N, IPP4R are 0). 8 devices, tCK 0.625 ns; V x mA x ns = pJ.
    const double tck = 0.625, dev = 8;
    const double act = 1.2 * (60.75 * RC - (44.0 * RAS + 38.25 * (RC - RAS))) + 2.5 * 4.05 * RC;
    const double rd = 1.2 * (184.5 - 44.0) * BURST;
    const double bg = 1.2 * (44.0 * 56 + 38.25 * (1000 - 56));
    const auto en = e.energy_pj(1000);
    CHECK(en.act == Approx(2 * act * tck * dev));
    CHECK(en.rd == Approx(2 * rd * tck * dev));
    CHECK(en.wr == 0);
    CHECK(en.ref == 0);  // the first refresh is due at tREFI = 12480
    CHECK(en.background == Approx(bg * tck * dev));
    // By 12480 one refresh is due: (IDD5B - IDD3N) x tRFC on VDD.
    CHECK(e.energy_pj(REFI).ref == Approx(1.2 * (118.0 - 44.0) * RFC * tck * dev));
}

TEST_CASE("dram jedec: HBM2's DRAMPower energy of one row-miss read and one write, by hand", "[dram][jedec][energy]") {
    dram_jedec_options o;
    o.preset = "hbm2";
    dram_jedec e(dram_preset("hbm2"), o, 1000);
    // Two bursts to pseudo-channel 0 (the low burst-index bits are the 16 channels, mapping
    // ro-ra-ba-co-bg-ch): a read at 0 and a write 16 bursts on (next bank group, same row).
    std::vector<req> b = {{true, 0, 0, 0}, {false, 16 * 32, 0, 0}};
    e.serve(b);
    REQUIRE(e.totals().acts == 2);
    REQUIRE(e.totals().rds == 1);
    REQUIRE(e.totals().wrs == 1);
    // Preset currents per pseudo-channel: DRAMsim3 HBM2_8Gb_x128 (VDD 1.2 V; IDD0 65, IDD2N 40,
    // IDD3N 55, IDD4R 390, IDD4W 500, IDD5AB 250 mA per x128 channel) halved. HBM2 tRC 42,
    // tRAS 28, BL4 = 2 tCK of data, tRFC 220, tCK 1 ns; V x mA x ns = pJ.
    const double act = 1.2 * (32.5 * 42 - (27.5 * 28 + 20.0 * (42 - 28)));  // 378 pJ
    const double rd = 1.2 * (195.0 - 27.5) * 2, wr = 1.2 * (250.0 - 27.5) * 2;
    const auto en = e.energy_pj(1000);
    CHECK(act == Approx(378.0));
    CHECK(en.act == Approx(2 * act));
    CHECK(en.rd == Approx(rd));
    CHECK(en.wr == Approx(wr));
    CHECK(en.ref == 0);  // the first refresh of a channel is due at tREFI / ranks = 3900
    // Background: channel 0's banks open from the first ACT (0) to the end (1000): IDD3N; the
    // other 15 pseudo-channels stay precharged: IDD2N for all 1000 tCK.
    CHECK(en.background == Approx(1.2 * (27.5 * 1000 + 15 * 20.0 * 1000)));
    // One all-bank refresh per pseudo-channel by tREFI: (IDD5B - IDD3N) x tRFC each.
    CHECK(e.energy_pj(3900).ref == Approx(16 * 1.2 * (125.0 - 27.5) * 220));
}

TEST_CASE("dram jedec: read latency quantiles from the histogram against the requests' own latencies", "[dram][jedec]") {
    // 400 reads to random rows of one bank, all arriving at 0: each waits for the ones before it
    // (about tRC each), so the latencies spread from 48 tCK to about 400 x tRC = 29,600 tCK, past
    // the histogram's exact range (1024 tCK).
    auto e = ddr4();
    std::vector<req> b;
    uint64_t x = 12345;
    for (int i = 0; i < 400; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        b.push_back({true, ddr4_addr(0, 0, (x >> 33) % 65536, (x >> 20) % 128), 0, 0});
    }
    e.serve(b);
    std::vector<uint64_t> lat;
    for (const auto& r : b) lat.push_back(r.done - r.arrive);
    std::sort(lat.begin(), lat.end());
    const auto exact = [&](double q) { return lat[static_cast<size_t>(std::ceil(q * 400)) - 1]; };  // nearest rank
    REQUIRE(exact(0.01) < 1024);
    CHECK(e.read_latency_quantile(0.01) == exact(0.01));  // below 1024 tCK: exact
    REQUIRE(exact(0.5) > 1024);
    for (double q : {0.5, 0.9, 0.99}) {  // above: the bucket's upper end, at most 1/64 high
        INFO(q);
        CHECK(e.read_latency_quantile(q) >= exact(q));
        CHECK(static_cast<double>(e.read_latency_quantile(q)) <= static_cast<double>(exact(q)) * (1 + 1.0 / 64));
    }
    CHECK(e.read_latency_quantile(1.0) == lat.back());
}

TEST_CASE("dram jedec: a request trace in DRAMSys's STL format, and its errors", "[dram][jedec]") {
    const std::string path = "test_dram_jedec_trace.stl";
    {
        std::ofstream f(path);
        f << "# two reads to bank 0, the second to another row\n"
          << "0:\tread\t0x" << std::hex << ddr4_addr(0, 0, 5, 0) << "\n\n"
          << "100:\tread\t0x" << ddr4_addr(0, 0, 6, 0) << std::dec << "  # a comment\n";
    }
    dram_jedec_options o;
    o.preset = "ddr4-3200";
    const auto r = dram_trace(o, path);
    CHECK(r.requests == 2);
    // Read 1: ACT 0, RD 22. Read 2 (arrives 100, row conflict): PRE at max(100, ACT + tRAS, RD + tRTP) = 100,
    // ACT at max(PRE + tRP, ACT + tRC) = 122, RD 144, data done 144 + CL + BL/2 = 170.
    CHECK(r.end_tck == 100 + RP + RCD + CL + BURST);
    const auto fails = [&](const std::string& line, const std::string& want) {
        { std::ofstream f(path); f << "0:\tread\t0x0\n" << line << "\n"; }
        try {
            dram_trace(o, path);
            FAIL("no error for '" << line << "'");
        } catch (const std::invalid_argument& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(path + ":2: expected " + want) != std::string::npos);
        }
    };
    fails("5 read 0x40", "'<cycle>:'");
    fails("x: read 0x40", "a cycle count");
    fails("5: load 0x40", "read or write");
    fails("5: read zz", "an address (hex)");
    fails("5: read 0x40 0x1234", "the end of the line");
    fails("5: read 0x400000000", "an address below the preset's 8589934592 bytes");
    { std::ofstream f(path); f << "9:\tread\t0x0\n" << "5: read 0x40\n"; }
    CHECK_THROWS_WITH(dram_trace(o, path), Catch::Contains(":2: expected a cycle >= the previous line's 9"));
    CHECK_THROWS_WITH(dram_trace(o, "no_such_trace.stl"), Catch::Contains("no_such_trace.stl: cannot read"));
}

TEST_CASE("dram jedec: FR-FCFS's one-rank search shortcut picks what the full search picks, on random streams", "[dram][jedec]") {
    // The same random request streams (windows of mixed reads and writes, arrivals spread, several
    // banks and rows, every preset and page policy, both schedulers) through two models, one with
    // the shortcuts (the one-rank search floor; the window's earliest arrival and arrived prefix
    // from its arrival order) and one in the reference form (full_search: every window searched
    // fully, its minimum and count computed over it): every request's done cycle and every
    // counter agree.
    for (const char* preset : {"ddr4-3200", "lpddr4-4266", "hbm2"})
        for (const char* page : {"open", "adaptive", "closed", "fcfs"}) {
            INFO(preset << " " << page);
            dram_jedec_options fast, full;
            fast.preset = full.preset = preset;
            fast.page_policy = full.page_policy = std::string(page) == "fcfs" ? "open" : page;
            if (std::string(page) == "fcfs") fast.scheduler = full.scheduler = "fcfs";
            full.full_search = true;
            dram_jedec a(dram_preset(preset), fast, 1000), b(dram_preset(preset), full, 1000);
            const uint64_t bb = a.spec().burst_bytes();
            uint64_t x = 2028, t = 0;
            const auto rnd = [&] { x = x * 6364136223846793005ull + 1442695040888963407ull; return x >> 33; };
            for (int w = 0; w < 300; ++w) {
                std::vector<req> batch;
                const int n = 1 + static_cast<int>(rnd() % 40);
                for (int i = 0; i < n; ++i) {
                    t += rnd() % 8;
                    // a few rows of a few banks: hits, misses and conflicts all happen
                    const uint64_t burst = (rnd() % 4) << 20 | (rnd() % 64);
                    batch.push_back({rnd() % 3 != 0, burst * bb, t, 0});
                }
                auto batch2 = batch;
                a.serve(batch);
                b.serve(batch2);
                for (size_t i = 0; i < batch.size(); ++i) REQUIRE(batch[i].done == batch2[i].done);
            }
            const auto &ta = a.totals(), &tb = b.totals();
            CHECK(ta.acts == tb.acts);
            CHECK(ta.pres == tb.pres);
            CHECK(ta.rds == tb.rds);
            CHECK(ta.wrs == tb.wrs);
            CHECK(ta.row_hits == tb.row_hits);
            CHECK(ta.row_conflicts == tb.row_conflicts);
            CHECK(ta.read_latency_sum == tb.read_latency_sum);
            CHECK(ta.queue_samples == tb.queue_samples);
            CHECK(ta.queue_sum == tb.queue_sum);
            CHECK(ta.queue_max == tb.queue_max);
            CHECK(ta.queue_sum > ta.queue_samples);  // windows held more than the request picked
            CHECK(a.last_data_tck() == b.last_data_tck());
            CHECK(a.refreshes(a.last_data_tck(), false) + a.refreshes(a.last_data_tck(), true) > 0);  // refresh happened
        }
}

TEST_CASE("dram jedec: the command-bus slot map's inline find and mark answer as the general ones, on random commands", "[dram][jedec][perf]") {
    // docs/performance.md#jedec-speed. Two slot maps get the same random stream of commands,
    // one through find / mark (inline within one word, else the general path), the other
    // through find_slow / mark_slow only (the form before): every find must give the same
    // cycle and the maps must stay equal. Commands 1 to 4 cycles long (and a few up to 70,
    // across words), mostly forward in time with jumps past the window (16,384 cycles), some
    // behind the window's base and some at cycles already taken.
    using slot_map = dtq::dram_jedec::slot_map;
    slot_map fast, general;
    uint64_t seed = 99;
    auto rnd = [&](uint64_t n) { seed = seed * 6364136223846793005ull + 1442695040888963407ull; return (seed >> 33) % n; };
    uint64_t now = 0, finds = 0, moved = 0;
    for (int i = 0; i < 200000; ++i) {
        const uint64_t r = rnd(100);
        now += r < 80 ? rnd(4) : r < 97 ? rnd(200) : 20000 + rnd(20000);
        uint64_t at = now;
        if (rnd(10) == 0) at = at > 30000 ? at - rnd(30000) : 0;  // behind, maybe before the window
        const unsigned len = rnd(50) == 0 ? 1 + static_cast<unsigned>(rnd(70)) : 1 + static_cast<unsigned>(rnd(4));
        const uint64_t a = fast.find(at, len), b = general.find_slow(at, len);
        INFO("command " << i << " at " << at << " len " << len);
        REQUIRE(a == b);
        ++finds;
        moved += a != at;
        if (rnd(4) != 0) {  // most found slots are taken; some marks go where the find did not look
            const uint64_t c = rnd(8) == 0 ? at : a;
            fast.mark(c, len);
            general.mark_slow(c, len);
            REQUIRE(fast.base == general.base);
        }
    }
    CHECK(fast.bits == general.bits);
    CHECK(moved > finds / 20);  // the stream has collisions: finds that had to move past taken cycles
}
