/* Device self-test, portable (VP and rv32): ID/VERSION and reset values, W1C of
 * IRQ_STATUS, ring wrap-around, the error path of a bad command and recovery, DMA copies.
 * Returns the number of failed checks (0 = success). It provokes no bus errors itself (on
 * rv32 they trap; tests/ctrl covers register misuse), but it survives the faults a
 * scenario injects (faults.*, docs/firmware.md#fault-injection): a failed register read
 * (REG_ACCESS at that register) is cleared and the register read again; a DMA command
 * that fails with BUS_ERROR is retried once with ERR_CLEAR and skipped if it fails again.
 * Each fault prints a "selftest: fault: ..." line; the last line counts those recovered. */
#include "apps.h"
#include "dtq_driver.h"
#include "dtq_hal.h"

static int failures, recovered;
static uint32_t ctrl_enable; /* CTRL.ENABLE as the self-test set it: a recovery keeps it */

static void check(int ok, const char *what, uint64_t got, uint64_t want) {
    if (!ok) {
        failures++;
        dtq_printf("selftest: FAIL %s: got 0x%llx, expected 0x%llx\n", what, (unsigned long long)got,
                   (unsigned long long)want);
    }
}
#define CHECK_EQ(what, got, want)                                \
    do {                                                         \
        const uint64_t g_ = (got), w_ = (want);                  \
        check(g_ == w_, what, g_, w_);                           \
    } while (0)

/* Clears a latched error and the ERROR interrupt status, keeping CTRL.ENABLE. */
static void clear_error(void) {
    dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_ERROR);
    dtq_wr32(DTQ_CTRL, ctrl_enable | DTQ_CTRL_ERR_CLEAR_MASK);
}

/* Every register read of the self-test: a failed read is reported, cleared and retried. */
static uint32_t rd(uint64_t addr) {
    uint32_t v = 0;
    int tries;
    for (tries = 0; tries < 4; tries++) {
        dtq_error_info e;
        if (dtq_rd32_checked(addr, &v) == DTQ_OK) {
            recovered += tries != 0;
            return v;
        }
        dtq_get_error(&e);
        dtq_printf("selftest: fault: %s at 0x%llx (register read), ERR_CLEAR and read again\n", dtq_err_name(e.code),
                   (unsigned long long)e.addr);
        clear_error();
    }
    dtq_printf("selftest: FAIL reads of 0x%llx keep failing\n", (unsigned long long)addr);
    failures++;
    return v;
}

static void reset_values(void) {
    static const struct {
        const char *name;
        uint64_t addr;
        uint32_t reset;
    } regs[] = {
        {"ID", DTQ_ID, DTQ_ID_RESET},
        {"VERSION", DTQ_VERSION, DTQ_VERSION_RESET},
        {"CTRL", DTQ_CTRL, DTQ_CTRL_RESET},
        {"STATUS", DTQ_STATUS, DTQ_STATUS_RESET},
        {"ERR_CODE", DTQ_ERR_CODE, DTQ_ERR_CODE_RESET},
        {"ERR_ADDR_LO", DTQ_ERR_ADDR_LO, DTQ_ERR_ADDR_LO_RESET},
        {"ERR_ADDR_HI", DTQ_ERR_ADDR_HI, DTQ_ERR_ADDR_HI_RESET},
        {"ERR_CMD_INDEX", DTQ_ERR_CMD_INDEX, DTQ_ERR_CMD_INDEX_RESET},
        {"IRQ_ENABLE", DTQ_IRQ_ENABLE, DTQ_IRQ_ENABLE_RESET},
        {"IRQ_STATUS", DTQ_IRQ_STATUS, DTQ_IRQ_STATUS_RESET},
        {"MARKER_VALUE", DTQ_MARKER_VALUE, DTQ_MARKER_VALUE_RESET},
        {"CMD_BASE_LO", DTQ_CMD_BASE_LO, DTQ_CMD_BASE_LO_RESET},
        {"CMD_BASE_HI", DTQ_CMD_BASE_HI, DTQ_CMD_BASE_HI_RESET},
        {"CMD_SIZE", DTQ_CMD_SIZE, DTQ_CMD_SIZE_RESET},
        {"CMD_HEAD", DTQ_CMD_HEAD, DTQ_CMD_HEAD_RESET},
        {"CMD_TAIL", DTQ_CMD_TAIL, DTQ_CMD_TAIL_RESET},
        {"PERF_CMDS_COMPLETED", DTQ_PERF_CMDS_COMPLETED, DTQ_PERF_CMDS_COMPLETED_RESET},
    };
    uint32_t i;
    dtq_wr32(DTQ_CTRL, DTQ_CTRL_SOFT_RESET_MASK);
    for (i = 0; i < sizeof regs / sizeof regs[0]; i++) CHECK_EQ(regs[i].name, rd(regs[i].addr), regs[i].reset);
    CHECK_EQ("ID is DTQA", rd(DTQ_ID), DTQ_DEVICE_ID);
    CHECK_EQ("VERSION.MAJOR", (rd(DTQ_VERSION) & DTQ_VERSION_MAJOR_MASK) >> DTQ_VERSION_MAJOR_SHIFT,
             DTQ_DEVICE_VERSION_MAJOR);
}

static void w1c(dtq_dev *d) {
    dtq_cmd c;
    dtq_cmd_marker(&c, 0xCAFEu);
    dtq_submit(d, &c);
    /* poll: IRQ_STATUS bits are set whatever IRQ_ENABLE says */
    while (!(rd(DTQ_IRQ_STATUS) & DTQ_IRQ_MARKER)) {
    }
    CHECK_EQ("MARKER_VALUE", rd(DTQ_MARKER_VALUE), 0xCAFEu);
    dtq_wr32(DTQ_IRQ_STATUS, 0);
    CHECK_EQ("W1C: writing 0 keeps MARKER", rd(DTQ_IRQ_STATUS) & DTQ_IRQ_MARKER, DTQ_IRQ_MARKER);
    dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_MARKER);
    CHECK_EQ("W1C: writing 1 clears MARKER", rd(DTQ_IRQ_STATUS) & DTQ_IRQ_MARKER, 0);
    CHECK_EQ("W1C: QUEUE_EMPTY still set", rd(DTQ_IRQ_STATUS) & DTQ_IRQ_QUEUE_EMPTY, DTQ_IRQ_QUEUE_EMPTY);
    dtq_wr32(DTQ_IRQ_STATUS, 0xFFFFFFFFu);
    CHECK_EQ("W1C: all clear", rd(DTQ_IRQ_STATUS), 0);
}

static void wrap_around(dtq_dev *d) {
    dtq_cmd c;
    uint32_t i, n = 0;
    const uint32_t ctrl = rd(DTQ_CTRL);
    /* a ring of 4 holds 3 commands: fill it with the controller paused (CTRL.ENABLE = 0, so
     * that how fast this core submits does not matter), check EBUSY, resume, drain, repeat
     * past the end */
    dtq_wr32(DTQ_CTRL, ctrl & ~DTQ_CTRL_ENABLE_MASK);
    for (i = 0; i < 3; i++) {
        dtq_cmd_nop(&c);
        if (dtq_submit(d, &c) == DTQ_OK) n++;
    }
    dtq_cmd_nop(&c);
    CHECK_EQ("full ring refuses a command", dtq_submit(d, &c) == DTQ_EBUSY, 1);
    CHECK_EQ("3 commands queued", n, 3);
    dtq_wr32(DTQ_CTRL, ctrl | DTQ_CTRL_ENABLE_MASK);
    CHECK_EQ("wait_idle", (uint64_t)(int64_t)dtq_wait_idle(d), DTQ_OK);
    for (i = 0; i < 10; i++) {
        dtq_cmd_nop(&c);
        c.flags = DTQ_DESC_FLAG_IRQ;
        CHECK_EQ("submit", (uint64_t)(int64_t)dtq_submit(d, &c), DTQ_OK);
        CHECK_EQ("CMD_DONE", (uint64_t)(int64_t)dtq_wait_bits(d, DTQ_IRQ_CMD_DONE, 0), DTQ_OK);
        n++;
    }
    CHECK_EQ("HEAD after wrap-around", rd(DTQ_CMD_HEAD), (n + 1u) % 4u); /* + the marker */
    CHECK_EQ("commands completed", rd(DTQ_PERF_CMDS_COMPLETED), n + 1u /* the marker */);
}

static void bad_command(dtq_dev *d) {
    dtq_cmd c;
    dtq_error_info e;
    const uint32_t bad_index = d->tail;
    dtq_cmd_clear(&c, 0xEE); /* no such opcode */
    dtq_submit(d, &c);
    dtq_cmd_marker(&c, 7); /* must run only after recovery */
    dtq_submit(d, &c);
    CHECK_EQ("bad command reported", (uint64_t)(int64_t)dtq_wait_idle(d), (uint64_t)(int64_t)DTQ_EDEVICE);
    dtq_get_error(&e);
    CHECK_EQ("ERR_CODE", e.code, DTQ_ERR_BAD_OPCODE);
    CHECK_EQ("ERR_CMD_INDEX", e.cmd_index, bad_index);
    CHECK_EQ("ERR_ADDR", e.addr, d->ring_addr + (uint64_t)bad_index * DTQ_DESC_SIZE);
    CHECK_EQ("STATUS.ERROR", rd(DTQ_STATUS) & DTQ_STATUS_ERROR_MASK, DTQ_STATUS_ERROR_MASK);
    CHECK_EQ("queue stopped at the bad command", rd(DTQ_CMD_HEAD), bad_index);
    dtq_skip_failed(d);
    CHECK_EQ("queue resumes", (uint64_t)(int64_t)dtq_wait_idle(d), DTQ_OK);
    CHECK_EQ("marker after recovery", rd(DTQ_MARKER_VALUE), 7);
    CHECK_EQ("error cleared", rd(DTQ_ERR_CODE), DTQ_ERR_NONE);
}

/* Three 256-byte copies DRAM -> scratchpad through the queue, each checked. A BUS_ERROR
 * must name one of them (its ring index, an address inside its source or destination). */
static void dma_copies(dtq_dev *d) {
    enum { N = 3, BYTES = 256 };
    uint64_t src[N], dst[N], last_addr = 0;
    uint32_t idx[N], last_index = 0xFFFFFFFFu, i, k;
    int skipped[N] = {0, 0, 0};
    uint8_t buf[BYTES];
    dtq_cmd c;
    for (i = 0; i < N; i++) {
        src[i] = DTQ_APP_DATA_ADDR + 0x1000u * i;
        dst[i] = DTQ_SCRATCHPAD_BASE + 0x1000u + (uint64_t)BYTES * i;
        for (k = 0; k < BYTES; k++) buf[k] = (uint8_t)(k * 7u + i * 31u + 1u);
        dtq_wr_block(src[i], buf, BYTES);
    }
    for (i = 0; i < N; i++) {
        idx[i] = d->tail;
        dtq_cmd_dma(&c, src[i], dst[i], BYTES);
        CHECK_EQ("DMA submit", (uint64_t)(int64_t)dtq_submit(d, &c), DTQ_OK);
    }
    for (;;) {
        dtq_error_info e;
        const int rc = dtq_wait_idle(d);
        if (rc == DTQ_OK) break;
        if (rc != DTQ_EDEVICE) {
            CHECK_EQ("DMA wait", (uint64_t)(int64_t)rc, DTQ_OK);
            return;
        }
        dtq_get_error(&e);
        for (i = 0; i < N && idx[i] != e.cmd_index; i++) {
        }
        if (e.code != DTQ_ERR_BUS_ERROR || i == N ||
            !((e.addr >= src[i] && e.addr < src[i] + BYTES) || (e.addr >= dst[i] && e.addr < dst[i] + BYTES))) {
            dtq_printf("selftest: FAIL DMA error %s at 0x%llx, ring index %u: not one of the copies\n",
                       dtq_err_name(e.code), (unsigned long long)e.addr, (unsigned)e.cmd_index);
            failures++;
            return;
        }
        recovered++;
        if (e.addr == last_addr && e.cmd_index == last_index) { /* it failed again: a broken location */
            dtq_printf("selftest: fault: BUS_ERROR at 0x%llx (DMA %u, ring index %u) again, skipped\n",
                       (unsigned long long)e.addr, (unsigned)i, (unsigned)e.cmd_index);
            skipped[i] = 1;
            dtq_skip_failed(d);
        } else {
            dtq_printf("selftest: fault: BUS_ERROR at 0x%llx (DMA %u, ring index %u), ERR_CLEAR and retry\n",
                       (unsigned long long)e.addr, (unsigned)i, (unsigned)e.cmd_index);
            dtq_clear_error(d);
        }
        last_addr = e.addr;
        last_index = e.cmd_index;
    }
    for (i = 0; i < N; i++) {
        if (skipped[i]) continue;
        dtq_rd_block(dst[i], buf, BYTES);
        for (k = 0; k < BYTES && buf[k] == (uint8_t)(k * 7u + i * 31u + 1u); k++) {
        }
        CHECK_EQ("DMA copy arrived", k, BYTES);
    }
}

int dtq_app_selftest(void) {
    dtq_dev dev;
    int rc;
    failures = recovered = 0;
    ctrl_enable = 0;
    reset_values();
    rc = dtq_init(&dev, DTQ_APP_RING_ADDR, 4, DTQ_WAIT_IRQ);
    if (rc != DTQ_OK) {
        dtq_printf("selftest: init: %s\n", dtq_strerror(rc));
        return 1;
    }
    ctrl_enable = DTQ_CTRL_ENABLE_MASK;
    w1c(&dev);
    wrap_around(&dev);
    bad_command(&dev);
    dma_copies(&dev);
    dtq_printf("selftest: %s (%d failures, %d faults recovered)\n", failures ? "FAILED" : "passed", failures, recovered);
    return failures;
}
