// Fault injection for firmware developers (scenario keys faults.*, docs/firmware.md#fault-injection).
// The injector sits between the DMA and the bus and answers chosen transactions with
// TLM_GENERIC_ERROR_RESPONSE, so the DMA, its command handler and the controller take
// their ordinary error path (BUS_ERROR with the failing address). The register read
// fault is the controller's access-fault hook. Both count what they injected
// (statistics faults.*). platform/ instantiates it only when a fault is configured.
#pragma once
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <functional>

#include "common/stats.h"
#include "ctrl/ctrl.h"
#include "platform/config/config.h"

namespace dtq {

class fault_injector : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<fault_injector> in;      // from the DMA
    tlm_utils::simple_initiator_socket<fault_injector> out;  // to the bus

    fault_injector(const sc_core::sc_module_name& name, const fault_config& cfg);
    fault_injector(const fault_injector&) = delete;
    fault_injector& operator=(const fault_injector&) = delete;

    // The DMA command handler with faults.dma_error_at_command: counts DMA commands and
    // fails the first transaction of the N-th one.
    command_handler wrap_dma_commands(command_handler h);
    // For ctrl::set_access_fault: faults.reg_read_error_address / _count.
    std::function<bool(bool is_read, uint32_t offset)> register_fault();

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);

    fault_config m_cfg;
    uint64_t m_dma_commands = 0;
    bool m_fail_next = false;  // armed by the N-th DMA command
    stat_group m_stats;
    uint64_t& m_dma_errors;
    uint64_t& m_reg_errors;
};

}  // namespace dtq
