// Scenario configuration: typed structs with defaults (each model's config struct
// lives in its model folder), and a schema that reads them from YAML with
// validation, applies --set overrides, echoes the resolved config and generates
// docs/config.md. Every error carries `file:line:col: key.path: what was expected`.
#pragma once
#include <nlohmann/json.hpp>

namespace YAML {
class Node;
}

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "decompressor/wcomp.h"
#include "dma/dma.h"
#include "memory/bus.h"
#include "memory/dram.h"
#include "memory/l2.h"
#include "memory/local_memory.h"

namespace dtq {

enum class sim_mode { functional, timing };

// A built-in stimulus, until the firmware runs the workloads: a long DMA stream.
struct dma_stream_config {
    uint64_t bytes = 1 << 20;        // total bytes moved
    uint64_t chunk_bytes = 4096;     // bytes per descriptor
    std::string direction = "load";  // load: DRAM -> scratchpad; store: scratchpad -> DRAM
};

// Attention GEMMs of a model on the VSSA at given token-precision ratios (the paper's
// Sec. IV-B study): Q x K^T and attention-prob x V of every head, tokens split into
// pruned / 4-bit / 8-bit by a seeded importance ranking.
struct attention_study_config {
    std::string model = "bert-base";
    uint64_t seq = 128;
    uint64_t layers = 1;                // layers simulated (of the model's)
    uint64_t heads = 0;                 // heads simulated per layer (0 = all of the model's)
    double ratio_pruned = 0.28;         // DTQAtten's BERT-Base average (Sec. V)
    double ratio_4bit = 0.414;
    double ratio_8bit = 0.306;
    bool compare_reorder = true;        // also run the other order and report the gain
    bool compare_baselines = false;     // also time the 8-bit baseline and the SpAtten-style scheme
    double spatten_ratio_pruned = 0.298;  // DTQAtten Sec. V: SpAtten's measured averages
    double spatten_ratio_4bit = 0.189;
    // The comparison designs' assumptions (compare_baselines; platform/workloads/designs.h,
    // docs/results.md#what-the-papers-1357-x-implies-measured): the defaults are the paper's designs.
    std::string prob_precision = "8bit";  // P x V's probabilities: 8bit | 4bit | query_token (row i at token i's precision)
    uint64_t eyeriss_rows = 14, eyeriss_cols = 16, eyeriss_bits = 16;
    double eyeriss_utilization = 0;       // 0: its dataflow's cycles; else compute = ideal cycles / this
    uint64_t eyeriss_dram_bytes_per_cycle = 0;  // 0: dram.bytes_per_cycle
    bool eyeriss_scores_in_dram = false;  // scores written to DRAM and probabilities read back
    uint64_t spatten_rows = 16, spatten_cols = 22, spatten_pe_bits = 12;
    uint64_t systolic_token_bits = 0;     // 0: the systolic-based design reads DTQAtten's bytes; 8: every kept token 8-bit
    std::string head_mapping = "spread";  // spread: each GEMM over all arrays, heads in turn; head_per_array: a head on one array
};

// A whole model (docs/encoder.md): every layer's Q/K/V projections, fused attention,
// output projection, residual adds, LayerNorms and FFN with GELU, requantized between
// ops, run by the firmware app `encoder` through the command queue; decoder models run
// the prefill and then `decode_tokens` tokens one by one with a KV cache in DRAM.
struct model_workload_config {
    std::string name = "bert-base";
    uint64_t seq = 128;
    uint64_t layers = 0;                // 0 = all of the model's
    uint64_t decode_tokens = 0;         // decoder models: tokens generated after the prefill
    // dtqatten: 0/4/8-bit tokens and top-k | 8bit: every token 8-bit | 4bit: every GEMM operand
    // 4-bit per tensor | vsquant: every GEMM operand VS-Quant 4-bit | dtqatten_vsquant: DTQAtten
    // with VS-Quant 4-bit tokens (docs/vsquant.md#in-the-platform)
    std::string precision = "dtqatten";
    double ratio_pruned = 0.28;         // dtqatten: token ratios (layer 0 from salience, then the top-k engines)
    double ratio_4bit = 0.414;
    double ratio_8bit = 0.306;
    bool accuracy = false;              // functional: each layer against an all-8-bit reference (accuracy proxy)
    std::string input;                  // "" = synthetic; else a .npy file, seq x d_model int8 (the layer-0 input)
    std::string nonlinear = "accelerator";  // accelerator | host: softmax/LayerNorm/GELU on the host CPU (baseline)
    std::string attention = "fused";        // fused: the ATTENTION command | unfused: GEMM, SOFTMAX, GEMM per head (8bit)
    bool outliers = false;                  // synthetic model with outlier channels in the residual stream (docs/encoder.md)
    // none | nm24: weights stored NM24-compressed in DRAM, expanded on the DMA path (docs/compression.md)
    std::string weight_compression = "none";
    double compression_4bit_fraction = 0.5;  // nm24: fraction of each weight's rows stored 4-bit
    // generated: synthetic int8 weights are a generated DRAM range (computed when read, no host
    // pages) | written: generated up front and written into DRAM pages (the reference form)
    std::string weight_store = "generated";
};

// The host CPU's non-linear kernels (workload.model.nonlinear: host): cycles per element
// (docs/timing-model.md#host-cpu-non-linear-ops).
struct host_cpu_config {
    std::string cpu = "native";        // native: sw/ compiled into the VP; rv32: the ELF on the ISS (docs/firmware.md#rv32)
    double cpi = 1.0;                  // rv32: host cycles per retired instruction
    double native_wall_limit_s = 10;   // native: wall seconds without a HAL call before the run stops (exit 3); 0 = off
    uint64_t softmax_cycles_per_element = 70;
    uint64_t layernorm_cycles_per_element = 25;
    uint64_t gelu_cycles_per_element = 60;
};

// A stream of inference requests served by the firmware (workload.kind model,
// docs/batching.md): an explicit list, or `count` generated ones (arrivals every
// `interarrival_us`, fixed or seeded exponential; sequence lengths drawn, seeded, from `seq`).
struct request_entry {
    double at_us = 0;  // arrival, simulated microseconds from the start
    uint64_t seq = 0;  // tokens
};
struct requests_config {
    std::vector<request_entry> list;  // workload.requests.list
    uint64_t count = 0;               // generator: number of requests (0 = use list)
    double interarrival_us = 0;       // generator: mean time between arrivals
    std::string arrival = "fixed";    // fixed | exponential (seeded)
    double start_us = 0;              // generator: the first arrival
    std::vector<uint64_t> seq;        // generator: sequence lengths, each request draws one (seeded, uniform)
    bool any() const { return !list.empty() || count != 0; }
};
// How the firmware forms batches of waiting requests (docs/batching.md#policies).
struct batching_config {
    std::string policy = "single";  // single | fixed | dynamic
    uint64_t batch_size = 4;        // fixed: requests per batch (padded to the longest)
    uint64_t token_budget = 512;    // dynamic: most tokens of one batch (packed)
    uint64_t buffer_bytes = 0;      // dynamic: most activation-buffer bytes of one batch (0 = no limit)
    double max_wait_us = 0;         // fixed, dynamic: launch a batch that is not full once its oldest request waited this long
};

// One GEMM of workload.kind gemm (docs/workloads.md#gemm-lists): C[M x N] = A[M x K] B[K x N].
// Precision of A's rows: uniform 4 or 8, seeded ratios of 0/4/8-bit rows, or an explicit list
// of M values; B's columns: all 8-bit or all 4-bit (the GEMM command's layout.B_4BIT).
struct gemm_entry {
    std::string name;
    uint64_t m = 0, n = 0, k = 0;
    std::string a_precision;            // "" = workload.gemm.a_precision; 4 | 8 | ratios | list
    std::vector<double> ratios;         // a_precision ratios: pruned, 4-bit, 8-bit (empty = workload.gemm.ratio_*)
    std::vector<uint8_t> a_prec;        // a_precision list: M values 0, 4 or 8
    uint64_t b_bits = 0;                // 0 = workload.gemm.b_bits
};
struct gemm_workload_config {
    std::vector<gemm_entry> list;       // workload.gemm.list
    std::string topology;               // a SCALE-Sim GEMM topology CSV (name, M, N, K,) instead of list
    std::string scalesim_config;        // a SCALE-Sim .cfg: ArrayHeight/ArrayWidth/Dataflow/SRAM sizes (docs/workloads.md)
    std::string a_precision = "8";      // default of every GEMM: 4 | 8 | ratios
    std::string topk_scores = "importance";  // a_precision topk: importance (DTQAtten) | random (the ablation)
    double ratio_pruned = 0.28, ratio_4bit = 0.414, ratio_8bit = 0.306;  // a_precision ratios (DTQAtten's averages)
    uint64_t b_bits = 8;                // 4 | 8
    bool check = true;                  // functional: compare every C with a plain-loop reference (exit 1 on a mismatch)
};

// An ONNX graph (workload.kind onnx, docs/workloads.md#onnx-graphs): its MatMul / Gemm nodes
// run as GEMM commands with the precisions of workload.gemm.
struct onnx_workload_config {
    std::string model;     // .onnx file (relative to the scenario file, or to the working directory with --set)
    uint64_t seq = 128;    // replaces the symbolic dimensions not named batch* (those become 1)
    std::string input;     // functional: float32 .npy sample of the graph's first input (calibration); "" = seeded N(0, 1)
    // gemm: only the MatMul / Gemm nodes run (GEMM commands); integer: the whole graph as the
    // encoder recipe's integer pipeline (the encoder firmware; docs/workloads.md#integer-pipeline)
    std::string pipeline = "gemm";
};

struct workload_config {
    std::string kind = "dma_stream";
    std::string firmware_app = "selftest";  // kind firmware: the app of sw/apps the host runs
    std::string firmware_elf;               // kind firmware: an rv32 ELF to run instead (implies host.cpu rv32); resolved path
    std::string firmware_args;              // rv32: the program's arguments (argv[1..]), separated by spaces
    dma_stream_config dma_stream;
    attention_study_config attention;
    model_workload_config model;
    requests_config requests;
    batching_config batching;
    gemm_workload_config gemm;
    onnx_workload_config onnx;
};

struct vssa_scenario_config {
    uint64_t rows = 16, cols = 16, arrays = 1;
    bool reorder = true;
    uint64_t threads = 1;
    bool gemm_memo = true;              // timing mode: reuse the results of GEMMs timed before
    std::string backend = "model";      // model | rtl | lockstep (docs/cosim.md)
    std::string fault = "none";         // test only: none | cycle | result_bit (docs/cosim.md)
    uint64_t fault_tile = 0;            // the tile the fault hits
    std::string schedule = "round_robin";  // round_robin, greedy, balanced (vssa::tile_schedule)
};

// The VS-Quant PE variant (docs/vsquant.md): used by GEMM and ATTENTION commands that
// select VS-Quant, and by the model loader's offline weight quantization.
struct vsquant_scenario_config {
    uint64_t vector_size = 16;  // V
    uint64_t scale_bits = 8;    // M: 4, 6 or 8
};

// The softmax unit (docs/softermax.md): ibert (i-softmax) or softermax.
struct softmax_scenario_config {
    std::string mode = "ibert";
    uint64_t lanes = 16;  // elements per cycle of the vector unit (ibert::vector_unit_config::lanes)
};

// Energy, power and area (docs/energy.md): the technology table and per-entry overrides.
struct energy_scenario_config {
    std::string tech = "40nm";                // a shipped table (40nm, 45nm, 28nm) or a .yaml file
    std::map<std::string, double> override;   // entry -> value, applied after the table
    std::string designs_pe = "activity";      // the comparison designs' PE energy: activity | power_x_latency
};

struct watchdog_config {
    uint64_t timeout_cycles = 1000000000;  // no real progress for this long stops the run (exit 3)
};

// The run budget (docs/user-guide.md#run-budget): every run stops, with exit code 3 and a
// dump of the units' state, once it has simulated max_cycles or run wall_seconds of
// wall-clock time, whatever the workload (firmware included). 0 = no limit.
struct budget_config {
    uint64_t max_cycles = 10000000000000ull;  // 1e13 cycles: 10^4 s of simulated time at 1 GHz
    uint64_t wall_seconds = 3600;
};

// Registers the Verilated VSSA backend when the build has it (idempotent); returns
// whether vssa.backend rtl / lockstep can run.
bool install_vssa_backends();

// Fault injection for firmware developers (docs/firmware.md#fault-injection); 0 = off.
struct fault_config {
    uint64_t dma_error_at_command = 0;    // the N-th DMA command (1 = the first) gets an error response, once
    uint64_t dma_error_address = 0;       // every DMA transaction touching this bus address gets an error response
    uint64_t reg_read_error_address = 0;  // reads of this register (bus address) get an error response
    uint64_t reg_read_error_count = 1;    // how many of those reads fail (0 = every one)
    bool any() const { return dma_error_at_command || dma_error_address || reg_read_error_address; }
};

struct scenario_config {
    std::string name;                 // required
    std::string description;
    uint64_t seed = 1;
    sim_mode mode = sim_mode::functional;
    uint64_t clock_mhz = 1000;
    dram_config dram;
    l2_config l2;
    bus_config bus;
    dma_config dma;
    // banks: the scratchpad's four quarters (two operand panels x double buffering), the line
    // buffers' and the accumulator's two halves (docs/timing-model.md#blocks)
    local_memory_config scratchpad{256 << 10, 16, 1, 4};
    local_memory_config linebuf{64 << 10, 64, 1, 2};  // each of the Q, K and V line buffers
    local_memory_config accumulator{128 << 10, 64, 1, 2};
    vssa_scenario_config vssa;
    vsquant_scenario_config vsquant;
    wcomp::timing decompressor;       // the NM24 decompressor on the DMA path
    bool buffer_two_direction = false;  // buffer.two_direction: scratchpad and line buffers read by rows and by columns
    bool buffer_port_contention = true;  // buffer.port_contention: blocks and the DMA wait for a local memory's busy banks
    softmax_scenario_config softmax;
    workload_config workload;
    watchdog_config watchdog;
    budget_config budget;
    fault_config faults;
    host_cpu_config host;
    energy_scenario_config energy;

    uint64_t clock_period_ps() const { return 1000000 / clock_mhz; }
    // Where each key was set ("file:line:col" or "--set key=value"); "" -> the scenario file.
    std::map<std::string, std::string> origin;
    std::string origin_of(const std::string& key) const {
        auto it = origin.find(key);
        if (it != origin.end()) return it->second;
        it = origin.find("");
        return it != origin.end() ? it->second : std::string("scenario");
    }
};

class config_error : public std::runtime_error {
public:
    // At most MAX_MESSAGES messages are kept; `suppressed` counts the others.
    static constexpr size_t MAX_MESSAGES = 50;
    explicit config_error(std::vector<std::string> messages, size_t suppressed = 0);
    const std::vector<std::string>& messages() const { return m_messages; }
    size_t suppressed() const { return m_suppressed; }
    size_t count() const { return m_messages.size() + m_suppressed; }

private:
    std::vector<std::string> m_messages;
    size_t m_suppressed = 0;
};

// YAML helpers shared by the scenario and sweep loaders: reads a file as exactly one YAML
// document (a second `---` document is an error), refuses a path that is a directory, a
// FIFO or a device, and reports duplicate mapping keys (anywhere in the tree) as errors
// `file:line:col: key: duplicate key (first at line L, column C)`. `who` prefixes the
// messages about the path (an include's position), may be empty.
YAML::Node load_yaml_file(const std::string& file, const std::string& who, std::vector<std::string>& errors, bool& ok);
void check_duplicate_keys(const YAML::Node& node, const std::string& file, const std::string& prefix,
                          std::vector<std::string>& errors);
// The closest of `candidates` to `word` by edit distance, or "" when none is close.
std::string closest_word(const std::string& word, const std::vector<std::string>& candidates);

// One configuration key: how to read it, how to echo it, how to document it.
struct param {
    std::string path, type, unit, range, description;
    bool required = false;
    // Reads the node into the config; returns "" or what was expected.
    std::function<std::string(scenario_config&, const YAML::Node&)> set;
    std::function<nlohmann::json(const scenario_config&)> get;
};


class config_schema {
public:
    static const config_schema& get();

    // Loads a scenario file (with its includes) and applies `key.path=value` overrides.
    // Throws config_error with every problem found.
    scenario_config load(const std::string& path, const std::vector<std::string>& overrides = {}) const;
    // Parses YAML text (for tests); `origin` names it in messages.
    scenario_config load_string(const std::string& yaml, const std::string& origin,
                                const std::vector<std::string>& overrides = {}) const;
    void apply_override(scenario_config& c, const std::string& assignment) const;
    // Reads `path` once (throws config_error); the function returns load(path, overrides)
    // without reading the file again (a sweep validates every point with it).
    std::function<scenario_config(const std::vector<std::string>&)> preload(const std::string& path) const;

    nlohmann::json to_json(const scenario_config& c) const;
    std::string markdown() const;  // docs/config.md
    const std::vector<std::shared_ptr<param>>& params() const { return m_params; }

private:
    config_schema();
    std::vector<std::shared_ptr<param>> m_params;
};

const char* to_string(sim_mode m);

}  // namespace dtq
