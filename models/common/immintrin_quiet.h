// <immintrin.h> for the AVX-512 kernels. GCC 12's unmasked intrinsics start from
// _mm512_undefined_epi32(), which its -Wmaybe-uninitialized reports when they are inlined (a
// false positive), so the header is included with that warning off.
#pragma once
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
