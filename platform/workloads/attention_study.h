// The VSSA study of DTQAtten Sec. IV-B: every head's Q x K^T and attention-prob x V
// of `layers` layers on the VSSA, tokens split by a seeded importance ranking at the
// scenario's ratios, with and without token clustering. Functional mode computes Q x K^T
// on synthetic data and verifies the reordering identity on every GEMM.
#pragma once
#include <systemc>

#include "common/clock.h"
#include "common/stats.h"
#include "platform/config/config.h"
#include "platform/workloads/designs.h"

namespace dtq {

// The synthetic attention workload, shared by the attention study and the `attention`
// app's loader (docs/attention.md): layer L's tensors come from the seed
// seed * 1000003 + L; head h's Q/K/V are synthetic_attention(seq, d_head, seed * 31 + h);
// head 0 of the layer seed gives the tokens' salience, and the layer's precisions are the
// two top-k engines' split of it at the scenario's ratios (the same in both modes, so
// cycles do not depend on the mode).
struct synthetic_layer {
    uint64_t seed = 0;               // the layer's seed
    std::vector<uint32_t> salience;  // per token
    std::vector<uint8_t> bits;       // per token: 0 (pruned), 4 or 8
    uint64_t k0 = 0, k1 = 0;         // kept tokens, of which 8-bit
};
synthetic_layer synthetic_layer_of(const scenario_config& c, uint64_t layer);
// Heads simulated per layer: workload.attention.heads, 0 = all of the model's.
uint64_t simulated_heads(const attention_study_config& a);
// The comparison designs' knobs (workload.attention.eyeriss_* / spatten_*) as their parameters.
designs::eyeriss_params eyeriss_params_of(const attention_study_config& a);
designs::spatten_params spatten_params_of(const attention_study_config& a);

// What the platform's watchdog and reports need from any workload.
class workload : public sc_core::sc_module {
public:
    using sc_core::sc_module::sc_module;
    uint64_t progress = 0;      // grows while the workload advances
    uint64_t busy_until = 0;    // the workload's own computation lasts until this cycle (progress for the watchdog)
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
    // Energy of the baselines (docs/energy.md#baselines): their PE activity on the same array.
    uint64_t& m_stall_other;
    uint64_t& m_busy_8bit;
    uint64_t& m_stall_8bit;
    uint64_t& m_macs_8bit;
    double m_busy_spatten = 0, m_stall_spatten = 0, m_macs_spatten[3] = {0, 0, 0};
    // The comparison designs of Fig. 8 / Table I (platform/designs.h; 0 unless compare_baselines).
    stat_group m_designs;
    struct design_stats {
        uint64_t* cycles;
        uint64_t* compute;
        uint64_t* bytes;
        uint64_t* dram_cycles;
        uint64_t* macs;   // MACs its PEs execute
        uint64_t* ideal;  // PE cycles of those MACs / PEs, per head rounded up: every PE busy every cycle
        uint64_t* busy;   // PE cycles spent on MACs (one a MAC on the one-speed designs)
        uint64_t* stall;  // PE cycles stalled waiting for the slowest PE (VSSA designs only)
            // Adds one head's (or one round's) timing of this design to its counters.
        void add(const designs::timing& t) const {
            *cycles += t.cycles;
            *compute += t.compute_cycles;
            *bytes += t.dram_bytes;
            *dram_cycles += t.dram_cycles;
            *macs += t.macs;
            *ideal += t.ideal_cycles;
            *busy += t.busy_pe_cycles;
            *stall += t.stall_pe_cycles;
        }
    };
    design_stats m_eyeriss{}, m_systolic{}, m_dtq{}, m_spatten{};
    uint64_t& m_dense_macs;
    double m_r_sum = 0, m_r_sum_other = 0;
    uint64_t m_tiles_other = 0;
};

}  // namespace dtq
