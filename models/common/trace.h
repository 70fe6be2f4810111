// Timeline trace in Chrome trace-event JSON (opens in Perfetto UI / chrome://tracing).
// One track per unit; spans (commands, tiles, transfers) and counters (bandwidth,
// stall ratio). Off by default: a disabled trace costs one branch per call site.
// When on, at most `max_events` events are kept; the rest are counted as dropped.
//
// A unit may run several spans at once (DMA channels, overlapping descriptors): write()
// lays the spans of a track on lanes, each a thread of the JSON ("dma", "dma #2", ...),
// so that no two spans of one thread overlap (Perfetto nests the slices of a thread
// strictly and would mis-draw them); each thread's spans are written in time order.
// transfer() adds bytes to a track's bandwidth counter ("bandwidth", bytes/cycle per bin).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dtq {

class trace {
public:
    static trace& global();

    void enable(uint64_t max_events, uint64_t period_ps);
    bool enabled() const { return m_enabled; }
    // A span on `track` from cycle `start` to cycle `end`.
    void span(const std::string& track, const std::string& name, uint64_t start, uint64_t end,
              const std::string& args_json = "");
    // A counter sample on `track` at `cycle`.
    void counter(const std::string& track, const std::string& name, uint64_t cycle, double value);
    // `bytes` moved by `track` (dram, l2) from cycle `start` to `end` (spread evenly): written as
    // the track's "bandwidth" counter in bytes/cycle, averaged over bins of BIN_CYCLES cycles
    // (a multiple of it when the run is long: at most MAX_BINS samples per track).
    void transfer(const std::string& track, uint64_t start, uint64_t end, uint64_t bytes);
    static constexpr uint64_t BIN_CYCLES = 100, MAX_BINS = 20000;
    // Writes the JSON file; returns false on an I/O error.
    void write(const std::string& path) const;  // throws output_error (common/output_file.h)
    uint64_t events() const { return m_events.size(); }
    uint64_t dropped() const { return m_dropped; }

private:
    struct event {
        char ph;  // 'X' span, 'C' counter
        uint32_t tid;
        std::string name;
        uint64_t start, dur;
        double value;
        std::string args;
    };
    uint32_t tid(const std::string& track);
    bool room();
    struct rate {
        std::map<uint64_t, double> bins;  // bin index (BIN_CYCLES) -> bytes
    };

    bool m_enabled = false;
    uint64_t m_max = 0, m_dropped = 0, m_period_ps = 1000;
    std::map<std::string, uint32_t> m_tracks;
    std::vector<event> m_events;
    std::map<std::string, rate> m_rates;
};

}  // namespace dtq
