// TLM extension marking a transaction that carries no data: the target applies its
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
