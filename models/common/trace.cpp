#include "common/trace.h"

#include "common/output_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <tuple>

namespace dtq {

trace& trace::global() {
    static trace t;
    return t;
}

void trace::enable(uint64_t max_events, uint64_t period_ps) {
    m_enabled = true;
    m_max = max_events;
    m_period_ps = period_ps;
}

uint32_t trace::tid(const std::string& track) {
    auto it = m_tracks.find(track);
    if (it != m_tracks.end()) return it->second;
    const uint32_t id = static_cast<uint32_t>(m_tracks.size() + 1);
    m_tracks.emplace(track, id);
    return id;
}

bool trace::room() {
    if (m_events.size() < m_max) return true;
    ++m_dropped;
    return false;
}

void trace::span(const std::string& track, const std::string& name, uint64_t start, uint64_t end,
                 const std::string& args_json) {
    if (!m_enabled || !room()) return;
    m_events.push_back({'X', tid(track), name, start, end > start ? end - start : 0, 0.0, args_json});
}

void trace::counter(const std::string& track, const std::string& name, uint64_t cycle, double value) {
    if (!m_enabled || !room()) return;
    m_events.push_back({'C', tid(track), name, cycle, 0, value, ""});
}

void trace::transfer(const std::string& track, uint64_t start, uint64_t end, uint64_t bytes) {
    if (!m_enabled || bytes == 0) return;
    auto& bins = m_rates[track].bins;
    if (end <= start) {
        bins[start / BIN_CYCLES] += static_cast<double>(bytes);
        return;
    }
    const double per_cycle = static_cast<double>(bytes) / static_cast<double>(end - start);
    for (uint64_t c = start; c < end;) {
        const uint64_t b = c / BIN_CYCLES, next = std::min(end, (b + 1) * BIN_CYCLES);
        bins[b] += per_cycle * static_cast<double>(next - c);
        c = next;
    }
}

static std::string escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o;
}

void trace::write(const std::string& path) const {
    output_file f(path);  // temporary + checked writes + rename (docs/errors.md#output-files)
    // Timestamps in microseconds of simulated time (the format's unit), exact: a cycle is a
    // whole number of picoseconds, printed with six decimals.
    const auto ts = [this](uint64_t cycle) {
        const uint64_t ps = cycle * m_period_ps;
        return fmt::format("{}.{:06d}", ps / 1000000, ps % 1000000);
    };
    // Lanes: per track, spans sorted by start (longest first) go to the first lane whose last
    // span has ended; every lane is a thread of its own.
    std::vector<std::string> names(m_tracks.size() + 1);
    for (const auto& [name, id] : m_tracks) names[id] = name;
    std::vector<size_t> order;
    for (size_t i = 0; i < m_events.size(); ++i) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [this](size_t a, size_t b) {
        const event &x = m_events[a], &y = m_events[b];
        return std::make_tuple(x.tid, x.start, ~x.dur) < std::make_tuple(y.tid, y.start, ~y.dur);
    });
    std::vector<uint32_t> out_tid(m_events.size());
    std::vector<std::pair<std::string, uint32_t>> threads;  // name, sort index
    {
        uint32_t cur = 0;
        std::vector<std::pair<uint64_t, uint32_t>> lanes;  // end of the last span, thread id
        for (size_t i : order) {
            const event& e = m_events[i];
            if (e.tid != cur) {
                cur = e.tid;
                lanes.clear();
            }
            if (e.ph != 'X') {  // counters stay on the track's first thread
                if (lanes.empty()) {
                    threads.push_back({names[cur], 0});
                    lanes.push_back({0, static_cast<uint32_t>(threads.size())});
                }
                out_tid[i] = lanes[0].second;
                continue;
            }
            auto lane = std::find_if(lanes.begin(), lanes.end(), [&](const auto& l) { return l.first <= e.start; });
            if (lane == lanes.end()) {
                threads.push_back({lanes.empty() ? names[cur] : fmt::format("{} #{}", names[cur], lanes.size() + 1), 0});
                lanes.push_back({0, static_cast<uint32_t>(threads.size())});
                lane = lanes.end() - 1;
            }
            lane->first = e.start + e.dur;
            out_tid[i] = lane->second;
        }
    }
    // Bandwidth counters on threads of their own (dram, l2), after the span threads.
    std::map<std::string, uint32_t> rate_tid;
    for (const auto& [track, r] : m_rates) {
        (void)r;
        auto it = std::find_if(threads.begin(), threads.end(), [&](const auto& t) { return t.first == track; });
        if (it == threads.end()) {
            threads.push_back({track, 0});
            rate_tid[track] = static_cast<uint32_t>(threads.size());
        } else {
            rate_tid[track] = static_cast<uint32_t>(it - threads.begin() + 1);
        }
    }
    // Threads sorted by name, so that a unit's lanes sit together in the UI.
    std::vector<uint32_t> by_name(threads.size());
    for (uint32_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
    std::stable_sort(by_name.begin(), by_name.end(), [&](uint32_t a, uint32_t b) { return threads[a].first < threads[b].first; });
    for (uint32_t k = 0; k < by_name.size(); ++k) threads[by_name[k]].second = k;

    std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f.get());
    bool first = true;
    auto sep = [&] { std::fputs(first ? "" : ",\n", f.get()); first = false; };
    sep();
    std::fputs(R"({"ph":"M","pid":1,"name":"process_name","args":{"name":"dtqvp"}})", f.get());
    for (uint32_t i = 0; i < threads.size(); ++i) {
        sep();
        fmt::print(f.get(), R"({{"ph":"M","pid":1,"tid":{},"name":"thread_name","args":{{"name":"{}"}}}})", i + 1,
                   escape(threads[i].first));
        sep();
        fmt::print(f.get(), R"({{"ph":"M","pid":1,"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})",
                   i + 1, threads[i].second);
    }
    // In time order (by start, then thread).
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return std::make_tuple(m_events[a].start, out_tid[a], ~m_events[a].dur) <
               std::make_tuple(m_events[b].start, out_tid[b], ~m_events[b].dur);
    });
    for (size_t i : order) {
        const event& e = m_events[i];
        sep();
        if (e.ph == 'X')
            fmt::print(f.get(), R"({{"ph":"X","pid":1,"tid":{},"name":"{}","ts":{},"dur":{},"args":{}}})", out_tid[i],
                       escape(e.name), ts(e.start), ts(e.dur), e.args.empty() ? "{}" : e.args);
        else
            fmt::print(f.get(), R"({{"ph":"C","pid":1,"tid":{},"name":"{}","ts":{},"args":{{"value":{}}}}})", out_tid[i],
                       escape(e.name), ts(e.start), e.value);
    }
    for (const auto& [track, r] : m_rates) {
        if (r.bins.empty()) continue;
        // Bins of BIN_CYCLES, merged by a whole factor when there would be more than MAX_BINS.
        const uint64_t first_bin = r.bins.begin()->first, last_bin = r.bins.rbegin()->first;
        const uint64_t factor = std::max<uint64_t>(1, (last_bin - first_bin + MAX_BINS) / MAX_BINS);
        const uint64_t width = BIN_CYCLES * factor;
        std::map<uint64_t, double> merged;
        for (const auto& [b, bytes] : r.bins) merged[b / factor] += bytes;
        uint64_t prev_end = UINT64_MAX;
        for (const auto& [b, bytes] : merged) {
            if (prev_end != UINT64_MAX && b * width > prev_end) {  // an idle gap: back to 0
                sep();
                fmt::print(f.get(), R"({{"ph":"C","pid":1,"tid":{},"name":"bandwidth","ts":{},"args":{{"bytes/cycle":0}}}})",
                           rate_tid[track], ts(prev_end));
            }
            sep();
            fmt::print(f.get(), R"({{"ph":"C","pid":1,"tid":{},"name":"bandwidth","ts":{},"args":{{"bytes/cycle":{}}}}})",
                       rate_tid[track], ts(b * width), bytes / static_cast<double>(width));
            prev_end = (b + 1) * width;
        }
        sep();
        fmt::print(f.get(), R"({{"ph":"C","pid":1,"tid":{},"name":"bandwidth","ts":{},"args":{{"bytes/cycle":0}}}})",
                   rate_tid[track], ts(prev_end));
    }
    if (m_dropped) {
        sep();
        fmt::print(f.get(), R"({{"ph":"M","pid":1,"name":"dropped_events","args":{{"count":{}}}}})", m_dropped);
    }
    std::fputs("\n]}\n", f.get());
    f.commit();
}

}  // namespace dtq
