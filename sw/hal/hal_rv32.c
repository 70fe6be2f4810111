/* HAL for a bare-metal rv32 host: volatile MMIO. The 32-bit host reaches DRAM through
 * the HOST_DRAM_ALIAS window (host 0x8000_0000 + x = DRAM_BASE + x, dtq_regs.h); every
 * other address is used as is. dtq_wait_irq sleeps in `wfi` with the machine external
 * interrupt enabled in mie but interrupts globally off (mstatus.MIE = 0): wfi wakes on a
 * pending enabled interrupt, no handler runs, and the driver reads IRQ_STATUS itself. */
#include <stdint.h>
#include <stdio.h>

#include "dtq_hal.h"
#include "dtq_regs.h"

#define MIP_MEIP (1u << 11)
/* CSR instructions need Zicsr, which -march=rv32imac (the project's target string) does
 * not name for binutils >= 2.38: enable it around each use only. */
#define ZICSR(insn) ".option push\n.option arch, +zicsr\n" insn "\n.option pop"

static uintptr_t host_addr(uint64_t a) {
    if (a >= DTQ_DRAM_BASE && a - DTQ_DRAM_BASE < DTQ_HOST_DRAM_ALIAS_SIZE)
        return (uintptr_t)(DTQ_HOST_DRAM_ALIAS_BASE + (a - DTQ_DRAM_BASE));
    return (uintptr_t)a;
}

uint32_t dtq_rd32(uint64_t addr) { return *(volatile uint32_t *)host_addr(addr); }

void dtq_wr32(uint64_t addr, uint32_t value) { *(volatile uint32_t *)host_addr(addr) = value; }

void dtq_rd_block(uint64_t addr, void *dst, uint32_t len) {
    const volatile uint8_t *s = (const volatile uint8_t *)host_addr(addr);
    uint8_t *d = (uint8_t *)dst;
    uint32_t i;
    for (i = 0; i < len; i++) d[i] = s[i];
}

void dtq_wr_block(uint64_t addr, const void *src, uint32_t len) {
    volatile uint8_t *d = (volatile uint8_t *)host_addr(addr);
    const uint8_t *s = (const uint8_t *)src;
    uint32_t i;
    for (i = 0; i < len; i++) d[i] = s[i];
}

void dtq_wmb(void) { __asm__ volatile("fence w,o" ::: "memory"); }

int dtq_wait_irq(void) {
    uint32_t mip;
    __asm__ volatile(ZICSR("csrs mie, %0") ::"r"(MIP_MEIP));
    for (;;) {
        __asm__ volatile(ZICSR("csrr %0, mip") : "=r"(mip));
        if (mip & MIP_MEIP) return DTQ_HAL_OK;
        __asm__ volatile("wfi");
    }
}

uint64_t dtq_now_cycles(void) {
    uint32_t hi, lo, hi2;
    do {
        __asm__ volatile(ZICSR("rdcycleh %0") : "=r"(hi));
        __asm__ volatile(ZICSR("rdcycle %0") : "=r"(lo));
        __asm__ volatile(ZICSR("rdcycleh %0") : "=r"(hi2));
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

/* Spins on the cycle CSR: no bus traffic (the VP host models the same wait as one wait()). */
void dtq_idle_until(uint64_t cycle) {
    while (dtq_now_cycles() < cycle) {
    }
}

/* Console: picolibc stdio (semihosting on the rv32 target). */
void dtq_puts(const char *s) { fputs(s, stdout); }
