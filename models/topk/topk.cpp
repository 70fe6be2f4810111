#include "topk/topk.h"

#include <algorithm>
#include <cmath>

#include "common/clock.h"

namespace dtq::topk {

uint64_t select_cycles(const engine_config& c, uint64_t n, uint64_t k) {
    if (n == 0 || k == 0) return 0;
    const uint64_t digits = ceil_div(c.score_bits, c.radix_bits);
    const uint64_t stream = ceil_div(n, c.lanes) + c.latency;               // one pass over the candidates
    const uint64_t scan = ceil_div(uint64_t{1} << c.radix_bits, c.lanes);   // threshold search in the histogram
    return digits * (stream + scan) + stream;                               // + the emit pass
}

template <class T>
static void acc(std::vector<uint32_t>& s, const T* p, uint64_t rows, uint64_t cols, const std::vector<uint32_t>& tok) {
    for (uint64_t r = 0; r < rows; ++r)
        for (uint64_t c = 0; c < cols; ++c) s[tok[c]] += p[r * cols + c];
}

void importance_accumulator::accumulate(const uint8_t* probs, uint64_t rows, uint64_t cols,
                                        const std::vector<uint32_t>& col_token) {
    acc(m_scores, probs, rows, cols, col_token);
}

void importance_accumulator::accumulate(const uint16_t* probs, uint64_t rows, uint64_t cols,
                                        const std::vector<uint32_t>& col_token) {
    acc(m_scores, probs, rows, cols, col_token);
}

uint64_t importance_accumulator::cycles(uint64_t rows, uint64_t cols, uint64_t lanes) {
    return rows * ceil_div(cols, lanes);
}

std::vector<uint32_t> select(const std::vector<uint32_t>& scores, const std::vector<uint32_t>& candidates, uint64_t k) {
    std::vector<uint32_t> ids = candidates;
    k = std::min<uint64_t>(k, ids.size());
    const auto more_important = [&](uint32_t a, uint32_t b) {
        return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
    };
    std::nth_element(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), more_important);
    ids.resize(k);
    std::sort(ids.begin(), ids.end());
    return ids;
}

precision_split split(const engine_config& c, const std::vector<uint32_t>& scores,
                      const std::vector<uint32_t>& candidates, uint64_t k0, uint64_t k1) {
    precision_split s;
    k0 = std::min<uint64_t>(k0, candidates.size());
    k1 = std::min(k1, k0);
    const std::vector<uint32_t> kept = select(scores, candidates, k0);
    s.bits8 = select(scores, kept, k1);
    std::set_difference(kept.begin(), kept.end(), s.bits8.begin(), s.bits8.end(), std::back_inserter(s.bits4));
    std::vector<uint32_t> sorted = candidates;
    std::sort(sorted.begin(), sorted.end());
    std::set_difference(sorted.begin(), sorted.end(), kept.begin(), kept.end(), std::back_inserter(s.pruned));
    s.cycles = select_cycles(c, candidates.size(), k0) + select_cycles(c, k0, k1);
    return s;
}

uint64_t count_from_ratio(double ratio, uint64_t n) {
    // The nearest integer to ratio x n, an exact half to the even neighbour
    // (docs/attention.md#token-counts-from-ratios). A decimal ratio from a scenario is not
    // exact in binary (0.7 is 0.6999...), so its product can miss an exact half by a few
    // ulps (0.7 x 45 = 31.499999999999996): within 1e-9 x n of a half counts as the half.
    const double x = ratio * static_cast<double>(n);
    if (!(x > 0)) return 0;
    if (x >= static_cast<double>(n)) return n;  // also keeps the cast below defined for any ratio
    const double lo = std::floor(x);
    double k = std::nearbyint(x);
    if (std::fabs(x - (lo + 0.5)) <= 1e-9 * std::max(1.0, x)) k = std::fmod(lo, 2.0) == 0 ? lo : lo + 1;
    return std::min<uint64_t>(n, static_cast<uint64_t>(k));  // k <= n: x < n
}

}  // namespace dtq::topk
