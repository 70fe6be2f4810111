#include "platform/frontend/traffic_report.h"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "common/stats.h"
#include "platform/config/config.h"
#include "platform/platform.h"

namespace dtq {

traffic_run measure_traffic(const std::string& scenario_file, const model_shape& m, uint64_t seq, uint64_t layers,
                            std::vector<op_count>& ops) {
    const scenario_config cfg = config_schema::get().load(
        scenario_file, {"workload.model.name=" + m.name, fmt::format("workload.model.seq={}", seq),
                        fmt::format("workload.model.layers={}", layers)});
    if (cfg.workload.kind != "model" || cfg.mode != sim_mode::timing)
        throw std::runtime_error(fmt::format("{}: expected a timing-mode scenario of workload.kind model", scenario_file));
    traffic_run r;
    r.layers_model = m.layers;
    r.layers_simulated = layers ? layers : m.layers;
    const auto t0 = std::chrono::steady_clock::now();
    platform p(cfg);  // its statistics live as long as it does
    run_options opt;
    opt.quiet = true;
    const int rc = p.run(opt);
    if (rc != 0) throw std::runtime_error(fmt::format("the VP run of {} failed with exit code {}", scenario_file, rc));
    r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const stats_registry& st = stats_registry::global();
    r.cycles = static_cast<uint64_t>(st.number("model.prefill_cycles"));
    const double scale = static_cast<double>(r.layers_model) / static_cast<double>(r.layers_simulated);
    double total = 0;
    for (op_count& o : ops) {
        if (o.name == "total") continue;
        o.dram_bytes = scale * st.number("ops." + o.name + ".dram_bytes");
        total += o.dram_bytes;
    }
    ops.back().dram_bytes = total;
    return r;
}

}  // namespace dtq
