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

#ifdef __cplusplus
}
#endif

#endif /* DTQ_APPS_H */
