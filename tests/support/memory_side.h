// The memory side of a small test system, shared by the unit tests of the compute sequencer
// and its blocks (tests/platform/test_compute_ops.cpp, test_blocks.cpp,
// tests/energy/test_energy.cpp): a bus with a 256 KiB scratchpad (16 B/cycle), a 128 KiB
// accumulator (64 B/cycle) and a DRAM (16 MiB of the default model unless given) at the
// address map's bases, and a DMA on the bus.
// A test system derives from it (after sc_module when it is one, so the memories are its
// children) and binds its own initiators to `bus.in`; set_windows() gives a compute_ops_config
// the same windows.
#pragma once
#include <cstdint>

#include "common/clock.h"
#include "dma/dma.h"
#include "memory/bus.h"
#include "memory/dram.h"
#include "memory/local_memory.h"
#include "dtq_regs.h"
#include "platform/sequencer/compute_ops.h"

namespace dtq::test {

struct memory_side {
    static constexpr uint64_t scratchpad_bytes = 256 << 10, accumulator_bytes = 128 << 10, dram_bytes = 16 << 20;

    dtq::clock clk;
    bus_config bcfg;
    dram_config dcfg;
    local_memory_config scfg{scratchpad_bytes, 16, 1}, acfg{accumulator_bytes, 64, 1};
    dma_config mcfg;
    dtq::bus bus;
    dtq::dram dram;
    local_memory scratchpad, accumulator;
    dtq::dma dma;

    explicit memory_side(const dram_config& d = small_dram())
        : dcfg(d), bus("bus", bcfg, clk), dram("dram", dcfg, clk), scratchpad("scratchpad", scfg, clk),
          accumulator("accumulator", acfg, clk), dma("dma", mcfg, clk) {
        bus.map("scratchpad", DTQ_SCRATCHPAD_BASE, scfg.size);
        bus.map("accumulator", DTQ_ACCUMULATOR_BASE, acfg.size);
        bus.map("dram", DTQ_DRAM_BASE, dcfg.size);
        bus.out.bind(scratchpad.in);
        bus.out.bind(accumulator.in);
        bus.out.bind(dram.in);
        dma.mem.bind(bus.in);
    }

    static dram_config small_dram() {
        dram_config d;
        d.size = dram_bytes;
        return d;
    }
    // The scratchpad, accumulator and DRAM windows of the sequencer, as mapped above.
    static void set_windows(compute_ops_config& c) {
        c.scratchpad_base = DTQ_SCRATCHPAD_BASE;
        c.scratchpad_size = scratchpad_bytes;
        c.accumulator_base = DTQ_ACCUMULATOR_BASE;
        c.accumulator_size = accumulator_bytes;
        c.dram_base = DTQ_DRAM_BASE;
        c.dram_size = dram_bytes;
    }
};

}  // namespace dtq::test
