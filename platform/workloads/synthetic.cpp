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

namespace {
constexpr int64_t WEIGHT_SPREAD = 55;
int8_t clip127(int64_t v) { return static_cast<int8_t>(std::clamp<int64_t>(v, -127, 127)); }
}  // namespace

std::vector<int8_t> synthetic_weight_reference(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v) {
    splitmix64 g(seed);
    std::vector<int8_t> w(n * k);
    for (uint64_t j = 0; j < n; ++j)
        for (uint64_t i = 0; i < k; ++i)
            w[j * k + i] = clip127(g.bell(WEIGHT_SPREAD) + (u ? int64_t{u[i]} * v[j] : 0));
    return w;
}

std::vector<int8_t> synthetic_weight(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v) {
#if defined(__AVX512DQ__)
    return synthetic_weight_blocks(n, k, seed, u, v);
#else
    // Without AVX-512 DQ a vector has no 64-bit multiply nor int64 <-> double conversion:
    // the block form executed 1.5 x the instructions of the sequential one on x86-64-v3
    // (callgrind) for no measurable gain, so the sequential generator it is.
    return synthetic_weight_reference(n, k, seed, u, v);
#endif
}

std::vector<int8_t> synthetic_weight_blocks(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v) {
    const small_mod mod(2 * WEIGHT_SPREAD + 1);
    std::vector<int8_t> w(n * k);
    // Per block of B weights: their 4 B uniform draws (element e uses draws 4e .. 4e + 3),
    // one simple loop without loop-carried state that the compiler vectorises (8 lanes with
    // AVX-512: 2.4 ns a weight against 21 for the sequential generator on a Zen 4 core),
    // then the bells and the clamp.
    constexpr uint64_t B = 256;
    alignas(64) int64_t r[4 * B];
    for (uint64_t j = 0; j < n; ++j) {
        int8_t* row = &w[j * k];
        const int64_t vj = u ? v[j] : 0;
        for (uint64_t i0 = 0; i0 < k; i0 += B) {
            const uint64_t m = std::min(B, k - i0);
            const uint64_t d0 = 4 * (j * k + i0);
            for (uint64_t t = 0; t < 4 * m; ++t) r[t] = mod(splitmix64_at(seed, d0 + t));
            for (uint64_t i = 0; i < m; ++i) {
                // bell: the sum of 4 uniforms in [-spread, spread], halved toward zero
                const int64_t s = r[4 * i] + r[4 * i + 1] + r[4 * i + 2] + r[4 * i + 3] - 4 * WEIGHT_SPREAD;
                row[i0 + i] = clip127(s / 2 + (u ? int64_t{u[i0 + i]} * vj : 0));
            }
        }
    }
    return w;
}

std::vector<int8_t> synthetic_matrix(uint64_t rows, uint64_t cols, int range, uint64_t seed) {
    splitmix64 rng(seed * 0x9e3779b97f4a7c15ull + 7);
    std::vector<int8_t> m(rows * cols);
    for (auto& x : m) x = static_cast<int8_t>(rng.uniform(-range, range));
    return m;
}

}  // namespace dtq
