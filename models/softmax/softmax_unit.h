// The softmax unit of the attention pipeline (DTQAtten Sec. IV-A; the survey's I-BERT
// normalization unit): row-wise softmax of int32 attention scores into 8-bit
// probabilities, in one of two modes:
//  * ibert (default): I-BERT i-softmax, bit-exact with ../shared/refs/ibert_ref.py
//    (models/ibert/kernels.h), 3 passes per row (max, exp + sum, normalize);
//  * softermax: base-2 exponentials with online normalization (softermax.h), bit-exact
//    with tools/softermax_ref.py, 2 passes per row (max + exp + sum, normalize).
// Both are timed by the vector-unit formula of models/ibert/timing.h with their pass count.
// The probabilities go, in the same cycle, to P x V (module 1) and to the importance
// accumulator (module 2). docs/ibert.md, docs/softermax.md, docs/timing-model.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ibert/kernels.h"
#include "ibert/timing.h"
#include "softmax/softermax.h"

namespace dtq::softmax {

enum class softmax_mode { ibert, softermax };

constexpr uint32_t SOFTERMAX_PASSES = 2;  // running max + exp + running sum, normalize

struct unit_config {
    ibert::vector_unit_config vec;  // lanes, pipeline latency
    // Output bits: y = prob * 2^output_bit. 7 keeps a probability in a signed 8-bit PE
    // operand. In ibert mode y never exceeds 127: the row maximum's exp16 is always
    // 2^15 - 1, so y_j = floor(e_j floor(2^32 / T) / 2^25) < 128 e_j / T <= 128
    // (docs/attention.md, step 4; tests/ibert "ibert edges"). The cap at 127 in run() is a
    // guard, equivalent for these settings; Softermax caps its own output. Both modes.
    int output_bit = 7;
    softmax_mode mode = softmax_mode::ibert;
};

// Softermax of `rows` rows of n elements: rows * (2 * ceil(n / L) + pipeline_latency).
constexpr uint64_t softermax_cycles(uint64_t n, uint64_t rows = 1, const ibert::vector_unit_config& c = {}) {
    return n == 0 || rows == 0 ? 0 : rows * (SOFTERMAX_PASSES * ibert::vectors_per_row(n, c) + c.pipeline_latency);
}
static_assert(softermax_cycles(128) == 2 * 8 + 8);
static_assert(softermax_cycles(512, 512) == 512 * (2 * 32 + 8));

// Cycles for `rows` rows of `cols` scores in the configured mode.
inline uint64_t cycles(const unit_config& c, uint64_t rows, uint64_t cols) {
    return c.mode == softmax_mode::softermax ? softermax_cycles(cols, rows, c.vec) : ibert::softmax_cycles(cols, rows, c.vec);
}

// probs[r * cols + j] for a row-major rows x cols matrix of scores (real = score * scale):
// ibert: min(127, i_softmax(row, scale).y[j]) (throws what i_softmax throws);
// softermax: softermax_row(row, scale, output_bit).y[j], already capped (throws
// std::invalid_argument for a bad scale or output_bit, or rows longer than 65536).
std::vector<int8_t> run(const unit_config& c, const int64_t* scores, uint64_t rows, uint64_t cols, double scale);
// The same into probs (rows x cols), rows on up to `threads` host threads (common/host_pool.h:
// the same bytes and the same exception whatever the count). causal_offset >= 0: row r sees
// only its first min(cols, causal_offset + r + 1) scores, as a row of that length, and its other
// probabilities are 0. Nothing is allocated per row.
void run_into(const unit_config& c, const int64_t* scores, uint64_t rows, uint64_t cols, double scale,
              int64_t causal_offset, int8_t* probs, unsigned threads = 1);

// The mode's name ("ibert", "softermax") and its inverse (false for an unknown name), for
// the scenario key the platform reads.
const char* mode_name(softmax_mode m);
bool parse_mode(const std::string& name, softmax_mode& out);

}  // namespace dtq::softmax
