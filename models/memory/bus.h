// System bus / router. Initiators bind to `in`, targets to `out`; the address map is
// given by map() calls from platform/. A decode miss answers TLM_ADDRESS_ERROR_RESPONSE.
// Targets see local addresses (address - base). The bus adds `latency_cycles` to every
// transaction (docs/timing-model.md#bus); it models no contention of its own, the
// targets do (each has a "busy until").
#pragma once
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/stats.h"

namespace dtq {

struct bus_config {
    uint64_t latency_cycles = 1;
};

struct address_range {
    std::string name;
    uint64_t base = 0;
    uint64_t size = 0;
    uint64_t end() const { return base + size; }  // one past the last byte
    bool contains(uint64_t a) const { return a >= base && a - base < size; }
};

class bus : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<bus> in;    // from initiators (host, ctrl, dma, ...)
    tlm_utils::multi_passthrough_initiator_socket<bus> out; // to targets, in map() order

    bus(const sc_core::sc_module_name& name, const bus_config& cfg, const clock& clk);
    bus(const bus&) = delete;
    bus& operator=(const bus&) = delete;

    // Map [base, base+size) to the next `out` binding. Returns the out port index.
    // Throws std::invalid_argument on an empty range or an overlap with a mapped range.
    unsigned map(const std::string& name, uint64_t base, uint64_t size);
    const std::vector<address_range>& ranges() const { return m_ranges; }
    // Index of the range containing addr, or -1.
    int decode(uint64_t addr) const;

private:
    void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    unsigned transport_dbg(int id, tlm::tlm_generic_payload& tx);
    bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
    void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);
    int route(tlm::tlm_generic_payload& tx);

    bus_config m_cfg;
    clock m_clk;
    sc_core::sc_time m_latency;  // latency_cycles
    std::vector<address_range> m_ranges;
    stat_group m_stats;
    uint64_t& m_transactions;
    uint64_t& m_decode_errors;
};

}  // namespace dtq
