#include "platform/workloads/onnx_pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "common/npy.h"
#include "ibert/kernels.h"
#include "ibert/normact.h"
#include "softmax/softmax_unit.h"
#include "topk/topk.h"

namespace dtq {

namespace {

double absmax(const std::vector<float>& v) {
    double m = 0;
    for (float x : v) {
        if (!std::isfinite(x)) return std::numeric_limits<double>::infinity();  // NaN too: scale() names the tensor
        m = std::max<double>(m, std::fabs(x));
    }
    return m;
}

// Symmetric per-tensor int8 of a K x N weight (x W), stored N x K (the GEMM B layout).
std::vector<int8_t> quantize_weight(const std::vector<float>& w, uint64_t K, uint64_t N, double s) {
    std::vector<int8_t> q(N * K);
    for (uint64_t k = 0; k < K; ++k)
        for (uint64_t n = 0; n < N; ++n)
            q[n * K + k] = static_cast<int8_t>(std::clamp<double>(std::nearbyint(w[k * N + n] / s), -127, 127));
    return q;
}

}  // namespace

std::vector<std::vector<float>> onnx_input_samples(const scenario_config& c) {
    std::vector<std::vector<float>> samples;
    if (c.workload.onnx.input.empty()) return samples;
    const auto shapes = onnx_input_shapes(c.workload.onnx.model, c.workload.onnx.seq);
    std::vector<uint64_t> want;
    for (int64_t d : shapes.at(0)) want.push_back(static_cast<uint64_t>(d));
    try {
        const npy_array x = read_npy(c.workload.onnx.input);
        const bool one = x.shape == want;
        const bool stacked = x.shape.size() == want.size() + 1 && std::equal(want.begin(), want.end(), x.shape.begin() + 1) &&
                             x.shape[0] >= 1;
        if (x.dtype != "float32" || (!one && !stacked)) {
            std::string w;
            for (uint64_t d : want) w += (w.empty() ? "" : ", ") + std::to_string(d);
            throw npy_error(fmt::format("{}: expected float32 of shape ({}) or (N, {}) (N samples), got {} of {} dimensions",
                                        c.workload.onnx.input, w, w, x.dtype, x.shape.size()));
        }
        const uint64_t per = x.elements() / (one ? 1 : x.shape[0]);
        for (uint64_t k = 0; k < x.elements() / per; ++k) samples.emplace_back(x.as<float>() + k * per, x.as<float>() + (k + 1) * per);
    } catch (const npy_error& e) {
        throw config_error({fmt::format("workload.onnx.input: {}", e.what())});
    }
    return samples;
}

onnx_pipeline make_onnx_pipeline(const scenario_config& c) {
    const auto& oc = c.workload.onnx;
    onnx_pipeline r;
    const auto t0 = std::chrono::steady_clock::now();
    r.graph = onnx_match_encoder(oc.model, oc.seq);
    const onnx_encoder_graph& G = r.graph;
    r.import_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto t1 = std::chrono::steady_clock::now();
    const uint64_t d = G.d_model, f = G.d_ffn, s = G.seq, L = G.layers.size();

    // Calibration: the maximum |value| of every tensor the recipe requantizes, over the samples.
    std::vector<std::vector<float>> samples = onnx_input_samples(c);
    const uint64_t n_samples = std::max<uint64_t>(samples.size(), 1);
    std::map<std::string, double> mx;
    std::map<std::string, onnx_value> v0;
    for (uint64_t k = 0; k < n_samples; ++k) {
        std::map<std::string, onnx_value> vk;
        onnx_float_reference(oc.model, oc.seq, samples.empty() ? std::vector<std::vector<float>>{} : std::vector<std::vector<float>>{samples[k]},
                             c.seed, nullptr, &vk);
        for (const auto& ly : G.layers)
            for (const std::string* t : {&ly.x, &ly.q, &ly.k, &ly.v, &ly.ctx, &ly.res1, &ly.x1, &ly.h, &ly.g, &ly.res2, &ly.y, &ly.xn1})
                if (!t->empty()) mx[*t] = std::max(mx[*t], absmax(vk.at(*t).v));
        if (G.final_ln) mx[G.yf] = std::max(mx[G.yf], absmax(vk.at(G.yf).v));
        if (k == 0) v0 = std::move(vk);
    }
    r.samples = n_samples;
    const auto scale = [&](const std::string& t) {  // int8 scale: max |x| / 127 (a zero tensor: 1)
        const double m = mx.at(t);
        if (!std::isfinite(m))
            throw config_error({fmt::format("{}: tensor '{}': the float reference's values are not finite (max |value| {}): "
                                            "nothing to calibrate", oc.model, t, m)});
        return m > 0 ? m / 127.0 : 1.0;
    };

    model_instance& m = r.inst;
    m.shape = model_shape{"onnx", L, d, G.heads, f, G.causal};
    m.layers = L;
    m.seq = s;
    m.causal = G.causal;
    m.topk = true;  // the token precisions (padding pruned; DTQAtten's top-k with a_precision topk)
    softmax::parse_mode(c.softmax.mode, m.softmax);
    r.padding = G.padding;
    uint64_t kept = 0;
    for (uint64_t t = 0; t < s; ++t) kept += G.padding[t] ? 0 : 1;
    if (kept == 0) throw config_error({fmt::format("{}: the padding mask masks every token", oc.model)});
    m.prec0.assign(s, 8);
    for (uint64_t t = 0; t < s; ++t)
        if (G.padding[t]) m.prec0[t] = 0;
    uint32_t k0 = static_cast<uint32_t>(kept), k1 = k0;
    const auto& gw = c.workload.gemm;
    if (gw.a_precision == "topk") {
        k0 = static_cast<uint32_t>(std::min<uint64_t>(kept, topk::count_from_ratio(1.0 - gw.ratio_pruned, s)));
        k1 = static_cast<uint32_t>(std::min<uint64_t>(k0, topk::count_from_ratio(gw.ratio_8bit, s)));
    }

    // The input, int8 at its calibrated scale.
    const std::vector<float>& x0 = v0.at(G.layers[0].x).v;
    r.in_scale = scale(G.layers[0].x);
    m.x.resize(s * d);
    for (uint64_t i = 0; i < s * d; ++i) m.x[i] = static_cast<int8_t>(std::clamp<double>(std::nearbyint(x0[i] / r.in_scale), -127, 127));

    // Q, K and V share one power-of-two scale 2^-j (one requantization for the three, and the
    // softmax unit's scale 2^-score_shift / sqrt(head_dim) with score_shift = 2 j).
    double qkv_max = 0;
    for (const auto& ly : G.layers) qkv_max = std::max({qkv_max, mx.at(ly.q), mx.at(ly.k), mx.at(ly.v)});
    const int j = qkv_max > 0 ? static_cast<int>(std::floor(std::log2(127.0 / qkv_max))) : 7;
    if (j < 1 || j > 15)
        throw config_error({fmt::format("{}: |Q|, |K|, |V| reach {:.4g}: the integer pipeline's power-of-two Q/K/V scale 2^-j needs "
                                        "j in [1, 15] (values up to 63.5 and above 2^-8)", oc.model, qkv_max)});
    const double s_qkv = std::ldexp(1.0, -j);
    m.score_shift = static_cast<uint32_t>(2 * j);

    double s_in = r.in_scale;
    for (uint64_t l = 0; l < L; ++l) {
        const onnx_encoder_layer& ly = G.layers[l];
        layer_weights w;
        const double s_wqkv = std::max({absmax(ly.wq), absmax(ly.wk), absmax(ly.wv)}) / 127.0;
        const double s_wo = absmax(ly.wo) / 127.0, s_w1 = absmax(ly.w1) / 127.0, s_w2 = absmax(ly.w2) / 127.0;
        if (s_wqkv <= 0 || s_wo <= 0 || s_w1 <= 0 || s_w2 <= 0)
            throw config_error({fmt::format("{}: layer {}: a weight is all zeros", oc.model, l)});
        w.wq = quantize_weight(ly.wq, d, d, s_wqkv);
        w.wk = quantize_weight(ly.wk, d, d, s_wqkv);
        w.wv = quantize_weight(ly.wv, d, d, s_wqkv);
        w.wo = quantize_weight(ly.wo, d, d, s_wo);
        w.w1 = quantize_weight(ly.w1, d, f, s_w1);
        w.w2 = quantize_weight(ly.w2, f, d, s_w2);
        const double s_ctx = scale(ly.ctx), s_x1 = scale(ly.x1), s_h = scale(ly.h), s_g = scale(ly.g), s_y = scale(ly.y);
        // Pre-LN (docs/workloads.md#pre-ln): the projections read LN1's output xn1; LN2's output
        // is the FFN input x1; the FFN's residual is the attention's sum requantized to int8.
        const bool pre = G.pre_ln, last_ln = pre && G.final_ln && l + 1 == L;
        const double s_qin = pre ? scale(ly.xn1) : s_in, s_ln1 = pre ? scale(ly.xn1) : s_x1, s_ln2 = pre ? s_x1 : s_y;
        const double s_h8 = scale(ly.res1), s_out = last_ln ? scale(G.yf) : s_y;
        const double s_sum1 = scale(ly.res1) / 256.0, s_sum2 = scale(ly.res2) / 256.0;  // int32 sums: 2^8 finer than int8
        const ibert::ln_consts_t c1 = ibert::ln_consts(d, {ly.ln1_gamma.begin(), ly.ln1_gamma.end()}, {ly.ln1_beta.begin(), ly.ln1_beta.end()});
        const ibert::ln_consts_t c2 = ibert::ln_consts(d, {ly.ln2_gamma.begin(), ly.ln2_gamma.end()}, {ly.ln2_beta.begin(), ly.ln2_beta.end()});
        const ibert::ln_consts_t cf = last_ln ? ibert::ln_consts(d, {G.lnf_gamma.begin(), G.lnf_gamma.end()}, {G.lnf_beta.begin(), G.lnf_beta.end()})
                                              : ibert::ln_consts_t{};
        for (const ibert::ln_consts_t* cs : {&c1, &c2, &cf})
            for (size_t ch = 0; ch < cs->bias_int.size(); ++ch)
                if (cs->bias_int[ch] < INT32_MIN || cs->bias_int[ch] > INT32_MAX)
                    throw config_error({fmt::format(
                        "{}: layer {}: LayerNorm {} channel {}: beta / gamma = {:.4g} / {:.4g} is {} in the LayerNorm's output units "
                        "(sqrt(d_model) / 2^30), beyond the int32 bias_int of I-BERT's integer LayerNorm (a gamma too small for "
                        "its beta; docs/workloads.md#biases-and-per-channel-layernorm)",
                        oc.model, l, cs == &c1 ? "1" : cs == &c2 ? "2" : "final", ch,
                        (cs == &c1 ? ly.ln1_beta : cs == &c2 ? ly.ln2_beta : G.lnf_beta)[ch],
                        (cs == &c1 ? ly.ln1_gamma : cs == &c2 ? ly.ln2_gamma : G.lnf_gamma)[ch], cs->bias_int[ch])});
        for (int64_t b : c1.bias_int) w.ln1_bias.push_back(static_cast<int32_t>(b));
        for (int64_t b : c2.bias_int) w.ln2_bias.push_back(static_cast<int32_t>(b));
        // Biases: int32 in the units of their GEMM's output, b_int = round(b / (S_a S_w)) (I-BERT's
        // QuantLinear), added to the accumulator (GEMM layout.BIAS) before the requantization.
        const auto bias_int = [](const std::vector<float>& b, double s_acc) {
            std::vector<int32_t> q;
            for (float v : b) q.push_back(static_cast<int32_t>(std::clamp<double>(std::nearbyint(v / s_acc), INT32_MIN, INT32_MAX)));
            return q;
        };
        w.bq = bias_int(ly.bq, s_qin * s_wqkv);
        w.bk = bias_int(ly.bk, s_qin * s_wqkv);
        w.bv = bias_int(ly.bv, s_qin * s_wqkv);
        w.bo = bias_int(ly.bo, s_ctx * s_wo);
        w.b1 = bias_int(ly.b1, s_x1 * s_w1);
        w.b2 = bias_int(ly.b2, s_g * s_w2);
        // LayerNorm gamma: one positive value for every channel -> the per-tensor REQUANT (scale
        // S gamma / S_out); else one dyadic multiplier per channel, S gamma_c / S_out (REQUANT
        // PER_CHANNEL; I-BERT's per-channel output scale of IntLayerNorm).
        const auto uniform = [](const std::vector<float>& g) {
            for (float v : g)
                if (v != g[0] || v <= 0.0f) return false;
            return true;
        };
        const auto per_channel = [&](const ibert::ln_consts_t& cs, double s_to) {
            std::vector<dtq_rq> q;
            for (double o : cs.out_scale) {
                dtq_rq rq = rq_of(o / s_to);
                if (rq.e > 62) {  // a tiny gamma: m / 2^e as m' / 2^62 (|error| < 2^-63 of the input, below any int8 step)
                    rq.m = static_cast<int32_t>(ibert::normact::scale_round(rq.m, 1, rq.e - 62));
                    rq.e = 62;
                }
                q.push_back(rq);
            }
            for (size_t ch = 0; ch < q.size(); ++ch)
                if (q[ch].e < 0 || q[ch].e > 62)
                    throw config_error({fmt::format("{}: layer {}: LayerNorm channel {}: the output multiplier {:.4g} needs a shift {} "
                                                    "outside the REQUANT's 0..62", oc.model, l, ch, cs.out_scale[ch] / s_to, q[ch].e)});
            return q;
        };
        if (!uniform(ly.ln1_gamma)) w.ln1_rq = per_channel(c1, s_ln1);
        if (!uniform(ly.ln2_gamma)) w.ln2_rq = per_channel(c2, s_ln2);
        if (pre) {
            w.pre_ln = true;
            w.pre_h = rq_of(s_sum1 / s_h8);
            w.pre_y = rq_of(s_sum2 / s_y);
        }
        if (last_ln) {
            w.final_ln = true;
            for (int64_t b : cf.bias_int) w.lnf_bias.push_back(static_cast<int32_t>(b));
            if (uniform(G.lnf_gamma)) w.lnf = rq_of(cf.ln_scale * G.lnf_gamma[0] / s_out);
            else w.lnf_rq = per_channel(cf, s_out);
        }
        dtq_layer_params p{};
        p.qkv = rq_of(s_qin * s_wqkv / s_qkv);
        p.attn = rq_of(std::ldexp(1.0, -7) * s_qkv / s_ctx);  // probabilities carry 2^-7, V carries s_qkv
        p.res1 = rq_of(s_ctx * s_wo / s_sum1);
        p.res1_id = rq_of(s_in / s_sum1);
        p.ln1 = w.ln1_rq.empty() ? rq_of(c1.ln_scale * ly.ln1_gamma[0] / s_ln1) : dtq_rq{0, 0};
        if (ly.relu) {  // ReLU FFN (docs/workloads.md#relu): FFN1's REQUANT with RELU gives g at its scale
            w.relu = true;
            p.ffn1 = rq_of(s_x1 * s_w1 / s_g);
        } else {
            p.ffn1 = rq_of(s_x1 * s_w1 / s_h);
            // The GELU command takes int8 inputs: its constants at the smallest erf shift n that keeps
            // every int8 input in int32 (docs/ibert.md#i-gelu-on-int8-inputs); none for too fine a scale.
            ibert::gelu_consts_t gc;
            try {
                gc = ibert::gelu_consts_int8(s_h);
            } catch (const std::exception& e) {  // range_error; a scale so fine that c_int leaves int64 too
                throw config_error({fmt::format(
                    "{}: layer {}: the FFN's first projection output (GELU's input) reaches only {:.4g}: its int8 scale {:.4g} "
                    "gives i-GELU intermediates beyond int32, which the GELU command cannot take ({}; docs/workloads.md#onnx-limits)",
                    oc.model, l, mx.at(ly.h), s_h, e.what())});
            }
            p.gelu_b = static_cast<int32_t>(gc.b_int);
            p.gelu_c = static_cast<int32_t>(gc.c_int);
            p.gelu_shift = static_cast<int32_t>(gc.shift_int);
            p.gelu_n = gc.n;
            p.gelu = rq_of(gc.out_scale / s_g);
        }
        p.res2 = rq_of(s_g * s_w2 / s_sum2);
        p.res2_id = rq_of((pre ? s_h8 : s_x1) / s_sum2);
        p.ln2 = w.ln2_rq.empty() ? rq_of(c2.ln_scale * ly.ln2_gamma[0] / s_ln2) : dtq_rq{0, 0};
        p.k0 = k0;
        p.k1 = k1;
        m.params.push_back(p);
        m.weights.push_back(std::move(w));
        r.out_scale.push_back(s_out);
        r.float_out.push_back(v0.at(last_ln ? G.yf : ly.y).v);
        s_in = s_y;
    }
    r.calibration_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    return r;
}

}  // namespace dtq
