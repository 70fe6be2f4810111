// Synthetic int8 tensors from the scenario's seed (docs/workloads.md#synthetic-data).
// Portable and deterministic: a splitmix64 generator and integer arithmetic only (no
// <random> distributions, whose results differ between standard libraries).
#pragma once
#include <cstdint>
#include <vector>

namespace dtq {

class splitmix64 {
public:
    explicit splitmix64(uint64_t seed) : m_state(seed) {}
    uint64_t next() {
        uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [lo, hi].
    int64_t uniform(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1)); }
    // Approximately normal (sum of 4 uniforms, Irwin-Hall), mean 0, in [-2*spread, 2*spread].
    int64_t bell(int64_t spread) {
        int64_t s = 0;
        for (int i = 0; i < 4; ++i) s += uniform(-spread, spread);
        return s / 2;
    }

private:
    uint64_t m_state;
};

// One head's Q, K, V ([seq x d_head] int8, row-major) with skewed attention: token t
// has a salience s_t (a few tokens high, most low: s_t = 100 / (1 + rank), ranks a
// seeded permutation); K_t carries s_t along a direction u shared with every Q row, so
// q_i . k_t grows with s_t and the attention probabilities favour salient tokens.
struct attention_inputs {
    uint64_t seq = 0, d_head = 0;
    std::vector<int8_t> q, k, v;
    std::vector<uint32_t> salience;
};
attention_inputs synthetic_attention(uint64_t seq, uint64_t d_head, uint64_t seed);

// Uniform int8 matrix in [-range, range].
std::vector<int8_t> synthetic_matrix(uint64_t rows, uint64_t cols, int range, uint64_t seed);

}  // namespace dtq
