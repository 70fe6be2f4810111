#include "vssa/vssa_block.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/trace.h"

namespace dtq::vssa {

block::block(const sc_core::sc_module_name& n, const vssa_config& cfg, const dtq::clock& clk, std::string track)
    : sc_module(n), in("in"), mem("mem"), ports("ports"), m_cfg(cfg), m_clk(clk), m_track(std::move(track)), m_stats(name()) {
    in.register_b_transport(this, &block::b_transport);
    m_stats.derived_int("gemms", "count", "GEMM jobs the VSSA block timed (run, or answered by the memo: vssa.gemm_memo)",
                        [this] { return m_memo.calls(); });
    m_stats.derived_int("gemm_memo_hits", "count",
                        "GEMMs whose results came from the memo of those timed before (vssa.gemm_memo; docs/performance.md#gemm-memo)",
                        [this] { return m_memo.hits(); });
}

// Operands and results move by debug transport through `mem` (no time: the cycles of the
// array's operand streams are in the engine's tile formula).
void block::debug(bool write, uint64_t addr, void* data, uint64_t len) {
    if (len == 0) return;
    if (mem.size() == 0) throw std::logic_error(std::string(name()) + ": a functional job needs the `mem` socket bound");
    tlm::tlm_generic_payload tx;
    tx.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tx.set_address(addr);
    tx.set_data_ptr(static_cast<unsigned char*>(data));
    tx.set_data_length(static_cast<unsigned>(len));
    tx.set_streaming_width(static_cast<unsigned>(len));
    tx.set_byte_enable_ptr(nullptr);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    if (mem->transport_dbg(tx) != len) throw bus_fault(addr, fmt::format("no memory backs {} bytes at {:#x}", len, addr));
}

void block::attention_values(gemm_job& j) {
    const attention_operands& o = *j.attn;
    const uint64_t bytes = head_bytes(*o.order, o.dh);
    std::vector<uint8_t> image(bytes);
    const auto head = [&](uint64_t addr) {
        debug(false, addr, image.data(), bytes);
        return unpack_head(image.data(), *o.order, o.seq, o.dh);
    };
    if (o.what == attention_operands::kind::qk) {
        const std::vector<int8_t> qm = head(o.a), km = head(o.b);
        if (!o.vsq) {  // VS-Quant: the engine times the tiles, the scores come from vsq_scores
            j.op.a = qm.data();
            j.op.bt = km.data();
        }
        j.result = m_memo.run(m_cfg, j.op);
        j.op.a = j.op.bt = nullptr;
        j.scores = o.vsq ? vsq_scores(qm, km, *o.kept, *o.kept_bits, o.dh, o.vc) : scores_8bit(j.result.c, o.seq, *o.kept, *o.kept_bits);
    } else {
        j.result = m_memo.run(m_cfg, j.op);  // the cycles (the values do not change them)
        j.rows = attention_pv(*o.probs, head(o.b), o.seq, o.dh, *o.kept, *o.kept_bits, o.vsq, o.vc, m_cfg.threads);
    }
}

void block::command_values(const command_operands& o) {
    const uint64_t M = o.M, N = o.N, K = o.K;
    std::vector<int8_t>& am = m_am;
    std::vector<int8_t>& bt = m_bt;
    am.resize(M * K);
    bt.resize(N * K);
    debug(false, o.a, am.data(), M * K);
    if (o.b_dense) {  // the decompressor's output: W' (dense int8)
        bt = *o.b_dense;
    } else if (o.b_row_major) {
        std::vector<int8_t> bm(K * N);
        debug(false, o.b, bm.data(), K * N);
        for (uint64_t k = 0; k < K; ++k)
            for (uint64_t j = 0; j < N; ++j) bt[j * K + k] = bm[k * N + j];
    } else if (o.b4) {  // packed codes, element 2i in the low nibble
        const uint64_t b_row = (K + 1) / 2;
        std::vector<uint8_t> packed(N * b_row);
        debug(false, o.b, packed.data(), packed.size());
        for (uint64_t j = 0; j < N; ++j)
            for (uint64_t k = 0; k < K; ++k) {
                const unsigned nib = (packed[j * b_row + k / 2] >> (4 * (k % 2))) & 0xFu;
                bt[j * K + k] = static_cast<int8_t>(static_cast<int>(nib ^ 8u) - 8);
            }
    } else {
        debug(false, o.b, bt.data(), N * K);
    }
    std::vector<uint16_t> sb;
    std::vector<vsquant::ratio> fb(N, {1, 1});
    if (o.vsq && o.b4) {  // B's channel maxima and per-vector scales (docs/vsquant.md)
        const uint64_t nv = vsquant::vectors_per_row(K, o.vc), s_row = vsquant::scale_row_bytes(K, o.vc);
        std::vector<uint8_t> blob(4 * N + N * s_row);
        debug(false, o.b_scales, blob.data(), blob.size());
        for (uint64_t j = 0; j < N; ++j) {
            uint32_t amax = 0;
            std::memcpy(&amax, &blob[4 * j], 4);
            if (amax > 128)
                throw operand_error(o.b_scales + 4 * j, fmt::format("channel maximum of B column {} is {}, expected 0..128", j, amax));
            fb[j] = vsquant::gamma_ratio(amax, o.vc);
        }
        sb = vsquant::unpack_scales(&blob[4 * N], N, nv, o.vc.scale_bits);
    }
    std::vector<int32_t> cv = command_gemm(am, bt, *o.bits, M, N, K, o.b4, o.vsq, o.vc, sb, fb, m_cfg.threads);
    if (o.bias)  // layout.BIAS: a computed row starts from the bias (saturating); a skipped row stays 0
        for (uint64_t i = 0; i < M; ++i)
            if ((*o.bits)[i])
                for (uint64_t j = 0; j < N; ++j)
                    cv[i * N + j] = static_cast<int32_t>(
                        std::clamp<int64_t>(int64_t{cv[i * N + j]} + (*o.bias)[j], INT32_MIN, INT32_MAX));
    debug(true, o.c, cv.data(), M * N * 4);
}

void block::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    serve_job<gemm_job>(tx, delay, m_clk, [this](gemm_job& j, uint64_t ready) {
        if (j.cmd) {  // values only: the command's k-step jobs carry its cycles
            command_values(*j.cmd);
            j.start = j.end = ready;
            return;
        }
        if (j.attn)
            attention_values(j);
        else
            j.result = m_memo.run(m_cfg, j.op);
        // The array starts when its inputs are ready, it is free and the banks its operand
        // streams come from are free (asked first), then holds those banks to its end.
        const uint64_t free = std::max(ready, m_busy_until);
        j.start = free;
        const bool wired = ports.size() >= PORTS;
        // Each stream on its own memory's socket, with the banks' helpers of local_memory.h.
        const auto on_banks = [&](const auto& f) {
            if (wired)
                for (const port_use& u : j.uses)
                    if (u.port >= 0) {
                        auto* p = ports[u.port];
                        const bank_use b{u.offset, u.bytes};
                        f(p, b);
                    }
        };
        on_banks([&](auto* p, const bank_use& b) { j.start = banks_free_at(m_sender, m_port_job, p, &b, 1, j.start, m_clk); });
        j.port_wait = j.start - free;
        j.end = j.start + j.result.cycles;
        on_banks([&](auto* p, const bank_use& b) { hold_banks(m_sender, m_port_job, p, &b, 1, j.start, j.end - j.start, m_clk); });
        m_busy_until = j.end;
        if (trace::global().enabled() && j.end > j.start)
            trace::global().span(m_track, j.label.empty() ? j.op.name : j.label, j.start, j.end);
    });
}

}  // namespace dtq::vssa
