// Port contention on the local memories' banks (docs/timing-model.md#blocks): the DMA side
// (bus transactions), the VSSA's operand streams (its `ports` socket, port_job) and the
// transpose passes (transpose_job) wait for the banks they touch. Small hand-built cases
// where two users collide on one bank, each delay written out. One elaboration per TEST_CASE.
#include <catch2/catch.hpp>

#include <tlm_utils/simple_initiator_socket.h>

#include <functional>
#include <vector>

#include "memory/bus.h"
#include "memory/local_memory.h"
#include "normact/normact_block.h"
#include "vssa/vssa_block.h"

using namespace sc_core;
using namespace dtq;

namespace {

constexpr uint64_t SPAD = 0x20000000ull;

// bus -> scratchpad (4 banks of 1024 B, 16 B/cycle, latency 1); line buffers for the VSSA's
// other ports; the VSSA block (one 4 x 4 array) with its ports bound in vssa::port order.
struct bench : sc_module {
    dtq::clock clk;
    bus b;
    local_memory spad, qbuf, kbuf, vbuf;
    vssa::block array;
    normact::block unit;
    tlm_utils::simple_initiator_socket<bench> cpu, to_vssa, to_spad, to_unit;
    job_sender sender;
    std::function<void(bench&)> body;

    static local_memory_config spad_cfg(bool contention) {
        local_memory_config c;
        c.size = 4096;
        c.bytes_per_cycle = 16;
        c.latency_cycles = 1;
        c.banks = 4;
        c.port_contention = contention;
        return c;
    }
    static vssa::vssa_config array_cfg() {
        vssa::vssa_config v;
        v.rows = v.cols = 4;
        return v;
    }
    static bus_config bus_cfg() {
        bus_config c;
        c.latency_cycles = 0;
        return c;
    }

    SC_HAS_PROCESS(bench);
    explicit bench(const sc_module_name& n, bool contention = true)
        : sc_module(n), b("bus", bus_cfg(), clk), spad("scratchpad", spad_cfg(contention), clk),
          qbuf("qbuf", local_memory_config{1024, 64, 1, 2}, clk), kbuf("kbuf", local_memory_config{1024, 64, 1, 2}, clk),
          vbuf("vbuf", local_memory_config{1024, 64, 1, 2}, clk), array("vssa", array_cfg(), clk),
          unit("normact", ibert::vector_unit_config{}, clk), cpu("cpu"), to_vssa("to_vssa"), to_spad("to_spad"),
          to_unit("to_unit") {
        b.map("scratchpad", SPAD, 4096);
        b.out.bind(spad.in);
        b.map("qbuf", SPAD + 0x10000, 1024);
        b.out.bind(qbuf.in);
        b.map("kbuf", SPAD + 0x20000, 1024);
        b.out.bind(kbuf.in);
        b.map("vbuf", SPAD + 0x30000, 1024);
        b.out.bind(vbuf.in);
        cpu.bind(b.in);
        array.ports.bind(qbuf.jobs);
        array.ports.bind(kbuf.jobs);
        array.ports.bind(vbuf.jobs);
        array.ports.bind(spad.jobs);
        to_vssa.bind(array.in);
        to_spad.bind(spad.jobs);
        unit.spad.bind(spad.jobs);
        to_unit.bind(unit.in);
        SC_THREAD(run);
    }
    void run() { body(*this); }

    // A bus write of `n` bytes at scratchpad offset `off`, issued at cycle `at` (>= now): the
    // cycle its data is done.
    uint64_t write(uint64_t off, uint64_t n, uint64_t at) {
        std::vector<uint8_t> data(n, 0x5a);
        tlm::tlm_generic_payload tx;
        tx.set_command(tlm::TLM_WRITE_COMMAND);
        tx.set_address(SPAD + off);
        tx.set_data_ptr(data.data());
        tx.set_data_length(static_cast<unsigned>(n));
        tx.set_streaming_width(static_cast<unsigned>(n));
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        sc_time delay = clk.time(at) - sc_time_stamp();
        cpu->b_transport(tx, delay);
        REQUIRE(tx.is_response_ok());
        return clk.cycles(sc_time_stamp() + delay);
    }

    // A 4 x 4 x 16 GEMM, all tokens 8-bit, its A and B panels in scratchpad banks 0 and 1.
    // One uniform tile on the 4 x 4 array: 1 + c (K + R + C - 2) + R with c = 4 (8x8) =
    // 1 + 4 x (16 + 4 + 4 - 2) + 4 = 93 cycles (docs/timing-model.md#vssa).
    static vssa::gemm_job gemm() {
        vssa::gemm_job j;
        j.op.name = "test";
        j.op.M = j.op.N = 4;
        j.op.K = 16;
        j.op.row_bits.assign(4, 8);
        j.op.col_bits.assign(4, 8);
        j.uses[0] = {vssa::SCRATCHPAD, 0, 64};
        j.uses[1] = {vssa::SCRATCHPAD, 1024, 64};
        return j;
    }
};

constexpr uint64_t GEMM_CYCLES = 93;

}  // namespace

TEST_CASE("port contention: a DMA write into a bank the VSSA streams from waits for the array but not into another bank",
          "[blocks][contention]") {
    bench tb("tb");
    uint64_t other = 0, held = 0;
    vssa::gemm_job j = bench::gemm();
    tb.body = [&](bench& b) {
        b.sender.send(b.to_vssa, j, 0, b.clk);  // the array holds banks 0 and 1 over [0, 93)
        // Bank 2 is free: 64 B / 16 B per cycle = 4 cycles from 0, + latency 1 = 5.
        other = b.write(2048, 64, 0);
        // Bank 0 is held by the array until 93; the bus-side port is free from 4. The write
        // starts at max(0, 4, 93) = 93, takes 4 cycles, + latency 1: done at 98.
        held = b.write(0, 64, 0);
    };
    sc_start();
    CHECK(j.result.cycles == GEMM_CYCLES);
    CHECK(j.start == 0);
    CHECK(j.end == GEMM_CYCLES);
    CHECK(j.port_wait == 0);
    CHECK(other == 5);
    CHECK(held == 98);
}

TEST_CASE("port contention: off the same DMA write only queues on the bus-side port", "[blocks][contention]") {
    bench tb("tb", false);
    uint64_t other = 0, held = 0;
    vssa::gemm_job j = bench::gemm();
    tb.body = [&](bench& b) {
        b.sender.send(b.to_vssa, j, 0, b.clk);
        other = b.write(2048, 64, 0);  // 0 + 4 + 1 = 5
        held = b.write(0, 64, 0);      // the port is free from 4: 4 + 4 + 1 = 9
    };
    sc_start();
    CHECK(j.end == GEMM_CYCLES);
    CHECK(other == 5);
    CHECK(held == 9);
}

TEST_CASE("port contention: the VSSA waits for the DMA filling one of its operand banks", "[blocks][contention]") {
    bench tb("tb");
    uint64_t fill = 0;
    vssa::gemm_job j = bench::gemm();
    tb.body = [&](bench& b) {
        // 1024 B into bank 1 from cycle 0: 1024 / 16 = 64 cycles, the bank busy until 64 (data done at 65).
        fill = b.write(1024, 1024, 0);
        // The GEMM's inputs are ready at 10; bank 0 is free, bank 1 from 64: it starts at 64
        // (54 cycles of port wait) and ends at 64 + 93 = 157.
        b.sender.send(b.to_vssa, j, 10, b.clk);
    };
    sc_start();
    CHECK(fill == 65);
    CHECK(j.start == 64);
    CHECK(j.port_wait == 54);
    CHECK(j.end == 64 + GEMM_CYCLES);
}

TEST_CASE("port contention: off the VSSA starts when its inputs are ready", "[blocks][contention]") {
    bench tb("tb", false);
    vssa::gemm_job j = bench::gemm();
    tb.body = [&](bench& b) {
        b.write(1024, 1024, 0);
        b.sender.send(b.to_vssa, j, 10, b.clk);
    };
    sc_start();
    CHECK(j.start == 10);
    CHECK(j.port_wait == 0);
    CHECK(j.end == 10 + GEMM_CYCLES);
}

TEST_CASE("port contention: a transpose pass waits for the array on its bank, then holds it against the DMA",
          "[blocks][contention]") {
    bench tb("tb");
    transpose_job t;
    uint64_t after = 0;
    vssa::gemm_job j = bench::gemm();
    tb.body = [&](bench& b) {
        b.sender.send(b.to_vssa, j, 0, b.clk);  // banks 0 and 1 held over [0, 93)
        // A 64 B pass on bank 1 ready at 0: starts at 93, 2 ceil(64 / 16) = 8 cycles: ends at 101.
        t.bytes = 64;
        t.offset = 1024;
        b.sender.send(b.to_spad, t, 0, b.clk);
        // A DMA write into bank 1 at 0 waits for the pass: starts at 101, 4 cycles, + 1: done at 106.
        after = b.write(1024 + 512, 64, 0);
    };
    sc_start();
    CHECK(t.start == 93);
    CHECK(t.end == 101);
    CHECK(after == 106);
}

TEST_CASE("port contention: the norm/act unit waits for its output bank and holds both against the DMA",
          "[blocks][contention]") {
    bench tb("tb");
    normact::row_job j;
    uint64_t fill = 0, after = 0;
    tb.body = [&](bench& b) {
        // 1024 B into bank 1 from cycle 0: the bank busy until 64 (data done at 65).
        fill = b.write(1024, 1024, 0);
        // GELU of 4 rows of 64 int8 (bank 0) into int32 results (bank 1), inputs ready at 0:
        // 4 x ceil(64 / 16) + 8 (pipeline latency, the command's first block) = 24 cycles,
        // from 64 (bank 1 free): [64, 88).
        j.kind = normact::op::gelu;
        j.rows = 4;
        j.cols = 64;
        j.first = true;
        j.banks[0] = {0, 256};
        j.banks[1] = {1024, 1024};
        b.sender.send(b.to_unit, j, 0, b.clk);
        // A 64 B write into bank 0 at 0: the bus port is free from 64, bank 0 from 88:
        // 88 + 4 + 1 = 93.
        after = b.write(0, 64, 0);
    };
    sc_start();
    CHECK(fill == 65);
    CHECK(j.start == 64);
    CHECK(j.end == 88);
    CHECK(after == 93);
}
