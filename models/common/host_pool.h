// A process-wide pool of host threads for the functional model's data-parallel work: the
// VSSA's functional GEMM (column panels or row blocks) and the rows of a vector command
// (softmax, LayerNorm, GELU, REQUANT, RESADD), whose rows are independent. The workers are
// started once, on first use, and live to the end of the process, so a command pays a wake-up
// (a few microseconds), not a thread start and join (18 us or more each; docs/performance.md#row-kernels).
//
// Results never depend on the number of threads: a part writes only its own outputs, and
// run_parts rethrows the exception of the lowest-numbered part that failed. With
// parallel_rows (contiguous row ranges, each run in order and stopped at its first failure)
// that is the exception of the first failing row, the one a single thread would have thrown.
//
// Calls from a pool worker, or while another thread holds the pool, run their parts on the
// calling thread, one after the other (no deadlock, same results).
#pragma once
#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>

namespace dtq {

// Runs fn(0) .. fn(parts - 1) on the calling thread and pool workers (started as needed, at
// most 63), each part taken by whichever is free first; returns when all are done. An exception thrown by a part
// ends that part; after all parts, the lowest-numbered part's exception is rethrown.
void run_parts(unsigned parts, const std::function<void(unsigned)>& fn);

// A part of a vector command's rows must hold at least PART_MIN_PS picoseconds of work: 12 us,
// above a worker's measured wake-up (8-9 us on a quiet machine), so that the part a worker takes
// is worth waking it for (a worker that wakes later finds the parts taken by the caller). The
// work of a row is its elements times the kernel's measured time per element (PS_* below;
// docs/performance.md#row-kernels gives the measurements). Only the results' speed depends on
// these figures, never the results.
constexpr uint64_t PART_MIN_PS = 12'000'000;
constexpr uint64_t PS_SOFTERMAX = 5000;  // per element: 4.8-6.4 ns
constexpr uint64_t PS_ISOFTMAX = 2000;   // I-BERT i-softmax with its vector forms: 1.6-2.0 ns
constexpr uint64_t PS_LAYERNORM = 600;   // 0.50-0.69 ns
constexpr uint64_t PS_GELU = 500;        // 0.43-0.64 ns
constexpr uint64_t PS_RESADD = 200;      // 0.15-0.23 ns
constexpr uint64_t PS_REQUANT = 100;     // 0.08-0.12 ns (8-bit rows)

// The number of parts for `rows` rows of `row_work` units each (elements, MACs) on at most
// `threads` threads, with at least `min_work` units per part (a part's work must pay for the
// wake-up of a worker): 1 for small jobs.
inline unsigned parts_for(unsigned threads, uint64_t rows, uint64_t row_work, uint64_t min_work) {
    if (threads <= 1 || rows <= 1) return 1;
    const uint64_t work = rows * std::max<uint64_t>(row_work, 1);
    const uint64_t by_work = std::max<uint64_t>(1, work / std::max<uint64_t>(min_work, 1));
    return static_cast<unsigned>(std::min<uint64_t>({threads, rows, by_work}));
}

// row_fn(r) for r in [0, rows): contiguous ranges over parts_for(threads, rows, row_work,
// min_work) parts, each range in increasing r.
template <class F>
void parallel_rows(unsigned threads, uint64_t rows, uint64_t row_work, uint64_t min_work, F&& row_fn) {
    const unsigned parts = parts_for(threads, rows, row_work, min_work);
    if (parts <= 1) {
        for (uint64_t r = 0; r < rows; ++r) row_fn(r);
        return;
    }
    run_parts(parts, [&](unsigned p) {
        const uint64_t r0 = rows * p / parts, r1 = rows * (p + 1) / parts;
        for (uint64_t r = r0; r < r1; ++r) row_fn(r);
    });
}

}  // namespace dtq
