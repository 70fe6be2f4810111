/* The app table (add a line here to register a new app). */
#include "apps.h"

static const dtq_app apps[] = {
    {"selftest", dtq_app_selftest, "ID/VERSION, reset values, W1C, ring wrap-around, a bad command's error path"},
    {"hello", dtq_app_hello, "docs/firmware.md example: a DMA and a marker, counters printed"},
    {"attention", dtq_app_attention, "one DTQAtten attention layer (ATTENTION command) on inputs the loader placed in DRAM"},
    {"encoder", dtq_app_encoder, "a whole transformer (encoder layers, or a decoder's prefill and token-by-token decode) through the command queue on inputs the loader placed in DRAM"},
    {"gemm", dtq_app_gemm, "a list of GEMM commands (workload.kind gemm) on operands the loader placed in DRAM"},
};

static int str_eq(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

const dtq_app *dtq_app_find(const char *name) {
    uint32_t i;
    for (i = 0; i < sizeof apps / sizeof apps[0]; i++)
        if (str_eq(apps[i].name, name)) return &apps[i];
    return 0;
}

const dtq_app *dtq_app_list(uint32_t *count) {
    *count = (uint32_t)(sizeof apps / sizeof apps[0]);
    return apps;
}
