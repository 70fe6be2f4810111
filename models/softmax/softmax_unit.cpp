#include "softmax/softmax_unit.h"

#include <algorithm>

#include "common/host_pool.h"

namespace dtq::softmax {

std::vector<int8_t> run(const unit_config& c, const int64_t* scores, uint64_t rows, uint64_t cols, double scale) {
    std::vector<int8_t> probs(rows * cols);
    run_into(c, scores, rows, cols, scale, -1, probs.data());
    return probs;
}

void run_into(const unit_config& c, const int64_t* scores, uint64_t rows, uint64_t cols, double scale,
              int64_t causal_offset, int8_t* probs, unsigned threads) {
    if (rows == 0) return;
    // the scores row r sees (the rest of its probabilities are 0)
    const auto seen = [&](uint64_t r) {
        return causal_offset < 0 ? cols : std::min<uint64_t>(cols, static_cast<uint64_t>(causal_offset) + r + 1);
    };
    // rows on up to `threads` threads when they hold enough work (common/host_pool.h)
    if (c.mode == softmax_mode::softermax) {
        parallel_rows(threads, rows, cols * PS_SOFTERMAX, PART_MIN_PS, [&](uint64_t r) {
            const uint64_t n = seen(r);
            const softermax_out o = softermax_row(scores + r * cols, n, scale, c.output_bit);
            int8_t* out = probs + r * cols;
            for (uint64_t j = 0; j < n; ++j) out[j] = static_cast<int8_t>(o.y[j]);  // capped at 127
            std::fill(out + n, out + cols, int8_t{0});
        });
        return;
    }
    ibert::softmax_params p;
    p.output_bit = c.output_bit;
    const int64_t top = (int64_t{1} << std::min(c.output_bit, 7)) - 1;  // largest signed 8-bit operand
    // i_softmax(row, scale, p).y of each row: its constants once, no allocation per row
    // (tests/ibert/test_normact_fast.cpp compares the two)
    const ibert::softmax_plan plan = ibert::plan_softmax(scale, p);
    const unsigned parts = parts_for(threads, rows, cols * PS_ISOFTMAX, PART_MIN_PS);
    run_parts(parts, [&](unsigned part) {
        std::vector<int64_t> y(cols);  // one buffer per part
        for (uint64_t r = rows * part / parts, r1 = rows * (part + 1) / parts; r < r1; ++r) {
            const uint64_t n = seen(r);
            ibert::i_softmax_row(scores + r * cols, n, plan, y.data());
            int8_t* out = probs + r * cols;
            for (uint64_t j = 0; j < n; ++j) out[j] = static_cast<int8_t>(std::clamp<int64_t>(y[j], 0, top));
            std::fill(out + n, out + cols, int8_t{0});
        }
    });
}

const char* mode_name(softmax_mode m) { return m == softmax_mode::softermax ? "softermax" : "ibert"; }

bool parse_mode(const std::string& name, softmax_mode& out) {
    if (name == "ibert") out = softmax_mode::ibert;
    else if (name == "softermax") out = softmax_mode::softermax;
    else return false;
    return true;
}

}  // namespace dtq::softmax
