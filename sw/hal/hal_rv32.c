/* HAL for a bare-metal rv32 host: volatile MMIO. The 32-bit host reaches DRAM through
 * the HOST_DRAM_ALIAS window (host 0x8000_0000 + x = DRAM_BASE + x, dtq_regs.h); every
 * other address is used as is.
 *
 * dtq_wait_irq sleeps in `wfi` with the machine external interrupt enabled in mie but
 * interrupts globally off (mstatus.MIE = 0): wfi wakes on a pending enabled interrupt, no
 * handler runs, and the driver reads IRQ_STATUS itself (it loops, so a spurious wake-up is
 * harmless). dtq_now_cycles reads the core-local timer mtime (a CLINT's, at 0x0200_BFF8),
 * which counts host cycles. The console is semihosting (SYS_WRITE0), the call picolibc's
 * stdio already uses on this target (docs/firmware.md#rv32). */
#include <stdint.h>

#include "dtq_hal.h"
#include "dtq_regs.h"

#define MIE_MEIE (1u << 11)
#define DTQ_MTIME_ADDR 0x0200BFF8u /* core-local timer (CLINT layout): 64-bit host cycle count */
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

/* Word accesses where both sides are aligned (a 4-byte bus transaction each), bytes at the
 * edges: the same bytes as a byte loop, a quarter of the bus transactions. */
void dtq_rd_block(uint64_t addr, void *dst, uint32_t len) {
    uintptr_t s = host_addr(addr);
    uint8_t *d = (uint8_t *)dst;
    while (len && ((s & 3u) || ((uintptr_t)d & 3u))) {
        if (((s ^ (uintptr_t)d) & 3u) != 0) break; /* never both aligned: bytes */
        *d++ = *(const volatile uint8_t *)s++;
        len--;
    }
    if (((s | (uintptr_t)d) & 3u) == 0)
        for (; len >= 4; len -= 4, s += 4, d += 4) *(uint32_t *)(void *)d = *(const volatile uint32_t *)s;
    for (; len; len--) *d++ = *(const volatile uint8_t *)s++;
}

void dtq_wr_block(uint64_t addr, const void *src, uint32_t len) {
    uintptr_t d = host_addr(addr);
    const uint8_t *s = (const uint8_t *)src;
    while (len && ((d & 3u) || ((uintptr_t)s & 3u))) {
        if (((d ^ (uintptr_t)s) & 3u) != 0) break;
        *(volatile uint8_t *)d++ = *s++;
        len--;
    }
    if (((d | (uintptr_t)s) & 3u) == 0)
        for (; len >= 4; len -= 4, s += 4, d += 4) *(volatile uint32_t *)d = *(const uint32_t *)(const void *)s;
    for (; len; len--) *(volatile uint8_t *)d++ = *s++;
}

void dtq_wmb(void) { __asm__ volatile("fence w,o" ::: "memory"); }

int dtq_wait_irq(void) {
    __asm__ volatile(ZICSR("csrs mie, %0") ::"r"(MIE_MEIE));
    __asm__ volatile("wfi" ::: "memory");
    return DTQ_HAL_OK;
}

uint64_t dtq_now_cycles(void) {
    const volatile uint32_t *mt = (const volatile uint32_t *)DTQ_MTIME_ADDR;
    uint32_t hi, lo;
    do {
        hi = mt[1];
        lo = mt[0];
    } while (hi != mt[1]);
    return ((uint64_t)hi << 32) | lo;
}

/* Spins on the timer: no bus traffic (the VP's native host models the same wait as one wait()). */
void dtq_idle_until(uint64_t cycle) {
    while (dtq_now_cycles() < cycle) {
    }
}

/* Semihosting call: the sequence the RISC-V semihosting specification defines. */
static long dtq_semihost(long op, const void *arg) {
    register long a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = arg;
    __asm__ volatile(".option push\n.option norvc\n"
                     "slli x0, x0, 0x1f\n"
                     "ebreak\n"
                     "srai x0, x0, 7\n"
                     ".option pop"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return a0;
}

void dtq_puts(const char *s) { (void)dtq_semihost(0x04 /* SYS_WRITE0 */, s); }
