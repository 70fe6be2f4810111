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
    // As n calls of next(): the state is a counter (one gamma a draw).
    void skip(uint64_t n) { m_state += n * 0x9e3779b97f4a7c15ull; }
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

// splitmix64 is counter based: its d-th output (0-based) from `seed` is a pure function of
// seed + (d + 1) x gamma, so a block of draws can be computed in any order, e.g. 8 at a time
// in vector lanes, with exactly the values of next() (docs/performance.md#synthetic-weights).
inline uint64_t splitmix64_at(uint64_t seed, uint64_t d) {
    uint64_t z = seed + (d + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

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

// The synthetic model's weights, N x K row-major (the B operand, docs/encoder.md#synthetic-model):
// w[j][i] = clamp(weight_bell(x_e) + u[i] v[j], -127, 127), x_e the e-th output of
// splitmix64(seed) (e = j K + i, row-major; u, v null: no rank-1 term). One draw per weight
// (docs/performance.md#one-draw-weights): weight_bell splits it into four 16-bit lanes, maps
// each to [0, 110] by a multiply-high (c = lane x 111 >> 16), and halves their sum minus 220
// toward zero: a bell in [-55, 55] x 2 / 2 = [-110, 110] / 2, mean ~0, std ~31.8.
// synthetic_weight computes the draws by index in blocks the compiler vectorises;
// tests/platform/test_synthetic.cpp checks it against a scalar form of this definition and
// its histogram against the pmf.
inline int32_t weight_bell(uint64_t x) {
    uint32_t s = 0;
    for (int l = 0; l < 4; ++l) s += (static_cast<uint32_t>((x >> (16 * l)) & 0xffffu) * 111u) >> 16;
    return (static_cast<int32_t>(s) - 220) / 2;
}
std::vector<int8_t> synthetic_weight(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v);
// The same into dst (n x k bytes), e.g. a reused buffer.
void synthetic_weight_into(int8_t* dst, uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v);
// Elements [first, first + len) of the same matrix (row-major, rows of k) into dst: the bytes
// synthetic_weight_into writes there, computed alone (a generated DRAM range reads them).
void synthetic_weight_range(int8_t* dst, uint64_t first, uint64_t len, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v);

// Uniform int8 matrix in [-range, range].
std::vector<int8_t> synthetic_matrix(uint64_t rows, uint64_t cols, int range, uint64_t seed);

}  // namespace dtq
