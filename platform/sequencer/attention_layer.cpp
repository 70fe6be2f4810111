#include "platform/sequencer/attention_layer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "common/timing_only.h"
#include "common/trace.h"
#include "fetcher/fetcher_block.h"
#include "softmax/softmax_block.h"
#include "topk/topk_block.h"
#include "vssa/vssa_block.h"
#include "platform/sequencer/bottleneck.h"
#include "platform/sequencer/unit_error.h"
#include "vssa/gemm.h"

namespace dtq {

using namespace sc_core;
namespace rg = regs;

vssa::vssa_config vssa_config_of(const scenario_config& c, const std::string& out_dir) {
    vssa::vssa_config vc;
    vc.rows = static_cast<uint32_t>(c.vssa.rows);
    vc.cols = static_cast<uint32_t>(c.vssa.cols);
    vc.arrays = static_cast<uint32_t>(c.vssa.arrays);
    vc.reorder = c.vssa.reorder;
    vc.schedule = c.vssa.schedule == "greedy"     ? vssa::tile_schedule::greedy
                : c.vssa.schedule == "balanced" ? vssa::tile_schedule::balanced
                                                : vssa::tile_schedule::round_robin;
    vc.threads = static_cast<unsigned>(c.vssa.threads);
    vc.gemm_memo = c.vssa.gemm_memo;
    vc.backend = c.vssa.backend == "rtl" ? vssa::pe_backend::rtl
               : c.vssa.backend == "lockstep" ? vssa::pe_backend::lockstep : vssa::pe_backend::model;
    vc.vcd_path = (out_dir.empty() ? std::string(".") : out_dir) + "/vssa_mismatch.vcd";
    if (c.vssa.fault == "cycle") vc.fault.add_cycles_at_tile = static_cast<int64_t>(c.vssa.fault_tile);
    if (c.vssa.fault == "result_bit") vc.fault.flip_result_bit_at_tile = static_cast<int64_t>(c.vssa.fault_tile);
    if (vc.backend != vssa::pe_backend::model) install_vssa_backends();
    return vc;
}

vsquant::config vsquant_config_of(const scenario_config& c) {
    vsquant::config v;
    v.vector_size = static_cast<uint32_t>(c.vsquant.vector_size);
    v.scale_bits = static_cast<uint32_t>(c.vsquant.scale_bits);
    return v;
}

softmax::unit_config softmax_config_of(const scenario_config& c) {
    softmax::unit_config u;
    if (!softmax::parse_mode(c.softmax.mode, u.mode))  // the schema admits only the unit's names
        throw std::invalid_argument("softmax.mode: unknown mode '" + c.softmax.mode + "'");
    u.vec.lanes = static_cast<uint32_t>(c.softmax.lanes);
    return u;
}

attention_layer::attention_layer(const sc_module_name& n, const attention_layer_config& cfg, const attention_memories& m,
                                 const dtq::clock& clk)
    : sc_module(n),
      mem("mem"),
      to_fetcher("to_fetcher"),
      to_vssa("to_vssa"),
      to_softmax("to_softmax"),
      to_topk("to_topk"),
      to_dma("to_dma"),
      m_cfg(cfg),
      m_mem(m),
      m_clk(clk),
      m_stats("attention"),
      m_layers(m_stats.counter("layers", "count", "ATTENTION commands completed")),
      m_cycles(m_stats.counter("cycles", "cycles", "sum over layers of first-op-to-last-op cycles")),
      m_busy_dma(m_stats.counter("dma_busy_cycles", "cycles", "DMA busy: Q/K/V fetch and result drain")),
      m_busy_fetcher(m_stats.counter("fetcher_busy_cycles", "cycles", "fetcher address generation")),
      m_busy_softmax(m_stats.counter("softmax_busy_cycles", "cycles", "softmax unit busy")),
      m_vssa_qk(m_stats.counter("vssa_qk_cycles", "cycles", "VSSA cycles of Q x K^T")),
      m_vssa_pv(m_stats.counter("vssa_pv_cycles", "cycles", "VSSA cycles of P x V")),
      m_module2(m_stats.counter("module2_cycles", "cycles", "module 2 (importance, top-k, precision write) cycles")),
      m_hidden(m_stats.counter("module2_hidden_cycles", "cycles", "module 2 cycles that ran while module 1 ran")),
      m_exposed(m_stats.counter("module2_exposed_cycles", "cycles", "cycles module 2 added after module 1 ended")),
      m_pruned(m_stats.counter("tokens_pruned", "tokens", "tokens at 0 bits, summed over layers")),
      m_bits4(m_stats.counter("tokens_4bit", "tokens", "tokens at 4 bits, summed over layers")),
      m_bits8(m_stats.counter("tokens_8bit", "tokens", "tokens at 8 bits, summed over layers")),
      m_next_pruned(m_stats.counter("next_tokens_pruned", "tokens", "pruned tokens the top-k chose for the next layer")),
      m_next_bits4(m_stats.counter("next_tokens_4bit", "tokens", "4-bit tokens the top-k chose for the next layer")),
      m_next_bits8(m_stats.counter("next_tokens_8bit", "tokens", "8-bit tokens the top-k chose for the next layer")),
      m_stall(m_stats.counter("vssa_stall_pe_cycles", "cycles", "sum over PEs of VSSA stall cycles")),
      m_tiles(m_stats.counter("vssa_tiles", "count", "VSSA tiles (iterations)")),
      m_transpose_cycles(m_stats.counter("transpose_cycles", "cycles", "V transpose passes before P x V (buffer.two_direction false)")),
      m_transpose_bytes(m_stats.counter("transpose_buffer_bytes", "bytes", "VBUF bytes the transpose passes read and wrote")),
      m_busy_pe(m_stats.counter("vssa_busy_pe_cycles", "cycles", "sum over PEs of VSSA busy cycles (nibble MACs)")),
      m_softmax_elements(m_stats.counter("softmax_elements", "count", "elements the softmax unit normalized (kept queries x kept keys per head)")),
      m_importance_updates(m_stats.counter("importance_updates", "count", "importance-accumulator updates (one per probability)")),
      m_topk_comparisons(m_stats.counter("topk_comparisons", "count", "top-k engine comparisons (engine 0 over the kept tokens, engine 1 over k0)")),
      m_fetcher_lookups(m_stats.counter("fetcher_lookups", "count", "fetcher token lookups (Q, K and V token addresses per head)")),
      m_bound_cycles(m_stats.counter("bottleneck_cycles", "cycles",
                                     "sum over layers of the busy cycles of the layer's busiest unit (its bottleneck, a lower bound "
                                     "on the layer's cycles)")),
      m_vssa_port_wait(m_stats.counter("vssa_port_wait_cycles", "cycles",
                                       "cycles the VSSA's Q x K^T and P x V jobs waited for their line-buffer banks "
                                       "(port contention, docs/timing-model.md#blocks)")) {
    for (size_t u = 0; u < BOTTLENECK_UNITS; ++u) {
        const char* name = bottleneck_unit_names[u];
        m_bound_layers[u] = &m_stats.counter(fmt::format("bottleneck.{}_layers", name), "count",
                                             fmt::format("layers whose busiest unit was the {} (ties: first of dma, fetcher, "
                                                         "vssa, softmax, topk)", name));
        m_bound_busy[u] = &m_stats.counter(fmt::format("bottleneck.{}_cycles", name), "cycles",
                                           fmt::format("the {}'s busy cycles in the layers it bounded", name));
    }
    m_stats.derived("bottleneck_ratio", "ratio", "bottleneck_cycles / cycles: 1 when every layer is exactly as long as its busiest "
                    "unit's work", [this] { return m_cycles ? static_cast<double>(m_bound_cycles) / static_cast<double>(m_cycles) : 0.0; });
    static const char* modes[3] = {"4x4", "8x4", "8x8"};
    for (int i = 0; i < 3; ++i)
        m_macs_mode[i] = &m_stats.counter(fmt::format("vssa_macs_{}", modes[i]), "count",
                                          fmt::format("VSSA MACs in PE mode {} (Q x K^T and P x V)", modes[i]));
    m_stats.derived_int("vssa_busy_cycles", "cycles", "VSSA busy: Q x K^T and P x V", [this] { return m_vssa_qk + m_vssa_pv; });
    m_stats.derived_int("topk_busy_cycles", "cycles", "module 2 busy: importance accumulation, top-k engines",
                        [this] { return m_module2; });
    m_stats.derived("vssa_stall_ratio", "ratio", "mean over VSSA tiles of R",
                    [this] { return m_tiles ? m_r_sum / static_cast<double>(m_tiles) : 0.0; });
    m_stats.derived("module2_hidden_ratio", "ratio", "module2_hidden_cycles / module2_cycles", [this] {
        return m_module2 ? static_cast<double>(m_hidden) / static_cast<double>(m_module2) : 0.0;
    });
}

bool attention_layer::timed_access(bool write, uint64_t addr, uint8_t* data, uint64_t len, uint64_t at, uint64_t& done) {
    tlm::tlm_generic_payload tx;
    init_payload(tx, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, data, len);
    sc_time d = m_clk.time(at) - sc_time_stamp();
    mem->b_transport(tx, d);
    done = m_clk.cycles(sc_time_stamp() + d);
    return tx.is_response_ok();
}

command_outcome attention_layer::execute(const command& c) {
    namespace d = rg::desc::attention;
    const uint64_t q = c.u64(d::Q), k = c.u64(d::K), v = c.u64(d::V), out = c.u64(d::OUT), prec = c.u64(d::PREC_LIST);
    const uint64_t seq = c.u32(d::SEQ), dh = c.u16(d::HEAD_DIM), heads = c.u16(d::HEADS);
    const uint64_t k0 = c.u16(d::K0), k1 = c.u16(d::K1);
    const int shift = c.u16(d::SCORE_SHIFT) ? c.u16(d::SCORE_SHIFT) : 10;
    const bool causal = c.u16(d::MODE) & cmd_bits::ATTN_CAUSAL;
    const bool vsq = c.u16(d::MODE) & cmd_bits::ATTN_VSQ;
    const bool functional = !m_cfg.timing_only;
    const bool tracing = trace::global().enabled();
    command_outcome o;
    m_last_error.clear();
    attention_layer_report rep;
    const uint64_t t0 = c.start_cycle;
    rep.start = t0;
    try {
        // Capacity: two heads in each line buffer (8-bit worst case) and two heads' int32
        // results in the accumulator SRAM (double buffering).
        const uint64_t slot = seq * dh;
        // Head h goes to half h % 2 of each line buffer: the buffer's second bank starts at
        // its middle (docs/timing-model.md#blocks), whatever the head's size.
        const uint64_t lb_half = m_mem.qbuf.config().size / 2;
        for (auto [buf, base, name] : {std::tuple{&m_mem.qbuf, m_mem.qbuf_base, "QBUF"}, {&m_mem.kbuf, m_mem.kbuf_base, "KBUF"},
                                       {&m_mem.vbuf, m_mem.vbuf_base, "VBUF"}})
            if (2 * slot > buf->config().size)
                throw unit_error(rg::err::CAPACITY, base,
                                   fmt::format("{} holds {} bytes, two heads of seq x head_dim = {} x {} need {}", name,
                                               buf->config().size, seq, dh, 2 * slot));
        // The accumulator SRAM holds two halves of `chunk` result rows (int32); a head's
        // P x V result is drained in chunks of rows.
        const uint64_t acc_half = m_mem.accumulator.config().size / 2;
        const uint64_t chunk = std::min<uint64_t>(seq, acc_half / (dh * 4));
        if (chunk == 0)
            throw unit_error(rg::err::CAPACITY, m_mem.accumulator_base,
                               fmt::format("the accumulator holds {} bytes, two result rows of {} int32 need {}",
                                           m_mem.accumulator.config().size, dh, 2 * dh * 4));

        // This layer's precisions.
        uint64_t t = t0;
        std::vector<uint8_t> bits(seq, 8);
        if (prec) {
            uint64_t done = 0;
            if (!timed_access(false, prec, bits.data(), seq, t, done))
                throw unit_error(rg::err::BUS_ERROR, prec, fmt::format("reading the precision list at {:#x}", prec));
            t = done;
            rep.dram_other += seq;
            for (uint64_t i = 0; i < seq; ++i)
                if (bits[i] != 0 && bits[i] != 4 && bits[i] != 8)
                    throw unit_error(rg::err::UNIT_ERROR, prec + i,
                                       fmt::format("precision of token {} is {}, expected 0, 4 or 8", i, bits[i]));
        }
        std::vector<uint32_t> kept, ids8, ids4;
        for (uint32_t i = 0; i < seq; ++i) {
            if (bits[i]) kept.push_back(i);
            if (bits[i] == 8) ids8.push_back(i);
            if (bits[i] == 4) ids4.push_back(i);
        }
        const uint64_t nk = kept.size();
        rep.pruned = seq - nk;
        rep.bits4 = ids4.size();
        rep.bits8 = ids8.size();
        if (k0 > nk)
            throw unit_error(rg::err::UNIT_ERROR, c.address,
                               fmt::format("k0 = {} but only {} tokens are kept in this layer", k0, nk));
        std::vector<uint8_t> kept_bits;
        for (uint32_t id : kept) kept_bits.push_back(bits[id]);
        const std::vector<fetcher::token_ref> order = fetcher::fetch_order(ids8, ids4, m_cfg.vssa.reorder);
        // What the fetcher moves: the tokens at their precision, or, VS-Quant, every kept
        // token's int8 slot (the 4-bit ones are quantized on load, docs/vsquant.md).
        std::vector<fetcher::token_ref> moved = order;
        if (vsq)
            for (auto& tr : moved) tr.bits = 8;
        const uint32_t scale_stages = vsq && !ids4.empty() ? vsquant::SCALE_STAGES : 0;
        const vsquant::config& vc = m_cfg.vsq;
        const double scale = std::ldexp(1.0, -shift) / std::sqrt(static_cast<double>(dh));

        // Per-head milestones (absolute cycles); each block keeps its own "busy until".
        std::vector<uint64_t> v_ready(heads), sm_end(heads), pv_end(heads);
        uint64_t module1_end = t, imp_free = t;
        std::vector<std::vector<int8_t>> probs(2);  // per line-buffer half: the softmax's probabilities
        const auto account = [&](const vssa::gemm_result& r) {
            rep.stall_pe_cycles += r.stall_pe_cycles;
            rep.busy_pe_cycles += r.busy_pe_cycles;
            for (int i = 0; i < 3; ++i) rep.macs_by_mode[i] += r.macs_by_mode[i];
            rep.tiles += r.tiles;
            rep.stall_ratio_sum += r.stall_ratio_sum;
        };
        // Functional mode: the VSSA block reads Q, K and V from the line buffers itself; it
        // needs how the tokens lie there (fetch order, precisions) and which are kept.
        std::vector<vssa::token_slot> slots;
        for (const auto& tr : moved) slots.push_back({tr.id, tr.bits});
        vssa::attention_operands qk_ops, pv_ops;
        for (vssa::attention_operands* x : {&qk_ops, &pv_ops}) {
            x->seq = seq;
            x->dh = dh;
            x->order = &slots;
            x->kept = &kept;
            x->kept_bits = &kept_bits;
            x->vsq = vsq;
            x->vc = vc;
        }
        pv_ops.what = vssa::attention_operands::kind::pv;
        const uint64_t head_b = vssa::head_bytes(slots, dh);  // one tensor of a head in its line buffer
        {  // module 2: a new layer
            topk::topk_job j;
            j.what = topk::topk_job::kind::reset;
            j.tokens = seq;
            m_sender.send(to_topk, j, t, m_clk);
        }

        // Steps: step s fetches head s, runs its Q x K^T, softmax and importance, then the
        // P x V of head s - 1 (the VSSA runs QK(s) before PV(s-1)) and drains its result.
        for (uint64_t s = 0; s <= heads; ++s) {
            if (s < heads) {
                const uint64_t h = s, half = h % 2;
                // Fetch: the line-buffer half is free once P x V of head h - 2 read it.
                fetcher::fetch_job fj;
                fj.label = fmt::format("head {}", h);
                fj.tokens = moved;
                const uint64_t bases[3] = {q, k, v};
                const uint64_t bufs[3] = {m_mem.qbuf_base, m_mem.kbuf_base, m_mem.vbuf_base};
                for (int x = 0; x < 3; ++x) {
                    fj.src[x] = fetcher::tensor_layout{bases[x] + h * slot, dh, dh};
                    fj.dst[x] = bufs[x] + half * lb_half;
                }
                fj.timing_only = m_cfg.timing_only;
                // P x V reads V by columns: without a two-direction buffer, a transpose pass
                // through VBUF's port (docs/timing-model.md#transpose).
                fj.transpose_port = m_cfg.two_direction ? 0 : m_cfg.linebuf_bytes_per_cycle;
                fj.v_offset = half * lb_half;
                m_sender.send(to_fetcher, fj, h >= 2 ? pv_end[h - 2] : t, m_clk);
                rep.dram_qk += fj.dram_bytes[0] + fj.dram_bytes[1];
                rep.dram_sv += fj.dram_bytes[2];
                rep.busy_dma += fj.dma_busy;
                rep.busy_fetcher += fj.busy;
                rep.fetcher_lookups += 3 * moved.size();
                rep.transpose_cycles += fj.transpose_cycles;
                rep.transpose_bytes += fj.transpose_bytes;
                v_ready[h] = fj.ready[2];

                // Q x K^T on the VSSA.
                vssa::gemm_job qj;
                vssa::gemm_op& qk = qj.op;
                qk.name = fmt::format("head{}.qk", h);
                qk.M = qk.N = seq;
                qk.K = dh;
                qk.row_bits = qk.col_bits = bits;
                qk.scale_stages = scale_stages;
                qj.uses[0] = {vssa::QBUF, half * lb_half, head_b};  // the operand streams: Q and K of the half
                qj.uses[1] = {vssa::KBUF, half * lb_half, head_b};
                if (functional) {
                    qk_ops.a = m_mem.qbuf_base + half * lb_half;
                    qk_ops.b = m_mem.kbuf_base + half * lb_half;
                    qj.attn = &qk_ops;
                }
                m_sender.send(to_vssa, qj, std::max(fj.ready[0], fj.ready[1]), m_clk);
                const vssa::gemm_result& rq = qj.result;
                account(rq);
                rep.vssa_port_wait += qj.port_wait;
                rep.vssa_qk += rq.cycles;

                // Softmax over the kept keys of every kept query.
                softmax::softmax_job sj;
                sj.label = fj.label;
                sj.rows = sj.cols = nk;
                if (functional) {
                    sj.scores = qj.scores.data();  // the VSSA's scores, 8-bit domain
                    sj.scale = scale;
                    sj.threads = m_cfg.vssa.threads;
                    if (causal) sj.causal_offset = 0;  // query i (the i-th kept token) sees the kept keys up to itself
                }
                sm_end[h] = m_sender.send(to_softmax, sj, qj.end, m_clk);
                rep.busy_softmax += sj.end - sj.start;
                rep.softmax_elements += nk * nk;
                if (functional) probs[half] = std::move(sj.probs);

                // Module 2: the importance accumulator takes the probabilities of head h.
                topk::topk_job ij;
                ij.what = topk::topk_job::kind::importance;
                ij.label = "importance " + fj.label;
                ij.rows = ij.cols = nk;
                ij.probs = functional ? probs[half].data() : nullptr;
                ij.col_token = &kept;
                imp_free = m_sender.send(to_topk, ij, sm_end[h], m_clk);
                rep.module2 += ij.end - ij.start;
                rep.importance_updates += nk * nk;
            }
            if (s >= 1) {
                const uint64_t h = s - 1, half = h % 2;
                // P x V on the VSSA (module 1): probabilities 8-bit, V tokens at their precision.
                vssa::gemm_job pj;
                vssa::gemm_op& pv = pj.op;
                pv.name = fmt::format("head{}.pv", h);
                pv.M = nk;
                pv.N = dh;
                pv.K = nk;
                pv.k_bits = kept_bits;
                pv.scale_stages = scale_stages;
                pj.uses[0] = {vssa::VBUF, half * lb_half, head_b};  // V of the half (the probabilities: not a local memory)
                if (functional) {  // the VSSA reads V from VBUF's half and the probabilities of head h
                    pv_ops.b = m_mem.vbuf_base + half * lb_half;
                    pv_ops.probs = &probs[half];
                    pj.attn = &pv_ops;
                }
                pv_end[h] = m_sender.send(to_vssa, pj, std::max(sm_end[h], v_ready[h]), m_clk);  // cycles (values do not change them)
                account(pj.result);
                rep.vssa_port_wait += pj.port_wait;
                rep.vssa_pv += pj.result.cycles;
                // The result, int32 seq x dh, through the accumulator SRAM to DRAM, in chunks
                // of rows (one accumulator half each, alternating).
                const std::vector<int32_t>& res_rows = pj.rows;  // functional: the VSSA's result rows, seq x dh
                uint64_t ws = UINT64_MAX, we = pv_end[h];
                for (uint64_t r0 = 0, n = 0; r0 < seq; r0 += chunk, ++n) {
                    const uint64_t rows = std::min(chunk, seq - r0);
                    const uint64_t acc = m_mem.accumulator_base + ((h + n) % 2) * acc_half;
                    if (functional)
                        std::copy(&res_rows[r0 * dh], &res_rows[r0 * dh] + rows * dh,
                                  reinterpret_cast<int32_t*>(m_mem.accumulator.data() + ((h + n) % 2) * acc_half));
                    const dma_descriptor dd{acc, out + (h * seq + r0) * dh * 4, 1, rows * dh * 4, 0, 0};
                    rep.dram_sv += dd.bytes();
                    const dma_job& dj = send_dma(m_sender, to_dma, m_dma_job, dd, m_cfg.timing_only, pv_end[h], m_clk);
                    ws = std::min(ws, dj.start);
                    we = std::max(we, dj.end);
                    rep.busy_dma += dj.busy_added;
                }
                if (tracing && ws != UINT64_MAX && we > ws) trace::global().span("dma", fmt::format("drain head {}", h), ws, we);
                module1_end = std::max(module1_end, we);
            }
        }

        // Module 2 after the last head: both top-k engines, then the next layer's precisions.
        uint64_t end2 = imp_free;
        if (k0) {
            topk::topk_job sel;
            sel.what = topk::topk_job::kind::select;
            sel.col_token = &kept;
            sel.k0 = k0;
            sel.k1 = k1;
            sel.list_addr = prec;
            end2 = m_sender.send(to_topk, sel, imp_free, m_clk);
            rep.dram_other += seq;
            rep.module2 += sel.end - sel.start;
            const topk::precision_split& sp = sel.split;
            rep.topk_comparisons += nk + k0;
            rep.next_pruned = seq - sp.bits4.size() - sp.bits8.size();
            rep.next_bits4 = sp.bits4.size();
            rep.next_bits8 = sp.bits8.size();
        }
        rep.module1_end = module1_end;
        rep.end = std::max(module1_end, end2);
        rep.exposed = rep.end - module1_end;
        rep.hidden = rep.module2 - rep.exposed;
    } catch (const unit_error& e) {
        m_last_error = e.what();
        o.error = e.code;
        o.error_address = e.addr;
        return o;
    } catch (const bus_fault& e) {
        m_last_error = e.what();
        o.error = rg::err::BUS_ERROR;
        o.error_address = e.addr;
        return o;
    } catch (const vssa::cosim_mismatch& e) {
        m_failure = m_last_error = std::string("lockstep mismatch between the VSSA model and the RTL\n") + e.what();
        o.error = rg::err::UNIT_ERROR;
        o.error_address = c.address;
        return o;
    } catch (const std::exception& e) {  // reorder check, kernel overflow: a unit failed
        m_failure = m_last_error = e.what();
        o.error = rg::err::UNIT_ERROR;
        o.error_address = c.address;
        return o;
    }

    {
        const bottleneck b =
            bottleneck_of({rep.busy_dma, rep.busy_fetcher, rep.vssa_qk + rep.vssa_pv, rep.busy_softmax, rep.module2});
        rep.bottleneck = b.name();
        rep.bottleneck_cycles = b.busy;
        ++*m_bound_layers[b.unit];
        *m_bound_busy[b.unit] += b.busy;
        m_bound_cycles += b.busy;
        if (tracing)
            trace::global().span("bottleneck", fmt::format("{} bounds the layer", b.name()), rep.start, rep.end,
                                 fmt::format(R"({{"unit":"{}","busy_cycles":{},"layer_cycles":{},"dma":{},"fetcher":{},"vssa":{},"softmax":{},"topk":{}}})",
                                             b.name(), b.busy, rep.end - rep.start, rep.busy_dma, rep.busy_fetcher,
                                             rep.vssa_qk + rep.vssa_pv, rep.busy_softmax, rep.module2));
    }
    const sc_time until = m_clk.time(rep.end);
    if (until > sc_time_stamp()) wait(until - sc_time_stamp());
    m_last = rep;
    ++m_layers;
    m_cycles += rep.end - rep.start;
    m_busy_dma += rep.busy_dma;
    m_busy_fetcher += rep.busy_fetcher;
    m_busy_softmax += rep.busy_softmax;
    m_vssa_qk += rep.vssa_qk;
    m_vssa_pv += rep.vssa_pv;
    m_transpose_cycles += rep.transpose_cycles;
    m_transpose_bytes += rep.transpose_bytes;
    m_vssa_port_wait += rep.vssa_port_wait;
    m_module2 += rep.module2;
    m_hidden += rep.hidden;
    m_exposed += rep.exposed;
    m_pruned += rep.pruned;
    m_bits4 += rep.bits4;
    m_bits8 += rep.bits8;
    m_next_pruned += rep.next_pruned;
    m_next_bits4 += rep.next_bits4;
    m_next_bits8 += rep.next_bits8;
    m_stall += rep.stall_pe_cycles;
    m_busy_pe += rep.busy_pe_cycles;
    for (int i = 0; i < 3; ++i) *m_macs_mode[i] += rep.macs_by_mode[i];
    m_softmax_elements += rep.softmax_elements;
    m_importance_updates += rep.importance_updates;
    m_topk_comparisons += rep.topk_comparisons;
    m_fetcher_lookups += rep.fetcher_lookups;
    m_tiles += rep.tiles;
    m_r_sum += rep.stall_ratio_sum;
    o.busy[rg::UNIT_DMA] = rep.busy_dma;
    o.busy[rg::UNIT_FETCHER] = rep.busy_fetcher;
    o.busy[rg::UNIT_VSSA] = rep.vssa_qk + rep.vssa_pv;
    o.busy[rg::UNIT_SOFTMAX] = rep.busy_softmax;
    o.busy[rg::UNIT_TOPK] = rep.module2;
    o.stall_cycles = rep.stall_pe_cycles;
    return o;
}

}  // namespace dtq
