// Test bench for the controller and the firmware: host + ctrl + dma + bus + dram +
// scratchpad, wired by hand the way platform/ does it. The DRAM backs 64 MiB while the
// controller validates against the full 4 GiB window, so a command can pass validation
// and still hit an unmapped address (BUS_ERROR).
#pragma once
#include <systemc>

#include <functional>
#include <vector>

#include "ctrl/ctrl.h"
#include "dma/dma.h"
#include "host/host.h"
#include "memory/bus.h"
#include "memory/dram.h"
#include "memory/local_memory.h"
#include "platform/sequencer/command_handlers.h"

#include "apps.h"
#include "dtq_driver.h"
#include "dtq_hal.h"

namespace dtq::test {

// The generated C header and C++ table describe the same map.
static_assert(DTQ_CMD_TAIL_OFFSET == regs::CMD_TAIL && DTQ_PERF_CTRL_BUSY_OFFSET == regs::PERF_CTRL_BUSY);
static_assert(DTQ_CTRL_BASE == regs::CTRL_BASE && DTQ_DRAM_BASE == regs::DRAM_BASE);
static_assert(sizeof(dtq_cmd) == regs::desc::SIZE && DTQ_IRQ_ERROR == regs::IRQ_ERROR);

constexpr uint64_t BENCH_DRAM_BYTES = 64ull << 20;

struct ctrl_bench : sc_core::sc_module {
    dtq::clock clk;
    bus_config bcfg;
    dram_config dcfg;
    local_memory_config scfg;
    dma_config mcfg;
    ctrl_config ccfg;
    host_config hcfg;
    dtq::bus bus;
    dtq::dram dram;
    local_memory scratchpad;
    dtq::dma dma;
    dtq::ctrl ctrl;
    dtq::host host;
    std::vector<uint32_t> completed_tags;   // in completion order
    std::vector<uint64_t> completed_cycles;

    static dram_config small_dram() {
        dram_config d;
        d.size = BENCH_DRAM_BYTES;
        return d;
    }
    static ctrl_config ctrl_cfg() {
        ctrl_config c;
        c.set_region_size("SCRATCHPAD", 256 << 10);
        return c;
    }

    explicit ctrl_bench(const sc_core::sc_module_name& n, host_config hc = {}, ctrl_config cc = ctrl_cfg())
        : sc_module(n), dcfg(small_dram()), ccfg(std::move(cc)), hcfg(hc),
          bus("bus", bcfg, clk), dram("dram", dcfg, clk), scratchpad("scratchpad", scfg, clk),
          dma("dma", mcfg, clk), ctrl("ctrl", ccfg, clk), host("host", hcfg, clk) {
        bus.map("ctrl", regs::CTRL_BASE, regs::CTRL_SIZE);
        bus.map("scratchpad", regs::SCRATCHPAD_BASE, scfg.size);
        bus.map("dram", regs::DRAM_BASE, dcfg.size);
        bus.out.bind(ctrl.in);
        bus.out.bind(scratchpad.in);
        bus.out.bind(dram.in);
        host.mem.bind(bus.in);
        ctrl.mem.bind(bus.in);
        dma.mem.bind(bus.in);
        ctrl.irq.bind(host.irq);
        ctrl.set_handler(regs::op::DMA, dma_command_handler(dma, false));
        ctrl.on_complete([this](const command& c, uint64_t cycle) {
            completed_tags.push_back(c.tag);
            completed_cycles.push_back(cycle);
        });
    }

    // Runs `fw` as the host's firmware until the simulation has nothing left to do.
    int run(std::function<int()> fw) {
        host.set_app("test", std::move(fw));
        sc_core::sc_start();
        return host.exit_code();
    }
};

}  // namespace dtq::test
