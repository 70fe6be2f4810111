#include "host/host.h"

#include <algorithm>
#include <iostream>
#include <vector>

#include "common/timing_only.h"
#include "common/trace.h"
#include "dtq_hal.h"

namespace dtq {

using namespace sc_core;

namespace {
std::vector<host*>& hosts() {
    static std::vector<host*> v;
    return v;
}
}  // namespace

host::host(const sc_module_name& name, const host_config& cfg, const clock& clk)
    : sc_module(name),
      mem("mem"),
      m_cfg(cfg),
      m_clk(clk),
      m_wfi_timeout(cfg.wfi_timeout_cycles),
      m_stats(this->name()),
      m_reads(m_stats.counter("reads", "count", "HAL read transactions (registers and memory)")),
      m_writes(m_stats.counter("writes", "count", "HAL write transactions")),
      m_bytes(m_stats.counter("bytes", "bytes", "bytes moved by HAL transactions")),
      m_bus_errors(m_stats.counter("bus_errors", "count", "HAL transactions answered with a TLM error")),
      m_wfis(m_stats.counter("wfi", "count", "dtq_wait_irq calls")),
      m_wfi_cycles(m_stats.counter("wfi_cycles", "cycles", "cycles spent waiting for an interrupt")),
      m_wfi_timeouts(m_stats.counter("wfi_timeouts", "count", "WFIs that gave up (timeout)")),
      m_compute_cycles(m_stats.counter("nonlinear_cycles", "cycles", "cycles the core computed non-linear ops (softmax, LayerNorm, GELU on the host)")),
      m_compute_elements(m_stats.counter("nonlinear_elements", "count", "elements of the non-linear ops the core computed")),
      m_idle_cycles(m_stats.counter("idle_cycles", "cycles", "cycles the core idled until a given cycle (dtq_idle_until)")),
      m_instructions(m_stats.counter("instructions", "count", "rv32: instructions the ISS retired (native: 0, not counted)")),
      m_mmio(m_stats.counter("mmio_accesses", "count", "bus transactions the core issued (HAL calls natively, loads/stores outside flash and RAM on rv32)")),
      m_cycles(m_stats.counter("cycles", "cycles", "cycle at which the firmware finished (its run time on the core, waits included)")),
      m_irqs_taken(m_stats.counter("interrupts_taken", "count", "rv32: machine external interrupts taken through mtvec")) {
    // The quantum is global (tlm_global_quantum): set it only if nobody did.
    if (tlm::tlm_global_quantum::instance().get() == SC_ZERO_TIME)
        tlm::tlm_global_quantum::instance().set(m_clk.time(cfg.quantum_cycles));
    m_qk.reset();
    SC_THREAD(run);
    // The rv32 ISS (Unicorn's translator and its callbacks) runs on this thread's stack, and
    // so does native firmware with its local buffers: more than SystemC's default.
    set_stack_size(2u << 20);
    m_proc = sc_get_current_process_handle();
    hosts().push_back(this);
}

host::~host() {
    native_guard_stop();
    hosts().erase(std::remove(hosts().begin(), hosts().end(), this), hosts().end()); }

void host::set_app(std::string name, std::function<int()> app) {
    m_app_name = std::move(name);
    m_app = std::move(app);
}

void host::set_wfi_timeout(uint64_t cycles, std::function<bool(uint64_t)> hook) {
    m_wfi_timeout = cycles;
    m_wfi_hook = std::move(hook);
}

host* host::current() {
    auto& v = hosts();
    if (v.size() == 1) return v[0];
    const sc_process_handle p = sc_get_current_process_handle();
    for (host* h : v)
        if (h->m_proc == p) return h;
    return nullptr;
}

void host::run() {
    m_qk.reset();
    if (m_iss) {
        if (!run_rv32() && m_failure.empty()) return;  // stopped by the watchdog: not finished
    } else {
        native_guard_start();
        m_exit_code = m_app ? m_app() : -1;
        native_guard_stop();
    }
    m_qk.sync();
    m_cycles = m_clk.now();
    if (!m_line.empty()) console_line_out();
    if (!m_failure.empty()) {  // a trap or a guard: the run stops here
        m_done.notify(SC_ZERO_TIME);
        sc_stop();
        return;
    }
    m_finished = true;
    m_done.notify(SC_ZERO_TIME);
    if (m_cfg.stop_on_exit) sc_stop();
}

bool host::access(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len) {
    m_qk.inc(m_clk.time(m_cfg.access_cycles));  // the core issues the access
    bool ok = false;
    {   // the payload is gone before the sync below can suspend this thread (a stopped run leaks nothing)
        tlm::tlm_generic_payload tx;
        init_payload(tx, cmd, addr, data, len);
        tx.set_dmi_allowed(false);
        sc_time d = m_qk.get_local_time();
        mem->b_transport(tx, d);
        m_qk.set(d);
        ok = tx.is_response_ok();
    }
    (cmd == tlm::TLM_READ_COMMAND ? m_reads : m_writes)++;
    ++m_mmio;
    m_bytes += len;
    const bool reg = addr >= m_cfg.mmio_base && addr - m_cfg.mmio_base < m_cfg.mmio_size;
    if (reg) {
        ++m_reg_accesses;
        if (cmd == tlm::TLM_WRITE_COMMAND) ++m_reg_writes;  // configuring the device: work, not polling
    } else {
        m_mem_bytes += len;
    }
    if (!ok) ++m_bus_errors;
    if (m_qk.need_sync()) {
        m_memory_wait = !reg;  // a memory access in flight (a slow DRAM): progress, unlike a polling loop's sync
        m_qk.sync();
        m_memory_wait = false;
    }
    return ok;
}

uint32_t host::rd32(uint64_t addr) {
    uint8_t b[4] = {0, 0, 0, 0};
    if (!access(tlm::TLM_READ_COMMAND, addr, b, 4)) return 0xFFFFFFFFu;  // a bus error reads all-ones
    return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

void host::wr32(uint64_t addr, uint32_t v) {
    uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
                    static_cast<uint8_t>(v >> 24)};
    access(tlm::TLM_WRITE_COMMAND, addr, b, 4);
}

void host::rd_block(uint64_t addr, void* dst, uint32_t len) {
    auto* p = static_cast<uint8_t*>(dst);
    for (uint32_t off = 0; off < len;) {
        const auto n = static_cast<unsigned>(std::min<uint64_t>(m_cfg.burst_bytes, len - off));
        if (!access(tlm::TLM_READ_COMMAND, addr + off, p + off, n)) std::fill(p + off, p + off + n, 0xFF);
        off += n;
    }
}

void host::wr_block(uint64_t addr, const void* src, uint32_t len) {
    std::vector<uint8_t> tmp(static_cast<const uint8_t*>(src), static_cast<const uint8_t*>(src) + len);
    for (uint32_t off = 0; off < len;) {
        const auto n = static_cast<unsigned>(std::min<uint64_t>(m_cfg.burst_bytes, len - off));
        access(tlm::TLM_WRITE_COMMAND, addr + off, tmp.data() + off, n);
        off += n;
    }
}

int host::wait_irq() { return wait_irq_when(true); }

int host::wait_irq_when(bool enabled) {
    m_qk.sync();  // local time catches up: the interrupt is seen at its exact cycle
    ++m_wfis;
    const uint64_t start = m_clk.now();
    m_wfi_start = start;
    uint64_t deadline = start + m_wfi_timeout;
    while (!(enabled && irq.level())) {
        if (m_wfi_timeout == 0) {
            wait(irq.changed());
            continue;
        }
        if (m_clk.now() >= deadline) {
            if (m_wfi_hook && m_wfi_hook(m_clk.now() - start)) {
                deadline += m_wfi_timeout;
                continue;
            }
            ++m_wfi_timeouts;
            m_wfi_cycles += m_clk.now() - start;
            m_qk.reset();
            return DTQ_HAL_TIMEOUT;
        }
        wait(m_clk.time(deadline) - sc_time_stamp(), irq.changed());
    }
    m_wfi_cycles += m_clk.now() - start;
    if (trace::global().enabled()) trace::global().span("host", "wait for interrupt", start, m_clk.now());
    m_qk.reset();
    return DTQ_HAL_OK;
}

uint64_t host::now_cycles() {
    uint64_t now = m_clk.cycles(sc_time_stamp() + m_qk.get_local_time());
    // Read again and again at one simulated instant: the core is in a delay loop around the
    // read, and a loop takes time. After SPIN_READS reads at the same instant each further
    // read costs a cycle, so `while (dtq_now_cycles() < t)` ends as on hardware instead of
    // spinning at one instant for ever; the few reads a firmware makes at once stay free.
    constexpr uint64_t SPIN_READS = 64;
    if (now == m_last_now) {
        if (++m_same_reads >= SPIN_READS) {
            m_qk.inc(m_clk.time(1));
            if (m_qk.need_sync()) m_qk.sync();
            ++now;
        }
    } else {
        m_same_reads = 0;
    }
    m_last_now = now;
    return now;
}

void host::idle_until(uint64_t cycle) {
    m_qk.sync();  // local time catches up first: the wait ends at exactly `cycle`
    const uint64_t now = m_clk.now();
    if (cycle <= now) return;
    wait(m_clk.time(cycle) - sc_core::sc_time_stamp());
    m_idle_cycles += cycle - now;
    m_qk.reset();
}

void host::compute(uint64_t cycles, uint64_t elements) {
    if (cycles == 0) return;
    m_qk.inc(m_clk.time(cycles));
    m_compute_cycles += cycles;
    m_compute_elements += elements;
    if (m_qk.need_sync()) m_qk.sync();
}

void host::puts(const char* s) {
    m_output += s;
    for (; *s; ++s) {
        m_line += *s;
        if (*s == '\n') console_line_out();
    }
}

// One complete line of the console: live on stdout (unless quiet) and into console.txt,
// each flushed at once so that a run that hangs or is killed keeps what it printed.
void host::console_line_out() {
    if (m_cfg.echo) std::cout << m_line << std::flush;
    if (m_console.is_open()) m_console << m_line << std::flush;
    m_line.clear();
}

void host::set_console_file(const std::string& path) {
    m_console.open(path, std::ios::out | std::ios::trunc);
}

void host::fail(std::string msg) {
    if (m_failure.empty()) m_failure = std::move(msg);
}

}  // namespace dtq
