// libFuzzer harness of the controller's command decoder (ctrl::validate, the function the
// controller runs on every fetched descriptor, and the placeholder cost). Input: a
// 64-byte descriptor, then optional bytes that size the backed DRAM and scratchpad.
// Findings: a crash or sanitizer report, an error code outside the map, or a descriptor
// accepted although one of its address operands breaks the register map's rules
// (region kind, alignment) - checked here independently of the decoder.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "ctrl/ctrl.h"

int sc_main(int, char**) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace r = dtq::regs;
    if (size < r::desc::SIZE) return 0;
    dtq::command c;
    std::memcpy(c.raw.data(), data, r::desc::SIZE);
    c.address = r::DRAM_BASE + (1u << 20);
    c.opcode = c.raw[r::desc::OPCODE];
    c.flags = c.raw[r::desc::FLAGS];
    c.tag = c.u32(r::desc::TAG);
    auto regions = dtq::ctrl_config::default_regions();
    for (size_t i = r::desc::SIZE; i + 4 <= size && i < r::desc::SIZE + 8; i += 4) {
        uint32_t v;
        std::memcpy(&v, data + i, 4);
        const char* name = i == r::desc::SIZE ? "DRAM" : "SCRATCHPAD";
        for (auto& g : regions)
            if (g.name == name) g.size = v ? uint64_t{v} << 8 : 0;
    }
    uint64_t bad = 0;
    const uint32_t e = dtq::ctrl::validate(c, regions, bad);
    if (e > r::err::UNIT_ERROR || e == r::err::BUS_ERROR || e == r::err::REG_ACCESS || e == r::err::BAD_RING) std::abort();
    if (e != r::err::NONE) return 0;
    const r::opcode_info* info = r::find_opcode(c.opcode);
    if (!info) std::abort();
    for (size_t i = 0; i < info->field_count; ++i) {
        const r::desc_field& f = info->fields[i];
        if (!f.is_addr) continue;
        const uint64_t a = c.u64(f.offset);
        if (f.optional && a == 0) continue;
        if (a % f.align) std::abort();
        bool in_allowed = false;
        for (const auto& g : regions)
            in_allowed |= g.contains(a) && (f.regions & (1u << static_cast<unsigned>(g.kind)));
        if (!in_allowed) std::abort();
    }
    volatile uint64_t cycles = dtq::ctrl::placeholder_cycles(c);
    (void)cycles;
    return 0;
}
