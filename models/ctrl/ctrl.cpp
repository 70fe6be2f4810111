#include "ctrl/ctrl.h"
#include "common/output_file.h"

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "common/timing_only.h"
#include "common/trace.h"
#include "decompressor/wcomp.h"

#include <stdexcept>

namespace dtq {

using namespace sc_core;
namespace r = regs;

std::vector<ctrl_region> ctrl_config::default_regions() {
    std::vector<ctrl_region> v;
    for (const auto& m : r::ADDRESS_MAP)
        if (m.kind == r::region_kind::local || m.kind == r::region_kind::linebuf || m.kind == r::region_kind::dram)
            v.push_back({m.name, m.base, m.size, m.kind});
    return v;
}

void ctrl_config::set_region_size(const std::string& name, uint64_t size) {
    for (auto& g : regions)
        if (g.name == name) {
            g.size = size;
            return;
        }
    throw std::invalid_argument("ctrl: no region named " + name);
}

ctrl::ctrl(const sc_module_name& name, const ctrl_config& cfg, const clock& clk)
    : sc_module(name),
      in("in"),
      mem("mem"),
      m_cfg(cfg),
      m_clk(clk),
      m_stats(this->name()),
      m_commands(m_stats.counter("commands", "count", "commands completed without error")),
      m_errors(m_stats.counter("errors", "count", "errors latched or reported (commands, registers, ring)")),
      m_reg_reads(m_stats.counter("reg_reads", "count", "register reads through the bus")),
      m_reg_writes(m_stats.counter("reg_writes", "count", "register writes through the bus")),
      m_reg_errors(m_stats.counter("reg_errors", "count", "register accesses answered with a TLM error")),
      m_interrupts(m_stats.counter("interrupts", "count", "rising edges of the IRQ line")),
      m_busy_cycles(m_stats.counter("busy_cycles", "cycles", "cycles with a command in flight (fetch to completion)")),
      m_unhandled(m_stats.counter("placeholder_commands", "count",
                                  "commands timed with the placeholder cost (no handler registered)")) {
    in.register_b_transport(this, &ctrl::b_transport);
    in.register_transport_dbg(this, &ctrl::transport_dbg);
    build_registers();
    reset();
    SC_THREAD(run);
}

void ctrl::set_handler(uint8_t opcode, command_handler h) { m_handlers[opcode] = std::move(h); }

void ctrl::set_dram_counters(std::function<uint64_t()> bytes_read, std::function<uint64_t()> bytes_written) {
    m_dram_rd_hook = std::move(bytes_read);
    m_dram_wr_hook = std::move(bytes_written);
    m_dram_rd_base = m_dram_rd_hook ? m_dram_rd_hook() : 0;
    m_dram_wr_base = m_dram_wr_hook ? m_dram_wr_hook() : 0;
}

uint64_t ctrl::dram_read() const { return m_dram_rd_hook ? m_dram_rd_hook() - m_dram_rd_base : m_own_dram_rd; }
uint64_t ctrl::dram_written() const { return m_dram_wr_hook ? m_dram_wr_hook() - m_dram_wr_base : m_own_dram_wr; }

void ctrl::reset() {
    m_regs.reset();
    m_armed = false;
    m_ready_cycle = 0;
    ++m_generation;
    m_perf_busy.fill(0);
    m_perf_cmds = m_perf_stall = m_perf_ctrl_busy = 0;
    m_own_dram_rd = m_own_dram_wr = 0;
    m_dram_rd_base = m_dram_rd_hook ? m_dram_rd_hook() : 0;
    m_dram_wr_base = m_dram_wr_hook ? m_dram_wr_hook() : 0;
    update_irq();
}

// ---- registers: every side effect is in a callback here (regmap.yaml says what they do)
void ctrl::build_registers() {
    m_regs.on_write(r::CTRL, [this](uint32_t v) {
        if (v & r::CTRL_SOFT_RESET_MASK) {
            reset();
            return;
        }
        const bool was_enabled = m_regs.value(r::CTRL) & r::CTRL_ENABLE_MASK;
        m_regs.store(r::CTRL, v);
        if (v & r::CTRL_ERR_CLEAR_MASK) {
            m_regs.value(r::ERR_CODE) = 0;
            m_regs.value(r::ERR_ADDR_LO) = m_regs.value(r::ERR_ADDR_HI) = 0;
            m_regs.value(r::ERR_CMD_INDEX) = 0xFFFFFFFFu;
        }
        if (v & r::CTRL_PERF_CLEAR_MASK) {
            m_perf_busy.fill(0);
            m_perf_cmds = m_perf_stall = m_perf_ctrl_busy = 0;
            m_own_dram_rd = m_own_dram_wr = 0;
            m_dram_rd_base = m_dram_rd_hook ? m_dram_rd_hook() : 0;
            m_dram_wr_base = m_dram_wr_hook ? m_dram_wr_hook() : 0;
        }
        if ((!was_enabled && (v & r::CTRL_ENABLE_MASK)) || (v & r::CTRL_ERR_CLEAR_MASK)) kick(m_access_delay);
    });
    m_regs.on_read(r::STATUS, [this] {
        const bool error = m_regs.value(r::ERR_CODE) != 0;
        uint32_t s = 0;
        if (idle()) s |= r::STATUS_IDLE_MASK;
        if (m_busy) s |= r::STATUS_BUSY_MASK;
        if (error) s |= r::STATUS_ERROR_MASK;
        return s;
    });
    m_regs.on_write(r::IRQ_ENABLE, [this](uint32_t v) {
        m_regs.store(r::IRQ_ENABLE, v);
        update_irq();
    });
    m_regs.on_write(r::IRQ_STATUS, [this](uint32_t v) {
        m_regs.store(r::IRQ_STATUS, v);
        update_irq();
    });
    // Ring geometry: check (not while commands are pending), store, act (HEAD = TAIL = 0).
    for (uint32_t off : {r::CMD_BASE_LO, r::CMD_BASE_HI, r::CMD_SIZE}) {
        m_regs.on_write(off, [this, off](uint32_t v) {
            if (m_busy || pending()) {
                latch_error(r::err::BAD_RING, ring_base(), 0xFFFFFFFFu);
                return;
            }
            m_regs.store(off, v);
            m_regs.value(r::CMD_HEAD) = m_regs.value(r::CMD_TAIL) = 0;
            m_armed = false;
        });
    }
    m_regs.on_write(r::CMD_TAIL, [this](uint32_t v) {
        const uint32_t idx = v & r::CMD_TAIL_IDX_MASK;
        if (v > r::CMD_TAIL_IDX_MASK || idx >= ring_size()) {
            latch_error(r::err::BAD_RING, ring_base(), 0xFFFFFFFFu);
            return;
        }
        m_regs.value(r::CMD_TAIL) = idx;
        m_ready_cycle = m_clk.now(m_access_delay);
        if (m_armed) kick(m_access_delay);
    });
    m_regs.on_write(r::DOORBELL, [this](uint32_t) {
        if (!ring_ok()) {
            latch_error(r::err::BAD_RING, ring_base(), 0xFFFFFFFFu);
            return;
        }
        m_ready_cycle = m_clk.now(m_access_delay);
        // An empty queue: nothing to do, no error and no interrupt.
        m_armed = m_regs.value(r::CMD_HEAD) != m_regs.value(r::CMD_TAIL);
        if (m_armed) kick(m_access_delay);
    });
    m_regs.on_read(r::CYCLE_LO, [this] { return static_cast<uint32_t>(m_clk.now(m_access_delay)); });
    m_regs.on_read(r::CYCLE_HI, [this] { return static_cast<uint32_t>(m_clk.now(m_access_delay) >> 32); });
    const uint32_t busy_regs[r::UNIT_COUNT] = {r::PERF_DMA_BUSY,     r::PERF_FETCHER_BUSY, r::PERF_VSSA_BUSY,
                                               r::PERF_SOFTMAX_BUSY, r::PERF_NORMACT_BUSY, r::PERF_TOPK_BUSY};
    for (unsigned u = 0; u < r::UNIT_COUNT; ++u)
        m_regs.on_read(busy_regs[u], [this, u] { return static_cast<uint32_t>(m_perf_busy[u]); });
    m_regs.on_read(r::PERF_CMDS_COMPLETED, [this] { return static_cast<uint32_t>(m_perf_cmds); });
    m_regs.on_read(r::PERF_STALL_CYCLES, [this] { return static_cast<uint32_t>(m_perf_stall); });
    m_regs.on_read(r::PERF_CTRL_BUSY, [this] { return static_cast<uint32_t>(m_perf_ctrl_busy); });
    m_regs.on_read(r::PERF_DRAM_RD_LO, [this] { return static_cast<uint32_t>(dram_read()); });
    m_regs.on_read(r::PERF_DRAM_RD_HI, [this] { return static_cast<uint32_t>(dram_read() >> 32); });
    m_regs.on_read(r::PERF_DRAM_WR_LO, [this] { return static_cast<uint32_t>(dram_written()); });
    m_regs.on_read(r::PERF_DRAM_WR_HI, [this] { return static_cast<uint32_t>(dram_written() >> 32); });
}

// Register window: whole aligned 32-bit words only. Misuse is answered with a TLM error
// and latched as REG_ACCESS (docs/registers.md "Registers"); it never stops the simulation.
void ctrl::b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
    const uint64_t off = tx.get_address();
    m_access_delay = delay;
    delay += m_clk.time(r::REG_ACCESS_CYCLES);
    const auto fail = [&](tlm::tlm_response_status s) {
        tx.set_response_status(s);
        ++m_reg_errors;
        latch_error(r::err::REG_ACCESS, m_cfg.ctrl_base + off, 0xFFFFFFFFu);
        wave_sample(m_clk.now(delay));
    };
    if (tx.get_byte_enable_ptr()) return fail(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    if (tx.get_data_length() != 4 || tx.get_streaming_width() < 4) return fail(tlm::TLM_BURST_ERROR_RESPONSE);
    if (off % 4 || off >= r::CTRL_SIZE) return fail(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    const auto o = static_cast<uint32_t>(off);
    if (m_access_fault && (tx.is_read() || tx.is_write()) && m_access_fault(tx.is_read(), o))
        return fail(tlm::TLM_GENERIC_ERROR_RESPONSE);
    uint8_t* p = tx.get_data_ptr();
    register_bank::result res = register_bank::result::ok;
    if (tx.is_read()) {
        ++m_reg_reads;
        uint32_t v = 0;
        res = m_regs.read(o, v);
        if (res == register_bank::result::ok)
            for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
    } else if (tx.is_write()) {
        ++m_reg_writes;
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
        res = m_regs.write(o, v);
    } else {
        return fail(tlm::TLM_COMMAND_ERROR_RESPONSE);
    }
    switch (res) {
        case register_bank::result::ok: tx.set_response_status(tlm::TLM_OK_RESPONSE); break;
        case register_bank::result::unmapped: fail(tlm::TLM_ADDRESS_ERROR_RESPONSE); break;
        case register_bank::result::read_only:
        case register_bank::result::write_only: fail(tlm::TLM_COMMAND_ERROR_RESPONSE); break;
    }
    wave_sample(m_clk.now(delay));
}

// Debug reads have no side effects; debug writes are not supported (they would bypass
// the check/store/act callbacks).
unsigned ctrl::transport_dbg(tlm::tlm_generic_payload& tx) {
    const uint64_t off = tx.get_address();
    const unsigned len = tx.get_data_length();
    if (!tx.is_read() || off % 4 || len % 4 || off + len > r::CTRL_SIZE) {
        tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return 0;
    }
    for (unsigned w = 0; w < len; w += 4) {
        const uint32_t v = m_regs.peek(static_cast<uint32_t>(off + w));
        for (unsigned i = 0; i < 4; ++i) tx.get_data_ptr()[w + i] = static_cast<uint8_t>(v >> (8 * i));
    }
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return len;
}

std::string ctrl::dump() const {
    std::string s;
    for (const auto& g : r::TABLE)
        s += fmt::format("{}.{:<20} = {:#010x}\n", name(), g.name, m_regs.peek(g.offset));
    return s;
}

// ---- queue
uint64_t ctrl::ring_base() const {
    return (static_cast<uint64_t>(m_regs.value(r::CMD_BASE_HI)) << 32) | m_regs.value(r::CMD_BASE_LO);
}
uint32_t ctrl::ring_size() const { return m_regs.value(r::CMD_SIZE) & r::CMD_SIZE_ENTRIES_MASK; }

bool ctrl::ring_ok() const {
    const uint64_t base = ring_base(), n = ring_size();
    if (n < 2 || n > 65536 || base % r::desc::SIZE) return false;
    if (m_regs.value(r::CMD_TAIL) >= n) return false;
    const ctrl_region* g = region_of(base);
    return g && g->kind == r::region_kind::dram && n * r::desc::SIZE <= g->base + g->size - base;
}

bool ctrl::pending() const {
    return m_armed && (m_regs.value(r::CTRL) & r::CTRL_ENABLE_MASK) && m_regs.value(r::ERR_CODE) == 0 &&
           m_regs.value(r::CMD_HEAD) != m_regs.value(r::CMD_TAIL);
}

void ctrl::kick(const sc_time& delay) { m_kick.notify(delay); }

void ctrl::wait_until(uint64_t cycle) {
    const sc_time t = m_clk.time(cycle);
    if (t > sc_time_stamp()) wait(t - sc_time_stamp());
}

void ctrl::run() {
    for (;;) {
        while (!pending()) wait(m_kick);
        wait_until(m_ready_cycle);  // the host may run ahead in time: start no command before it was posted
        if (pending()) execute(m_regs.value(r::CMD_HEAD));
    }
}

void ctrl::execute(uint32_t index) {
    const uint64_t gen = m_generation;
    const uint64_t t0 = m_clk.now();
    m_busy = true;
    wave_sample(t0);
    command c;
    c.index = index;
    c.address = ring_base() + static_cast<uint64_t>(index) * r::desc::SIZE;

    // Fetch: one 64-byte read through the bus. The payload does not outlive the fetch: a
    // run stopped while this thread waits in a handler then leaks nothing (LeakSanitizer).
    sc_time d = SC_ZERO_TIME;
    bool fetched = false;
    {
        tlm::tlm_generic_payload tx;
        init_payload(tx, tlm::TLM_READ_COMMAND, c.address, c.raw.data(), r::desc::SIZE);
        mem->b_transport(tx, d);
        fetched = tx.is_response_ok();
    }
    uint64_t t = m_clk.now(d);
    const auto stop = [&](uint32_t code, uint64_t addr) {
        wait_until(t);
        if (gen == m_generation) {
            latch_error(code, addr, index);
            m_busy_cycles += t - t0;
            m_perf_ctrl_busy += t - t0;
        }
        m_busy = false;
        trace_command(c, t0, t, code);
        if (m_on_complete) m_on_complete(c, t);
    };
    if (!fetched) return stop(r::err::BUS_ERROR, c.address);
    m_own_dram_rd += r::desc::SIZE;

    // Decode and validate.
    c.opcode = c.raw[r::desc::OPCODE];
    c.flags = c.raw[r::desc::FLAGS];
    c.tag = c.u32(r::desc::TAG);
    t += r::DECODE_CYCLES;
    uint64_t bad_addr = 0;
    const uint32_t e = validate(c, m_cfg.regions, bad_addr, m_cfg.vsq);
    if (e != r::err::NONE) return stop(e, bad_addr);
    wait_until(t);
    if (gen != m_generation) {
        m_busy = false;
        return;
    }

    // Execute.
    c.start_cycle = t;
    command_outcome o;
    if (m_handlers[c.opcode]) {
        o = m_handlers[c.opcode](c);
    } else {
        ++m_unhandled;
        o.done_cycle = t + placeholder_cycles(c);
    }
    t = std::max(m_clk.now(), o.done_cycle);
    if (gen != m_generation) {  // soft reset while the unit ran: drop the completion
        m_busy = false;
        return;
    }
    for (unsigned u = 0; u < r::UNIT_COUNT; ++u) m_perf_busy[u] += o.busy[u];
    m_perf_stall += o.stall_cycles;
    m_own_dram_rd += o.dram_bytes_read;
    m_own_dram_wr += o.dram_bytes_written;
    if (o.error != r::err::NONE) return stop(o.error, o.error_address);

    // Complete: HEAD, counters, interrupts.
    t += r::COMPLETE_CYCLES;
    wait_until(t);
    if (gen != m_generation) {
        m_busy = false;
        return;
    }
    const uint32_t head = (index + 1) % ring_size();
    m_regs.value(r::CMD_HEAD) = head;
    ++m_perf_cmds;
    ++m_commands;
    m_perf_ctrl_busy += t - t0;
    m_busy_cycles += t - t0;
    uint32_t bits = 0;
    if (c.flags & r::desc::FLAG_IRQ) bits |= r::IRQ_CMD_DONE;
    if (c.opcode == r::op::MARKER) {
        m_regs.value(r::MARKER_VALUE) = c.u32(r::desc::marker::VALUE);
        bits |= r::IRQ_MARKER;
    }
    if (head == m_regs.value(r::CMD_TAIL)) {
        m_armed = false;
        bits |= r::IRQ_QUEUE_EMPTY;
    }
    m_busy = false;
    raise(bits);
    trace_command(c, t0, t, r::err::NONE);
    if (m_on_complete) m_on_complete(c, t);
}

// ---- --vcd: signal 0 irq, 1 busy, then every register of r::TABLE
void ctrl::record_waveform() {
    m_wave_on = true;
    m_wave_last.assign(2 + std::size(r::TABLE), UINT32_MAX);  // the first sample records every signal
    wave_sample(m_clk.now());
}

void ctrl::wave_sample(uint64_t cycle) const {
    if (!m_wave_on) return;
    cycle = std::max(cycle, m_wave_cycle);  // annotated times may lag: keep the file in time order
    m_wave_cycle = cycle;
    const auto put = [&](uint32_t sig, uint32_t v) {
        if (m_wave_last[sig] == v) return;
        m_wave_last[sig] = v;
        m_wave.push_back({cycle, sig, v});
    };
    put(0, irq.level());
    put(1, m_busy);
    for (uint32_t i = 0; i < std::size(r::TABLE); ++i) put(2 + i, m_regs.peek(r::TABLE[i].offset));
}

void ctrl::write_vcd(const std::string& path) const {
    output_file f(path);  // temporary + checked writes + rename (docs/errors.md#output-files)
    const auto id = [](uint32_t n) {  // VCD identifier codes: printable characters '!'..'~'
        std::string s;
        do {
            s += static_cast<char>('!' + n % 94);
            n /= 94;
        } while (n);
        return s;
    };
    const size_t n = 2 + std::size(r::TABLE);
    fmt::print(f.get(), "$version dtqvp controller waveform $end\n$timescale 1 ps $end\n$scope module {} $end\n", name());
    fmt::print(f.get(), "$var wire 1 {} irq $end\n$var wire 1 {} busy $end\n", id(0), id(1));
    for (uint32_t i = 0; i < std::size(r::TABLE); ++i)
        fmt::print(f.get(), "$var reg 32 {} {} $end\n", id(2 + i), r::TABLE[i].name);
    std::fputs("$upscope $end\n$enddefinitions $end\n", f.get());
    const auto value = [&](uint32_t sig, uint32_t v) {
        if (sig < 2) fmt::print(f.get(), "{}{}\n", v, id(sig));
        else fmt::print(f.get(), "b{:b} {}\n", v, id(sig));
    };
    uint64_t cur = UINT64_MAX;
    size_t k = 0;
    for (; k < m_wave.size() && k < n; ++k) {  // the first sample: every signal's initial value
        if (k == 0) fmt::print(f.get(), "#{}\n$dumpvars\n", m_wave[k].cycle * m_clk.period_ps());
        value(m_wave[k].signal, m_wave[k].value);
    }
    if (k) std::fputs("$end\n", f.get());
    if (k) cur = m_wave[0].cycle;
    for (; k < m_wave.size(); ++k) {
        const auto& c = m_wave[k];
        if (c.cycle != cur) fmt::print(f.get(), "#{}\n", c.cycle * m_clk.period_ps());
        cur = c.cycle;
        value(c.signal, c.value);
    }
    fmt::print(f.get(), "#{}\n", m_clk.now() * m_clk.period_ps());  // the end of the run
    f.commit();
}

// One span per command on the controller's track: fetch to completion (docs/user-guide.md#trace).
void ctrl::trace_command(const command& c, uint64_t from, uint64_t to, uint32_t error) const {
    wave_sample(to);
    if (!trace::global().enabled()) return;
    const r::opcode_info* op = r::find_opcode(c.opcode);
    trace::global().span("ctrl", op ? op->name : fmt::format("opcode {:#x}", c.opcode), from, to,
                         fmt::format(R"({{"index":{},"tag":{},"error":{}}})", c.index, c.tag, error));
}

namespace {
const ctrl_region* find_region(const std::vector<ctrl_region>& regions, uint64_t addr) {
    for (const auto& g : regions)
        if (g.contains(addr)) return &g;
    return nullptr;
}
}  // namespace

const ctrl_region* ctrl::region_of(uint64_t addr) const { return find_region(m_cfg.regions, addr); }

// Every field of the descriptor, in order: opcode, header, reserved bytes, addresses
// (alignment, region kind), shapes and limits, then whether each operand fits its region.
uint32_t ctrl::validate(const command& c, const std::vector<ctrl_region>& regions, uint64_t& bad, const vsq_geometry& vsq) {
    bad = c.address;
    const r::opcode_info* info = r::find_opcode(c.opcode);
    if (!info) return r::err::BAD_OPCODE;
    if ((c.flags & ~r::desc::FLAG_IRQ) || c.u16(r::desc::RESERVED0)) return r::err::BAD_FIELD;
    std::array<bool, r::desc::SIZE> used{};
    for (std::size_t i = 0; i < info->field_count; ++i)
        for (unsigned b = 0; b < info->fields[i].size; ++b) used[info->fields[i].offset + b] = true;
    for (uint32_t b = 8; b < r::desc::SIZE; ++b)
        if (!used[b] && c.raw[b]) return r::err::BAD_FIELD;
    for (std::size_t i = 0; i < info->field_count; ++i) {
        const r::desc_field& f = info->fields[i];
        if (!f.is_addr) continue;
        const uint64_t a = c.u64(f.offset);
        if (f.optional && a == 0) continue;
        bad = a;
        if (a % f.align) return r::err::BAD_ALIGN;
        const ctrl_region* g = find_region(regions, a);
        if (!g || !(f.regions & (1u << static_cast<unsigned>(g->kind)))) return r::err::BAD_ADDR;
    }
    bad = c.address;

    // Shapes and operand extents per opcode.
    struct extent {
        uint64_t addr, bytes;
    };
    std::array<extent, 5> ext{};  // operands of this command (no heap on the hot path)
    std::size_t n_ext = 0;
    const auto add = [&](uint64_t a, uint64_t bytes) { ext[n_ext++] = {a, bytes}; };
    const auto dim_ok = [](uint64_t v, uint64_t max) { return v >= 1 && v <= max; };
    const uint64_t MAX = r::desc::MAX_DIM;
    namespace d = r::desc;
    switch (c.opcode) {
        case r::op::DMA: {
            const uint64_t rows = c.u32(d::dma::ROWS), rb = c.u32(d::dma::ROW_BYTES);
            if (!dim_ok(rows, MAX) || !dim_ok(rb, MAX * 64)) return r::err::BAD_SHAPE;
            const uint64_t ss = c.u32(d::dma::SRC_STRIDE) ? c.u32(d::dma::SRC_STRIDE) : rb;
            const uint64_t ds = c.u32(d::dma::DST_STRIDE) ? c.u32(d::dma::DST_STRIDE) : rb;
            add(c.u64(d::dma::SRC), (rows - 1) * ss + rb);
            add(c.u64(d::dma::DST), (rows - 1) * ds + rb);
            break;
        }
        case r::op::FETCH_QKV: {
            const uint64_t n = c.u32(d::fetch_qkv::COUNT), rb = c.u32(d::fetch_qkv::ROW_BYTES);
            if (!dim_ok(n, MAX) || !dim_ok(rb, MAX * 64)) return r::err::BAD_SHAPE;
            if (rb % 4) {
                bad = c.u64(d::fetch_qkv::DST);
                return r::err::BAD_ALIGN;
            }
            add(c.u64(d::fetch_qkv::TOKEN_LIST), n * 2);
            add(c.u64(d::fetch_qkv::SRC), rb);
            add(c.u64(d::fetch_qkv::DST), n * rb);
            break;
        }
        case r::op::GEMM: {
            const uint64_t m = c.u32(d::gemm::M), n = c.u32(d::gemm::N), k = c.u32(d::gemm::K);
            if (!dim_ok(m, MAX) || !dim_ok(n, MAX) || !dim_ok(k, MAX)) return r::err::BAD_SHAPE;
            namespace cb = cmd_bits;
            const uint32_t layout = c.u32(d::gemm::LAYOUT);
            const bool b4 = layout & cb::GEMM_B_4BIT, vsq_b = b4 && (layout & cb::GEMM_VSQ);
            const bool wc = layout & cb::GEMM_WCOMP, bias = layout & cb::GEMM_BIAS;
            // B_4BIT is column-major only; b_scales is required with VSQ + B_4BIT or BIAS (not
            // both: one field), else 0; WCOMP (an NM24 image) is column-major int8 only.
            if ((layout & ~cb::GEMM_LAYOUT_ALL) || (b4 && (layout & cb::GEMM_B_ROW_MAJOR)) || (vsq_b && bias) ||
                (vsq_b || bias) != (c.u64(d::gemm::B_SCALES) != 0) || (wc && (layout & (cb::GEMM_B_ROW_MAJOR | cb::GEMM_B_4BIT))))
                return r::err::BAD_FIELD;
            if (bias && c.u64(d::gemm::B_SCALES) % 4) {
                bad = c.u64(d::gemm::B_SCALES);
                return r::err::BAD_ALIGN;
            }
            if (wc && k % wcomp::CHUNK) return r::err::BAD_SHAPE;  // NM24 rows are chunks of 8 weights
            add(c.u64(d::gemm::A), m * k);
            // An NM24 image is at least its row table and all-4-bit rows; the handler reads the rest.
            add(c.u64(d::gemm::B), wc ? wcomp::min_image_bytes(n, k) : b4 ? n * ((k + 1) / 2) : k * n);
            add(c.u64(d::gemm::C), m * n * 4);
            if (c.u64(d::gemm::PREC_LIST)) add(c.u64(d::gemm::PREC_LIST), m);
            if (vsq_b) add(c.u64(d::gemm::B_SCALES), vsq.b_scales_bytes(n, k));
            if (bias) add(c.u64(d::gemm::B_SCALES), n * 4);
            break;
        }
        case r::op::SOFTMAX:
        case r::op::LAYERNORM:
        case r::op::GELU:
        case r::op::REQUANT:
        case r::op::RESADD: {
            namespace v = d::softmax;  // the vector ops share one descriptor layout
            const uint64_t rows = c.u32(v::ROWS), cols = c.u32(v::COLS);
            if (!dim_ok(rows, MAX) || !dim_ok(cols, MAX)) return r::err::BAD_SHAPE;
            const uint64_t aux = c.u64(v::AUX);
            const uint32_t p0 = c.u32(v::PARAM0), p1 = c.u32(v::PARAM1), p2 = c.u32(v::PARAM2), p3 = c.u32(v::PARAM3);
            const uint64_t in_bytes = c.opcode == r::op::GELU ? 1 : 4;
            const uint64_t out_bytes = c.opcode == r::op::SOFTMAX || c.opcode == r::op::REQUANT ? 1 : 4;
            switch (c.opcode) {  // parameter ranges, the aux operand
                case r::op::SOFTMAX:
                    if (p0 > 62 || aux || p2 > 1 || (p2 == 0 && p3)) return r::err::BAD_FIELD;
                    break;
                case r::op::LAYERNORM:
                    if (p0 > 31 || p1 || p2 || p3) return r::err::BAD_FIELD;
                    if (aux % 4) {
                        bad = aux;
                        return r::err::BAD_ALIGN;
                    }
                    if (aux) add(aux, cols * 4);
                    break;
                case r::op::GELU:  // param3: the erf shift n
                    if (aux || p3 > 31) return r::err::BAD_FIELD;
                    break;
                case r::op::REQUANT:
                    if (p1 > 62 || (p2 & ~(cmd_bits::REQUANT_PER_CHANNEL | cmd_bits::REQUANT_RELU)) || p3) return r::err::BAD_FIELD;
                    if (p2 & cmd_bits::REQUANT_PER_CHANNEL) {  // aux: cols (m, e) pairs (required); param0, param1 unused
                        if (!aux || p0 || p1) return r::err::BAD_FIELD;
                        if (aux % 4) {
                            bad = aux;
                            return r::err::BAD_ALIGN;
                        }
                        add(aux, cols * 8);
                    } else if (aux) {
                        add(aux, rows);
                    }
                    break;
                default:  // RESADD
                    if (p1 > 62 || p3 > 62 || !aux) return r::err::BAD_FIELD;
                    add(aux, rows * cols);
                    break;
            }
            const uint64_t ss = c.u32(v::SRC_STRIDE) ? c.u32(v::SRC_STRIDE) : cols * in_bytes;
            const uint64_t ds = c.u32(v::DST_STRIDE) ? c.u32(v::DST_STRIDE) : cols * out_bytes;
            if (ss < cols * in_bytes || ds < cols * out_bytes) return r::err::BAD_FIELD;
            add(c.u64(v::SRC), (rows - 1) * ss + cols * in_bytes);
            add(c.u64(v::DST), (rows - 1) * ds + cols * out_bytes);
            break;
        }
        case r::op::TOPK: {
            const uint64_t rows = c.u32(d::topk::ROWS), cols = c.u32(d::topk::COLS);
            const uint64_t k0 = c.u32(d::topk::K0), k1 = c.u32(d::topk::K1);
            if (!dim_ok(rows, MAX) || !dim_ok(cols, MAX)) return r::err::BAD_SHAPE;
            if (!dim_ok(k0, cols) || k1 > k0) return r::err::BAD_FIELD;
            add(c.u64(d::topk::PROBS), rows * cols);
            add(c.u64(d::topk::IMPORTANCE), cols * 4);
            add(c.u64(d::topk::OUT_LIST), k0 * 2);
            break;
        }
        case r::op::ATTENTION: {
            const uint64_t seq = c.u32(d::attention::SEQ), hd = c.u16(d::attention::HEAD_DIM);
            const uint64_t heads = c.u16(d::attention::HEADS);
            const uint64_t k0 = c.u16(d::attention::K0), k1 = c.u16(d::attention::K1);
            if (!dim_ok(seq, MAX) || !dim_ok(hd, d::MAX_HEAD_DIM) || !dim_ok(heads, d::MAX_HEADS) || hd % 2)
                return r::err::BAD_SHAPE;  // head_dim even: 4-bit tokens are packed two codes per byte
            if (k0 > seq || k1 > k0 || (k0 && !c.u64(d::attention::PREC_LIST)) || c.u16(d::attention::SCORE_SHIFT) > 62 ||
                (c.u16(d::attention::MODE) & ~cmd_bits::ATTN_MODE_ALL))
                return r::err::BAD_FIELD;
            const uint64_t qkv = heads * seq * hd;
            add(c.u64(d::attention::Q), qkv);
            add(c.u64(d::attention::K), qkv);
            add(c.u64(d::attention::V), qkv);
            add(c.u64(d::attention::OUT), qkv * 4);
            if (c.u64(d::attention::PREC_LIST)) add(c.u64(d::attention::PREC_LIST), seq);
            break;
        }
        default: break;  // NOP, FENCE, MARKER: nothing more to check
    }
    for (std::size_t i = 0; i < n_ext; ++i) {
        const extent& x = ext[i];
        const ctrl_region* g = find_region(regions, x.addr);
        if (x.bytes > g->base + g->size - x.addr) {
            bad = x.addr;
            return r::err::CAPACITY;
        }
    }
    return r::err::NONE;
}

// Placeholder timing of an opcode without a handler (regmap.yaml `cost`, docs/registers.md).
uint64_t ctrl::placeholder_cycles(const command& c) {
    namespace d = r::desc;
    switch (c.opcode) {
        case r::op::DMA: return 16 + ceil_div(uint64_t{c.u32(d::dma::ROWS)} * c.u32(d::dma::ROW_BYTES), 64);
        case r::op::FETCH_QKV: {
            const uint64_t n = c.u32(d::fetch_qkv::COUNT);
            return 16 + n + ceil_div(n * c.u32(d::fetch_qkv::ROW_BYTES), 64);
        }
        case r::op::GEMM:
            return 16 + ceil_div(uint64_t{c.u32(d::gemm::M)} * c.u32(d::gemm::N) * c.u32(d::gemm::K), 256);
        case r::op::SOFTMAX:
        case r::op::LAYERNORM:
        case r::op::GELU:
        case r::op::REQUANT:
        case r::op::RESADD:
            return 16 + ceil_div(uint64_t{c.u32(d::softmax::ROWS)} * c.u32(d::softmax::COLS), 16);
        case r::op::TOPK: {
            const uint64_t cols = c.u32(d::topk::COLS);
            return 16 + ceil_div(uint64_t{c.u32(d::topk::ROWS)} * cols, 16) + cols;
        }
        case r::op::ATTENTION: {
            const uint64_t seq = c.u32(d::attention::SEQ), hd = c.u16(d::attention::HEAD_DIM);
            return 16 + c.u16(d::attention::HEADS) * (2 * ceil_div(seq * seq * hd, 256) + ceil_div(seq * seq, 16));
        }
        default: return 0;  // NOP, FENCE, MARKER
    }
}

// ---- errors and interrupts
void ctrl::latch_error(uint32_t code, uint64_t addr, uint32_t index) {
    ++m_errors;
    if (m_regs.value(r::ERR_CODE) == r::err::NONE) {  // the first error wins
        m_regs.value(r::ERR_CODE) = code;
        m_regs.value(r::ERR_ADDR_LO) = static_cast<uint32_t>(addr);
        m_regs.value(r::ERR_ADDR_HI) = static_cast<uint32_t>(addr >> 32);
        m_regs.value(r::ERR_CMD_INDEX) = index;
    }
    raise(r::IRQ_ERROR);
}

void ctrl::raise(uint32_t bits) {
    m_regs.value(r::IRQ_STATUS) |= bits;
    update_irq();
}

void ctrl::update_irq() {
    const bool level = (m_regs.value(r::IRQ_STATUS) & m_regs.value(r::IRQ_ENABLE)) != 0;
    if (level && !irq.level()) ++m_interrupts;
    irq.write(level);
}

}  // namespace dtq
