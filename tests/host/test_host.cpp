// Host model and HAL: timing of one access, the docs/firmware.md example, WFI timeout
// and a firmware that waits for ever (the simulator must return, not hang).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "../ctrl/ctrl_bench.h"

using namespace dtq;
using dtq::test::ctrl_bench;

// A register read: core 1 + bus 1 + controller 1 = 3 cycles; a 64 B DRAM write:
// core 1 + bus 1 + 1 beat + 100 latency = 103 cycles.
TEST_CASE("host: HAL accesses cost core + bus + target cycles", "[host]") {
    ctrl_bench b("b");
    uint64_t t_reg = 0, t_dram = 0, t_sync = 0;
    b.run([&] {
        const uint64_t t0 = dtq_now_cycles();
        (void)dtq_rd32(DTQ_ID);
        t_reg = dtq_now_cycles() - t0;
        uint8_t line[64] = {};
        const uint64_t t1 = dtq_now_cycles();
        dtq_wr_block(DTQ_APP_DATA_ADDR, line, 64);
        t_dram = dtq_now_cycles() - t1;
        for (int i = 0; i < 1000; ++i) (void)dtq_rd32(DTQ_ID);  // crosses quanta: time keeps adding up
        t_sync = dtq_now_cycles() - t1;
        return 0;
    });
    CHECK(t_reg == 3);
    CHECK(t_dram == 103);
    CHECK(t_sync == 103 + 3000);
    CHECK(b.host.finished());
}

TEST_CASE("host: the docs/firmware.md example (hello) runs and prints", "[host][sw]") {
    ctrl_bench b("b");
    const dtq_app* app = dtq_app_find("hello");
    REQUIRE(app != nullptr);
    const int rc = b.run(app->main);
    INFO(b.host.output());
    CHECK(rc == 0);
    CHECK(b.host.output().find("hello: marker 0x600d, 2 commands") != std::string::npos);
    std::vector<uint8_t> spad(b.scratchpad.data(), b.scratchpad.data() + 256);
    for (unsigned i = 0; i < 256; ++i) REQUIRE(spad[i] == uint8_t(i * 3 + 1));
}

TEST_CASE("host: app registry lists every app and rejects unknown names", "[host][sw]") {
    uint32_t n = 0;
    const dtq_app* all = dtq_app_list(&n);
    REQUIRE(n == 5);
    CHECK(std::string(all[0].name) == "selftest");
    CHECK(dtq_app_find("hello") == &all[1]);
    CHECK(dtq_app_find("attention") == &all[2]);
    CHECK(dtq_app_find("encoder") == &all[3]);
    CHECK(dtq_app_find("gemm") == &all[4]);
    CHECK(dtq_app_find("nope") == nullptr);
}

TEST_CASE("host: a WFI with nothing pending times out after exactly the timeout", "[host]") {
    host_config hc;
    hc.wfi_timeout_cycles = 500;
    ctrl_bench b("b", hc);
    int hook_calls = 0;
    b.host.set_wfi_timeout(500, [&](uint64_t waited) { return ++hook_calls < 3; });  // keep waiting twice
    uint64_t waited = 0;
    int rc_wfi = 0;
    b.run([&] {
        dtq_wr32(DTQ_IRQ_ENABLE, DTQ_IRQ_CMD_DONE);
        const uint64_t t0 = dtq_now_cycles();
        rc_wfi = dtq_wait_irq();
        waited = dtq_now_cycles() - t0;
        dtq_dev d;
        dtq_init(&d, DTQ_APP_RING_ADDR, 4, DTQ_WAIT_IRQ);
        return dtq_wait_bits(&d, DTQ_IRQ_CMD_DONE, nullptr) == DTQ_ETIMEDOUT ? 0 : 1;  // driver maps it
    });
    CHECK(rc_wfi == DTQ_HAL_TIMEOUT);
    CHECK(waited == 3 * 500);
    CHECK(hook_calls == 4);  // 3 for the first WFI, 1 (give up) for the driver's
    CHECK(b.host.exit_code() == 0);
    CHECK(stats_registry::global().number("b.host.wfi_timeouts") == 2);
}

TEST_CASE("host: a firmware that waits for ever does not hang the simulator", "[host]") {
    ctrl_bench b("b");
    b.run([] {
        dtq_wr32(DTQ_IRQ_ENABLE, DTQ_IRQ_CMD_DONE);
        dtq_wait_irq();  // nothing will ever come
        return 0;
    });
    CHECK_FALSE(b.host.finished());  // sc_start returned: no event left
    CHECK(b.host.exit_code() == -1);
}

// ---- native-mode guards (models/host/native_guard.cpp). The guard ends the process, so the
// bench runs in a forked child; the parent (which elaborates nothing) checks the child's exit
// code and what it wrote to stderr.
#include <sys/wait.h>
#include <unistd.h>

namespace {
struct child_result {
    int code = -1;
    std::string err;
};
template <class F>
child_result in_child(F&& body) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        body();
        _exit(0);
    }
    close(fds[1]);
    child_result r;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) r.err.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}
}  // namespace

TEST_CASE("host: native firmware spinning without HAL calls is stopped with exit code 3", "[host][guard]") {
    const child_result r = in_child([] {
        host_config hc;
        hc.native_wall_limit_s = 0.3;
        ctrl_bench b("b", hc);
        b.run([] {
            volatile uint32_t x = 0;
            for (;;) x = x + 1;  // never calls the HAL: no simulated time, no wait()
            return 0;
        });
    });
    INFO(r.err);
    CHECK(r.code == 3);
    CHECK(r.err.find("firmware 'test' made no HAL call for 0.3 s of wall time") != std::string::npos);
}

TEST_CASE("host: a native raw pointer to a device register is reported by its address", "[host][guard]") {
    const child_result r = in_child([] {
        ctrl_bench b("b");
        b.run([] {
            *reinterpret_cast<volatile uint32_t*>(static_cast<uintptr_t>(DTQ_DOORBELL)) = 1;  // not through the HAL
            return 0;
        });
    });
    INFO(r.err);
    CHECK(r.code == 1);
    CHECK(r.err.find(fmt::format("firmware 'test' accessed address 0x{:x} (CTRL + 0x{:x}) with a raw pointer",
                                 DTQ_DOORBELL, DTQ_DOORBELL - DTQ_CTRL_BASE)) != std::string::npos);
    CHECK(r.err.find("host.cpu: rv32") != std::string::npos);
}

TEST_CASE("host: dtq_now_cycles advances in a delay loop, a single read stays free", "[host]") {
    ctrl_bench b("b");
    uint64_t t0 = 0, t1 = 0, loops = 0;
    b.run([&] {
        t0 = dtq_now_cycles();
        while (dtq_now_cycles() < t0 + 1000) ++loops;  // as on hardware: the loop ends
        t1 = dtq_now_cycles();
        return 0;
    });
    // reads 2..64 return t0 (63 free reads at one instant), then read 64 + k returns t0 + k:
    // the loop body runs for reads 2..1063, read 1064 returns t0 + 1000 and ends it
    CHECK(loops == 1062);
    CHECK(t1 == t0 + 1001);
}
