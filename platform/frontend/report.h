// Run outputs: stats.json (every statistic as {value, unit, description}) and the
// terminal summary table.
#pragma once
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "platform/config/config.h"

namespace dtq {

struct run_info {
    uint64_t simulated_cycles = 0;
    double wall_seconds = 0;
};

nlohmann::json stats_json(const scenario_config& cfg, const run_info& info);
void write_stats_json(const std::string& path, const nlohmann::json& j);
void print_summary(std::ostream& os, const nlohmann::json& j);
std::string format_value(double v, const std::string& unit);

}  // namespace dtq
