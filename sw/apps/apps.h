/* Firmware app registry: a scenario (or a test) names an app, the VP host runs it.
 * Apps share one DRAM layout (docs/firmware.md#memory-layout): the first MiB of DRAM
 * holds the rv32 firmware image, the command ring follows, then data. */
#ifndef DTQ_APPS_H
#define DTQ_APPS_H

#include <stdint.h>

#include "dtq_regs.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DTQ_APP_RING_ADDR (DTQ_DRAM_BASE + UINT64_C(0x00100000)) /* command ring */
#define DTQ_APP_DATA_ADDR (DTQ_DRAM_BASE + UINT64_C(0x00200000)) /* app data */

/* Boot arguments of the `attention` app, written at DTQ_APP_DATA_ADDR by whoever loads
 * the inputs (the VP's platform from the scenario, docs/attention.md) before the app runs. */
#define DTQ_ATTENTION_ARGS_MAGIC 0x4E545441u /* "ATTN" */
typedef struct dtq_attention_args {
    uint32_t magic;       /* DTQ_ATTENTION_ARGS_MAGIC */
    uint32_t seq;
    uint32_t heads;
    uint32_t head_dim;
    uint32_t k0, k1;      /* the next layer's kept and 8-bit tokens (0 = no top-k) */
    uint32_t score_shift; /* ATTENTION score_shift (0 = default) */
    uint32_t layers;      /* ATTENTION commands to run (1) */
    uint64_t q, k, v, out, prec_list; /* bus addresses (docs/attention.md#memory-layout) */
} dtq_attention_args;

typedef struct dtq_app {
    const char *name;
    int (*main)(void); /* 0 = success */
    const char *doc;
} dtq_app;

/* NULL when unknown. */
const dtq_app *dtq_app_find(const char *name);
/* All apps; *count gets their number. */
const dtq_app *dtq_app_list(uint32_t *count);

int dtq_app_selftest(void);
int dtq_app_hello(void);
int dtq_app_attention(void);

#ifdef __cplusplus
}
#endif

#endif /* DTQ_APPS_H */
