// Energy, power and area (docs/energy.md): an Accelergy-style model. A technology table
// (scenarios/presets/tech/*.yaml, data, every entry with its source) gives energy per
// primitive action (an add, a multiply, an SRAM byte, a DRAM bit, ...), leakage density
// and standard-cell areas; each unit's actions are counted by the unit itself as
// statistics; after the run a pass over those named counters multiplies counts by
// energies and registers energy.*, power.*, perf.* and area.* statistics. Nothing here
// hooks into a unit: a counter that does not exist counts 0, so any run gets energy.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/stats.h"

namespace dtq::energy {

// A bad technology file or override: every message names the file (line:col) or the key.
class tech_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct entry {
    double value = 0;
    std::string unit;
    std::string scale;   // energy | area | none: how it moves to another node
    std::string source;  // where the number comes from
};

struct tech_table {
    std::string name;     // "40nm"
    std::string origin;   // the file (or "built-in 40nm.yaml") it was read from
    double node_nm = 0, vdd = 0;
    double energy_scale = 1, area_scale = 1;  // applied to the base's entries (derive_from), 1 for a base
    std::map<std::string, entry> entries;
    // Value of an entry; throws tech_error naming the table when it is missing.
    double at(const std::string& key) const;
};

// Names of the shipped tables (compiled in from scenarios/presets/tech/).
std::vector<std::string> shipped_tables();
// Loads `name_or_path`: a shipped name ("40nm") or a YAML file; a table with `derive_from`
// reads that base (a shipped name or a file next to it) and scales its entries by the rule
// of docs/energy.md#nodes, then applies its own `entries`. `overrides` (entry -> value) are
// applied last; an unknown entry is an error naming the closest one.
tech_table load_table(const std::string& name_or_path, const std::map<std::string, double>& overrides = {});

// ---- primitive costs (docs/energy.md#entries) ----------------------------------------------
double mul_pj(const tech_table& t, double bits);       // signed n x n multiply: int_mul_8_pj x (n/8)^2
double sram_pj_per_byte(const tech_table& t, double bytes);  // read; CACTI-style sqrt(capacity) rule
double sram_area_mm2(const tech_table& t, double bytes);
double dram_pj_per_bit(const tech_table& t);

// Area of one yosys design (rtl_area.h) in um2: sum of cells x cell area / placement utilization.
double design_area_um2(const tech_table& t, const std::string& design);
// The designs tools/rtl_area.py synthesized (vssa_pe, mac4, mac8, mac12, mac16, mul4, ...).
std::vector<std::string> designs();
// Cell count of a design (for reports and tests).
uint64_t design_cells(const std::string& design);

// `dtqvp area`: every synthesized design's cells and area, and the ratios docs/energy.md#area
// discusses, as a table (or JSON).
std::string area_report(const tech_table& t, bool json);

// What the platform is made of (sizes of the SRAMs, PEs).
struct platform_shape {
    uint64_t pes = 0, rows = 1, cols = 1;  // all arrays' PEs; one array's rows and columns
    uint64_t scratchpad = 0, accumulator = 0, linebuf = 0;  // bytes (linebuf: each of Q, K, V)
    uint64_t l2 = 0, l2_line = 64;          // 0 = no L2
    uint64_t dram_banks = 0;                // banks of the open-row DRAM model (0 = dram.banks.enabled false)
    uint64_t clock_mhz = 1000;
    // energy.designs_pe = power_x_latency: the comparison designs' PEs priced at their busy
    // cycle's energy every cycle of the run (docs/energy.md#comparison-designs).
    bool designs_power_x_latency = false;
};

// The per-action energy of the VSSA for a set of counts (also used for the baselines).
struct vssa_counts {
    double busy_pe_cycles = 0, stall_pe_cycles = 0;
    double macs_4x4 = 0, macs_8x4 = 0, macs_8x8 = 0;
};
struct vssa_energy {
    double nibble_pj = 0, operand_pj = 0, stall_pj = 0, feed_pj = 0;
    double total() const { return nibble_pj + operand_pj + stall_pj + feed_pj; }
};
// feed_pj_per_byte: the SRAM the operands stream from (line buffers or scratchpad).
vssa_energy vssa_energy_of(const tech_table& t, const platform_shape& s, const vssa_counts& c, double feed_pj_per_byte);

// The post-run pass. Construct after the run; it reads the registry and registers its groups
// (energy, power, perf, area) whose values are fixed at construction.
class model {
public:
    model(tech_table table, const platform_shape& shape);
    ~model();
    model(const model&) = delete;
    model& operator=(const model&) = delete;

    // Energy (pJ) of every unit and action from the registry's current counters.
    std::map<std::string, double> actions_pj() const;
    // Registers the statistics for a run of `cycles` cycles.
    void finish(uint64_t cycles);
    const tech_table& table() const { return m_table; }
    double area_mm2(const std::string& unit) const;  // "vssa", "scratchpad", ..., "total"

private:
    tech_table m_table;
    platform_shape m_shape;
    std::map<std::string, double> m_area_mm2;
    std::vector<std::unique_ptr<stat_group>> m_groups;
};

}  // namespace dtq::energy
