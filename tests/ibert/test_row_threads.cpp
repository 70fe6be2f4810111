// A vector command's rows on 1, 2 or 3 host threads (common/host_pool.h; norm/act unit
// normact::compute, softmax unit softmax::run_into): the same bytes and the same exception
// whatever the count. Expected values: the plain row functions row after row (normact), and
// I-BERT's 128-bit i_softmax / softermax_row per row, written out here (softmax).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/host_pool.h"
#include "ibert/kernels.h"
#include "ibert/normact.h"
#include "normact/normact_block.h"
#include "softmax/softmax_block.h"
#include "softmax/softmax_unit.h"
#include "xs64.h"  // the tests' own generator

using namespace dtq;

namespace {
template <class F>
std::string outcome(F f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

// One job of each kind (big enough for 3 parts of the costliest kinds; the test forces parts below).
struct job_data {
    uint64_t rows = 0, cols = 0;
    std::vector<int32_t> in32, bias, channel;
    std::vector<int8_t> in8, res;
    std::vector<uint8_t> bits;
};
}  // namespace

TEST_CASE("row threads: normact::compute gives the same rows on 1, 2 and 3 threads, as the row functions", "[ibert][threads]") {
    xs64 r{2026};
    namespace na = ibert::normact;
    for (int t = 0; t < 24; ++t) {
        job_data d;
        d.rows = static_cast<uint64_t>(r.in(2, 97));
        d.cols = static_cast<uint64_t>(r.in(1, 600)) * 2 + (t % 5 == 0 ? 1 : 0);
        const uint64_t least = 3 * PART_MIN_PS / PS_REQUANT;  // 3 parts of the cheapest kind
        if (d.rows * d.cols < least) d.cols = (least + d.rows - 1) / d.rows | 1;
        REQUIRE(parts_for(3, d.rows, d.cols * PS_REQUANT, PART_MIN_PS) == 3);
        const uint64_t n = d.rows * d.cols;
        // (I-BERT's std is sqrt of the sum of squares: beyond 2^31 the factor is 0 and y_norm 0)
        const int mag = static_cast<int>(t % 4 == 3 ? r.in(4, 16) : r.in(4, 30));
        d.in32.resize(n);
        for (auto& v : d.in32) v = static_cast<int32_t>(r.in(-(int64_t{1} << mag), int64_t{1} << mag));
        d.in8.resize(n);
        for (auto& v : d.in8) v = static_cast<int8_t>(r.in(-128, 127));
        d.res.resize(n);
        for (auto& v : d.res) v = static_cast<int8_t>(r.in(-128, 127));
        d.bias.resize(d.cols);
        for (auto& v : d.bias) v = static_cast<int32_t>(r.in(-(1 << 20), 1 << 20));
        d.bits.resize(d.rows);
        for (auto& b : d.bits) b = d.cols % 2 ? 8 : static_cast<uint8_t>(std::vector<int>{0, 4, 8}[r.next() % 3]);
        d.channel.resize(2 * d.cols);
        for (uint64_t c = 0; c < d.cols; ++c) {
            const ibert::dyadic_t me = ibert::dyadic(static_cast<double>(r.in(1, 1000)) / 1e6);
            d.channel[2 * c] = static_cast<int32_t>(me.m);
            d.channel[2 * c + 1] = me.e;
        }
        const ibert::dyadic_t m0 = ibert::dyadic(std::ldexp(1.0, -static_cast<int>(r.in(2, 20)))), m1 = ibert::dyadic(0.37);
        // every 4th LAYERNORM job has a bias that overflows int32 on some rows: an exception
        if (t % 4 == 3) std::fill(d.bias.begin(), d.bias.end(), std::numeric_limits<int32_t>::max());
        const ibert::gelu_consts_t g = ibert::gelu_consts_int8(0.02);

        for (int kind = 0; kind < 6; ++kind) {
            normact::row_job j;
            j.rows = d.rows;
            j.cols = d.cols;
            uint64_t out_b = 4;
            switch (kind) {
                case 0: j.kind = normact::op::layernorm; j.in = d.in32.data(); j.aux = d.bias.data(); j.param[0] = static_cast<int32_t>(r.in(0, 3)); break;
                case 1: j.kind = normact::op::gelu; j.in = d.in8.data();
                        j.param[0] = static_cast<int32_t>(g.b_int); j.param[1] = static_cast<int32_t>(g.c_int);
                        j.param[2] = static_cast<int32_t>(g.shift_int); j.param[3] = g.n; break;
                case 2: j.kind = normact::op::requant; j.in = d.in32.data(); j.aux = d.bits.data();
                        j.param[0] = static_cast<int32_t>(m0.m); j.param[1] = m0.e; j.relu = r.next() & 1; out_b = 1; break;
                case 3: j.kind = normact::op::requant; j.in = d.in32.data(); j.channel = d.channel.data(); out_b = 1; break;
                case 4: j.kind = normact::op::resadd; j.in = d.in32.data(); j.aux = d.res.data();
                        j.param[0] = static_cast<int32_t>(m0.m); j.param[1] = m0.e; j.param[2] = static_cast<int32_t>(m1.m); j.param[3] = m1.e; break;
                default: j.kind = normact::op::layernorm; j.in = d.in32.data(); j.aux = nullptr; break;
            }
            // expected: the row functions, row after row (stopping at the first exception)
            std::vector<uint8_t> want(n * out_b, 0x5A);
            const std::string want_err = outcome([&] {
                for (uint64_t row = 0; row < d.rows; ++row) {
                    const uint64_t o = row * d.cols;
                    auto* w32 = reinterpret_cast<int32_t*>(want.data()) + o;
                    switch (kind) {
                        case 0: na::layernorm_row(d.in32.data() + o, d.cols, j.param[0], d.bias.data(), w32); break;
                        case 1: na::gelu_row(d.in8.data() + o, d.cols, g, w32); break;
                        case 2: {
                            std::vector<int32_t> x(d.in32.begin() + static_cast<long>(o), d.in32.begin() + static_cast<long>(o + d.cols));
                            if (j.relu) for (auto& v : x) v = std::max(v, 0);
                            na::requant_row(x.data(), d.cols, m0.m, m0.e, d.bits[row], want.data() + o);
                            break;
                        }
                        case 3: na::requant_row_channels(d.in32.data() + o, d.cols, d.channel.data(), want.data() + o); break;
                        case 4: na::resadd_row(d.in32.data() + o, d.res.data() + o, d.cols, m0.m, m0.e, m1.m, m1.e, w32); break;
                        default: na::layernorm_row(d.in32.data() + o, d.cols, 0, nullptr, w32); break;
                    }
                }
            });
            if (kind == 0 && t % 4 == 3) REQUIRE(!want_err.empty());
            for (unsigned threads : {1u, 2u, 3u}) {
                std::vector<uint8_t> got(n * out_b, 0x5A);
                j.out = got.data();
                j.threads = threads;
                const std::string err = outcome([&] { normact::compute(j); });
                INFO("job " << t << " kind " << kind << " threads " << threads << " rows " << d.rows << " cols " << d.cols);
                REQUIRE(err == want_err);
                if (want_err.empty()) REQUIRE(got == want);
            }
        }
    }
}

TEST_CASE("row threads: softmax rows on 1, 2 and 3 threads equal i_softmax / softermax_row per row, causal or not", "[ibert][threads]") {
    xs64 r{77};
    for (int t = 0; t < 24; ++t) {
        const uint64_t rows = static_cast<uint64_t>(r.in(40, 200)), cols = static_cast<uint64_t>(r.in(300, 700));
        REQUIRE(parts_for(3, rows, cols * PS_ISOFTMAX, PART_MIN_PS) == 3);
        std::vector<int64_t> scores(rows * cols);
        const int mag = static_cast<int>(r.in(6, 20));
        for (auto& v : scores) v = r.in(-(int64_t{1} << mag), int64_t{1} << mag);
        const double scale = std::ldexp(1.0, -static_cast<int>(r.in(6, 14)));
        softmax::unit_config c;
        c.mode = t % 3 == 2 ? softmax::softmax_mode::softermax : softmax::softmax_mode::ibert;
        const int64_t causal = t % 2 ? r.in(0, 50) : -1;
        // expected, row by row from the kernels
        std::vector<int8_t> want(rows * cols, 0);
        for (uint64_t row = 0; row < rows; ++row) {
            const uint64_t seen = causal < 0 ? cols : std::min<uint64_t>(cols, static_cast<uint64_t>(causal) + row + 1);
            if (c.mode == softmax::softmax_mode::ibert) {
                ibert::softmax_params p;
                p.output_bit = c.output_bit;
                const std::vector<int64_t> x(scores.begin() + static_cast<long>(row * cols), scores.begin() + static_cast<long>(row * cols + seen));
                const ibert::softmax_out o = ibert::i_softmax(x, scale, p);
                for (uint64_t k = 0; k < seen; ++k) want[row * cols + k] = static_cast<int8_t>(std::min<int64_t>(127, o.y[k]));
            } else {
                const softmax::softermax_out o = softmax::softermax_row(scores.data() + row * cols, seen, scale, c.output_bit);
                for (uint64_t k = 0; k < seen; ++k) want[row * cols + k] = static_cast<int8_t>(o.y[k]);
            }
        }
        for (unsigned threads : {1u, 2u, 3u}) {
            std::vector<int8_t> got(rows * cols, 99);
            softmax::run_into(c, scores.data(), rows, cols, scale, causal, got.data(), threads);
            INFO("case " << t << " threads " << threads);
            REQUIRE(got == want);
            softmax::softmax_job j;
            j.rows = rows;
            j.cols = cols;
            j.scores = scores.data();
            j.scale = scale;
            j.causal_offset = causal;
            j.threads = threads;
            REQUIRE(softmax::probabilities(c, j) == want);
        }
    }
    // the same exception whatever the thread count: an empty row (cols 0), a bad scale
    softmax::unit_config c;
    std::vector<int64_t> s(100000, 1);
    for (unsigned threads : {1u, 2u, 3u}) {
        std::vector<int8_t> out(100000);
        CHECK(outcome([&] { softmax::run_into(c, s.data(), 50, 0, 0.01, -1, out.data(), threads); }) == "empty row");
        CHECK(outcome([&] { softmax::run_into(c, s.data(), 50, 2000, -1.0, -1, out.data(), threads); }) ==
              "scaling factor must be a finite positive number");
    }
}
