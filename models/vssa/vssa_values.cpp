#include "vssa/vssa_values.h"

#include <algorithm>
#include <climits>

#include "vssa/gemm.h"

namespace dtq::vssa {

uint64_t pack_token(const int8_t* values, uint64_t head_dim, uint8_t bits, uint8_t* slot) {
    if (bits == 8) {
        std::copy(values, values + head_dim, reinterpret_cast<int8_t*>(slot));
        return head_dim;
    }
    for (uint64_t i = 0; i < head_dim / 2; ++i) {
        const auto lo = static_cast<uint8_t>(quantize_4bit_code(values[2 * i]) & 0xF);
        const auto hi = static_cast<uint8_t>(quantize_4bit_code(values[2 * i + 1]) & 0xF);
        slot[i] = static_cast<uint8_t>(lo | (hi << 4));
    }
    return head_dim / 2;
}

void unpack_token(const uint8_t* slot, uint64_t head_dim, uint8_t bits, int8_t* values) {
    if (bits == 8) {
        std::copy(slot, slot + head_dim, reinterpret_cast<uint8_t*>(values));
        return;
    }
    const auto sext = [](unsigned nib) { return static_cast<int8_t>(static_cast<int>(nib ^ 8u) - 8); };
    for (uint64_t i = 0; i < head_dim / 2; ++i) {
        values[2 * i] = sext(slot[i] & 0xFu);
        values[2 * i + 1] = sext(slot[i] >> 4);
    }
}

namespace {

int32_t sat32(int64_t v) { return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)); }

}  // namespace

// Q x K^T of one head: the kept tokens' int8 vectors (qm, km: seq x dh, original
// positions); a 4-bit token's vector is quantized per vector of V along head_dim (its
// own maxima, calibrated max 127), an 8-bit one keeps its values (scale 1). Each score is
// the exact accumulator rounded into the 8-bit domain: x gamma / S per 4-bit side.
std::vector<int64_t> vsq_scores(const std::vector<int8_t>& qm, const std::vector<int8_t>& km, const std::vector<uint32_t>& kept,
                                const std::vector<uint8_t>& kept_bits, uint64_t dh, const vsquant::config& vc) {
    const uint64_t nk = kept.size(), nv = vsquant::vectors_per_row(dh, vc);
    const vsquant::ratio f4 = vsquant::gamma_ratio(127, vc);
    std::vector<int8_t> a[2];
    std::vector<uint16_t> s[2];
    const std::vector<int8_t>* src[2] = {&qm, &km};
    for (int x = 0; x < 2; ++x) {
        a[x].assign(nk * dh, 0);
        s[x].assign(nk * nv, 1);
        for (uint64_t i = 0; i < nk; ++i) {
            const int8_t* v = src[x]->data() + uint64_t{kept[i]} * dh;
            if (kept_bits[i] == 4) {
                const vsquant::tensor t = vsquant::quantize_activations(v, 1, dh, 1.0, vc);
                std::copy(t.q.begin(), t.q.end(), &a[x][i * dh]);
                std::copy(t.s.begin(), t.s.end(), &s[x][i * nv]);
            } else {
                std::copy_n(v, dh, &a[x][i * dh]);
            }
        }
    }
    const std::vector<int64_t> acc = vsquant::gemm_scaled(a[0].data(), s[0].data(), a[1].data(), s[1].data(), nk, nk, dh, vc.vector_size);
    std::vector<int64_t> sc(nk * nk);
    for (uint64_t i = 0; i < nk; ++i)
        for (uint64_t j = 0; j < nk; ++j) {
            const bool qi = kept_bits[i] == 4, kj = kept_bits[j] == 4;
            sc[i * nk + j] = vsquant::rescale(acc[i * nk + j], (qi ? f4.num : 1) * (kj ? f4.num : 1), (qi ? f4.den : 1) * (kj ? f4.den : 1));
        }
    return sc;
}

// P x V of one head: probabilities (nk x nk, 8-bit) times V (vt: dh x nk, the kept tokens'
// int8 values in kept order). V's 4-bit tokens, in kept (= token) order, form vectors of V
// consecutive tokens along the reduction, per head dimension, each with its own scale; the
// 4-bit tokens' partial sum is rounded into the 8-bit domain, then the 8-bit tokens' exact
// partial sum is added (as the x16 shift of the per-tensor mode).
std::vector<int32_t> vsq_pv(const std::vector<int8_t>& p, const std::vector<int8_t>& vt, const std::vector<uint8_t>& kept_bits,
                            uint64_t dh, const vsquant::config& vc) {
    const uint64_t nk = kept_bits.size();
    std::vector<uint64_t> c4, c8;
    for (uint64_t x = 0; x < nk; ++x) (kept_bits[x] == 4 ? c4 : c8).push_back(x);
    std::vector<int32_t> res(nk * dh, 0);
    const auto columns = [&](const std::vector<int8_t>& m, uint64_t rows, const std::vector<uint64_t>& cols) {
        std::vector<int8_t> o(rows * cols.size());
        for (uint64_t r = 0; r < rows; ++r)
            for (size_t c = 0; c < cols.size(); ++c) o[r * cols.size() + c] = m[r * nk + cols[c]];
        return o;
    };
    if (!c8.empty()) {
        const std::vector<int8_t> p8 = columns(p, nk, c8), v8 = columns(vt, dh, c8);
        const std::vector<int64_t> acc = vsquant::gemm_scaled(p8.data(), nullptr, v8.data(), nullptr, nk, dh, c8.size(), vc.vector_size);
        for (uint64_t i = 0; i < nk * dh; ++i) res[i] = sat32(acc[i]);
    }
    if (!c4.empty()) {
        const std::vector<int8_t> p4 = columns(p, nk, c4), v4 = columns(vt, dh, c4);
        const vsquant::tensor t = vsquant::quantize_activations(v4.data(), dh, c4.size(), 1.0, vc);
        const std::vector<int64_t> acc = vsquant::gemm_scaled(p4.data(), nullptr, t.q.data(), t.s.data(), nk, dh, c4.size(), vc.vector_size);
        const vsquant::ratio f4 = vsquant::gamma_ratio(127, vc);
        for (uint64_t i = 0; i < nk * dh; ++i) res[i] = sat32(int64_t{res[i]} + vsquant::rescale(acc[i], f4.num, f4.den));
    }
    return res;
}

uint64_t head_bytes(const std::vector<token_slot>& order, uint64_t head_dim) {
    uint64_t n = 0;
    for (const auto& t : order) n += t.bits == 8 ? head_dim : head_dim / 2;
    return n;
}

std::vector<int8_t> unpack_head(const uint8_t* image, const std::vector<token_slot>& order, uint64_t seq, uint64_t head_dim) {
    std::vector<int8_t> m(seq * head_dim, 0);
    const uint8_t* p = image;
    for (const auto& t : order) {
        unpack_token(p, head_dim, t.bits, &m[uint64_t{t.id} * head_dim]);
        p += t.bits == 8 ? head_dim : head_dim / 2;
    }
    return m;
}

std::vector<int64_t> scores_8bit(const std::vector<int32_t>& c, uint64_t seq, const std::vector<uint32_t>& kept,
                                 const std::vector<uint8_t>& kept_bits) {
    const uint64_t nk = kept.size();
    std::vector<int64_t> sc(nk * nk);
    for (uint64_t i = 0; i < nk; ++i)
        for (uint64_t j = 0; j < nk; ++j) {
            const int sh = 4 * ((kept_bits[i] == 4) + (kept_bits[j] == 4));
            sc[i * nk + j] = static_cast<int64_t>(c[uint64_t{kept[i]} * seq + kept[j]]) * (int64_t{1} << sh);
        }
    return sc;
}

std::vector<int32_t> attention_pv(const std::vector<int8_t>& probs, const std::vector<int8_t>& vm, uint64_t seq, uint64_t dh,
                                  const std::vector<uint32_t>& kept, const std::vector<uint8_t>& kept_bits, bool vsq,
                                  const vsquant::config& vc, unsigned threads) {
    const uint64_t nk = kept.size();
    std::vector<int8_t> vals(dh * nk, 0);  // transposed: dh x nk, 8-bit domain (VS-Quant: the int8 values)
    for (uint64_t x = 0; x < nk; ++x)
        for (uint64_t j = 0; j < dh; ++j) {
            const int8_t e = vm[uint64_t{kept[x]} * dh + j];
            vals[j * nk + x] = kept_bits[x] == 4 && !vsq ? static_cast<int8_t>(e * 16) : e;
        }
    std::vector<int32_t> res(nk * dh);
    if (vsq)
        res = vsq_pv(probs, vals, kept_bits, dh, vc);
    else
        gemm_s8(probs.data(), vals.data(), res.data(), nk, dh, nk, threads);
    std::vector<int32_t> rows(seq * dh, 0);
    for (uint64_t x = 0; x < nk; ++x) std::copy(&res[x * dh], &res[x * dh] + dh, &rows[uint64_t{kept[x]} * dh]);
    return rows;
}

std::vector<int32_t> command_gemm(std::vector<int8_t>& am, const std::vector<int8_t>& bt, const std::vector<uint8_t>& bits,
                                  uint64_t M, uint64_t N, uint64_t K, bool b4, bool vsq, const vsquant::config& vc,
                                  const std::vector<uint16_t>& sb, const std::vector<vsquant::ratio>& fb, unsigned threads) {
    std::vector<int32_t> cv(M * N);
    if (!vsq) {
        // Per tensor: a 4-bit row's code is value / 16 (quantize_4bit_code), a 4-bit B
        // code likewise; each 4-bit side counts x16 in the 8-bit domain.
        for (uint64_t i = 0; i < M; ++i) {
            int8_t* row = &am[i * K];
            if (bits[i] == 0) std::fill(row, row + K, 0);
            if (bits[i] == 4)
                for (uint64_t k = 0; k < K; ++k) row[k] = quantize_4bit_code(row[k]);
        }
        gemm_s8(am.data(), bt.data(), cv.data(), M, N, K, threads);
        for (uint64_t i = 0; i < M; ++i) {
            const int32_t f = (bits[i] == 4 ? 16 : 1) * (b4 ? 16 : 1);
            if (f != 1)
                for (uint64_t j = 0; j < N; ++j) cv[i * N + j] *= f;
        }
        return cv;
    }
    // VS-Quant: A's 4-bit rows get per-vector scales from their own maxima (run time,
    // calibrated max 127 = the int8 range); 8-bit rows keep their values with scale 1. B's
    // codes and scales come from memory. The accumulator is rounded into the 8-bit domain:
    // x gamma / S per VS-Quant side (docs/vsquant.md).
    const uint64_t nv = vsquant::vectors_per_row(K, vc);
    std::vector<uint16_t> sa(M * nv, 1);
    std::vector<vsquant::ratio> fa(M, {1, 1});
    std::vector<uint64_t> rows4;
    for (uint64_t i = 0; i < M; ++i) {
        if (bits[i] == 0) std::fill(&am[i * K], &am[i * K] + K, 0);
        if (bits[i] == 4) rows4.push_back(i);
    }
    if (!rows4.empty()) {
        std::vector<int8_t> x(rows4.size() * K);
        for (size_t r = 0; r < rows4.size(); ++r) std::copy_n(&am[rows4[r] * K], K, &x[r * K]);
        const vsquant::tensor q = vsquant::quantize_activations(x.data(), rows4.size(), K, 1.0, vc);
        for (size_t r = 0; r < rows4.size(); ++r) {
            std::copy_n(&q.q[r * K], K, &am[rows4[r] * K]);
            std::copy_n(&q.s[r * nv], nv, &sa[rows4[r] * nv]);
            fa[rows4[r]] = vsquant::gamma_ratio(127, vc);
        }
    }
    const std::vector<int64_t> acc = vsquant::gemm_scaled(am.data(), rows4.empty() ? nullptr : sa.data(), bt.data(),
                                                          b4 ? sb.data() : nullptr, M, N, K, vc.vector_size);
    for (uint64_t i = 0; i < M; ++i)
        for (uint64_t j = 0; j < N; ++j) {
            const int64_t v = vsquant::rescale(acc[i * N + j], fa[i].num * fb[j].num, fa[i].den * fb[j].den);
            cv[i * N + j] = static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
        }
    return cv;
}

}  // namespace dtq::vssa
