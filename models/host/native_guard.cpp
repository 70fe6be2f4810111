// Guards of the native (host-compiled) firmware, which runs as plain C++ inside the
// simulator and so cannot be stopped or checked by the cycle watchdog alone
// (docs/firmware.md#never-hang):
//  - a loop that never calls the HAL never yields to SystemC: a wall-clock thread stops the
//    run (exit code 3) when no HAL call came for host_config::native_wall_limit_s seconds;
//  - a raw pointer to a device address (`*(volatile uint32_t*)DTQ_DOORBELL = 1`) is not a
//    device access in this process but a stray pointer: SIGSEGV. The handler names the
//    address and its region and points to the HAL and to host.cpu: rv32 (exit code 1, a
//    firmware bug like an rv32 trap), instead of a bare segmentation fault.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

#include "ctrl/regs_gen.h"
#include "host/host.h"

namespace dtq {

std::atomic<uint64_t> g_native_hal_calls{0};  // bumped by every HAL call (hal_vp.cpp)

namespace {

volatile sig_atomic_t g_in_native_app = 0;
char g_app_name[64];
struct sigaction g_old_segv, g_old_bus;
bool g_handler_installed = false;

// Async-signal-safe output helpers.
void put(const char* s) {
    const ssize_t r = ::write(2, s, std::strlen(s));
    (void)r;
}
void put_hex(uint64_t v) {
    char b[19] = "0x";
    int n = 0;
    char t[16];
    do {
        t[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    for (int i = 0; i < n; ++i) b[2 + i] = t[n - 1 - i];
    b[2 + n] = '\0';
    put(b);
}

void on_fault(int sig, siginfo_t* si, void* ctx) {
    const auto a = reinterpret_cast<uint64_t>(si->si_addr);
    const regs::region_info* reg = nullptr;
    for (const auto& r : regs::ADDRESS_MAP)
        if (a >= r.base && a - r.base < r.size) reg = &r;
    if (!g_in_native_app || !reg) {  // not a device address of the firmware's: the old action (a crash of the simulator)
        sigaction(sig, sig == SIGSEGV ? &g_old_segv : &g_old_bus, nullptr);
        (void)ctx;
        return;  // the faulting instruction runs again under the old handler
    }
    put("\ndtqvp: error: firmware '");
    put(g_app_name);
    put("' accessed address ");
    put_hex(a);
    put(" (");
    put(reg->name);
    put(" + ");
    put_hex(a - reg->base);
    put(")");
    put(" with a raw pointer: native firmware (host.cpu: native) runs inside the simulator, where device "
        "addresses are not memory. Use the HAL (dtq_rd32, dtq_wr32, dtq_rd_block, dtq_wr_block), or run the "
        "rv32 ELF on the ISS (host.cpu: rv32, or workload.firmware_elf), where loads and stores reach the bus\n");
    _exit(1);
}

}  // namespace

struct host::native_guard {
    std::thread thread;
    std::mutex mu;
    std::condition_variable cv;
    bool stop = false;
};

void host::guard_del::operator()(native_guard* p) const { delete p; }

void host::native_guard_start() {
    std::snprintf(g_app_name, sizeof g_app_name, "%s", m_app_name.c_str());
    if (!g_handler_installed) {
        static char alt[1 << 16];  // the handler runs on its own stack (the firmware's may be the culprit)
        stack_t ss{};
        ss.ss_sp = alt;
        ss.ss_size = sizeof alt;
        sigaltstack(&ss, nullptr);
        struct sigaction sa{};
        sa.sa_sigaction = on_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, &g_old_segv);
        sigaction(SIGBUS, &sa, &g_old_bus);
        g_handler_installed = true;
    }
    g_in_native_app = 1;
    if (m_cfg.native_wall_limit_s <= 0 || m_guard) return;
    m_guard.reset(new native_guard);
    const double limit = m_cfg.native_wall_limit_s;
    native_guard* g = m_guard.get();
    std::string app = m_app_name;
    g->thread = std::thread([g, limit, app] {
        using clk = std::chrono::steady_clock;
        uint64_t seen = g_native_hal_calls.load();
        auto last = clk::now();
        std::unique_lock<std::mutex> lk(g->mu);
        while (!g->stop) {
            g->cv.wait_for(lk, std::chrono::milliseconds(50));
            const uint64_t now_calls = g_native_hal_calls.load();
            if (now_calls != seen) {
                seen = now_calls;
                last = clk::now();
            } else if (std::chrono::duration<double>(clk::now() - last).count() >= limit && !g->stop) {
                std::cout << std::flush;
                std::cerr << "\ndtqvp: error: firmware '" << app << "' made no HAL call for " << limit
                          << " s of wall time: it loops without touching the device or the clock (a spin on a "
                             "variable, an empty for(;;)), which native firmware cannot do inside the simulator. "
                             "Sleep in dtq_wait_irq or poll through the HAL, or run the ELF with host.cpu: rv32 "
                             "(the cycle watchdog covers it there). Limit: host.native_wall_limit_s\n"
                          << std::flush;
                std::_Exit(3);
            }
        }
    });
}

void host::native_guard_stop() {
    g_in_native_app = 0;
    if (!m_guard) return;
    {
        std::lock_guard<std::mutex> lk(m_guard->mu);
        m_guard->stop = true;
    }
    m_guard->cv.notify_all();
    if (m_guard->thread.joinable()) m_guard->thread.join();
    m_guard.reset();
}

}  // namespace dtq
