// System address map (the only place platform/ takes addresses from).
#pragma once
#include <cstdint>

namespace dtq::amap {

constexpr uint64_t SCRATCHPAD_BASE = 0x20000000ull;
constexpr uint64_t ACCUMULATOR_BASE = 0x21000000ull;
constexpr uint64_t DRAM_BASE = 0x100000000ull;  // 4 GiB window

}  // namespace dtq::amap
