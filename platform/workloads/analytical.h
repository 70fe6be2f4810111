// Analytical FLOPs / memory operations / arithmetic intensity of a whole model, per op,
// counted as the survey does for its Table 3 (docs/analytical-model.md).
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "platform/workloads/model_zoo.h"

namespace dtq {

struct op_count {
    std::string name;
    double flops = 0;   // whole model (all layers)
    double mops = 0;    // bytes, 8-bit operands and results, no fusion
    double ai() const { return mops > 0 ? flops / mops : 0; }
    double dram_bytes = -1;  // measured by the VP (--traffic); < 0 = not measured
};

// ops: qkv_proj, qk, sv, out_proj, ffn_w1, ffn_w2, other; then total.
std::vector<op_count> analytical_ops(const model_shape& m, uint64_t seq);
nlohmann::json analytical_json(const model_shape& m, uint64_t seq, const std::vector<op_count>& ops);
std::string analytical_table(const model_shape& m, uint64_t seq, const std::vector<op_count>& ops);

}  // namespace dtq
