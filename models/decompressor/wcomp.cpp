#include "decompressor/wcomp.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace dtq::wcomp {

namespace {

void check_shape(uint64_t n, uint64_t k) {
    if (n == 0 || k == 0 || k % CHUNK)
        throw format_error("NM24 needs N >= 1 and K a multiple of 8, got N = " + std::to_string(n) + ", K = " + std::to_string(k), 0);
}

// The two kept positions of a group of 4: largest |w|, ties to the lower index; ascending.
// A weight is dropped when two others beat it (larger |w|, or equal |w| at a lower index).
// Each of the six pairs j < i has one winner, j iff |w_j| >= |w_i|: the six comparisons index
// a table of the kept pair, filled once from that definition (no branches: random weights
// defeat a branch predictor).
void kept_of(const int8_t* g, unsigned& a, unsigned& b) {
    static constexpr unsigned PAIRS[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
    static const auto table = [] {
        std::array<uint8_t, 64> t{};
        for (unsigned bits = 0; bits < 64; ++bits) {
            unsigned beaten[4] = {0, 0, 0, 0};
            for (unsigned p = 0; p < 6; ++p) ++beaten[(bits >> p) & 1u ? PAIRS[p][1] : PAIRS[p][0]];
            unsigned keep = 0;
            for (unsigned i = 0; i < 4; ++i) keep |= static_cast<unsigned>(beaten[i] < 2) << i;
            const unsigned lo = static_cast<unsigned>(__builtin_ctz(keep)), hi = 31u - static_cast<unsigned>(__builtin_clz(keep));
            t[bits] = static_cast<uint8_t>(lo | hi << 2);
        }
        return t;
    }();
    const int m[4] = {std::abs(int{g[0]}), std::abs(int{g[1]}), std::abs(int{g[2]}), std::abs(int{g[3]})};
    unsigned bits = 0;
    for (unsigned p = 0; p < 6; ++p) bits |= static_cast<unsigned>(m[PAIRS[p][0]] >= m[PAIRS[p][1]]) << p;
    a = table[bits] & 3u;
    b = table[bits] >> 2;
}

// code_of(w, s) for every int8 w, per s in 1..MAX_SCALE: a table read instead of a division
// (filled once from code_of itself).
const int8_t* code_table(int32_t s) {
    static const auto table = [] {
        std::vector<int8_t> t(static_cast<size_t>(MAX_SCALE + 1) * 256);
        for (int32_t sc = 1; sc <= MAX_SCALE; ++sc)
            for (int32_t w = -128; w < 128; ++w) t[static_cast<size_t>(sc) * 256 + static_cast<size_t>(w + 128)] = code_of(w, sc);
        return t;
    }();
    return table.data() + static_cast<size_t>(s) * 256 + 128;  // index by w in [-128, 127]
}

}  // namespace

uint64_t rows_4bit(uint64_t n, double fraction) {
    const double r = std::floor(fraction * static_cast<double>(n) + 0.5);
    return std::min<uint64_t>(n, r < 0 ? 0 : static_cast<uint64_t>(r));
}

std::vector<int8_t> prune_2_4(const int8_t* w, uint64_t n, uint64_t k) {
    check_shape(n, k);
    std::vector<int8_t> p(n * k, 0);
    for (uint64_t i = 0; i < n * k; i += GROUP) {
        unsigned a = 0, b = 0;
        kept_of(w + i, a, b);
        p[i + a] = w[i + a];
        p[i + b] = w[i + b];
    }
    return p;
}

int32_t row_scale(const int8_t* row, uint64_t k) {
    int32_t amax = 0;
    for (uint64_t i = 0; i < k; ++i) amax = std::max(amax, std::abs(int32_t{row[i]}));
    return std::clamp((amax + MAX_CODE - 1) / MAX_CODE, 1, MAX_SCALE);
}

int8_t code_of(int32_t w, int32_t s) {
    // round_half_even(w / s) with integers: floor quotient q, remainder r in [0, s).
    int32_t q = w / s, r = w % s;
    if (r < 0) {
        q -= 1;
        r += s;
    }
    if (2 * r > s || (2 * r == s && (q & 1))) q += 1;
    return static_cast<int8_t>(std::clamp(q, -MAX_CODE, MAX_CODE));
}

std::vector<bool> choose_4bit_rows(const int8_t* pruned, uint64_t n, uint64_t k, double fraction) {
    // Relative error err / energy per row, compared exactly by cross-multiplication; a row of
    // zeros has error 0.
    std::vector<uint64_t> err(n, 0), energy(n, 0);
    for (uint64_t r = 0; r < n; ++r) {
        const int8_t* row = pruned + r * k;
        const int32_t s = row_scale(row, k);
        const int8_t* code = code_table(s);
        for (uint64_t i = 0; i < k; ++i) {
            const int64_t e = int64_t{row[i]} - int64_t{code[row[i]]} * s;
            err[r] += static_cast<uint64_t>(e * e);
            energy[r] += static_cast<uint64_t>(int64_t{row[i]} * row[i]);
        }
    }
    std::vector<uint64_t> order(n);
    std::iota(order.begin(), order.end(), uint64_t{0});
    const auto less = [&](uint64_t a, uint64_t b) {
        if (energy[a] == 0 || energy[b] == 0) return (energy[a] ? err[a] : 0) < (energy[b] ? err[b] : 0);
        return static_cast<unsigned __int128>(err[a]) * energy[b] < static_cast<unsigned __int128>(err[b]) * energy[a];
    };
    std::stable_sort(order.begin(), order.end(), less);
    std::vector<bool> four(n, false);
    const uint64_t n4 = rows_4bit(n, fraction);
    for (uint64_t i = 0; i < n4; ++i) four[order[i]] = true;
    return four;
}

std::vector<int8_t> represented(const int8_t* w, uint64_t n, uint64_t k, double fraction) {
    std::vector<int8_t> p = prune_2_4(w, n, k);
    const std::vector<bool> four = choose_4bit_rows(p.data(), n, k, fraction);
    for (uint64_t r = 0; r < n; ++r) {
        if (!four[r]) continue;
        int8_t* row = &p[r * k];
        const int32_t s = row_scale(row, k);
        const int8_t* code = code_table(s);
        for (uint64_t i = 0; i < k; ++i) row[i] = static_cast<int8_t>(code[row[i]] * s);
    }
    return p;
}

std::vector<uint8_t> compress(const int8_t* w, uint64_t n, uint64_t k, double fraction) {
    check_shape(n, k);
    const std::vector<int8_t> p = prune_2_4(w, n, k);
    const std::vector<bool> four = choose_4bit_rows(p.data(), n, k, fraction);
    uint64_t n4 = 0;
    for (bool f : four) n4 += f;
    std::vector<uint8_t> img(image_bytes(n, k, n4), 0);
    uint64_t off = 0;
    for (uint64_t r = 0; r < n; ++r) {
        const int8_t* row = w + r * k;
        const int32_t s = four[r] ? row_scale(&p[r * k], k) : 0;
        if (off >= MAX_ROW_OFFSET)
            throw format_error("NM24: row data beyond the 24-bit offsets (" + std::to_string(off) + " bytes before row " +
                                   std::to_string(r) + ")", ENTRY_BYTES * r);
        const uint32_t e = entry(off, static_cast<uint32_t>(s));
        std::memcpy(&img[ENTRY_BYTES * r], &e, 4);
        uint8_t* out = &img[ENTRY_BYTES * n + off];
        for (uint64_t c = 0; c < k; c += CHUNK) {
            uint8_t vals[4];
            uint8_t index = 0;
            for (unsigned g = 0; g < 2; ++g) {
                unsigned a = 0, b = 0;
                kept_of(row + c + GROUP * g, a, b);
                index |= static_cast<uint8_t>((a | b << 2) << (4 * g));
                vals[2 * g] = static_cast<uint8_t>(row[c + GROUP * g + a]);
                vals[2 * g + 1] = static_cast<uint8_t>(row[c + GROUP * g + b]);
            }
            *out++ = index;
            if (!s) {
                std::memcpy(out, vals, 4);
                out += 4;
            } else {
                const int8_t* code = code_table(s);
                for (unsigned j = 0; j < 4; j += 2) {
                    const auto lo = static_cast<unsigned>(code[static_cast<int8_t>(vals[j])]) & 0xFu;
                    const auto hi = static_cast<unsigned>(code[static_cast<int8_t>(vals[j + 1])]) & 0xFu;
                    *out++ = static_cast<uint8_t>(lo | hi << 4);
                }
            }
        }
        off += row_bytes(k, s != 0);
    }
    return img;
}

std::vector<int8_t> decompress(const uint8_t* img, uint64_t size, uint64_t n, uint64_t k) {
    check_shape(n, k);
    const uint64_t table = ENTRY_BYTES * n;
    if (size < table) throw format_error("NM24: image of " + std::to_string(size) + " bytes, its row table needs " + std::to_string(table), size);
    std::vector<int8_t> w(n * k, 0);
    uint64_t off = 0;
    for (uint64_t r = 0; r < n; ++r) {
        uint32_t e = 0;
        std::memcpy(&e, img + ENTRY_BYTES * r, 4);
        const uint32_t s = entry_scale(e);
        if (entry_offset(e) != off)
            throw format_error("NM24: row " + std::to_string(r) + " starts at offset " + std::to_string(entry_offset(e)) +
                                   ", expected " + std::to_string(off) + " (the previous rows' data)", ENTRY_BYTES * r);
        if (s > static_cast<uint32_t>(MAX_SCALE))
            throw format_error("NM24: row " + std::to_string(r) + " has scale " + std::to_string(s) + ", expected 0..18", ENTRY_BYTES * r);
        const uint64_t rb = row_bytes(k, s != 0);
        if (table + off + rb > size)
            throw format_error("NM24: row " + std::to_string(r) + " ends past the image (" + std::to_string(size) + " bytes)", size);
        const uint8_t* in = img + table + off;
        int8_t* row = &w[r * k];
        for (uint64_t c = 0; c < k; c += CHUNK) {
            const uint64_t at = static_cast<uint64_t>(in - img);
            const uint8_t index = *in++;
            int32_t vals[4];
            if (!s) {
                for (int32_t& v : vals) v = static_cast<int8_t>(*in++);
            } else {
                for (unsigned j = 0; j < 4; j += 2) {
                    const uint8_t b = *in++;
                    for (unsigned h = 0; h < 2; ++h) {
                        const int32_t code = static_cast<int32_t>(((b >> (4 * h)) & 0xFu) ^ 8u) - 8;
                        if (code < -MAX_CODE)
                            throw format_error("NM24: row " + std::to_string(r) + " holds the 4-bit code -8", at + 1 + j / 2);
                        vals[j + h] = code * static_cast<int32_t>(s);
                    }
                }
            }
            for (unsigned g = 0; g < 2; ++g) {
                const unsigned a = (index >> (4 * g)) & 3u, b = (index >> (4 * g + 2)) & 3u;
                if (a >= b)
                    throw format_error("NM24: row " + std::to_string(r) + ", group " + std::to_string((c / GROUP) + g) +
                                           ": kept positions " + std::to_string(a) + ", " + std::to_string(b) +
                                           " are not increasing", at);
                row[c + GROUP * g + a] = static_cast<int8_t>(vals[2 * g]);
                row[c + GROUP * g + b] = static_cast<int8_t>(vals[2 * g + 1]);
            }
        }
        off += rb;
    }
    return w;
}

}  // namespace dtq::wcomp
