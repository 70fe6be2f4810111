#include "platform/frontend/progress.h"

#include <fmt/format.h>

namespace dtq {

progress_line& progress_line::global() {
    static progress_line p;
    return p;
}

void progress_line::enable(std::ostream& os, const std::string& label) {
    m_os = &os;
    m_label = label;
    m_start = std::chrono::steady_clock::now();
    m_printed = false;
    m_first_fraction = -1;
}

std::string progress_line::format(const std::string& label, const std::string& phase, double fraction, uint64_t cycle,
                                  double elapsed_s, double left_s) {
    std::string s = fmt::format("[{}] {}", label, phase);
    if (fraction >= 0) s += fmt::format("  {:5.1f}%", 100.0 * fraction);
    if (cycle) s += fmt::format("  {} cycles", cycle);
    s += fmt::format("  {:.1f} s", elapsed_s);
    if (left_s >= 0) s += left_s < 60 ? fmt::format(", about {:.0f} s left", left_s)
                                      : fmt::format(", about {:.1f} min left", left_s / 60);
    return s;
}

void progress_line::update(const std::string& phase, double fraction, uint64_t cycle) {
    if (!m_os) return;
    const auto now = std::chrono::steady_clock::now();
    if (fraction >= 0 && m_first_fraction < 0) {  // time left: from the rate since the first fraction seen
        m_first_fraction = fraction;
        m_fraction_start = now;
    }
    if (m_printed && now - m_last < MIN_INTERVAL) return;
    m_last = now;
    m_printed = true;
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    double left = -1;
    if (fraction > m_first_fraction && m_first_fraction >= 0) {
        const double rate = (fraction - m_first_fraction) / std::chrono::duration<double>(now - m_fraction_start).count();
        if (rate > 0) left = (1.0 - fraction) / rate;
    }
    std::string s = format(m_label, phase, fraction, cycle, elapsed, left);
    const size_t w = s.size();
    if (s.size() < m_width) s += std::string(m_width - s.size(), ' ');  // erase the longer line before
    m_width = w;
    *m_os << '\r' << s << std::flush;
}

void progress_line::clear() {
    if (!m_os || !m_printed) return;
    *m_os << '\r' << std::string(m_width, ' ') << '\r' << std::flush;
    m_printed = false;
    m_width = 0;
}

}  // namespace dtq
