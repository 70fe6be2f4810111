// The softmax unit of the attention pipeline (DTQAtten Sec. IV-A; the survey's I-BERT
// normalization unit): row-wise I-BERT i-softmax of int32 attention scores into 8-bit
// probabilities, bit-exact with ../shared/refs/ibert_ref.py (models/ibert/kernels.h),
// timed by the vector-unit formula of models/ibert/timing.h (3 passes per row: max,
// exp + sum, normalize). The probabilities go, in the same cycle, to P x V (module 1)
// and to the importance accumulator (module 2). docs/ibert.md, docs/timing-model.md.
#pragma once
#include <cstdint>
#include <vector>

#include "ibert/kernels.h"
#include "ibert/timing.h"

namespace dtq::softmax {

struct unit_config {
    ibert::vector_unit_config vec;  // lanes, pipeline latency
    // Output bits of i-softmax: y = prob * 2^output_bit. 7 keeps a probability in a signed
    // 8-bit PE operand; y = 128 (a row whose probability mass is all on one token) saturates
    // to 127 (docs/ibert.md#softmax-unit).
    int output_bit = 7;
};

// Cycles for `rows` rows of `cols` scores.
inline uint64_t cycles(const unit_config& c, uint64_t rows, uint64_t cols) {
    return ibert::softmax_cycles(cols, rows, c.vec);
}

// probs[r * cols + j] = min(127, i_softmax(scores row r, scale).y[j]) for a row-major
// rows x cols matrix. Throws what i_softmax throws (bad scale, overflow).
std::vector<int8_t> run(const unit_config& c, const int64_t* scores, uint64_t rows, uint64_t cols, double scale);

}  // namespace dtq::softmax
