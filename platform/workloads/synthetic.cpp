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

std::vector<int8_t> synthetic_matrix(uint64_t rows, uint64_t cols, int range, uint64_t seed) {
    splitmix64 rng(seed * 0x9e3779b97f4a7c15ull + 7);
    std::vector<int8_t> m(rows * cols);
    for (auto& x : m) x = static_cast<int8_t>(rng.uniform(-range, range));
    return m;
}

}  // namespace dtq
