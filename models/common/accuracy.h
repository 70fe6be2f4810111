// Error of a result against a reference: mean and max absolute error and cosine
// similarity over two equally long vectors (int32 / int64 accumulators, float or double
// results, 8-bit probabilities). Used by the softmax comparison (bench/softmax) and the
// VS-Quant accuracy proxy (docs/vsquant.md). Plain functions, no SystemC.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace dtq {

struct error_stats {
    uint64_t n = 0;         // elements compared
    double mean_abs = 0;    // sum |test - ref| / n
    double max_abs = 0;     // max |test - ref|
    double cosine = 1;      // <ref, test> / (|ref| |test|); 1 when both are all zero, 0 when only one is
    double ref_max_abs = 0; // max |ref| (to relate the errors to the range)
};

// Accumulates element pairs (for comparisons spread over several calls, e.g. rows).
// Sums are kept in long double, in the order the pairs are added.
class error_accumulator {
public:
    void add(double ref, double test);
    template <class R, class T>
    void add(const R* ref, const T* test, uint64_t n) {
        for (uint64_t i = 0; i < n; ++i) add(static_cast<double>(ref[i]), static_cast<double>(test[i]));
    }
    error_stats stats() const;

private:
    uint64_t m_n = 0;
    long double m_sum_abs = 0, m_dot = 0, m_ref2 = 0, m_test2 = 0;
    double m_max_abs = 0, m_ref_max = 0;
};

// Compares test against ref element by element. Throws std::invalid_argument when the
// lengths differ. Empty vectors give n = 0, zero errors and cosine 1.
template <class R, class T>
error_stats compare(const std::vector<R>& ref, const std::vector<T>& test) {
    if (ref.size() != test.size()) throw std::invalid_argument("compare: vectors of different lengths");
    error_accumulator a;
    a.add(ref.data(), test.data(), ref.size());
    return a.stats();
}

}  // namespace dtq
