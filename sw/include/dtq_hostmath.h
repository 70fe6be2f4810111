/* Non-linear kernels run on the host CPU: the survey's Gemmini baseline, where softmax,
 * LayerNorm and GELU leave the accelerator (data goes to DRAM, through the CPU and back).
 * The firmware moves the data itself (dtq_rd_block / dtq_wr_block: real bus traffic); these
 * calls compute one row in the firmware's own buffers. Two implementations:
 *   - the VP: models/host/hostmath_vp.cpp computes the I-BERT integer kernels (so the
 *     results equal the on-chip units bit for bit and a comparison is of time only) and
 *     charges the host core host.<op>_cycles_per_element cycles per element, the cost of
 *     the float kernels with dequantize/requantize on an in-order core
 *     (docs/timing-model.md#host-cpu-non-linear-ops);
 *   - rv32: sw/hal/dtq_hostmath.c, the same integer kernels in portable C (bit-exact with
 *     the C++: tests/host/test_hostmath.cpp), computed by the core itself (on the VP's rv32
 *     ISS their cost is the instructions it retires).
 * The parameters are those of the SOFTMAX / LAYERNORM / GELU descriptors (docs/registers.md). */
#ifndef DTQ_HOSTMATH_H
#define DTQ_HOSTMATH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DTQ_HOSTMATH_OK 0
#define DTQ_HOSTMATH_UNSUPPORTED (-1) /* no host implementation in this build */
#define DTQ_HOSTMATH_BAD_INPUT (-2)   /* the kernel rejected its input (e.g. a bad scale) */

/* i-softmax of one row of `cols` int32 scores, of which the first `seen` take part (a
 * causal row), into int8 probabilities (prob x 2^7, at most 127; 0 beyond `seen`).
 * Scale 2^-shift / sqrt(head_dim). */
int dtq_host_softmax(const int32_t *scores, int8_t *probs, uint32_t cols, uint32_t seen, int32_t shift, int32_t head_dim);
/* i-LayerNorm of one row: y = y_norm + bias[j] (bias may be NULL). */
int dtq_host_layernorm(const int32_t *x, int32_t *y, uint32_t cols, int32_t shift, const int32_t *bias);
/* i-GELU of n int8 values into int32, erf shift `shift` (0..31: the GELU command's param3). */
int dtq_host_gelu(const int8_t *x, int32_t *y, uint32_t n, int32_t b_int, int32_t c_int, int32_t shift_int, int32_t shift);

#ifdef __cplusplus
}
#endif

#endif /* DTQ_HOSTMATH_H */
