// The VSSA study of DTQAtten Sec. IV-B: every head's Q x K^T and attention-prob x V
// of `layers` layers on the VSSA, tokens split by a seeded importance ranking at the
// scenario's ratios, with and without token clustering. Functional mode computes Q x K^T
// on synthetic data and verifies the reordering identity on every GEMM.
#pragma once
#include <systemc>

#include "common/clock.h"
#include "common/stats.h"
#include "platform/config.h"

namespace dtq {

// What the platform's watchdog and reports need from any workload.
class workload : public sc_core::sc_module {
public:
    using sc_core::sc_module::sc_module;
    uint64_t progress = 0;      // grows while the workload advances
    bool done = false;
    std::string error;          // "" or what stopped the run (exit code 3)
    std::string check_failed;   // "" or the result check that did not hold (exit code 1)
    bool show_progress = false;
    std::string out_dir;        // where a workload writes its files (VCD of a cosim mismatch)
};

class attention_study : public workload {
public:
    attention_study(const sc_core::sc_module_name& n, const scenario_config& cfg, const dtq::clock& clk);
    SC_HAS_PROCESS(attention_study);

private:
    void run();
    void body();
    const scenario_config& m_cfg;
    const dtq::clock& m_clk;
    stat_group m_vssa;
    stat_group m_tokens;
    uint64_t& m_cycles;
    uint64_t& m_cycles_other;
    uint64_t& m_busy;
    uint64_t& m_stall;
    uint64_t& m_tiles;
    uint64_t& m_macs4x4;
    uint64_t& m_macs8x4;
    uint64_t& m_macs8x8;
    uint64_t& m_checks;
    uint64_t& m_pruned;
    uint64_t& m_bits4;
    uint64_t& m_bits8;
    uint64_t& m_cycles_8bit;
    double m_cycles_spatten = 0;
    double m_r_sum = 0, m_r_sum_other = 0;
    uint64_t m_tiles_other = 0;
};

}  // namespace dtq
