// Statistics registry. Every model declares its statistics once, with a unit and a
// description, in a stat_group named after the model instance ("dram", "vssa", ...).
// Hot paths bump plain integers; ratios are derived lambdas evaluated at the end.
// The registry is per process (one SystemC elaboration per process).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace dtq {

struct stat_entry {
    std::string key;    // "<module.path>.<name>"
    std::string unit;   // "cycles", "bytes", "count", "ratio", "B/cycle", ...
    std::string description;
    std::function<std::variant<uint64_t, double>()> value;
};

class stat_group {
public:
    explicit stat_group(std::string prefix);
    ~stat_group();
    stat_group(const stat_group&) = delete;
    stat_group& operator=(const stat_group&) = delete;

    // A counter owned by the group; the reference stays valid for the group's life.
    uint64_t& counter(const std::string& name, const std::string& unit, const std::string& description);
    // A statistic computed when the stats are read (ratios, means).
    void derived(const std::string& name, const std::string& unit, const std::string& description,
                 std::function<double()> fn);
    // An integer statistic computed when read (for values kept elsewhere).
    void derived_int(const std::string& name, const std::string& unit, const std::string& description,
                     std::function<uint64_t()> fn);

    const std::string& prefix() const { return m_prefix; }
    // Value of one of this group's statistics by name (tests, summaries).
    double get(const std::string& name) const;

private:
    friend class stats_registry;
    std::string m_prefix;
    std::deque<uint64_t> m_counters;
    std::vector<stat_entry> m_entries;
};

class stats_registry {
public:
    static stats_registry& global();

    // All statistics of all live groups, sorted by key.
    std::vector<stat_entry> entries() const;
    // Value of "<prefix>.<name>"; throws std::out_of_range when unknown.
    std::variant<uint64_t, double> value(const std::string& key) const;
    double number(const std::string& key) const;
    bool has(const std::string& key) const;

private:
    friend class stat_group;
    void add(stat_group* g);
    void remove(stat_group* g);
    std::vector<stat_group*> m_groups;
};

}  // namespace dtq
