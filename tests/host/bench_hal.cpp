// Wall-time cost of the firmware path on the VP: one register read through the HAL
// (host -> bus -> ctrl) and one command round trip (descriptor write, tail, doorbell,
// fetch, decode, completion interrupt, WFI wake-up). Prints ns per operation.
#include <systemc>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "../ctrl/ctrl_bench.h"

static const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

int sc_main(int argc, char* argv[]) {
    const int regs_n = argc > 1 ? std::atoi(argv[1]) : 2000000;
    const int cmds_n = argc > 2 ? std::atoi(argv[2]) : 200000;
    dtq::test::ctrl_bench b("b");
    double ns_reg = 0, ns_cmd_irq = 0, ns_cmd_batch = 0;
    uint64_t cyc_cmd = 0;
    b.host.set_app("bench", [&] {
        using clk = std::chrono::steady_clock;
        volatile uint32_t sink = 0;
        auto t0 = clk::now();
        for (int i = 0; i < regs_n; ++i) sink = sink + dtq_rd32(DTQ_ID);
        ns_reg = std::chrono::duration<double, std::nano>(clk::now() - t0).count() / regs_n;

        dtq_dev d;
        dtq_init(&d, DTQ_APP_RING_ADDR, 256, DTQ_WAIT_IRQ);
        dtq_cmd c;
        dtq_cmd_nop(&c);
        c.flags = DTQ_DESC_FLAG_IRQ;
        const uint64_t c0 = dtq_now_cycles();
        t0 = clk::now();
        for (int i = 0; i < cmds_n; ++i) {  // one at a time: submit, sleep, wake on CMD_DONE
            dtq_submit(&d, &c);
            dtq_wait_bits(&d, DTQ_IRQ_CMD_DONE, nullptr);
        }
        ns_cmd_irq = std::chrono::duration<double, std::nano>(clk::now() - t0).count() / cmds_n;
        cyc_cmd = (dtq_now_cycles() - c0) / cmds_n;

        dtq_cmd_nop(&c);
        t0 = clk::now();
        for (int i = 0; i < cmds_n; ++i)  // queued: the ring stays busy
            while (dtq_submit(&d, &c) == DTQ_EBUSY) dtq_wait_bits(&d, DTQ_IRQ_QUEUE_EMPTY, nullptr);
        dtq_wait_idle(&d);
        ns_cmd_batch = std::chrono::duration<double, std::nano>(clk::now() - t0).count() / cmds_n;
        return 0;
    });
    sc_core::sc_start();
    std::printf("register read (HAL -> bus -> ctrl):            %8.1f ns/access  (%d reads)\n", ns_reg, regs_n);
    std::printf("command round trip (submit, IRQ, WFI wake-up): %8.1f ns/command (%d NOPs, %llu simulated cycles each)\n",
                ns_cmd_irq, cmds_n, static_cast<unsigned long long>(cyc_cmd));
    std::printf("queued commands (ring of 256, no IRQ each):    %8.1f ns/command\n", ns_cmd_batch);
    return b.host.exit_code();
}
