/* sw/hal/dtq_hostmath.c (the rv32 build's portable C) compiled natively under other names,
 * so that test_hostmath.cpp can compare it with the C++ I-BERT kernels in the same process. */
#define dtq_host_softmax dtq_c_softmax
#define dtq_host_layernorm dtq_c_layernorm
#define dtq_host_gelu dtq_c_gelu
#include "../../sw/hal/dtq_hostmath.c"
