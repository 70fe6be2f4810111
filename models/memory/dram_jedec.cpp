#include "memory/dram_jedec.h"

#include "memory/dram_presets_gen.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <set>
#include <stdexcept>

namespace dtq {

namespace {

bool pow2(uint64_t v) { return v && !(v & (v - 1)); }
unsigned log2u(uint64_t v) {
    unsigned n = 0;
    while (v > 1) { v >>= 1; ++n; }
    return n;
}

[[noreturn]] void bad(const std::string& origin, const std::string& key, const std::string& expect,
                      const std::string& got) {
    throw std::invalid_argument(fmt::format("{}: key '{}': expected {}, got {}", origin, key, expect, got));
}

std::string show(const YAML::Node& n) {
    if (!n) return "nothing (missing)";
    if (n.IsScalar()) return "'" + n.Scalar() + "'";
    return n.IsMap() ? "a mapping" : "a sequence";
}

uint64_t get_u64(const YAML::Node& m, const std::string& key, const std::string& path, const std::string& origin,
                 uint64_t lo, uint64_t hi) {
    const YAML::Node n = m[key];
    uint64_t v = 0;
    try {
        if (!n || !n.IsScalar()) throw YAML::Exception(YAML::Mark(), "");
        const std::string s = n.Scalar();
        if (s.empty() || s[0] == '-') throw YAML::Exception(YAML::Mark(), "");
        v = n.as<uint64_t>();
    } catch (const YAML::Exception&) {
        bad(origin, path, fmt::format("an unsigned integer in [{}, {}]", lo, hi), show(n));
    }
    if (v < lo || v > hi) bad(origin, path, fmt::format("an unsigned integer in [{}, {}]", lo, hi), std::to_string(v));
    return v;
}

double get_num(const YAML::Node& m, const std::string& key, const std::string& path, const std::string& origin) {
    const YAML::Node n = m[key];
    double v = 0;
    try {
        if (!n || !n.IsScalar()) throw YAML::Exception(YAML::Mark(), "");
        v = n.as<double>();
    } catch (const YAML::Exception&) {
        bad(origin, path, "a number >= 0", show(n));
    }
    if (!(v >= 0)) bad(origin, path, "a number >= 0", n.Scalar());
    return v;
}

std::string get_str(const YAML::Node& m, const std::string& key, const std::string& path, const std::string& origin) {
    const YAML::Node n = m[key];
    if (!n || !n.IsScalar()) bad(origin, path, "a string", show(n));
    return n.Scalar();
}

void only_keys(const YAML::Node& m, const std::set<std::string>& keys, const std::string& prefix,
               const std::string& origin) {
    for (const auto& kv : m) {
        const std::string k = kv.first.as<std::string>();
        if (!keys.count(k)) {
            std::string list;
            for (const auto& s : keys) list += (list.empty() ? "" : ", ") + s;
            bad(origin, prefix + k, "one of the known keys (" + list + ")", "an unknown key");
        }
    }
}

}  // namespace

std::vector<std::string> dram_preset_names() {
    std::vector<std::string> v;
    for (const auto& p : dram_presets_gen::all) v.push_back(p.name);
    return v;
}

dram_spec dram_preset(const std::string& name) {
    for (const auto& p : dram_presets_gen::all)
        if (name == p.name) return dram_spec_from_yaml(p.text, std::string("preset ") + p.name);
    std::string list;
    for (const auto& n : dram_preset_names()) list += (list.empty() ? "" : ", ") + n;
    throw std::invalid_argument(fmt::format("unknown DRAM preset '{}' (expected one of {})", name, list));
}

dram_spec load_dram_spec(const dram_jedec_options& opt) {
    if (opt.preset_file.empty()) return dram_preset(opt.preset);
    std::ifstream f(opt.preset_file);
    if (!f) throw std::invalid_argument(fmt::format("{}: cannot open the DRAM preset file", opt.preset_file));
    std::stringstream ss;
    ss << f.rdbuf();
    return dram_spec_from_yaml(ss.str(), opt.preset_file);
}

dram_spec dram_spec_from_yaml(const std::string& text, const std::string& origin) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        throw std::invalid_argument(fmt::format("{}: line {}: YAML syntax error: {}", origin, e.mark.line + 1, e.msg));
    }
    if (!root.IsMap()) throw std::invalid_argument(origin + ": expected a mapping of preset keys");
    only_keys(root, {"name", "standard", "tck_fs", "bus_bits", "burst_length", "channels", "ranks", "bank_groups",
                     "banks_per_group", "rows", "columns", "devices_per_rank", "mapping", "refresh",
                     "separate_row_column_bus", "command_cycles", "timing", "power"},
              "", origin);
    dram_spec s;
    s.name = get_str(root, "name", "name", origin);
    s.standard = get_str(root, "standard", "standard", origin);
    s.tck_fs = get_u64(root, "tck_fs", "tck_fs", origin, 1000, 100000000);
    s.bus_bits = static_cast<unsigned>(get_u64(root, "bus_bits", "bus_bits", origin, 8, 1024));
    s.burst_length = static_cast<unsigned>(get_u64(root, "burst_length", "burst_length", origin, 2, 64));
    s.channels = static_cast<unsigned>(get_u64(root, "channels", "channels", origin, 1, 1024));
    s.ranks = static_cast<unsigned>(get_u64(root, "ranks", "ranks", origin, 1, 16));
    s.bank_groups = static_cast<unsigned>(get_u64(root, "bank_groups", "bank_groups", origin, 1, 16));
    s.banks_per_group = static_cast<unsigned>(get_u64(root, "banks_per_group", "banks_per_group", origin, 1, 64));
    s.rows = get_u64(root, "rows", "rows", origin, 1, 1ull << 24);
    s.columns = get_u64(root, "columns", "columns", origin, 1, 1ull << 16);
    s.devices_per_rank = static_cast<unsigned>(get_u64(root, "devices_per_rank", "devices_per_rank", origin, 1, 64));
    s.mapping = get_str(root, "mapping", "mapping", origin);
    s.refresh = get_str(root, "refresh", "refresh", origin);
    const std::string sep = get_str(root, "separate_row_column_bus", "separate_row_column_bus", origin);
    if (sep != "true" && sep != "false") bad(origin, "separate_row_column_bus", "true or false", "'" + sep + "'");
    s.separate_row_column_bus = sep == "true";
    const YAML::Node cc = root["command_cycles"];
    if (!cc || !cc.IsMap()) bad(origin, "command_cycles", "a mapping {act, pre, col, ref}", show(cc));
    only_keys(cc, {"act", "pre", "col", "ref"}, "command_cycles.", origin);
    s.cmd_act = static_cast<unsigned>(get_u64(cc, "act", "command_cycles.act", origin, 1, 16));
    s.cmd_pre = static_cast<unsigned>(get_u64(cc, "pre", "command_cycles.pre", origin, 1, 16));
    s.cmd_col = static_cast<unsigned>(get_u64(cc, "col", "command_cycles.col", origin, 1, 16));
    s.cmd_ref = static_cast<unsigned>(get_u64(cc, "ref", "command_cycles.ref", origin, 1, 16));
    const YAML::Node t = root["timing"];
    if (!t || !t.IsMap()) bad(origin, "timing", "a mapping of JEDEC timings in tCK", show(t));
    const std::vector<std::pair<const char*, unsigned dram_spec::timing_t::*>> tk = {
        {"CL", &dram_spec::timing_t::CL},       {"CWL", &dram_spec::timing_t::CWL},
        {"RCD", &dram_spec::timing_t::RCD},     {"RCDWR", &dram_spec::timing_t::RCDWR},
        {"RP", &dram_spec::timing_t::RP},       {"RPab", &dram_spec::timing_t::RPab},
        {"RAS", &dram_spec::timing_t::RAS},     {"RC", &dram_spec::timing_t::RC},
        {"CCD_S", &dram_spec::timing_t::CCD_S}, {"CCD_L", &dram_spec::timing_t::CCD_L},
        {"RRD_S", &dram_spec::timing_t::RRD_S}, {"RRD_L", &dram_spec::timing_t::RRD_L},
        {"FAW", &dram_spec::timing_t::FAW},     {"WR", &dram_spec::timing_t::WR},
        {"WTR_S", &dram_spec::timing_t::WTR_S}, {"WTR_L", &dram_spec::timing_t::WTR_L},
        {"RTP", &dram_spec::timing_t::RTP},     {"RTW", &dram_spec::timing_t::RTW},
        {"RTRS", &dram_spec::timing_t::RTRS},   {"RFC", &dram_spec::timing_t::RFC},
        {"REFI", &dram_spec::timing_t::REFI},   {"RFCpb", &dram_spec::timing_t::RFCpb},
        {"REFIpb", &dram_spec::timing_t::REFIpb}};
    std::set<std::string> tnames;
    for (const auto& [k, m] : tk) tnames.insert(k);
    only_keys(t, tnames, "timing.", origin);
    for (const auto& [k, m] : tk)
        s.t.*m = static_cast<unsigned>(get_u64(t, k, std::string("timing.") + k, origin, 0, 1000000));
    const YAML::Node pw = root["power"];
    if (!pw || !pw.IsSequence()) bad(origin, "power", "a sequence of supply rails (may be empty)", show(pw));
    for (size_t i = 0; i < pw.size(); ++i) {
        const std::string p = fmt::format("power[{}].", i);
        if (!pw[i].IsMap()) bad(origin, p.substr(0, p.size() - 1), "a mapping", show(pw[i]));
        only_keys(pw[i], {"rail", "volts", "idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5b"}, p, origin);
        dram_spec::rail r;
        r.name = get_str(pw[i], "rail", p + "rail", origin);
        r.volts = get_num(pw[i], "volts", p + "volts", origin);
        r.idd0 = get_num(pw[i], "idd0", p + "idd0", origin);
        r.idd2n = get_num(pw[i], "idd2n", p + "idd2n", origin);
        r.idd3n = get_num(pw[i], "idd3n", p + "idd3n", origin);
        r.idd4r = get_num(pw[i], "idd4r", p + "idd4r", origin);
        r.idd4w = get_num(pw[i], "idd4w", p + "idd4w", origin);
        r.idd5b = get_num(pw[i], "idd5b", p + "idd5b", origin);
        s.power.push_back(r);
    }
    const std::string err = dram_spec_check(s);
    if (!err.empty()) throw std::invalid_argument(origin + ": " + err);
    return s;
}

std::string dram_mapping_check(const std::string& mapping) {
    std::set<std::string> seen;
    size_t i = 0;
    while (i <= mapping.size()) {
        const size_t j = std::min(mapping.find('-', i), mapping.size());
        const std::string f = mapping.substr(i, j - i);
        if (f != "ro" && f != "ra" && f != "bg" && f != "ba" && f != "co" && f != "ch")
            return fmt::format("expected fields ro, ra, bg, ba, co, ch joined by '-' (MSB first), got '{}' in '{}'", f,
                               mapping);
        if (!seen.insert(f).second) return fmt::format("expected each field once, got '{}' twice in '{}'", f, mapping);
        i = j + 1;
    }
    if (seen.size() != 6) return fmt::format("expected all six fields ro, ra, bg, ba, co, ch, got '{}'", mapping);
    return "";
}

std::string dram_spec_check(const dram_spec& s) {
    auto e = [](const char* key, const std::string& expect, const std::string& got) {
        return fmt::format("key '{}': expected {}, got {}", key, expect, got);
    };
    if (!pow2(s.burst_bytes())) return e("bus_bits", "bus_bits / 8 * burst_length a power of two", std::to_string(s.burst_bytes()));
    if (s.burst_length % 2) return e("burst_length", "an even burst length (double data rate)", std::to_string(s.burst_length));
    for (auto [k, v] : {std::pair<const char*, uint64_t>{"channels", s.channels}, {"ranks", s.ranks},
                        {"bank_groups", s.bank_groups}, {"banks_per_group", s.banks_per_group}})
        if (!pow2(v)) return e(k, "a power of two", std::to_string(v));
    if (s.columns % s.burst_length || !pow2(s.columns / s.burst_length))
        return e("columns", fmt::format("a power-of-two multiple of burst_length ({})", s.burst_length), std::to_string(s.columns));
    if (const std::string m = dram_mapping_check(s.mapping); !m.empty()) return "key 'mapping': " + m;
    if (s.refresh != "all-bank" && s.refresh != "per-bank" && s.refresh != "off")
        return e("refresh", "all-bank, per-bank or off", "'" + s.refresh + "'");
    const auto& t = s.t;
    if (!t.CL || !t.RCD || !t.RP || !t.RAS || !t.CCD_S) return "key 'timing': expected CL, RCD, RP, RAS, CCD_S > 0";
    if (t.RC < t.RAS + t.RP) return e("timing.RC", fmt::format(">= RAS + RP ({})", t.RAS + t.RP), std::to_string(t.RC));
    if (t.CCD_L < t.CCD_S) return e("timing.CCD_L", fmt::format(">= CCD_S ({})", t.CCD_S), std::to_string(t.CCD_L));
    if (t.CCD_S < s.burst_cycles())
        return e("timing.CCD_S", fmt::format(">= burst_length / 2 ({})", s.burst_cycles()), std::to_string(t.CCD_S));
    if (t.RRD_L < t.RRD_S) return e("timing.RRD_L", fmt::format(">= RRD_S ({})", t.RRD_S), std::to_string(t.RRD_L));
    if (t.WTR_L < t.WTR_S) return e("timing.WTR_L", fmt::format(">= WTR_S ({})", t.WTR_S), std::to_string(t.WTR_L));
    if (t.RPab < t.RP) return e("timing.RPab", fmt::format(">= RP ({})", t.RP), std::to_string(t.RPab));
    if (s.refresh != "off" && (!t.REFI || !t.RFC || t.RFC >= t.REFI))
        return e("timing.REFI", fmt::format("> RFC ({}) and > 0 with refresh on", t.RFC), std::to_string(t.REFI));
    if (s.refresh == "per-bank" && (!t.REFIpb || !t.RFCpb || t.RFCpb >= t.REFIpb))
        return e("timing.REFIpb", fmt::format("> RFCpb ({}) and > 0 with per-bank refresh", t.RFCpb), std::to_string(t.REFIpb));
    if (t.RCD < s.cmd_act || t.RP < s.cmd_pre)
        return "key 'command_cycles': expected act <= RCD and pre <= RP";
    return "";
}

// ---- the engine ---------------------------------------------------------------

dram_jedec::dram_jedec(const dram_spec& spec, const dram_jedec_options& opt, uint64_t acc_period_ps)
    : m_spec(spec), m_opt(opt), m_acc_fs(acc_period_ps * 1000) {
    if (opt.channels) m_spec.channels = static_cast<unsigned>(opt.channels);
    if (opt.ranks) m_spec.ranks = static_cast<unsigned>(opt.ranks);
    if (!opt.refresh.empty() && opt.refresh != "preset") m_spec.refresh = opt.refresh;
    if (!opt.mapping.empty() && opt.mapping != "preset") m_spec.mapping = opt.mapping;
    if (const std::string err = dram_spec_check(m_spec); !err.empty())
        throw std::invalid_argument("dram.jedec: " + err);
    if (opt.scheduler != "fr-fcfs" && opt.scheduler != "fcfs")
        throw std::invalid_argument("dram.jedec.scheduler: expected fr-fcfs or fcfs, got '" + opt.scheduler + "'");
    if (!opt.queue_depth) throw std::invalid_argument("dram.jedec.queue_depth: expected >= 1, got 0");
    m_frfcfs = opt.scheduler == "fr-fcfs";
    m_acc_lim = (UINT64_MAX - m_spec.tck_fs) / std::max<uint64_t>(1, m_acc_fs);
    m_tck_lim = (UINT64_MAX - m_acc_fs) / m_spec.tck_fs;
    if (opt.page_policy == "open") m_page = page::open;
    else if (opt.page_policy == "closed") m_page = page::closed;
    else if (opt.page_policy == "adaptive") m_page = page::adaptive;
    else throw std::invalid_argument("dram.jedec.page_policy: expected open, closed or adaptive, got '" + opt.page_policy + "'");
    m_ref_on = m_spec.refresh != "off";
    m_per_bank_ref = m_spec.refresh == "per-bank";
    m_burst_shift = log2u(m_spec.burst_bytes());
    // address fields, LSB first
    std::vector<std::string> f;
    for (size_t i = 0; i <= m_spec.mapping.size();) {
        const size_t j = std::min(m_spec.mapping.find('-', i), m_spec.mapping.size());
        f.push_back(m_spec.mapping.substr(i, j - i));
        i = j + 1;
    }
    std::reverse(f.begin(), f.end());
    for (const auto& name : f) {
        field fl{};
        if (name == "ro") fl = {'r', log2u(pow2(m_spec.rows) ? m_spec.rows : 1ull << (log2u(m_spec.rows) + 1))};
        else if (name == "ra") fl = {'k', log2u(m_spec.ranks)};
        else if (name == "bg") fl = {'g', log2u(m_spec.bank_groups)};
        else if (name == "ba") fl = {'b', log2u(m_spec.banks_per_group)};
        else if (name == "co") fl = {'c', log2u(m_spec.columns / m_spec.burst_length)};
        else fl = {'h', log2u(m_spec.channels)};
        m_fields.push_back(fl);
    }
    unsigned sh = 0;
    for (const auto& fl : m_fields) {
        const uint64_t mk = (1ull << fl.bits) - 1;
        switch (fl.kind) {
        case 'r': m_sh_ro = sh; m_mk_ro = mk; m_bits_ro = fl.bits; break;
        case 'k': m_sh_ra = sh; m_mk_ra = mk; break;
        case 'g': m_sh_bg = sh; m_mk_bg = mk; break;
        case 'b': m_sh_ba = sh; m_mk_ba = mk; break;
        case 'c': m_sh_co = sh; m_mk_co = mk; break;
        default: m_sh_ch = sh; m_mk_ch = mk; break;
        }
        sh += fl.bits;
    }
    m_sh_top = sh;
    m_ch.resize(m_spec.channels);
    const uint64_t period = m_per_bank_ref ? m_spec.t.REFIpb : m_spec.t.REFI;
    for (auto& c : m_ch) {
        c.banks.resize(size_t(m_spec.ranks) * m_spec.banks());
        c.ranks.resize(m_spec.ranks);
        for (unsigned r = 0; r < m_spec.ranks; ++r) {
            auto& R = c.ranks[r];
            R.bg.assign(m_spec.bank_groups, {});
            R.next_ref = period + r * period / m_spec.ranks;  // ranks staggered over one interval
        }
    }
    m_lat_hist.assign(LAT_BUCKETS, 0);  // = the buckets of lat_bucket() below
}

dram_jedec::location dram_jedec::decode(uint64_t addr) const {
    const uint64_t b = addr >> m_burst_shift;
    location l;
    l.ch = static_cast<unsigned>(b >> m_sh_ch & m_mk_ch);
    l.rank = static_cast<unsigned>(b >> m_sh_ra & m_mk_ra);
    l.bg = static_cast<unsigned>(b >> m_sh_bg & m_mk_bg);
    l.bank = static_cast<unsigned>(b >> m_sh_ba & m_mk_ba);
    l.col = b >> m_sh_co & m_mk_co;
    // Address bits above all fields extend the row (addresses beyond the geometry stay distinct rows).
    l.row = (b >> m_sh_ro & m_mk_ro) | (m_sh_top < 64 ? (b >> m_sh_top) << m_bits_ro : 0);
    if (m_opt.xor_bank) {  // permutation-based interleaving: bank (and group) ^= low row bits
        const unsigned bb = log2u(m_spec.banks_per_group);
        l.bank ^= static_cast<unsigned>(l.row & (m_spec.banks_per_group - 1));
        l.bg ^= static_cast<unsigned>((l.row >> bb) & (m_spec.bank_groups - 1));
    }
    l.bi = l.rank * m_spec.banks() + l.bg * m_spec.banks_per_group + l.bank;
    return l;
}

uint64_t dram_jedec::tck_of_acc(uint64_t acc_cycle) const {
    if (acc_cycle <= m_acc_lim) return (acc_cycle * m_acc_fs + m_spec.tck_fs - 1) / m_spec.tck_fs;  // no overflow
    const unsigned __int128 fs = static_cast<unsigned __int128>(acc_cycle) * m_acc_fs;
    return static_cast<uint64_t>((fs + m_spec.tck_fs - 1) / m_spec.tck_fs);
}

uint64_t dram_jedec::acc_of_tck(uint64_t tck) const {
    if (tck <= m_tck_lim) return (tck * m_spec.tck_fs + m_acc_fs - 1) / m_acc_fs;  // no overflow
    const unsigned __int128 fs = static_cast<unsigned __int128>(tck) * m_spec.tck_fs;
    return static_cast<uint64_t>((fs + m_acc_fs - 1) / m_acc_fs);
}

uint64_t dram_jedec::last_data_tck() const {
    uint64_t m = 0;
    for (const auto& c : m_ch) m = std::max(m, c.data_free);
    return m;
}

// ---- command-bus slots (the layout: dram_jedec.h, slot_map) ----
namespace {
constexpr uint64_t SLOT_WORDS = 16384 / 64;
inline bool slot_busy(const std::vector<uint64_t>& bits, uint64_t c) {
    const uint64_t blk = c / 64, w = blk % SLOT_WORDS;
    return bits[SLOT_WORDS + w] == blk && (bits[w] >> (c % 64) & 1);
}
inline void slot_set(std::vector<uint64_t>& bits, uint64_t c) {
    const uint64_t blk = c / 64, w = blk % SLOT_WORDS;
    if (bits[SLOT_WORDS + w] != blk) { bits[SLOT_WORDS + w] = blk; bits[w] = 0; }
    bits[w] |= 1ull << (c % 64);
}
}  // namespace

void dram_jedec::slot_map::advance(uint64_t to) {
    static_assert(WORDS == SLOT_WORDS, "slot map size");
    if (to > base) base = to;
}

uint64_t dram_jedec::slot_map::find_slow(uint64_t at, unsigned len) {
    if (at + len <= base) return at;  // cycles before the window: forgotten, taken as free
    if (at < base) at = base;
    for (;;) {
        unsigned k = 0;
        while (k < len && !slot_busy(bits, at + k)) ++k;
        if (k == len) return at;
        at += k + 1;
    }
}

// A refresh due in an idle stretch older than the window goes at its due cycle: the bus was
// idle then (the window forgets only cycles far behind the latest command).
uint64_t dram_jedec::slot_map::place(uint64_t at, unsigned len) {
    if (at + len <= base) return at;
    const uint64_t c = find(at, len);
    mark(c, len);
    return c;
}

void dram_jedec::slot_map::mark_slow(uint64_t at, unsigned len) {
    if (at + len > base + W) advance(at + len - W);
    for (unsigned k = 0; k < len; ++k)
        if (at + k >= base) slot_set(bits, at + k);
}

// ---- background-energy bookkeeping: open-bank intervals per rank ----
void dram_jedec::bank_open(rank_state& r, uint64_t at) {
    if (r.in_group && (r.grp_open > 0 || at <= r.grp_e)) {
        ++r.grp_open;
        return;
    }
    if (r.in_group) r.active_tck += r.grp_e - r.grp_s;
    r.in_group = true;
    r.grp_s = r.grp_e = at;
    r.grp_open = 1;
}

void dram_jedec::bank_close(rank_state& r, uint64_t at) {
    if (r.grp_open) --r.grp_open;
    r.grp_e = std::max(r.grp_e, at);
}

// ---- refresh ----
void dram_jedec::refresh(channel_state& c, unsigned ch, unsigned rank) {
    const auto& T = m_spec.t;
    rank_state& R = c.ranks[rank];
    slot_map& bus = c.row_bus;
    const size_t nb = m_spec.banks();
    const uint64_t due = R.next_ref;
    if (m_per_bank_ref) {
        // Per-bank refresh: every bank once per round, in any order (LPDDR4, HBM2); this one
        // takes a precharged bank before an open one, the least recently activated first, so
        // a refresh rarely lands on the bank a stream is using.
        if (R.refreshed.size() != nb || std::all_of(R.refreshed.begin(), R.refreshed.end(), [](uint8_t v) { return v; }))
            R.refreshed.assign(nb, 0);
        size_t bestk = nb;
        for (size_t k = 0; k < nb; ++k) {
            if (R.refreshed[k]) continue;
            if (bestk == nb) { bestk = k; continue; }
            const auto& a = c.banks[rank * nb + k];
            const auto& b = c.banks[rank * nb + bestk];
            const bool ac = a.row < 0, bc = b.row < 0;
            if (ac != bc ? ac : a.act_at < b.act_at) bestk = k;
        }
        R.refreshed[bestk] = 1;
        R.ref_bank = static_cast<unsigned>(bestk);
    }
    const size_t first = m_per_bank_ref ? R.ref_bank : 0, count = m_per_bank_ref ? 1 : nb;
    uint64_t pre_lb = due;
    bool open = false;
    for (size_t k = first; k < first + count; ++k) {
        const auto& B = c.banks[rank * nb + k];
        if (B.row >= 0) { open = true; pre_lb = std::max(pre_lb, B.pre_ready); }
    }
    uint64_t ref_lb = due;
    if (open) {
        const uint64_t p = bus.place(pre_lb, m_spec.cmd_pre);
        ++m_tot.pres;
        emit(ch, rank, m_per_bank_ref ? int(first) : -1, 0, cmd::pre, p);
        for (size_t k = first; k < first + count; ++k) {
            auto& B = c.banks[rank * nb + k];
            if (B.row >= 0) { B.row = -1; bank_close(R, p); }
        }
        ref_lb = p + (m_per_bank_ref ? T.RP : T.RPab);
    }
    for (size_t k = first; k < first + count; ++k) ref_lb = std::max(ref_lb, c.banks[rank * nb + k].act_ready);
    const uint64_t f = bus.place(ref_lb, m_spec.cmd_ref);
    emit(ch, rank, m_per_bank_ref ? int(first) : -1, 0, cmd::ref, f);
    for (size_t k = first; k < first + count; ++k) {
        auto& B = c.banks[rank * nb + k];
        B.act_ready = std::max(B.act_ready, f + (m_per_bank_ref ? T.RFCpb : T.RFC));
    }
    ++R.refs;
    if (m_per_bank_ref) {
        R.next_ref += T.REFIpb;
    } else {
        R.next_ref += T.REFI;
    }
}

// ---- FR-FCFS: a cheap lower bound of the cycle a request's column command can issue ----
uint64_t dram_jedec::ready_estimate(const channel_state& c, const location& l, bool read, uint64_t arrive) const {
    const auto& T = m_spec.t;
    const bank_state& B = c.banks[l.bi];
    const rank_state& R = c.ranks[l.rank];
    const auto& G = R.bg[l.bg];
    uint64_t col = arrive;
    const unsigned rcd = read ? T.RCD : T.RCDWR;
    if (B.row == static_cast<int64_t>(l.row)) {
        col = std::max(col, B.act_at + rcd);
    } else {
        uint64_t act = std::max(arrive, B.act_ready);
        if (B.row >= 0) act = std::max(act, B.pre_ready + T.RP);
        act = std::max({act, R.act_rrd, G.act_rrd, R.act_faw});
        col = std::max(col, act + rcd);
    }
    col = std::max({col, R.col_ccd, G.col_ccd});
    col = read ? std::max({col, R.rd_wtr, G.rd_wtr}) : std::max(col, R.wr_rtw);
    return col;
}

// ---- one burst: where its commands can go ----
dram_jedec::plan dram_jedec::make_plan(channel_state& c, const location& l, bool read, uint64_t arrive) {
    const auto& T = m_spec.t;
    const bank_state& B = c.banks[l.bi];
    const rank_state& R = c.ranks[l.rank];
    const auto& G = R.bg[l.bg];
    slot_map& rbus = c.row_bus;
    slot_map& cbus = m_spec.separate_row_column_bus ? c.col_bus : c.row_bus;
    plan p{};
    p.hit = B.row == static_cast<int64_t>(l.row);
    p.conflict = B.row >= 0 && !p.hit;
    const unsigned rcd = read ? T.RCD : T.RCDWR;
    uint64_t col = arrive;
    if (p.hit) {
        col = std::max(col, B.act_at + rcd);
    } else {
        uint64_t act = std::max(arrive, B.act_ready);
        if (p.conflict) {
            p.pre = rbus.find(std::max(arrive, B.pre_ready), m_spec.cmd_pre);
            act = std::max(act, p.pre + T.RP);
        }
        act = std::max({act, R.act_rrd, G.act_rrd, R.act_faw});  // tRRD_S, tRRD_L, tFAW
        p.act = rbus.find(act, m_spec.cmd_act);
        if (p.conflict && !m_spec.separate_row_column_bus && p.act < p.pre + m_spec.cmd_pre) p.act = p.pre + m_spec.cmd_pre;
        col = std::max(col, p.act + rcd);
    }
    col = std::max({col, R.col_ccd, G.col_ccd});  // tCCD_S, tCCD_L
    const uint64_t gap = c.data_rank >= 0 && c.data_rank != static_cast<int>(l.rank) ? T.RTRS : 0;
    const unsigned lat = read ? T.CL : T.CWL;
    if (c.data_free + gap > lat) col = std::max(col, c.data_free + gap - lat);
    col = read ? std::max({col, R.rd_wtr, G.rd_wtr}) : std::max(col, R.wr_rtw);  // tWTR_S, tWTR_L; tRTW
    for (;;) {  // a shared bus: skip the slots this plan's PRE / ACT take
        col = cbus.find(col, m_spec.cmd_col);
        if (m_spec.separate_row_column_bus || p.hit) break;
        const bool clash_act = col < p.act + m_spec.cmd_act && p.act < col + m_spec.cmd_col;
        const bool clash_pre = p.conflict && col < p.pre + m_spec.cmd_pre && p.pre < col + m_spec.cmd_col;
        if (!clash_act && !clash_pre) break;
        ++col;
    }
    p.col = col;
    return p;
}

void dram_jedec::commit(channel_state& c, unsigned ch, const location& l, request& r, const plan& p, bool close_after) {
    const auto& T = m_spec.t;
    const size_t bi = l.bi;
    bank_state& B = c.banks[bi];
    rank_state& R = c.ranks[l.rank];
    auto& G = R.bg[l.bg];
    slot_map& cbus = m_spec.separate_row_column_bus ? c.col_bus : c.row_bus;
    const int gbank = static_cast<int>(l.bg * m_spec.banks_per_group + l.bank);
    if (p.hit) {
        ++m_tot.row_hits;
    } else {
        if (p.conflict) {
            ++m_tot.row_conflicts;
            c.row_bus.mark(p.pre, m_spec.cmd_pre);
            ++m_tot.pres;
            emit(ch, l.rank, gbank, static_cast<uint64_t>(B.row), cmd::pre, p.pre);
            bank_close(R, p.pre);
        } else {
            ++m_tot.row_misses;
        }
        c.row_bus.mark(p.act, m_spec.cmd_act);
        ++m_tot.acts;
        emit(ch, l.rank, gbank, l.row, cmd::act, p.act);
        bank_open(R, p.act);
        B.row = static_cast<int64_t>(l.row);
        B.act_at = p.act;
        B.act_ready = std::max(B.act_ready, p.act + T.RC);
        B.pre_ready = p.act + T.RAS;
        R.act_rrd = p.act + T.RRD_S;
        G.act_rrd = p.act + T.RRD_L;
        R.faw[R.faw_i] = p.act;  // a ring of the last four ACTs; when full, faw_i is the oldest
        R.faw_i = (R.faw_i + 1) % 4;
        if (R.faw_n < 4) ++R.faw_n;
        if (R.faw_n == 4) R.act_faw = R.faw[R.faw_i] + T.FAW;
    }
    cbus.mark(p.col, m_spec.cmd_col);
    emit(ch, l.rank, gbank, l.row, r.read ? cmd::rd : cmd::wr, p.col);
    const uint64_t start = p.col + (r.read ? T.CL : T.CWL), end = start + m_spec.burst_cycles();
    c.data_free = end;
    c.data_rank = static_cast<int>(l.rank);
    c.busy += m_spec.burst_cycles();
    c.bytes += m_spec.burst_bytes();
    R.col_ccd = p.col + T.CCD_S;
    G.col_ccd = p.col + T.CCD_L;
    if (r.read) {
        ++m_tot.rds;
        R.wr_rtw = p.col + T.RTW;
        B.pre_ready = std::max(B.pre_ready, p.col + T.RTP);
    } else {
        ++m_tot.wrs;
        R.rd_wtr = end + T.WTR_S;
        G.rd_wtr = end + T.WTR_L;
        B.pre_ready = std::max(B.pre_ready, end + T.WR);
    }
    r.done = end;
    if (close_after) {  // auto-precharge (RDA / WRA): no command-bus slot
        const uint64_t pre = B.pre_ready;
        ++m_tot.pres;
        emit(ch, l.rank, gbank, l.row, cmd::pre, pre);
        bank_close(R, pre);
        B.row = -1;
        B.act_ready = std::max(B.act_ready, pre + T.RP);
    }
}

void dram_jedec::serve_channel(channel_state& c, unsigned ch, std::vector<request>& batch) {
    auto& pend = c.pending;  // batch indices in arrival order; m_locs holds their decoded addresses
    uint64_t sched = 0;  // the controller's decision time: the last column command
    bool have_sched = false;
    while (!pend.empty()) {
        const size_t n = std::min<size_t>(pend.size(), m_opt.queue_depth);
        // `pend` is in arrival order (serve sorts it; a pick is erased in place), so the window's
        // earliest arrival is its first, and the requests that have arrived by `now` are a prefix.
        // (full_search, the reference form: a minimum and a count over the whole window.)
        uint64_t now = batch[pend[0]].arrive;
        if (m_opt.full_search)
            for (size_t k = 1; k < n; ++k) now = std::min(now, batch[pend[k]].arrive);
        now = std::max(now, sched);
        // FR-FCFS: the request whose column command can issue first (first ready: row hits
        // before misses, a bank group free of tCCD_L before a busy one), the oldest on a tie.
        // FCFS: the oldest. Only requests that have arrived by `now` compete.
        size_t pick = n, arrived = n;
        if (m_opt.full_search) {
            arrived = 0;
            for (size_t k = 0; k < n; ++k) arrived += batch[pend[k]].arrive <= now;
        } else if (batch[pend[n - 1]].arrive > now) {  // not all (a stream's bursts all arrive together)
            arrived = 1;
            while (batch[pend[arrived]].arrive <= now) ++arrived;
        }
        if (n == 1) pick = 0;  // nothing to choose from
        // No column command can issue before the last one + tCCD_S: a burst that can go then is
        // the best, and the oldest such one wins; this stops the search early on streams. With
        // one rank every estimate includes that rank's last column command + tCCD_S, so before
        // this window's first pick the rank's last column command bounds the same way (the pick
        // is the one a full search would make: the oldest of the minimum estimates).
        const rank_state& R0 = c.ranks[0];
        const uint64_t floor = have_sched ? sched + m_spec.t.CCD_S
                               : (c.ranks.size() == 1 && !m_opt.full_search) ? R0.col_ccd : 0;
        uint64_t best = UINT64_MAX;
        // The arrived prefix; the reference form looks at the whole window and skips the others.
        const size_t searched = m_opt.full_search ? n : arrived;
        for (size_t k = 0; n > 1 && k < searched; ++k) {
            const request& q = batch[pend[k]];
            if (q.arrive > now) continue;
            if (!m_frfcfs) { pick = k; break; }
            const uint64_t est = ready_estimate(c, m_locs[pend[k]], q.read, q.arrive);
            if (est < best) { best = est; pick = k; }
            if (est <= floor) break;
        }
        ++m_tot.queue_samples;
        m_tot.queue_sum += arrived;
        m_tot.queue_max = std::max<uint64_t>(m_tot.queue_max, arrived);
        request& r = batch[pend[pick]];
        const location l = m_locs[pend[pick]];
        plan p;
        for (;;) {
            p = make_plan(c, l, r.read, r.arrive);
            if (!m_ref_on || c.ranks[l.rank].next_ref > p.col) break;
            refresh(c, ch, l.rank);
        }
        bool close = m_page == page::closed;
        if (m_page == page::adaptive) {
            bool keep = false, other = false;
            for (size_t k = 0; k < n; ++k) {
                if (k == pick) continue;
                const location& o = m_locs[pend[k]];
                if (o.rank != l.rank || o.bg != l.bg || o.bank != l.bank) continue;
                (o.row == l.row ? keep : other) = true;
            }
            close = !keep && other;
        }
        commit(c, ch, l, r, p, close);
        sched = p.col;
        have_sched = true;
        if (r.read) record_read(r.done - r.arrive);
        pend.erase(pend.begin() + static_cast<std::ptrdiff_t>(pick));
    }
}

void dram_jedec::serve(std::vector<request>& batch) {
    for (auto& c : m_ch) c.pending.clear();
    auto& order = m_order;
    order.resize(batch.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    bool sorted = true;
    for (size_t i = 1; i < batch.size() && sorted; ++i) sorted = batch[i - 1].arrive <= batch[i].arrive;
    if (!sorted)
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return batch[a].arrive < batch[b].arrive; });
    m_locs.resize(batch.size());
    for (size_t i : order) {
        m_locs[i] = decode(batch[i].addr);
        m_ch[m_locs[i].ch].pending.push_back(i);
    }
    for (unsigned ch = 0; ch < m_ch.size(); ++ch)
        if (!m_ch[ch].pending.empty()) serve_channel(m_ch[ch], ch, batch);
}

uint64_t dram_jedec::access(bool is_read, uint64_t addr, uint64_t len, uint64_t at) {
    const uint64_t t = tck_of_acc(at);
    const uint64_t first = addr >> m_burst_shift, last = (addr + len - 1) >> m_burst_shift;
    if (first == last) {  // one burst (an L2 line, a small access): the window holds only it
        request r{is_read, addr, t, 0};
        const location l = decode(addr);
        channel_state& c = m_ch[l.ch];
        plan p;
        for (;;) {
            p = make_plan(c, l, r.read, r.arrive);
            if (!m_ref_on || c.ranks[l.rank].next_ref > p.col) break;
            refresh(c, l.ch, l.rank);
        }
        ++m_tot.queue_samples;
        ++m_tot.queue_sum;
        m_tot.queue_max = std::max<uint64_t>(m_tot.queue_max, 1);
        commit(c, l.ch, l, r, p, m_page == page::closed);
        if (r.read) record_read(r.done - r.arrive);
        return acc_of_tck(std::max(t, r.done));
    }
    // Fields in place: a push_back of a request built on the stack stalled on store forwarding
    // (the 32-byte copy read back four narrower stores), half of this function's time.
    m_batch.resize(last - first + 1);
    for (uint64_t b = first; b <= last; ++b) {
        request& r = m_batch[b - first];
        r.read = is_read;
        r.addr = b << m_burst_shift;
        r.arrive = t;
        r.done = 0;
    }
    serve(m_batch);
    uint64_t done = t;
    for (const auto& r : m_batch) done = std::max(done, r.done);
    return acc_of_tck(done);
}

// ---- statistics ----
uint64_t dram_jedec::refreshes(uint64_t end_tck, bool per_bank) const {
    if (!m_ref_on || per_bank != m_per_bank_ref) return 0;
    const uint64_t period = m_per_bank_ref ? m_spec.t.REFIpb : m_spec.t.REFI;
    uint64_t n = 0;
    for (const auto& c : m_ch)
        for (const auto& R : c.ranks) n += R.refs + (end_tck >= R.next_ref ? (end_tck - R.next_ref) / period + 1 : 0);
    return n;
}

// Read latency histogram: one bucket per tCK below 1024, then 64 buckets per power of two
// (each 1/64 of its lower bound wide), so any latency has a bucket and the table stays small
// (4480 counters, 35 KiB: it is touched once per read burst).
namespace {
constexpr unsigned LAT_EXACT = 1024, LAT_SUB = 64;
inline size_t lat_bucket(uint64_t lat) {  // < 1024 + (64 - 10) x 64 = dram_jedec::LAT_BUCKETS
    if (lat < LAT_EXACT) return static_cast<size_t>(lat);
    const unsigned e = 63u - static_cast<unsigned>(__builtin_clzll(lat));  // >= 10
    return LAT_EXACT + (e - 10) * LAT_SUB + ((lat >> (e - 6)) & (LAT_SUB - 1));
}
inline uint64_t lat_bucket_high(size_t b) {  // the largest latency of bucket b
    if (b < LAT_EXACT) return b;
    const uint64_t e = (b - LAT_EXACT) / LAT_SUB + 10, sub = (b - LAT_EXACT) % LAT_SUB;
    return ((LAT_SUB + sub + 1) << (e - 6)) - 1;
}
}  // namespace

void dram_jedec::record_read(uint64_t lat) {
    ++m_tot.read_bursts;
    m_tot.read_latency_sum += lat;
    ++m_lat_hist[lat_bucket(lat)];
    m_lat_max = std::max(m_lat_max, lat);
}

// Exact below 1024 tCK; above, the upper end of the quantile's bucket (at most 1/64 = 1.6 %
// high), never above the largest latency seen.
uint64_t dram_jedec::read_latency_quantile(double q) const {
    if (!m_tot.read_bursts) return 0;
    const uint64_t want = std::max<uint64_t>(1, static_cast<uint64_t>(q * static_cast<double>(m_tot.read_bursts) + 0.999999));
    uint64_t seen = 0;
    for (size_t i = 0; i < m_lat_hist.size(); ++i) {
        seen += m_lat_hist[i];
        if (seen >= want) return std::min(lat_bucket_high(i), m_lat_max);
    }
    return m_lat_max;
}

dram_jedec::energy dram_jedec::energy_pj(uint64_t end_tck) const {
    energy e;
    if (m_spec.power.empty()) return e;
    const auto& T = m_spec.t;
    const double tck_ns = static_cast<double>(m_spec.tck_fs) / 1e6, dev = m_spec.devices_per_rank;
    double act = 0, rd = 0, wr = 0, ref = 0, idd2n = 0, idd3n = 0;
    for (const auto& r : m_spec.power) {
        act += r.volts * (r.idd0 * T.RC - (r.idd3n * T.RAS + r.idd2n * (T.RC - T.RAS)));
        rd += r.volts * (r.idd4r - r.idd3n) * m_spec.burst_cycles();
        wr += r.volts * (r.idd4w - r.idd3n) * m_spec.burst_cycles();
        ref += r.volts * (r.idd5b - r.idd3n) * T.RFC;
        idd3n += r.volts * r.idd3n;
        idd2n += r.volts * r.idd2n;
    }
    // mA x V x ns = pJ
    e.act = static_cast<double>(m_tot.acts) * act * tck_ns * dev;
    e.rd = static_cast<double>(m_tot.rds) * rd * tck_ns * dev;
    e.wr = static_cast<double>(m_tot.wrs) * wr * tck_ns * dev;
    const double n_ref = static_cast<double>(refreshes(end_tck, false)) +
                         static_cast<double>(refreshes(end_tck, true)) / m_spec.banks();  // a per-bank REF: 1/banks of the cells
    e.ref = n_ref * ref * tck_ns * dev;
    const uint64_t end = std::max(end_tck, last_data_tck());
    for (const auto& c : m_ch)
        for (const auto& R : c.ranks) {
            uint64_t active = R.active_tck, t = 0;
            if (R.in_group) {
                t = R.grp_open ? std::max(end, R.grp_e) : R.grp_e;
                active += t - R.grp_s;
            }
            const uint64_t total = std::max(end, t);
            e.background += (idd3n * static_cast<double>(active) + idd2n * static_cast<double>(total - active)) * tck_ns * dev;
        }
    return e;
}

// ---- synthetic streams ----
std::vector<std::string> dram_stream_patterns() {
    return {"seq-read", "seq-write", "rand-read-1bank", "rand-read", "rand-rw", "chase"};
}

namespace {
dram_stream_result stream_result_of(const dram_jedec& e) {
    const dram_spec& s = e.spec();
    dram_stream_result r;
    const uint64_t end = e.last_data_tck();
    uint64_t busy = 0, moved = 0, used = 0;
    for (unsigned c = 0; c < s.channels; ++c) {
        busy += e.channel_busy_tck(c);
        moved += e.channel_bytes(c);
        used += e.channel_bytes(c) > 0;
    }
    const double end_ns = static_cast<double>(end) * static_cast<double>(s.tck_fs) / 1e6;
    r.efficiency = end && used ? static_cast<double>(busy) / static_cast<double>(used) / static_cast<double>(end) : 0.0;
    r.gbytes_per_s = end ? static_cast<double>(moved) / end_ns : 0.0;
    const auto& t = e.totals();
    r.read_latency_ns = t.read_bursts ? static_cast<double>(t.read_latency_sum) / static_cast<double>(t.read_bursts) *
                                            static_cast<double>(s.tck_fs) / 1e6 : 0.0;
    r.bursts = t.rds + t.wrs;
    return r;
}
}  // namespace

dram_stream_result dram_stream(const dram_jedec_options& opt, const std::string& pattern, uint64_t bytes, uint64_t seed) {
    dram_jedec e(load_dram_spec(opt), opt, 1000);
    const dram_spec& s = e.spec();
    const uint64_t bb = s.burst_bytes(), n = std::max<uint64_t>(1, bytes / bb);
    std::mt19937_64 rng(seed);
    std::vector<dram_jedec::request> batch;
    const auto flush = [&] { if (!batch.empty()) e.serve(batch); batch.clear(); };
    if (pattern == "seq-read" || pattern == "seq-write") {
        const uint64_t per = std::max<uint64_t>(1, 4096 / bb);
        for (uint64_t i = 0; i < n; ++i) {
            batch.push_back({pattern == "seq-read", i * bb, 0, 0});
            if (batch.size() == per) flush();
        }
    } else if (pattern == "rand-read-1bank") {
        // rows of bank 0 (rank 0, group 0, channel 0): addresses whose other fields are 0
        const uint64_t span = uint64_t(s.channels) * s.ranks * s.banks() * s.rows * s.row_bytes() / bb;
        uint64_t prev = UINT64_MAX;
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t a;
            dram_jedec::location l;
            do {
                a = (rng() % span) * bb;
                l = e.decode(a);
            } while (l.ch || l.rank || l.bg || l.bank || l.row == prev);
            prev = l.row;
            batch.push_back({true, a, 0, 0});
            flush();
        }
    } else if (pattern == "rand-read" || pattern == "rand-rw") {
        const uint64_t span = uint64_t(s.channels) * s.ranks * s.banks() * s.rows * s.row_bytes() / bb;
        for (uint64_t i = 0; i < n; ++i) {
            const bool rd = pattern == "rand-read" || rng() % 3 != 0;
            batch.push_back({rd, (rng() % span) * bb, 0, 0});
            if (batch.size() == opt.queue_depth) flush();
        }
    } else if (pattern == "chase") {
        // dependent random reads: each issued when the previous one's data is done (idle latency)
        const uint64_t span = uint64_t(s.channels) * s.ranks * s.banks() * s.rows * s.row_bytes() / bb;
        uint64_t at = 0;
        for (uint64_t i = 0; i < std::min<uint64_t>(n, 20000); ++i) {
            batch.push_back({true, (rng() % span) * bb, at, 0});
            e.serve(batch);
            at = batch[0].done;
            batch.clear();
        }
    } else {
        throw std::invalid_argument("unknown stream pattern '" + pattern + "'");
    }
    flush();
    return stream_result_of(e);
}

dram_trace_result dram_trace(const dram_jedec_options& opt, const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::invalid_argument(path + ": cannot read the trace file");
    dram_jedec e(load_dram_spec(opt), opt, 1000);
    const uint64_t span = uint64_t(e.spec().channels) * e.spec().ranks * e.spec().banks() * e.spec().rows * e.spec().row_bytes();
    std::vector<dram_jedec::request> batch;
    dram_trace_result res;
    std::string line;
    uint64_t lineno = 0, last = 0;
    const auto bad = [&](const std::string& what, const std::string& got) {
        return std::invalid_argument(fmt::format("{}:{}: expected {}, got '{}'", path, lineno, what, got));
    };
    while (std::getline(in, line)) {
        ++lineno;
        const size_t hash = line.find('#');
        if (hash != std::string::npos) line.resize(hash);
        std::istringstream ls(line);
        std::string cyc, op, addr, extra;
        if (!(ls >> cyc)) continue;  // blank
        if (cyc.back() != ':') throw bad("'<cycle>:'", cyc);
        cyc.pop_back();
        uint64_t at = 0, a = 0;
        try {
            size_t used = 0;
            at = std::stoull(cyc, &used, 10);
            if (used != cyc.size()) throw std::invalid_argument(cyc);
        } catch (const std::exception&) {
            throw bad("a cycle count (decimal)", cyc);
        }
        if (at < last) throw bad(fmt::format("a cycle >= the previous line's {}", last), cyc);
        last = at;
        if (!(ls >> op) || (op != "read" && op != "write")) throw bad("read or write", op);
        if (!(ls >> addr)) throw bad("an address (0x...)", "");
        try {
            size_t used = 0;
            a = std::stoull(addr, &used, 16);
            if (used != addr.size()) throw std::invalid_argument(addr);
        } catch (const std::exception&) {
            throw bad("an address (hex)", addr);
        }
        if (a >= span) throw bad(fmt::format("an address below the preset's {} bytes", span), addr);
        if (ls >> extra) throw bad("the end of the line (a data field is not supported)", extra);
        batch.push_back({op == "read", a, at, 0});
        ++res.requests;
        if (batch.size() == opt.queue_depth) { e.serve(batch); batch.clear(); }
    }
    if (!batch.empty()) e.serve(batch);
    res.stream = stream_result_of(e);
    res.end_tck = e.last_data_tck();
    return res;
}

}  // namespace dtq
