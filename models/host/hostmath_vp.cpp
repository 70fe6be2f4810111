// The VP's host math library (sw/include/dtq_hostmath.h): the firmware's non-linear ops on
// the host core. Results: the I-BERT integer kernels the on-chip units use (so the host
// baseline and the accelerator agree bit for bit); time: host_config's cycles per element
// charged to the core (docs/timing-model.md#host-cpu-non-linear-ops). Kernel exceptions
// become DTQ_HOSTMATH_BAD_INPUT: nothing is thrown into the C firmware.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include "dtq_hostmath.h"
#include "host/host.h"
#include "ibert/normact.h"
#include "softmax/softmax_unit.h"

namespace {

dtq::host* self() {
    dtq::host* h = dtq::host::current();
    if (!h) std::fprintf(stderr, "dtq_hostmath: called outside a host thread\n");
    return h;
}

template <class F>
int guarded(const char* what, F&& f) {
    try {
        f();
        return DTQ_HOSTMATH_OK;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dtq_hostmath: %s: %s\n", what, e.what());
        return DTQ_HOSTMATH_BAD_INPUT;
    }
}

}  // namespace

extern "C" {

int dtq_host_softmax(const int32_t* scores, int8_t* probs, uint32_t cols, uint32_t seen, int32_t shift, int32_t head_dim) {
    dtq::host* h = self();
    if (!h) return DTQ_HOSTMATH_UNSUPPORTED;
    if (seen > cols || seen == 0 || shift < 0 || shift > 62) return DTQ_HOSTMATH_BAD_INPUT;
    h->compute(uint64_t{seen} * h->config().softmax_cycles_per_element, seen);  // a causal row: the scores it sees
    if (h->config().timing_only) return DTQ_HOSTMATH_OK;
    return guarded("softmax", [&] {
        const double scale = std::ldexp(1.0, -shift) / std::sqrt(static_cast<double>(head_dim > 0 ? head_dim : 1));
        const std::vector<int64_t> sc(scores, scores + seen);
        const std::vector<int8_t> y = dtq::softmax::run(dtq::softmax::unit_config{}, sc.data(), 1, seen, scale);
        std::memcpy(probs, y.data(), seen);
        std::memset(probs + seen, 0, cols - seen);
    });
}

int dtq_host_layernorm(const int32_t* x, int32_t* y, uint32_t cols, int32_t shift, const int32_t* bias) {
    dtq::host* h = self();
    if (!h) return DTQ_HOSTMATH_UNSUPPORTED;
    if (cols == 0 || shift < 0 || shift > 31) return DTQ_HOSTMATH_BAD_INPUT;
    h->compute(uint64_t{cols} * h->config().layernorm_cycles_per_element, cols);
    if (h->config().timing_only) return DTQ_HOSTMATH_OK;
    return guarded("layernorm", [&] { dtq::ibert::normact::layernorm_row(x, cols, shift, bias, y); });
}

int dtq_host_gelu(const int8_t* x, int32_t* y, uint32_t n, int32_t b_int, int32_t c_int, int32_t shift_int, int32_t shift) {
    dtq::host* h = self();
    if (!h) return DTQ_HOSTMATH_UNSUPPORTED;
    if (shift < 0 || shift > 31) return DTQ_HOSTMATH_BAD_INPUT;
    h->compute(uint64_t{n} * h->config().gelu_cycles_per_element, n);
    if (h->config().timing_only) return DTQ_HOSTMATH_OK;
    return guarded("gelu", [&] {
        dtq::ibert::gelu_consts_t k;
        k.b_int = b_int;
        k.c_int = c_int;
        k.shift_int = shift_int;
        k.n = shift;
        dtq::ibert::normact::gelu_row(x, n, k, y);
    });
}

}  // extern "C"
