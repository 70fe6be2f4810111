// A command handler's failure (attention_layer, compute_ops): a command error the firmware
// sees in ERR_CODE / ERR_ADDR (CAPACITY, BUS_ERROR, a bad precision byte ...), thrown inside
// the handler and turned into its outcome at the end.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "ctrl/ctrl.h"

namespace dtq {

struct unit_error : std::runtime_error {
    unit_error(uint32_t code, uint64_t addr, const std::string& what) : std::runtime_error(what), code(code), addr(addr) {}
    uint32_t code;
    uint64_t addr;
};

inline command_outcome failed_outcome(uint32_t code, uint64_t addr) {
    command_outcome o;
    o.error = code;
    o.error_address = addr;
    return o;
}

}  // namespace dtq
