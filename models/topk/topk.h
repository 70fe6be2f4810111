// Importance accumulator and the two cascaded top-k engines of DTQAtten (paper Sec.
// III-B and IV-A, "module 2"). Engine 0 keeps the k0 most important tokens (the rest
// are pruned, 0-bit); engine 1 picks the k1 most important of those for 8-bit; the
// others are 4-bit. Ties go to the lower token id, so selections are deterministic.
//
// Hardware: a radix select over 32-bit scores, `radix_bits` per pass, P comparator
// lanes. It streams all candidates once per digit (building a histogram of that digit
// among the survivors, then a scan of the 2^radix_bits bins) and once more to emit,
// in token-id order, everything above the threshold and the first ties at it. The
// number of passes does not depend on the data, so timing mode and functional mode
// take the same cycles (docs/timing-model.md#top-k-engine).
#pragma once
#include <cstdint>
#include <vector>

namespace dtq::topk {

struct engine_config {
    uint64_t lanes = 16;        // scores compared per cycle (P)
    uint64_t radix_bits = 8;    // digit width of the radix select
    uint64_t score_bits = 32;   // importance score width
    uint64_t latency = 4;       // pipeline fill of one pass
};

// Cycles of one top-k engine selecting k of n candidates (k <= n).
uint64_t select_cycles(const engine_config& c, uint64_t n, uint64_t k);

// Per token (column) sums of attention probabilities, accumulated over rows and heads.
class importance_accumulator {
public:
    explicit importance_accumulator(uint64_t tokens = 0) : m_scores(tokens, 0) {}
    void reset(uint64_t tokens) { m_scores.assign(tokens, 0); }
    // probs: rows x cols (row-major) of one head; col_token[j] is the token id of column j.
    void accumulate(const uint8_t* probs, uint64_t rows, uint64_t cols, const std::vector<uint32_t>& col_token);
    void accumulate(const uint16_t* probs, uint64_t rows, uint64_t cols, const std::vector<uint32_t>& col_token);
    const std::vector<uint32_t>& scores() const { return m_scores; }
    // Cycles to take `rows` x `cols` probabilities at `lanes` per cycle.
    static uint64_t cycles(uint64_t rows, uint64_t cols, uint64_t lanes);

private:
    std::vector<uint32_t> m_scores;
};

// Ids (ascending) of the k highest scores among `candidates`; ties to the lower id.
std::vector<uint32_t> select(const std::vector<uint32_t>& scores, const std::vector<uint32_t>& candidates, uint64_t k);

struct precision_split {
    std::vector<uint32_t> bits8, bits4, pruned;  // token ids, ascending
    uint64_t cycles = 0;                         // both engines, in sequence
};

// Two cascaded engines: k0 of the candidates survive, k1 of those are 8-bit.
precision_split split(const engine_config& c, const std::vector<uint32_t>& scores,
                      const std::vector<uint32_t>& candidates, uint64_t k0, uint64_t k1);

// Counts from ratios, as the paper's framework does: k = the nearest integer to ratio * n,
// an exact half to the even one (a decimal ratio's binary error does not break the tie),
// clamped to [0, n]. docs/attention.md#token-counts-from-ratios.
uint64_t count_from_ratio(double ratio, uint64_t n);

}  // namespace dtq::topk
