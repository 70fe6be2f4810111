#include "platform/frontend/report.h"

#include "common/output_file.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "common/stats.h"

namespace dtq {

nlohmann::json stats_json(const scenario_config& cfg, const run_info& info) {
    nlohmann::json j;
    j["scenario"] = cfg.name;
    j["config"] = config_schema::get().to_json(cfg);
    j["sim"] = {
        {"simulated_cycles", info.simulated_cycles},
        {"wall_seconds", info.wall_seconds},
        {"cycles_per_second", info.wall_seconds > 0 ? static_cast<double>(info.simulated_cycles) / info.wall_seconds : 0.0},
    };
    nlohmann::json stats = nlohmann::json::object();
    for (const auto& e : stats_registry::global().entries()) {
        nlohmann::json v;
        std::visit([&](auto x) {
            if constexpr (std::is_same_v<decltype(x), double>) v = std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
            else v = x;
        }, e.value());
        stats[e.key] = {{"value", v}, {"unit", e.unit}, {"description", e.description}};
    }
    j["stats"] = stats;
    return j;
}

void write_stats_json(const std::string& path, const nlohmann::json& j) {
    write_output(path, j.dump(2) + "\n");
}

std::string format_value(double v, const std::string& unit) {
    if (unit == "ratio") return fmt::format("{:.4f}", v);
    if (v == std::floor(v) && std::fabs(v) < 1e18) return fmt::format("{}", static_cast<int64_t>(v));
    // Counts (cycles, bytes, tokens...) in plain digits, never 2.681e+04; a mean keeps one decimal.
    if ((unit == "cycles" || unit == "count" || unit == "bytes" || unit == "tokens") && std::fabs(v) < 1e18)
        return fmt::format("{:.1f}", v);
    return fmt::format("{:.4g}", v);
}

void print_summary(std::ostream& os, const nlohmann::json& j) {
    const auto& sim = j["sim"];
    os << fmt::format("scenario {}: {} cycles simulated in {:.3f} s ({:.3g} cycles/s)\n", j["scenario"].get<std::string>(),
                      sim["simulated_cycles"].get<uint64_t>(), sim["wall_seconds"].get<double>(),
                      sim["cycles_per_second"].get<double>());
    size_t w = 9;
    for (const auto& [k, _] : j["stats"].items()) w = std::max(w, k.size());
    os << fmt::format("{:<{}}  {:>16}  {}\n", "statistic", w, "value", "unit");
    size_t zeros = 0;
    for (const auto& [k, s] : j["stats"].items()) {
        const auto& v = s["value"];
        if (!v.is_null() && v.get<double>() == 0) { ++zeros; continue; }  // idle units: in stats.json only
        const std::string unit = s["unit"].get<std::string>();
        const std::string text = v.is_null() ? "n/a" : format_value(v.get<double>(), unit);
        os << fmt::format("{:<{}}  {:>16}  {}\n", k, w, text, unit);
    }
    if (zeros) os << fmt::format("({} statistics that are 0 are not shown; stats.json has them all)\n", zeros);
}

}  // namespace dtq
