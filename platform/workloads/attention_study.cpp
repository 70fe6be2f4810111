#include "platform/workloads/attention_study.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <numeric>

#include "common/trace.h"
#include "platform/sequencer/attention_layer.h"
#include "platform/workloads/model_zoo.h"
#include "platform/workloads/synthetic.h"
#include "platform/workloads/designs.h"
#include "topk/topk.h"
#include "vssa/engine.h"
#include "vssa/gemm.h"

namespace dtq {

using namespace sc_core;

synthetic_layer synthetic_layer_of(const scenario_config& c, uint64_t layer) {
    const auto& a = c.workload.attention;
    const uint64_t n = a.seq;
    synthetic_layer s;
    s.seed = c.seed * 1000003 + layer;
    s.salience = synthetic_attention(n, find_model(a.model)->d_head(), s.seed).salience;
    s.k0 = topk::count_from_ratio(1.0 - a.ratio_pruned, n);
    s.k1 = std::min(s.k0, topk::count_from_ratio(a.ratio_8bit, n));
    std::vector<uint32_t> all(n);
    std::iota(all.begin(), all.end(), 0u);
    const topk::precision_split split = topk::split({}, s.salience, all, s.k0, s.k1);
    s.bits.assign(n, 0);
    for (uint32_t t : split.bits4) s.bits[t] = 4;
    for (uint32_t t : split.bits8) s.bits[t] = 8;
    return s;
}

designs::eyeriss_params eyeriss_params_of(const attention_study_config& a) {
    designs::eyeriss_params p;
    p.rows = a.eyeriss_rows;
    p.cols = a.eyeriss_cols;
    p.bits = a.eyeriss_bits;
    p.utilization = a.eyeriss_utilization;
    p.scores_in_dram = a.eyeriss_scores_in_dram;
    return p;
}

designs::spatten_params spatten_params_of(const attention_study_config& a) {
    designs::spatten_params p;
    p.rows = a.spatten_rows;
    p.cols = a.spatten_cols;
    p.pe_bits = a.spatten_pe_bits;
    return p;
}

uint64_t simulated_heads(const attention_study_config& a) {
    const uint64_t all = find_model(a.model)->heads;
    return a.heads ? std::min(a.heads, all) : all;
}

attention_study::attention_study(const sc_module_name& n, const scenario_config& cfg, const dtq::clock& clk)
    : workload(n),
      m_cfg(cfg),
      m_clk(clk),
      m_vssa("vssa"),
      m_tokens("tokens"),
      m_cycles(m_vssa.counter("cycles", "cycles", "VSSA cycles of all attention GEMMs, in the scenario's order")),
      m_cycles_other(m_vssa.counter("cycles_other_order", "cycles",
                                    "the same GEMMs with vssa.reorder flipped (0 unless compare_reorder)")),
      m_busy(m_vssa.counter("busy_pe_cycles", "cycles", "sum over PEs of cycles spent on MACs")),
      m_stall(m_vssa.counter("stall_cycles", "cycles", "sum over PEs of cycles stalled waiting for the slowest PE")),
      m_tiles(m_vssa.counter("iterations", "count", "tiles (iterations of Fig. 5) executed")),
      m_macs4x4(m_vssa.counter("macs_4x4", "count", "MACs with both operands 4-bit")),
      m_macs8x4(m_vssa.counter("macs_8x4", "count", "MACs with one 8-bit and one 4-bit operand")),
      m_macs8x8(m_vssa.counter("macs_8x8", "count", "MACs with both operands 8-bit")),
      m_checks(m_vssa.counter("reorder_checks", "count", "GEMMs whose reordered result was verified against the plain one")),
      m_pruned(m_tokens.counter("pruned", "tokens", "tokens at 0 bits, summed over layers")),
      m_bits4(m_tokens.counter("bits4", "tokens", "tokens at 4 bits, summed over layers")),
      m_bits8(m_tokens.counter("bits8", "tokens", "tokens at 8 bits, summed over layers")),
      m_cycles_8bit(m_vssa.counter("cycles_8bit_baseline", "cycles",
                                   "the same GEMMs with every token 8-bit and none pruned (0 unless compare_baselines)")),
      m_stall_other(m_vssa.counter("stall_cycles_other_order", "cycles", "stall_cycles with vssa.reorder flipped (0 unless compare_reorder)")),
      m_busy_8bit(m_vssa.counter("busy_pe_cycles_8bit_baseline", "cycles", "busy_pe_cycles of the 8-bit baseline (0 unless compare_baselines)")),
      m_stall_8bit(m_vssa.counter("stall_cycles_8bit_baseline", "cycles", "stall_cycles of the 8-bit baseline (0 unless compare_baselines)")),
      m_macs_8bit(m_vssa.counter("macs_8bit_baseline", "count", "MACs of the 8-bit baseline, all 8x8 (0 unless compare_baselines)")),
      m_designs("designs"),
      m_dense_macs(m_designs.counter("dense_macs", "count",
                                     "MACs of the attention GEMMs with no token pruned (Q x K^T and P x V; 0 unless compare_baselines)")) {
    m_vssa.derived("busy_pe_cycles_spatten", "cycles", "busy_pe_cycles of the SpAtten-style scheme (expected, as cycles_spatten)",
                   [this] { return m_busy_spatten; });
    m_vssa.derived("stall_cycles_spatten", "cycles", "stall_cycles of the SpAtten-style scheme (expected)", [this] { return m_stall_spatten; });
    for (int i = 0; i < 3; ++i) {
        static const char* mode[3] = {"4x4", "8x4", "8x8"};
        m_vssa.derived(fmt::format("macs_{}_spatten", mode[i]), "count",
                       fmt::format("{} MACs of the SpAtten-style scheme (expected, as cycles_spatten)", mode[i]),
                       [this, i] { return m_macs_spatten[i]; });
    }
    const auto add = [this](design_stats& d, const std::string& name, const std::string& what) {
        d.cycles = &m_designs.counter(name + ".cycles", "cycles",
                                      what + ": max(compute_cycles, dram_cycles) per head, summed (0 unless compare_baselines)");
        d.compute = &m_designs.counter(name + ".compute_cycles", "cycles", what + ": cycles of its PEs on the attention GEMMs");
        d.bytes = &m_designs.counter(name + ".dram_bytes", "bytes", what + ": Q, K, V read and the attention output written");
        d.dram_cycles = &m_designs.counter(name + ".dram_cycles", "cycles", what + ": dram_bytes / dram.bytes_per_cycle, per head rounded up");
        d.macs = &m_designs.counter(name + ".macs", "count", what + ": MACs its PEs execute (pruned tokens' MACs are not executed)");
        d.ideal = &m_designs.counter(name + ".ideal_cycles", "cycles",
                                     what + ": PE cycles of its MACs / its PEs, per head rounded up (every PE busy every cycle)");
        d.busy = &m_designs.counter(name + ".busy_pe_cycles", "cycles", what + ": PE cycles spent on MACs (energy.designs.*)");
        d.stall = &m_designs.counter(name + ".stall_pe_cycles", "cycles", what + ": PE cycles stalled for the slowest PE of a tile");
        m_designs.derived(name + ".utilization", "ratio", name + ".ideal_cycles / " + name + ".compute_cycles",
                          [&d] { return *d.compute ? static_cast<double>(*d.ideal) / static_cast<double>(*d.compute) : 0.0; });
    };
    // The one-speed designs' shapes (workload.attention.eyeriss_* / spatten_*), for the energy model.
    const auto shape = [this](const std::string& key, const std::string& unit, const std::string& what, uint64_t v) {
        m_designs.derived_int(key, unit, what + " (0 unless compare_baselines)",
                              [this, v] { return m_cfg.workload.attention.compare_baselines ? v : 0; });
    };
    const auto& at = m_cfg.workload.attention;
    shape("eyeriss_like.pes", "count", "PEs of the Eyeriss-like design (eyeriss_rows x eyeriss_cols)", at.eyeriss_rows * at.eyeriss_cols);
    shape("eyeriss_like.rows", "count", "rows of the Eyeriss-like design's array", at.eyeriss_rows);
    shape("eyeriss_like.cols", "count", "columns of the Eyeriss-like design's array", at.eyeriss_cols);
    shape("eyeriss_like.operand_bits", "bits", "operand width of the Eyeriss-like design", at.eyeriss_bits);
    shape("spatten_like.pes", "count", "PEs of the SpAtten-like design (spatten_rows x spatten_cols)", at.spatten_rows * at.spatten_cols);
    shape("spatten_like.rows", "count", "rows of the SpAtten-like design's array", at.spatten_rows);
    shape("spatten_like.cols", "count", "columns of the SpAtten-like design's array", at.spatten_cols);
    shape("spatten_like.operand_bits", "bits", "PE width of the SpAtten-like design", at.spatten_pe_bits);
    add(m_eyeriss, "eyeriss_like", "Eyeriss-like design (224 16-bit MACs as 14 x 16, dense 16-bit, no pruning)");
    add(m_systolic, "systolic_based", "systolic-based design (the VSSA at the scenario's ratios, no token reordering)");
    add(m_dtq, "dtqatten", "DTQAtten (the VSSA at the scenario's ratios with token reordering)");
    add(m_spatten, "spatten_like", "SpAtten-like design (352 12-bit MACs as 16 x 22 at one speed; pruning cuts MACs and bytes, per-layer precision only bytes)");
    const auto over = [](const uint64_t* num, const uint64_t* den) {
        return [num, den] { return *den ? static_cast<double>(*num) / static_cast<double>(*den) : 0.0; };
    };
    m_designs.derived("systolic_based.speedup_vs_eyeriss", "x", "eyeriss_like.cycles / systolic_based.cycles (Fig. 8)",
                      over(m_eyeriss.cycles, m_systolic.cycles));
    m_designs.derived("dtqatten.speedup_vs_eyeriss", "x", "eyeriss_like.cycles / dtqatten.cycles (Fig. 8)",
                      over(m_eyeriss.cycles, m_dtq.cycles));
    m_designs.derived("systolic_based.ideal_speedup_vs_eyeriss", "x",
                      "eyeriss_like.ideal_cycles / systolic_based.ideal_cycles: Fig. 8 with every PE of both designs busy every cycle",
                      over(m_eyeriss.ideal, m_systolic.ideal));
    m_designs.derived("dtqatten.ideal_speedup_vs_eyeriss", "x",
                      "eyeriss_like.ideal_cycles / dtqatten.ideal_cycles: Fig. 8 with every PE of both designs busy every cycle "
                      "(speedup_vs_eyeriss = this x dtqatten.utilization / eyeriss_like.utilization when both are compute bound)",
                      over(m_eyeriss.ideal, m_dtq.ideal));
    m_designs.derived("spatten_like.speedup_vs_eyeriss", "x", "eyeriss_like.cycles / spatten_like.cycles",
                      over(m_eyeriss.cycles, m_spatten.cycles));
    m_designs.derived("dtqatten.speedup_vs_spatten_like", "x", "spatten_like.cycles / dtqatten.cycles (Table I)",
                      over(m_spatten.cycles, m_dtq.cycles));
    const auto gops = [this](const uint64_t* cycles) {
        return [this, cycles] {
            // 2 ops per dense-equivalent MAC over the run's time at the scenario's clock
            return *cycles ? 2.0 * static_cast<double>(m_dense_macs) /
                                 (static_cast<double>(*cycles) * static_cast<double>(m_clk.period_ps()) * 1e-3)
                           : 0.0;
        };
    };
    m_designs.derived("dtqatten.throughput_gops", "GOP/s", "2 x dense_macs / (dtqatten.cycles x clock period) (Table I)",
                      gops(m_dtq.cycles));
    m_designs.derived("spatten_like.throughput_gops", "GOP/s", "2 x dense_macs / (spatten_like.cycles x clock period) (Table I)",
                      gops(m_spatten.cycles));
    m_designs.derived("eyeriss_like.throughput_gops", "GOP/s", "2 x dense_macs / (eyeriss_like.cycles x clock period)",
                      gops(m_eyeriss.cycles));
    m_vssa.derived("cycles_spatten", "cycles",
                   "SpAtten-style scheme: spatten_ratio_pruned pruned, a spatten_ratio_4bit / (1 - pruned) share of layers all 4-bit, "
                   "the others all 8-bit (expected cycles; 0 unless compare_baselines)",
                   [this] { return m_cycles_spatten; });
    const auto speedup = [this](double num) { return m_cycles ? num / static_cast<double>(m_cycles) : 0.0; };
    m_vssa.derived("speedup_vs_8bit", "x", "cycles_8bit_baseline / cycles (this scenario's scheme)",
                   [this, speedup] { return speedup(static_cast<double>(m_cycles_8bit)); });
    m_vssa.derived("speedup_other_order_vs_8bit", "x", "cycles_8bit_baseline / cycles_other_order", [this] {
        return m_cycles_other ? static_cast<double>(m_cycles_8bit) / static_cast<double>(m_cycles_other) : 0.0;
    });
    m_vssa.derived("speedup_spatten_vs_8bit", "x", "cycles_8bit_baseline / cycles_spatten", [this] {
        return m_cycles_spatten > 0 ? static_cast<double>(m_cycles_8bit) / m_cycles_spatten : 0.0;
    });
    m_vssa.derived("stall_ratio", "ratio", "mean over iterations of R = stall / (PEs x slowest PE cycles)",
                   [this] { return m_tiles ? m_r_sum / static_cast<double>(m_tiles) : 0.0; });
    m_vssa.derived("stall_ratio_other_order", "ratio", "mean R with vssa.reorder flipped",
                   [this] { return m_tiles_other ? m_r_sum_other / static_cast<double>(m_tiles_other) : 0.0; });
    m_vssa.derived("reorder_speedup", "x", "cycles without reordering / cycles with reordering", [this] {
        if (!m_cycles_other || !m_cycles) return 0.0;
        return m_cfg.vssa.reorder ? static_cast<double>(m_cycles_other) / static_cast<double>(m_cycles)
                                  : static_cast<double>(m_cycles) / static_cast<double>(m_cycles_other);
    });
    m_vssa.derived_int("idle_pe_cycles", "cycles",
                       "PEs x cycles - busy_pe_cycles - stall_cycles: PE cycles neither computing nor stalled (skew, drain, "
                       "partial tiles, waiting arrays; clock-gated, leakage only in docs/energy.md)", [this] {
        const uint64_t all = m_cfg.vssa.rows * m_cfg.vssa.cols * m_cfg.vssa.arrays * m_cycles;
        return all > m_busy + m_stall ? all - m_busy - m_stall : 0;
    });
    m_vssa.derived("utilization", "ratio", "busy PE cycles / (PEs x arrays x cycles)", [this] {
        const double pes = static_cast<double>(m_cfg.vssa.rows * m_cfg.vssa.cols * m_cfg.vssa.arrays);
        return m_cycles ? static_cast<double>(m_busy) / (pes * static_cast<double>(m_cycles)) : 0.0;
    });
    SC_THREAD(run);
}

void attention_study::run() {
    try {
        body();
    } catch (const vssa::reorder_mismatch& e) {
        check_failed = e.what();
    } catch (const vssa::cosim_mismatch& e) {
        error = std::string("lockstep mismatch between the VSSA model and the RTL\n") + e.what();
    } catch (const std::exception& e) {
        error = e.what();
    }
    done = true;
    sc_stop();
}

void attention_study::body() {
    const auto& a = m_cfg.workload.attention;
    const model_shape m = *find_model(a.model);
    const uint64_t n = a.seq, dh = m.d_head();
    const bool functional = m_cfg.mode == sim_mode::functional;
    // workload.attention.head_mapping: head_per_array runs each head's GEMMs on one array and
    // up to vssa.arrays heads at once (a round); spread runs each GEMM over all arrays, one
    // head a round.
    const bool per_array = a.head_mapping == "head_per_array";
    vssa::vssa_config vc = vssa_config_of(m_cfg, out_dir);
    const uint64_t per_round = per_array ? std::max<uint64_t>(1, vc.arrays) : 1;
    if (per_array) vc.arrays = 1;
    vssa::vssa_config other = vc;  // the comparison runs on the model: it only needs cycles
    other.reorder = !vc.reorder;
    other.backend = vssa::pe_backend::model;
    other.fault = {};
    vssa::vssa_config other_base = other;  // baselines: the scenario's own order
    other_base.reorder = vc.reorder;
    uint64_t now = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (uint64_t layer = 0; layer < a.layers; ++layer) {
        const synthetic_layer sl = synthetic_layer_of(m_cfg, layer);
        const uint64_t lseed = sl.seed;
        const std::vector<uint8_t>& bits = sl.bits;
        m_pruned += static_cast<uint64_t>(std::count(bits.begin(), bits.end(), 0));
        m_bits4 += static_cast<uint64_t>(std::count(bits.begin(), bits.end(), 4));
        m_bits8 += static_cast<uint64_t>(std::count(bits.begin(), bits.end(), 8));
        // SpAtten-style baseline: the same salience ranking, its own pruning ratio.
        std::vector<uint32_t> all(n);
        std::iota(all.begin(), all.end(), 0u);
        const std::vector<uint32_t> spatten_kept =
            topk::select(sl.salience, all, topk::count_from_ratio(1.0 - a.spatten_ratio_pruned, n));
        std::vector<uint8_t> kept_bits;
        for (uint8_t b : bits)
            if (b) kept_bits.push_back(b);
        const uint64_t heads = simulated_heads(a);
        uint64_t round_this = 0, round_other = 0;  // the round's VSSA cycles: its slowest head, either order
        designs::timing round_dtq, round_sys;       // the round's heads on the two VSSA designs (merged below)
        for (uint64_t h = 0; h < heads; ++h) {
            uint64_t head_now = now;  // heads of a round start together
            vssa::gemm_op qk;
            qk.name = fmt::format("layer{}.head{}.qk", layer, h);
            qk.M = qk.N = n;
            qk.K = dh;
            qk.row_bits = qk.col_bits = bits;
            std::vector<int8_t> q, k;
            if (functional) {
                const attention_inputs in = synthetic_attention(n, dh, lseed * 31 + h);
                q = in.q;
                k = in.k;
                for (uint64_t t = 0; t < n; ++t)
                    if (bits[t] == 4)
                        for (uint64_t c = 0; c < dh; ++c) {
                            // 4-bit codes in [-8, 7], as the line buffers hold them (gemm.h)
                            q[t * dh + c] = vssa::quantize_4bit_code(q[t * dh + c]);
                            k[t * dh + c] = vssa::quantize_4bit_code(k[t * dh + c]);
                        }
                qk.a = q.data();
                qk.bt = k.data();
            }
            vssa::gemm_op pv;
            pv.name = fmt::format("layer{}.head{}.pv", layer, h);
            pv.M = kept_bits.size();
            pv.N = dh;
            pv.K = kept_bits.size();
            pv.k_bits = kept_bits;
            // The probabilities' precision (workload.attention.prob_precision; 8-bit: row_bits empty).
            if (a.prob_precision == "4bit") pv.row_bits.assign(kept_bits.size(), 4);
            else if (a.prob_precision == "query_token") pv.row_bits = kept_bits;
            uint64_t head_this = 0, head_other = 0;  // this head's VSSA cycles in the scenario's / the other order
            uint64_t head_busy = 0, head_macs = 0;   // this head's busy PE cycles and MACs on the VSSA
            uint64_t head_stall_this = 0, head_stall_other = 0;  // its stalled PE cycles in either order
            for (const vssa::gemm_op* op : {&qk, &pv}) {
                const vssa::gemm_result r = vssa::run_gemm(vc, *op);
                head_this += r.cycles;
                head_busy += r.busy_pe_cycles;
                head_stall_this += r.stall_pe_cycles;
                head_macs += r.macs_by_mode[0] + r.macs_by_mode[1] + r.macs_by_mode[2];
                if (trace::global().enabled()) {
                    trace::global().span("vssa", op->name, head_now, head_now + r.cycles,
                                         fmt::format(R"({{"tiles":{},"stall_pe_cycles":{}}})", r.tiles, r.stall_pe_cycles));
                    // Per-iteration R (Fig. 5 order), spread over the GEMM's span.
                    for (size_t i = 0; i < r.iteration_r.size(); ++i)
                        trace::global().counter("vssa", "stall_ratio", head_now + r.cycles * i / r.iteration_r.size(),
                                                r.iteration_r[i]);
                }
                head_now += r.cycles;
                m_busy += r.busy_pe_cycles;
                m_stall += r.stall_pe_cycles;
                m_tiles += r.tiles;
                m_r_sum += r.stall_ratio_sum;
                m_macs4x4 += r.macs_by_mode[0];
                m_macs8x4 += r.macs_by_mode[1];
                m_macs8x8 += r.macs_by_mode[2];
                m_checks += r.reorder_checked;
                if (a.compare_reorder) {
                    vssa::gemm_op timing_only = *op;
                    timing_only.a = timing_only.bt = nullptr;
                    const vssa::gemm_result o = vssa::run_gemm(other, timing_only);
                    m_stall_other += o.stall_pe_cycles;
                    head_other += o.cycles;
                    head_stall_other += o.stall_pe_cycles;
                    m_r_sum_other += o.stall_ratio_sum;
                    m_tiles_other += o.tiles;
                }
            }
            if (a.compare_baselines) {
                // The same head's attention GEMMs, timing only, with other token precisions.
                const auto cycles_with = [&](const std::vector<uint8_t>& b) {
                    std::vector<uint8_t> kb;
                    for (uint8_t x : b)
                        if (x) kb.push_back(x);
                    vssa::gemm_op q2, p2;
                    q2.M = q2.N = n;
                    q2.K = dh;
                    q2.row_bits = q2.col_bits = b;
                    p2.M = p2.K = kb.size();
                    p2.N = dh;
                    p2.k_bits = kb;
                    vssa::gemm_result r = vssa::run_gemm(other_base, q2);
                    const vssa::gemm_result r2 = vssa::run_gemm(other_base, p2);
                    r.cycles += r2.cycles;
                    r.busy_pe_cycles += r2.busy_pe_cycles;
                    r.stall_pe_cycles += r2.stall_pe_cycles;
                    for (int i = 0; i < 3; ++i) r.macs_by_mode[i] += r2.macs_by_mode[i];
                    return r;
                };
                const vssa::gemm_result b8 = cycles_with(std::vector<uint8_t>(n, 8));
                m_cycles_8bit += b8.cycles;
                m_busy_8bit += b8.busy_pe_cycles;
                m_stall_8bit += b8.stall_pe_cycles;
                m_macs_8bit += b8.macs_by_mode[0] + b8.macs_by_mode[1] + b8.macs_by_mode[2];
                std::vector<uint8_t> sp4(n, 0), sp8(n, 0);
                for (uint32_t t : spatten_kept) sp4[t] = 4, sp8[t] = 8;
                const double kept = 1.0 - a.spatten_ratio_pruned;
                const double share4 = kept > 0 ? std::min(1.0, a.spatten_ratio_4bit / kept) : 0.0;
                const vssa::gemm_result s4 = cycles_with(sp4), s8 = cycles_with(sp8);
                const auto mix = [share4](uint64_t x4, uint64_t x8) {
                    return share4 * static_cast<double>(x4) + (1 - share4) * static_cast<double>(x8);
                };
                m_cycles_spatten += mix(s4.cycles, s8.cycles);
                m_busy_spatten += mix(s4.busy_pe_cycles, s8.busy_pe_cycles);
                m_stall_spatten += mix(s4.stall_pe_cycles, s8.stall_pe_cycles);
                for (int i = 0; i < 3; ++i) m_macs_spatten[i] += mix(s4.macs_by_mode[i], s8.macs_by_mode[i]);
                // The paper's comparison designs on this head (platform/designs.h).
                const uint64_t bpc = m_cfg.dram.bytes_per_cycle;
                const uint64_t pes = m_cfg.vssa.rows * m_cfg.vssa.cols * m_cfg.vssa.arrays;
                m_dense_macs += 2 * n * n * dh;
                m_eyeriss.add(designs::eyeriss_like_head(n, dh, a.eyeriss_dram_bytes_per_cycle ? a.eyeriss_dram_bytes_per_cycle : bpc,
                                                          eyeriss_params_of(a)));
                m_spatten.add(designs::spatten_like_head(n, spatten_kept.size(), dh, share4, bpc, spatten_params_of(a)));
                // DTQAtten and the systolic-based design read the kept tokens at their own precisions.
                const double mean_bits = sl.k0 ? (4.0 * static_cast<double>(sl.k0 - sl.k1) + 8.0 * static_cast<double>(sl.k1)) /
                                                     static_cast<double>(sl.k0)
                                               : 0.0;
                const uint64_t bytes = designs::head_dram_bytes(sl.k0, dh, mean_bits, n, 8);
                const uint64_t with_reorder = vc.reorder ? head_this : head_other;
                const uint64_t without = vc.reorder ? head_other : head_this;
                // workload.attention.systolic_token_bits: the systolic-based design's kept tokens in slots of that width.
                const uint64_t systolic_bytes =
                    a.systolic_token_bits ? designs::head_dram_bytes(sl.k0, dh, static_cast<double>(a.systolic_token_bits), n, 8) : bytes;
                // This head merged into its round: the round computes as long as its slowest head
                // (its heads on separate arrays) and reads all its heads' bytes.
                const auto merge = [&](designs::timing& t, uint64_t compute, uint64_t stall, uint64_t head_bytes) {
                    t.busy_pe_cycles += head_busy;
                    t.stall_pe_cycles += stall;
                    t.macs += head_macs;  // the same MACs and PE cycles in either order: reordering moves only stalls
                    t.ideal_cycles += designs::ideal_cycles(head_busy, pes);
                    t.compute_cycles = std::max(t.compute_cycles, compute);
                    t.dram_bytes += head_bytes;
                };
                if (a.compare_reorder) {
                    merge(round_dtq, with_reorder, vc.reorder ? head_stall_this : head_stall_other, bytes);
                    merge(round_sys, without, vc.reorder ? head_stall_other : head_stall_this, systolic_bytes);
                }
            }
            round_this = std::max(round_this, head_this);
            round_other = std::max(round_other, head_other);
            if ((h + 1) % per_round == 0 || h + 1 == heads) {
                now += round_this;
                m_cycles += round_this;
                m_cycles_other += round_other;
                round_this = round_other = 0;
                if (a.compare_baselines && a.compare_reorder) {
                    const uint64_t bpc = m_cfg.dram.bytes_per_cycle;
                    for (auto [d, t] : {std::pair{&m_dtq, &round_dtq}, std::pair{&m_systolic, &round_sys}}) {
                        // loads overlap compute (double buffering): the round takes the longer of the two
                        t->dram_cycles = bpc ? (t->dram_bytes + bpc - 1) / bpc : 0;
                        t->cycles = std::max(t->compute_cycles, t->dram_cycles);
                        d->add(*t);
                        *t = {};
                    }
                }
            }
            ++progress;
        }
        if (show_progress) {
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::cerr << fmt::format("\r[attention_study] layer {}/{}  {} cycles  {:.3g} cycles/s   ", layer + 1,
                                     a.layers, now, now / std::max(wall, 1e-9))
                      << std::flush;
        }
    }
    if (show_progress) std::cerr << "\r" << std::string(70, ' ') << "\r" << std::flush;
    busy_until = now;  // the GEMMs' time, computed above: simulated time catches up (not a hang)
    wait(m_clk.time(now));
}

}  // namespace dtq
