// Bring-your-own GEMMs (workload.kind gemm, docs/workloads.md#gemm-lists): a list of GEMMs
// from the scenario or from a SCALE-Sim GEMM topology CSV, their operands in DRAM, run by the
// firmware app `gemm` as GEMM commands through the controller (one command per GEMM, as a
// driver would issue them). Per GEMM: cycles, VSSA cycles, PE stalls, utilization, tiles and
// SCALE-Sim's folds, DRAM bytes; statistics gemm.<index>.*, DIR/gemms.csv and, for a
// topology, DIR/COMPUTE_REPORT.csv in SCALE-Sim's column order.
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "apps.h"
#include "common/stats.h"
#include "ctrl/ctrl.h"
#include "platform/config/config.h"

namespace dtq {

// ---- SCALE-Sim ----------------------------------------------------------------------
struct topology_layer {
    std::string name;
    uint64_t m = 0, n = 0, k = 0;
};
// A SCALE-Sim GEMM topology (topologies/GEMM_mnk/*.csv): a header line, then one
// `name, M, N, K,` line per layer (the trailing comma optional, blank lines skipped).
// Throws config_error naming file:line for a bad line.
std::vector<topology_layer> read_scalesim_topology(const std::string& path);
std::vector<topology_layer> parse_scalesim_topology(const std::string& text, const std::string& origin);

// A SCALE-Sim .cfg applied to the scenario (docs/workloads.md#scale-sim): ArrayHeight ->
// vssa.rows, ArrayWidth -> vssa.cols, one array, IfmapSramSzkB + FilterSramSzkB ->
// scratchpad.size, OfmapSramSzkB -> accumulator.size, Bandwidth (InterfaceBandwidth USER)
// -> dram.bytes_per_cycle; Dataflow must be os. Throws config_error.
void apply_scalesim_config(scenario_config& c, const std::string& path);

// ---- the GEMMs -----------------------------------------------------------------------
struct gemm_job {
    std::string name;
    uint64_t m = 0, n = 0, k = 0;
    std::vector<uint8_t> a_bits;  // M row precisions 0 / 4 / 8
    uint32_t b_bits = 8;          // 4 or 8 (every column)
};
struct onnx_import_result;
// The scenario's GEMMs with their row precisions (ratios: seeded by seed and index): the
// list, the topology's layers or (kind onnx) the graph's MatMul / Gemm nodes (`imported`
// gets the import's summary when non-null).
std::vector<gemm_job> expand_gemms(const scenario_config& c, onnx_import_result* imported = nullptr);
// The rows of a ratios GEMM: round(p0 M) pruned, round(p4 M) 4-bit, the rest 8-bit, at
// positions drawn by a seeded Fisher-Yates shuffle (splitmix64; host independent).
std::vector<uint8_t> ratio_rows(uint64_t m, double p0, double p4, uint64_t seed);

// Functional operands of GEMM `index` (seeded): A (M x K int8; a 4-bit row holds 16 x code,
// code in [-8, 7], so the on-the-fly quantization is exact), B as its values (N x K int8,
// 16 x code when 4-bit) and as the bytes the GEMM command reads (int8 column-major, or
// packed codes, element 2i in the low nibble).
struct gemm_operands {
    std::vector<int8_t> a, b_values;
    std::vector<uint8_t> b_image;
};
gemm_operands make_gemm_operands(const gemm_job& j, uint64_t seed, uint64_t index);
// The reference: C = A' B with A' = A with pruned rows zeroed, plain loops (int64 sums).
std::vector<int32_t> reference_gemm(const gemm_job& j, const gemm_operands& o);

// Post-training quantization of one GEMM's float operands (docs/workloads.md#real-weights):
// A (m x k row-major) per tensor symmetric, scale max|A| / 127 (a 4-bit row: 16 x code, code =
// clamp(round(x / (16 s)), -8, 7)); B (k x n row-major) symmetric per output channel when
// `per_channel` (a weight), else per tensor: scale max / 127 (8-bit) or max / 7 with values
// 16 x code (4-bit). C x a_scale x b_scale[n] approximates A B.
struct quantized_gemm {
    gemm_operands q;
    double a_scale = 1;
    std::vector<double> b_scale;
};
// a_max / b_max >= 0: calibrated maxima that replace max|A| / the per-tensor max|B| (several samples).
quantized_gemm quantize_gemm(const gemm_job& j, const std::vector<float>& a, const std::vector<float>& b, bool per_channel,
                             double a_max = -1, double b_max = -1);

// SCALE-Sim's output-stationary folds of one GEMM on an R x C array: row folds
// ceil(active rows / R), column folds ceil(N / C); mapping efficiency = the mean over folds
// of the PEs a fold uses / R C = active rows x N / (folds R C).
struct fold_counts {
    uint64_t row_folds = 0, col_folds = 0;
    double mapping_efficiency = 0;
};
fold_counts folds_of(uint64_t active_rows, uint64_t n, uint64_t array_rows, uint64_t array_cols);

// What one GEMM command did (from its command outcome and the compute unit's report).
struct gemm_record {
    bool done = false;
    uint64_t start = 0, end = 0, vssa_cycles = 0, stall_pe_cycles = 0, busy_pe_cycles = 0, macs = 0, tiles = 0, blocks = 0;
    uint64_t dram_read = 0, dram_written = 0;
};

// The workload's state in the platform: the plan (DRAM layout), the records, the outputs.
class gemm_workload_run {
public:
    explicit gemm_workload_run(const scenario_config& c);  // throws config_error
    ~gemm_workload_run();
    // Writes the args, the table and (functional) the operands through `write`.
    void load(const std::function<void(uint64_t, const void*, uint64_t)>& write) const;
    void record(uint32_t index, const gemm_record& r);
    // After the run: the functional check (`read` reads DRAM), statistics, gemms.csv and
    // COMPUTE_REPORT.csv (out_dir non-empty). Returns an exit code (0, 1 check failed, 3 error).
    int finish(const std::function<void(uint64_t, void*, uint64_t)>& read, const std::string& out_dir, bool quiet, std::ostream& out);
    const std::vector<gemm_job>& jobs() const { return m_jobs; }
    uint64_t end() const { return m_end; }

private:
    scenario_config m_cfg;
    std::vector<gemm_job> m_jobs;
    std::vector<dtq_gemm_entry> m_table;
    std::vector<gemm_record> m_records;
    uint64_t m_table_at = 0, m_end = 0;
    std::vector<std::unique_ptr<stat_group>> m_stats;
    std::unique_ptr<onnx_import_result> m_import;
    double m_import_seconds = 0, m_reference_seconds = 0;
    uint64_t m_samples = 0;  // calibration samples
    // kind onnx, functional: the graph's real operands quantized (docs/workloads.md#real-weights),
    // the scales back to float (C x a_scale x b_scale[n]) and the float reference's C.
    struct real_gemm {
        gemm_operands q;
        double a_scale = 1;
        std::vector<double> b_scale;
        std::vector<float> c;
    };
    std::vector<real_gemm> m_real;
    struct topk_layer {  // a_precision topk: the precisions one attention map chose
        std::string node;
        uint64_t pruned = 0, bits4 = 0, bits8 = 0;
        std::vector<uint32_t> scores;  // per token: what the engines ranked (importance, or the random order)
        std::vector<uint8_t> prec;     // per token: 0, 4 or 8 after this map (DIR/tokens.csv)
    };
    std::vector<topk_layer> m_layers;
    const gemm_operands& operands(size_t i, gemm_operands& tmp) const;
};

}  // namespace dtq
