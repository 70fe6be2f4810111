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

// `dtqvp report --energy` (docs/energy.md#analytical): the ops' energy on an all-8-bit machine
// without reuse, from a technology table: each matmul MAC an 8-bit multiply and a 32-bit add,
// each other FLOP a 32-bit add, each memory operation byte a DRAM byte.
struct op_energy {
    std::string name;
    double compute_pj = 0, memory_pj = 0;
};
std::vector<op_energy> analytical_energy(const std::vector<op_count>& ops, double mac_pj, double add_pj, double dram_pj_per_byte);
std::string analytical_energy_table(const std::vector<op_energy>& e, const std::string& tech);
nlohmann::json analytical_energy_json(const std::vector<op_energy>& e, const std::string& tech);

}  // namespace dtq
