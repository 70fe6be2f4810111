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

// splitmix64 is counter based: its d-th output (0-based) from `seed` is a pure function of
// seed + (d + 1) x gamma, so a block of draws can be computed in any order, e.g. 8 at a time
// in vector lanes, with exactly the values of next() (docs/performance.md#synthetic-weights).
inline uint64_t splitmix64_at(uint64_t seed, uint64_t d) {
    uint64_t z = seed + (d + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// x mod d for 1 <= d < 2^16, exactly, with operations a vector unit has (a 64-bit division
// has no vector form; its multiply-high by a reciprocal has none before AVX-512 IFMA):
// y = (x >> 32) (2^32 mod d) + (x mod 2^32) is congruent to x and below d 2^32 <= 2^48; its
// quotient by d from binary64 (y and 1/d exact to 2^-53 relative: |error| < 2^48 2^-52 =
// 1/16) is off by at most one, which the two corrections undo.
struct small_mod {
    explicit small_mod(uint64_t divisor)
        : c32(static_cast<uint32_t>((uint64_t{1} << 32) % divisor)), d(static_cast<double>(divisor)),
          inv(1.0 / static_cast<double>(divisor)) {}
    int64_t operator()(uint64_t x) const {
        // 32 x 32 -> 64-bit products (one vpmuludq per vector)
        const uint64_t y = uint64_t{static_cast<uint32_t>(x >> 32)} * uint64_t{c32} + (x & 0xffffffffu);
        const auto yd = static_cast<double>(static_cast<int64_t>(y));  // exact: y < 2^48
        // q d < 2^49 and y - q d are exact in binary64, r in (-d, 2d)
        double r = yd - static_cast<double>(static_cast<int64_t>(yd * inv)) * d;
        r += r < 0 ? d : 0.0;
        r -= r >= d ? d : 0.0;
        return static_cast<int64_t>(r);
    }
    uint32_t c32;
    double d, inv;
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

// The synthetic model's weights, N x K row-major (the B operand, docs/encoder.md#synthetic-model):
// w[j][i] = clamp(bell(55) + u[i] v[j], -127, 127) with splitmix64(seed) drawn in row-major
// order (u, v null: no rank-1 term). synthetic_weight computes the draws by index, in vector
// lanes; synthetic_weight_reference draws them one after the other with splitmix64::bell.
// Both give the same matrix (tests/platform/test_synthetic.cpp). synthetic_weight is the
// block form where the compiler has AVX-512 DQ (vpmullq, vcvtqq2pd), else the sequential one.
std::vector<int8_t> synthetic_weight(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v);
std::vector<int8_t> synthetic_weight_blocks(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v);
std::vector<int8_t> synthetic_weight_reference(uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v);

// Uniform int8 matrix in [-range, range].
std::vector<int8_t> synthetic_matrix(uint64_t rows, uint64_t cols, int range, uint64_t seed);

}  // namespace dtq
