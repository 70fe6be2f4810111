#include "common/accuracy.h"

#include <cmath>

namespace dtq {

void error_accumulator::add(double ref, double test) {
    const double d = std::fabs(test - ref);
    ++m_n;
    m_sum_abs += d;
    if (d > m_max_abs) m_max_abs = d;
    if (std::fabs(ref) > m_ref_max) m_ref_max = std::fabs(ref);
    m_dot += static_cast<long double>(ref) * test;
    m_ref2 += static_cast<long double>(ref) * ref;
    m_test2 += static_cast<long double>(test) * test;
}

error_stats error_accumulator::stats() const {
    error_stats s;
    s.n = m_n;
    s.max_abs = m_max_abs;
    s.ref_max_abs = m_ref_max;
    s.mean_abs = m_n ? static_cast<double>(m_sum_abs / static_cast<long double>(m_n)) : 0.0;
    if (m_ref2 == 0 && m_test2 == 0) s.cosine = 1.0;
    else if (m_ref2 == 0 || m_test2 == 0) s.cosine = 0.0;
    else s.cosine = static_cast<double>(m_dot / (std::sqrt(m_ref2) * std::sqrt(m_test2)));
    return s;
}

}  // namespace dtq
