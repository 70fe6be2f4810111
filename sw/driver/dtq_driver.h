/* DTQAtten driver: freestanding C99 (no heap, no OS). Every bus access goes through the
 * HAL (dtq_hal.h); every constant comes from the generated dtq_regs.h.
 *
 *   dtq_dev dev;
 *   dtq_init(&dev, ring_addr, 64, DTQ_WAIT_IRQ);   // reset, ring, interrupts, enable
 *   dtq_cmd c; dtq_cmd_dma(&c, src, dst, bytes);   // build a descriptor
 *   dtq_submit(&dev, &c);                          // DTQ_EBUSY when the ring is full
 *   dtq_wait_idle(&dev);                           // DTQ_EDEVICE after a device error
 */
#ifndef DTQ_DRIVER_H
#define DTQ_DRIVER_H

#include <stdint.h>

#include "dtq_regs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Driver return codes (negative; device error codes are DTQ_ERR_* from dtq_regs.h). */
#define DTQ_OK 0
#define DTQ_EBUSY (-1)     /* ring full */
#define DTQ_EINVAL (-2)    /* bad argument (ring size, alignment, capacity) */
#define DTQ_ETIMEDOUT (-3) /* no interrupt / completion in time */
#define DTQ_EDEVICE (-4)   /* the device latched an error: see dtq_get_error */
#define DTQ_ENODEV (-5)    /* ID or VERSION do not match dtq_regs.h */

enum dtq_wait_mode { DTQ_WAIT_POLL = 0, DTQ_WAIT_IRQ = 1 };

typedef struct dtq_dev {
    uint64_t ring_addr;   /* bus address of the ring (DRAM, 64-byte aligned) */
    uint32_t ring_len;    /* entries (2..65536) */
    uint32_t tail;        /* next free slot (the driver's copy of CMD_TAIL) */
    uint32_t irq_enable;  /* the driver's copy of IRQ_ENABLE */
    int mode;             /* enum dtq_wait_mode */
    uint32_t poll_limit;  /* polls before DTQ_ETIMEDOUT in DTQ_WAIT_POLL mode (0 = for ever) */
} dtq_dev;

typedef struct dtq_error_info {
    uint32_t code;        /* DTQ_ERR_* */
    uint64_t addr;        /* ERR_ADDR */
    uint32_t cmd_index;   /* ERR_CMD_INDEX (0xFFFFFFFF: not a command's error) */
} dtq_error_info;

typedef struct dtq_counters {
    uint32_t busy[DTQ_UNIT_COUNT]; /* PERF_*_BUSY, DTQ_UNIT_* order */
    uint32_t cmds_completed;
    uint32_t stall_cycles;
    uint32_t ctrl_busy;
    uint64_t dram_bytes_read;
    uint64_t dram_bytes_written;
} dtq_counters;

/* Checks ID/VERSION, soft-resets the device, programs the ring and enables it. */
int dtq_init(dtq_dev *d, uint64_t ring_addr, uint32_t ring_len, int mode);
/* Free slots in the ring (reads CMD_HEAD). */
uint32_t dtq_free_slots(dtq_dev *d);
/* Writes the descriptor at the tail, publishes it (CMD_TAIL) and rings the doorbell. */
int dtq_submit(dtq_dev *d, const dtq_cmd *c);
/* Waits until IRQ_STATUS has one of `bits` (or ERROR), clears what it saw (W1C) and
 * returns DTQ_OK, or DTQ_EDEVICE on a device error. `seen` (may be NULL) gets the bits. */
int dtq_wait_bits(dtq_dev *d, uint32_t bits, uint32_t *seen);
/* Waits until every submitted command completed (HEAD == tail) or an error. */
int dtq_wait_idle(dtq_dev *d);
/* Reads the latched error; returns its code (DTQ_ERR_NONE = no error). */
uint32_t dtq_get_error(dtq_error_info *e);
/* After an error: replaces the failed command with a NOP, clears the error and lets
 * the queue continue (the commands after it run). */
int dtq_skip_failed(dtq_dev *d);
/* After an error: clears it and lets the queue resume AT the failed command, which runs
 * again (a retry; firmware may have rewritten it in the ring first). */
int dtq_clear_error(dtq_dev *d);
/* A register read that notices a failed read: on a bus error the HAL reads all-ones and
 * the device latches REG_ACCESS with the register's address (for example an injected
 * fault, docs/firmware.md#fault-injection). Returns DTQ_OK with *v, or DTQ_EDEVICE when
 * the read failed (the error stays latched: dtq_get_error, then dtq_clear_error). */
int dtq_rd32_checked(uint64_t addr, uint32_t *v);
/* Reads the performance counters. */
void dtq_read_counters(dtq_counters *c);
const char *dtq_err_name(uint32_t code);  /* "BAD_OPCODE", ... */
const char *dtq_err_desc(uint32_t code);  /* one sentence */
const char *dtq_strerror(int rc);         /* driver return codes */

/* Bits of GEMM `layout` and ATTENTION `mode` (docs/registers.md). */
#define DTQ_GEMM_B_ROW_MAJOR 1u /* B is K x N row-major */
#define DTQ_GEMM_B_4BIT 2u      /* B holds packed 4-bit codes (column-major) */
#define DTQ_GEMM_VSQ 4u         /* 4-bit operands are VS-Quant (b_scales with B_4BIT) */
#define DTQ_GEMM_WCOMP 8u       /* B is an NM24 compressed weight (docs/compression.md) */
#define DTQ_GEMM_BIAS 16u       /* b_scales holds N int32 biases added to every computed row of C */
#define DTQ_REQUANT_PER_CHANNEL 1u /* REQUANT param2: aux holds cols (m, e) int32 pairs */
#define DTQ_REQUANT_RELU 2u        /* REQUANT param2: max(x, 0) before the requantization (ReLU) */
#define DTQ_ATTN_CAUSAL 1u      /* causal mask */
#define DTQ_ATTN_VSQ 2u         /* 4-bit tokens are VS-Quant, quantized on load from int8 slots */

/* Descriptor builders (zero the descriptor first: reserved bytes must be 0). */
void dtq_cmd_clear(dtq_cmd *c, uint8_t opcode);
void dtq_cmd_nop(dtq_cmd *c);
void dtq_cmd_marker(dtq_cmd *c, uint32_t value);
void dtq_cmd_dma(dtq_cmd *c, uint64_t src, uint64_t dst, uint32_t bytes);
void dtq_cmd_dma2d(dtq_cmd *c, uint64_t src, uint64_t dst, uint32_t rows, uint32_t row_bytes, uint32_t src_stride,
                   uint32_t dst_stride);
void dtq_cmd_gemm(dtq_cmd *c, uint64_t a, uint64_t b, uint64_t cmat, uint64_t prec_list, uint32_t m, uint32_t n,
                  uint32_t k);
/* One fused attention layer (docs/attention.md); score_shift 0 = the default 10. */
void dtq_cmd_attention(dtq_cmd *c, uint64_t q, uint64_t k, uint64_t v, uint64_t out, uint64_t prec_list, uint32_t seq,
                       uint16_t head_dim, uint16_t heads, uint16_t k0, uint16_t k1, uint16_t score_shift);

#ifdef __cplusplus
}
#endif

#endif /* DTQ_DRIVER_H */
