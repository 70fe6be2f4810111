// NM24: a post-training weight compression format (docs/compression.md, byte by byte) and the
// decompressor on the DMA path that expands it back to the dense int8 weights the VSSA reads.
//
// A weight W is N rows (output channels) of K int8 (the GEMM's column-major B, W^T), K a
// multiple of 8. Compression, offline:
//   1. 2:4 structured sparsity along K: in every group of 4 consecutive weights of a row the
//      2 of largest |w| are kept (ties: the lower index), the other 2 become 0.
//   2. Per-row precision: a row is 4-bit (codes in [-7, 7] times an integer row scale s in
//      [1, 18], so |code s| <= 126 stays int8) or 8-bit (the kept int8 values as they are).
//      The `rows_4bit(N, fraction)` rows whose 4-bit relative error (sum of squared errors
//      over the kept weights / their energy) is smallest are 4-bit (ties: the lower row).
// W' = decompress(compress(W)) is the weight the format represents (the pruned, partly 4-bit
// weight); `represented(W)` computes it directly, without the byte image.
//
// The decompressor: `bytes_per_cycle` dense output bytes per cycle, `latency_cycles` from the
// last input byte to the last output byte; a streaming stage behind the DMA
// (docs/timing-model.md#decompressor).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace dtq::wcomp {

inline constexpr uint64_t GROUP = 4;      // weights per sparsity group
inline constexpr uint64_t CHUNK = 8;      // weights per chunk (2 groups): one index byte
inline constexpr int32_t MAX_SCALE = 18;  // 4-bit row scale s in [1, 18]: 7 x 18 = 126
inline constexpr int32_t MAX_CODE = 7;    // 4-bit codes in [-7, 7]
inline constexpr uint64_t ENTRY_BYTES = 4;       // one row-table entry (u32)
inline constexpr uint64_t MAX_ROW_OFFSET = 1u << 24;  // the entry's 24-bit offset

// Thrown by decompress for a malformed image, by compress for a bad shape.
class format_error : public std::invalid_argument {
public:
    format_error(const std::string& what, uint64_t offset) : std::invalid_argument(what), m_offset(offset) {}
    uint64_t offset() const { return m_offset; }  // byte offset in the image of the fault
private:
    uint64_t m_offset;
};

// How many of N rows are 4-bit: round(fraction N), half up.
uint64_t rows_4bit(uint64_t n, double fraction);
// Bytes of one row's data: K / 8 chunks of 5 (8-bit row) or 3 (4-bit row) bytes.
constexpr uint64_t row_bytes(uint64_t k, bool four_bit) { return k / CHUNK * (four_bit ? 3 : 5); }
// The whole image: the row table, then every row's data.
constexpr uint64_t image_bytes(uint64_t n, uint64_t k, uint64_t rows4) {
    return ENTRY_BYTES * n + (n - rows4) * row_bytes(k, false) + rows4 * row_bytes(k, true);
}
// Smallest image of N x K (every row 4-bit): what the command decoder checks is mapped.
constexpr uint64_t min_image_bytes(uint64_t n, uint64_t k) { return image_bytes(n, k, n); }

// A row-table entry: bits 0-23 offset of the row's data from the end of the table, bits
// 24-31 the row scale s (0 = 8-bit row).
constexpr uint32_t entry(uint64_t offset, uint32_t s) { return static_cast<uint32_t>(offset) | (s << 24); }
constexpr uint64_t entry_offset(uint32_t e) { return e & 0xFFFFFFu; }
constexpr uint32_t entry_scale(uint32_t e) { return e >> 24; }

// Step 1 alone: W with 2 of every 4 weights zeroed (same shape).
std::vector<int8_t> prune_2_4(const int8_t* w, uint64_t n, uint64_t k);
// 4-bit row: s = clamp(ceil(amax / 7), 1, 18) of the row's max |w|; code = clamp(round_half_even(w / s), -7, 7).
int32_t row_scale(const int8_t* row, uint64_t k);
int8_t code_of(int32_t w, int32_t s);
// Steps 1 and 2: which rows are 4-bit (row_is_4bit[n]).
std::vector<bool> choose_4bit_rows(const int8_t* pruned, uint64_t n, uint64_t k, double fraction);
// W' directly: the pruned weight with the chosen rows replaced by code x s.
std::vector<int8_t> represented(const int8_t* w, uint64_t n, uint64_t k, double fraction);

// The DRAM image (docs/compression.md). Throws format_error unless K % 8 == 0, N >= 1, and
// the row data fits the 24-bit offsets.
std::vector<uint8_t> compress(const int8_t* w, uint64_t n, uint64_t k, double fraction);
// Dense N x K int8 from an image of `size` bytes; throws format_error (with the byte offset)
// for a table entry whose offset is not the previous rows' data, a scale above 18, a group
// whose two indices are not increasing, a 4-bit code -8, or an image shorter than its table says.
std::vector<int8_t> decompress(const uint8_t* img, uint64_t size, uint64_t n, uint64_t k);

// ---- the decompressor stage (docs/timing-model.md#decompressor) ----------------------------
struct timing {
    uint64_t bytes_per_cycle = 64;  // dense int8 output bytes per cycle
    uint64_t latency_cycles = 4;    // pipeline: last input byte to last output byte
};
// Cycles to expand `dense_bytes` once its input is there: latency + ceil(dense / rate).
constexpr uint64_t expand_cycles(uint64_t dense_bytes, const timing& t) {
    return t.latency_cycles + (dense_bytes + t.bytes_per_cycle - 1) / t.bytes_per_cycle;
}
// A streaming stage: it starts expanding when the panel's load starts (`load_start`) and
// ends no earlier than `latency` after the DMA delivered the last compressed byte (`dma_end`).
constexpr uint64_t stage_end(uint64_t load_start, uint64_t dma_end, uint64_t dense_bytes, const timing& t) {
    const uint64_t a = dma_end + t.latency_cycles, b = load_start + expand_cycles(dense_bytes, t);
    return a > b ? a : b;
}

}  // namespace dtq::wcomp
