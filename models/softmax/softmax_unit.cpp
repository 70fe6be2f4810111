#include "softmax/softmax_unit.h"

#include <algorithm>

namespace dtq::softmax {

std::vector<int8_t> run(const unit_config& c, const int64_t* scores, uint64_t rows, uint64_t cols, double scale) {
    std::vector<int8_t> probs(rows * cols);
    ibert::softmax_params p;
    p.output_bit = c.output_bit;
    const int64_t top = (int64_t{1} << std::min(c.output_bit, 7)) - 1;  // largest signed 8-bit operand
    std::vector<int64_t> row(cols);
    for (uint64_t r = 0; r < rows; ++r) {
        std::copy(scores + r * cols, scores + (r + 1) * cols, row.begin());
        const ibert::softmax_out o = ibert::i_softmax(row, scale, p);
        for (uint64_t j = 0; j < cols; ++j) probs[r * cols + j] = static_cast<int8_t>(std::clamp<int64_t>(o.y[j], 0, top));
    }
    return probs;
}

}  // namespace dtq::softmax
