#include "stats.h"

#include <algorithm>
#include <stdexcept>

namespace dtq {

stat_group::stat_group(std::string prefix) : m_prefix(std::move(prefix)) {
    stats_registry::global().add(this);
}

stat_group::~stat_group() { stats_registry::global().remove(this); }

uint64_t& stat_group::counter(const std::string& name, const std::string& unit,
                              const std::string& description) {
    uint64_t& c = m_counters.emplace_back(0);
    const uint64_t* p = &c;
    m_entries.push_back({m_prefix + "." + name, unit, description,
                         [p]() -> std::variant<uint64_t, double> { return *p; }});
    return c;
}

void stat_group::derived(const std::string& name, const std::string& unit,
                         const std::string& description, std::function<double()> fn) {
    m_entries.push_back({m_prefix + "." + name, unit, description,
                         [fn = std::move(fn)]() -> std::variant<uint64_t, double> { return fn(); }});
}

void stat_group::derived_int(const std::string& name, const std::string& unit,
                             const std::string& description, std::function<uint64_t()> fn) {
    m_entries.push_back({m_prefix + "." + name, unit, description,
                         [fn = std::move(fn)]() -> std::variant<uint64_t, double> { return fn(); }});
}

static double as_double(const std::variant<uint64_t, double>& v) {
    return std::visit([](auto x) { return static_cast<double>(x); }, v);
}

double stat_group::get(const std::string& name) const {
    const std::string key = m_prefix + "." + name;
    for (const auto& e : m_entries)
        if (e.key == key) return as_double(e.value());
    throw std::out_of_range("no statistic " + key);
}

stats_registry& stats_registry::global() {
    static stats_registry r;
    return r;
}

void stats_registry::add(stat_group* g) { m_groups.push_back(g); }

void stats_registry::remove(stat_group* g) {
    m_groups.erase(std::remove(m_groups.begin(), m_groups.end(), g), m_groups.end());
}

std::vector<stat_entry> stats_registry::entries() const {
    std::vector<stat_entry> all;
    for (const auto* g : m_groups) all.insert(all.end(), g->m_entries.begin(), g->m_entries.end());
    std::stable_sort(all.begin(), all.end(),
                     [](const stat_entry& a, const stat_entry& b) { return a.key < b.key; });
    return all;
}

bool stats_registry::has(const std::string& key) const {
    for (const auto* g : m_groups)
        for (const auto& e : g->m_entries)
            if (e.key == key) return true;
    return false;
}

std::variant<uint64_t, double> stats_registry::value(const std::string& key) const {
    for (const auto* g : m_groups)
        for (const auto& e : g->m_entries)
            if (e.key == key) return e.value();
    throw std::out_of_range("no statistic " + key);
}

double stats_registry::number(const std::string& key) const { return as_double(value(key)); }

}  // namespace dtq
