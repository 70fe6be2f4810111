// VS-Quant: per-vector scaled quantization (docs/vsquant.md), as used by the 4-bit
// accelerator of ../shared/seeds/vs-quant-softermax-accelerator.txt ("per-vector scaled
// quantization ... 4-bit arithmetic"; method: Dai et al., "VS-Quant: Per-vector Scaled
// Quantization for Accurate Low-Precision Neural Network Inference", MLSys 2021).
//
// A tensor of `rows` x `cols` is quantized along cols (the reduction dimension K of the
// GEMM it feeds): every vector of V consecutive elements of a row has its own unsigned
// integer scale s (scale_bits M: 4, 6 or 8) under a float scale gamma per row (per channel)
// or per tensor; elements are signed 4-bit codes. Real value = q * s * gamma (two-level).
//
//   quantization : quantize_weights (offline; float or int8 input), quantize_activations (run time)
//   GEMM         : gemm (exact integer: sum over vectors of dot4(V) * s_a * s_w), dequantize
//   timing       : tile_cycles / gemm_cycles of the VS-Quant PE variant of the VSSA
//   storage      : bytes of elements, scale factors and gammas in buffers and DRAM
// Plain functions, no SystemC. Invalid arguments throw std::invalid_argument.
#pragma once
#include <cstdint>
#include <vector>

namespace dtq::vsquant {

constexpr int ELEM_BITS = 4;  // signed 4-bit elements
constexpr int32_t QMAX = 7;   // symmetric range [-7, 7] when quantizing (the GEMM accepts [-8, 7])

struct config {
    uint32_t vector_size = 16;  // V: elements per vector along K [assumption, docs/vsquant.md#parameters]
    uint32_t scale_bits = 8;    // M: per-vector scale, unsigned, 4, 6 or 8 bits [assumption]
    uint32_t scale_max() const { return (1u << scale_bits) - 1; }
};
// Throws std::invalid_argument unless V >= 1 and M in {4, 6, 8}.
void validate(const config& c);

// Granularity of the coarse float scale gamma.
enum class granularity { per_channel, per_tensor };

struct tensor {
    uint64_t rows = 0, cols = 0;   // cols = K; vectors are V consecutive elements of a row
    config cfg;
    std::vector<int8_t> q;         // rows x cols, row-major: 4-bit codes
    std::vector<uint16_t> s;       // rows x vectors_per_row(): per-vector integer scales, [0, 2^M - 1]
    std::vector<double> gamma;     // rows entries (per channel) or 1 entry (per tensor)

    uint64_t vectors_per_row() const { return (cols + cfg.vector_size - 1) / cfg.vector_size; }
    uint16_t scale(uint64_t r, uint64_t v) const { return s[r * vectors_per_row() + v]; }
    double gamma_of(uint64_t r) const { return gamma.size() == 1 ? gamma[0] : gamma[r]; }
    // q * s * gamma of element (r, c).
    double value(uint64_t r, uint64_t c) const {
        return static_cast<double>(q[r * cols + c]) * scale(r, c / cfg.vector_size) * gamma_of(r);
    }
};

// ---- quantization (docs/vsquant.md#quantization) ----------------------------------------
// Weights, offline. w is channels x k row-major: output channel n's K weights are
// contiguous (W^T of a K x N GEMM operand; the layout the PE consumes). A = max |w| over the
// channel (per_channel) or the tensor; gamma = A / (7 (2^M - 1)); per vector
// s = clamp(round_half_even(amax (2^M - 1) / A), 1, 2^M - 1) (0 for an all-zero vector);
// q = clamp(round_half_even(w (7 (2^M - 1)) / (s A)), -7, 7).
tensor quantize_weights(const float* w, uint64_t channels, uint64_t k, const config& c,
                        granularity g = granularity::per_channel);
// The same from an int8 tensor of scale int8_scale (real = w * int8_scale), in exact integer
// arithmetic (the rounding of rationals is exact); gamma = int8_scale * A / (7 (2^M - 1)).
tensor quantize_weights(const int8_t* w, uint64_t channels, uint64_t k, double int8_scale, const config& c,
                        granularity g = granularity::per_channel);

// Activations, at run time: s from each vector's own max, gamma per tensor from a
// calibrated max A (offline): an int8 tensor's default A is 127, its full range, so no
// calibration is needed; |a| > A saturates (s = 2^M - 1, q clamped). Same formulas.
tensor quantize_activations(const int8_t* a, uint64_t rows, uint64_t k, double int8_scale, const config& c,
                            int32_t calib_amax = 127);
tensor quantize_activations(const float* a, uint64_t rows, uint64_t k, const config& c, double calib_amax);

// ---- GEMM (docs/vsquant.md#gemm) --------------------------------------------------------
// acc[m][n] = sum over vectors v of (sum_{k in v} a.q[m][k] * w.q[n][k]) * a.s[m][v] * w.s[n][v],
// exact in int64. a is M x K activations, w is N x K weights (channels); both must have the
// same K and V (vector boundaries align). Codes must be in [-8, 7], scales <= 2^M - 1.
std::vector<int64_t> gemm(const tensor& a, const tensor& w);
// real[m][n] = acc[m][n] * gamma_a(m) * gamma_w(n).
std::vector<double> dequantize(const std::vector<int64_t>& acc, const tensor& a, const tensor& w);

// ---- in the platform (docs/vsquant.md#in-the-platform) -----------------------------------
// The accumulator of a GEMM whose operands may carry per-vector scales: a is M x K, bt is
// N x K (values: int8, or 4-bit codes), sa / sb their scales (rows x ceil(K / V), row-major)
// or nullptr (every scale 1: an int8 or per-tensor operand);
//   acc[m][n] = sum over vectors v of sa[m][v] sb[n][v] sum_{k in v} a[m][k] bt[n][k]
// exact in int64 (for two VS-Quant operands this is gemm(a, w) above). A vectorized
// kernel for the platform's GEMM commands; tests check it against gemm().
std::vector<int64_t> gemm_scaled(const int8_t* a, const uint16_t* sa, const int8_t* bt, const uint16_t* sb, uint64_t M,
                                 uint64_t N, uint64_t K, uint32_t vector_size);
// round_half_even(x * num / den) for den > 0, exact (the rescale of an accumulator into
// the 8-bit domain: num / den = the product of the operands' gamma / int8 scale).
int64_t rescale(int64_t x, int64_t num, int64_t den);
// gamma / int8 scale of a VS-Quant operand whose coarse max is `amax` (int8 units):
// amax / (7 (2^M - 1)), as num / den.
struct ratio {
    int64_t num, den;
};
inline ratio gamma_ratio(int64_t amax, const config& c) { return {amax, int64_t{QMAX} * c.scale_max()}; }
// M-bit scales of `rows` rows of `vectors` scales, packed LSB first per row into
// scale_row_bytes bytes (docs/vsquant.md#in-the-platform); unpack is the inverse.
std::vector<uint8_t> pack_scales(const uint16_t* s, uint64_t rows, uint64_t vectors, uint32_t scale_bits);
std::vector<uint16_t> unpack_scales(const uint8_t* p, uint64_t rows, uint64_t vectors, uint32_t scale_bits);

// ---- timing: VS-Quant PE variant of the VSSA (docs/timing-model.md#vs-quant-pe) ---------
// A tile of R x C PEs and K MACs per PE, all 4x4-bit (1 cycle per step, no stall): the
// uniform VSSA tile 1 + (K + R + C - 2) + R plus `scale_stages` drain cycles: the last
// vector's partial sum of the last PE passes through the scale-multiply stage before the
// results can shift out. The scale product of a vector is formed while its MACs run, so
// there is no extra fill, and the multiply of one vector overlaps the next vector's MACs.
constexpr uint32_t SCALE_STAGES = 1;  // [assumption] one pipelined multiply stage
constexpr uint64_t tile_cycles(uint64_t rows, uint64_t cols, uint64_t k, uint32_t scale_stages = SCALE_STAGES) {
    return rows == 0 || cols == 0 || k == 0 ? 0 : 1 + (k + rows + cols - 2) + scale_stages + rows;
}
// An M x N x K GEMM on `arrays` arrays of R x C PEs: row tiles of A against column tiles of
// W (row tile outermost), tile t on array t mod arrays (the engine's round robin); the
// makespan (cycles of the busiest array). Edge tiles use their actual R' x C'.
uint64_t gemm_cycles(uint64_t m, uint64_t n, uint64_t k, uint32_t array_rows, uint32_t array_cols, uint32_t arrays = 1,
                     uint32_t scale_stages = SCALE_STAGES);

// ---- storage (docs/timing-model.md#vs-quant-pe) ------------------------------------------
// A row (token or channel) of k elements is stored byte-aligned, as the fetcher gathers per
// token: its 4-bit elements in ceil(4k / 8) bytes, its ceil(k / V) M-bit scales packed in
// ceil(ceil(k / V) M / 8) bytes. gamma is one fp32 per channel or per tensor.
constexpr uint64_t vectors_per_row(uint64_t k, const config& c) { return (k + c.vector_size - 1) / c.vector_size; }
constexpr uint64_t element_row_bytes(uint64_t k) { return (k * ELEM_BITS + 7) / 8; }
constexpr uint64_t scale_row_bytes(uint64_t k, const config& c) { return (vectors_per_row(k, c) * c.scale_bits + 7) / 8; }
constexpr uint64_t GAMMA_BYTES = 4;  // fp32
// Scale-factor bytes a tile's operand buffers hold: R rows of A and C channels of W.
constexpr uint64_t tile_scale_bytes(uint64_t rows, uint64_t cols, uint64_t k, const config& c) {
    return (rows + cols) * scale_row_bytes(k, c);
}
// Scale-factor bytes of a rows x k tensor in a buffer (no gammas: they live in the
// requantization unit's registers).
constexpr uint64_t buffer_scale_bytes(uint64_t rows, uint64_t k, const config& c) { return rows * scale_row_bytes(k, c); }
// DRAM bytes of a VS-Quant tensor: elements + scales + gammas (`gammas` = rows per channel, 1 per tensor).
constexpr uint64_t dram_bytes(uint64_t rows, uint64_t k, const config& c, uint64_t gammas) {
    return rows * (element_row_bytes(k) + scale_row_bytes(k, c)) + gammas * GAMMA_BYTES;
}
// Extra DRAM bytes over the same tensor in plain 4-bit: the scales and the gammas.
constexpr uint64_t extra_dram_bytes(uint64_t rows, uint64_t k, const config& c, uint64_t gammas) {
    return rows * scale_row_bytes(k, c) + gammas * GAMMA_BYTES;
}

}  // namespace dtq::vsquant
