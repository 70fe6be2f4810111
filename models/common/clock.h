// Accelerator clock: integer cycles inside the models, sc_time only at the edge.
// The period is a whole number of picoseconds (the SystemC default resolution),
// so cycles <-> time conversions are exact.
#pragma once
#include <cstdint>
#include <systemc>

namespace dtq {

class clock {
public:
    explicit clock(uint64_t period_ps = 1000) : m_period_ps(period_ps) {}

    uint64_t period_ps() const { return m_period_ps; }
    sc_core::sc_time period() const { return time(1); }

    // Cycle index that contains time t (floor).
    uint64_t cycles(const sc_core::sc_time& t) const { return t.value() / m_period_ps; }
    // Start of cycle c.
    sc_core::sc_time time(uint64_t c) const {
        return sc_core::sc_time::from_value(c * m_period_ps);
    }
    // Current cycle of the simulation, plus an LT annotation.
    uint64_t now(const sc_core::sc_time& delay = sc_core::SC_ZERO_TIME) const {
        return cycles(sc_core::sc_time_stamp() + delay);
    }

private:
    uint64_t m_period_ps;
};

inline uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// Division by a divisor fixed at construction (bytes per cycle, line and bank sizes), per
// burst or per line on the hot paths: a shift when it is a power of two (as it is by
// default), else a division. The same quotients as `/` and ceil_div (a 64-bit division
// costs tens of cycles on the host; docs/performance.md#timing-mode-3).
class divider {
public:
    explicit divider(uint64_t d = 1) : m_d(d ? d : 1) {
        if (!(m_d & (m_d - 1))) m_shift = __builtin_ctzll(m_d);
    }
    uint64_t value() const { return m_d; }
    uint64_t div(uint64_t a) const { return m_shift >= 0 ? a >> m_shift : a / m_d; }
    uint64_t ceil(uint64_t a) const { return div(a + m_d - 1); }  // ceil_div(a, value())
    uint64_t mod(uint64_t a) const { return a - div(a) * m_d; }

private:
    uint64_t m_d;
    int m_shift = -1;  // log2(m_d) when m_d is a power of two
};

}  // namespace dtq
