// One attention layer through the firmware and the ATTENTION command, checked against a
// straightforward integer implementation written here: the test writes its own Q/K/V
// (its own generator, its own 4-bit packing) and precision list over the loader's, runs
// the platform, and recomputes scores, i-softmax probabilities, P x V, the importance
// sums and the two top-k selections (std::partial_sort with ties to the lower id).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "apps.h"
#include "common/stats.h"
#include "ibert/kernels.h"
#include "platform/sequencer/attention_layer.h"
#include "platform/config/config.h"
#include "platform/platform.h"

using namespace dtq;

namespace {

scenario_config small_layer(bool reorder, const char* mode = "functional") {
    const std::string yaml = std::string(R"(
name: attention_layer_test
seed: 7
mode: )") + mode + R"(
vssa: {rows: 4, cols: 6, arrays: 2, reorder: )" + (reorder ? "true" : "false") + R"(}
linebuf: {size: 16KiB}
accumulator: {size: 64KiB}
workload:
  kind: firmware
  firmware_app: attention
  attention: {model: bert-base, seq: 40, heads: 2}
)";
    return config_schema::get().load_string(yaml, "test.yaml");
}

// Independent little generator (not the platform's splitmix64).
struct lcg {
    uint64_t s;
    int next(int lo, int hi) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return lo + static_cast<int>((s >> 33) % static_cast<uint64_t>(hi - lo + 1));
    }
};

// round half to even of x / 16, clamped to the 4-bit range
int code4(int x) {
    const double r = std::nearbyint(static_cast<double>(x) / 16.0);  // default rounding mode: ties to even
    return std::clamp(static_cast<int>(r), -8, 7);
}

struct layer_data {
    uint64_t seq = 0, heads = 0, dh = 0;
    std::vector<uint8_t> bits;
    std::vector<int> q, k, v;  // heads x seq x dh, original int8 values
};

// Writes the test's own inputs over the loader's; returns them.
layer_data write_inputs(platform& p, const dtq_attention_args& a, uint64_t seed) {
    layer_data d;
    d.seq = a.seq;
    d.heads = a.heads;
    d.dh = a.head_dim;
    lcg g{seed};
    d.bits.resize(d.seq);
    for (auto& b : d.bits) {
        const int r = g.next(0, 99);
        b = r < 25 ? 0 : r < 65 ? 4 : 8;
    }
    p.write_dram(a.prec_list, d.bits.data(), d.seq);
    for (auto [vec, base] : {std::pair{&d.q, a.q}, {&d.k, a.k}, {&d.v, a.v}}) {
        vec->resize(d.heads * d.seq * d.dh);
        // Salient keys: a few tokens get large values so the probabilities are skewed.
        for (uint64_t h = 0; h < d.heads; ++h)
            for (uint64_t t = 0; t < d.seq; ++t) {
                const int amp = t % 7 == 0 ? 127 : 40;
                std::vector<uint8_t> slot(d.dh, 0);
                for (uint64_t c = 0; c < d.dh; ++c) {
                    int x = g.next(-amp, amp);
                    if (c == 0) x = t % 5 == 0 ? -128 : x;  // extremes too
                    (*vec)[(h * d.seq + t) * d.dh + c] = x;
                }
                const int* row = &(*vec)[(h * d.seq + t) * d.dh];
                if (d.bits[t] == 8)
                    for (uint64_t c = 0; c < d.dh; ++c) slot[c] = static_cast<uint8_t>(static_cast<int8_t>(row[c]));
                else  // packed: element 2i in the low nibble
                    for (uint64_t c = 0; c < d.dh; c += 2)
                        slot[c / 2] = static_cast<uint8_t>((code4(row[c]) & 0xF) | ((code4(row[c + 1]) & 0xF) << 4));
                if (d.bits[t]) p.write_dram(base + (h * d.seq + t) * d.dh, slot.data(), d.bits[t] == 8 ? d.dh : d.dh / 2);
            }
    }
    return d;
}

struct reference_out {
    std::vector<int64_t> out;        // heads x seq x dh
    std::vector<uint8_t> next_bits;  // seq
};

reference_out reference(const layer_data& d, uint64_t k0, uint64_t k1) {
    reference_out r;
    r.out.assign(d.heads * d.seq * d.dh, 0);
    std::vector<uint32_t> kept;
    for (uint32_t t = 0; t < d.seq; ++t)
        if (d.bits[t]) kept.push_back(t);
    const auto val = [&](const std::vector<int>& m, uint64_t h, uint64_t t, uint64_t c) -> int64_t {
        const int x = m[(h * d.seq + t) * d.dh + c];
        return d.bits[t] == 4 ? code4(x) * 16 : x;  // the 8-bit domain
    };
    std::vector<uint64_t> importance(d.seq, 0);
    const double scale = std::ldexp(1.0, -10) / std::sqrt(static_cast<double>(d.dh));
    for (uint64_t h = 0; h < d.heads; ++h)
        for (uint32_t i : kept) {
            std::vector<int64_t> s;
            for (uint32_t j : kept) {
                int64_t acc = 0;
                for (uint64_t c = 0; c < d.dh; ++c) acc += val(d.q, h, i, c) * val(d.k, h, j, c);
                s.push_back(acc);
            }
            const auto sm = ibert::i_softmax(s, scale, [] {
                ibert::softmax_params p;
                p.output_bit = 7;
                return p;
            }());
            std::vector<int64_t> prob(kept.size());
            for (size_t x = 0; x < kept.size(); ++x) {
                prob[x] = std::min<int64_t>(sm.y[x], 127);
                importance[kept[x]] += static_cast<uint64_t>(prob[x]);
            }
            for (uint64_t c = 0; c < d.dh; ++c) {
                int64_t acc = 0;
                for (size_t x = 0; x < kept.size(); ++x) acc += prob[x] * val(d.v, h, kept[x], c);
                r.out[(h * d.seq + i) * d.dh + c] = acc;
            }
        }
    std::vector<uint32_t> order = kept;
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(k0), order.end(), [&](uint32_t a, uint32_t b) {
        return importance[a] != importance[b] ? importance[a] > importance[b] : a < b;
    });
    r.next_bits.assign(d.seq, 0);
    for (uint64_t x = 0; x < k0; ++x) r.next_bits[order[x]] = x < k1 ? 8 : 4;
    return r;
}

void run_and_check(bool reorder) {
    platform p(small_layer(reorder));
    dtq_attention_args a{};
    p.read_dram(DTQ_APP_DATA_ADDR, &a, sizeof a);  // what the loader wrote
    REQUIRE(a.magic == DTQ_ATTENTION_ARGS_MAGIC);
    REQUIRE(a.seq == 40);
    REQUIRE(a.heads == 2);
    REQUIRE(a.head_dim == 64);
    const layer_data d = write_inputs(p, a, 2024);
    const uint64_t kept = static_cast<uint64_t>(std::count_if(d.bits.begin(), d.bits.end(), [](uint8_t b) { return b != 0; }));
    REQUIRE(kept > 8);
    a.k0 = static_cast<uint32_t>(kept - 3);  // the next layer keeps all but 3, a third of them 8-bit
    a.k1 = static_cast<uint32_t>(kept / 3);
    p.write_dram(DTQ_APP_DATA_ADDR, &a, sizeof a);
    run_options opt;
    opt.quiet = true;
    REQUIRE(p.run(opt) == EXIT_OK);

    const reference_out ref = reference(d, a.k0, a.k1);
    std::vector<int32_t> out(d.heads * d.seq * d.dh);
    p.read_dram(a.out, out.data(), out.size() * 4);
    size_t diffs = 0, first = out.size();
    for (size_t x = 0; x < out.size(); ++x)
        if (out[x] != ref.out[x] && !diffs++) first = x;
    INFO("first difference at element " << first << " of " << out.size());
    CHECK(diffs == 0);
    std::vector<uint8_t> next(d.seq);
    p.read_dram(a.prec_list, next.data(), d.seq);
    CHECK(next == ref.next_bits);

    const attention_layer_report& r = p.attention().last();
    // Module 2 by hand (docs/attention.md#schedule-and-timing): per head the importance
    // accumulator takes kept x ceil(kept / 16) cycles; then both top-k engines (radix select,
    // docs/timing-model.md#top-k-engine: 4 digits x (stream + 16 bins) + the emit stream,
    // stream = ceil(n / 16) + 4) and the precision list write, at least one DRAM beat.
    const auto sel = [](uint64_t n) { return 4 * ((n + 15) / 16 + 4 + 16) + (n + 15) / 16 + 4; };
    const uint64_t imp = d.heads * kept * ((kept + 15) / 16);
    CHECK(r.module2 > imp + sel(kept) + sel(a.k0));
    // Exposed is what module 2 adds after module 1's end (its last P x V and result drain).
    CHECK(r.module1_end <= r.end);
    CHECK(r.exposed == r.end - r.module1_end);
    CHECK(r.hidden == r.module2 - r.exposed);
    CHECK(r.end > r.start);
    CHECK(r.pruned + r.bits4 + r.bits8 == d.seq);
    CHECK(r.next_bits4 + r.next_bits8 == a.k0);
    CHECK(r.next_bits8 == a.k1);
}

}  // namespace

TEST_CASE("attention layer: output and next precisions equal a straightforward reference, reorder on", "[attention]") {
    run_and_check(true);
}

TEST_CASE("attention layer: output and next precisions equal a straightforward reference, reorder off", "[attention]") {
    run_and_check(false);
}

TEST_CASE("attention layer: 4-bit packing round trip", "[attention]") {
    const int8_t v[6] = {-128, 127, 8, -8, 24, -24};
    uint8_t slot[6] = {};
    CHECK(pack_token(v, 6, 4, slot) == 3);
    // codes: -8, 7, 0 (0.5 -> 0), 0 (-0.5 -> 0), 2 (1.5 -> 2), -2
    CHECK(slot[0] == static_cast<uint8_t>((-8 & 0xF) | (7 << 4)));
    CHECK(slot[1] == 0);
    CHECK(slot[2] == static_cast<uint8_t>(2 | ((-2 & 0xF) << 4)));
    int8_t back[6] = {};
    unpack_token(slot, 6, 4, back);
    const int8_t want[6] = {-8, 7, 0, 0, 2, -2};
    CHECK(std::equal(back, back + 6, want));
    CHECK(pack_token(v, 6, 8, slot) == 6);
    unpack_token(slot, 6, 8, back);
    CHECK(std::equal(back, back + 6, v));
}

TEST_CASE("attention layer: a line buffer too small for two heads fails the command with CAPACITY", "[attention]") {
    scenario_config c = small_layer(true);
    c.linebuf.size = 4096;  // two heads of 40 x 64 need 5120 bytes
    platform p(c);
    run_options opt;
    opt.quiet = true;
    CHECK(p.run(opt) == EXIT_CHECK_FAILED);  // the firmware sees the error and returns non-zero
    CHECK(p.attention().last_error().find("QBUF holds 4096 bytes") != std::string::npos);
    CHECK(p.attention().unit_failure().empty());
}
