// System address map: the generated register map (models/ctrl/regmap.yaml) is the one
// source; platform/ takes addresses from here only.
#pragma once
#include "ctrl/regs_gen.h"

namespace dtq::amap {

constexpr uint64_t CTRL_BASE = regs::CTRL_BASE;
constexpr uint64_t CTRL_SIZE = regs::CTRL_SIZE;
constexpr uint64_t SCRATCHPAD_BASE = regs::SCRATCHPAD_BASE;
constexpr uint64_t ACCUMULATOR_BASE = regs::ACCUMULATOR_BASE;
constexpr uint64_t QBUF_BASE = regs::QBUF_BASE;
constexpr uint64_t KBUF_BASE = regs::KBUF_BASE;
constexpr uint64_t VBUF_BASE = regs::VBUF_BASE;
constexpr uint64_t DRAM_BASE = regs::DRAM_BASE;

}  // namespace dtq::amap
