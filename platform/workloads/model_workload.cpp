#include "platform/workloads/model_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <thread>

#include "common/npy.h"
#include "decompressor/wcomp.h"
#include "ibert/kernels.h"
#include "ibert/normact.h"
#include "softmax/softmax_unit.h"
#include "topk/topk.h"
#include "platform/workloads/synthetic.h"
#include "vssa/gemm.h"

namespace dtq {

namespace {

// Scales (docs/encoder.md#scales): every int8 activation has scale S_ACT (a unit-variance
// real value is about 32 in int8); weights are int8 of standard deviation ~32 with scale
// 1 / (32 sqrt(K)), so that a GEMM output again has about unit variance; residual sums
// are int32 with scale S_ACT / 256.
constexpr double S_ACT = 1.0 / 32.0;
double s_weight(uint64_t k) { return 1.0 / (32.0 * std::sqrt(static_cast<double>(k))); }
constexpr double S_SUM = S_ACT / 256.0;

int8_t clip8(int64_t v) { return static_cast<int8_t>(std::clamp<int64_t>(v, -127, 127)); }

// Weights N x K (B operand layout): bell of spread 55 (std ~32), plus, for Wq and Wk, the
// rank-1 component u_k v_n that makes salient tokens attract attention.
// (synthetic.h: the draws computed by index, the same values as drawn in sequence.)
std::vector<int8_t> signs(uint64_t n, uint64_t seed) {
    splitmix64 g(seed);
    std::vector<int8_t> s(n);
    for (auto& x : s) x = (g.next() & 1) ? 1 : -1;
    return s;
}

// The residual stream's outlier channels (workload.model.outliers, docs/encoder.md#synthetic-model).
struct outlier_spec {
    std::vector<uint32_t> dims;  // the channels
    std::vector<int8_t> sign;    // their sign (the input's and LayerNorm beta's)
    int64_t div = 1;             // the other channels' int8 values are divided by this (the coarser int8 scale)
    int64_t level = 0;           // the input's outlier magnitude, int8
};

// Tokens: noise (bell of spread 40) plus salience a_t along u; a_t = 64 r^3, r uniform in
// [0, 1): most tokens small, a few large. With outliers, the noise and the salience are
// divided by o->div (the same real values at the coarser scale) and the outlier channels
// carry sign x level plus a little noise. values = false: the salience alone (empty result),
// each token's draws for its values skipped (4 a bell).
std::vector<int8_t> tokens(uint64_t n, uint64_t d, uint64_t seed, const std::vector<int8_t>& u, std::vector<uint32_t>* sal,
                           const outlier_spec* o = nullptr, bool values = true) {
    splitmix64 g(seed);
    std::vector<int8_t> x(values ? n * d : 0);
    for (uint64_t t = 0; t < n; ++t) {
        const int64_t r = g.uniform(0, 999);
        const int64_t a = 64 * r * r * r / 1000000000;
        if (sal) sal->push_back(static_cast<uint32_t>(a * 1000 + 999 - static_cast<int64_t>(t % 1000)));
        if (!values) {
            g.skip(4 * (d + (o ? o->dims.size() : 0)));
            continue;
        }
        if (!o) {
            for (uint64_t i = 0; i < d; ++i) x[t * d + i] = clip8(g.bell(40) + a * u[i]);
            continue;
        }
        for (uint64_t i = 0; i < d; ++i) x[t * d + i] = clip8((g.bell(40) + a * u[i]) / o->div);
        for (size_t c = 0; c < o->dims.size(); ++c) x[t * d + o->dims[c]] = clip8(o->sign[c] * o->level + g.bell(4));
    }
    return x;
}

}  // namespace

dtq_rq rq_of(double multiplier) {
    ibert::dyadic_t d = ibert::dyadic(multiplier);
    if (d.m == (int64_t{1} << 31) || d.m == -(int64_t{1} << 31)) {  // |m| = 2^31 does not fit int32: same value
        d.m /= 2;
        d.e -= 1;
    }
    return dtq_rq{static_cast<int32_t>(d.m), d.e};
}

namespace {
model_instance make_model_impl(const scenario_config& c, bool with_data, bool host_weights, bool layout_only);
}

model_instance make_model(const scenario_config& c, bool with_data, bool host_weights) {
    return make_model_impl(c, with_data, host_weights, false);
}

model_instance make_model_layout(const scenario_config& c) { return make_model_impl(c, false, true, true); }

namespace {
model_instance make_model_impl(const scenario_config& c, bool with_data, bool host_weights, bool layout_only) {
    const auto& w = c.workload.model;
    model_instance m;
    m.shape = *find_model(w.name);
    m.layers = w.layers ? w.layers : m.shape.layers;
    m.seq = w.seq;
    m.decode_tokens = w.decode_tokens;
    m.causal = m.shape.decoder;
    m.topk = w.precision == "dtqatten" || w.precision == "dtqatten_vsquant";
    m.all4 = w.precision == "4bit" || w.precision == "vsquant";
    m.vsq = w.precision == "vsquant" || w.precision == "dtqatten_vsquant";
    m.vsq_cfg.vector_size = static_cast<uint32_t>(c.vsquant.vector_size);
    m.vsq_cfg.scale_bits = static_cast<uint32_t>(c.vsquant.scale_bits);
    softmax::parse_mode(c.softmax.mode, m.softmax);
    m.wcomp = w.weight_compression == "nm24";
    m.wcomp_fraction = w.compression_4bit_fraction;
    m.outliers = w.outliers;
    m.host_nonlinear = w.nonlinear == "host";
    m.unfused = w.attention == "unfused" || m.host_nonlinear;
    const uint64_t d = m.shape.d_model, f = m.shape.d_ffn;

    // Outlier channels (docs/encoder.md#synthetic-model): OUTLIER_DIMS channels of the
    // residual stream (the layer input and the LayerNorm outputs) get a LayerNorm beta of
    // 4..6 and the input a value of 12 (real units; the other channels' values are about
    // 0.7): the stream settles at outliers of about 12-14, 15-20 x the other channels, as
    // BERT's do. The stream's int8 scale S_X must then cover them: 1/8 instead of 1/32.
    constexpr uint64_t OUTLIER_DIMS = 6;
    outlier_spec ospec;
    double s_x = S_ACT;  // the residual stream's int8 scale
    if (m.outliers) {
        s_x = 1.0 / 8.0;
        splitmix64 g(c.seed * 31 + 5);
        while (ospec.dims.size() < std::min<uint64_t>(OUTLIER_DIMS, d)) {
            const auto dim = static_cast<uint32_t>(g.uniform(0, static_cast<int64_t>(d) - 1));
            if (std::find(ospec.dims.begin(), ospec.dims.end(), dim) == ospec.dims.end()) {
                ospec.dims.push_back(dim);
                ospec.sign.push_back((g.next() & 1) ? 1 : -1);
            }
        }
        ospec.div = 4;     // S_X / S_ACT
        ospec.level = 96;  // 12 real units at S_X
        m.outlier_dims = ospec.dims;
        m.outlier_sign = ospec.sign;
    }

    // Integer constants: the scale bookkeeping (docs/encoder.md#scales). The residual
    // stream (x, x1 and the layer output) has scale s_x; every other activation S_ACT.
    dtq_layer_params p{};
    p.qkv = rq_of(s_weight(d) * (s_x / S_ACT));
    p.attn = rq_of(std::ldexp(1.0, -7));  // probabilities carry 2^-7
    p.res1 = rq_of(S_ACT * s_weight(d) / S_SUM);
    p.res1_id = rq_of(s_x / S_SUM);
    const double ln_scale = std::sqrt(static_cast<double>(d)) / std::ldexp(1.0, 30);
    p.ln1 = rq_of(ln_scale / s_x);  // gamma = 1
    p.ffn1 = rq_of(s_weight(d) * (s_x / S_ACT));
    const ibert::gelu_consts_t gc = ibert::gelu_consts_int8(S_ACT);  // n = 0 at S_ACT (docs/ibert.md#i-gelu-on-int8-inputs)
    p.gelu_b = static_cast<int32_t>(gc.b_int);
    p.gelu_c = static_cast<int32_t>(gc.c_int);
    p.gelu_shift = static_cast<int32_t>(gc.shift_int);
    p.gelu_n = gc.n;
    p.gelu = rq_of(gc.out_scale / S_ACT);
    p.res2 = rq_of(S_ACT * s_weight(f) / S_SUM);
    p.res2_id = p.res1_id;
    p.ln2 = p.ln1;
    if (m.topk) {
        p.k0 = static_cast<uint32_t>(topk::count_from_ratio(1.0 - w.ratio_pruned, m.seq));
        p.k1 = static_cast<uint32_t>(std::min<uint64_t>(p.k0, topk::count_from_ratio(w.ratio_8bit, m.seq)));
    }
    m.params.assign(m.layers, p);

    if (layout_only) {  // (the input file is still read: its errors are the configuration's)
        if (!w.input.empty()) read_npy(w.input, "int8", {m.seq, d});
        return m;
    }
    const std::vector<int8_t> u = signs(d, c.seed * 31 + 1);
    std::vector<uint32_t> salience;
    if (!w.input.empty()) {
        const npy_array a = read_npy(w.input, "int8", {m.seq, d});  // throws npy_error naming the mismatch
        m.x.assign(a.as<int8_t>(), a.as<int8_t>() + m.seq * d);
        for (uint64_t t = 0; t < m.seq; ++t) {  // salience of a real input: its projection on u
            int64_t s = 0;
            for (uint64_t i = 0; i < d; ++i) s += int64_t{m.x[t * d + i]} * u[i];
            salience.push_back(static_cast<uint32_t>(std::max<int64_t>(s, 0)));
        }
    } else {
        m.x = tokens(m.seq, d, c.seed * 31 + 2, u, &salience, m.outliers ? &ospec : nullptr, with_data);
    }
    if (m.topk) {  // layer 0: the most salient tokens kept, at the scenario's ratios
        std::vector<uint32_t> all(m.seq);
        std::iota(all.begin(), all.end(), 0u);
        const topk::precision_split sp = topk::split({}, salience, all, p.k0, p.k1);
        m.prec0.assign(m.seq, 0);
        for (uint32_t t : sp.bits4) m.prec0[t] = 4;
        for (uint32_t t : sp.bits8) m.prec0[t] = 8;
    }
    if (m.all4) m.prec0.assign(m.seq, 4);
    if (!with_data) {
        m.x.clear();
        return m;
    }
    m.dec_x = tokens(m.decode_tokens, d, c.seed * 31 + 3, u, nullptr, m.outliers ? &ospec : nullptr);
    const std::vector<int8_t> v = signs(d, c.seed * 31 + 4);
    m.weights.resize(m.layers);
    m.weight_seed = c.seed * 1000003;  // the six matrices of every layer: model_weight_into
    m.weight_u = u;
    m.weight_v = v;
    // (the loader makes compressed or 4-bit images from each matrix as it generates it)
    m.deferred_weights = !host_weights;
    // Layers are independent (each has its own seeds): vssa.threads host threads build them
    // (BERT-Base's 85 M weights take about a second on one).
    auto make_layer = [&](uint64_t l) {
        const uint64_t s = c.seed * 1000003 + l * 64;
        layer_weights& lw = m.weights[l];
        if (!m.deferred_weights) {  // (deferred: the loader generates them one at a time, the same bytes)
            std::vector<int8_t>* t[6] = {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.w1, &lw.w2};
            for (int i = 0; i < 6; ++i) {
                const auto [n, k] = weight_shape(m.shape, i);
                t[i]->resize(n * k);
                model_weight_into(m, l, i, t[i]->data());
            }
        }
        for (int n = 0; n < 2; ++n) {  // beta ~ 0.05 x bell, gamma = 1: bias_int = floor(beta / ln_scale)
            splitmix64 g(s + 7 + static_cast<uint64_t>(n));
            std::vector<double> beta(d), gamma(d, 1.0);
            for (auto& b : beta) b = 0.05 * static_cast<double>(g.bell(55)) / 32.0;
            for (size_t o = 0; o < ospec.dims.size(); ++o)  // outlier channels: beta = sign x (4 + 2 r)
                beta[ospec.dims[o]] = ospec.sign[o] * (4.0 + 2.0 * static_cast<double>(g.uniform(0, 1000)) / 1000.0);
            const ibert::ln_consts_t k = ibert::ln_consts(d, gamma, beta);
            auto& bias = n ? lw.ln2_bias : lw.ln1_bias;
            for (int64_t b : k.bias_int) bias.push_back(static_cast<int32_t>(b));
        }
    };
    const uint64_t threads = std::min<uint64_t>(std::max<uint64_t>(c.vssa.threads, 1), m.layers);
    std::vector<std::thread> pool;
    for (uint64_t t = 1; t < threads; ++t)
        pool.emplace_back([&, t] { for (uint64_t l = t; l < m.layers; l += threads) make_layer(l); });
    for (uint64_t l = 0; l < m.layers; l += threads) make_layer(l);
    for (auto& th : pool) th.join();
    return m;
}
}  // namespace

weight_generator model_weight_generator(const model_instance& m, uint64_t l, int i) {
    weight_generator g;
    g.k = weight_shape(m.shape, i).second;
    g.seed = m.weight_seed + l * 64 + static_cast<uint64_t>(i) + 1;
    if (i < 2) {  // wq, wk: the rank-1 term
        g.u = m.weight_u;
        g.v = m.weight_v;
    }
    return g;
}

void weight_generator::operator()(uint64_t first, uint8_t* dst, uint64_t len) const {
    synthetic_weight_range(reinterpret_cast<int8_t*>(dst), first, len, k, seed, u.empty() ? nullptr : u.data(),
                           v.empty() ? nullptr : v.data());
}

void model_weight_into(const model_instance& m, uint64_t l, int i, int8_t* dst) {
    const auto [n, k] = weight_shape(m.shape, i);
    model_weight_generator(m, l, i)(0, reinterpret_cast<uint8_t*>(dst), n * k);
}

weight_image make_weight_image(const model_instance& m, const std::vector<int8_t>& w, uint64_t n, uint64_t k) {
    weight_image img;
    if (m.wcomp) {
        img.b = wcomp::compress(w.data(), n, k, m.wcomp_fraction);
        return img;
    }
    if (!m.all4) {
        img.b.assign(w.begin(), w.end());
        return img;
    }
    const uint64_t row = (k + 1) / 2;
    std::vector<int8_t> codes(n * k);
    if (!m.vsq) {
        for (uint64_t i = 0; i < n * k; ++i) codes[i] = vssa::quantize_4bit_code(w[i]);
    } else {
        const vsquant::tensor t = vsquant::quantize_weights(w.data(), n, k, 1.0, m.vsq_cfg, vsquant::granularity::per_channel);
        codes = t.q;
        img.scales.assign(4 * n, 0);
        for (uint64_t j = 0; j < n; ++j) {  // the channel maximum: gamma = S_w A / (7 (2^M - 1))
            uint32_t amax = 0;
            for (uint64_t i = 0; i < k; ++i) amax = std::max<uint32_t>(amax, static_cast<uint32_t>(std::abs(int{w[j * k + i]})));
            std::memcpy(&img.scales[4 * j], &amax, 4);
        }
        const std::vector<uint8_t> ps = vsquant::pack_scales(t.s.data(), n, t.vectors_per_row(), m.vsq_cfg.scale_bits);
        img.scales.insert(img.scales.end(), ps.begin(), ps.end());
    }
    img.b.assign(n * row, 0);
    for (uint64_t j = 0; j < n; ++j)
        for (uint64_t i = 0; i < k; ++i)
            img.b[j * row + i / 2] |= static_cast<uint8_t>((static_cast<unsigned>(codes[j * k + i]) & 0xFu) << (4 * (i % 2)));
    return img;
}

std::vector<request_spec> expand_requests(const scenario_config& c) {
    const auto& q = c.workload.requests;
    const auto cycles = [&](double us) { return static_cast<uint64_t>(std::llround(us * static_cast<double>(c.clock_mhz))); };
    std::vector<request_spec> out;
    for (const auto& e : q.list) out.push_back({cycles(e.at_us), e.seq});
    if (q.count == 0 || q.seq.empty()) return out;
    splitmix64 g(c.seed * 7919 + 11);
    double at = q.start_us;
    for (uint64_t i = 0; i < q.count; ++i) {
        if (i > 0) {
            if (q.arrival == "exponential") {  // inverse CDF of a uniform in (0, 1]
                const double u = static_cast<double>((g.next() >> 11) + 1) / 9007199254740992.0;
                at += -std::log(u) * q.interarrival_us;
            } else {
                at += q.interarrival_us;
            }
        }
        const uint64_t seq = q.seq[static_cast<size_t>(g.uniform(0, static_cast<int64_t>(q.seq.size()) - 1))];
        out.push_back({cycles(at), seq});
    }
    return out;
}

std::vector<layer_weights> represented_weights(const model_instance& m) {
    std::vector<layer_weights> out = m.weights;
    if (!m.wcomp) return out;
    const uint64_t d = m.shape.d_model, f = m.shape.d_ffn;
    for (layer_weights& lw : out) {
        std::vector<int8_t>* t[6] = {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.w1, &lw.w2};
        const uint64_t nk[6][2] = {{d, d}, {d, d}, {d, d}, {d, d}, {f, d}, {d, f}};
        for (int i = 0; i < 6; ++i) *t[i] = wcomp::represented(t[i]->data(), nk[i][0], nk[i][1], m.wcomp_fraction);
    }
    return out;
}

request_input make_request_input(const scenario_config& c, const model_instance& m, uint64_t index, uint64_t seq, bool with_data) {
    const auto& w = c.workload.model;
    const uint64_t d = m.shape.d_model;
    request_input r;
    const std::vector<int8_t> u = signs(d, c.seed * 31 + 1);
    outlier_spec ospec;
    if (m.outliers) {
        ospec.dims = m.outlier_dims;
        ospec.sign = m.outlier_sign;
        ospec.div = 4;
        ospec.level = 96;
    }
    std::vector<uint32_t> salience;
    r.x = tokens(seq, d, c.seed * 31 + 1000003 * (index + 1), u, &salience, m.outliers ? &ospec : nullptr);
    if (m.topk) {
        r.k0 = static_cast<uint32_t>(topk::count_from_ratio(1.0 - w.ratio_pruned, seq));
        r.k1 = static_cast<uint32_t>(std::min<uint64_t>(r.k0, topk::count_from_ratio(w.ratio_8bit, seq)));
        std::vector<uint32_t> all(seq);
        std::iota(all.begin(), all.end(), 0u);
        const topk::precision_split sp = topk::split({}, salience, all, r.k0, r.k1);
        r.prec0.assign(seq, 0);
        for (uint32_t t : sp.bits4) r.prec0[t] = 4;
        for (uint32_t t : sp.bits8) r.prec0[t] = 8;
    }
    if (m.all4) r.prec0.assign(seq, 4);
    if (!with_data) r.x.clear();
    return r;
}

model_instance request_instance(const model_instance& m, uint64_t seq, const request_input& r) {
    model_instance i = m;
    i.seq = seq;
    i.attn_seq = 0;
    i.x = r.x;
    i.prec0 = r.prec0;
    for (auto& p : i.params) {
        p.k0 = r.k0;
        p.k1 = r.k1;
    }
    return i;
}

stream_layout plan_stream(const scenario_config& c, bool with_data) {
    stream_layout st;
    st.specs = expand_requests(c);
    const auto& b = c.workload.batching;
    const model_shape shape = *find_model(c.workload.model.name);
    uint64_t longest = 1, total = 0;
    for (const auto& r : st.specs) {
        longest = std::max(longest, r.seq);
        total += r.seq;
    }
    const uint64_t per_token = dtq_batch_bytes_per_token(static_cast<uint32_t>(shape.d_model), static_cast<uint32_t>(shape.d_ffn));
    if (b.policy == "single") st.rows = longest;
    else if (b.policy == "fixed") st.rows = std::min<uint64_t>(b.batch_size, st.specs.size()) * longest;
    else st.rows = std::max(longest, std::min({b.token_budget, b.buffer_bytes ? b.buffer_bytes / per_token : UINT64_MAX, total}));
    scenario_config cb = c;
    cb.workload.model.seq = st.rows;
    st.inst = make_model(cb, with_data);
    st.inst.attn_seq = longest;
    st.layout = plan_model(st.inst, DTQ_APP_DATA_ADDR);
    const uint64_t d = shape.d_model;
    uint64_t at = (st.layout.end + 4095) / 4096 * 4096;
    const auto take = [&at](uint64_t bytes) {  // page-aligned, as plan_model's: a buffer's DMA bursts do not depend on where it lies
        const uint64_t a = at;
        at += (bytes + 4095) / 4096 * 4096;
        return a;
    };
    st.request_table = take(st.specs.size() * sizeof(dtq_request));
    st.batch_table = take(st.specs.size() * sizeof(dtq_batch_rec));
    for (uint64_t i = 0; i < st.specs.size(); ++i) {
        const uint64_t seq = st.specs[i].seq;
        st.inputs.push_back(make_request_input(c, st.inst, i, seq, with_data));
        dtq_request q{};
        q.arrival = st.specs[i].arrival;
        q.seq = static_cast<uint32_t>(seq);
        q.k0 = st.inputs.back().k0;
        q.k1 = st.inputs.back().k1;
        q.x = take(seq * d);
        q.out = take(seq * d);
        q.prec0 = take(seq);
        st.table.push_back(q);
    }
    st.end = at;
    dtq_model_args& a = st.layout.args;
    a.requests = static_cast<uint32_t>(st.specs.size());
    a.policy = b.policy == "single" ? DTQ_BATCH_SINGLE : b.policy == "fixed" ? DTQ_BATCH_FIXED : DTQ_BATCH_DYNAMIC;
    a.batch_size = static_cast<uint32_t>(b.batch_size);
    a.token_budget = static_cast<uint32_t>(b.token_budget);
    a.buffer_bytes = b.buffer_bytes;
    a.bytes_per_token = per_token;
    a.max_wait = static_cast<uint64_t>(std::llround(b.max_wait_us * static_cast<double>(c.clock_mhz)));
    a.request_table = st.request_table;
    a.batch_table = st.batch_table;
    return st;
}

model_layout plan_model(const model_instance& m, uint64_t base) {
    const uint64_t d = m.shape.d_model, f = m.shape.d_ffn, s = m.seq, heads = m.shape.heads, dh = m.shape.d_head();
    const uint64_t max_seq = s + m.decode_tokens, wide = std::max(d, f);
    model_layout lay;
    uint64_t at = base + 4096;
    const auto take = [&](uint64_t bytes) {
        const uint64_t a = at;
        at += (bytes + 4095) / 4096 * 4096;
        return a;
    };
    // An imported graph's biases or per-channel LayerNorm tables: DTQ_MODEL_EXTRAS, and the
    // dtq_layer_extras table right behind the params (apps.h).
    bool extras = false;
    for (const layer_weights& w : m.weights)
        extras |= !(w.bq.empty() && w.bk.empty() && w.bv.empty() && w.bo.empty() && w.b1.empty() && w.b2.empty() &&
                    w.ln1_rq.empty() && w.ln2_rq.empty() && !w.pre_ln && !w.relu);
    lay.params_at = take(m.layers * (sizeof(dtq_layer_params) + (extras ? sizeof(dtq_layer_extras) : 0)));
    dtq_model_args& a = lay.args;
    a.magic = DTQ_MODEL_ARGS_MAGIC;
    a.flags = (m.causal ? DTQ_MODEL_CAUSAL : 0u) | (m.topk ? DTQ_MODEL_TOPK : 0u) | (m.unfused ? DTQ_MODEL_UNFUSED : 0u) |
              (m.host_nonlinear ? DTQ_MODEL_HOST_NONLINEAR : 0u) | (m.all4 ? DTQ_MODEL_ALL4 : 0u) | (m.vsq ? DTQ_MODEL_VSQ : 0u) |
              (m.wcomp ? DTQ_MODEL_WCOMP : 0u) | (extras ? DTQ_MODEL_EXTRAS : 0u);
    a.layers = static_cast<uint32_t>(m.layers);
    a.seq = static_cast<uint32_t>(s);
    a.d_model = static_cast<uint32_t>(d);
    a.heads = static_cast<uint32_t>(heads);
    a.head_dim = static_cast<uint32_t>(dh);
    a.d_ffn = static_cast<uint32_t>(f);
    a.decode_tokens = static_cast<uint32_t>(m.decode_tokens);
    a.score_shift = m.score_shift;
    a.params = lay.params_at;
    // Weights (N x K): int8, or packed 4-bit codes (all4) and, VS-Quant, their b_scales
    // behind them (at the next 4-byte boundary, dtq_model_wscales).
    const vsq_geometry geo{m.vsq_cfg.vector_size, m.vsq_cfg.scale_bits};
    const auto weight_bytes = [&](uint64_t n, uint64_t k) {
        if (m.wcomp) return wcomp::image_bytes(n, k, wcomp::rows_4bit(n, m.wcomp_fraction));  // NM24: fixed by the fraction
        if (!m.all4) return n * k;
        const uint64_t codes = n * ((k + 1) / 2);
        return m.vsq ? (codes + 3) / 4 * 4 + geo.b_scales_bytes(n, k) : codes;
    };
    for (uint64_t l = 0; l < m.layers; ++l)
        for (const uint64_t bytes : {weight_bytes(d, d), weight_bytes(d, d), weight_bytes(d, d), weight_bytes(d, d), weight_bytes(f, d),
                               weight_bytes(d, f), d * 4, d * 4})
            lay.weights_at.push_back(take(bytes));
    uint64_t wide_at = 0;  // pre-LN: the int32 residual stream, one buffer for every layer
    for (uint64_t l = 0; l < m.layers; ++l) {  // an imported graph's biases and per-channel LayerNorm tables
        const layer_weights* w = l < m.weights.size() ? &m.weights[l] : nullptr;
        const auto bytes_of = [](const auto& v) { return v.size() * sizeof(v[0]); };
        for (const uint64_t bytes : {w ? bytes_of(w->bq) : 0, w ? bytes_of(w->bk) : 0, w ? bytes_of(w->bv) : 0, w ? bytes_of(w->bo) : 0,
                                     w ? bytes_of(w->b1) : 0, w ? bytes_of(w->b2) : 0, w ? bytes_of(w->ln1_rq) : 0,
                                     w ? bytes_of(w->ln2_rq) : 0})
            lay.extras_at.push_back(bytes ? take(bytes) : 0);
        if (w && w->pre_ln && !wide_at) wide_at = take(s * d * 4);
        lay.extras_at.push_back(w && w->pre_ln ? wide_at : 0);
        lay.extras_at.push_back(w && w->final_ln && !w->lnf_bias.empty() ? take(w->lnf_bias.size() * 4) : 0);
        lay.extras_at.push_back(w && w->final_ln && !w->lnf_rq.empty() ? take(w->lnf_rq.size() * sizeof(dtq_rq)) : 0);
    }
    a.x = take(s * d);
    a.outputs = take(m.layers * s * d);
    a.prec = take(s);
    a.prec_log = take(m.layers * s);
    a.keep = take(s);
    a.q = take(heads * s * dh);
    a.k = take(heads * s * dh);
    a.v = take(heads * s * dh);
    a.attn_out = take(heads * s * dh * 4);
    a.acc = take(s * wide * 4);
    a.tmp = take(s * wide);
    a.x1 = take(s * d);
    if (m.causal) {
        a.kcache = take(m.layers * heads * max_seq * dh);
        a.vcache = take(m.layers * heads * max_seq * dh);
        a.dec_x = take(std::max<uint64_t>(1, m.decode_tokens) * d);
        a.dec_out = take(std::max<uint64_t>(1, m.decode_tokens * m.layers) * d);
    }
    if (m.causal || m.unfused) {
        const uint64_t as = m.attn_seq ? m.attn_seq : s;
        const uint64_t scores = std::max(m.causal ? max_seq : 0, m.unfused ? as * as : 0);
        a.scores = take(scores * 4);
        a.probs = take(scores);
    }
    lay.end = at;
    return lay;
}

// ---- the reference ------------------------------------------------------------------

namespace {

using ibert::normact::scale_round;

// C (M x N) = A (M x K) x B^T (B: N x K), rows with keep[i] == false are 0.
std::vector<int32_t> matmul(const std::vector<int8_t>& a, const std::vector<int8_t>& bt, uint64_t M, uint64_t N, uint64_t K,
                            const std::vector<bool>& keep) {
    std::vector<int32_t> c(M * N, 0);
    vssa::gemm_s8(a.data(), bt.data(), c.data(), M, N, K, 1);
    for (uint64_t i = 0; i < M; ++i)
        if (!keep[i]) std::fill(&c[i * N], &c[i * N] + N, 0);
    return c;
}

int8_t rq8(int64_t x, dtq_rq q) { return static_cast<int8_t>(std::clamp<int64_t>(scale_round(x, q.m, q.e), -128, 127)); }

std::vector<int8_t> requant_all(const std::vector<int32_t>& z, dtq_rq q) {
    std::vector<int8_t> y(z.size());
    for (size_t i = 0; i < z.size(); ++i) y[i] = rq8(z[i], q);
    return y;
}

// A GEMM's bias (GEMM layout.BIAS): b[j] added to every row i with keep[i] (a skipped row
// stays 0), saturated to int32; an empty b adds nothing.
std::vector<int32_t> biased(std::vector<int32_t> c, const std::vector<int32_t>& b, const std::vector<bool>& keep) {
    if (b.empty()) return c;
    const uint64_t n = b.size();
    for (uint64_t i = 0; i < c.size() / n; ++i)
        if (keep[i])
            for (uint64_t j = 0; j < n; ++j)
                c[i * n + j] = static_cast<int32_t>(std::clamp<int64_t>(int64_t{c[i * n + j]} + b[j], INT32_MIN, INT32_MAX));
    return c;
}

// A LayerNorm output to int8: one multiplier q, or per channel (REQUANT PER_CHANNEL).
std::vector<int8_t> ln_requant(const std::vector<int32_t>& z, dtq_rq q, const std::vector<dtq_rq>& per_channel) {
    if (per_channel.empty()) return requant_all(z, q);
    const uint64_t n = per_channel.size();
    std::vector<int8_t> y(z.size());
    for (size_t i = 0; i < z.size(); ++i) y[i] = rq8(z[i], per_channel[i % n]);
    return y;
}

std::vector<int32_t> resadd(const std::vector<int32_t>& z, const std::vector<int8_t>& x, dtq_rq a, dtq_rq b) {
    std::vector<int32_t> y(z.size());
    for (size_t i = 0; i < z.size(); ++i) {
        const int64_t v = scale_round(z[i], a.m, a.e) + scale_round(x[i], b.m, b.e);
        y[i] = static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
    }
    return y;
}

std::vector<int32_t> layernorm(const std::vector<int32_t>& x, uint64_t rows, uint64_t cols, int shift,
                               const std::vector<int32_t>& bias) {
    std::vector<int32_t> y(x.size());
    const std::vector<double> gamma(cols, 1.0), beta(cols, 0.0);
    for (uint64_t r = 0; r < rows; ++r) {
        const std::vector<int64_t> row(&x[r * cols], &x[r * cols] + cols);
        const ibert::layernorm_out o = ibert::i_layernorm(row, gamma, beta, shift, true);
        for (uint64_t i = 0; i < cols; ++i) y[r * cols + i] = static_cast<int32_t>(o.y_norm[i] + bias[i]);
    }
    return y;
}

}  // namespace

std::vector<std::vector<int8_t>> reference_model(const model_instance& m, const std::vector<std::vector<uint8_t>>& prec,
                                                 bool quantized) {
    const uint64_t d = m.shape.d_model, f = m.shape.d_ffn, s = m.seq, heads = m.shape.heads, dh = m.shape.d_head();
    const double scale = std::ldexp(1.0, -static_cast<int>(m.score_shift)) / std::sqrt(static_cast<double>(dh));
    softmax::unit_config sm;
    sm.mode = m.softmax;
    const bool lin4 = quantized && m.all4, vsq = quantized && m.vsq;
    const vsquant::config& vc = m.vsq_cfg;
    const int64_t g_den = int64_t{vsquant::QMAX} * vc.scale_max();  // gamma / S = A / g_den
    // A linear layer x W^T: int8 (zeroing the rows keep[i] == false), or, lin4, both
    // operands 4-bit: per tensor (code = value / 16, each side x16) or VS-Quant
    // (models/vsquant's quantizers and its reference GEMM, then x gamma_a gamma_w / S_a S_w).
    const auto linear = [&](const std::vector<int8_t>& a, const std::vector<int8_t>& w, uint64_t M, uint64_t N, uint64_t K,
                            const std::vector<bool>& keep) {
        if (!lin4) return matmul(a, w, M, N, K, keep);
        std::vector<int32_t> c(M * N);
        if (!vsq) {
            std::vector<int8_t> ac(a.size()), wc(w.size());
            for (size_t i = 0; i < a.size(); ++i) ac[i] = vssa::quantize_4bit_code(a[i]);
            for (size_t i = 0; i < w.size(); ++i) wc[i] = vssa::quantize_4bit_code(w[i]);
            c = matmul(ac, wc, M, N, K, keep);
            for (auto& v : c) v *= 256;
            return c;
        }
        const vsquant::tensor ta = vsquant::quantize_activations(a.data(), M, K, 1.0, vc);
        const vsquant::tensor tw = vsquant::quantize_weights(w.data(), N, K, 1.0, vc, vsquant::granularity::per_channel);
        const std::vector<int64_t> acc = vsquant::gemm(ta, tw);
        for (uint64_t j = 0; j < N; ++j) {
            int64_t amax = 0;
            for (uint64_t k = 0; k < K; ++k) amax = std::max<int64_t>(amax, std::abs(int64_t{w[j * K + k]}));
            for (uint64_t i = 0; i < M; ++i)
                c[i * N + j] = keep[i] ? static_cast<int32_t>(vsquant::rescale(acc[i * N + j], 127 * amax, g_den * g_den)) : 0;
        }
        return c;
    };
    std::vector<std::vector<int8_t>> outs;
    std::vector<int8_t> x = m.x;
    std::vector<int32_t> wide;  // pre-LN: the int32 residual stream
    const std::vector<layer_weights> wprime = quantized && m.wcomp ? represented_weights(m) : std::vector<layer_weights>{};
    for (uint64_t l = 0; l < m.layers; ++l) {
        const dtq_layer_params& p = m.params[l];
        const layer_weights& w = wprime.empty() ? m.weights[l] : wprime[l];
        const std::vector<uint8_t> bits = prec.empty() ? std::vector<uint8_t>(s, 8) : prec[l];
        std::vector<bool> keep(s), all(s, true);
        for (uint64_t t = 0; t < s; ++t) keep[t] = bits[t] != 0;
        // Q, K, V in the 8-bit domain (a 4-bit token's value is its code x 16; VS-Quant: its
        // int8 value, quantized per vector below).
        // Pre-LN: the projections read LN1 of the int32 residual stream (layer 0: x x 256).
        std::vector<int8_t> xn;
        if (w.pre_ln) {
            if (l == 0) {
                wide.resize(s * d);
                for (uint64_t i = 0; i < s * d; ++i) wide[i] = int32_t{x[i]} * 256;
            }
            xn = ln_requant(layernorm(wide, s, d, p.ln1_shift, w.ln1_bias), p.ln1, w.ln1_rq);
        }
        const std::vector<int8_t>& qin = w.pre_ln ? xn : x;
        std::vector<int8_t> qkv[3];
        const std::vector<int8_t>* wqkv[3] = {&w.wq, &w.wk, &w.wv};
        const std::vector<int32_t>* bqkv[3] = {&w.bq, &w.bk, &w.bv};
        for (int n = 0; n < 3; ++n) {
            qkv[n] = requant_all(biased(linear(qin, *wqkv[n], s, d, d, m.causal ? all : keep), *bqkv[n], m.causal ? all : keep), p.qkv);
            for (uint64_t t = 0; t < s; ++t)
                for (uint64_t i = 0; i < d; ++i) {
                    int8_t& e = qkv[n][t * d + i];
                    if (bits[t] == 4 && !vsq) e = vssa::quantize_4bit(e);
                    if (bits[t] == 0) e = 0;
                }
        }
        std::vector<uint64_t> kept, kept4;
        for (uint64_t t = 0; t < s; ++t)
            if (keep[t]) {
                kept.push_back(t);
                if (bits[t] == 4) kept4.push_back(t);
            }
        const uint64_t nk = kept.size();
        std::vector<int8_t> att(s * d, 0);
        for (uint64_t h = 0; h < heads; ++h) {
            // VS-Quant: each 4-bit token's Q and K head vector with per-vector scales along
            // head_dim; V's 4-bit tokens as dh rows along the tokens (kept order).
            std::vector<vsquant::tensor> q4(s), k4(s);
            vsquant::tensor v4;
            std::vector<uint64_t> pos4(s, 0);  // index of a 4-bit token among kept4
            if (vsq) {
                for (uint64_t t : kept4) {
                    q4[t] = vsquant::quantize_activations(&qkv[0][t * d + h * dh], 1, dh, 1.0, vc);
                    k4[t] = vsquant::quantize_activations(&qkv[1][t * d + h * dh], 1, dh, 1.0, vc);
                }
                if (!kept4.empty()) {
                    std::vector<int8_t> vt(dh * kept4.size());
                    for (size_t j = 0; j < kept4.size(); ++j) {
                        pos4[kept4[j]] = j;
                        for (uint64_t e = 0; e < dh; ++e) vt[e * kept4.size() + j] = qkv[2][kept4[j] * d + h * dh + e];
                    }
                    v4 = vsquant::quantize_activations(vt.data(), dh, kept4.size(), 1.0, vc);
                }
            }
            const auto score = [&](uint64_t ti, uint64_t tj) -> int64_t {
                const int8_t* qi = &qkv[0][ti * d + h * dh];
                const int8_t* kj = &qkv[1][tj * d + h * dh];
                const bool a4 = vsq && bits[ti] == 4, b4 = vsq && bits[tj] == 4;
                int64_t acc = 0;
                for (uint64_t e = 0; e < dh; ++e) {  // a product of (code x scale) or (int8 value) per side
                    const int64_t av = a4 ? int64_t{q4[ti].q[e]} * q4[ti].scale(0, e / vc.vector_size) : qi[e];
                    const int64_t bv = b4 ? int64_t{k4[tj].q[e]} * k4[tj].scale(0, e / vc.vector_size) : kj[e];
                    acc += av * bv;
                }
                return vsquant::rescale(acc, (a4 ? 127 : 1) * (b4 ? 127 : 1), (a4 ? g_den : 1) * (b4 ? g_den : 1));
            };
            for (uint64_t i = 0; i < nk; ++i) {
                const uint64_t cols = m.causal ? i + 1 : nk;
                std::vector<int64_t> sc(cols);
                for (uint64_t j = 0; j < cols; ++j) sc[j] = score(kept[i], kept[j]);
                const std::vector<int8_t> pr = softmax::run(sm, sc.data(), 1, cols, scale);
                for (uint64_t e = 0; e < dh; ++e) {
                    int64_t acc = 0, acc4 = 0;
                    for (uint64_t j = 0; j < cols; ++j) {
                        const uint64_t tj = kept[j];
                        if (vsq && bits[tj] == 4)
                            acc4 += int64_t{pr[j]} * v4.q[e * kept4.size() + pos4[tj]] * v4.scale(e, pos4[tj] / vc.vector_size);
                        else
                            acc += int64_t{pr[j]} * qkv[2][tj * d + h * dh + e];
                    }
                    if (vsq) acc += vsquant::rescale(acc4, 127, g_den);
                    att[kept[i] * d + h * dh + e] = rq8(acc, p.attn);
                }
            }
        }
        const std::vector<bool>& rk = m.topk ? keep : all;
        // The FFN's inner part, GELU(x1 W1 + b1) requantized to int8 (the firmware's ffn_inner:
        // FFN1 GEMM, REQUANT, GELU, REQUANT), row by row; with ReLU, FFN1 GEMM and one REQUANT
        // with its RELU bit (max(x, 0) then the requantization: the same as clamping its int8
        // result at 0, since the requantization is monotone and keeps 0).
        const auto ffn_inner = [&](const std::vector<int8_t>& x1) {
            std::vector<int8_t> g_in = requant_all(biased(linear(x1, w.w1, s, f, d, rk), w.b1, rk), p.ffn1);
            if (w.relu) {
                for (int8_t& v : g_in) v = std::max<int8_t>(v, 0);
                return g_in;
            }
            std::vector<int32_t> g(s * f);
            ibert::gelu_consts_t gc;
            gc.b_int = p.gelu_b;
            gc.c_int = p.gelu_c;
            gc.shift_int = p.gelu_shift;
            gc.n = p.gelu_n;
            for (uint64_t r = 0; r < s; ++r) ibert::normact::gelu_row(&g_in[r * f], f, gc, &g[r * f]);
            return requant_all(g, p.gelu);
        };
        if (w.pre_ln) {  // the firmware's ffn_half_pre
            wide = resadd(biased(linear(att, w.wo, s, d, d, rk), w.bo, rk), x, p.res1, p.res1_id);
            const std::vector<int8_t> h8 = requant_all(wide, w.pre_h);
            const std::vector<int8_t> x1 = ln_requant(layernorm(wide, s, d, p.ln2_shift, w.ln2_bias), p.ln2, w.ln2_rq);
            const std::vector<int8_t> g8 = ffn_inner(x1);
            wide = resadd(biased(linear(g8, w.w2, s, d, f, rk), w.b2, rk), h8, p.res2, p.res2_id);
            x = w.final_ln ? ln_requant(layernorm(wide, s, d, 0, w.lnf_bias), w.lnf, w.lnf_rq) : requant_all(wide, w.pre_y);
            outs.push_back(x);
            continue;
        }
        std::vector<int32_t> z = resadd(biased(linear(att, w.wo, s, d, d, rk), w.bo, rk), x, p.res1, p.res1_id);
        const std::vector<int8_t> x1 = ln_requant(layernorm(z, s, d, p.ln1_shift, w.ln1_bias), p.ln1, w.ln1_rq);
        const std::vector<int8_t> g8 = ffn_inner(x1);
        z = resadd(biased(linear(g8, w.w2, s, d, f, rk), w.b2, rk), x1, p.res2, p.res2_id);
        x = ln_requant(layernorm(z, s, d, p.ln2_shift, w.ln2_bias), p.ln2, w.ln2_rq);
        outs.push_back(x);
    }
    return outs;
}

accuracy compare_outputs(const std::vector<int8_t>& a, const std::vector<int8_t>& b, uint64_t cols, const std::vector<bool>& rows,
                         const std::vector<bool>& columns) {
    accuracy r;
    double dot = 0, na = 0, nb = 0, sum = 0;
    for (uint64_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (!rows.empty() && !rows[i / cols]) continue;
        if (!columns.empty() && !columns[i % cols]) continue;
        const double x = a[i], y = b[i], e = std::fabs(x - y);
        sum += e;
        r.max_abs = std::max(r.max_abs, e);
        dot += x * y;
        na += x * x;
        nb += y * y;
        ++r.elements;
    }
    r.mean_abs = r.elements ? sum / static_cast<double>(r.elements) : 0.0;
    r.cosine = na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
    return r;
}

// ---- per-op accounting ----------------------------------------------------------------

const char* op_tag_name(uint32_t op) {
    static const char* names[] = {"untagged", "qkv_proj", "attention", "out_proj", "ffn_w1", "ffn_w2", "other", "qk", "sv"};
    return op < DTQ_OPTAG_COUNT ? names[op] : "untagged";
}

op_accounting::op_accounting() {
    for (uint32_t op = 0; op < DTQ_OPTAG_COUNT; ++op) {
        op_stats o;
        o.g = std::make_unique<stat_group>(std::string("ops.") + op_tag_name(op));
        o.commands = &o.g->counter("commands", "count", "commands of this op (descriptor tag)");
        o.cycles = &o.g->counter("cycles", "cycles", "sum of the commands' start-to-end cycles");
        o.read = &o.g->counter("dma_bytes_from_dram_addr", "bytes",
                               "bytes the commands' DMA transfers read from DRAM addresses, L2 hits included (fused "
                               "ATTENTION: split by operand); the DRAM's own bytes are dram_bytes");
        o.written = &o.g->counter("dma_bytes_to_dram_addr", "bytes",
                                  "bytes the commands' DMA transfers wrote to DRAM addresses (into the L2 when it has one)");
        o.device = &o.g->counter("dram_bytes", "bytes",
                                 "DRAM <-> L2 bytes of the op (the survey's Table 5 traffic): the L2 misses its commands "
                                 "read, plus the write-backs of the lines they wrote, whenever evicted (no L2: the "
                                 "commands' DRAM writes)");
        m_ops.push_back(std::move(o));
    }
}

void op_accounting::account(const command& c, uint64_t start, uint64_t end, uint64_t read, uint64_t written,
                            uint64_t device) {
    const uint32_t op = c.tag & 0xFF, layer = c.tag >> 8;
    op_entry(op < DTQ_OPTAG_COUNT ? op : 0, 1, end - start, read, written, device);
    if (layer != m_layer) {
        m_layer = layer;
        if (on_layer) on_layer(layer, end);
    }
}

void op_accounting::op_entry(uint32_t op, uint64_t commands, uint64_t cycles, uint64_t read, uint64_t written,
                             uint64_t device) {
    *m_ops[op].device += device;
    *m_ops[op].commands += commands;
    *m_ops[op].cycles += cycles;
    *m_ops[op].read += read;
    *m_ops[op].written += written;
}

nlohmann::json op_accounting::to_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (uint32_t op = 0; op < DTQ_OPTAG_COUNT; ++op)
        j[op_tag_name(op)] = {{"commands", *m_ops[op].commands}, {"cycles", *m_ops[op].cycles},
                              {"dma_bytes_dram_addr", *m_ops[op].read + *m_ops[op].written}, {"dram_bytes", *m_ops[op].device}};
    return j;
}

}  // namespace dtq
