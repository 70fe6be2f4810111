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

#include <functional>
#include <string>

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
    uint64_t now_cycles() const;
    // The core idles (spins on its cycle counter, no bus traffic) until `cycle`: one
    // wait() instead of a loop; returns at once when the cycle has passed.
    void idle_until(uint64_t cycle);
    void puts(const char* s);
    // The core computes for `cycles` (no bus traffic): a non-linear kernel of `elements`
    // elements (hostmath_vp.cpp). Local time advances; the quantum keeper syncs as usual.
    void compute(uint64_t cycles, uint64_t elements);
    const host_config& config() const { return m_cfg; }

private:
    void run();
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
};

}  // namespace dtq
