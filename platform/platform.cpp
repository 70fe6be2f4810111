#include "platform/platform.h"
#include "platform/frontend/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <thread>
#include <filesystem>
#include <system_error>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/fnv1a.h"
#include "common/timing_only.h"
#include "common/npy.h"
#include "common/asan_stack.h"
#include "platform/frontend/data_dir.h"
#include "common/output_file.h"
#include "common/trace.h"
#include "energy/energy.h"
#include "vssa/gemm.h"
#include "apps.h"
#include "platform/address_map.h"
#include "platform/sequencer/command_handlers.h"
#include "platform/faults.h"
#include "platform/workloads/gemm_workload.h"
#include "platform/workloads/attention_study.h"
#include "platform/workloads/model_zoo.h"
#include "platform/workloads/model_workload.h"
#include "platform/workloads/onnx_pipeline.h"
#include "platform/workloads/synthetic.h"
#include "platform/frontend/report.h"

namespace dtq {

using namespace sc_core;

// The whole-model workload's state (workload.kind model).
struct model_run {
    model_instance inst;
    model_layout layout;
    std::unique_ptr<stream_layout> stream;  // a request stream (workload.requests), else null
    std::unique_ptr<stat_group> serve;
    uint64_t attention_busy_pe = 0;  // ATTENTION commands' VSSA busy PE cycles
    uint64_t first_start = UINT64_MAX, decode_start = 0, last_end = 0;
    stat_group stats{"model"};
    std::vector<std::unique_ptr<stat_group>> layer_stats;
};


// Built-in stimulus: a long stream of DMA descriptors between consecutive DRAM
// addresses and the scratchpad (used cyclically).
class stream_driver : public workload {
public:
    stream_driver(const sc_module_name& n, const scenario_config& cfg, dtq::dma& engine, const dtq::clock& clk)
        : workload(n), m_cfg(cfg), m_dma(engine), m_clk(clk) {
        SC_THREAD(run);
    }
    SC_HAS_PROCESS(stream_driver);

private:
    void run() {
        const auto& s = m_cfg.workload.dma_stream;
        const bool timing_only = m_cfg.mode == sim_mode::timing;
        const uint64_t spad_window = m_cfg.scratchpad.size / s.chunk_bytes * s.chunk_bytes;
        for (uint64_t off = 0; off < s.bytes; off += s.chunk_bytes) {
            const uint64_t n = std::min(s.chunk_bytes, s.bytes - off);
            const uint64_t dram_addr = amap::DRAM_BASE + off;  // runs off the end of DRAM if bytes > dram.size: a bus error
            const uint64_t spad_addr = amap::SCRATCHPAD_BASE + off % spad_window;
            dma_descriptor d{dram_addr, spad_addr, 1, n, 0, 0};
            if (s.direction == "store") std::swap(d.src, d.dst);
            const dma_result r = m_dma.transfer(d, timing_only);
            if (!r.ok()) {
                error = fmt::format("DMA got {} at address {:#x} (cycle {})", response_name(r.status), r.error_address,
                                    r.start_cycle);
                break;
            }
            progress += n;
            if (show_progress)
                progress_line::global().update("dma stream", double(progress) / double(s.bytes), m_clk.now());
        }
        done = true;
        sc_stop();
    }

    const scenario_config& m_cfg;
    dtq::dma& m_dma;
    const dtq::clock& m_clk;
};

// Stops a run that makes no real progress for watchdog.timeout_cycles (exit code 3).
// `progress` returns a value that changes whenever the run progresses (docs/user-guide.md#watchdog);
// `done` ends the watch.
class watchdog : public sc_module {
public:
    watchdog(const sc_module_name& n, uint64_t timeout_cycles, const dtq::clock& clk, std::function<uint64_t()> progress,
             std::function<bool()> done, bool decoupled)
        : sc_module(n), m_timeout(timeout_cycles), m_clk(clk), m_progress(std::move(progress)), m_done(std::move(done)),
          m_decoupled(decoupled) {
        SC_THREAD(run);
    }
    SC_HAS_PROCESS(watchdog);
    bool fired = false;

private:
    void run() {
        // With a temporally decoupled initiator (the host core) the first period always counts
        // as progress: at time 0 the host may or may not have run its first quantum yet, so a
        // sample taken now says nothing about the period to come.
        bool first = m_decoupled;
        uint64_t last = m_progress();
        for (;;) {
            wait(m_clk.time(m_timeout));
            if (m_done()) return;
            const uint64_t now = m_progress();
            if (!first && now == last) {
                fired = true;
                sc_stop();
                return;
            }
            first = false;
            last = now;
        }
    }
    uint64_t m_timeout;
    const dtq::clock& m_clk;
    std::function<uint64_t()> m_progress;
    std::function<bool()> m_done;
    bool m_decoupled;
};

// The run budget (budget.max_cycles, budget.wall_seconds): wakes every CHECK_CYCLES
// simulated cycles (and exactly at max_cycles) and stops the run once either is spent.
// A run whose simulated time stands still is caught by the wall-clock backstop in run().
class run_budget : public sc_module {
public:
    static constexpr uint64_t CHECK_CYCLES = 1000000;
    run_budget(const sc_module_name& n, const budget_config& b, const dtq::clock& clk, std::function<bool()> done)
        : sc_module(n), m_budget(b), m_clk(clk), m_done(std::move(done)), m_t0(std::chrono::steady_clock::now()) {
        SC_THREAD(run);
    }
    SC_HAS_PROCESS(run_budget);
    enum class reason { none, cycles, wall } fired = reason::none;
    void restart_wall() { m_t0 = std::chrono::steady_clock::now(); }
    double wall() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_t0).count(); }

private:
    void run() {
        for (;;) {
            const uint64_t now = m_clk.now();
            uint64_t next = now + CHECK_CYCLES;
            if (m_budget.max_cycles && next > m_budget.max_cycles) next = std::max(now, m_budget.max_cycles);
            if (next > now) wait(m_clk.time(next) - sc_time_stamp());
            if (m_done()) return;
            if (m_budget.max_cycles && m_clk.now() >= m_budget.max_cycles) fired = reason::cycles;
            else if (m_budget.wall_seconds && wall() >= static_cast<double>(m_budget.wall_seconds)) fired = reason::wall;
            if (fired != reason::none) {
                sc_stop();
                return;
            }
        }
    }
    budget_config m_budget;
    const dtq::clock& m_clk;
    std::function<bool()> m_done;
    std::chrono::steady_clock::time_point m_t0;
};

// The trace's power counter track (docs/energy.md#trace): every `period` cycles, the
// energy of the units' actions counted so far, as average power over the interval plus
// leakage. Units that book their work in bulk (the attention study at its start) show it
// in the interval where they count it.
class power_sampler : public sc_module {
public:
    power_sampler(const sc_module_name& n, const energy::model& m, const dtq::clock& clk, uint64_t period_cycles, uint64_t mhz)
        : sc_module(n), m_model(m), m_clk(clk), m_period(period_cycles), m_mhz(mhz) {
        SC_THREAD(run);
    }
    SC_HAS_PROCESS(power_sampler);

private:
    void run() {
        const double leak_w = m_model.table().at("leakage_mw_per_mm2") * 1e-3 * m_model.area_mm2("total");
        double last = 0;
        for (;;) {
            wait(m_clk.time(m_period));
            double e = 0;
            for (const auto& [k, v] : m_model.actions_pj()) e += v;
            const double seconds = static_cast<double>(m_period) / (static_cast<double>(m_mhz) * 1e6);
            trace::global().counter("power", "power_w", m_clk.now(), (e - last) * 1e-12 / seconds + leak_w);
            last = e;
        }
    }
    const energy::model& m_model;
    const dtq::clock& m_clk;
    uint64_t m_period, m_mhz;
};

static energy::platform_shape shape_of(const scenario_config& c) {
    energy::platform_shape s;
    s.rows = c.vssa.rows;
    s.cols = c.vssa.cols;
    s.pes = c.vssa.rows * c.vssa.cols * c.vssa.arrays;
    s.scratchpad = c.scratchpad.size;
    s.accumulator = c.accumulator.size;
    s.linebuf = c.linebuf.size;
    s.l2 = c.l2.enabled ? c.l2.size : 0;
    s.l2_line = c.l2.line_bytes;
    s.dram_banks = c.dram.banks_enabled ? c.dram.banks : 0;
    s.clock_mhz = c.clock_mhz;
    s.designs_power_x_latency = c.energy.designs_pe == "power_x_latency";
    return s;
}

// A local memory's configuration with the scenario's buffer.port_contention.
static local_memory_config with_contention(local_memory_config m, const scenario_config& c) {
    m.port_contention = c.buffer_port_contention;
    return m;
}

platform::platform(const scenario_config& cfg)
    : clk(cfg.clock_period_ps()),
      m_cfg(cfg),
      m_bus("bus", m_cfg.bus, clk),
      m_dram("dram", m_cfg.dram, clk),
      m_scratchpad("scratchpad", with_contention(m_cfg.scratchpad, m_cfg), clk),
      m_accumulator("accumulator", with_contention(m_cfg.accumulator, m_cfg), clk),
      m_qbuf("qbuf", with_contention(m_cfg.linebuf, m_cfg), clk),
      m_kbuf("kbuf", with_contention(m_cfg.linebuf, m_cfg), clk),
      m_vbuf("vbuf", with_contention(m_cfg.linebuf, m_cfg), clk),
      m_dma("dma", m_cfg.dma, clk),
      m_ctrl("ctrl", ctrl_config_of(m_cfg), clk),
      m_host("host", host_config_of(m_cfg), clk) {
    try {  // the technology table first: a bad table or override is a configuration error (exit 2)
        m_energy = std::make_unique<energy::model>(energy::load_table(m_cfg.energy.tech, m_cfg.energy.override), shape_of(m_cfg));
    } catch (const energy::tech_error& e) {
        throw config_error({e.what()});
    }
    // Map (order = out port order), then bind.
    m_bus.map("dram", amap::DRAM_BASE, m_cfg.dram.size);
    m_bus.map("scratchpad", amap::SCRATCHPAD_BASE, m_cfg.scratchpad.size);
    m_bus.map("accumulator", amap::ACCUMULATOR_BASE, m_cfg.accumulator.size);
    m_bus.map("ctrl", amap::CTRL_BASE, amap::CTRL_SIZE);
    m_bus.map("qbuf", amap::QBUF_BASE, m_cfg.linebuf.size);
    m_bus.map("kbuf", amap::KBUF_BASE, m_cfg.linebuf.size);
    m_bus.map("vbuf", amap::VBUF_BASE, m_cfg.linebuf.size);
    if (m_cfg.l2.enabled) {
        m_l2 = std::make_unique<dtq::l2>("l2", m_cfg.l2, clk);
        m_bus.out.bind(m_l2->in);
        m_l2->mem.bind(m_dram.in);
    } else {
        m_bus.out.bind(m_dram.in);
    }
    m_bus.out.bind(m_scratchpad.in);
    m_bus.out.bind(m_accumulator.in);
    m_bus.out.bind(m_ctrl.in);
    m_bus.out.bind(m_qbuf.in);
    m_bus.out.bind(m_kbuf.in);
    m_bus.out.bind(m_vbuf.in);
    if (m_cfg.faults.any()) {  // fault injection: the DMA's transactions pass the injector
        m_faults = std::make_unique<fault_injector>("faults", m_cfg.faults);
        m_dma.mem.bind(m_faults->in);
        m_faults->out.bind(m_bus.in);
    } else {
        m_dma.mem.bind(m_bus.in);
        // The memories, whose targets all take burst trains (not through the injector).
        m_dma.set_train_ranges({{amap::DRAM_BASE, m_cfg.dram.size},
                                {amap::SCRATCHPAD_BASE, m_cfg.scratchpad.size},
                                {amap::ACCUMULATOR_BASE, m_cfg.accumulator.size},
                                {amap::QBUF_BASE, m_cfg.linebuf.size},
                                {amap::KBUF_BASE, m_cfg.linebuf.size},
                                {amap::VBUF_BASE, m_cfg.linebuf.size}});
    }
    m_ctrl.mem.bind(m_bus.in);
    m_host.mem.bind(m_bus.in);
    m_ctrl.irq.bind(m_host.irq);

    // Command handlers: the units the controller dispatches to.
    m_ctrl.set_handler(regs::op::DMA, dma_command_handler(m_dma, m_cfg.mode == sim_mode::timing));
    // The compute blocks, then the sequencer's two halves (ATTENTION; GEMM and the vector
    // commands), bound to the blocks they drive: one VSSA and one softmax unit serve both.
    attention_layer_config ac;
    ac.vssa = vssa_config_of(m_cfg, "");
    ac.softmax = softmax_config_of(m_cfg);
    ac.vsq = vsquant_config_of(m_cfg);
    ac.two_direction = m_cfg.buffer_two_direction;
    ac.linebuf_bytes_per_cycle = m_cfg.linebuf.bytes_per_cycle;
    ac.timing_only = m_cfg.mode == sim_mode::timing;
    compute_ops_config cc;
    m_fetcher = std::make_unique<fetcher::block>("fetcher", fetcher::block_config{ac.fetcher_lanes}, clk);
    m_vssa = std::make_unique<vssa::block>("vssa", ac.vssa, clk);
    m_softmax = std::make_unique<softmax::block>("softmax", ac.softmax, clk);
    m_normact = std::make_unique<normact::block>("normact", cc.normact, clk);
    m_topk = std::make_unique<topk::block>("topk", topk::block_config{ac.topk, ac.importance_lanes}, clk);
    m_decompressor = std::make_unique<wcomp::block>("decompressor", m_cfg.decompressor, clk);
    m_fetcher->dma.bind(m_dma.in);
    m_topk->mem.bind(m_bus.in);
    m_vssa->mem.bind(m_bus.in);  // functional operands and results (debug transport)
    // The VSSA's operand streams and the V transpose pass on the local memories' banks (vssa::port order).
    m_vssa->ports.bind(m_qbuf.jobs);
    m_vssa->ports.bind(m_kbuf.jobs);
    m_vssa->ports.bind(m_vbuf.jobs);
    m_vssa->ports.bind(m_scratchpad.jobs);
    m_fetcher->vbuf.bind(m_vbuf.jobs);
    m_softmax->spad.bind(m_scratchpad.jobs);  // the vector commands' input and output quarters
    m_normact->spad.bind(m_scratchpad.jobs);
    {
        m_attention = std::make_unique<attention_layer>(
            "attention", ac,
            attention_memories{m_qbuf, m_kbuf, m_vbuf, m_accumulator, amap::QBUF_BASE, amap::KBUF_BASE, amap::VBUF_BASE,
                               amap::ACCUMULATOR_BASE},
            clk);
        m_attention->mem.bind(m_bus.in);
        m_attention->to_fetcher.bind(m_fetcher->in);
        m_attention->to_vssa.bind(m_vssa->in);
        m_attention->to_softmax.bind(m_softmax->in);
        m_attention->to_topk.bind(m_topk->in);
        m_attention->to_dma.bind(m_dma.in);
        m_ctrl.set_handler(regs::op::ATTENTION, [this](const command& c) { return m_attention->execute(c); });
    }
    {
        cc.vssa = vssa_config_of(m_cfg, "");
        cc.softmax = softmax_config_of(m_cfg);
        cc.vsq = vsquant_config_of(m_cfg);
        cc.decompressor = m_cfg.decompressor;
        cc.two_direction = m_cfg.buffer_two_direction;
        cc.scratchpad_base = amap::SCRATCHPAD_BASE;
        cc.scratchpad_size = m_cfg.scratchpad.size;
        cc.accumulator_base = amap::ACCUMULATOR_BASE;
        cc.accumulator_size = m_cfg.accumulator.size;
        cc.dram_base = amap::DRAM_BASE;
        cc.dram_size = m_cfg.dram.size;
        cc.timing_only = m_cfg.mode == sim_mode::timing;
        m_compute = std::make_unique<compute_ops>("compute", cc, clk);
        m_compute->mem.bind(m_bus.in);
        m_compute->to_dma.bind(m_dma.in);
        m_compute->to_vssa.bind(m_vssa->in);
        m_compute->to_softmax.bind(m_softmax->in);
        m_compute->to_normact.bind(m_normact->in);
        m_compute->to_decompressor.bind(m_decompressor->in);
        m_compute->to_scratchpad.bind(m_scratchpad.jobs);
        m_ctrl.set_handler(regs::op::GEMM, [this](const command& c) { return m_compute->gemm(c); });
        for (uint8_t op : {regs::op::SOFTMAX, regs::op::LAYERNORM, regs::op::GELU, regs::op::REQUANT, regs::op::RESADD})
            m_ctrl.set_handler(op, [this](const command& c) { return m_compute->vector(c); });
    }
    m_ctrl.set_dram_counters(
        [] { return static_cast<uint64_t>(stats_registry::global().number("dram.bytes_read")); },
        [] { return static_cast<uint64_t>(stats_registry::global().number("dram.bytes_written")); });

    if (m_faults) {
        m_ctrl.set_handler(regs::op::DMA, m_faults->wrap_dma_commands(m_ctrl.handler(regs::op::DMA)));
        m_ctrl.set_access_fault(m_faults->register_fault());
    }

    if (runs_model()) {  // the encoder firmware: a built-in model or an imported graph's integer pipeline
        m_cfg.workload.firmware_app = "encoder";
        load_model();
        m_ctrl.on_complete([this](const command& c, uint64_t cycle) {
            if (c.opcode == regs::op::MARKER && c.u32(regs::desc::marker::VALUE) == DTQ_MODEL_DECODE_MARKER)
                m_model->decode_start = cycle;
        });
        // Per-op accounting: every handler's commands, by the op in their tag.
        for (uint8_t op : {regs::op::GEMM, regs::op::SOFTMAX, regs::op::LAYERNORM, regs::op::GELU, regs::op::REQUANT,
                           regs::op::RESADD, regs::op::ATTENTION}) {
            command_handler h = m_ctrl.handler(op);
            m_ctrl.set_handler(op, [this, h](const command& c) {
                // The handlers issue their transfers before returning: the bytes the DRAM
                // device reads in between are this command's L2 misses. Its writes reach
                // DRAM as write-backs, whenever the lines are evicted: the L2 books them
                // to the op that wrote the lines (finish_model); without an L2 they are
                // the device's writes in between.
                if (m_l2) m_l2->set_owner(static_cast<uint8_t>(c.tag & 0xFF));
                const uint64_t rd = m_dram.bytes_read(), wr = m_dram.bytes_written();
                const command_outcome o = h(c);
                if (m_l2) m_l2->set_owner(0);
                account_command(c, c.start_cycle, o, m_dram.bytes_read() - rd + (m_l2 ? 0 : m_dram.bytes_written() - wr));
                return o;
            });
        }
    }
    if (m_cfg.workload.kind == "gemm" || (m_cfg.workload.kind == "onnx" && !runs_model())) {  // GEMMs (docs/workloads.md): the app `gemm` issues them
        m_cfg.workload.firmware_app = "gemm";
        m_gemm = std::make_unique<gemm_workload_run>(m_cfg);
        m_gemm->load([this](uint64_t a, const void* p, uint64_t n) { write_dram(a, p, n); });
        command_handler h = m_ctrl.handler(regs::op::GEMM);
        m_ctrl.set_handler(regs::op::GEMM, [this, h](const command& c) {
            const command_outcome o = h(c);
            if (o.error == regs::err::NONE) {
                const compute_report& rep = m_compute->last();
                gemm_record r;
                r.start = c.start_cycle;
                r.end = o.done_cycle ? o.done_cycle : clk.now();
                r.vssa_cycles = o.busy[regs::UNIT_VSSA];
                r.stall_pe_cycles = o.stall_cycles;
                r.dram_read = o.dram_bytes_read;
                r.dram_written = o.dram_bytes_written;
                r.busy_pe_cycles = rep.busy_pe_cycles;
                r.macs = rep.macs;
                r.tiles = rep.tiles;
                r.blocks = rep.blocks;
                m_gemm->record(c.tag, r);
            }
            return o;
        });
    }
    if (m_cfg.workload.kind == "firmware" || runs_model() || m_gemm) {
        const dtq_app* app = dtq_app_find(m_cfg.workload.firmware_app.c_str());
        if (m_cfg.host.cpu == "rv32") {  // the ELF on the ISS (docs/firmware.md#rv32)
            std::string elf = m_cfg.workload.firmware_elf;
            if (elf.empty()) elf = rv32_app_elf(app->name);
            std::vector<std::string> args;
            std::istringstream in(m_cfg.workload.firmware_args);
            for (std::string a; in >> a;) args.push_back(a);
            m_host.set_app(m_cfg.workload.firmware_elf.empty() ? app->name : std::filesystem::path(elf).filename().string(), nullptr);
            m_setup_error = m_host.set_elf(elf, args);
        } else {
            m_host.set_app(app->name, app->main);
        }
        if (m_cfg.workload.firmware_app == "attention") load_attention_inputs();
        // A firmware that waits for an interrupt while the accelerator completes no command
        // for as long as the watchdog's timeout stops the run (a long queue of commands
        // that keep completing is progress, not a hang).
        m_host.set_wfi_timeout(m_cfg.watchdog.timeout_cycles, [this, seen = firmware_progress()](uint64_t waited) mutable {
            m_fw_waited = waited;
            const uint64_t progress = firmware_progress();
            if (progress != seen) {
                seen = progress;
                return true;
            }
            m_fw_watchdog = true;
            sc_stop();
            return false;
        });
        // A firmware that polls registers (or spins) while nothing else progresses never
        // waits for an interrupt: the same judgement, from outside the firmware.
        m_watchdog = std::make_unique<watchdog>("watchdog", m_cfg.watchdog.timeout_cycles, clk,
                                                [this] { return firmware_progress(); }, [this] { return m_host.finished(); }, true);
        m_budget = std::make_unique<run_budget>("budget", m_cfg.budget, clk, [this] { return m_host.finished(); });
        return;
    }
    if (m_cfg.workload.kind == "attention_study")
        m_driver = std::make_unique<attention_study>("workload", m_cfg, clk);
    else
        m_driver = std::make_unique<stream_driver>("workload", m_cfg, m_dma, clk);
    m_watchdog = std::make_unique<watchdog>("watchdog", m_cfg.watchdog.timeout_cycles, clk,
                                            [this] {
                                                // The workload's own progress, or simulated time still inside
                                                // a computation it has timed (busy_until).
                                                const uint64_t now = clk.now();
                                                return m_driver->progress * 0x9e3779b97f4a7c15ull ^
                                                       (now < m_driver->busy_until ? now : 0);
                                            },
                                            [this] { return m_driver->done; }, false);
    m_budget = std::make_unique<run_budget>("budget", m_cfg.budget, clk, [this] { return m_driver->done; });
}

// Real progress of a firmware run: a command completed (CMD_HEAD moved), a command is in
// flight (every command's duration is finite: its handler computed it), a memory access of
// the core is in flight, or the core did work (moved memory data, wrote registers,
// computed, idled until a given cycle). Reading registers while the controller is idle (a
// polling loop) is not progress.
uint64_t platform::firmware_progress() {
    if (m_ctrl.busy() || m_host.waiting_for_memory()) return ++m_busy_ticks | uint64_t{1} << 63;
    return (uint64_t{m_ctrl.peek(regs::PERF_CMDS_COMPLETED)} << 32 | m_ctrl.peek(regs::CMD_HEAD)) ^ (m_host.work() * 0x9e3779b97f4a7c15ull) ^
           m_busy_ticks;
}

std::string platform::state_dump() const {
    std::string s;
    if (!m_driver) {
        s += fmt::format("host: firmware '{}' {}, {} register accesses, {} bus errors\n", m_host.app_name(),
                         m_host.finished() ? "returned" : "running", m_host.register_accesses(), m_host.bus_errors());
    } else {
        s += fmt::format("workload ({}): {}, progress {}\n", m_cfg.workload.kind, m_driver->done ? "done" : "busy", m_driver->progress);
    }
    s += "controller state:\n" + m_ctrl.dump();
    return s;
}

ctrl_config platform::ctrl_config_of(const scenario_config& c) {
    ctrl_config cc;
    cc.vsq.vector_size = static_cast<uint32_t>(c.vsquant.vector_size);
    cc.vsq.scale_bits = static_cast<uint32_t>(c.vsquant.scale_bits);
    cc.set_region_size("SCRATCHPAD", c.scratchpad.size);
    cc.set_region_size("ACCUMULATOR", c.accumulator.size);
    cc.set_region_size("DRAM", c.dram.size);
    for (const char* lb : {"QBUF", "KBUF", "VBUF"}) cc.set_region_size(lb, c.linebuf.size);
    return cc;
}

host_config platform::host_config_of(const scenario_config& c) {
    host_config hc;
    hc.cpi = c.host.cpi;
    hc.native_wall_limit_s = c.host.native_wall_limit_s;
    hc.stop_on_exit = c.workload.kind == "firmware" || c.workload.kind == "model" || c.workload.kind == "gemm" || c.workload.kind == "onnx";
    hc.softmax_cycles_per_element = c.host.softmax_cycles_per_element;
    hc.layernorm_cycles_per_element = c.host.layernorm_cycles_per_element;
    hc.gelu_cycles_per_element = c.host.gelu_cycles_per_element;
    hc.timing_only = c.mode == sim_mode::timing;
    hc.mmio_base = amap::CTRL_BASE;
    hc.mmio_size = amap::CTRL_SIZE;
    return hc;
}

void platform::write_dram(uint64_t addr, const void* src, uint64_t len) { m_dram.poke(addr - amap::DRAM_BASE, src, len); }
void platform::read_dram(uint64_t addr, void* dst, uint64_t len) const { m_dram.peek(addr - amap::DRAM_BASE, dst, len); }
void platform::generate_dram(uint64_t addr, uint64_t len, sparse_store::fill_fn fill) {
    m_dram.generate(addr - amap::DRAM_BASE, len, std::move(fill));
}

// The `attention` app's inputs (docs/attention.md#memory-layout): boot arguments at
// DTQ_APP_DATA_ADDR, the precision list, then Q, K, V (heads x seq token slots, 4-bit
// tokens packed) and room for the output. Data: seeded synthetic heads; this layer's
// precisions from the seeded salience at the scenario's ratios (as the attention study).
void platform::load_attention_inputs() {
    const auto& a = m_cfg.workload.attention;
    const model_shape m = *find_model(a.model);
    const uint64_t seq = a.seq, dh = m.d_head(), heads = simulated_heads(a);
    const auto align = [](uint64_t x) { return (x + 4095) / 4096 * 4096; };
    const uint64_t args_at = DTQ_APP_DATA_ADDR, prec_at = args_at + 4096;
    const uint64_t q_at = prec_at + align(seq), tensor = align(heads * seq * dh);
    const uint64_t k_at = q_at + tensor, v_at = k_at + tensor, out_at = v_at + tensor;
    if (out_at + heads * seq * dh * 4 > amap::DRAM_BASE + m_cfg.dram.size)
        throw config_error({fmt::format("dram.size: expected at least {} bytes for the attention app's tensors, got {}",
                                        out_at + heads * seq * dh * 4 - amap::DRAM_BASE, m_cfg.dram.size)});
    const synthetic_layer layer0 = synthetic_layer_of(m_cfg, 0);  // the attention study's layer 0
    const uint64_t lseed = layer0.seed, k0 = layer0.k0, k1 = layer0.k1;
    const std::vector<uint8_t>& bits = layer0.bits;
    write_dram(prec_at, bits.data(), seq);
    if (m_cfg.mode == sim_mode::functional) {
        std::vector<uint8_t> slot(dh);
        for (uint64_t h = 0; h < heads; ++h) {
            const attention_inputs in = synthetic_attention(seq, dh, lseed * 31 + h);
            for (auto [at, src] : {std::pair{q_at, &in.q}, {k_at, &in.k}, {v_at, &in.v}})
                for (uint64_t t = 0; t < seq; ++t) {
                    if (!bits[t]) continue;
                    const uint64_t n = pack_token(src->data() + t * dh, dh, bits[t], slot.data());
                    write_dram(at + (h * seq + t) * dh, slot.data(), n);
                }
        }
    }
    dtq_attention_args args{};
    args.magic = DTQ_ATTENTION_ARGS_MAGIC;
    args.seq = static_cast<uint32_t>(seq);
    args.heads = static_cast<uint32_t>(heads);
    args.head_dim = static_cast<uint32_t>(dh);
    args.k0 = static_cast<uint32_t>(k0);
    args.k1 = static_cast<uint32_t>(k1);
    args.layers = 1;
    args.q = q_at;
    args.k = k_at;
    args.v = v_at;
    args.out = out_at;
    args.prec_list = prec_at;
    write_dram(args_at, &args, sizeof args);
}

// ---- workload model (docs/encoder.md) ---------------------------------------------------

void platform::load_model() {
    progress_line::global().update("set-up: the model's weights (generate, quantize, write to DRAM)");
    const bool functional = m_cfg.mode == sim_mode::functional;
    m_model = std::make_unique<model_run>();
    model_run& r = *m_model;
    try {
        // NM24 weights: their row tables set the DMA's addresses in both modes, so timing mode
        // generates and compresses the weights too.
        const bool with_data = functional || m_cfg.workload.model.weight_compression != "none";
        if (m_cfg.workload.requests.any()) {  // a request stream: the model planned for its batches
            r.stream = std::make_unique<stream_layout>(plan_stream(m_cfg, with_data));
            r.inst = r.stream->inst;
        } else if (m_cfg.workload.kind == "onnx") {  // an imported graph (docs/workloads.md#integer-pipeline)
            m_onnx = std::make_unique<onnx_pipeline>(make_onnx_pipeline(m_cfg));
            r.inst = m_onnx->inst;
        } else {
            // Only the accuracy proxy reads the host matrices after loading (the reference model).
            r.inst = make_model(m_cfg, with_data, m_cfg.workload.model.accuracy);
        }
    } catch (const npy_error& e) {
        throw config_error({fmt::format("workload.model.input: {}", e.what())});
    }
    const model_instance& m = r.inst;
    r.layout = r.stream ? r.stream->layout : plan_model(m, DTQ_APP_DATA_ADDR);
    const model_layout& lay = r.layout;
    const uint64_t end = r.stream ? r.stream->end : lay.end;
    if (end > amap::DRAM_BASE + m_cfg.dram.size)
        throw config_error({fmt::format("dram.size: expected at least {} bytes for {} ({} layers, {} {}), got {}",
                                        end - amap::DRAM_BASE, m.shape.name, m.layers, r.stream ? "batch rows" : "seq", m.seq,
                                        m_cfg.dram.size)});
    std::vector<dtq_layer_params> params = m.params;
    std::vector<int8_t> weight_buffers[2];  // deferred weights (write_deferred_weights)
    // Deferred int8 weights as generated DRAM ranges; their long reads on vssa.threads threads.
    const bool generated = m.deferred_weights && !m.wcomp && !m.all4 && m_cfg.workload.model.weight_store == "generated";
    if (generated) m_dram.set_read_threads(static_cast<unsigned>(m_cfg.vssa.threads));
    for (uint64_t l = 0; l < m.layers; ++l) {
        const uint64_t* w = &lay.weights_at[l * model_layout::WEIGHT_SLOTS];
        dtq_layer_params& p = params[l];
        p.wq = w[0], p.wk = w[1], p.wv = w[2], p.wo = w[3], p.w1 = w[4], p.w2 = w[5], p.ln1_bias = w[6], p.ln2_bias = w[7];
        const uint64_t* x = &lay.extras_at[l * model_layout::EXTRA_SLOTS];  // an imported graph's (0 = none)
        if (lay.args.flags & DTQ_MODEL_EXTRAS) {
            const layer_weights& lw = m.weights[l];
            const dtq_layer_extras e{x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8], x[9], x[10], lw.pre_h, lw.pre_y, lw.lnf,
                                     (lw.pre_ln ? DTQ_EXTRAS_PRE_LN : 0u) | (lw.final_ln ? DTQ_EXTRAS_FINAL_LN : 0u) |
                                         (lw.relu ? DTQ_EXTRAS_RELU : 0u),
                                     0};
            write_dram(lay.params_at + m.layers * sizeof(dtq_layer_params) + l * sizeof(dtq_layer_extras), &e, sizeof e);
        }
        if (functional || m.wcomp) {
            const layer_weights& lw = m.weights[l];
            const std::vector<int8_t>* t[6] = {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.w1, &lw.w2};
            if (generated) {
                for (int i = 0; i < 6; ++i) {  // each matrix a generated range: its bytes computed when read
                    const auto [n, k] = weight_shape(m.shape, i);
                    generate_dram(w[i], n * k, model_weight_generator(m, l, i));
                }
            } else if (m.deferred_weights) {
                write_deferred_weights(l, w, weight_buffers);
            } else {
                for (int i = 0; i < 6; ++i) write_weight(w[i], i, *t[i]);  // int8, or 4-bit codes (and scales) quantized offline
            }
            write_dram(w[6], lw.ln1_bias.data(), lw.ln1_bias.size() * 4);
            write_dram(w[7], lw.ln2_bias.data(), lw.ln2_bias.size() * 4);
            const std::vector<int32_t>* b[6] = {&lw.bq, &lw.bk, &lw.bv, &lw.bo, &lw.b1, &lw.b2};
            for (int i = 0; i < 6; ++i)
                if (x[i]) write_dram(x[i], b[i]->data(), b[i]->size() * 4);
            if (x[6]) write_dram(x[6], lw.ln1_rq.data(), lw.ln1_rq.size() * sizeof(dtq_rq));
            if (x[7]) write_dram(x[7], lw.ln2_rq.data(), lw.ln2_rq.size() * sizeof(dtq_rq));
            if (x[9]) write_dram(x[9], lw.lnf_bias.data(), lw.lnf_bias.size() * 4);
            if (x[10]) write_dram(x[10], lw.lnf_rq.data(), lw.lnf_rq.size() * sizeof(dtq_rq));
            // The accelerator reads the weights from DRAM from now on; only a reference
            // model needs the host copy again (the accuracy proxy's, a request stream's, the
            // ONNX integer pipeline's check in finish_onnx). Without one the copy goes
            // layer by layer, so the DRAM image reuses its memory (peak RSS: weights once).
            if (!m_cfg.workload.model.accuracy && !r.stream && !m_onnx) {
                layer_weights& own = r.inst.weights[l];
                for (std::vector<int8_t>* v : {&own.wq, &own.wk, &own.wv, &own.wo, &own.w1, &own.w2})
                    std::vector<int8_t>().swap(*v);
            }
        }
    }
    write_dram(lay.params_at, params.data(), params.size() * sizeof(dtq_layer_params));
    if (r.stream) {  // the requests: table, inputs, layer-0 precisions
        const stream_layout& st = *r.stream;
        write_dram(st.request_table, st.table.data(), st.table.size() * sizeof(dtq_request));
        for (size_t i = 0; i < st.table.size(); ++i) {
            const request_input& in = st.inputs[i];
            if (functional) write_dram(st.table[i].x, in.x.data(), in.x.size());
            if (!in.prec0.empty()) write_dram(st.table[i].prec0, in.prec0.data(), in.prec0.size());
        }
        write_dram(DTQ_APP_DATA_ADDR, &lay.args, sizeof lay.args);
        m_ops = std::make_unique<op_accounting>();
        return;
    }
    if (functional) {
        write_dram(lay.args.x, m.x.data(), m.x.size());
        if (!m.dec_x.empty()) write_dram(lay.args.dec_x, m.dec_x.data(), m.dec_x.size());
    }
    if (m.topk || m.all4) write_dram(lay.args.prec, m.prec0.data(), m.prec0.size());
    write_dram(DTQ_APP_DATA_ADDR, &lay.args, sizeof lay.args);
    m_ops = std::make_unique<op_accounting>();
}

// Matrix i (0..5: wq wk wv wo w1 w2) of the model to DRAM at `at`, as the accelerator reads it:
// int8, or its 4-bit codes (and scales) or NM24 image made offline (make_weight_image).
void platform::write_weight(uint64_t at, int i, const std::vector<int8_t>& matrix) {
    const model_instance& m = m_model->inst;
    if (!m.wcomp && !m.all4) {
        write_dram(at, matrix.data(), matrix.size());
        return;
    }
    const auto [n, k] = weight_shape(m.shape, i);
    const weight_image img = make_weight_image(m, matrix, n, k);
    write_dram(at, img.b.data(), img.b.size());
    if (!img.scales.empty())
        write_dram(dtq_model_wscales(at, static_cast<uint32_t>(n), static_cast<uint32_t>(k)), img.scales.data(), img.scales.size());
}

// Layer l's six matrices of a model with deferred weights (make_model's host_weights =
// false) to DRAM at w[0..5] (write_weight): each generated into one of two reused buffers
// (the same bytes as the host matrices would have been). With vssa.threads >= 2 a second
// thread generates the next matrix while this one writes the current one (and makes its
// 4-bit or NM24 image).
void platform::write_deferred_weights(uint64_t l, const uint64_t* w, std::vector<int8_t> (&buf)[2]) {
    const model_instance& m = m_model->inst;
    const auto size = [&](int i) { return weight_shape(m.shape, i).first * weight_shape(m.shape, i).second; };
    const auto generate = [&](int i, std::vector<int8_t>& b) {
        b.resize(size(i));
        model_weight_into(m, l, i, b.data());
    };
    if (m_cfg.vssa.threads < 2) {
        for (int i = 0; i < 6; ++i) {
            generate(i, buf[0]);
            write_weight(w[i], i, buf[0]);
        }
        return;
    }
    generate(0, buf[0]);
    for (int i = 0; i < 6; ++i) {
        std::thread next;
        if (i + 1 < 6) next = std::thread([&, i] { generate(i + 1, buf[(i + 1) % 2]); });
        try {
            write_weight(w[i], i, buf[i % 2]);
        } catch (...) {  // (a joinable std::thread must not be destroyed)
            if (next.joinable()) next.join();
            throw;
        }
        if (next.joinable()) next.join();
    }
}

void platform::account_command(const command& c, uint64_t start, const command_outcome& o, uint64_t dram_device_bytes) {
    if (o.error != regs::err::NONE) return;
    model_run& r = *m_model;
    const uint64_t end = o.done_cycle ? o.done_cycle : clk.now();
    r.first_start = std::min(r.first_start, start);
    r.last_end = std::max(r.last_end, end);
    if (c.opcode == regs::op::ATTENTION) {  // fused: DRAM bytes by operand to the survey's ops
        const attention_layer_report& a = m_attention->last();
        r.attention_busy_pe += a.busy_pe_cycles;
        m_ops->account(c, start, end, 0, 0, dram_device_bytes);
        m_ops->op_entry(DTQ_OPTAG_QK, 0, 0, a.dram_qk, 0, 0);
        m_ops->op_entry(DTQ_OPTAG_SV, 0, 0, a.dram_sv, 0, 0);
        m_ops->op_entry(DTQ_OPTAG_OTHER, 0, 0, a.dram_other, 0, 0);
        return;
    }
    m_ops->account(c, start, end, o.dram_bytes_read, o.dram_bytes_written, dram_device_bytes);
}

int platform::finish_model(const run_options& opt) {
    model_run& r = *m_model;
    const model_instance& m = r.inst;
    const uint64_t prefill_end = r.decode_start ? r.decode_start : r.last_end;
    const uint64_t first = r.first_start == UINT64_MAX ? 0 : r.first_start;
    if (m_l2)  // write-backs, booked to the op that wrote the lines
        for (uint32_t op = 0; op < DTQ_OPTAG_COUNT; ++op)
            m_ops->op_entry(op, 0, 0, 0, 0, m_l2->writeback_bytes_of(static_cast<uint8_t>(op)));
    r.stats.counter("layers", "count", "layers run") = m.layers;
    r.stats.counter("seq", "tokens", "sequence length (prefill)") = m.seq;
    r.stats.counter("prefill_cycles", "cycles", "first command to the end of the last layer's commands (prefill)") = prefill_end - first;
    r.stats.counter("decode_tokens", "tokens", "tokens generated after the prefill") = m.decode_tokens;
    const uint64_t dec = r.decode_start ? r.last_end - r.decode_start : 0;
    r.stats.counter("decode_cycles", "cycles", "first decode command to the last") = dec;
    r.stats.derived("decode_cycles_per_token", "cycles", "decode_cycles / decode_tokens",
                    [dec, n = m.decode_tokens] { return n ? static_cast<double>(dec) / static_cast<double>(n) : 0.0; });
    if (m_cfg.mode == sim_mode::functional && !r.stream) {
        // The outputs' digest: equal digests, equal output tensors (how a speed-up is shown
        // to leave the results alone: bench/same_stats.py compares it with every statistic).
        std::vector<uint8_t> out(m.layers * m.seq * m.shape.d_model);
        read_dram(r.layout.args.outputs, out.data(), out.size());
        uint64_t h = fnv1a(FNV_OFFSET, out.data(), out.size());
        if (m.causal && m.decode_tokens) {
            out.resize(m.decode_tokens * m.layers * m.shape.d_model);
            read_dram(r.layout.args.dec_out, out.data(), out.size());
            h = fnv1a(h, out.data(), out.size());
        }
        r.stats.counter("output_fnv1a", "hash",
                        "64-bit FNV-1a of every layer's output tensor in DRAM (layers x seq x d_model int8, then the decode "
                        "steps' outputs): equal in two runs = the same outputs (functional mode)") = h;
    }
    if (r.stream) return finish_stream(opt);
    if (m_onnx) return finish_onnx(opt);
    if (!m_cfg.workload.model.accuracy) return EXIT_OK;
    // Accuracy proxy: the VP's outputs against the all-8-bit reference of the same model
    // and input, on the tokens the VP kept until the last layer.
    const uint64_t d = m.shape.d_model, s = m.seq;
    const std::vector<std::vector<int8_t>> ref = reference_model(m, {});
    std::vector<uint8_t> last(s, 8);
    if (m.topk) read_dram(r.layout.args.prec_log + (m.layers - 1) * s, last.data(), s);
    std::vector<bool> rows(s);
    for (uint64_t t = 0; t < s; ++t) rows[t] = last[t] != 0;
    for (uint64_t l = 0; l < m.layers; ++l) {
        std::vector<int8_t> out(s * d);
        read_dram(r.layout.args.outputs + l * s * d, out.data(), out.size());
        const accuracy a = compare_outputs(out, ref[l], d, rows);
        auto g = std::make_unique<stat_group>(fmt::format("model.accuracy.layer{}", l));
        g->derived("mean_abs_error", "int8 units", "mean |VP - all-8-bit reference| over the kept tokens' outputs",
                   [v = a.mean_abs] { return v; });
        g->derived("max_abs_error", "int8 units", "max |VP - all-8-bit reference|", [v = a.max_abs] { return v; });
        g->derived("cosine", "ratio", "cosine similarity of the VP's and the reference's outputs", [v = a.cosine] { return v; });
        if (!m.outlier_dims.empty()) {  // the few outlier channels dominate the norms: the same without them
            std::vector<bool> regular(d, true);
            for (uint32_t c : m.outlier_dims) regular[c] = false;
            const accuracy ar = compare_outputs(out, ref[l], d, rows, regular);
            g->derived("mean_abs_error_without_outliers", "int8 units", "mean_abs_error over the channels that are not outliers",
                       [v = ar.mean_abs] { return v; });
            g->derived("max_abs_error_without_outliers", "int8 units", "max_abs_error over the channels that are not outliers",
                       [v = ar.max_abs] { return v; });
            g->derived("cosine_without_outliers", "ratio", "cosine over the channels that are not outliers",
                       [v = ar.cosine] { return v; });
            // The reference's magnitudes (docs/encoder.md#outliers): outlier against regular channels.
            double o_abs = 0, r_abs = 0, o_sq = 0, r_sq = 0;
            uint64_t n_o = 0, n_r = 0, sat = 0;
            for (uint64_t t = 0; t < s; ++t) {
                if (!rows[t]) continue;
                for (uint64_t c = 0; c < d; ++c) {
                    const int v = ref[l][t * d + c];
                    const double a2 = static_cast<double>(v) * v;
                    if (v == 127 || v == -128) ++sat;
                    if (regular[c]) { r_abs += std::abs(v); r_sq += a2; ++n_r; }
                    else { o_abs += std::abs(v); o_sq += a2; ++n_o; }
                }
            }
            const auto mean = [](double x, uint64_t n) { return n ? x / static_cast<double>(n) : 0.0; };
            g->derived("ref_outlier_mean_abs", "int8 units", "mean |all-8-bit reference| over the outlier channels (kept tokens)",
                       [v = mean(o_abs, n_o)] { return v; });
            g->derived("ref_regular_mean_abs", "int8 units", "mean |all-8-bit reference| over the other channels (kept tokens)",
                       [v = mean(r_abs, n_r)] { return v; });
            g->derived("ref_regular_rms", "int8 units", "rms of the all-8-bit reference over the other channels (kept tokens)",
                       [v = std::sqrt(mean(r_sq, n_r))] { return v; });
            g->derived("ref_outlier_energy_share", "ratio", "the outlier channels' share of the reference's sum of squares (kept tokens)",
                       [v = o_sq + r_sq > 0 ? o_sq / (o_sq + r_sq) : 0.0] { return v; });
            g->counter("ref_saturated", "count", "reference outputs at -128 or 127 (kept tokens, every channel)") = sat;
        }
        r.layer_stats.push_back(std::move(g));
        if (!opt.quiet && l + 1 == m.layers)
            std::cout << fmt::format("accuracy proxy (layer {} vs all-8-bit): mean |err| {:.3f}, max |err| {:.0f} (int8 units), "
                                     "cosine {:.4f}\n", l, a.mean_abs, a.max_abs, a.cosine);
    }
    return EXIT_OK;
}

// The imported graph's integer pipeline (docs/workloads.md#integer-pipeline): every layer's
// output against reference_model on the same quantized graph with the precisions the VP ran
// (bit for bit: a mismatch is exit 1), and, dequantized, against the float reference on the
// tokens kept until the last layer (the accuracy proxy).
int platform::finish_onnx(const run_options& opt) {
    model_run& r = *m_model;
    const model_instance& m = r.inst;
    const onnx_pipeline& op = *m_onnx;
    const uint64_t d = m.shape.d_model, s = m.seq;
    std::vector<std::vector<uint8_t>> prec(m.layers, std::vector<uint8_t>(s));
    for (uint64_t l = 0; l < m.layers; ++l) read_dram(r.layout.args.prec_log + l * s, prec[l].data(), s);
    const std::vector<std::vector<int8_t>> ref = reference_model(m, prec);
    std::vector<bool> rows(s);
    uint64_t kept = 0;
    for (uint64_t t = 0; t < s; ++t) kept += (rows[t] = prec[m.layers - 1][t] != 0) ? 1 : 0;
    auto og = std::make_unique<stat_group>("onnx");
    og->counter("layers", "count", "transformer layers recognised in the graph (workload.onnx.pipeline integer)") = m.layers;
    og->counter("d_model", "count", "the graph's d_model") = d;
    og->counter("heads", "count", "attention heads") = m.shape.heads;
    og->counter("d_ffn", "count", "the FFN's inner width") = m.shape.d_ffn;
    og->counter("causal", "bool", "the graph's attention mask is causal (a decoder)") = m.causal ? 1 : 0;
    og->counter("pre_ln", "bool", "the layers are pre-LN (LayerNorm before the attention and the FFN, GPT-2 style)") =
        !m.weights.empty() && m.weights[0].pre_ln ? 1 : 0;
    og->counter("final_ln", "bool", "pre-LN: a final LayerNorm after the last layer gives the output (the last layer's)") =
        !m.weights.empty() && m.weights.back().final_ln ? 1 : 0;
    og->counter("calibration_samples", "samples", "input samples the activation scales were calibrated on (workload.onnx.input)") = op.samples;
    og->counter("score_shift", "bits", "the Q/K/V scale 2^-(score_shift / 2) (power of two, calibrated)") = m.score_shift;
    og->derived("import_seconds", "s", "wall time of the import and the recognition of the layers", [v = op.import_seconds] { return v; });
    og->derived("reference_seconds", "s", "wall time of the float reference on the samples, calibration and quantization",
                [v = op.calibration_seconds] { return v; });
    uint64_t mismatches = 0;
    double cos_min = 1.0;
    for (uint64_t l = 0; l < m.layers; ++l) {
        std::vector<int8_t> out(s * d);
        read_dram(r.layout.args.outputs + l * s * d, out.data(), out.size());
        uint64_t diff = 0;
        for (uint64_t t = 0; t < s; ++t)
            for (uint64_t i = 0; i < d; ++i) diff += (prec[l][t] != 0 && out[t * d + i] != ref[l][t * d + i]) ? 1 : 0;
        mismatches += diff;
        // dequantized VP output against the float reference, on the rows kept to the end
        const std::vector<float>& fr = op.float_out[l];
        double dot = 0, na = 0, nb = 0, mx = 0, sum = 0, fmax = 0;
        for (uint64_t t = 0; t < s; ++t) {
            if (!rows[t]) continue;
            for (uint64_t i = 0; i < d; ++i) {
                const double a = out[t * d + i] * op.out_scale[l], b = fr[t * d + i];
                dot += a * b, na += a * a, nb += b * b;
                mx = std::max(mx, std::fabs(a - b));
                sum += std::fabs(a - b);
                fmax = std::max(fmax, std::fabs(b));
            }
        }
        const double cosine = na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 1.0;
        cos_min = std::min(cos_min, cosine);
        const double n = static_cast<double>(kept * d);
        auto g = std::make_unique<stat_group>(fmt::format("onnx.layer{}", l));
        g->counter("mismatches", "elements", "output elements of the kept tokens that differ from reference_model on the quantized graph") = diff;
        g->derived("cosine", "ratio", "cosine of the dequantized VP output and the float reference (tokens kept to the last layer)",
                   [cosine] { return cosine; });
        g->derived("max_abs_error", "float", "max |VP x scale - float reference|", [mx] { return mx; });
        g->derived("mean_abs_error", "float", "mean |VP x scale - float reference|", [v = n > 0 ? sum / n : 0.0] { return v; });
        g->derived("reference_max_abs", "float", "max |float reference| over the same elements", [fmax] { return fmax; });
        g->derived("output_scale", "float", "the int8 scale of the layer's output (calibrated)", [v = op.out_scale[l]] { return v; });
        uint64_t c[3] = {0, 0, 0};
        for (uint8_t b : prec[l]) ++c[b == 0 ? 0 : b == 4 ? 1 : 2];
        g->counter("tokens_pruned", "tokens", "tokens this layer ran pruned (the previous layer's top-k engines; layer 0: padding)") = c[0];
        g->counter("tokens_4bit", "tokens", "tokens this layer ran 4-bit (Q, K and V)") = c[1];
        g->counter("tokens_8bit", "tokens", "tokens this layer ran 8-bit") = c[2];
        for (int k = 0; k < 3; ++k) {
            const double v = static_cast<double>(c[k]) / static_cast<double>(s);
            g->derived(k == 0 ? "ratio_pruned" : k == 1 ? "ratio_4bit" : "ratio_8bit", "ratio", "share of the sequence's tokens", [v] { return v; });
        }
        if (!opt.quiet)
            std::cout << fmt::format("onnx layer {}: tokens {} pruned / {} 4-bit / {} 8-bit; vs reference_model: {} mismatches; "
                                     "vs float: cosine {:.5f}, max |err| {:.4g} (of {:.4g})\n",
                                     l, c[0], c[1], c[2], diff, cosine, mx, fmax);
        r.layer_stats.push_back(std::move(g));
    }
    og->counter("mismatches", "elements", "output elements (all layers, kept tokens) that differ from reference_model") = mismatches;
    og->derived("cosine_min", "ratio", "smallest per-layer cosine against the float reference", [cos_min] { return cos_min; });
    r.layer_stats.push_back(std::move(og));
    if (mismatches) {
        std::cerr << fmt::format("dtqvp: error: the integer pipeline's outputs differ from reference_model in {} elements "
                                 "(onnx.layer<l>.mismatches)\n", mismatches);
        return EXIT_CHECK_FAILED;
    }
    return EXIT_OK;
}

// Percentile by nearest rank: the smallest value with at least p % of the values at or
// below it (docs/batching.md#metrics).
static double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::max<size_t>(rank, 1) - 1];
}

int platform::finish_stream(const run_options& opt) {
    model_run& r = *m_model;
    const stream_layout& st = *r.stream;
    const model_instance& m = r.inst;
    const uint64_t n = st.table.size();
    std::vector<dtq_request> req(n);
    read_dram(st.request_table, req.data(), n * sizeof(dtq_request));
    uint64_t nb = 0;
    for (const auto& q : req) nb = std::max<uint64_t>(nb, q.batch + 1);
    std::vector<dtq_batch_rec> bat(nb);
    read_dram(st.batch_table, bat.data(), nb * sizeof(dtq_batch_rec));
    const double mhz = static_cast<double>(m_cfg.clock_mhz);
    uint64_t tokens = 0, rows = 0, busy = 0, first = UINT64_MAX, last = 0, largest = 0;
    std::vector<double> lat, lat_tok;
    for (const auto& q : req) {
        tokens += q.seq;
        first = std::min(first, q.arrival);
        last = std::max(last, q.done);
        lat.push_back(static_cast<double>(q.done - q.arrival) / mhz);
        lat_tok.push_back(lat.back() / q.seq);
    }
    for (const auto& b : bat) {
        rows += b.rows;
        busy += b.end - b.start;
        largest = std::max<uint64_t>(largest, b.count);
    }
    const uint64_t span = last - first, d = m.shape.d_model, f = m.shape.d_ffn;
    const vssa::vssa_config vc = vssa_config_of(m_cfg, "");
    const double pes = static_cast<double>(vc.rows * vc.cols * vc.arrays);
    const double busy_pe = stats_registry::global().number("compute.gemm_busy_pe_cycles") + static_cast<double>(r.attention_busy_pe);
    // Padding rows run the linear layers as 8-bit rows (4 PE cycles a MAC), or 4-bit with 4-bit weights (1).
    const double pad_pe = static_cast<double>((rows - tokens) * m.layers * (4 * d * d + 2 * d * f) * (m.all4 ? 1 : 4));
    const double dram_bytes = static_cast<double>(m_dram.bytes_read() + m_dram.bytes_written());
    r.serve = std::make_unique<stat_group>("serve");
    stat_group& g = *r.serve;
    g.counter("requests", "count", "requests served") = n;
    g.counter("tokens", "tokens", "tokens of the requests (their sequence lengths)") = tokens;
    g.counter("batches", "count", "batches the firmware formed") = nb;
    g.counter("batch_requests_max", "requests", "requests of the largest batch") = largest;
    g.counter("rows", "rows", "rows the linear layers computed, summed over batches (padding included)") = rows;
    g.counter("padding_rows", "rows", "rows - tokens: padding (policy fixed)") = rows - tokens;
    g.counter("span_cycles", "cycles", "first arrival to the last request's completion") = span;
    g.counter("busy_cycles", "cycles", "sum over batches of launch to completion") = busy;
    const auto stat = [&](const char* name, const char* unit, const char* desc, double v) { g.derived(name, unit, desc, [v] { return v; }); };
    stat("batch_requests_mean", "requests", "requests / batches", nb ? static_cast<double>(n) / static_cast<double>(nb) : 0.0);
    const auto pct = [&](const std::string& base, const char* unit, const char* what, const std::vector<double>& v) {
        double mean = 0;
        for (double x : v) mean += x;
        mean = v.empty() ? 0.0 : mean / static_cast<double>(v.size());
        g.derived(base + "_mean", unit, std::string("mean ") + what, [mean] { return mean; });
        for (auto [p, name] : {std::pair{50.0, "_p50"}, {90.0, "_p90"}, {99.0, "_p99"}, {100.0, "_max"}}) {
            const double x = percentile(v, p);
            g.derived(base + name, unit, fmt::format("{} {}", p == 100.0 ? "largest" : fmt::format("{:.0f}th percentile (nearest rank) of", p), what),
                      [x] { return x; });
        }
    };
    pct("latency_us", "us", "request latency: completion - arrival", lat);
    pct("latency_per_token_us", "us/token", "per-token latency: a request's latency / its tokens", lat_tok);
    const double span_us = static_cast<double>(span) / mhz;
    stat("time_per_token_us", "us/token", "span / tokens: the stream's time per processed token", tokens ? span_us / static_cast<double>(tokens) : 0.0);
    stat("throughput_tokens_per_s", "tokens/s", "tokens / span (simulated time)", span ? static_cast<double>(tokens) / (span_us * 1e-6) : 0.0);
    stat("pe_utilization", "ratio", "VSSA busy PE cycles (GEMM and ATTENTION) / (PEs x busy_cycles): padding counts as busy",
         busy ? busy_pe / (pes * static_cast<double>(busy)) : 0.0);
    stat("pe_utilization_useful", "ratio", "(busy PE cycles - the padding rows' PE cycles) / (PEs x busy_cycles)",
         busy ? (busy_pe - pad_pe) / (pes * static_cast<double>(busy)) : 0.0);
    stat("dram_bytes_per_token", "bytes/token", "DRAM device bytes (read + written) / tokens", tokens ? dram_bytes / static_cast<double>(tokens) : 0.0);
    if (!opt.out_dir.empty()) {  // every request and batch (reported, not thrown: see run())
        nlohmann::json j = {{"requests", nlohmann::json::array()}, {"batches", nlohmann::json::array()}};
        for (uint64_t i = 0; i < n; ++i) {
            const auto& q = req[i];
            j["requests"].push_back({{"id", i}, {"arrival_cycle", q.arrival}, {"seq", q.seq}, {"batch", q.batch}, {"start_cycle", q.start},
                                     {"done_cycle", q.done}, {"latency_us", lat[i]}, {"latency_per_token_us", lat_tok[i]}});
        }
        for (const auto& b : bat)
            j["batches"].push_back({{"first", b.first}, {"count", b.count}, {"tokens", b.tokens}, {"rows", b.rows},
                                    {"start_cycle", b.start}, {"end_cycle", b.end}});
        try {
            write_output(opt.out_dir + "/requests.json", j.dump(1) + "\n");
        } catch (const output_error& e) {
            std::cerr << "dtqvp: error: " << e.what() << '\n';
            return EXIT_SIM_ERROR;
        }
    }
    if (!opt.quiet)
        std::cout << fmt::format("served {} requests ({} tokens) in {} batches ({} policy): {:.2f} us/token over the span, "
                                 "per-token latency p50 {:.2f} / p90 {:.2f} / p99 {:.2f} / max {:.2f} us/token, "
                                 "{:.0f} tokens/s, PE utilization {:.3f} (useful {:.3f}), {:.0f} DRAM bytes/token\n",
                                 n, tokens, nb, m_cfg.workload.batching.policy, tokens ? span_us / static_cast<double>(tokens) : 0.0,
                                 percentile(lat_tok, 50), percentile(lat_tok, 90), percentile(lat_tok, 99), percentile(lat_tok, 100),
                                 span ? static_cast<double>(tokens) / (span_us * 1e-6) : 0.0,
                                 busy ? busy_pe / (pes * static_cast<double>(busy)) : 0.0,
                                 busy ? (busy_pe - pad_pe) / (pes * static_cast<double>(busy)) : 0.0,
                                 tokens ? dram_bytes / static_cast<double>(tokens) : 0.0);
    return EXIT_OK;
}

int platform::run_firmware(const run_options& opt, const nlohmann::json& j) {
    if (!m_host.failure().empty()) {  // an unexpected trap (rv32): a firmware bug, like a failed check
        std::cerr << "dtqvp: error: " << m_host.failure() << '\n';
        return EXIT_CHECK_FAILED;
    }
    if (m_host.spinning()) {
        std::cerr << fmt::format("dtqvp: error: watchdog: firmware '{}' ran {} cycles without the accelerator completing a "
                                 "command, at cycle {} (a loop that waits for something that does not come?)\n",
                                 m_host.app_name(), m_fw_waited, clk.now());
        std::cerr << "controller state:\n" << m_ctrl.dump();
        return EXIT_SIM_ERROR;
    }
    if (m_fw_watchdog || !m_host.finished()) {
        std::cerr << fmt::format("dtqvp: error: watchdog: firmware '{}' waited for an interrupt for {} cycles at cycle {}{}\n",
                                 m_host.app_name(), m_fw_waited ? m_fw_waited : clk.now() - m_host.wfi_start(), clk.now(),
                                 m_fw_watchdog ? "" : " (nothing left to simulate: no interrupt can come)");
        std::cerr << "controller state:\n" << m_ctrl.dump();
        return EXIT_SIM_ERROR;
    }
    (void)j;
    if (!m_attention->unit_failure().empty()) {  // e.g. a VSSA lockstep mismatch: the model is wrong, not the firmware
        std::cerr << "dtqvp: error: the attention unit failed: " << m_attention->unit_failure() << '\n';
        return EXIT_SIM_ERROR;
    }
    if (!m_compute->unit_failure().empty()) {
        std::cerr << "dtqvp: error: a compute unit failed: " << m_compute->unit_failure() << '\n';
        return EXIT_SIM_ERROR;
    }
    if (m_host.exit_code() != 0) {
        std::cerr << fmt::format("dtqvp: check failed: firmware '{}' exited with {}\n", m_host.app_name(), m_host.exit_code());
        return EXIT_CHECK_FAILED;
    }
    return EXIT_OK;
}

platform::~platform() = default;

int platform::stopped(const run_options&) {
    if (m_budget && m_budget->fired != run_budget::reason::none) {
        if (m_budget->fired == run_budget::reason::cycles)
            std::cerr << fmt::format("dtqvp: error: run budget: the run reached budget.max_cycles = {} simulated cycles; "
                                     "raise budget.max_cycles (0 = no limit) if it is legitimately this long\n",
                                     m_cfg.budget.max_cycles);
        else
            std::cerr << fmt::format("dtqvp: error: run budget: the run took budget.wall_seconds = {} s of wall-clock time "
                                     "(at cycle {}); raise budget.wall_seconds (0 = no limit) if it is legitimately this long\n",
                                     m_cfg.budget.wall_seconds, clk.now());
        std::cerr << state_dump();
        return EXIT_SIM_ERROR;
    }
    if (m_watchdog && m_watchdog->fired) {
        if (m_driver) {
            std::cerr << fmt::format("dtqvp: error: watchdog: no progress for {} cycles at cycle {}\n",
                                     m_cfg.watchdog.timeout_cycles, clk.now());
            std::cerr << fmt::format("  workload ({}): busy, progress {}\n", m_cfg.workload.kind, m_driver->progress);
        } else {
            std::cerr << fmt::format("dtqvp: error: watchdog: no progress for {} cycles at cycle {}: firmware '{}' only "
                                     "read registers (polling?) while the controller was idle\n",
                                     m_cfg.watchdog.timeout_cycles, clk.now(), m_host.app_name());
            std::cerr << state_dump();
        }
        return EXIT_SIM_ERROR;
    }
    return EXIT_OK;
}

// The rv32 ELF of a built-in app: DATA/riscv/APP.elf, for DATA the data folder
// (frontend/data_dir.h): PREFIX/share/dtqvp/riscv when installed, build/share/dtqvp/riscv (a
// link to build/sw/riscv) in the build tree. No path of the build tree is compiled in.
std::string platform::rv32_app_elf(const std::string& app) {
    const std::string data = data_dir();
    return (data.empty() ? std::string("share/dtqvp") : data) + "/riscv/" + app + ".elf";
}

int platform::run(const run_options& opt) {
    if (!m_setup_error.empty()) {
        std::cerr << "dtqvp: error: host.cpu rv32: " << m_setup_error << '\n';
        return EXIT_BAD_CONFIG;
    }
    if (m_driver) {
        m_driver->show_progress = opt.progress && !opt.quiet;
        m_driver->out_dir = opt.out_dir;
    }
    if (!opt.out_dir.empty()) {  // workloads write into it
        std::error_code ec;
        std::filesystem::create_directories(opt.out_dir, ec);
        if (ec) {
            std::cerr << fmt::format("dtqvp: error: cannot create directories {}: {}\n", opt.out_dir, ec.message());
            return EXIT_SIM_ERROR;
        }
    }
    if (m_cfg.workload.kind == "firmware" || runs_model()) {  // the console: live, and kept in DIR/console.txt
        m_host.set_console(!opt.quiet, opt.out_dir.empty() ? "" : opt.out_dir + "/console.txt", opt.gdb_port);
        if (opt.gdb_port && !m_host.rv32()) {
            std::cerr << "dtqvp: error: --gdb needs host.cpu rv32 (the debugger attaches to the ISS running the ELF)\n";
            return EXIT_BAD_CONFIG;
        }
    }
    if (!opt.trace_file.empty()) {
        trace::global().enable(opt.trace_max_events, clk.period_ps());
        m_power_sampler = std::make_unique<power_sampler>("power_sampler", *m_energy, clk, 10000, m_cfg.clock_mhz);
    }
    // The controller records every change of its signals itself (an sc_trace file samples only
    // when the kernel advances, and misses what happens between two of its time steps under
    // temporal decoupling: the interrupt, the counters).
    if (!opt.vcd_file.empty()) m_ctrl.record_waveform();
    if (m_cfg.vssa.backend == "model" && !opt.rtl_vcd_file.empty() && !opt.quiet)
        std::cerr << "dtqvp: warning: --rtl-vcd needs vssa.backend rtl or lockstep; no RTL waveform\n";
    if (!opt.rtl_vcd_file.empty()) vssa::set_tile_waveform(opt.rtl_vcd_file, opt.rtl_vcd_tile);
    if (opt.progress && !opt.quiet && !progress_line::global().enabled())
        progress_line::global().enable(std::cerr, m_cfg.name);
    if (m_ops && opt.progress && !opt.quiet) {  // progress by layer (the tags of the firmware's commands)
        // Done: the layer passes started, of layers x (1 + decode tokens); a decode pass of a
        // layer is shorter than a prefill pass, so the fraction runs slow at first in decode.
        m_ops->on_layer = [this, passes = uint64_t{0}](uint64_t layer, uint64_t cycle) mutable {
            const model_instance& m = m_model->inst;
            const uint64_t total = m.layers * (1 + m.decode_tokens);
            ++passes;
            const bool decoding = m_model->decode_start != 0;
            const uint64_t token = decoding && m.layers ? std::min(m.decode_tokens, (passes - 1) / m.layers) : 0;
            const std::string phase =
                decoding ? fmt::format("decode token {}/{}, layer {}/{}", std::max<uint64_t>(token, 1), m.decode_tokens,
                                       layer + 1, m.layers)
                         : fmt::format("prefill layer {}/{}", layer + 1, m.layers);
            progress_line::global().update(phase, total ? double(passes - 1) / double(total) : -1.0, cycle);
        };
    }
    if (!m_ops) progress_line::global().update("running");
    const bool log_gemms = !opt.out_dir.empty() && m_cfg.mode == sim_mode::functional;
    vssa::gemm_log_enable(log_gemms);
    const auto t0 = std::chrono::steady_clock::now();
    if (m_budget) m_budget->restart_wall();
    // Backstop: a run whose simulated time stands still (a process that never yields) cannot
    // be stopped from inside the simulation; past the wall budget and a grace period this
    // thread ends the process with exit code 3.
    std::mutex bs_mutex;
    std::condition_variable bs_cv;
    bool bs_done = false;
    std::thread backstop;
    if (m_cfg.budget.wall_seconds)
        backstop = std::thread([&, limit = m_cfg.budget.wall_seconds] {
            const auto grace = std::chrono::seconds(limit + std::max<uint64_t>(30, limit / 10));
            std::unique_lock<std::mutex> lk(bs_mutex);
            if (bs_cv.wait_for(lk, grace, [&] { return bs_done; })) return;
            std::fprintf(stderr, "dtqvp: error: run budget: the run took budget.wall_seconds = %llu s of wall-clock time "
                                 "and its simulated time stands still (a process that never yields): ended\n",
                         static_cast<unsigned long long>(limit));
            std::fflush(stderr);
            std::_Exit(EXIT_SIM_ERROR);
        });
    sc_start();
    asan_restore_main_stack();  // an output error thrown below is then no false ASan report
    if (backstop.joinable()) {
        {
            std::lock_guard<std::mutex> lk(bs_mutex);
            bs_done = true;
        }
        bs_cv.notify_all();
        backstop.join();
    }
    if (!opt.vcd_file.empty()) {
        try {
            m_ctrl.write_vcd(opt.vcd_file);
        } catch (const output_error& e) {
            std::cerr << "dtqvp: error: " << e.what() << '\n';
            return EXIT_SIM_ERROR;
        } catch (const std::system_error& e) {  // fmt::print into a full device
            std::cerr << fmt::format("dtqvp: error: cannot write {}: write failed ({})\n", opt.vcd_file, e.code().message());
            return EXIT_SIM_ERROR;
        }
    }
    progress_line::global().clear();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (m_model && m_host.finished() && m_host.exit_code() == 0) {
        const int rc = finish_model(opt);
        if (rc != EXIT_OK) return rc;
    }
    int gemm_rc = EXIT_OK;
    if (m_gemm && m_host.finished() && m_host.exit_code() == 0)
        gemm_rc = m_gemm->finish([this](uint64_t a, void* p, uint64_t n) { read_dram(a, p, n); }, opt.out_dir, opt.quiet, std::cout);
    m_energy->finish(clk.now());  // energy.*, power.*, perf.*, area.* from the counters (docs/energy.md)
    run_info info{clk.now(), wall};
    const nlohmann::json j = stats_json(m_cfg, info);
    if (!opt.out_dir.empty()) {
        // Reported here, not thrown: an exception unwinding through sc_main past the SystemC
        // objects trips ASan on the coroutine stacks' stale poisoning (a false positive).
        try {
            std::filesystem::create_directories(opt.out_dir);
            write_stats_json(opt.out_dir + "/stats.json", j);
            if (log_gemms) {  // the exact int8 GEMMs the run computed (bench/model_gemm replays them)
                nlohmann::json g = nlohmann::json::array();
                for (const auto& s : vssa::gemm_log()) g.push_back({{"m", s.m}, {"n", s.n}, {"k", s.k}, {"count", s.count}});
                write_output(opt.out_dir + "/gemms.json", g.dump(1) + "\n");
            }
        } catch (const std::exception& e) {
            std::cerr << "dtqvp: error: " << e.what() << '\n';
            return EXIT_SIM_ERROR;
        }
    }
    if (!opt.quiet) print_summary(std::cout, j);
    if (!opt.trace_file.empty()) {
        try {
            trace::global().write(opt.trace_file);
        } catch (const output_error& e) {
            std::cerr << "dtqvp: error: " << std::string(e.what()).replace(0, 13, "cannot write the trace ") << '\n';
            return EXIT_SIM_ERROR;
        } catch (const std::system_error& e) {  // fmt::print into a full device
            std::cerr << fmt::format("dtqvp: error: cannot write the trace {}: write failed ({})\n", opt.trace_file,
                                     e.code().message());
            return EXIT_SIM_ERROR;
        }
        if (trace::global().dropped() && !opt.quiet)
            std::cerr << fmt::format("dtqvp: warning: trace capped at {} events, {} dropped (--trace-max-events)\n",
                                     opt.trace_max_events, trace::global().dropped());
    }
    if (const int rc = stopped(opt); rc != EXIT_OK) return rc;
    if (!opt.rtl_vcd_file.empty() && m_cfg.vssa.backend != "model") {
        const vssa::tile_waveform_status w = vssa::tile_waveform();
        if (w.failed) {
            std::cerr << fmt::format("dtqvp: error: cannot write {} (--rtl-vcd)\n", opt.rtl_vcd_file);
            return EXIT_SIM_ERROR;
        }
        if (!w.written) {
            std::cerr << fmt::format("dtqvp: error: --rtl-vcd-tile {}: the run had {} RTL tiles{}: no waveform written to {}\n",
                                     opt.rtl_vcd_tile, w.rtl_tiles_run,
                                     w.rtl_tiles_run ? fmt::format(" (0 to {})", w.rtl_tiles_run - 1) : std::string(),
                                     opt.rtl_vcd_file);
            return EXIT_BAD_CONFIG;
        }
    }
    if (!m_driver) {
        const int rc = run_firmware(opt, j);
        return rc == EXIT_OK ? gemm_rc : rc;
    }
    if (!m_driver->check_failed.empty()) {
        std::cerr << "dtqvp: check failed: " << m_driver->check_failed << '\n';
        return EXIT_CHECK_FAILED;
    }
    if (!m_driver->error.empty()) {
        std::cerr << "dtqvp: error: " << m_driver->error << '\n';
        return EXIT_SIM_ERROR;
    }
    return EXIT_OK;
}

}  // namespace dtq
