// TLM helpers. The extension marks a transaction that carries no data: the target applies its
// timing and statistics but neither reads nor writes the data pointer. Used by the
// L2 (tag-only cache: its line fills and write-backs are traffic, the data stays in
// DRAM) and by every initiator in `timing` mode.
#pragma once
#include <tlm>

namespace dtq {

struct timing_only : tlm::tlm_extension<timing_only> {
    tlm::tlm_extension_base* clone() const override { return new timing_only(*this); }
    void copy_from(const tlm::tlm_extension_base&) override {}
};

inline bool is_timing_only(const tlm::tlm_generic_payload& tx) {
    return tx.get_extension<timing_only>() != nullptr;
}

}  // namespace dtq

namespace dtq {

// A plain single-beat payload: command, address, data (nullptr for timing-only), length,
// streaming width = length, no byte enables, response INCOMPLETE. Every initiator uses it.
inline void init_payload(tlm::tlm_generic_payload& tx, tlm::tlm_command cmd, uint64_t addr, uint8_t* data, uint64_t len) {
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(data);
    tx.set_data_length(static_cast<unsigned>(len));
    tx.set_streaming_width(static_cast<unsigned>(len));
    tx.set_byte_enable_ptr(nullptr);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

inline const char* response_name(tlm::tlm_response_status s) {
    switch (s) {
        case tlm::TLM_OK_RESPONSE: return "TLM_OK_RESPONSE";
        case tlm::TLM_INCOMPLETE_RESPONSE: return "TLM_INCOMPLETE_RESPONSE";
        case tlm::TLM_GENERIC_ERROR_RESPONSE: return "TLM_GENERIC_ERROR_RESPONSE";
        case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "TLM_ADDRESS_ERROR_RESPONSE";
        case tlm::TLM_COMMAND_ERROR_RESPONSE: return "TLM_COMMAND_ERROR_RESPONSE";
        case tlm::TLM_BURST_ERROR_RESPONSE: return "TLM_BURST_ERROR_RESPONSE";
        case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "TLM_BYTE_ENABLE_ERROR_RESPONSE";
    }
    return "unknown TLM response";
}

}  // namespace dtq
