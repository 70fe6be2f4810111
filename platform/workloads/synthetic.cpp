#include "platform/workloads/synthetic.h"

#include <algorithm>
#include <numeric>

namespace dtq {

static int8_t sat8(int64_t v) { return static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127)); }

attention_inputs synthetic_attention(uint64_t seq, uint64_t d_head, uint64_t seed) {
    attention_inputs a;
    a.seq = seq;
    a.d_head = d_head;
    splitmix64 rng(seed * 0x2545f4914f6cdd1dull + 1);
    // Salience by a seeded permutation of ranks.
    std::vector<uint32_t> rank(seq);
    std::iota(rank.begin(), rank.end(), 0u);
    for (uint64_t i = seq; i > 1; --i) std::swap(rank[i - 1], rank[rng.next() % i]);
    a.salience.resize(seq);
    for (uint64_t t = 0; t < seq; ++t) a.salience[t] = 100 / (1 + rank[t]) + 1;
    // Shared direction u: +-1 per channel.
    std::vector<int> u(d_head);
    for (auto& x : u) x = (rng.next() & 1) ? 1 : -1;
    a.q.resize(seq * d_head);
    a.k.resize(seq * d_head);
    a.v.resize(seq * d_head);
    for (uint64_t t = 0; t < seq; ++t)
        for (uint64_t c = 0; c < d_head; ++c) {
            a.q[t * d_head + c] = sat8(rng.bell(12) + 24 * u[c]);
            a.k[t * d_head + c] = sat8(rng.bell(12) + static_cast<int64_t>(a.salience[t]) * u[c]);
            a.v[t * d_head + c] = sat8(rng.bell(40));
        }
    return a;
}

void synthetic_weight_into(int8_t* dst, uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v) {
    // Per row, blocks of B weights: the bells of B consecutive draws in one loop without
    // loop-carried state (vectorised: 64-bit multiplies of splitmix64 with AVX-512 DQ,
    // emulated by 32-bit ones on AVX2), then the rank-1 term and the clamp.
    constexpr uint64_t B = 512;
    alignas(64) int32_t b[B];
    for (uint64_t j = 0; j < n; ++j) {
        int8_t* row = dst + j * k;
        for (uint64_t i0 = 0; i0 < k; i0 += B) {
            const uint64_t m = std::min(B, k - i0), d0 = j * k + i0;
            for (uint64_t t = 0; t < m; ++t) b[t] = weight_bell(splitmix64_at(seed, d0 + t));
            if (u) {
                const int32_t vj = v[j];
                const int8_t* ui = u + i0;
                for (uint64_t t = 0; t < m; ++t) row[i0 + t] = static_cast<int8_t>(std::clamp<int32_t>(b[t] + ui[t] * vj, -127, 127));
            } else {  // |bell| <= 110: no clamp
                for (uint64_t t = 0; t < m; ++t) row[i0 + t] = static_cast<int8_t>(b[t]);
            }
        }
    }
}

std::vector<int8_t> synthetic_weight(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v) {
    std::vector<int8_t> w(n * k);
    synthetic_weight_into(w.data(), n, k, seed, u, v);
    return w;
}

std::vector<int8_t> synthetic_matrix(uint64_t rows, uint64_t cols, int range, uint64_t seed) {
    splitmix64 rng(seed * 0x9e3779b97f4a7c15ull + 7);
    std::vector<int8_t> m(rows * cols);
    for (auto& x : m) x = static_cast<int8_t>(rng.uniform(-range, range));
    return m;
}

}  // namespace dtq
