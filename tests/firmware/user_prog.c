/* A firmware developer's own program, outside sw/: built with `sw/fw-build -o user_prog.elf
 * user_prog.c` and run with `dtqvp run scenarios/firmware_hello.yaml --set
 * workload.firmware_elf=user_prog.elf` (tests/firmware/CMakeLists.txt). argv[1] picks what it
 * does (workload.firmware_args):
 *   (none)    DMA + GEMM through the driver, result checked in C, one register read through a
 *             raw volatile pointer, %lu / %-5d / PRIu32 prints; returns 0
 *   exit7     returns 7
 *   irq       takes the controller's interrupt through mtvec and checks mcause
 *   wfi       sleeps in WFI with no interrupt enabled (the watchdog must stop it)
 *   illegal   executes an illegal instruction in do_illegal()
 *   unmapped  loads from an address no device decodes in do_unmapped_load()
 *   hang      prints a line, then spins for ever
 *   delay     a delay loop on dtq_now_cycles() that must end */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "dtq_driver.h"
#include "dtq_hal.h"
#include "dtq_regs.h"

#define ZICSR(insn) ".option push\n.option arch, +zicsr\n" insn "\n.option pop"
#define DATA (DTQ_DRAM_BASE + UINT64_C(0x00200000))
#define RING (DTQ_DRAM_BASE + UINT64_C(0x00100000))
#define M 4
#define N 3
#define K 8

volatile uint32_t g_counter;    /* a variable the GDB test reads */
static volatile uint32_t g_irq_cause, g_irq_seen;

__attribute__((noinline)) uint32_t compute_checksum(const int32_t *c, uint32_t n) { /* the GDB test breaks here */
    uint32_t s = 0, i;
    for (i = 0; i < n; i++) s = s * 31u + (uint32_t)c[i];
    g_counter = s;
    return s;
}

static int dma_and_gemm(void) {
    dtq_dev dev;
    dtq_cmd cmd;
    int8_t a[M * K], b[N * K]; /* A row-major M x K, B column-major (N columns of K) */
    int32_t c[M * N], want[M * N];
    uint8_t src[64], back[64];
    uint32_t i, j, k;
    int rc;
    for (i = 0; i < M * K; i++) a[i] = (int8_t)((int)(i * 7u % 23u) - 11);
    for (i = 0; i < N * K; i++) b[i] = (int8_t)((int)(i * 5u % 19u) - 9);
    for (i = 0; i < sizeof src; i++) src[i] = (uint8_t)(255u - i);
    dtq_wr_block(DATA, src, sizeof src);
    dtq_wr_block(DATA + 0x100, a, sizeof a);
    dtq_wr_block(DATA + 0x200, b, sizeof b);
    rc = dtq_init(&dev, RING, 16, DTQ_WAIT_IRQ);
    if (rc != DTQ_OK) return 10;
    dtq_cmd_dma(&cmd, DATA, DTQ_SCRATCHPAD_BASE, sizeof src);
    dtq_submit(&dev, &cmd);
    dtq_cmd_gemm(&cmd, DATA + 0x100, DATA + 0x200, DATA + 0x400, 0, M, N, K);
    dtq_submit(&dev, &cmd);
    if (dtq_wait_idle(&dev) != DTQ_OK) return 11;
    dtq_rd_block(DTQ_SCRATCHPAD_BASE, back, sizeof back);
    if (memcmp(src, back, sizeof src) != 0) return 12;
    dtq_rd_block(DATA + 0x400, c, sizeof c);
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            int32_t s = 0;
            for (k = 0; k < K; k++) s += (int32_t)a[i * K + k] * (int32_t)b[j * K + k];
            want[i * N + j] = s;
        }
    if (memcmp(c, want, sizeof c) != 0) {
        dtq_printf("user_prog: GEMM mismatch: c[0] = %d, expected %d\n", (int)c[0], (int)want[0]);
        return 13;
    }
    {
        /* one register through a raw pointer (only the ISS has device addresses as memory) */
        const uint32_t id = *(volatile uint32_t *)(uintptr_t)DTQ_ID;
        unsigned long ul = 4000000000ul;
        dtq_printf("user_prog: ID 0x%08" PRIx32 ", %lu, [%-5d], [%5d], %" PRIu32 " commands\n", id, ul, -42, 17,
                   dtq_rd32(DTQ_PERF_CMDS_COMPLETED));
        if (id != DTQ_DEVICE_ID) return 14;
    }
    dtq_printf("user_prog: DMA and GEMM ok, checksum %" PRIu32 "\n", compute_checksum(c, M * N));
    return 0;
}

static void __attribute__((interrupt("machine"), aligned(4))) on_trap(void) { /* mtvec needs 4-byte alignment */
    uint32_t cause;
    __asm__ volatile(ZICSR("csrr %0, mcause") : "=r"(cause));
    g_irq_cause = cause;
    g_irq_seen = 1;
    dtq_wr32(DTQ_IRQ_STATUS, dtq_rd32(DTQ_IRQ_STATUS)); /* W1C: the line drops */
}

static int irq_through_mtvec(void) {
    dtq_dev dev;
    dtq_cmd cmd;
    uint32_t spins = 0;
    if (dtq_init(&dev, RING, 16, DTQ_WAIT_POLL) != DTQ_OK) return 20;
    __asm__ volatile(ZICSR("csrw mtvec, %0") ::"r"((uintptr_t)on_trap));
    dtq_wr32(DTQ_IRQ_ENABLE, DTQ_IRQ_MARKER);
    __asm__ volatile(ZICSR("csrs mie, %0") ::"r"(1u << 11));  /* MEIE */
    __asm__ volatile(ZICSR("csrsi mstatus, 8"));             /* MIE */
    dtq_cmd_marker(&cmd, 0x1234u);
    dtq_submit(&dev, &cmd);
    while (!g_irq_seen) spins++;
    dtq_printf("user_prog: interrupt taken, mcause 0x%08" PRIx32 ", marker 0x%" PRIx32 "\n", g_irq_cause,
               dtq_rd32(DTQ_MARKER_VALUE));
    return g_irq_cause == 0x8000000Bu ? 0 : 21;
}

__attribute__((noinline)) void do_illegal(void) { __asm__ volatile(".word 0"); }
__attribute__((noinline)) uint32_t do_unmapped_load(void) { return *(volatile uint32_t *)(uintptr_t)0x30000000u; }

static int str_eq(const char *a, const char *b) { return strcmp(a, b) == 0; }

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (str_eq(mode, "exit7")) return 7;
    if (str_eq(mode, "irq")) return irq_through_mtvec();
    if (str_eq(mode, "wfi")) {
        __asm__ volatile(ZICSR("csrc mie, %0") ::"r"(1u << 11));
        __asm__ volatile("wfi");
        return 30;
    }
    if (str_eq(mode, "illegal")) {
        do_illegal();
        return 31;
    }
    if (str_eq(mode, "unmapped")) return (int)do_unmapped_load();
    if (str_eq(mode, "hang")) {
        dtq_printf("user_prog: before the hang\n");
        for (;;) g_counter++;
    }
    if (str_eq(mode, "delay")) {
        const uint64_t t0 = dtq_now_cycles();
        while (dtq_now_cycles() < t0 + 1000) {
        }
        dtq_printf("user_prog: waited %" PRIu32 " cycles\n", (uint32_t)(dtq_now_cycles() - t0));
        return 0;
    }
    return dma_and_gemm();
}
