/* docs/firmware.md's example: copy 256 bytes DRAM -> scratchpad with one DMA command,
 * mark the end with a MARKER, wait for its interrupt, check the data, print counters. */
#include "apps.h"
#include "dtq_driver.h"
#include "dtq_hal.h"

int dtq_app_hello(void) {
    dtq_dev dev;
    dtq_cmd cmd;
    uint8_t src[256], back[256];
    dtq_counters cnt;
    uint32_t i, seen = 0;
    int rc;

    for (i = 0; i < sizeof src; i++) src[i] = (uint8_t)(i * 3u + 1u);
    dtq_wr_block(DTQ_APP_DATA_ADDR, src, sizeof src);                 /* input data in DRAM */

    rc = dtq_init(&dev, DTQ_APP_RING_ADDR, 16, DTQ_WAIT_IRQ);
    if (rc != DTQ_OK) {
        dtq_printf("hello: init failed: %s\n", dtq_strerror(rc));
        return 1;
    }
    dtq_cmd_dma(&cmd, DTQ_APP_DATA_ADDR, DTQ_SCRATCHPAD_BASE, sizeof src);
    dtq_submit(&dev, &cmd);
    dtq_cmd_marker(&cmd, 0x600Du);
    dtq_submit(&dev, &cmd);

    rc = dtq_wait_bits(&dev, DTQ_IRQ_MARKER, &seen);                 /* sleeps in WFI */
    if (rc != DTQ_OK) {
        dtq_error_info e;
        dtq_get_error(&e);
        dtq_printf("hello: %s: %s at 0x%llx (command %u)\n", dtq_strerror(rc), dtq_err_name(e.code),
                   (unsigned long long)e.addr, (unsigned)e.cmd_index);
        return 2;
    }
    dtq_rd_block(DTQ_SCRATCHPAD_BASE, back, sizeof back);
    for (i = 0; i < sizeof src; i++)
        if (back[i] != src[i]) {
            dtq_printf("hello: byte %u is %u, expected %u\n", (unsigned)i, (unsigned)back[i], (unsigned)src[i]);
            return 3;
        }
    dtq_read_counters(&cnt);
    dtq_printf("hello: marker 0x%x, %u commands, DMA busy %u cycles, DRAM read %llu B\n",
               (unsigned)dtq_rd32(DTQ_MARKER_VALUE), (unsigned)cnt.cmds_completed, (unsigned)cnt.busy[DTQ_UNIT_DMA],
               (unsigned long long)cnt.dram_bytes_read);
    return 0;
}
