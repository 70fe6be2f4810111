/* Hardware abstraction layer of the firmware: every bus access (registers and the
 * command ring in DRAM) goes through these calls. Two implementations:
 *   - the VP: models/host/hal_vp.cpp, over the host model's TLM socket (bus timing);
 *   - rv32 bare metal: sw/hal/hal_rv32.c, volatile loads/stores (DRAM through the
 *     HOST_DRAM_ALIAS window, see docs/firmware.md).
 * Addresses are system bus addresses (dtq_regs.h: DTQ_<REG>, DTQ_DRAM_BASE + x). */
#ifndef DTQ_HAL_H
#define DTQ_HAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DTQ_HAL_OK 0
#define DTQ_HAL_TIMEOUT (-1) /* dtq_wait_irq gave up (VP: host WFI timeout) */

uint32_t dtq_rd32(uint64_t addr);                 /* 32-bit read; a bus error reads 0xFFFFFFFF */
void dtq_wr32(uint64_t addr, uint32_t value);      /* 32-bit write */
void dtq_rd_block(uint64_t addr, void *dst, uint32_t len);       /* memory -> firmware buffer */
void dtq_wr_block(uint64_t addr, const void *src, uint32_t len); /* firmware buffer -> memory */
void dtq_wmb(void);              /* earlier writes are visible before later ones (ring, then doorbell) */
int dtq_wait_irq(void);          /* WFI: returns DTQ_HAL_OK once the IRQ line is high (at once if it is) */
uint64_t dtq_now_cycles(void);   /* VP: accelerator cycles; rv32: the core's cycle CSR */
void dtq_idle_until(uint64_t cycle); /* the core idles (no bus traffic) until dtq_now_cycles() >= cycle */
void dtq_puts(const char *s);    /* console output, written as is (no newline added) */

/* Formatted console output (sw/hal/dtq_print.c, portable): %d %i %u %x %X %p %s %c %%,
 * flags '-' (left-justify) and '0', a width, and the length modifiers hh h l ll z j t, so
 * <inttypes.h>'s PRIu32 / PRIx64 ... work on both builds (PRIu32 is "lu" on rv32). No
 * precision and no floating point. */
void dtq_printf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* DTQ_HAL_H */
