#include "memory/bus.h"

#include "common/burst_train.h"

#include <fmt/format.h>

#include <stdexcept>

namespace dtq {

using namespace sc_core;

bus::bus(const sc_module_name& name, const bus_config& cfg, const clock& clk)
    : sc_module(name),
      in("in"),
      out("out"),
      m_cfg(cfg),
      m_clk(clk),
      m_latency(clk.time(cfg.latency_cycles)),
      m_stats(this->name()),
      m_transactions(m_stats.counter("transactions", "count", "transactions routed")),
      m_decode_errors(m_stats.counter("decode_errors", "count", "transactions to unmapped addresses")) {
    in.register_b_transport(this, &bus::b_transport);
    in.register_transport_dbg(this, &bus::transport_dbg);
    in.register_get_direct_mem_ptr(this, &bus::get_direct_mem_ptr);
    out.register_invalidate_direct_mem_ptr(this, &bus::invalidate_direct_mem_ptr);
}

unsigned bus::map(const std::string& name, uint64_t base, uint64_t size) {
    if (size == 0 || base + size < base)
        throw std::invalid_argument(fmt::format("bus: range '{}' at {:#x} has a bad size {:#x}", name, base, size));
    const address_range r{name, base, size};
    for (const auto& o : m_ranges)
        if (r.base < o.end() && o.base < r.end())
            throw std::invalid_argument(fmt::format("bus: range '{}' [{:#x}, {:#x}) overlaps '{}' [{:#x}, {:#x})",
                                                    r.name, r.base, r.end(), o.name, o.base, o.end()));
    m_ranges.push_back(r);
    return static_cast<unsigned>(m_ranges.size() - 1);
}

int bus::decode(uint64_t addr) const {
    for (size_t i = 0; i < m_ranges.size(); ++i)
        if (m_ranges[i].contains(addr)) return static_cast<int>(i);
    return -1;
}

int bus::route(tlm::tlm_generic_payload& tx) {
    const uint64_t addr = tx.get_address();
    const int port = decode(addr);
    if (port < 0 || tx.get_data_length() > m_ranges[port].end() - addr) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return -1;
    }
    tx.set_address(addr - m_ranges[port].base);
    return port;
}

void bus::b_transport(int, tlm::tlm_generic_payload& tx, sc_time& delay) {
    const uint64_t addr = tx.get_address();
    const int port = route(tx);
    if (port < 0) { ++m_decode_errors; return; }
    // A burst train (common/burst_train.h) counts as the bursts it stands for.
    const burst_train* t = train_of(tx);
    m_transactions += t ? t->bursts.size() : 1;
    delay += m_latency;
    out[port]->b_transport(tx, delay);
    tx.set_address(addr);
}

unsigned bus::transport_dbg(int, tlm::tlm_generic_payload& tx) {
    const uint64_t addr = tx.get_address();
    const int port = route(tx);
    if (port < 0) return 0;
    const unsigned n = out[port]->transport_dbg(tx);
    tx.set_address(addr);
    return n;
}

bool bus::get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    const uint64_t addr = tx.get_address();
    const int port = route(tx);
    if (port < 0) return false;
    const bool ok = out[port]->get_direct_mem_ptr(tx, dmi);
    const uint64_t base = m_ranges[port].base;
    dmi.set_start_address(dmi.get_start_address() + base);
    dmi.set_end_address(dmi.get_end_address() + base);
    tx.set_address(addr);
    return ok;
}

void bus::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
    const uint64_t base = m_ranges[id].base;
    for (unsigned i = 0; i < in.size(); ++i) in[i]->invalidate_direct_mem_ptr(start + base, end + base);
}

}  // namespace dtq
