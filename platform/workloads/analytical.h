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
    double survey_bytes = -1;  // the survey's Table 5 model (--survey); < 0 = not computed
    double survey_flops = -1;  // the total's FLOPs over the survey's ops (the six matmuls); < 0 = flops
};

// The survey's analytical traffic model under its Table 5 assumptions (Sec. 3.3, Fig. 11;
// docs/analytical-model.md#the-surveys-table-5-model): 8-bit inputs, no fusion (every
// matmul reads its inputs from and writes its output to DRAM), 32-bit outputs for the
// matmuls followed by a non-linear op (Q x K, W_out, W1, W2), square tiling at the L2
// (side T: the largest power of two with T^2 (2 + out_bytes) <= l2_bytes; operands that fit
// the L2 together are read once), DRAM <-> L2 bytes only.
struct survey_hw {
    double l2_bytes = 2.0 * 1024 * 1024;  // survey Fig. 11: L2 2 MB
};
// DRAM <-> L2 bytes of one M x N x K matmul (A M x K, B K x N, 1-byte inputs, out_bytes output).
double survey_matmul_bytes(double M, double N, double K, double out_bytes, const survey_hw& hw = {});
// Sets survey_bytes on qkv_proj, qk, sv, out_proj, ffn_w1, ffn_w2 and on the total (the sum
// of the six matmuls, Table 5's columns; `other` stays < 0: Table 5 has no such column).
void add_survey_traffic(const model_shape& m, uint64_t seq, std::vector<op_count>& ops, const survey_hw& hw = {});

// `dtqvp report --table5`: the survey's Table 5 layout, one row per sequence length and the
// six matmuls and their total as columns, each the survey model's non-ideal AI (add_survey_traffic)
// with Table 3's ideal AI beside (the total's: the whole model's, `other` included).
std::string survey_table5(const model_shape& m, const std::vector<uint64_t>& seqs);
nlohmann::json survey_table5_json(const model_shape& m, const std::vector<uint64_t>& seqs);

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
