/* rv32 build of sw/include/dtq_hostmath.h: the I-BERT integer kernels exist in C++ only
 * (models/ibert), so a firmware that asks for host non-linear ops learns it cannot. */
#include "dtq_hostmath.h"

int dtq_host_softmax(const int32_t *scores, int8_t *probs, uint32_t cols, uint32_t seen, int32_t shift, int32_t head_dim) {
    (void)scores, (void)probs, (void)cols, (void)seen, (void)shift, (void)head_dim;
    return DTQ_HOSTMATH_UNSUPPORTED;
}
int dtq_host_layernorm(const int32_t *x, int32_t *y, uint32_t cols, int32_t shift, const int32_t *bias) {
    (void)x, (void)y, (void)cols, (void)shift, (void)bias;
    return DTQ_HOSTMATH_UNSUPPORTED;
}
int dtq_host_gelu(const int8_t *x, int32_t *y, uint32_t n, int32_t b_int, int32_t c_int, int32_t shift_int) {
    (void)x, (void)y, (void)n, (void)b_int, (void)c_int, (void)shift_int;
    return DTQ_HOSTMATH_UNSUPPORTED;
}
