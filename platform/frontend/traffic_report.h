// `dtqvp report --traffic`: runs a model on the VP in timing mode (scenarios/report_traffic.yaml:
// the survey's Fig. 11 hardware, every token 8-bit, no fusion) and puts the DRAM <-> L2 bytes
// it measured per op beside the analytical counts (docs/analytical-model.md#measured-traffic).
#pragma once
#include <string>
#include <vector>

#include "platform/workloads/analytical.h"

namespace dtq {

struct traffic_run {
    uint64_t layers_simulated = 0;  // the bytes of the model's other layers are these scaled
    uint64_t layers_model = 0;
    uint64_t cycles = 0;            // simulated cycles of the layers simulated
    double wall_seconds = 0;
};

// Fills ops[i].dram_bytes (the op's ops.<name>.dram_bytes, scaled by layers_model /
// layers; the total is their sum). layers 0 = all of the model's. Throws config_error for a
// bad scenario and std::runtime_error when the run fails.
traffic_run measure_traffic(const std::string& scenario_file, const model_shape& m, uint64_t seq, uint64_t layers,
                            std::vector<op_count>& ops);

}  // namespace dtq
