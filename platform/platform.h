// The whole system: instantiate, map, bind, run, report. The only code that knows
// every unit (ARCHITECTURE.md "Layout").
#pragma once
#include <memory>
#include <string>

#include "common/clock.h"
#include "ctrl/ctrl.h"
#include "host/host.h"
#include "dma/dma.h"
#include "memory/bus.h"
#include "memory/dram.h"
#include "memory/l2.h"
#include "memory/local_memory.h"
#include "decompressor/decompressor_block.h"
#include "fetcher/fetcher_block.h"
#include "normact/normact_block.h"
#include "platform/sequencer/attention_layer.h"
#include "platform/sequencer/compute_ops.h"
#include "platform/config/config.h"
#include "softmax/softmax_block.h"
#include "topk/topk_block.h"
#include "vssa/vssa_block.h"

namespace dtq {

struct run_options {
    std::string out_dir;   // stats.json goes here ("" = do not write)
    bool quiet = false;    // no summary, no progress
    bool progress = false; // progress line on stderr
    std::string trace_file;          // Chrome trace JSON ("" = no trace)
    uint64_t trace_max_events = 1000000;
    std::string vcd_file;            // controller waveform ("" = none)
    std::string rtl_vcd_file;        // waveform of one VSSA RTL tile (rtl / lockstep backends)
    uint64_t rtl_vcd_tile = 0;       // which: index over all RTL tiles of the run
    uint16_t gdb_port = 0;           // host.cpu rv32: wait for GDB on localhost:port (0 = no debugger)
};

// Exit codes of `dtqvp` (docs/user-guide.md#exit-codes).
enum exit_code : int { EXIT_OK = 0, EXIT_CHECK_FAILED = 1, EXIT_BAD_CONFIG = 2, EXIT_SIM_ERROR = 3 };

class workload;
class watchdog;
class run_budget;
class power_sampler;
namespace energy {
class model;
}
class fault_injector;

class platform {
public:
    explicit platform(const scenario_config& cfg);
    ~platform();
    platform(const platform&) = delete;
    platform& operator=(const platform&) = delete;

    // Runs the scenario's workload to completion; returns an exit_code.
    int run(const run_options& opt);

    const scenario_config& config() const { return m_cfg; }
    // Backdoor access to DRAM by bus address (loaders and tests): no timing, no statistics.
    void write_dram(uint64_t addr, const void* src, uint64_t len);
    void read_dram(uint64_t addr, void* dst, uint64_t len) const;
    void generate_dram(uint64_t addr, uint64_t len, sparse_store::fill_fn fill);  // dram::generate
    const attention_layer& attention() const { return *m_attention; }
    const class gemm_workload_run* gemm_workload() const { return m_gemm.get(); }  // workloads gemm, onnx (else null)
    dtq::clock clk;

private:
    scenario_config m_cfg;

    dtq::bus m_bus;
    dtq::dram m_dram;
    std::unique_ptr<dtq::l2> m_l2;
    local_memory m_scratchpad;
    local_memory m_accumulator;
    local_memory m_qbuf, m_kbuf, m_vbuf;  // the fetcher's line buffers
    dtq::dma m_dma;
    dtq::ctrl m_ctrl;
    dtq::host m_host;
    // The compute blocks (docs/architecture.md): each answers jobs on its `in` socket.
    std::unique_ptr<fetcher::block> m_fetcher;
    std::unique_ptr<vssa::block> m_vssa;
    std::unique_ptr<softmax::block> m_softmax;
    std::unique_ptr<normact::block> m_normact;
    std::unique_ptr<topk::block> m_topk;
    std::unique_ptr<wcomp::block> m_decompressor;
    // The sequencer: the command handlers that drive the blocks through their sockets.
    std::unique_ptr<attention_layer> m_attention;
    std::unique_ptr<compute_ops> m_compute;     // GEMM and the vector commands
    std::unique_ptr<class op_accounting> m_ops; // per-op statistics by descriptor tag (workload model)
    std::unique_ptr<struct model_run> m_model;  // workload model: the instance, layout and results
    bool m_fw_watchdog = false;  // the firmware waited for an interrupt longer than the watchdog
    uint64_t m_fw_waited = 0;    // cycles that WFI had waited when the watchdog stopped it
    std::string m_setup_error;   // host.cpu rv32: the ELF could not be loaded (reported by run, exit 2)
    static std::string rv32_app_elf(const std::string& app);
    std::unique_ptr<fault_injector> m_faults;  // faults.*: between the DMA and the bus (else null)

private:
    static ctrl_config ctrl_config_of(const scenario_config& c);
    static host_config host_config_of(const scenario_config& c);
    int run_firmware(const run_options& opt, const nlohmann::json& j);
    void load_attention_inputs();  // firmware app `attention`: inputs and boot arguments in DRAM
    void load_model();             // workload model: the firmware app `encoder`'s inputs
    void write_deferred_weights(uint64_t l, const uint64_t* w, std::vector<int8_t> (&buf)[2]);  // load_model: one layer's weights
    void write_weight(uint64_t at, int i, const std::vector<int8_t>& matrix);                     // one matrix's DRAM image
    void account_command(const command& c, uint64_t start, const command_outcome& o, uint64_t dram_device_bytes);
    int finish_model(const run_options& opt);  // accuracy proxy, model.* statistics
    int finish_onnx(const run_options& opt);   // the imported graph's integer pipeline: bit-exact check, accuracy, onnx.* statistics
    bool runs_model() const {                  // the encoder firmware runs: kind model, or kind onnx with pipeline integer
        return m_cfg.workload.kind == "model" || (m_cfg.workload.kind == "onnx" && m_cfg.workload.onnx.pipeline == "integer");
    }
    std::unique_ptr<struct onnx_pipeline> m_onnx;  // kind onnx, pipeline integer: the recognised graph, its scales, float outputs
    int finish_stream(const run_options& opt);  // a request stream: serve.* statistics, requests.json

    uint64_t firmware_progress();
    std::string state_dump() const;  // every unit's state, for a stopped run
    int stopped(const run_options& opt);  // the budget or the watchdog stopped the run: report, exit code

    std::unique_ptr<class gemm_workload_run> m_gemm;  // workload gemm: the GEMM list, its layout and records
    std::unique_ptr<workload> m_driver;
    std::unique_ptr<watchdog> m_watchdog;
    std::unique_ptr<run_budget> m_budget;
    uint64_t m_busy_ticks = 0;
    std::unique_ptr<energy::model> m_energy;         // energy, power, area (docs/energy.md)
    std::unique_ptr<power_sampler> m_power_sampler;  // the trace's power track (--trace only)
};

}  // namespace dtq
