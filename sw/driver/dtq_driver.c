/* DTQAtten driver (see dtq_driver.h). */
#include "dtq_driver.h"

#include "dtq_hal.h"

static uint64_t rd64(uint64_t lo_addr, uint64_t hi_addr) {
    uint32_t hi, lo;
    do { /* counters move: read HI, LO, HI */
        hi = dtq_rd32(hi_addr);
        lo = dtq_rd32(lo_addr);
    } while (hi != dtq_rd32(hi_addr));
    return ((uint64_t)hi << 32) | lo;
}

int dtq_init(dtq_dev *d, uint64_t ring_addr, uint32_t ring_len, int mode) {
    if (ring_len < 2 || ring_len > 65536u || ring_addr % DTQ_DESC_SIZE) return DTQ_EINVAL;
    if (dtq_rd32(DTQ_ID) != DTQ_DEVICE_ID) return DTQ_ENODEV;
    if (((dtq_rd32(DTQ_VERSION) & DTQ_VERSION_MAJOR_MASK) >> DTQ_VERSION_MAJOR_SHIFT) != DTQ_DEVICE_VERSION_MAJOR)
        return DTQ_ENODEV;
    d->ring_addr = ring_addr;
    d->ring_len = ring_len;
    d->tail = 0;
    d->mode = mode;
    d->poll_limit = 0;
    d->irq_enable = 0;
    dtq_wr32(DTQ_CTRL, DTQ_CTRL_SOFT_RESET_MASK);
    dtq_wr32(DTQ_CMD_BASE_LO, (uint32_t)ring_addr);
    dtq_wr32(DTQ_CMD_BASE_HI, (uint32_t)(ring_addr >> 32));
    dtq_wr32(DTQ_CMD_SIZE, ring_len);
    dtq_wr32(DTQ_IRQ_ENABLE, 0);
    dtq_wr32(DTQ_CTRL, DTQ_CTRL_ENABLE_MASK);
    return DTQ_OK;
}

uint32_t dtq_free_slots(dtq_dev *d) {
    const uint32_t head = dtq_rd32(DTQ_CMD_HEAD) & DTQ_CMD_HEAD_IDX_MASK;
    return (head + d->ring_len - d->tail - 1u) % d->ring_len;
}

int dtq_submit(dtq_dev *d, const dtq_cmd *c) {
    const uint32_t next = (d->tail + 1u) % d->ring_len;
    if (next == (dtq_rd32(DTQ_CMD_HEAD) & DTQ_CMD_HEAD_IDX_MASK)) return DTQ_EBUSY;
    dtq_wr_block(d->ring_addr + (uint64_t)d->tail * DTQ_DESC_SIZE, c, DTQ_DESC_SIZE); /* ring is in DRAM */
    dtq_wmb(); /* descriptor lands before the tail moves */
    dtq_wr32(DTQ_CMD_TAIL, next);
    dtq_wr32(DTQ_DOORBELL, 1);
    d->tail = next;
    return DTQ_OK;
}

int dtq_wait_bits(dtq_dev *d, uint32_t bits, uint32_t *seen) {
    const uint32_t want = bits | DTQ_IRQ_ERROR;
    uint32_t polls = 0, st;
    if (d->mode == DTQ_WAIT_IRQ && d->irq_enable != want) {
        dtq_wr32(DTQ_IRQ_ENABLE, want); /* the line only rises for what we wait for */
        d->irq_enable = want;
    }
    for (;;) {
        st = dtq_rd32(DTQ_IRQ_STATUS);
        if (st & want) break;
        if (d->mode == DTQ_WAIT_IRQ) {
            if (dtq_wait_irq() != DTQ_HAL_OK) return DTQ_ETIMEDOUT;
        } else if (d->poll_limit && ++polls >= d->poll_limit) {
            return DTQ_ETIMEDOUT;
        }
    }
    dtq_wr32(DTQ_IRQ_STATUS, st & want); /* W1C what we saw */
    if (seen) *seen = st & want;
    return (st & DTQ_IRQ_ERROR) ? DTQ_EDEVICE : DTQ_OK;
}

int dtq_wait_idle(dtq_dev *d) {
    for (;;) {
        if ((dtq_rd32(DTQ_CMD_HEAD) & DTQ_CMD_HEAD_IDX_MASK) == d->tail) return DTQ_OK;
        if (dtq_rd32(DTQ_ERR_CODE) != DTQ_ERR_NONE) return DTQ_EDEVICE;
        {
            const int rc = dtq_wait_bits(d, DTQ_IRQ_QUEUE_EMPTY, 0);
            if (rc != DTQ_OK) return rc;
        }
    }
}

uint32_t dtq_get_error(dtq_error_info *e) {
    const uint32_t code = dtq_rd32(DTQ_ERR_CODE) & DTQ_ERR_CODE_CODE_MASK;
    if (e) {
        e->code = code;
        e->addr = ((uint64_t)dtq_rd32(DTQ_ERR_ADDR_HI) << 32) | dtq_rd32(DTQ_ERR_ADDR_LO);
        e->cmd_index = dtq_rd32(DTQ_ERR_CMD_INDEX);
    }
    return code;
}

int dtq_skip_failed(dtq_dev *d) {
    dtq_error_info e;
    dtq_cmd nop;
    if (dtq_get_error(&e) == DTQ_ERR_NONE) return DTQ_OK;
    if (e.cmd_index < d->ring_len) {
        dtq_cmd_nop(&nop);
        dtq_wr_block(d->ring_addr + (uint64_t)e.cmd_index * DTQ_DESC_SIZE, &nop, DTQ_DESC_SIZE);
        dtq_wmb();
    }
    dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_ERROR);
    dtq_wr32(DTQ_CTRL, DTQ_CTRL_ENABLE_MASK | DTQ_CTRL_ERR_CLEAR_MASK);
    return DTQ_OK;
}

int dtq_clear_error(dtq_dev *d) {
    (void)d;
    dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_ERROR);
    dtq_wr32(DTQ_CTRL, DTQ_CTRL_ENABLE_MASK | DTQ_CTRL_ERR_CLEAR_MASK);
    return DTQ_OK;
}

int dtq_rd32_checked(uint64_t addr, uint32_t *v) {
    dtq_error_info e;
    *v = dtq_rd32(addr);
    if (*v != 0xFFFFFFFFu) return DTQ_OK; /* a failed read always reads all-ones */
    if (dtq_get_error(&e) == DTQ_ERR_REG_ACCESS && e.addr == addr && e.cmd_index == 0xFFFFFFFFu) return DTQ_EDEVICE;
    return DTQ_OK; /* the register does hold all-ones */
}

void dtq_read_counters(dtq_counters *c) {
    uint32_t u;
    for (u = 0; u < DTQ_UNIT_COUNT; u++) c->busy[u] = dtq_rd32(DTQ_PERF_DMA_BUSY + 4u * u);
    c->cmds_completed = dtq_rd32(DTQ_PERF_CMDS_COMPLETED);
    c->stall_cycles = dtq_rd32(DTQ_PERF_STALL_CYCLES);
    c->ctrl_busy = dtq_rd32(DTQ_PERF_CTRL_BUSY);
    c->dram_bytes_read = rd64(DTQ_PERF_DRAM_RD_LO, DTQ_PERF_DRAM_RD_HI);
    c->dram_bytes_written = rd64(DTQ_PERF_DRAM_WR_LO, DTQ_PERF_DRAM_WR_HI);
}

static const char *const err_names[] = DTQ_ERR_NAMES;
static const char *const err_descs[] = DTQ_ERR_DOCS;
typedef char dtq_err_table_check[(sizeof err_names / sizeof err_names[0] == DTQ_ERR_COUNT) ? 1 : -1];

const char *dtq_err_name(uint32_t code) { return code < DTQ_ERR_COUNT ? err_names[code] : "UNKNOWN"; }
const char *dtq_err_desc(uint32_t code) { return code < DTQ_ERR_COUNT ? err_descs[code] : "unknown error code"; }

const char *dtq_strerror(int rc) {
    switch (rc) {
        case DTQ_OK: return "ok";
        case DTQ_EBUSY: return "command ring full";
        case DTQ_EINVAL: return "invalid argument";
        case DTQ_ETIMEDOUT: return "timed out";
        case DTQ_EDEVICE: return "device error";
        case DTQ_ENODEV: return "no DTQAtten device (ID/VERSION mismatch)";
        default: return "unknown driver error";
    }
}

void dtq_cmd_clear(dtq_cmd *c, uint8_t opcode) {
    uint8_t *p = (uint8_t *)c;
    uint32_t i;
    for (i = 0; i < sizeof *c; i++) p[i] = 0;
    c->opcode = opcode;
}

void dtq_cmd_nop(dtq_cmd *c) { dtq_cmd_clear(c, DTQ_OP_NOP); }

void dtq_cmd_marker(dtq_cmd *c, uint32_t value) {
    dtq_cmd_clear(c, DTQ_OP_MARKER);
    c->u.marker.value = value;
}

void dtq_cmd_dma2d(dtq_cmd *c, uint64_t src, uint64_t dst, uint32_t rows, uint32_t row_bytes, uint32_t src_stride,
                   uint32_t dst_stride) {
    dtq_cmd_clear(c, DTQ_OP_DMA);
    c->u.dma.src = src;
    c->u.dma.dst = dst;
    c->u.dma.rows = rows;
    c->u.dma.row_bytes = row_bytes;
    c->u.dma.src_stride = src_stride;
    c->u.dma.dst_stride = dst_stride;
}

void dtq_cmd_dma(dtq_cmd *c, uint64_t src, uint64_t dst, uint32_t bytes) { dtq_cmd_dma2d(c, src, dst, 1, bytes, 0, 0); }

void dtq_cmd_gemm(dtq_cmd *c, uint64_t a, uint64_t b, uint64_t cmat, uint64_t prec_list, uint32_t m, uint32_t n,
                  uint32_t k) {
    dtq_cmd_clear(c, DTQ_OP_GEMM);
    c->u.gemm.a = a;
    c->u.gemm.b = b;
    c->u.gemm.c = cmat;
    c->u.gemm.prec_list = prec_list;
    c->u.gemm.m = m;
    c->u.gemm.n = n;
    c->u.gemm.k = k;
}

void dtq_cmd_attention(dtq_cmd *c, uint64_t q, uint64_t k, uint64_t v, uint64_t out, uint64_t prec_list, uint32_t seq,
                       uint16_t head_dim, uint16_t heads, uint16_t k0, uint16_t k1, uint16_t score_shift) {
    dtq_cmd_clear(c, DTQ_OP_ATTENTION);
    c->u.attention.q = q;
    c->u.attention.k = k;
    c->u.attention.v = v;
    c->u.attention.out = out;
    c->u.attention.prec_list = prec_list;
    c->u.attention.seq = seq;
    c->u.attention.head_dim = head_dim;
    c->u.attention.heads = heads;
    c->u.attention.k0 = k0;
    c->u.attention.k1 = k1;
    c->u.attention.score_shift = score_shift;
}
