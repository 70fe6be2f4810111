// Host CPU model: one SC_THREAD runs a bare-metal firmware app (sw/, compiled natively)
// whose HAL calls (sw/include/dtq_hal.h, implemented in hal_vp.cpp) become TLM
// transactions on `mem`, so every register and ring access has bus timing.
//
// Timing: each HAL access costs `access_cycles` of the core before it is issued, then
// the bus and target latency (blocking, in order). Block accesses go out in bursts of at
// most `burst_bytes`, each costing access_cycles. Local time runs ahead of SystemC time
// with a tlm_quantumkeeper (quantum `quantum_cycles`); it syncs at the quantum, before a
// WFI and at the end of the app.
//
// A firmware that waits forever cannot hang the simulator: with no event left SystemC
// returns from sc_start (finished() is then false), and `wfi_timeout_cycles` (or
// set_wfi_timeout) makes dtq_wait_irq() return DTQ_HAL_TIMEOUT after that long unless the
// hook asks to keep waiting (the platform watchdog's entry point).
#pragma once
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/stats.h"
#include "ctrl/irq.h"

namespace dtq {

struct host_config {
    uint64_t access_cycles = 1;       // core cost of one HAL access (docs/firmware.md#timing)
    uint64_t burst_bytes = 64;        // largest single transaction of dtq_rd_block/dtq_wr_block
    uint64_t quantum_cycles = 1000;   // temporal decoupling quantum
    uint64_t wfi_timeout_cycles = 0;  // 0 = a WFI waits for ever
    bool stop_on_exit = false;        // sc_stop() when the app returns
    bool echo = false;                // copy dtq_puts output to stdout as well
    // Non-linear ops on the host core (sw/include/dtq_hostmath.h): cycles per element, the
    // float kernels with dequantize/requantize on an in-order core
    // (docs/timing-model.md#host-cpu-non-linear-ops), and whether to skip the arithmetic
    // (timing mode: the data are not meaningful, only the time is).
    uint64_t softmax_cycles_per_element = 70;    // the scenario keys host.*_cycles_per_element set these
    uint64_t layernorm_cycles_per_element = 25;
    uint64_t gelu_cycles_per_element = 60;
    bool timing_only = false;
    // The register window (bus addresses [mmio_base, mmio_base + mmio_size)): accesses there
    // are polling, not work, for work() (the platform watchdog's notion of progress).
    uint64_t mmio_base = 0, mmio_size = 0;
    // rv32 mode (set_elf): the instruction-set simulator (docs/firmware.md#rv32). Time =
    // retired instructions x cpi host cycles, plus access_cycles and the bus time of every
    // MMIO access.
    double cpi = 1.0;
    uint64_t iss_quantum_instructions = 100000;  // the ISS returns to SystemC at least this often
    uint16_t gdb_port = 0;                       // > 0: wait for GDB on localhost:port before the first instruction
    // native mode: wall-clock seconds the firmware may run without calling the HAL (a loop that
    // never touches the device cannot be interrupted otherwise; docs/firmware.md#never-hang).
    double native_wall_limit_s = 0;  // native mode: stop (exit 3) after this long without a HAL call; 0 = off
};

class host : public sc_core::sc_module {
public:
    tlm_utils::simple_initiator_socket<host> mem;  // to the bus
    irq_in irq;                                    // from the controller

    SC_HAS_PROCESS(host);
    host(const sc_core::sc_module_name& name, const host_config& cfg, const clock& clk);
    ~host() override;
    host(const host&) = delete;
    host& operator=(const host&) = delete;

    // The app the thread runs at time 0 (set before sc_start). An app is any int(void):
    // sw/apps/apps.h's dtq_app_find("selftest")->main, or a test's own function.
    void set_app(std::string name, std::function<int()> app);
    // Called when a WFI waited `cycles` without an interrupt; return true to keep waiting
    // another `cycles`, false to make dtq_wait_irq() return DTQ_HAL_TIMEOUT.
    void set_wfi_timeout(uint64_t cycles, std::function<bool(uint64_t waited)> hook);
    // rv32 mode: the thread runs this ELF on the ISS instead of a native app; `args` are its
    // command line (argv[1..], semihosting SYS_GET_CMDLINE). Errors (no file, not an rv32
    // executable) are reported by load_elf's return value ("" = fine).
    std::string set_elf(const std::string& path, std::vector<std::string> args);
    bool rv32() const { return m_iss != nullptr; }
    // Console: every dtq_puts / semihosting write, also appended (and flushed by line) to this file.
    void set_console_file(const std::string& path);
    // Console to stdout as lines complete (echo), and to `file` ("" = none); rv32: GDB port (0 = none).
    void set_console(bool echo, const std::string& file, uint16_t gdb_port) {
        m_cfg.echo = echo;
        if (!file.empty()) set_console_file(file);
        m_cfg.gdb_port = gdb_port;
    }
    uint64_t wfi_start() const { return m_wfi_start; }  // cycle the last WFI began
    bool spinning() const { return m_spinning; }  // rv32: the watchdog stopped a program that was running, not sleeping
    // The run stopped on an unexpected trap (rv32) or a guard (native): what happened.
    const std::string& failure() const { return m_failure; }
    uint64_t instructions() const { return m_instructions; }

    bool finished() const { return m_finished; }
    int exit_code() const { return m_exit_code; }
    const std::string& output() const { return m_output; }
    const std::string& app_name() const { return m_app_name; }
    const sc_core::sc_event& done() const { return m_done; }  // notified when the app returned
    uint64_t bus_errors() const { return m_bus_errors; }
    // Grows with the core's real work: bytes it moved outside the register window, register
    // writes, cycles it computed or idled until a given cycle. Register reads alone (a
    // polling loop) leave it unchanged.
    uint64_t work() const { return m_mem_bytes + m_reg_writes + m_compute_cycles + m_idle_cycles; }
    uint64_t register_accesses() const { return m_reg_accesses; }
    // The core waits for a memory (not register) access to complete: work in flight.
    bool waiting_for_memory() const { return m_memory_wait; }

    // HAL back end (hal_vp.cpp). `current()` is the host whose thread is running.
    static host* current();
    uint32_t rd32(uint64_t addr);
    void wr32(uint64_t addr, uint32_t v);
    void rd_block(uint64_t addr, void* dst, uint32_t len);
    void wr_block(uint64_t addr, const void* src, uint32_t len);
    int wait_irq();
    uint64_t now_cycles();
    // The core idles (spins on its cycle counter, no bus traffic) until `cycle`: one
    // wait() instead of a loop; returns at once when the cycle has passed.
    void idle_until(uint64_t cycle);
    void puts(const char* s);
    // The core computes for `cycles` (no bus traffic): a non-linear kernel of `elements`
    // elements (hostmath_vp.cpp). Local time advances; the quantum keeper syncs as usual.
    void compute(uint64_t cycles, uint64_t elements);
    const host_config& config() const { return m_cfg; }

    // rv32 back end (rv32_iss.cpp); public for the C callbacks of the ISS library.
    struct iss;
    struct iss_del {
        void operator()(iss* p) const;
    };
    struct native_guard;
    struct guard_del {
        void operator()(native_guard* p) const;
    };
    bool iss_access(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len) { return access(cmd, addr, data, len); }
    void charge_instructions();
    int iss_wait_irq(bool enabled);
    int wait_irq_when(bool enabled);  // WFI: until the line is high (never, if !enabled), with the WFI timeout
    bool debug_access(bool write, uint64_t addr, uint8_t* data, unsigned len);  // GDB: no time, no statistics

private:
    void run();
    bool run_rv32();  // false: stopped (trap, watchdog), not finished
    void fail(std::string msg);
    void native_guard_start();
    void native_guard_stop();
    void console_line_out();
    bool access(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len);

    host_config m_cfg;
    clock m_clk;
    tlm_utils::tlm_quantumkeeper m_qk;
    std::string m_app_name;
    std::function<int()> m_app;
    uint64_t m_wfi_timeout = 0;
    std::function<bool(uint64_t)> m_wfi_hook;
    sc_core::sc_process_handle m_proc;
    sc_core::sc_event m_done;
    bool m_finished = false;
    int m_exit_code = -1;
    std::string m_output;
    uint64_t m_mem_bytes = 0, m_reg_accesses = 0, m_reg_writes = 0;
    std::string m_line;            // console: the line being written (printed live when complete)
    std::ofstream m_console;
    std::unique_ptr<iss, iss_del> m_iss;
    std::string m_failure;
    uint64_t m_charged_cycles = 0;
    uint64_t m_last_now = ~0ull;   // dtq_now_cycles: the value it returned last
    uint64_t m_same_reads = 0;     // ... and how many reads in a row returned that instant
    uint64_t m_wfi_start = 0;
    bool m_spinning = false;
    std::unique_ptr<native_guard, guard_del> m_guard;
    bool m_memory_wait = false;

    stat_group m_stats;
    uint64_t& m_reads;
    uint64_t& m_writes;
    uint64_t& m_bytes;
    uint64_t& m_bus_errors;
    uint64_t& m_wfis;
    uint64_t& m_wfi_cycles;
    uint64_t& m_wfi_timeouts;
    uint64_t& m_compute_cycles;
    uint64_t& m_compute_elements;
    uint64_t& m_idle_cycles;
    uint64_t& m_instructions;
    uint64_t& m_mmio;
    uint64_t& m_cycles;
    uint64_t& m_irqs_taken;
};

}  // namespace dtq
