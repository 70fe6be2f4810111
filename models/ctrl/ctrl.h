// DTQAtten controller: the register window (regmap.yaml), the command ring in DRAM, the
// decoder/validator and the dispatcher, the interrupt line and the performance counters.
//
// Firmware writes 64-byte descriptors into a ring in DRAM, advances CMD_TAIL and writes
// DOORBELL; one SC_THREAD fetches each descriptor through `mem`, validates every field
// against the map and the limits, and runs it through the handler platform/ registered
// for its opcode (for example DMA -> dtq::dma::transfer). An opcode without a handler is
// decoded, validated and timed with the placeholder cost documented in regmap.yaml. A bad
// command stops the queue at that command with ERR_CODE/ERR_ADDR/ERR_CMD_INDEX and the
// error interrupt. Timing: docs/registers.md "Controller timing".
#pragma once
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/stats.h"
#include "ctrl/irq.h"
#include "ctrl/register_bank.h"
#include "ctrl/regs_gen.h"

namespace dtq {

// A fetched descriptor, as a handler sees it.
struct command {
    uint32_t index = 0;        // ring index
    uint64_t address = 0;      // bus address of the descriptor
    uint8_t opcode = 0;
    uint8_t flags = 0;
    uint32_t tag = 0;
    uint64_t start_cycle = 0;  // cycle the command may start (decode done); == now in the handler
    std::array<uint8_t, regs::desc::SIZE> raw{};

    // Little-endian field readers by descriptor offset (regs::desc::<opcode>::<FIELD>).
    uint64_t u64(uint32_t off) const { return get<uint64_t>(off); }
    uint32_t u32(uint32_t off) const { return get<uint32_t>(off); }
    uint16_t u16(uint32_t off) const { return get<uint16_t>(off); }

private:
    template <class T>
    T get(uint32_t off) const {
        T v = 0;
        for (unsigned i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(raw[off + i]) << (8 * i));
        return v;
    }
};

// What a handler reports back.
struct command_outcome {
    uint32_t error = regs::err::NONE;  // an ERR_* code; NONE = success
    uint64_t error_address = 0;
    // Completion cycle when the handler did not wait (temporal decoupling); 0 = the
    // command completes when the handler returns.
    uint64_t done_cycle = 0;
    std::array<uint64_t, regs::UNIT_COUNT> busy{};  // busy cycles per unit (PERF_*_BUSY)
    uint64_t stall_cycles = 0;                      // VSSA stall cycles (PERF_STALL_CYCLES)
    uint64_t dram_bytes_read = 0;                   // used when no DRAM counter hook is set
    uint64_t dram_bytes_written = 0;
};

// Called from the controller's SC_THREAD: it may wait() (blocking units) or return a
// done_cycle in the future.
using command_handler = std::function<command_outcome(const command&)>;

// A memory region command operands may lie in.
struct ctrl_region {
    std::string name;
    uint64_t base = 0;
    uint64_t size = 0;  // bytes actually backed (operands must fit)
    regs::region_kind kind = regs::region_kind::dram;
    bool contains(uint64_t a) const { return a >= base && a - base < size; }
};

// Bits of descriptor fields the decoder and the units interpret (regmap.yaml docs).
namespace cmd_bits {
inline constexpr uint32_t GEMM_B_ROW_MAJOR = 1u;  // GEMM layout bit 0
inline constexpr uint32_t GEMM_B_4BIT = 2u;       // GEMM layout bit 1
inline constexpr uint32_t GEMM_VSQ = 4u;          // GEMM layout bit 2
inline constexpr uint32_t GEMM_WCOMP = 8u;        // GEMM layout bit 3
inline constexpr uint32_t GEMM_BIAS = 16u;        // GEMM layout bit 4
inline constexpr uint32_t GEMM_LAYOUT_ALL = 31u;
inline constexpr uint32_t REQUANT_PER_CHANNEL = 1u;  // REQUANT param2 bit 0
inline constexpr uint32_t REQUANT_RELU = 2u;         // REQUANT param2 bit 1
inline constexpr uint32_t ATTN_CAUSAL = 1u;       // ATTENTION mode bit 0
inline constexpr uint32_t ATTN_VSQ = 2u;          // ATTENTION mode bit 1
inline constexpr uint32_t ATTN_MODE_ALL = 3u;
}  // namespace cmd_bits

// The VS-Quant PE's parameters (scenario keys vsquant.*): the size of a GEMM's b_scales
// operand depends on them.
struct vsq_geometry {
    uint32_t vector_size = 16;  // V
    uint32_t scale_bits = 8;    // M
    // Bytes of b_scales for N channels of K: N u32 channel maxima + N rows of packed scales.
    uint64_t b_scales_bytes(uint64_t n, uint64_t k) const {
        return n * 4 + n * (((k + vector_size - 1) / vector_size * scale_bits + 7) / 8);
    }
};

struct ctrl_config {
    uint64_t ctrl_base = regs::CTRL_BASE;  // bus address of the register window (ERR_ADDR of register errors)
    vsq_geometry vsq;                      // for the extent of a GEMM's b_scales
    // Defaults: every memory region of the address map at its full window size.
    // platform/ sets the sizes it actually instantiates (set_region_size).
    std::vector<ctrl_region> regions = default_regions();

    static std::vector<ctrl_region> default_regions();
    // Throws std::invalid_argument for an unknown name.
    void set_region_size(const std::string& name, uint64_t size);
};

class ctrl : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<ctrl> in;      // register window (local offsets 0..CTRL_SIZE)
    tlm_utils::simple_initiator_socket<ctrl> mem;  // descriptor fetches (to the bus)
    irq_out irq;                                   // to the host: (IRQ_STATUS & IRQ_ENABLE) != 0

    SC_HAS_PROCESS(ctrl);
    ctrl(const sc_core::sc_module_name& name, const ctrl_config& cfg, const clock& clk);
    ctrl(const ctrl&) = delete;
    ctrl& operator=(const ctrl&) = delete;

    // Everything back to reset values (same as CTRL.SOFT_RESET).
    void reset();

    // platform/: executes `opcode` (replaces the placeholder timing).
    void set_handler(uint8_t opcode, command_handler h);
    const command_handler& handler(uint8_t opcode) const { return m_handlers[opcode]; }
    // Fault injection (platform/, scenario keys faults.*): asked for every register access
    // that passes the width/alignment checks; true fails it like a misuse
    // (TLM_GENERIC_ERROR_RESPONSE, ERR_CODE = REG_ACCESS, ERR_ADDR = the register address).
    void set_access_fault(std::function<bool(bool is_read, uint32_t offset)> fault) { m_access_fault = std::move(fault); }
    // platform/: DRAM byte counters (PERF_DRAM_*); without them the controller counts its
    // own descriptor reads plus the bytes handlers report.
    void set_dram_counters(std::function<uint64_t()> bytes_read, std::function<uint64_t()> bytes_written);
    // Called after every command completes (cycle of completion), and after a command fails.
    void on_complete(std::function<void(const command&, uint64_t cycle)> fn) { m_on_complete = std::move(fn); }

    // Side-effect-free register read (offset in the window), for tests and dumps.
    uint32_t peek(uint32_t offset) const { return m_regs.peek(offset); }
    bool idle() const { return !m_busy && !pending(); }
    bool busy() const { return m_busy; }  // a command is being fetched or executed
    // --vcd: records every change of the irq line, busy and every register (as a read
    // returns it: status, error and performance counters too), sampled at every register
    // access and at the start and end of every command, at the cycle it happens; write_vcd
    // writes them with a 1 ps timescale, so any clock period is exact (docs/user-guide.md#waveforms).
    void record_waveform();
    void write_vcd(const std::string& path) const;  // throws output_error (temporary + rename)
    // One line per register, for the watchdog's state dump.
    std::string dump() const;
    const ctrl_config& config() const { return m_cfg; }

    // The command decoder, free of state and of SystemC (tests and fuzz/ call it directly):
    // checks a fetched descriptor against the register map, the limits and `regions`;
    // returns an ERR_* code (NONE = valid) and in `bad` the address ERR_ADDR reports.
    static uint32_t validate(const command& c, const std::vector<ctrl_region>& regions, uint64_t& bad,
                             const vsq_geometry& vsq = {});
    // Placeholder cost of an opcode without a handler (regmap.yaml `cost`).
    static uint64_t placeholder_cycles(const command& c);

private:
    void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
    unsigned transport_dbg(tlm::tlm_generic_payload& tx);
    void build_registers();
    void run();
    bool pending() const;
    bool ring_ok() const;
    uint64_t ring_base() const;
    uint32_t ring_size() const;
    void execute(uint32_t index);
    const ctrl_region* region_of(uint64_t addr) const;
    void trace_command(const command& c, uint64_t from, uint64_t to, uint32_t error) const;
    void wave_sample(uint64_t cycle) const;  // records the signals that changed since the last sample
    struct wave_change {
        uint64_t cycle;
        uint32_t signal, value;
    };
    mutable bool m_wave_on = false;
    mutable uint64_t m_wave_cycle = 0;
    mutable std::vector<uint32_t> m_wave_last;
    mutable std::vector<wave_change> m_wave;
    void latch_error(uint32_t code, uint64_t addr, uint32_t index);
    void raise(uint32_t irq_bits);
    void update_irq();
    void kick(const sc_core::sc_time& delay);
    void wait_until(uint64_t cycle);
    uint64_t dram_read() const;
    uint64_t dram_written() const;

    ctrl_config m_cfg;
    clock m_clk;
    register_bank m_regs;
    std::array<command_handler, 256> m_handlers;
    std::function<uint64_t()> m_dram_rd_hook, m_dram_wr_hook;
    std::function<void(const command&, uint64_t)> m_on_complete;
    std::function<bool(bool, uint32_t)> m_access_fault;
    sc_core::sc_event m_kick;
    bool m_armed = false;   // doorbell rung, queue not drained yet
    bool m_busy = false;    // a command is being fetched or executed
    uint64_t m_generation = 0;  // bumped by a soft reset: a command in flight is dropped
    uint64_t m_ready_cycle = 0; // cycle of the last doorbell/tail write (no command starts before it)
    sc_core::sc_time m_access_delay;  // annotation of the register access being served

    // performance counters (registers read them, PERF_CLEAR zeroes them)
    std::array<uint64_t, regs::UNIT_COUNT> m_perf_busy{};
    uint64_t m_perf_cmds = 0, m_perf_stall = 0, m_perf_ctrl_busy = 0;
    uint64_t m_own_dram_rd = 0, m_own_dram_wr = 0;   // without hooks
    uint64_t m_dram_rd_base = 0, m_dram_wr_base = 0; // hook values at the last clear

    stat_group m_stats;
    uint64_t& m_commands;
    uint64_t& m_errors;
    uint64_t& m_reg_reads;
    uint64_t& m_reg_writes;
    uint64_t& m_reg_errors;
    uint64_t& m_interrupts;
    uint64_t& m_busy_cycles;
    uint64_t& m_unhandled;
};

}  // namespace dtq
