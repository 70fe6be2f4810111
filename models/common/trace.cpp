#include "common/trace.h"

#include "common/output_file.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

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

static std::string escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o;
}

void trace::write(const std::string& path) const {
    output_file f(path);
    // Timestamps in microseconds of simulated time (the format's unit).
    const double us_per_cycle = static_cast<double>(m_period_ps) / 1e6;
    std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", f.get());
    bool first = true;
    auto sep = [&] { std::fputs(first ? "" : ",\n", f.get()); first = false; };
    sep();
    std::fputs(R"({"ph":"M","pid":1,"name":"process_name","args":{"name":"dtqvp"}})", f.get());
    for (const auto& [name, id] : m_tracks) {
        sep();
        fmt::print(f.get(), R"({{"ph":"M","pid":1,"tid":{},"name":"thread_name","args":{{"name":"{}"}}}})", id, escape(name));
    }
    for (const auto& e : m_events) {
        sep();
        if (e.ph == 'X')
            fmt::print(f.get(), R"({{"ph":"X","pid":1,"tid":{},"name":"{}","ts":{:.6f},"dur":{:.6f},"args":{}}})", e.tid,
                       escape(e.name), e.start * us_per_cycle, e.dur * us_per_cycle,
                       e.args.empty() ? "{}" : e.args);
        else
            fmt::print(f.get(), R"({{"ph":"C","pid":1,"tid":{},"name":"{}","ts":{:.6f},"args":{{"value":{}}}}})", e.tid,
                       escape(e.name), e.start * us_per_cycle, e.value);
    }
    if (m_dropped) {
        sep();
        fmt::print(f.get(), R"({{"ph":"M","pid":1,"name":"dropped_events","args":{{"count":{}}}}})", m_dropped);
    }
    std::fputs("\n]}\n", f.get());
    f.commit();
}

}  // namespace dtq
