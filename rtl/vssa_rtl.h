// The Verilated VSSA array (rtl/vssa_array.sv) as a tile backend: the same run_tile as the
// C++ model (models/vssa/tile_model.h), driven as a plain C++ object (clk 0/1, eval), no
// SystemC. This wrapper is the only code that sees the Verilated class. docs/cosim.md.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "vssa/tile_model.h"

namespace dtq::vssa {

class vssa_rtl final : public tile_backend {
public:
    static const int max_rows;  // size of the Verilated instance (rtl/CMakeLists.txt)
    static const int max_cols;
    static const int max_k;

    vssa_rtl();
    ~vssa_rtl() override;
    vssa_rtl(const vssa_rtl&) = delete;
    vssa_rtl& operator=(const vssa_rtl&) = delete;

    // Runs one tile cycle by cycle. Timing mode (null operands) runs on zeros. Throws
    // std::invalid_argument for tiles the model rejects or larger than the instance, and
    // std::logic_error if the RTL breaks its own protocol (no done within the bound).
    tile_result run_tile(const tile_job& job) override;
    // Runs the tile once more on a fresh instance with a VCD written to vcd_path.
    bool trace_tile(const tile_job& job, const std::string& vcd_path) override;
    const char* name() const override { return "rtl"; }

    uint64_t simulated_cycles() const;  // clock cycles run by this instance so far

private:
    struct impl;
    std::unique_ptr<impl> m;
};

// Registers vssa_rtl as the engine's rtl backend (pe_backend::rtl / lockstep).
void install_rtl_backend();

}  // namespace dtq::vssa
