#include "platform/sequencer/compute_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/timing_only.h"
#include "common/trace.h"
#include "memory/local_memory.h"
#include "platform/sequencer/unit_error.h"
#include "vssa/gemm.h"

namespace dtq {

gemm_blocking gemm_block_sizes(uint64_t M, uint64_t N, uint64_t K, uint64_t scratchpad_size, uint64_t accumulator_size,
                               uint64_t R, uint64_t C, bool wc) {
    const uint64_t quarter = scratchpad_size / 4, acc_half = accumulator_size / 2;
    gemm_blocking g;
    uint64_t mb = std::min<uint64_t>(M, 128);
    if (mb < M && mb >= R) mb -= mb % R;
    uint64_t nb = std::min({N, std::max<uint64_t>(C, 128), acc_half / (4 * mb)});
    if (nb < N && nb >= C) nb -= nb % C;
    uint64_t kb = nb ? std::min(K, quarter / std::max(mb, nb)) : 0;
    if (kb < K && kb >= 64) kb -= kb % 64;
    if (wc && kb < K) kb -= kb % wcomp::CHUNK;  // NM24 panels start at a chunk of 8 weights
    g.mb = mb;
    g.nb = nb;
    g.kb = kb;
    return g;
}

uint64_t vsq_panel_bytes(const gemm_blocking& b, uint64_t N, uint64_t K, uint64_t vector_size, uint64_t scale_bits) {
    if (b.nb == 0 || b.kb == 0) return 0;
    const uint64_t cols = std::min(b.nb, N);
    uint64_t worst = 0;
    for (uint64_t k0 = 0; k0 < K; k0 += b.kb) {  // as the handler cuts K
        const uint64_t kl = std::min(b.kb, K - k0);
        const uint64_t v0 = k0 / vector_size, v1 = (k0 + kl - 1) / vector_size;
        const uint64_t lo = v0 * scale_bits / 8, hi = ((v1 + 1) * scale_bits + 7) / 8;
        worst = std::max(worst, cols * ((kl + 1) / 2 + (hi - lo) + 4));
    }
    return worst;
}

using namespace sc_core;
namespace rg = regs;

compute_ops::compute_ops(const sc_module_name& n, const compute_ops_config& cfg, dtq::dma& dma, local_memory& scratchpad,
                         const dtq::clock& clk)
    : compute_ops(n, cfg, clk) {
    to_scratchpad.bind(scratchpad.jobs);
    m_own_vssa = std::make_unique<vssa::block>("vssa", cfg.vssa, clk);
    m_own_softmax = std::make_unique<softmax::block>("softmax", cfg.softmax, clk);
    m_own_normact = std::make_unique<normact::block>("normact", cfg.normact, clk);
    m_own_decompressor = std::make_unique<wcomp::block>("decompressor", cfg.decompressor, clk);
    to_dma.bind(dma.in);
    to_vssa.bind(m_own_vssa->in);
    own_vssa_mem.register_transport_dbg(this, &compute_ops::forward_dbg);
    m_own_vssa->mem.bind(own_vssa_mem);
    to_softmax.bind(m_own_softmax->in);
    to_normact.bind(m_own_normact->in);
    to_decompressor.bind(m_own_decompressor->in);
    m_own_softmax->spad.bind(scratchpad.jobs);
    m_own_normact->spad.bind(scratchpad.jobs);
}

compute_ops::compute_ops(const sc_module_name& n, const compute_ops_config& cfg, const dtq::clock& clk)
    : sc_module(n),
      mem("mem"),
      to_dma("to_dma"),
      to_vssa("to_vssa"),
      to_softmax("to_softmax"),
      to_normact("to_normact"),
      to_decompressor("to_decompressor"),
      to_scratchpad("to_scratchpad"),
      m_cfg(cfg),
      m_clk(clk),
      own_vssa_mem("own_vssa_mem"),
      m_stats(name()),
      m_gemm_commands(m_stats.counter("gemm_commands", "count", "GEMM commands executed")),
      m_gemm_cycles(m_stats.counter("gemm_cycles", "cycles", "GEMM commands: start to last store")),
      m_gemm_vssa(m_stats.counter("gemm_vssa_cycles", "cycles", "VSSA busy cycles of GEMM commands")),
      m_gemm_macs(m_stats.counter("gemm_macs", "count", "multiply-accumulates of GEMM commands (pruned rows excluded)")),
      m_gemm_stall(m_stats.counter("gemm_stall_pe_cycles", "cycles", "VSSA PE stall cycles of GEMM commands")),
      m_gemm_tiles(m_stats.counter("gemm_tiles", "count", "VSSA tiles of GEMM commands")),
      m_gemm_busy_pe(m_stats.counter("gemm_busy_pe_cycles", "cycles", "VSSA PE busy cycles of GEMM commands")),
      m_vec_commands(m_stats.counter("vector_commands", "count", "SOFTMAX / LAYERNORM / GELU / REQUANT / RESADD commands")),
      m_vec_cycles(m_stats.counter("vector_cycles", "cycles", "vector commands: start to last store")),
      m_normact_busy(m_stats.counter("normact_busy_cycles", "cycles", "norm/act unit busy (LAYERNORM, GELU, REQUANT, RESADD)")),
      m_softmax_busy(m_stats.counter("softmax_busy_cycles", "cycles", "softmax unit busy with SOFTMAX commands")),
      m_dma_busy(m_stats.counter("dma_busy_cycles", "cycles", "DMA busy with the operands of these commands")),
      m_dram_read(m_stats.counter("dma_bytes_from_dram_addr", "bytes",
                                  "bytes these commands' DMA transfers read from DRAM addresses, L2 hits included "
                                  "(the DRAM's own bytes: dram.bytes_read)")),
      m_dram_written(m_stats.counter("dma_bytes_to_dram_addr", "bytes",
                                     "bytes these commands' DMA transfers wrote to DRAM addresses (into the L2 when "
                                     "it has one; the DRAM's own bytes: dram.bytes_written)")),
      m_wcomp_in(m_stats.counter("decompressor_bytes_in", "bytes", "NM24 bytes of GEMM B operands (layout.WCOMP) the DMA moved, row tables included")),
      m_wcomp_out(m_stats.counter("decompressor_bytes_out", "bytes", "dense int8 bytes the decompressor expanded them to")),
      m_wcomp_busy(m_stats.counter("decompressor_busy_cycles", "cycles", "decompressor expanding (latency + dense bytes / bytes_per_cycle per panel)")),
      m_wcomp_delay(m_stats.counter("decompressor_delay_cycles", "cycles", "cycles the decompressor made B panels later than their DMA alone")),
      m_transpose_cycles(m_stats.counter("transpose_cycles", "cycles", "transpose passes of B_ROW_MAJOR panels in the scratchpad (buffer.two_direction false)")),
      m_transpose_bytes(m_stats.counter("transpose_buffer_bytes", "bytes", "scratchpad bytes the transpose passes read and wrote")),
      m_gemm_port_wait(m_stats.counter("gemm_port_wait_cycles", "cycles",
                                       "cycles the VSSA's GEMM k-step jobs waited for their scratchpad banks (port contention, "
                                       "docs/timing-model.md#blocks)")) {
    static const char* modes[3] = {"4x4", "8x4", "8x8"};
    for (int i = 0; i < 3; ++i)
        m_gemm_macs_mode[i] = &m_stats.counter(fmt::format("gemm_macs_{}", modes[i]), "count",
                                               fmt::format("GEMM MACs in PE mode {} (energy: docs/energy.md)", modes[i]));
    static const char* vec[5] = {"softmax", "layernorm", "gelu", "requant", "resadd"};
    for (int i = 0; i < 5; ++i)
        m_elements[i] = &m_stats.counter(fmt::format("{}_elements", vec[i]), "count",
                                         fmt::format("elements of the {} commands (rows x cols)", vec[i]));
    m_stats.derived("gemm_stall_ratio", "ratio", "PE stall cycles / (stall + busy PE cycles) of GEMM commands", [this] {
        const double all = static_cast<double>(m_gemm_stall + m_gemm_busy_pe);
        return all > 0 ? static_cast<double>(m_gemm_stall) / all : 0.0;
    });
}

void compute_ops::debug(bool write, uint64_t addr, void* data, uint64_t len) {
    if (len == 0) return;
    tlm::tlm_generic_payload tx;
    init_payload(tx, write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, addr, static_cast<uint8_t*>(data), len);
    if (mem->transport_dbg(tx) != len)
        throw unit_error(rg::err::BUS_ERROR, addr, fmt::format("no memory backs {} bytes at {:#x}", len, addr));
}

void compute_ops::read_rows(uint64_t addr, uint64_t rows, uint64_t row_bytes, uint64_t stride, uint8_t* dst) {
    if (stride == row_bytes) return debug(false, addr, dst, rows * row_bytes);
    for (uint64_t r = 0; r < rows; ++r) debug(false, addr + r * stride, dst + r * row_bytes, row_bytes);
}

void compute_ops::write_rows(uint64_t addr, uint64_t rows, uint64_t row_bytes, uint64_t stride, const uint8_t* src) {
    if (stride == row_bytes) return debug(true, addr, const_cast<uint8_t*>(src), rows * row_bytes);
    for (uint64_t r = 0; r < rows; ++r) debug(true, addr + r * stride, const_cast<uint8_t*>(src + r * row_bytes), row_bytes);
}

uint64_t compute_ops::timed_read(uint64_t addr, uint8_t* data, uint64_t len, uint64_t at) {
    tlm::tlm_generic_payload tx;
    init_payload(tx, tlm::TLM_READ_COMMAND, addr, data, len);
    sc_time d = m_clk.time(at) - sc_time_stamp();
    mem->b_transport(tx, d);
    if (!tx.is_response_ok()) throw unit_error(rg::err::BUS_ERROR, addr, fmt::format("reading {} bytes at {:#x}", len, addr));
    return m_clk.cycles(sc_time_stamp() + d);
}

uint64_t compute_ops::read_precisions(uint64_t addr, std::vector<uint8_t>& bits, uint64_t at) {
    const uint64_t t = timed_read(addr, bits.data(), bits.size(), at);
    for (uint64_t i = 0; i < bits.size(); ++i)
        if (bits[i] != 0 && bits[i] != 4 && bits[i] != 8)
            throw unit_error(rg::err::UNIT_ERROR, addr + i,
                             fmt::format("precision of row {} is {}, expected 0, 4 or 8", i, bits[i]));
    return t;
}

// One DMA descriptor (timing only: the data moves by debug transport) as a job to the DMA,
// which issues its descriptors in order, one per cycle. DMA busy = union of [start, end).
uint64_t compute_ops::dma(const dma_descriptor& d, uint64_t at, compute_report& rep) {
    const dma_job& j = send_dma(m_sender, to_dma, m_dma_job, d, true, at, m_clk);
    rep.busy_dma += j.busy_added;
    if (in_dram(d.src)) rep.dram_read += d.bytes();
    if (in_dram(d.dst)) rep.dram_written += d.bytes();
    return j.end;
}

// A stage's compute: its job to its unit, inputs ready at `ready`; the unit starts when it is
// also free (after the previous stage's compute). Returns the cycle the job ends.
uint64_t compute_ops::compute(stage& s, uint64_t ready, compute_report& rep) {
    switch (s.unit) {
        case unit_kind::vssa: {
            m_sender.send(to_vssa, s.gemm, ready, m_clk);
            const vssa::gemm_result& r = s.gemm.result;
            rep.busy_vssa += r.cycles;
            rep.stall_pe_cycles += r.stall_pe_cycles;
            rep.busy_pe_cycles += r.busy_pe_cycles;
            rep.tiles += r.tiles;
            rep.macs += r.macs;
            rep.port_wait += s.gemm.port_wait;
            for (int i = 0; i < 3; ++i) rep.macs_by_mode[i] += r.macs_by_mode[i];
            const uint64_t end = s.gemm.end;
            s.gemm.result = vssa::gemm_result{};  // only the counts are kept
            s.gemm.op = vssa::gemm_op{};
            return end;
        }
        case unit_kind::softmax:
            m_sender.send(to_softmax, s.softmax, ready, m_clk);
            rep.busy_unit += s.softmax.end - s.softmax.start;
            return s.softmax.end;
        case unit_kind::normact:
            m_sender.send(to_normact, s.rows, ready, m_clk);
            rep.busy_unit += s.rows.end - s.rows.start;
            return s.rows.end;
    }
    return ready;
}

// Double-buffered three-stage pipeline over the blocks: load(t + 1) may start once
// compute(t - 1) has freed its buffer half, compute(t) once load(t) is in and compute(t - 1)
// is done (its unit is busy until then), store(t) once compute(t) is done. Returns the cycle
// the last store ends.
uint64_t compute_ops::schedule(std::vector<stage>& blocks, uint64_t start, const std::string& what, compute_report& rep) {
    const bool tracing = trace::global().enabled();
    const size_t n = blocks.size();
    std::vector<uint64_t> load_end(n, start), comp_end(n, start), store_end(n, start);
    uint64_t end = start;
    const auto loads = [&](size_t t, uint64_t at) {
        uint64_t e = at;
        for (const auto& d : blocks[t].loads) e = std::max(e, dma(d, at, rep));
        if (const uint64_t x = blocks[t].expand_bytes) {  // the decompressor streams behind the DMA
            wcomp::expand_job j;
            j.dma_end = e;
            j.dense_bytes = x;
            if (tracing) j.label = fmt::format("{} expand {}", what, t);
            const uint64_t de = m_sender.send(to_decompressor, j, at, m_clk);
            rep.wcomp_out += x;
            rep.wcomp_busy += j.busy;
            rep.wcomp_delay += de - e;
            e = de;
        }
        if (const uint64_t x = blocks[t].transpose) {  // the panel is transposed in place before compute
            transpose_job j;
            j.bytes = x;
            j.offset = blocks[t].transpose_offset;
            if (tracing) j.label = fmt::format("{} B panel {}", what, t);
            const uint64_t te = m_sender.send(to_scratchpad, j, e, m_clk);
            rep.transpose_cycles += te - j.start;
            rep.transpose_bytes += 2 * x;
            e = te;
        }
        if (tracing && e > at) trace::global().span("dma", fmt::format("{} load {}", what, t), at, e);
        return e;
    };
    if (n) load_end[0] = loads(0, start);
    for (size_t t = 0; t < n; ++t) {
        uint64_t ready = load_end[t];
        if (blocks[t].acc_wait >= 0) ready = std::max(ready, store_end[static_cast<size_t>(blocks[t].acc_wait)]);
        if (tracing) {
            const std::string label = fmt::format("{} block {}", what, t);
            blocks[t].gemm.label = blocks[t].softmax.label = blocks[t].rows.label = label;
        }
        comp_end[t] = compute(blocks[t], ready, rep);
        if (t + 1 < n) load_end[t + 1] = loads(t + 1, t ? comp_end[t - 1] : start);
        uint64_t se = comp_end[t];
        for (const auto& d : blocks[t].stores) se = std::max(se, dma(d, comp_end[t], rep));
        if (tracing && se > comp_end[t]) trace::global().span("dma", fmt::format("{} store {}", what, t), comp_end[t], se);
        store_end[t] = se;
        end = std::max(end, se);
    }
    return end;
}

// A command error (unit_error: the firmware sees its code) or a failure of the model itself
// (lockstep mismatch, kernel overflow: UNIT_ERROR, and the run ends with exit code 3).
command_outcome compute_ops::failure(const command& c, const std::exception& e) {
    m_last_error = e.what();
    if (const auto* u = dynamic_cast<const unit_error*>(&e)) return failed_outcome(u->code, u->addr);
    if (const auto* b = dynamic_cast<const bus_fault*>(&e)) return failed_outcome(rg::err::BUS_ERROR, b->addr);
    if (const auto* v = dynamic_cast<const vssa::operand_error*>(&e)) return failed_outcome(rg::err::UNIT_ERROR, v->addr);
    m_failure = m_last_error;
    return failed_outcome(rg::err::UNIT_ERROR, c.address);
}

command_outcome compute_ops::finish(compute_report& rep, unsigned unit) {
    const sc_time until = m_clk.time(rep.end);
    if (until > sc_time_stamp()) wait(until - sc_time_stamp());
    m_last = rep;
    m_dma_busy += rep.busy_dma;
    m_dram_read += rep.dram_read;
    m_dram_written += rep.dram_written;
    command_outcome o;
    o.busy[rg::UNIT_DMA] = rep.busy_dma;
    o.busy[rg::UNIT_VSSA] = rep.busy_vssa;
    if (unit != rg::UNIT_VSSA) o.busy[unit] = rep.busy_unit;
    o.stall_cycles = rep.stall_pe_cycles;
    o.dram_bytes_read = rep.dram_read;
    o.dram_bytes_written = rep.dram_written;
    return o;
}

// ---- GEMM ----------------------------------------------------------------------------

command_outcome compute_ops::gemm(const command& c) {
    namespace d = rg::desc::gemm;
    namespace cb = cmd_bits;
    const uint64_t a = c.u64(d::A), b = c.u64(d::B), cm = c.u64(d::C), prec = c.u64(d::PREC_LIST);
    const uint64_t M = c.u32(d::M), N = c.u32(d::N), K = c.u32(d::K);
    const uint32_t layout = c.u32(d::LAYOUT);
    const bool b_row_major = layout & cb::GEMM_B_ROW_MAJOR, b4 = layout & cb::GEMM_B_4BIT, vsq = layout & cb::GEMM_VSQ;
    const bool wc = layout & cb::GEMM_WCOMP, has_bias = layout & cb::GEMM_BIAS;
    const uint64_t bsc = c.u64(d::B_SCALES);
    const vsquant::config& vc = m_cfg.vsq;
    const uint64_t b_row = b4 ? (K + 1) / 2 : K;                      // bytes of one B column (column-major)
    const uint64_t s_row = vsquant::scale_row_bytes(K, vc);           // bytes of one B column's scales
    compute_report rep;
    rep.start = c.start_cycle;
    m_last_error.clear();
    try {
        uint64_t t = c.start_cycle;
        std::vector<uint8_t> bits(M, 8);
        if (prec) {
            t = read_precisions(prec, bits, t);
        }
        // layout.BIAS: N int32 biases, read once (timed, in both modes) and preloaded into the
        // accumulator of every output block (docs/workloads.md#biases-and-per-channel-layernorm).
        std::vector<int32_t> bias;
        if (has_bias) {
            bias.resize(N);
            t = timed_read(bsc, reinterpret_cast<uint8_t*>(bias.data()), 4 * N, t);
            if (in_dram(bsc)) rep.dram_read += 4 * N;
        }
        // An NM24 B (layout.WCOMP, docs/compression.md): the decompressor's address generator
        // reads the row table first (timed, in both modes: it sets the panels' addresses).
        std::vector<uint32_t> wrow;
        uint64_t wdata = 0;  // bytes of row data behind the table
        if (wc) {
            wrow.resize(N);
            t = timed_read(b, reinterpret_cast<uint8_t*>(wrow.data()), 4 * N, t);
            if (in_dram(b)) rep.dram_read += 4 * N;
            rep.wcomp_in += 4 * N;
            for (uint64_t j = 0; j < N; ++j) {
                const uint32_t sc = wcomp::entry_scale(wrow[j]);
                if (wcomp::entry_offset(wrow[j]) != wdata || sc > static_cast<uint32_t>(wcomp::MAX_SCALE))
                    throw unit_error(rg::err::UNIT_ERROR, b + 4 * j,
                                     fmt::format("NM24 row {} entry {:#010x}: expected offset {} and a scale 0..18", j,
                                                 wrow[j], wdata));
                wdata += wcomp::row_bytes(K, sc != 0);
            }
        }
        // A VS-Quant GEMM drains every tile through the scale-multiply stage when it has a
        // VS-Quant operand (docs/timing-model.md#vs-quant-pe).
        const bool any4 = b4 || std::find(bits.begin(), bits.end(), uint8_t{4}) != bits.end();
        const uint32_t scale_stages = vsq && any4 ? vsquant::SCALE_STAGES : 0;
        // Blocking (docs/encoder.md#gemm): an output block of mb x nb (one accumulator half,
        // at most 128 rows and max(128, VSSA columns) columns), the reduction cut into
        // k-blocks of kb so that an A block and a B panel each fit a quarter of the
        // scratchpad (a half per k-step, double-buffered); partial sums stay in the
        // accumulator until the block's last k-step, then the block is stored. A 4-bit B
        // panel takes half the bytes of an int8 one; the blocking stays the int8 one.
        const uint64_t quarter = m_cfg.scratchpad_size / 4, acc_half = m_cfg.accumulator_size / 2;
        const gemm_blocking gb = gemm_block_sizes(M, N, K, m_cfg.scratchpad_size, m_cfg.accumulator_size, m_cfg.vssa.rows,
                                                  uint64_t{m_cfg.vssa.cols} * m_cfg.vssa.arrays, wc);
        const uint64_t mb = gb.mb, nb = gb.nb, kb = gb.kb;
        if (nb == 0 || kb == 0)
            throw unit_error(rg::err::CAPACITY, m_cfg.scratchpad_base,
                             fmt::format("no GEMM block fits: scratchpad quarter {} bytes, accumulator half {} bytes for M = {}",
                                         quarter, acc_half, M));
        const uint64_t ni = ceil_div(M, mb), nj = ceil_div(N, nb), nk = ceil_div(K, kb);
        // Operand reuse across blocks only without a K split: the order with fewer DRAM bytes.
        const uint64_t bytes_j_outer = K * N + (ni > 1 ? nj : 1) * M * K;
        const uint64_t bytes_i_outer = M * K + (nj > 1 ? ni : 1) * K * N;
        const bool i_outer = bytes_i_outer < bytes_j_outer;

        std::vector<stage> blocks;
        blocks.reserve(ni * nj * nk);
        const std::vector<uint8_t> col_bits(nb, b4 ? 4 : 8);
        uint64_t block = 0;
        std::vector<size_t> last_step;  // per output block: its last stage
        for (uint64_t outer = 0; outer < (i_outer ? ni : nj); ++outer)
            for (uint64_t inner = 0; inner < (i_outer ? nj : ni); ++inner, ++block) {
                const uint64_t bi = i_outer ? outer : inner, bj = i_outer ? inner : outer;
                const uint64_t i0 = bi * mb, rows = std::min(mb, M - i0);
                const uint64_t j0 = bj * nb, cols = std::min(nb, N - j0);
                const uint64_t acc = m_cfg.accumulator_base + (block % 2) * acc_half;
                for (uint64_t bk = 0; bk < nk; ++bk) {
                    const uint64_t k0 = bk * kb, kl = std::min(kb, K - k0);
                    const uint64_t sp = m_cfg.scratchpad_base + (blocks.size() % 2) * 2 * quarter;
                    stage s;
                    const bool load_a = nk > 1 || (i_outer ? inner == 0 : (ni > 1 || outer == 0));
                    const bool load_b = nk > 1 || (i_outer ? (nj > 1 || outer == 0) : inner == 0);
                    if (load_a) s.loads.push_back(dma_descriptor{a + i0 * K + k0, sp, rows, kl, K, kl});
                    if (load_b) {
                        if (b_row_major) {
                            s.loads.push_back(dma_descriptor{b + k0 * N + j0, sp + quarter, kl, cols, N, cols});
                            // The VSSA reads B by columns of the panel (one output column's k
                            // values); a K x N panel arrives by rows: without a two-direction
                            // buffer, a transpose pass through the scratchpad port first.
                            if (!m_cfg.two_direction) {
                                s.transpose = kl * cols;
                                s.transpose_offset = sp + quarter - m_cfg.scratchpad_base;
                            }
                        } else if (wc) {  // each column's chunks k0 / 8 .. (k0 + kl) / 8, contiguous runs merged
                            uint64_t dst = sp + quarter;
                            dma_descriptor run{};
                            for (uint64_t j = j0; j < j0 + cols; ++j) {
                                const uint64_t cb_ = wcomp::row_bytes(wcomp::CHUNK, wcomp::entry_scale(wrow[j]) != 0);
                                const uint64_t src = b + 4 * N + wcomp::entry_offset(wrow[j]) + k0 / wcomp::CHUNK * cb_;
                                const uint64_t len = kl / wcomp::CHUNK * cb_;
                                if (run.row_bytes && run.src + run.row_bytes == src) {
                                    run.row_bytes += len;
                                } else {
                                    if (run.row_bytes) s.loads.push_back(run);
                                    run = dma_descriptor{src, dst, 1, len, 0, 0};
                                }
                                dst += len;
                                rep.wcomp_in += len;
                            }
                            s.loads.push_back(run);
                            s.expand_bytes = cols * kl;
                        } else if (b4) {  // k0 is even: K is cut at multiples of 64
                            const uint64_t bl = (kl + 1) / 2;
                            s.loads.push_back(dma_descriptor{b + j0 * b_row + k0 / 2, sp + quarter, cols, bl, b_row, bl});
                        } else {
                            s.loads.push_back(dma_descriptor{b + j0 * K + k0, sp + quarter, cols, kl, K, kl});
                        }
                        if (vsq && b4) {  // the panel's scale bytes, and its channel maxima with its first k-step
                            const uint64_t v0 = k0 / vc.vector_size, v1 = (k0 + kl - 1) / vc.vector_size;
                            const uint64_t lo = v0 * vc.scale_bits / 8, hi = ((v1 + 1) * vc.scale_bits + 7) / 8;
                            const uint64_t dst = sp + quarter + cols * ((kl + 1) / 2);
                            if (cols * ((kl + 1) / 2 + (hi - lo) + 4) > quarter)
                                throw unit_error(rg::err::CAPACITY, m_cfg.scratchpad_base,
                                                 fmt::format("a VS-Quant B panel of {} columns x {} (codes, scales, channel maxima) "
                                                             "does not fit a scratchpad quarter of {} bytes", cols, kl, quarter));
                            s.loads.push_back(dma_descriptor{bsc + 4 * N + j0 * s_row + lo, dst, cols, hi - lo, s_row, hi - lo});
                            if (bk == 0) s.loads.push_back(dma_descriptor{bsc + 4 * j0, dst + cols * (hi - lo), 1, 4 * cols, 0, 0});
                        }
                    }
                    if (bk == 0 && block >= 2) s.acc_wait = static_cast<long>(last_step[block - 2]);
                    vssa::gemm_op op;
                    op.name = fmt::format("gemm.block{}.k{}", block, bk);
                    op.M = rows;
                    op.N = cols;
                    op.K = kl;
                    op.row_bits.assign(bits.begin() + static_cast<std::ptrdiff_t>(i0),
                                       bits.begin() + static_cast<std::ptrdiff_t>(i0 + rows));
                    op.col_bits.assign(col_bits.begin(), col_bits.begin() + static_cast<std::ptrdiff_t>(cols));
                    op.scale_stages = scale_stages;
                    s.unit = unit_kind::vssa;
                    s.gemm.op = std::move(op);
                    // The array's operand streams: the A block and the B panel of this k-step's half.
                    s.gemm.uses[0] = {vssa::SCRATCHPAD, sp - m_cfg.scratchpad_base, rows * kl};
                    s.gemm.uses[1] = {vssa::SCRATCHPAD, sp + quarter - m_cfg.scratchpad_base, cols * kl};
                    if (bk + 1 == nk) s.stores.push_back(dma_descriptor{acc, cm + (i0 * N + j0) * 4, rows, cols * 4, cols * 4, N * 4});
                    blocks.push_back(std::move(s));
                }
                last_step.push_back(blocks.size() - 1);
            }
        rep.blocks = blocks.size();
        rep.end = schedule(blocks, t, fmt::format("gemm {}x{}x{}", M, N, K), rep);

        if (!m_cfg.timing_only) {
            // The values: one job to the VSSA block, which reads A and B (and B's VS-Quant
            // scales) through its own socket, computes C and writes it (no cycles: the
            // k-step jobs above carried them). An NM24 B goes through the decompressor first.
            vssa::command_operands ops;
            ops.a = a;
            ops.b = b;
            ops.c = cm;
            ops.b_scales = bsc;
            ops.M = M;
            ops.N = N;
            ops.K = K;
            ops.b_row_major = b_row_major;
            ops.b4 = b4;
            ops.vsq = vsq;
            ops.bits = &bits;
            ops.vc = vc;
            if (has_bias) ops.bias = &bias;
            std::vector<int8_t> dense;
            if (wc && !b_row_major && !b4) {
                std::vector<uint8_t> img(4 * N + wdata);
                debug(false, b, img.data(), img.size());
                try {
                    wcomp::expand_job j;
                    j.image = img.data();
                    j.image_bytes = img.size();
                    j.n = N;
                    j.k = K;
                    m_sender.send(to_decompressor, j, m_clk.now(), m_clk);
                    dense = std::move(j.dense);
                } catch (const wcomp::format_error& e) {
                    throw unit_error(rg::err::UNIT_ERROR, b + e.offset(), e.what());
                }
                ops.b_dense = &dense;
            }
            vssa::gemm_job vj;
            vj.cmd = &ops;
            m_sender.send(to_vssa, vj, m_clk.now(), m_clk);
        }
    } catch (const std::exception& e) {
        return failure(c, e);
    }
    ++m_gemm_commands;
    m_gemm_cycles += rep.end - rep.start;
    m_gemm_vssa += rep.busy_vssa;
    m_gemm_macs += rep.macs;
    m_gemm_stall += rep.stall_pe_cycles;
    m_gemm_tiles += rep.tiles;
    m_gemm_busy_pe += rep.busy_pe_cycles;
    for (int i = 0; i < 3; ++i) *m_gemm_macs_mode[i] += rep.macs_by_mode[i];
    m_wcomp_in += rep.wcomp_in;
    m_wcomp_out += rep.wcomp_out;
    m_wcomp_busy += rep.wcomp_busy;
    m_wcomp_delay += rep.wcomp_delay;
    m_transpose_cycles += rep.transpose_cycles;
    m_transpose_bytes += rep.transpose_bytes;
    m_gemm_port_wait += rep.port_wait;
    return finish(rep, rg::UNIT_VSSA);
}

// ---- vector commands -------------------------------------------------------------------

command_outcome compute_ops::vector(const command& c) {
    namespace v = rg::desc::softmax;  // SOFTMAX, LAYERNORM, GELU, REQUANT, RESADD share the layout
    const uint8_t opc = c.opcode;
    const uint64_t src = c.u64(v::SRC), dst = c.u64(v::DST), aux = c.u64(v::AUX);
    const uint64_t rows = c.u32(v::ROWS), cols = c.u32(v::COLS);
    const auto p0 = static_cast<int32_t>(c.u32(v::PARAM0)), p1 = static_cast<int32_t>(c.u32(v::PARAM1));
    const auto p2 = static_cast<int32_t>(c.u32(v::PARAM2)), p3 = static_cast<int32_t>(c.u32(v::PARAM3));
    const uint64_t in_b = opc == rg::op::GELU ? 1 : 4;
    const uint64_t out_b = opc == rg::op::SOFTMAX || opc == rg::op::REQUANT ? 1 : 4;
    const uint64_t ss = c.u32(v::SRC_STRIDE) ? c.u32(v::SRC_STRIDE) : cols * in_b;
    const uint64_t ds = c.u32(v::DST_STRIDE) ? c.u32(v::DST_STRIDE) : cols * out_b;
    const bool softmax_op = opc == rg::op::SOFTMAX;
    const bool functional = !m_cfg.timing_only;
    const normact::op kind = opc == rg::op::LAYERNORM ? normact::op::layernorm
                           : opc == rg::op::GELU      ? normact::op::gelu
                           : opc == rg::op::REQUANT   ? normact::op::requant
                                                      : normact::op::resadd;
    compute_report rep;
    rep.start = c.start_cycle;
    m_last_error.clear();
    try {
        uint64_t t = c.start_cycle;
        std::vector<uint8_t> bits(rows, 8);
        // REQUANT param2.PER_CHANNEL: aux holds cols (m, e) int32 pairs (read once, timed).
        const bool per_channel = opc == rg::op::REQUANT && (p2 & cmd_bits::REQUANT_PER_CHANNEL);
        std::vector<int32_t> channel;
        if (per_channel) {
            channel.resize(2 * cols);
            t = timed_read(aux, reinterpret_cast<uint8_t*>(channel.data()), 8 * cols, t);
            if (in_dram(aux)) rep.dram_read += 8 * cols;
            for (uint64_t i = 0; i < cols; ++i)
                if (channel[2 * i + 1] < 0 || channel[2 * i + 1] > 62)
                    throw unit_error(rg::err::UNIT_ERROR, aux + 8 * i + 4,
                                     fmt::format("column {}: shift e = {}, expected 0..62", i, channel[2 * i + 1]));
        } else if (opc == rg::op::REQUANT && aux) {
            t = read_precisions(aux, bits, t);
            for (uint64_t i = 0; i < rows; ++i)
                if (bits[i] == 4 && cols % 2)
                    throw unit_error(rg::err::UNIT_ERROR, aux + i, fmt::format("row {} is 4-bit but cols = {} is odd", i, cols));
        }
        // Chunks of rows: each stream (input, residual, output) gets a quarter of the scratchpad.
        const uint64_t quarter = m_cfg.scratchpad_size / 4, widest = cols * std::max(in_b, out_b);
        if (widest > quarter)
            throw unit_error(rg::err::CAPACITY, m_cfg.scratchpad_base,
                             fmt::format("a row of {} bytes does not fit a quarter of the scratchpad ({} bytes)", widest, quarter));
        const uint64_t chunk = std::min(rows, quarter / widest);

        // Functional mode: the operands the DMA's transfers carry (debug transport), given to
        // the unit with each block's job; the results come back in the jobs.
        uint8_t* in = nullptr;
        uint8_t* out = nullptr;
        int64_t* scores = nullptr;    // SOFTMAX
        std::vector<int32_t> bias;    // LAYERNORM
        std::vector<int8_t> res;      // RESADD
        if (functional) {
            in = m_vec_in.get(rows * cols * in_b);
            read_rows(src, rows, cols * in_b, ss, in);
            out = m_vec_out.get(rows * cols * out_b);  // every byte stored is written by the unit first
            const auto* i32 = reinterpret_cast<const int32_t*>(in);
            if (softmax_op) {
                scores = m_vec_scores.get(rows * cols);
                std::copy(i32, i32 + rows * cols, scores);
            }
            if (opc == rg::op::LAYERNORM && aux) {
                bias.resize(cols);
                debug(false, aux, bias.data(), cols * 4);
            }
            if (opc == rg::op::RESADD) {
                res.resize(rows * cols);
                debug(false, aux, res.data(), rows * cols);
            }
        }
        const double scale = std::ldexp(1.0, -p0) / std::sqrt(static_cast<double>(p1 ? p1 : 1));

        std::vector<stage> blocks;
        for (uint64_t r0 = 0; r0 < rows; r0 += chunk) {
            const uint64_t n = std::min(chunk, rows - r0), half = blocks.size() % 2;
            const uint64_t sp = m_cfg.scratchpad_base + half * 2 * quarter;
            stage s;
            s.loads.push_back(dma_descriptor{src + r0 * ss, sp, n, cols * in_b, ss, cols * in_b});
            if (opc == rg::op::RESADD) s.loads.push_back(dma_descriptor{aux + r0 * cols, sp + quarter, 1, n * cols, 0, 0});
            if (opc == rg::op::LAYERNORM && aux && r0 == 0)
                s.loads.push_back(dma_descriptor{aux, sp + quarter, 1, cols * 4, 0, 0});
            // The unit reads the block's input quarter and writes the output (= residual) quarter.
            const bank_use in_banks{sp - m_cfg.scratchpad_base, n * cols * in_b};
            const bank_use out_banks{sp + quarter - m_cfg.scratchpad_base, n * cols * out_b};
            if (softmax_op) {  // the unit's mode sets the cycles
                s.unit = unit_kind::softmax;
                s.softmax.banks[0] = in_banks;
                s.softmax.banks[1] = out_banks;
                s.softmax.rows = n;
                s.softmax.cols = cols;
                if (functional) {
                    s.softmax.scores = &scores[r0 * cols];
                    s.softmax.scale = scale;
                    s.softmax.threads = m_cfg.vssa.threads;
                    // causal: row r sees columns 0..p3 + r, the rest get probability 0
                    if (p2 != 0) s.softmax.causal_offset = static_cast<int64_t>(static_cast<uint32_t>(p3) + r0);
                }
            } else {
                s.unit = unit_kind::normact;
                normact::row_job& j = s.rows;
                j.banks[0] = in_banks;
                j.banks[1] = out_banks;
                j.kind = kind;
                j.rows = n;
                j.cols = cols;
                j.first = r0 == 0;
                if (functional) {
                    j.in = in + r0 * cols * in_b;
                    j.out = out + r0 * cols * out_b;
                    j.aux = kind == normact::op::layernorm ? (aux ? static_cast<const void*>(bias.data()) : nullptr)
                          : kind == normact::op::resadd    ? static_cast<const void*>(&res[r0 * cols])
                          : kind == normact::op::requant   ? static_cast<const void*>(&bits[r0])
                                                           : nullptr;
                    j.channel = per_channel ? channel.data() : nullptr;
                    j.relu = opc == rg::op::REQUANT && (p2 & cmd_bits::REQUANT_RELU);
                    j.param[0] = p0;
                    j.param[1] = p1;
                    j.param[2] = p2;
                    j.param[3] = p3;
                    j.threads = m_cfg.vssa.threads;
                }
            }
            const uint64_t out_sp = m_cfg.scratchpad_base + half * 2 * quarter + quarter;  // results reuse the residual quarter
            if (opc == rg::op::REQUANT && aux && !per_channel) {
                for (uint64_t r = r0; r < r0 + n; ++r)
                    if (bits[r]) s.stores.push_back(dma_descriptor{out_sp, dst + r * ds, 1, bits[r] == 8 ? cols : cols / 2, 0, 0});
            } else {
                s.stores.push_back(dma_descriptor{out_sp, dst + r0 * ds, n, cols * out_b, cols * out_b, ds});
            }
            blocks.push_back(std::move(s));
        }
        rep.blocks = blocks.size();
        rep.end = schedule(blocks, t, fmt::format("{} {}x{}", rg::find_opcode(opc)->name, rows, cols), rep);

        if (functional) {
            if (softmax_op)
                for (size_t b = 0; b < blocks.size(); ++b)
                    std::copy(blocks[b].softmax.probs.begin(), blocks[b].softmax.probs.end(), out + b * chunk * cols);
            if (opc == rg::op::REQUANT && aux && !per_channel) {
                for (uint64_t r = 0; r < rows; ++r)
                    if (bits[r]) debug(true, dst + r * ds, out + r * cols, bits[r] == 8 ? cols : cols / 2);
            } else {
                write_rows(dst, rows, cols * out_b, ds, out);
            }
        }
    } catch (const std::exception& e) {
        return failure(c, e);
    }
    ++m_vec_commands;
    {
        const uint8_t ops[5] = {rg::op::SOFTMAX, rg::op::LAYERNORM, rg::op::GELU, rg::op::REQUANT, rg::op::RESADD};
        for (int i = 0; i < 5; ++i)
            if (opc == ops[i]) *m_elements[i] += rows * cols;
    }
    m_vec_cycles += rep.end - rep.start;
    (softmax_op ? m_softmax_busy : m_normact_busy) += rep.busy_unit;
    return finish(rep, softmax_op ? rg::UNIT_SOFTMAX : rg::UNIT_NORMACT);
}

}  // namespace dtq
