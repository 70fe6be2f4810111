#include "softmax/softmax_unit.h"

#include <algorithm>

namespace dtq::softmax {

std::vector<int8_t> run(const unit_config& c, const int64_t* scores, uint64_t rows, uint64_t cols, double scale) {
    std::vector<int8_t> probs(rows * cols);
    if (c.mode == softmax_mode::softermax) {
        for (uint64_t r = 0; r < rows; ++r) {
            const softermax_out o = softermax_row(scores + r * cols, cols, scale, c.output_bit);
            for (uint64_t j = 0; j < cols; ++j) probs[r * cols + j] = static_cast<int8_t>(o.y[j]);  // capped at 127
        }
        return probs;
    }
    if (rows == 0) return probs;
    ibert::softmax_params p;
    p.output_bit = c.output_bit;
    const int64_t top = (int64_t{1} << std::min(c.output_bit, 7)) - 1;  // largest signed 8-bit operand
    // i_softmax(row, scale, p).y of each row: its constants once, no allocation per row
    // (tests/ibert/test_normact_fast.cpp compares the two)
    const ibert::softmax_plan plan = ibert::plan_softmax(scale, p);
    std::vector<int64_t> y(cols);
    for (uint64_t r = 0; r < rows; ++r) {
        ibert::i_softmax_row(scores + r * cols, cols, plan, y.data());
        for (uint64_t j = 0; j < cols; ++j) probs[r * cols + j] = static_cast<int8_t>(std::clamp<int64_t>(y[j], 0, top));
    }
    return probs;
}

const char* mode_name(softmax_mode m) { return m == softmax_mode::softermax ? "softermax" : "ibert"; }

bool parse_mode(const std::string& name, softmax_mode& out) {
    if (name == "ibert") out = softmax_mode::ibert;
    else if (name == "softermax") out = softmax_mode::softermax;
    else return false;
    return true;
}

}  // namespace dtq::softmax
