// The progress line of `dtqvp run` on stderr (a terminal, not --quiet): the phase (set-up,
// weights, prefill layer l/L, decode token t/T, ...), the percentage and the time left when the
// total is known, at most one update per 100 ms (docs/user-guide.md#command-line).
#pragma once
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace dtq {

class progress_line {
public:
    static progress_line& global();

    // Off unless enabled; `label` names the run ("[gpt2] ...").
    void enable(std::ostream& os, const std::string& label);
    bool enabled() const { return m_os != nullptr; }
    // The phase and, when known, the fraction done in [0, 1] (negative: unknown) and the cycle.
    // Printed unless the last line is less than 100 ms old. The time left is estimated from
    // the rate of the fraction since its first value.
    void update(const std::string& phase, double fraction = -1, uint64_t cycle = 0);
    // Erases the line (before the summary or an error message).
    void clear();
    // The text of a line (without the carriage return), for tests.
    static std::string format(const std::string& label, const std::string& phase, double fraction, uint64_t cycle,
                              double elapsed_s, double left_s);

    static constexpr std::chrono::milliseconds MIN_INTERVAL{100};

private:
    std::ostream* m_os = nullptr;
    std::string m_label;
    std::chrono::steady_clock::time_point m_start, m_last, m_fraction_start;
    double m_first_fraction = -1;
    bool m_printed = false;
    size_t m_width = 0;
};

}  // namespace dtq
