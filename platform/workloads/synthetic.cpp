#include "platform/workloads/synthetic.h"

#include <algorithm>
#include <numeric>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__)
#include <immintrin.h>
#endif

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
// b[t] = weight_bell(splitmix64_at(seed, d0 + t)) for t < m.
void bells(int32_t* b, uint64_t m, uint64_t seed, uint64_t d0) {
    uint64_t t = 0;
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__)
    // 8 draws a vector: splitmix64's state advances by 8 gamma (no per-draw multiply for the
    // counter); the four lanes of each draw are 16-bit elements, so one vpmulhuw maps 32 of
    // them to [0, 110] and vpmaddwd + a 32-bit shift-add sum each draw's four.
    constexpr uint64_t G = 0x9e3779b97f4a7c15ull;
    __m512i z = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(seed + (d0 + 1) * G)),
                                 _mm512_mullo_epi64(_mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7), _mm512_set1_epi64(static_cast<long long>(G))));
    const __m512i step = _mm512_set1_epi64(static_cast<long long>(8 * G));
    const __m512i c1 = _mm512_set1_epi64(static_cast<long long>(0xbf58476d1ce4e5b9ull));
    const __m512i c2 = _mm512_set1_epi64(static_cast<long long>(0x94d049bb133111ebull));
    const __m512i k111 = _mm512_set1_epi16(111), ones = _mm512_set1_epi16(1);
    const __m256i k220 = _mm256_set1_epi32(220);
    // (maskz forms: GCC 12's unmasked ones start from _mm512_undefined_epi32 and warn
    // -Wmaybe-uninitialized)
    const auto srl = [](__m512i v, unsigned n) { return _mm512_maskz_srli_epi64(0xFF, v, n); };
    for (; t + 8 <= m; t += 8) {
        __m512i x = z;
        z = _mm512_add_epi64(z, step);
        x = _mm512_mullo_epi64(_mm512_xor_si512(x, srl(x, 30)), c1);
        x = _mm512_mullo_epi64(_mm512_xor_si512(x, srl(x, 27)), c2);
        x = _mm512_xor_si512(x, srl(x, 31));
        const __m512i c = _mm512_mulhi_epu16(x, k111);      // 32 lanes: lane x 111 >> 16
        const __m512i p = _mm512_madd_epi16(c, ones);       // pairs, as int32
        const __m512i s = _mm512_add_epi32(p, srl(p, 32));  // low half: the draw's sum
        const __m256i d = _mm256_sub_epi32(_mm512_maskz_cvtepi64_epi32(0xFF, s), k220);
        // halved toward zero: (d + (d < 0)) >> 1
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(b + t), _mm256_srai_epi32(_mm256_add_epi32(d, _mm256_srli_epi32(d, 31)), 1));
    }
#endif
    for (; t < m; ++t) b[t] = weight_bell(splitmix64_at(seed, d0 + t));
}
}  // namespace

void synthetic_weight_range(int8_t* dst, uint64_t first, uint64_t len, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v) {
    // Per row segment, blocks of B weights: the bells of B consecutive draws (bells: AVX-512
    // intrinsics, else a loop without loop-carried state that the compiler vectorises), then
    // the rank-1 term and the clamp.
    constexpr uint64_t B = 512;
    alignas(64) int32_t b[B];
    for (uint64_t e = first, end = first + len; e < end;) {
        const uint64_t j = e / k, i0 = e % k, m = std::min({B, k - i0, end - e});
        int8_t* out = dst + (e - first);
        bells(b, m, seed, e);
        if (u) {
            const int32_t vj = v[j];
            const int8_t* ui = u + i0;
            for (uint64_t t = 0; t < m; ++t) out[t] = static_cast<int8_t>(std::clamp<int32_t>(b[t] + ui[t] * vj, -127, 127));
        } else {  // |bell| <= 110: no clamp
            for (uint64_t t = 0; t < m; ++t) out[t] = static_cast<int8_t>(b[t]);
        }
        e += m;
    }
}

void synthetic_weight_into(int8_t* dst, uint64_t n, uint64_t k, uint64_t seed, const int8_t* u, const int8_t* v) {
    synthetic_weight_range(dst, 0, n * k, k, seed, u, v);
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
