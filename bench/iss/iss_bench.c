/* The rv32 ISS's wall-time costs (bench/bench.yaml entry firmware.iss): argv[1] picks one.
 *   compute N    a compute loop (integer multiply-add, N iterations of 4 instructions)
 *   mmio N       N reads of the controller's ID register (one bus transaction each)
 *   roundtrip N  N NOP commands, one at a time: submit, interrupt, WFI wake-up
 * The harness subtracts a run with N = 0 (start-up: crt0, ELF load) from each. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtq_driver.h"
#include "dtq_hal.h"
#include "dtq_regs.h"

volatile uint32_t g_sink;

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "compute";
    const uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], 0, 10) : 0;
    uint32_t i;
    if (strcmp(mode, "compute") == 0) {
        uint32_t a = 1, b = 3;
        for (i = 0; i < n; i++) {
            a = a * 1664525u + b;
            b ^= a;
        }
        g_sink = a + b;
        return 0;
    }
    if (strcmp(mode, "mmio") == 0) {
        uint32_t s = 0;
        for (i = 0; i < n; i++) s += dtq_rd32(DTQ_ID);
        g_sink = s;
        return 0;
    }
    if (strcmp(mode, "roundtrip") == 0) {
        dtq_dev dev;
        dtq_cmd c;
        if (dtq_init(&dev, DTQ_DRAM_BASE + UINT64_C(0x00100000), 16, DTQ_WAIT_IRQ) != DTQ_OK) return 2;
        for (i = 0; i < n; i++) {
            dtq_cmd_nop(&c);
            c.flags = DTQ_DESC_FLAG_IRQ;
            if (dtq_submit(&dev, &c) != DTQ_OK || dtq_wait_bits(&dev, DTQ_IRQ_CMD_DONE, 0) != DTQ_OK) return 3;
        }
        return 0;
    }
    return 1;
}
