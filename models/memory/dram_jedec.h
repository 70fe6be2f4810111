// JEDEC DRAM timing model (dram.model: jedec): channels, ranks, bank groups and banks with
// their state, the JEDEC timing constraints, a memory controller per channel (request
// window, FR-FCFS or FCFS, open / closed / adaptive page policy, all-bank or per-bank
// refresh), a configurable address mapping, and DRAM energy by the DRAMPower method.
//
// Event-free: an access is split into bursts and each burst's commands are placed at the
// earliest DRAM cycle every constraint allows, from per-bank / per-rank "ready at"
// bookkeeping and a map of the occupied command-bus slots. No SystemC process, no event.
// Pure C++ (no SystemC): the TLM target is memory/dram.h, which calls access().
// Timing and the derivation of every rule: docs/timing-model.md#jedec-dram.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace dtq {

// One standard's device and timing data (a preset, models/memory/dram_presets/*.yaml).
struct dram_spec {
    std::string name, standard;
    uint64_t tck_fs = 0;  // DRAM clock period, femtoseconds (LPDDR4-4266: 468750)
    unsigned bus_bits = 64, burst_length = 8;
    unsigned channels = 1, ranks = 1, bank_groups = 1, banks_per_group = 8;
    uint64_t rows = 65536, columns = 1024;
    unsigned devices_per_rank = 1;
    std::string mapping = "ro-ra-ba-co-bg-ch";
    std::string refresh = "all-bank";
    bool separate_row_column_bus = false;
    unsigned cmd_act = 1, cmd_pre = 1, cmd_col = 1, cmd_ref = 1;  // command-bus cycles per command
    struct timing_t {  // tCK
        unsigned CL = 0, CWL = 0, RCD = 0, RCDWR = 0, RP = 0, RPab = 0, RAS = 0, RC = 0, CCD_S = 0, CCD_L = 0,
                 RRD_S = 0, RRD_L = 0, FAW = 0, WR = 0, WTR_S = 0, WTR_L = 0, RTP = 0, RTW = 0, RTRS = 0,
                 RFC = 0, REFI = 0, RFCpb = 0, REFIpb = 0;
    } t;
    struct rail {  // DRAMPower currents of one supply rail, per device, mA
        std::string name;
        double volts = 0, idd0 = 0, idd2n = 0, idd3n = 0, idd4r = 0, idd4w = 0, idd5b = 0;
    };
    std::vector<rail> power;

    uint64_t burst_bytes() const { return uint64_t(bus_bits) / 8 * burst_length; }
    unsigned burst_cycles() const { return burst_length / 2; }  // data-bus tCK per burst (double data rate)
    uint64_t row_bytes() const { return columns * bus_bits / 8; }
    unsigned banks() const { return bank_groups * banks_per_group; }
};

// Names of the built-in presets, and one of them parsed (std::invalid_argument on an unknown name).
std::vector<std::string> dram_preset_names();
dram_spec dram_preset(const std::string& name);
// A preset from YAML text (`origin` names it in errors). Throws std::invalid_argument with
// "<origin>: key '<key>': expected ..., got ...".
dram_spec dram_spec_from_yaml(const std::string& text, const std::string& origin);
// Checks a spec's consistency (powers of two, constraints a JEDEC part satisfies); "" when good,
// else "key '<key>': expected ..., got ...".
std::string dram_spec_check(const dram_spec& s);

// The controller's choices (scenario keys dram.jedec.*); zero / empty = the preset's.
struct dram_jedec_options {
    std::string preset = "ddr4-3200";
    std::string preset_file;       // a user preset (YAML, the same keys); overrides `preset`
    uint64_t channels = 0, ranks = 0;
    std::string scheduler = "fr-fcfs";  // fr-fcfs | fcfs
    std::string page_policy = "open";   // open | closed | adaptive
    std::string refresh = "preset";     // all-bank | per-bank | off | preset (the preset's)
    std::string mapping = "preset";     // fields MSB..LSB: ro ra bg ba co ch, or preset (the preset's)
    bool xor_bank = false;              // bank and bank group ^= low row bits
    uint64_t queue_depth = 32;          // requests the scheduler sees at once, per channel
    // tests: the scheduler's reference form (no one-rank shortcut; the window's earliest arrival
    // and arrived count computed over it); the same picks
    bool full_search = false;
};

// The spec the options name: opt.preset_file (read from disk) if set, else the built-in opt.preset.
dram_spec load_dram_spec(const dram_jedec_options& opt);
// Parses "ro-ra-ba-co-bg-ch"; "" when good, else an error text.
std::string dram_mapping_check(const std::string& mapping);

// A synthetic stream through one dram_jedec, all requests issued at cycle 0 (the controller
// always has work): `pattern` is seq-read, seq-write (4 KiB accesses), rand-read-1bank (64 B
// reads to random rows of one bank), rand-read, rand-rw (one burst at random addresses, 2 reads :
// 1 write, in batches of queue_depth requests), chase (dependent random reads, one at a time:
// the idle latency). Used by the tests and `dtqvp dram-streams`.
struct dram_stream_result {
    double efficiency = 0;       // data-bus busy time / elapsed time, mean over the channels used
    double gbytes_per_s = 0;     // bytes / elapsed time
    double read_latency_ns = 0;  // mean, per burst
    uint64_t bursts = 0;
};
std::vector<std::string> dram_stream_patterns();
dram_stream_result dram_stream(const dram_jedec_options& opt, const std::string& pattern, uint64_t bytes, uint64_t seed);
// A request trace through one dram_jedec, in DRAMSys's STL format so that the same file runs on
// both: one request per line, "<cycle>: read|write 0x<address>" (cycle in tCK of the preset,
// non-decreasing; blank lines and '#' comments skipped). Requests go to the controllers in
// windows of queue_depth consecutive lines, each arriving at its own cycle. `end_tck` is the
// last data beat. Throws std::invalid_argument "<path>:<line>: expected ..., got ...".
struct dram_trace_result {
    dram_stream_result stream;
    uint64_t requests = 0, end_tck = 0;
};
dram_trace_result dram_trace(const dram_jedec_options& opt, const std::string& path);

class dram_jedec {
public:
    enum class cmd : uint8_t { act, pre, rd, wr, ref };
    struct request {  // one burst, DRAM clock cycles
        bool read = true;
        uint64_t addr = 0;
        uint64_t arrive = 0;
        uint64_t done = 0;  // out: cycle its data is done (last beat on the bus)
    };
    struct location { unsigned ch, rank, bg, bank; uint64_t row, col; unsigned bi; };  // bi: rank-major bank index in the channel

    // `acc_period_ps`: the accelerator clock, for access() and the statistics in its cycles.
    dram_jedec(const dram_spec& spec, const dram_jedec_options& opt, uint64_t acc_period_ps);

    const dram_spec& spec() const { return m_spec; }
    location decode(uint64_t addr) const;

    // An access of `len` bytes at accelerator cycle `at`, split into bursts; returns the
    // accelerator cycle its last burst's data is done.
    uint64_t access(bool is_read, uint64_t addr, uint64_t len, uint64_t at);
    // A batch of bursts that the controllers see together (one window per channel), in
    // DRAM cycles; fills each request's `done`.
    void serve(std::vector<request>& batch);

    // Optional observer of every command (tests, the trace): channel, rank, bank (global
    // index, -1 for all-bank), row, command, DRAM cycle it issues.
    using observer = void (*)(void* ctx, unsigned ch, unsigned rank, int bank, uint64_t row, cmd c, uint64_t at);
    void set_observer(observer fn, void* ctx) { m_obs = fn; m_obs_ctx = ctx; }

    // ---- statistics (read at any time; `end_tck` is the end of the measured interval)
    struct counters {
        uint64_t acts = 0, pres = 0, rds = 0, wrs = 0, refs = 0, refs_pb = 0;
        uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0;
        uint64_t queue_samples = 0, queue_sum = 0, queue_max = 0;
        uint64_t read_bursts = 0, read_latency_sum = 0;  // tCK
    };
    const counters& totals() const { return m_tot; }
    uint64_t channel_bytes(unsigned ch) const { return m_ch[ch].bytes; }
    uint64_t channel_busy_tck(unsigned ch) const { return m_ch[ch].busy; }
    // Refreshes (all-bank, per-bank) issued or due by end_tck, in every rank.
    uint64_t refreshes(uint64_t end_tck, bool per_bank) const;
    // Read latency (arrival to last beat) percentile, tCK (q in [0, 1]).
    uint64_t read_latency_quantile(double q) const;
    struct energy { double act = 0, rd = 0, wr = 0, ref = 0, background = 0; double total() const { return act + rd + wr + ref + background; } };
    energy energy_pj(uint64_t end_tck) const;  // DRAMPower method, picojoules
    uint64_t tck_of_acc(uint64_t acc_cycle) const;    // ceil
    uint64_t acc_of_tck(uint64_t tck) const;          // ceil
    uint64_t last_data_tck() const;

    // Occupied command-bus cycles, a sliding window of W cycles: WORDS words of occupancy, then
    // WORDS tags; word w holds the 64 cycles of block tag[w] (cycle / 64), and a word whose tag
    // is another block is stale and reads as free, so moving the window costs nothing. Cycles
    // before `base` (W behind the latest command) count as free. find and mark test or set a
    // command within one word of the window inline (nearly every command: one to two cycles
    // long); anything else goes the general way (find_slow, mark_slow: the same answers).
    // Public for the test that compares the two ways.
    struct slot_map {
        static constexpr uint64_t W = 16384, WORDS = W / 64;
        uint64_t base = 0;
        std::vector<uint64_t> bits;
        slot_map() : bits(2 * WORDS, 0) { std::fill(bits.begin() + WORDS, bits.end(), UINT64_MAX); }
        // First free [c, c+len) with c >= at (before the window: at).
        uint64_t find(uint64_t at, unsigned len) {
            if (at + len <= base) return at;
            const uint64_t off = at % 64;
            if (at >= base && len >= 1 && off + len <= 64) {
                const uint64_t blk = at / 64, w = blk % WORDS;
                const uint64_t word = bits[WORDS + w] == blk ? bits[w] : 0;
                if (!((word >> off) & (~uint64_t{0} >> (64 - len)))) return at;
            }
            return find_slow(at, len);
        }
        void mark(uint64_t at, unsigned len) {
            const uint64_t off = at % 64;
            if (len >= 1 && off + len <= 64) {
                if (at + len > base + W) base = at + len - W;  // advance (commands go forward: most do)
                if (at < base) return mark_slow(at, len);
                const uint64_t blk = at / 64, w = blk % WORDS;
                if (bits[WORDS + w] != blk) {
                    bits[WORDS + w] = blk;
                    bits[w] = 0;
                }
                bits[w] |= (~uint64_t{0} >> (64 - len)) << off;
                return;
            }
            mark_slow(at, len);
        }
        uint64_t place(uint64_t at, unsigned len);  // find + mark; a cycle before the window as is
        void advance(uint64_t to);
        uint64_t find_slow(uint64_t at, unsigned len);
        void mark_slow(uint64_t at, unsigned len);
    };

private:
    struct bank_state {
        int64_t row = -1;  // open row, -1 = precharged
        uint64_t act_at = 0, act_ready = 0, pre_ready = 0, col_ready = 0;
    };
    // The rank's and bank groups' timing constraints are kept as the earliest cycle each allows
    // (set at commit: the command's cycle plus its spacing), 0 before the first such command:
    // a constraint that never binds, so a plan takes the maximum without a test per constraint.
    struct rank_state {
        uint64_t act_rrd = 0;  // last ACT + tRRD_S
        struct bg_state {      // per bank group
            uint64_t act_rrd = 0;  // last ACT + tRRD_L
            uint64_t col_ccd = 0;  // last column command + tCCD_L
            uint64_t rd_wtr = 0;   // end of the last write's data + tWTR_L (a read waits for it)
        };
        std::vector<bg_state> bg;
        uint64_t faw[4] = {0, 0, 0, 0}; unsigned faw_n = 0, faw_i = 0;  // the last four ACTs, a ring
        uint64_t act_faw = 0;  // the oldest of the last four ACTs + tFAW, once there are four
        uint64_t col_ccd = 0;  // last column command + tCCD_S
        uint64_t rd_wtr = 0;   // end of the last write's data + tWTR_S
        uint64_t wr_rtw = 0;   // last read + tRTW (a write waits for it)
        uint64_t next_ref = 0;  // due cycle of the next refresh
        unsigned ref_bank = 0;           // per-bank refresh: the bank of the last one
        std::vector<uint8_t> refreshed;  // per-bank refresh: banks done in this round
        uint64_t refs = 0;
        // background energy: the union of the banks' ACT..PRE intervals. ACTs of a rank come in
        // time order (tRRD), so intervals join the current group [grp_s, grp_e] while one of its
        // banks is open or they start before grp_e; a group is final when a later ACT starts
        // after it with none open.
        uint64_t grp_s = 0, grp_e = 0, active_tck = 0;
        unsigned grp_open = 0;
        bool in_group = false;
    };
    struct channel_state {
        std::vector<bank_state> banks;  // rank-major, then bank group, then bank
        std::vector<rank_state> ranks;
        slot_map row_bus, col_bus;
        uint64_t data_free = 0; int data_rank = -1;
        uint64_t bytes = 0, busy = 0;
        std::vector<size_t> pending;  // request indices of the batch being served
    };
    struct plan { bool hit, conflict; uint64_t pre, act, col; };

    void serve_channel(channel_state& c, unsigned ch, std::vector<request>& batch);
    uint64_t ready_estimate(const channel_state& c, const location& l, bool read, uint64_t arrive) const;
    plan make_plan(channel_state& c, const location& l, bool read, uint64_t arrive);
    void commit(channel_state& c, unsigned ch, const location& l, request& r, const plan& p, bool close_after);
    void refresh(channel_state& c, unsigned ch, unsigned rank);
    void record_read(uint64_t lat_tck);
    void bank_open(rank_state& r, uint64_t at);
    void bank_close(rank_state& r, uint64_t at);
    void emit(unsigned ch, unsigned rank, int bank, uint64_t row, cmd k, uint64_t at) {
        if (m_obs) m_obs(m_obs_ctx, ch, rank, bank, row, k, at);
    }

    dram_spec m_spec;
    dram_jedec_options m_opt;
    uint64_t m_acc_fs;
    uint64_t m_acc_lim, m_tck_lim;  // largest cycle counts whose product with the period fits 64 bits
    bool m_frfcfs, m_per_bank_ref, m_ref_on;
    enum class page { open, closed, adaptive } m_page;
    struct field { char kind; unsigned bits; };  // LSB first
    std::vector<field> m_fields;
    // decode: per field (ro, ra, bg, ba, co, ch) its shift in the burst index and its mask
    unsigned m_sh_top = 0, m_sh_ro = 0, m_sh_ra = 0, m_sh_bg = 0, m_sh_ba = 0, m_sh_co = 0, m_sh_ch = 0, m_bits_ro = 0;
    uint64_t m_mk_ra = 0, m_mk_bg = 0, m_mk_ba = 0, m_mk_co = 0, m_mk_ch = 0, m_mk_ro = 0;
    unsigned m_burst_shift;
    std::vector<channel_state> m_ch;
    counters m_tot;
    static constexpr size_t LAT_BUCKETS = 1024 + (64 - 10) * 64;  // exact below 1024 tCK, then 64 per octave
    std::vector<uint64_t> m_lat_hist;  // read latency histogram (buckets: dram_jedec.cpp, record_read)
    uint64_t m_lat_max = 0;
    observer m_obs = nullptr;
    void* m_obs_ctx = nullptr;
    std::vector<std::vector<request>> m_scratch;
    std::vector<request> m_batch;
    std::vector<location> m_locs;
    std::vector<size_t> m_order;
};

}  // namespace dtq
