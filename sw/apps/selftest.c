/* Device self-test, portable (VP and rv32): ID/VERSION and reset values, W1C of
 * IRQ_STATUS, ring wrap-around, the error path of a bad command and recovery.
 * Returns the number of failed checks (0 = success). No bus errors are provoked here
 * (on rv32 they trap); tests/ctrl covers register misuse. */
#include "apps.h"
#include "dtq_driver.h"
#include "dtq_hal.h"

static int failures;

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
    for (i = 0; i < sizeof regs / sizeof regs[0]; i++) CHECK_EQ(regs[i].name, dtq_rd32(regs[i].addr), regs[i].reset);
    CHECK_EQ("ID is DTQA", dtq_rd32(DTQ_ID), DTQ_DEVICE_ID);
    CHECK_EQ("VERSION.MAJOR", (dtq_rd32(DTQ_VERSION) & DTQ_VERSION_MAJOR_MASK) >> DTQ_VERSION_MAJOR_SHIFT,
             DTQ_DEVICE_VERSION_MAJOR);
}

static void w1c(dtq_dev *d) {
    dtq_cmd c;
    dtq_cmd_marker(&c, 0xCAFEu);
    dtq_submit(d, &c);
    /* poll: IRQ_STATUS bits are set whatever IRQ_ENABLE says */
    while (!(dtq_rd32(DTQ_IRQ_STATUS) & DTQ_IRQ_MARKER)) {
    }
    CHECK_EQ("MARKER_VALUE", dtq_rd32(DTQ_MARKER_VALUE), 0xCAFEu);
    dtq_wr32(DTQ_IRQ_STATUS, 0);
    CHECK_EQ("W1C: writing 0 keeps MARKER", dtq_rd32(DTQ_IRQ_STATUS) & DTQ_IRQ_MARKER, DTQ_IRQ_MARKER);
    dtq_wr32(DTQ_IRQ_STATUS, DTQ_IRQ_MARKER);
    CHECK_EQ("W1C: writing 1 clears MARKER", dtq_rd32(DTQ_IRQ_STATUS) & DTQ_IRQ_MARKER, 0);
    CHECK_EQ("W1C: QUEUE_EMPTY still set", dtq_rd32(DTQ_IRQ_STATUS) & DTQ_IRQ_QUEUE_EMPTY, DTQ_IRQ_QUEUE_EMPTY);
    dtq_wr32(DTQ_IRQ_STATUS, 0xFFFFFFFFu);
    CHECK_EQ("W1C: all clear", dtq_rd32(DTQ_IRQ_STATUS), 0);
}

static void wrap_around(dtq_dev *d) {
    dtq_cmd c;
    uint32_t i, n = 0;
    /* a ring of 4 holds 3 commands: fill it, check EBUSY, drain, repeat past the end */
    for (i = 0; i < 3; i++) {
        dtq_cmd_nop(&c);
        if (dtq_submit(d, &c) == DTQ_OK) n++;
    }
    dtq_cmd_nop(&c);
    /* the controller may already have taken some: submit until the ring is full */
    while (dtq_submit(d, &c) == DTQ_OK) n++;
    CHECK_EQ("full ring refuses a command", dtq_submit(d, &c) == DTQ_EBUSY, 1);
    CHECK_EQ("wait_idle", (uint64_t)(int64_t)dtq_wait_idle(d), DTQ_OK);
    for (i = 0; i < 10; i++) {
        dtq_cmd_nop(&c);
        c.flags = DTQ_DESC_FLAG_IRQ;
        CHECK_EQ("submit", (uint64_t)(int64_t)dtq_submit(d, &c), DTQ_OK);
        CHECK_EQ("CMD_DONE", (uint64_t)(int64_t)dtq_wait_bits(d, DTQ_IRQ_CMD_DONE, 0), DTQ_OK);
        n++;
    }
    CHECK_EQ("HEAD after wrap-around", dtq_rd32(DTQ_CMD_HEAD), (n + 1u) % 4u); /* + the marker */
    CHECK_EQ("commands completed", dtq_rd32(DTQ_PERF_CMDS_COMPLETED), n + 1u /* the marker */);
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
    CHECK_EQ("STATUS.ERROR", dtq_rd32(DTQ_STATUS) & DTQ_STATUS_ERROR_MASK, DTQ_STATUS_ERROR_MASK);
    CHECK_EQ("queue stopped at the bad command", dtq_rd32(DTQ_CMD_HEAD), bad_index);
    dtq_skip_failed(d);
    CHECK_EQ("queue resumes", (uint64_t)(int64_t)dtq_wait_idle(d), DTQ_OK);
    CHECK_EQ("marker after recovery", dtq_rd32(DTQ_MARKER_VALUE), 7);
    CHECK_EQ("error cleared", dtq_rd32(DTQ_ERR_CODE), DTQ_ERR_NONE);
}

int dtq_app_selftest(void) {
    dtq_dev dev;
    int rc;
    failures = 0;
    reset_values();
    rc = dtq_init(&dev, DTQ_APP_RING_ADDR, 4, DTQ_WAIT_IRQ);
    if (rc != DTQ_OK) {
        dtq_printf("selftest: init: %s\n", dtq_strerror(rc));
        return 1;
    }
    w1c(&dev);
    wrap_around(&dev);
    bad_command(&dev);
    dtq_printf("selftest: %s (%d failures)\n", failures ? "FAILED" : "passed", failures);
    return failures;
}
