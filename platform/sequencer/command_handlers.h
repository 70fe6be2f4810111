// The controller's command handlers for the units platform/ wires in. Header-only so
// the controller's test bench (tests/ctrl) dispatches exactly as the platform does.
#pragma once
#include "ctrl/ctrl.h"
#include "dma/dma.h"

namespace dtq {

// DMA command -> dtq::dma descriptor; a TLM error response becomes BUS_ERROR with the
// failing address.
inline command_handler dma_command_handler(dtq::dma& engine, bool timing_only) {
    return [&engine, timing_only](const command& c) {
        namespace d = regs::desc::dma;
        const dma_descriptor desc{c.u64(d::SRC), c.u64(d::DST), c.u32(d::ROWS), c.u32(d::ROW_BYTES),
                                  c.u32(d::SRC_STRIDE), c.u32(d::DST_STRIDE)};
        const dma_result r = engine.transfer(desc, timing_only);
        command_outcome o;
        o.busy[regs::UNIT_DMA] = r.done_cycle - r.start_cycle;
        if (!r.ok()) {
            o.error = regs::err::BUS_ERROR;
            o.error_address = r.error_address;
        }
        return o;
    };
}

}  // namespace dtq
