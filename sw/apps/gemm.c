/* A list of GEMMs through the command queue (workload.kind gemm, docs/workloads.md): the
 * loader (the VP platform) put the operands and a dtq_gemm_args table in DRAM; the app
 * submits one GEMM command per entry, in order, tagged with its index (when the ring is full
 * it drains it first, as the encoder app does), then waits until the queue is empty. */
#include "apps.h"
#include "dtq_driver.h"
#include "dtq_hal.h"

#define RING_LEN 64u

int dtq_app_gemm(void) {
    dtq_gemm_args a;
    dtq_gemm_entry e;
    dtq_dev dev;
    dtq_cmd cmd;
    uint32_t i;
    uint64_t t0, t1;
    int rc;

    dtq_rd_block(DTQ_APP_DATA_ADDR, &a, sizeof a);
    if (a.magic != DTQ_GEMM_ARGS_MAGIC || a.count == 0) {
        dtq_printf("gemm: no valid arguments at 0x%llx (magic 0x%x, count %u)\n", (unsigned long long)DTQ_APP_DATA_ADDR,
                   (unsigned)a.magic, (unsigned)a.count);
        return 1;
    }
    rc = dtq_init(&dev, DTQ_APP_RING_ADDR, RING_LEN, DTQ_WAIT_IRQ);
    if (rc != DTQ_OK) {
        dtq_printf("gemm: init failed: %s\n", dtq_strerror(rc));
        return 1;
    }
    t0 = dtq_now_cycles();
    for (i = 0; i < a.count && rc == DTQ_OK; i++) {
        dtq_rd_block(a.table + (uint64_t)i * sizeof e, &e, sizeof e);
        dtq_cmd_gemm(&cmd, e.a, e.b, e.c, e.prec, e.m, e.n, e.k);
        cmd.u.gemm.layout = e.layout;
        cmd.tag = i;
        rc = dtq_submit(&dev, &cmd);
        if (rc == DTQ_EBUSY) { /* ring full: drain it, then submit */
            rc = dtq_wait_idle(&dev);
            if (rc == DTQ_OK) rc = dtq_submit(&dev, &cmd);
        }
    }
    if (rc == DTQ_OK) rc = dtq_wait_idle(&dev);
    t1 = dtq_now_cycles();
    if (rc != DTQ_OK) {
        dtq_error_info err;
        dtq_get_error(&err);
        dtq_printf("gemm: %s: %s at 0x%llx (command %u)\n", dtq_strerror(rc), dtq_err_name(err.code),
                   (unsigned long long)err.addr, (unsigned)err.cmd_index);
        return 2;
    }
    dtq_printf("gemm: %u GEMMs, %llu cycles (first submit to queue empty)\n", (unsigned)a.count,
               (unsigned long long)(t1 - t0));
    return 0;
}
