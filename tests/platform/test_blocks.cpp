// The blocks are bound, not built in: a softmax block with another throughput, written here
// against the job interface (softmax/softmax_block.h), is bound to the sequencer's softmax
// socket in place of the default block, without touching the sequencer (compute_ops), and
// the SOFTMAX command takes the cycles its formula says. Two identical, independent
// systems (bus, DRAM, scratchpad, accumulator, DMA, blocks, sequencer) run the same command
// at the same time; they differ only in the softmax block. One elaboration per TEST_CASE.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>

#include "apps.h"
#include "dtq_driver.h"
#include "memory_side.h"
#include "platform/sequencer/compute_ops.h"
#include "softmax/softmax_block.h"

using namespace dtq;

namespace {

// Another softmax unit: `lanes` elements per cycle in a single pass, no pipeline latency:
// rows x ceil(cols / lanes) cycles (a figure of this test, not a claim about hardware).
// Its probabilities are the default unit's (softmax::probabilities with the same config).
struct paced_softmax : sc_core::sc_module {
    tlm_utils::multi_passthrough_target_socket_optional<paced_softmax> in;
    uint64_t lanes;
    dtq::clock clk;
    uint64_t busy_until = 0, jobs = 0;

    paced_softmax(const sc_core::sc_module_name& n, uint64_t l, const dtq::clock& c) : sc_module(n), in("in"), lanes(l), clk(c) {
        in.register_b_transport(this, &paced_softmax::b_transport);
    }
    void b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
        serve_job<softmax::softmax_job>(tx, delay, clk, [this](softmax::softmax_job& j, uint64_t ready) {
            j.start = std::max(ready, busy_until);
            j.end = j.start + j.rows * ((j.cols + lanes - 1) / lanes);
            busy_until = j.end;
            if (j.scores) j.probs = softmax::probabilities(softmax::unit_config{}, j);
            ++jobs;
        });
    }
};

constexpr uint64_t ROWS = 8, COLS = 64;
constexpr uint64_t SRC = DTQ_DRAM_BASE + 0x10000, DST = SRC + 0x10000;

// One system under test. `paced` = 0: the default softmax block; else a paced_softmax of that many lanes.
struct soc : sc_core::sc_module, test::memory_side {
    vssa::block vssa;
    normact::block normact;
    wcomp::block decompressor;
    std::unique_ptr<softmax::block> default_softmax;
    std::unique_ptr<paced_softmax> other_softmax;
    compute_ops ops;
    command cmd;
    command_outcome outcome;
    compute_report report;

    static compute_ops_config ops_cfg() {
        compute_ops_config c;
        set_windows(c);
        return c;
    }

    SC_HAS_PROCESS(soc);
    soc(const sc_core::sc_module_name& n, uint64_t paced)
        : sc_module(n), vssa("vssa", vssa::vssa_config{}, clk), normact("normact", ibert::vector_unit_config{}, clk),
          decompressor("decompressor", wcomp::timing{}, clk), ops("ops", ops_cfg(), clk) {
        ops.mem.bind(bus.in);
        ops.to_dma.bind(dma.in);
        ops.to_vssa.bind(vssa.in);
        ops.to_normact.bind(normact.in);
        ops.to_decompressor.bind(decompressor.in);
        ops.to_scratchpad.bind(scratchpad.jobs);
        // The swap: which block answers the softmax socket is the binding's business alone.
        if (paced) {
            other_softmax = std::make_unique<paced_softmax>("softmax", paced, clk);
            ops.to_softmax.bind(other_softmax->in);
        } else {
            default_softmax = std::make_unique<softmax::block>("softmax", softmax::unit_config{}, clk);
            ops.to_softmax.bind(default_softmax->in);
        }
        // Scores: row r, column j = 40 (r + j) - 1000 (int32), the same in both systems.
        std::vector<int32_t> s(ROWS * COLS);
        for (uint64_t r = 0; r < ROWS; ++r)
            for (uint64_t j = 0; j < COLS; ++j) s[r * COLS + j] = static_cast<int32_t>(40 * (r + j)) - 1000;
        dram.poke(SRC - DTQ_DRAM_BASE, s.data(), s.size() * 4);
        dtq_cmd d;
        dtq_cmd_clear(&d, DTQ_OP_SOFTMAX);
        d.u.softmax.src = SRC;
        d.u.softmax.dst = DST;
        d.u.softmax.rows = ROWS;
        d.u.softmax.cols = COLS;
        d.u.softmax.param0 = 4;  // scale 2^-4 / sqrt(64)
        d.u.softmax.param1 = 64;
        std::memcpy(cmd.raw.data(), &d, sizeof d);
        cmd.opcode = d.opcode;
        SC_THREAD(run);
    }
    void run() {
        cmd.start_cycle = clk.now();
        outcome = ops.vector(cmd);
        report = ops.last();
    }
    std::vector<int8_t> result() {
        std::vector<int8_t> y(ROWS * COLS);
        dram.peek(DST - DTQ_DRAM_BASE, y.data(), y.size());
        return y;
    }
};

struct top : sc_core::sc_module {
    soc with_default{"with_default", 0};
    soc with_paced{"with_paced", 2};
    explicit top(const sc_core::sc_module_name& n) : sc_module(n) {}
};

}  // namespace

TEST_CASE("blocks: a softmax block of another throughput bound in place of the default sets the SOFTMAX cycles",
          "[blocks]") {
    top t("top");
    sc_core::sc_start();
    soc& a = t.with_default;
    soc& b = t.with_paced;
    REQUIRE(a.outcome.error == regs::err::NONE);
    REQUIRE(b.outcome.error == regs::err::NONE);
    // 8 rows of 64 int32 = 2 KiB: one block of rows (a scratchpad quarter holds 64 KiB).
    REQUIRE(a.report.blocks == 1);
    REQUIRE(b.report.blocks == 1);
    CHECK(b.other_softmax->jobs == 1);
    // Default unit (I-BERT i-softmax, 16 lanes, 3 passes, latency 8): 8 x (3 x 64 / 16 + 8) = 160.
    CHECK(a.report.busy_unit == 160);
    // The paced block, 2 lanes, one pass: 8 x 64 / 2 = 256.
    CHECK(b.report.busy_unit == 256);
    CHECK(a.outcome.busy[regs::UNIT_SOFTMAX] == 160);
    CHECK(b.outcome.busy[regs::UNIT_SOFTMAX] == 256);
    // One block: load, compute, store in a chain, on two idle, identical memory systems, so
    // the command's cycles differ by the compute's difference alone: 256 - 160 = 96.
    CHECK((b.report.end - b.report.start) - (a.report.end - a.report.start) == 96);
    // Both blocks compute the same probabilities (the paced one calls the default's kernel).
    CHECK(a.result() == b.result());
}
