/* One DTQAtten attention layer through the command queue: the loader (the VP platform)
 * put Q/K/V, this layer's precision list and dtq_attention_args in DRAM; the app submits
 * one ATTENTION command per layer, waits for the queue to drain, and prints the cycles,
 * the per-unit busy counters and the token counts before and after the top-k engines.
 * docs/attention.md. */
#include "apps.h"
#include "dtq_driver.h"
#include "dtq_hal.h"

#define MAX_SEQ 4096u

static void count(const uint8_t *prec, uint32_t seq, uint32_t n[3]) {
    uint32_t i;
    n[0] = n[1] = n[2] = 0;
    for (i = 0; i < seq; i++) n[prec[i] == 0 ? 0 : prec[i] == 4 ? 1 : 2]++;
}

int dtq_app_attention(void) {
    static uint8_t prec[MAX_SEQ];
    dtq_attention_args a;
    dtq_dev dev;
    dtq_cmd cmd;
    dtq_counters cnt;
    uint32_t n[3], layer;
    uint64_t t0, t1;
    int rc;

    dtq_rd_block(DTQ_APP_DATA_ADDR, &a, sizeof a);
    if (a.magic != DTQ_ATTENTION_ARGS_MAGIC || a.seq == 0 || a.seq > MAX_SEQ || a.layers == 0) {
        dtq_printf("attention: no valid arguments at 0x%llx (magic 0x%x, seq %u)\n",
                   (unsigned long long)DTQ_APP_DATA_ADDR, (unsigned)a.magic, (unsigned)a.seq);
        return 1;
    }
    rc = dtq_init(&dev, DTQ_APP_RING_ADDR, 16, DTQ_WAIT_IRQ);
    if (rc != DTQ_OK) {
        dtq_printf("attention: init failed: %s\n", dtq_strerror(rc));
        return 1;
    }
    dtq_rd_block(a.prec_list, prec, a.seq);
    count(prec, a.seq, n);
    dtq_printf("attention: seq %u, %u heads x %u, tokens %u pruned / %u 4-bit / %u 8-bit\n", (unsigned)a.seq,
               (unsigned)a.heads, (unsigned)a.head_dim, (unsigned)n[0], (unsigned)n[1], (unsigned)n[2]);
    for (layer = 0; layer < a.layers; layer++) {
        t0 = dtq_now_cycles();
        dtq_cmd_attention(&cmd, a.q, a.k, a.v, a.out, a.prec_list, a.seq, (uint16_t)a.head_dim, (uint16_t)a.heads,
                          (uint16_t)a.k0, (uint16_t)a.k1, (uint16_t)a.score_shift);
        rc = dtq_submit(&dev, &cmd);
        if (rc == DTQ_OK) rc = dtq_wait_idle(&dev);
        t1 = dtq_now_cycles();
        if (rc != DTQ_OK) {
            dtq_error_info e;
            dtq_get_error(&e);
            dtq_printf("attention: layer %u: %s: %s at 0x%llx\n", (unsigned)layer, dtq_strerror(rc), dtq_err_name(e.code),
                       (unsigned long long)e.addr);
            return 2;
        }
        dtq_read_counters(&cnt);
        dtq_printf("attention: layer %u: %llu cycles (command submit to queue empty)\n", (unsigned)layer,
                   (unsigned long long)(t1 - t0));
        dtq_printf("attention: busy cycles: DMA %u, fetcher %u, VSSA %u, softmax %u, top-k %u; VSSA PE stalls %u\n",
                   (unsigned)cnt.busy[DTQ_UNIT_DMA], (unsigned)cnt.busy[DTQ_UNIT_FETCHER], (unsigned)cnt.busy[DTQ_UNIT_VSSA],
                   (unsigned)cnt.busy[DTQ_UNIT_SOFTMAX], (unsigned)cnt.busy[DTQ_UNIT_TOPK], (unsigned)cnt.stall_cycles);
        dtq_printf("attention: DRAM read %llu B, written %llu B\n", (unsigned long long)cnt.dram_bytes_read,
                   (unsigned long long)cnt.dram_bytes_written);
        if (a.k0) {
            dtq_rd_block(a.prec_list, prec, a.seq);
            count(prec, a.seq, n);
            dtq_printf("attention: next layer (top-k): %u pruned / %u 4-bit / %u 8-bit\n", (unsigned)n[0], (unsigned)n[1],
                       (unsigned)n[2]);
        }
    }
    return 0;
}
