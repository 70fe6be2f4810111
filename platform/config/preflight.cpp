#include "platform/config/preflight.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "apps.h"
#include "common/npy.h"
#include "platform/address_map.h"
#include "platform/workloads/attention_study.h"
#include "platform/sequencer/compute_ops.h"
#include "platform/workloads/model_workload.h"
#include "platform/workloads/model_zoo.h"

namespace dtq {

namespace {

std::string bytes_text(uint64_t b) {
    if (b >= (uint64_t{1} << 20) && b % (uint64_t{1} << 20) == 0) return fmt::format("{} MiB", b >> 20);
    if (b >= 1024 && b % 1024 == 0) return fmt::format("{} KiB", b >> 10);
    if (b >= (uint64_t{1} << 20)) return fmt::format("{:.2f} MiB", static_cast<double>(b) / (1 << 20));
    if (b >= 1024) return fmt::format("{:.2f} KiB", static_cast<double>(b) / 1024);
    return fmt::format("{} bytes", b);
}

constexpr uint64_t LOCAL_MAX = uint64_t{16} << 20;  // a local memory's address-map window
constexpr uint64_t DRAM_MAX = uint64_t{4} << 30;    // dram.size's range
constexpr uint64_t ENCODER_MAX_SEQ = 4096;          // sw/apps/encoder.c MAX_SEQ

}  // namespace

std::vector<std::string> preflight(const scenario_config& c) {
    std::vector<std::string> errors;
    const auto fail = [&](const std::string& key, const std::string& msg) {
        errors.push_back(fmt::format("{}: {}: {}", c.origin_of(key), key, msg));
    };
    // A size key that must be at least `need` bytes (and at most `max`).
    const auto at_least = [&](const std::string& key, uint64_t have, uint64_t need, uint64_t max, const std::string& why) {
        if (have >= need) return;
        if (need > max)
            fail(key, fmt::format("{} need {} ({}), more than {}'s largest value {}: {}", why, need, bytes_text(need), key,
                                  bytes_text(max), "use a shorter sequence, fewer heads or layers"));
        else
            fail(key, fmt::format("expected at least {} ({}): {}, got {}", need, bytes_text(need), why, have));
    };
    const std::string& kind = c.workload.kind;
    const std::string app = kind == "model" ? "encoder" : kind == "firmware" ? c.workload.firmware_app : "";

    // Apps that check the data they moved need data: timing mode moves none.
    if ((app == "hello" || app == "selftest") && c.mode == sim_mode::timing)
        fail("mode", fmt::format("expected functional with workload.firmware_app {}: the app checks the bytes it copied "
                                 "and timing mode moves no data, got timing", app));

    // The fused ATTENTION command: two heads of seq x head_dim in each line buffer, two
    // result rows of head_dim int32 in the accumulator (platform/attention_layer.cpp).
    const auto attention_rule = [&](uint64_t seq, uint64_t dh, const std::string& seq_key, const std::string& what) {
        at_least("linebuf.size", c.linebuf.size, 2 * seq * dh, LOCAL_MAX,
                 fmt::format("each of QBUF, KBUF, VBUF holds two heads of seq x head_dim = {} x {} ({}, {})", seq, dh, seq_key, what));
        at_least("accumulator.size", c.accumulator.size, 2 * dh * 4, LOCAL_MAX,
                 fmt::format("the accumulator holds two result rows of head_dim = {} int32", dh));
    };

    // The DMA stream reads (or writes) DRAM from its base: a stream longer than DRAM runs off
    // its end (fault injection, faults.dma_error_address, is the way to provoke bus errors).
    if (kind == "dma_stream" && c.workload.dma_stream.bytes > c.dram.size)
        fail("workload.dma_stream.bytes", fmt::format("expected at most dram.size ({}): the stream runs from the start of DRAM, "
                                                      "got {}", c.dram.size, c.workload.dma_stream.bytes));

    if (app == "hello") {
        at_least("dram.size", c.dram.size, DTQ_APP_DATA_ADDR - amap::DRAM_BASE + 256, DRAM_MAX,
                 "the hello app's ring at +1 MiB and its 256 data bytes at +2 MiB");
    } else if (app == "selftest") {
        at_least("dram.size", c.dram.size, DTQ_APP_DATA_ADDR - amap::DRAM_BASE + 0x2000 + 256, DRAM_MAX,
                 "the selftest app's ring at +1 MiB and its three 256-byte sources at +2 MiB, 4 KiB apart");
        at_least("scratchpad.size", c.scratchpad.size, 0x1000 + 3 * 256, LOCAL_MAX,
                 "the selftest app copies three 256-byte blocks to scratchpad offset 4 KiB");
    } else if (app == "attention") {
        const auto& a = c.workload.attention;
        const model_shape m = *find_model(a.model);
        const uint64_t dh = m.d_head(), heads = simulated_heads(a);
        attention_rule(a.seq, dh, "workload.attention.seq", a.model);
        // The app's tensors (platform.cpp load_attention_inputs).
        const auto align = [](uint64_t x) { return (x + 4095) / 4096 * 4096; };
        const uint64_t prec_at = DTQ_APP_DATA_ADDR + 4096, q_at = prec_at + align(a.seq), tensor = align(heads * a.seq * dh);
        const uint64_t end = q_at + 3 * tensor + heads * a.seq * dh * 4;
        at_least("dram.size", c.dram.size, end - amap::DRAM_BASE, DRAM_MAX,
                 fmt::format("the attention app's Q, K, V and output for {} heads x seq {} x head_dim {}", heads, a.seq, dh));
    } else if (app == "encoder") {
        const auto& mo = c.workload.model;
        const model_shape m = *find_model(mo.name);
        const uint64_t dh = m.d_head();
        const bool fused = mo.attention == "fused" && mo.nonlinear != "host";
        if (!c.workload.requests.any()) {
            if (mo.seq + mo.decode_tokens > ENCODER_MAX_SEQ) {
                if (mo.decode_tokens)
                    fail("workload.model.decode_tokens",
                         fmt::format("expected at most {} (seq + decode_tokens <= {}, the encoder app's longest sequence, "
                                     "with seq {}), got {}", ENCODER_MAX_SEQ - std::min(mo.seq, ENCODER_MAX_SEQ), ENCODER_MAX_SEQ,
                                     mo.seq, mo.decode_tokens));
                else
                    fail("workload.model.seq", fmt::format("expected at most {} (the encoder app's longest sequence), got {}",
                                                           ENCODER_MAX_SEQ, mo.seq));
            }
        }
        uint64_t attended = mo.seq + mo.decode_tokens;
        if (c.workload.requests.any()) {
            attended = 0;
            for (const auto& r : c.workload.requests.list) attended = std::max(attended, r.seq);
            for (uint64_t s : c.workload.requests.seq) attended = std::max(attended, s);
        }
        if (fused) attention_rule(attended, dh, mo.decode_tokens ? "workload.model.seq + decode_tokens" : "workload.model.seq",
                                  mo.name);
        // The vector ops (LayerNorm, GELU, requantization, residual add; softmax when
        // unfused) stream rows of up to 4 bytes per element through a quarter of the scratchpad.
        uint64_t widest = std::max<uint64_t>(m.d_model, m.d_ffn);
        if (!fused) widest = std::max(widest, attended);
        at_least("scratchpad.size", c.scratchpad.size, 16 * widest, LOCAL_MAX,
                 fmt::format("a quarter of it holds a row of {} int32 elements ({} of {})", widest,
                             widest == attended && !fused ? "the softmax rows" : "d_ffn or d_model", mo.name));
        // The GEMMs' blocking: a block must fit the accumulator and the scratchpad; a
        // VS-Quant 4-bit B panel (codes, scales, channel maxima) a quarter of the scratchpad.
        {
            const uint64_t d = m.d_model, f = m.d_ffn, R = c.vssa.rows, C = c.vssa.cols * c.vssa.arrays;
            const bool wc = mo.weight_compression == "nm24";
            const bool vsq_b = mo.precision == "vsquant";  // weights stored VS-Quant 4-bit
            std::vector<std::array<uint64_t, 3>> gemms;  // M, N, K
            std::vector<uint64_t> rows = {mo.seq};
            if (c.workload.requests.any()) {  // a batch has any number of rows: the blocking differs below 128
                rows.clear();
                for (uint64_t r = 1; r <= 129; ++r) rows.push_back(r);
            }
            if (mo.decode_tokens) rows.push_back(1);
            for (uint64_t M : rows) {
                gemms.push_back({M, d, d});
                gemms.push_back({M, f, d});
                gemms.push_back({M, d, f});
            }
            if (!fused) {
                gemms.push_back({attended, attended, dh});
                gemms.push_back({attended, dh, attended});
            }
            bool reported = false;
            for (const auto& g : gemms) {
                const gemm_blocking b = gemm_block_sizes(g[0], g[1], g[2], c.scratchpad.size, c.accumulator.size, R, C, wc);
                if ((b.nb == 0 || b.kb == 0) && !reported) {
                    reported = true;
                    fail(c.accumulator.size / 2 < 4 * b.mb ? "accumulator.size" : "scratchpad.size",
                         fmt::format("expected a larger value: no GEMM block of {} x {} x {} fits (accumulator half {} bytes, "
                                     "scratchpad quarter {} bytes)", g[0], g[1], g[2], c.accumulator.size / 2, c.scratchpad.size / 4));
                }
                if (vsq_b && !reported && vsq_panel_bytes(b, g[1], g[2], c.vsquant.vector_size, c.vsquant.scale_bits) > c.scratchpad.size / 4) {
                    reported = true;
                    uint64_t v = c.vsquant.vector_size;
                    while (v <= 1024 && vsq_panel_bytes(b, g[1], g[2], v, c.vsquant.scale_bits) > c.scratchpad.size / 4) ++v;
                    const std::string why = fmt::format(
                        "a VS-Quant B panel of {} columns x {} (4-bit codes, {}-bit scales per vector, channel maxima) must fit a "
                        "scratchpad quarter of {} bytes", std::min(b.nb, g[1]), b.kb, c.vsquant.scale_bits, c.scratchpad.size / 4);
                    if (v <= 1024)
                        fail("vsquant.vector_size", fmt::format("expected at least {} with vsquant.scale_bits {}: {}, got {}", v,
                                                                c.vsquant.scale_bits, why, c.vsquant.vector_size));
                    else
                        fail("scratchpad.size", fmt::format("expected a larger value: {}", why));
                }
            }
        }
        // The model's buffers in DRAM (weights, activations, KV cache, requests).
        if (errors.empty()) {
            try {
                uint64_t end = 0;
                std::string what;
                if (c.workload.requests.any()) {
                    end = plan_stream(c, false).end;
                    what = fmt::format("{} ({} layers) and its request stream", mo.name, mo.layers ? mo.layers : m.layers);
                } else {
                    const model_instance inst = make_model_layout(c);
                    end = plan_model(inst, DTQ_APP_DATA_ADDR).end;
                    what = fmt::format("{} ({} layers, seq {}{})", mo.name, inst.layers, mo.seq,
                                       mo.decode_tokens ? fmt::format(" + {} decode tokens", mo.decode_tokens) : "");
                }
                at_least("dram.size", c.dram.size, end - amap::DRAM_BASE, DRAM_MAX, "the weights, activations and buffers of " + what);
            } catch (const npy_error& e) {  // the layer-0 input file: read (header checked before any allocation)
                fail("workload.model.input", e.what());
            } catch (const config_error& e) {
                errors.insert(errors.end(), e.messages().begin(), e.messages().end());
            }
        }
    }
    return errors;
}

}  // namespace dtq
