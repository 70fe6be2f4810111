#include "platform/faults.h"

namespace dtq {

fault_injector::fault_injector(const sc_core::sc_module_name& name, const fault_config& cfg)
    : sc_module(name),
      in("in"),
      out("out"),
      m_cfg(cfg),
      m_stats(this->name()),
      m_dma_errors(m_stats.counter("dma_errors", "count", "DMA transactions answered with an injected error response")),
      m_reg_errors(m_stats.counter("reg_read_errors", "count", "register reads failed by injection")) {
    in.register_b_transport(this, &fault_injector::b_transport);
    in.register_transport_dbg(this, &fault_injector::transport_dbg);
}

void fault_injector::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t a = m_cfg.dma_error_address, start = tx.get_address();
    const bool hit = a != 0 && a >= start && a - start < tx.get_data_length();
    if (m_fail_next || hit) {
        // Answered at once, like a slave error; nothing reaches the bus.
        m_fail_next = false;
        ++m_dma_errors;
        tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
    }
    out->b_transport(tx, delay);
}

unsigned fault_injector::transport_dbg(tlm::tlm_generic_payload& tx) { return out->transport_dbg(tx); }

command_handler fault_injector::wrap_dma_commands(command_handler h) {
    if (!m_cfg.dma_error_at_command || !h) return h;
    return [this, h = std::move(h)](const command& c) {
        m_fail_next = ++m_dma_commands == m_cfg.dma_error_at_command;
        command_outcome o = h(c);
        m_fail_next = false;
        return o;
    };
}

std::function<bool(bool, uint32_t)> fault_injector::register_fault() {
    if (!m_cfg.reg_read_error_address) return {};
    const uint64_t off = m_cfg.reg_read_error_address - regs::CTRL_BASE;
    return [this, off](bool is_read, uint32_t offset) {
        if (!is_read || offset != off) return false;
        if (m_cfg.reg_read_error_count && m_reg_errors >= m_cfg.reg_read_error_count) return false;
        ++m_reg_errors;
        return true;
    };
}

}  // namespace dtq
