// The tests' own pseudo-random generator (xorshift64*), independent of the splitmix64 that
// the synthetic data under test uses. Seed it with a non-zero value: xs64 r{2026}.
#pragma once
#include <cstdint>

struct xs64 {
    uint64_t s;
    uint64_t next() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545f4914f6cdd1dull;
    }
    // Uniform in [lo, hi] (modulo: a negligible bias for test inputs).
    int64_t in(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1)); }
};
