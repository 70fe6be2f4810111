#include "memory/dram.h"

#include "common/burst_train.h"
#include "common/timing_only.h"
#include "common/trace.h"

#include <fmt/format.h>

namespace dtq {

using namespace sc_core;

dram::dram(const sc_module_name& name, const dram_config& cfg, const clock& clk)
    : sc_module(name),
      in("in"),
      m_cfg(cfg),
      m_clk(clk),
      m_trace(&dtq::trace::global()),
      m_port(cfg.bytes_per_cycle),
      m_row_bytes(cfg.row_bytes),
      m_banks(cfg.banks),
      m_stats(this->name()),
      m_bytes_read(m_stats.counter("bytes_read", "bytes", "bytes read from DRAM")),
      m_bytes_written(m_stats.counter("bytes_written", "bytes", "bytes written to DRAM")),
      m_reads(m_stats.counter("reads", "count", "read transactions")),
      m_writes(m_stats.counter("writes", "count", "write transactions")),
      m_busy_cycles(m_stats.counter("busy_cycles", "cycles", "cycles the data bus transfers data")),
      m_row_hits(m_stats.counter("row_hits", "count", "accesses that found their row open (banks on)")),
      m_row_misses(m_stats.counter("row_misses", "count", "accesses that opened a row (banks on)")) {
    in.register_b_transport(this, &dram::b_transport);
    in.register_transport_dbg(this, &dram::transport_dbg);
    in.register_get_direct_mem_ptr(this, &dram::get_direct_mem_ptr);
    m_stats.derived("bandwidth_utilization", "ratio", "busy cycles / simulated cycles", [this] {
        const uint64_t now = m_clk.now();
        return now ? static_cast<double>(m_busy_cycles) / static_cast<double>(now) : 0.0;
    });
    reset();
    if (m_jedec) jedec_stats();
}

void dram::reset() {
    m_busy_until = 0;
    m_open_row.assign(m_cfg.banks_enabled ? m_cfg.banks : 0, -1);
    if (m_cfg.model == "jedec") {
        m_jedec = std::make_unique<dram_jedec>(load_dram_spec(m_cfg.jedec), m_cfg.jedec, m_clk.period_ps());
        m_tracks.clear();
        for (unsigned c = 0; c < m_jedec->spec().channels; ++c) m_tracks.push_back(fmt::format("{}.ch{}", name(), c));
    }
}

// Statistics of the JEDEC model (docs/timing-model.md#jedec-dram), in accelerator cycles
// unless the unit says otherwise. Energies are up to the current simulated time.
void dram::jedec_stats() {
    dram_jedec& j = *m_jedec;
    const auto end_tck = [this] { return m_jedec->tck_of_acc(m_clk.now()); };
    const double acc_per_tck = static_cast<double>(j.spec().tck_fs) / (static_cast<double>(m_clk.period_ps()) * 1000.0);
    m_stats.derived_int("row_conflicts", "count", "accesses that found another row open (jedec)",
                        [this] { return m_jedec->totals().row_conflicts; });
    m_stats.derived_int("commands_act", "count", "ACT commands (jedec)", [this] { return m_jedec->totals().acts; });
    m_stats.derived_int("commands_pre", "count", "PRE commands, explicit, all-bank and auto-precharge (jedec)",
                        [this] { return m_jedec->totals().pres; });
    m_stats.derived_int("commands_rd", "count", "RD bursts (jedec)", [this] { return m_jedec->totals().rds; });
    m_stats.derived_int("commands_wr", "count", "WR bursts (jedec)", [this] { return m_jedec->totals().wrs; });
    m_stats.derived_int("refreshes", "count", "refresh commands issued or due so far, all ranks (all-bank + per-bank) (jedec)",
                        [this, end_tck] { return m_jedec->refreshes(end_tck(), false) + m_jedec->refreshes(end_tck(), true); });
    m_stats.derived("refresh_cycles", "cycles", "cycles banks were blocked by refresh, summed over ranks (tRFC or tRFCpb each) (jedec)",
                    [this, end_tck, acc_per_tck] {
                        const auto& t = m_jedec->spec().t;
                        return acc_per_tck * (static_cast<double>(m_jedec->refreshes(end_tck(), false)) * t.RFC +
                                              static_cast<double>(m_jedec->refreshes(end_tck(), true)) * t.RFCpb);
                    });
    m_stats.derived("read_latency_avg", "cycles", "mean read latency of a burst, arrival to last data beat (jedec)",
                    [this, acc_per_tck] {
                        const auto& t = m_jedec->totals();
                        return t.read_bursts ? acc_per_tck * static_cast<double>(t.read_latency_sum) / static_cast<double>(t.read_bursts) : 0.0;
                    });
    m_stats.derived("read_latency_p99", "cycles", "99th percentile of the read latency of a burst (jedec)",
                    [this, acc_per_tck] { return acc_per_tck * static_cast<double>(m_jedec->read_latency_quantile(0.99)); });
    m_stats.derived("read_latency_max", "cycles", "largest read latency of a burst (jedec)",
                    [this, acc_per_tck] { return acc_per_tck * static_cast<double>(m_jedec->read_latency_quantile(1.0)); });
    m_stats.derived("queue_occupancy_avg", "count", "requests waiting in a channel's window at each scheduling decision, mean (jedec)",
                    [this] {
                        const auto& t = m_jedec->totals();
                        return t.queue_samples ? static_cast<double>(t.queue_sum) / static_cast<double>(t.queue_samples) : 0.0;
                    });
    m_stats.derived_int("queue_occupancy_max", "count", "requests waiting in a channel's window, largest (jedec)",
                        [this] { return m_jedec->totals().queue_max; });
    const double peak = static_cast<double>(j.spec().burst_bytes()) / j.spec().burst_cycles() / acc_per_tck;
    m_stats.derived("peak_bandwidth", "B/cycle", "peak data bandwidth of all channels per accelerator cycle (jedec)",
                    [this, peak] { return peak * m_jedec->spec().channels; });
    for (unsigned c = 0; c < j.spec().channels; ++c) {
        const std::string p = fmt::format("ch{}.", c);
        m_stats.derived_int(p + "bytes", "bytes", "bytes moved on this channel's data bus (jedec)",
                            [this, c] { return m_jedec->channel_bytes(c); });
        m_stats.derived(p + "bandwidth", "B/cycle", "bytes on this channel / simulated cycles (jedec)", [this, c] {
            const uint64_t now = m_clk.now();
            return now ? static_cast<double>(m_jedec->channel_bytes(c)) / static_cast<double>(now) : 0.0;
        });
        m_stats.derived(p + "efficiency", "ratio", "data-bus busy time / simulated time on this channel (jedec)",
                        [this, c, end_tck] {
                            const uint64_t e = end_tck();
                            return e ? static_cast<double>(m_jedec->channel_busy_tck(c)) / static_cast<double>(e) : 0.0;
                        });
    }
    // Energy only with the preset's IDD currents (a user preset may have none): the energy
    // model then takes these as energy.dram.* (docs/energy.md#dram).
    if (j.spec().power.empty()) return;
    const auto en = [this, end_tck] { return m_jedec->energy_pj(end_tck()); };
    m_stats.derived("energy_act", "pJ", "DRAM activate/precharge energy, DRAMPower method (jedec)", [en] { return en().act; });
    m_stats.derived("energy_rd", "pJ", "DRAM read-burst energy, DRAMPower method (jedec)", [en] { return en().rd; });
    m_stats.derived("energy_wr", "pJ", "DRAM write-burst energy, DRAMPower method (jedec)", [en] { return en().wr; });
    m_stats.derived("energy_ref", "pJ", "DRAM refresh energy, DRAMPower method (jedec)", [en] { return en().ref; });
    m_stats.derived("energy_background", "pJ", "DRAM active / precharge standby energy, DRAMPower method (jedec)",
                    [en] { return en().background; });
    m_stats.derived("energy_total", "pJ", "sum of the dram.energy_* terms (jedec)", [en] { return en().total(); });
}

void dram::start_of_simulation() {
    if (m_jedec && dtq::trace::global().enabled()) m_jedec->set_observer(&dram::on_command, this);
}

void dram::on_command(void* self, unsigned ch, unsigned rank, int bank, uint64_t row, dram_jedec::cmd c, uint64_t at) {
    dtq::trace& tr = dtq::trace::global();
    if (!tr.enabled()) return;
    auto* d = static_cast<dram*>(self);
    static const char* names[] = {"ACT", "PRE", "RD", "WR", "REF"};
    const uint64_t start = d->m_clk.cycles(sc_time::from_value(at * d->m_jedec->spec().tck_fs / 1000));
    tr.span(d->m_tracks[ch], names[static_cast<int>(c)], start, start + 1,
            fmt::format("{{\"rank\":{},\"bank\":{},\"row\":{}}}", rank, bank, row));
}

void dram::poke(uint64_t addr, const void* src, uint64_t len) {
    m_store.write(addr, static_cast<const uint8_t*>(src), len);
}

void dram::peek(uint64_t addr, void* dst, uint64_t len) const {
    m_store.read(addr, static_cast<uint8_t*>(dst), len);
}

bool dram::check(tlm::tlm_generic_payload& tx) const {
    const uint64_t addr = tx.get_address(), len = tx.get_data_length();
    if (len == 0 || addr >= m_cfg.size || len > m_cfg.size - addr) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return false;
    }
    if (tx.get_byte_enable_ptr()) {
        tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
        return false;
    }
    if (tx.get_streaming_width() < len) {
        tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
        return false;
    }
    if (tx.get_command() == tlm::TLM_IGNORE_COMMAND) {
        tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return false;
    }
    return true;
}

// Latency of an access and extra data-bus occupancy from row misses after the first
// row (docs/timing-model.md#dram).
uint64_t dram::access_latency(uint64_t addr, uint64_t len, uint64_t& extra_busy) {
    extra_busy = 0;
    if (!m_cfg.banks_enabled) return m_cfg.latency_cycles;
    uint64_t latency = 0;
    const uint64_t first_row = m_row_bytes.div(addr), last_row = m_row_bytes.div(addr + len - 1);
    for (uint64_t row = first_row; row <= last_row; ++row) {
        const uint64_t bank = m_banks.mod(row);
        const bool hit = m_open_row[bank] == static_cast<int64_t>(row);
        m_open_row[bank] = static_cast<int64_t>(row);
        (hit ? m_row_hits : m_row_misses)++;
        const uint64_t cost = hit ? m_cfg.row_hit_cycles : m_cfg.row_miss_cycles;
        if (row == first_row) latency = cost;
        else if (!hit) extra_busy += m_cfg.row_miss_cycles - m_cfg.row_hit_cycles;
    }
    return latency;
}

// The JEDEC model's row and busy counts into this module's counters (the statistics read
// them): after each access, or once after a train's (m_in_train), before anyone can read them.
void dram::sync_jedec_counters() {
    const auto& t = m_jedec->totals();
    m_row_hits = t.row_hits;
    m_row_misses = t.row_misses + t.row_conflicts;
    uint64_t busy = 0;
    for (unsigned c = 0; c < m_jedec->spec().channels; ++c) busy += m_jedec->channel_busy_tck(c);
    m_busy_cycles = m_jedec->acc_of_tck(busy / m_jedec->spec().channels);  // the mean channel's
}

// One access requested at cycle `at`; returns the cycle its data is done.
uint64_t dram::access(bool is_read, uint64_t addr, uint64_t len, uint64_t at) {
    if (m_jedec) {
        const uint64_t done = m_jedec->access(is_read, addr, len, at);
        if (is_read) { m_bytes_read += len; ++m_reads; }
        else { m_bytes_written += len; ++m_writes; }
        if (!m_in_train) sync_jedec_counters();
        return done;
    }
    uint64_t extra_busy = 0;
    const uint64_t latency = access_latency(addr, len, extra_busy);
    const uint64_t start = std::max(at, m_busy_until);
    const uint64_t beats = m_port.ceil(len) + extra_busy;
    m_busy_until = start + beats;
    m_busy_cycles += beats;
    if (is_read) { m_bytes_read += len; ++m_reads; }
    else { m_bytes_written += len; ++m_writes; }
    if (m_trace->enabled()) m_trace->transfer(name(), m_busy_until - beats, m_busy_until, len);
    return m_busy_until + latency;
}

// The simple model without row buffers (the default): a train's bursts, each exactly as
// access() at now + its issue offset, in one loop (busy-until and counters in registers).
uint64_t dram::access_train(bool is_read, uint64_t addr, burst_train& t, uint64_t now) {
    const size_t n = t.bursts.size();
    t.done.resize(n);
    const burst_train::burst* b = t.bursts.data();
    uint64_t* done = t.done.data();
    uint64_t busy = m_busy_until, busy_cycles = 0, last = now;
    // Reads counted in registers, writes as the rest (counters in an array indexed by the
    // direction were a load and a store per burst, each waiting for the previous one's).
    uint64_t reads = 0, all_bytes = 0, read_bytes = 0;
    const uint64_t latency = m_cfg.latency_cycles;
    const divider port = m_port;
    const bool traced = m_trace->enabled();
    for (size_t i = 0; i < n; ++i) {
        const uint64_t rd = b[i].write < 0 ? is_read : b[i].write == 0;
        const uint64_t len = b[i].bytes, beats = port.ceil(len);
        const uint64_t start = std::max(now + b[i].issue, busy);
        busy = start + beats;
        busy_cycles += beats;
        reads += rd;
        all_bytes += len;
        read_bytes += len & (0 - rd);
        if (traced) m_trace->transfer(name(), start, busy, len);
        done[i] = busy + latency;
        last = std::max(last, done[i]);
    }
    m_busy_until = busy;
    m_busy_cycles += busy_cycles;
    m_reads += reads;
    m_writes += n - reads;
    m_bytes_read += read_bytes;
    m_bytes_written += all_bytes - read_bytes;
    return last;
}

void dram::b_transport(tlm::tlm_generic_payload& tx, sc_time& delay) {
    if (!check(tx)) return;
    const uint64_t addr = tx.get_address(), len = tx.get_data_length();
    const bool is_read = tx.is_read();
    const uint64_t now = m_clk.now(delay);
    uint64_t done;
    if (burst_train* t = train_of(tx)) {  // timing only: one access per burst
        if (!train_fits(*t, len)) {
            tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
            return;
        }
        m_in_train = true;  // the JEDEC counters are copied once, after the train
        done = m_jedec || m_cfg.banks_enabled ? run_train(*t, now, [&](const burst_train::burst& b, uint64_t at) {
            return access(b.write < 0 ? is_read : b.write == 0, addr + b.offset, b.bytes, at);
        }) : access_train(is_read, addr, *t, now);
        m_in_train = false;
        if (m_jedec) sync_jedec_counters();
    } else {
        if (!is_timing_only(tx)) {
            if (is_read) m_store.read(addr, tx.get_data_ptr(), len);
            else m_store.write(addr, tx.get_data_ptr(), len);
        }
        done = access(is_read, addr, len, now);
    }
    delay = m_clk.time(done) - sc_time_stamp();
    tx.set_dmi_allowed(true);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned dram::transport_dbg(tlm::tlm_generic_payload& tx) {
    const uint64_t addr = tx.get_address(), len = tx.get_data_length();
    if (addr >= m_cfg.size || len > m_cfg.size - addr) {
        tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
        return 0;
    }
    if (tx.is_read()) m_store.read(addr, tx.get_data_ptr(), len);
    else if (tx.is_write()) m_store.write(addr, tx.get_data_ptr(), len);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return static_cast<unsigned>(len);
}

// DMI is granted one 4 KiB page at a time (the store is sparse). DMI accesses bypass
// timing and statistics: it is for functional loaders and debuggers, not for the
// accelerator's data path, whose traffic always goes through b_transport.
bool dram::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    const uint64_t addr = tx.get_address();
    if (addr >= m_cfg.size) return false;
    const uint64_t page = addr / sparse_store::PAGE;
    dmi.set_dmi_ptr(m_store.page(page));
    dmi.set_start_address(page * sparse_store::PAGE);
    dmi.set_end_address(std::min(m_cfg.size, (page + 1) * sparse_store::PAGE) - 1);
    dmi.allow_read_write();
    dmi.set_read_latency(m_clk.time(m_cfg.latency_cycles));
    dmi.set_write_latency(m_clk.time(m_cfg.latency_cycles));
    return true;
}

}  // namespace dtq
