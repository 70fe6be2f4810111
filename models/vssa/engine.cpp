#include "vssa/engine.h"

#include <algorithm>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include <iostream>
#include <fmt/ranges.h>

#include "common/stats.h"
#include "vssa/gemm.h"

namespace dtq::vssa {

vssa_config preset_dtqatten() {
    vssa_config c;
    c.rows = 16;
    c.cols = 18;
    c.arrays = 11;
    return c;
}

vssa_config preset_single16() { return vssa_config{}; }

double gemm_result::utilization(const vssa_config& cfg) const {
    const double pes = static_cast<double>(cfg.rows) * cfg.cols * std::max(1u, cfg.arrays);
    return cycles ? static_cast<double>(busy_pe_cycles) / (pes * static_cast<double>(cycles)) : 0.0;
}

// ---- RTL backend registry and cosim counters -------------------------------------------

namespace {
std::mutex g_registry_mutex;
backend_factory& rtl_factory() {
    static backend_factory f;
    return f;
}
}  // namespace

void register_rtl_backend(backend_factory factory) {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    rtl_factory() = std::move(factory);
}

bool rtl_backend_available() {
    std::lock_guard<std::mutex> lock(g_registry_mutex);
    return static_cast<bool>(rtl_factory());
}

std::unique_ptr<tile_backend> make_rtl_backend() {
    backend_factory f;
    {
        std::lock_guard<std::mutex> lock(g_registry_mutex);
        f = rtl_factory();
    }
    if (!f)
        throw std::runtime_error("vssa: the rtl backend is not available (build with DTQ_COSIM=ON, link dtq_vssa_rtl "
                                 "and call dtq::vssa::install_rtl_backend())");
    return f();
}

cosim_counters cosim_stats() {
    struct group {
        stat_group g{"cosim"};
        uint64_t& compared = g.counter("tiles_compared", "count", "lockstep tiles whose model and RTL results and cycles were compared");
        uint64_t& mismatches = g.counter("mismatches", "count", "lockstep tiles where model and RTL differed");
    };
    static group grp;
    return {grp.compared, grp.mismatches};
}

namespace {
struct waveform_request {
    std::string path;
    uint64_t tile = 0;
    uint64_t rtl_tiles_run = 0;  // RTL tiles run so far in this process
    bool written = false, failed = false;
};
waveform_request& waveform() {
    static waveform_request w;
    return w;
}
}  // namespace

void set_tile_waveform(const std::string& vcd_path, uint64_t tile) {
    waveform().path = vcd_path;
    waveform().tile = tile;
}

tile_waveform_status tile_waveform() { return {waveform().rtl_tiles_run, waveform().written, waveform().failed}; }

// ---- helpers -----------------------------------------------------------------------------

std::vector<uint32_t> token_order(const std::vector<uint8_t>& bits, uint64_t n, bool reorder) {
    if (reorder && !bits.empty()) {
        // The kept tokens (bits != 0) stably sorted by precision, as one counting sort (the
        // keys are bytes): the order of std::stable_sort by bits[x] < bits[y] over the kept
        // tokens in index order, in O(n) (docs/performance.md#timing-mode-3).
        size_t start[257] = {};
        for (uint64_t i = 0; i < n; ++i) ++start[size_t{bits[i]} + 1];
        start[1] = 0;  // pruned tokens (0 bits) are left out
        for (size_t v = 1; v <= 256; ++v) start[v] += start[v - 1];
        std::vector<uint32_t> sorted(start[256]);
        for (uint32_t i = 0; i < n; ++i)
            if (bits[i] != 0) sorted[start[bits[i]]++] = i;
        return sorted;
    }
    std::vector<uint32_t> idx;
    idx.reserve(n);
    for (uint32_t i = 0; i < n; ++i)
        if (bits.empty() || bits[i] != 0) idx.push_back(i);
    return idx;
}

namespace {

std::vector<int8_t> gather(const int8_t* m, uint64_t ld, const std::vector<uint32_t>& rows, const std::vector<uint32_t>& cols) {
    std::vector<int8_t> g(rows.size() * cols.size());
    for (size_t r = 0; r < rows.size(); ++r)
        for (size_t c = 0; c < cols.size(); ++c) g[r * cols.size() + c] = m[uint64_t{rows[r]} * ld + cols[c]];
    return g;
}

// Dense product in the given orders (ro.size() x co.size()).
std::vector<int32_t> product(const gemm_op& op, const std::vector<uint32_t>& ro, const std::vector<uint32_t>& co,
                             const std::vector<uint32_t>& ko, unsigned threads) {
    const auto a = gather(op.a, op.K, ro, ko);
    const auto bt = gather(op.bt, op.K, co, ko);
    std::vector<int32_t> dense(ro.size() * co.size());
    gemm_s8(a.data(), bt.data(), dense.data(), ro.size(), co.size(), ko.size(), threads);
    return dense;
}

std::string bits_list(const std::vector<uint8_t>& b) { return fmt::format("{}", fmt::join(b, " ")); }

std::string matrix(const int8_t* m, int rows, int cols, int max_cols) {
    std::string s;
    for (int i = 0; i < rows; ++i) {
        s += "    ";
        for (int j = 0; j < std::min(cols, max_cols); ++j) s += fmt::format("{:5d}", int{m[i * cols + j]});
        if (cols > max_cols) s += fmt::format("  ... ({} more)", cols - max_cols);
        s += '\n';
    }
    return s;
}

std::string matrix32(const std::vector<int32_t>& m, int rows, int cols) {
    if (m.empty()) return "    (none)\n";
    std::string s;
    for (int i = 0; i < rows; ++i) {
        s += "    ";
        for (int j = 0; j < cols; ++j) s += fmt::format("{:8d}", m[static_cast<size_t>(i * cols + j)]);
        s += '\n';
    }
    return s;
}

}  // namespace

std::string mismatch_report(const std::string& gemm, const tile_job& job, const tile_result& model, const tile_result& rtl,
                            const std::string& vcd_path) {
    std::string s = fmt::format("VSSA lockstep mismatch: GEMM '{}', tile {} ({} rows x {} cols x k {})\n", gemm, job.index,
                                job.rows, job.cols, job.k);
    s += fmt::format("  row precisions: {}\n", bits_list(job.row_bits));
    if (job.k_bits.empty())
        s += fmt::format("  col precisions: {}\n", bits_list(job.col_bits));
    else
        s += fmt::format("  k precisions:   {}\n", bits_list(job.k_bits));
    s += fmt::format("  cycles:          model {}, rtl {}{}\n", model.cycles, rtl.cycles,
                     model.cycles != rtl.cycles ? "   <-- differ" : "");
    s += fmt::format("  busy PE cycles:  model {}, rtl {}{}\n", model.busy_pe_cycles, rtl.busy_pe_cycles,
                     model.busy_pe_cycles != rtl.busy_pe_cycles ? "   <-- differ" : "");
    s += fmt::format("  stall PE cycles: model {}, rtl {}{}\n", model.stall_pe_cycles, rtl.stall_pe_cycles,
                     model.stall_pe_cycles != rtl.stall_pe_cycles ? "   <-- differ" : "");
    size_t diffs = 0, first = model.c.size();
    for (size_t x = 0; x < std::min(model.c.size(), rtl.c.size()); ++x)
        if (model.c[x] != rtl.c[x]) {
            if (!diffs) first = x;
            ++diffs;
        }
    if (model.c.size() != rtl.c.size())
        s += fmt::format("  results: model has {} values, rtl {}\n", model.c.size(), rtl.c.size());
    else if (diffs)
        s += fmt::format("  results: {} of {} differ; first at ({}, {}): model {}, rtl {}\n", diffs, model.c.size(),
                         first / static_cast<size_t>(job.cols), first % static_cast<size_t>(job.cols), model.c[first], rtl.c[first]);
    else
        s += "  results: equal\n";
    if (job.functional()) {
        s += fmt::format("  A ({} x {}):\n", job.rows, job.k) + matrix(job.a, job.rows, job.k, 32);
        s += fmt::format("  B ({} x {}):\n", job.k, job.cols) + matrix(job.b, job.k, job.cols, 32);
    }
    s += "  model C:\n" + matrix32(model.c, job.rows, job.cols);
    s += "  rtl C:\n" + matrix32(rtl.c, job.rows, job.cols);
    s += vcd_path.empty() ? "  VCD: not written\n" : fmt::format("  VCD of the RTL re-run: {}\n", vcd_path);
    return s;
}

void check_reordered(const gemm_op& op, const gemm_result& r, unsigned threads) {
    if (!op.a || !op.bt) return;
    const bool by_k = !op.k_bits.empty();
    const auto plain_ro = token_order(op.row_bits, op.M, false);  // by_k: empty = all 8-bit probabilities
    const auto plain_co = token_order(by_k ? std::vector<uint8_t>{} : op.col_bits, op.N, false);
    const auto plain_ko = token_order(op.k_bits, op.K, false);
    const std::vector<int32_t> plain = product(op, plain_ro, plain_co, plain_ko, threads);
    // Position of each original token in the plain order.
    std::vector<uint32_t> prow(op.M, 0), pcol(op.N, 0);
    for (size_t p = 0; p < plain_ro.size(); ++p) prow[plain_ro[p]] = static_cast<uint32_t>(p);
    for (size_t p = 0; p < plain_co.size(); ++p) pcol[plain_co[p]] = static_cast<uint32_t>(p);
    if (r.row_order.size() != plain_ro.size() || r.col_order.size() != plain_co.size())
        throw reorder_mismatch(fmt::format("{}: reordered result keeps {} x {} tokens, plain {} x {}", op.name,
                                           r.row_order.size(), r.col_order.size(), plain_ro.size(), plain_co.size()));
    const size_t n = r.col_order.size();
    for (size_t p = 0; p < r.row_order.size(); ++p)
        for (size_t q = 0; q < n; ++q) {
            const int32_t re = r.c_hw[p * n + q];
            const int32_t pl = plain[size_t{prow[r.row_order[p]]} * plain_co.size() + pcol[r.col_order[q]]];
            if (re != pl)
                throw reorder_mismatch(fmt::format("{}: reordered result differs from the plain one at token ({}, {}): {} vs {}",
                                                   op.name, r.row_order[p], r.col_order[q], re, pl));
        }
}

// ---- the engine ----------------------------------------------------------------------------

gemm_result run_gemm(const vssa_config& cfg, const gemm_op& op) {
    if (cfg.rows < 1 || cfg.cols < 1) throw std::invalid_argument("vssa: rows and cols must be >= 1");
    gemm_result res;
    const bool by_k = !op.k_bits.empty();
    const bool functional = op.a && op.bt;
    res.row_order = token_order(op.row_bits, op.M, cfg.reorder);  // by_k: empty = all 8-bit probabilities
    res.col_order = token_order(by_k ? std::vector<uint8_t>{} : op.col_bits, op.N, cfg.reorder);
    res.k_order = token_order(op.k_bits, op.K, cfg.reorder);
    const auto& ro = res.row_order;
    const auto& co = res.col_order;
    const auto& ko = res.k_order;
    const int K = static_cast<int>(ko.size());
    const size_t nr = ro.size(), nc = co.size();

    // Backends: the model always times the tile (cheap); rtl / lockstep also run the RTL.
    tile_model model(cfg.fault);
    std::unique_ptr<tile_backend> rtl;
    if (cfg.backend != pe_backend::model) rtl = make_rtl_backend();
    const bool use_rtl = static_cast<bool>(rtl);
    const bool lockstep = cfg.backend == pe_backend::lockstep;
    if (use_rtl) res.c_hw.assign(nr * nc, 0);
    std::optional<cosim_counters> counters;
    if (lockstep) counters.emplace(cosim_stats());

    res.array_cycles.assign(std::max(1u, cfg.arrays), 0);
    tile_job job;
    if (by_k) {
        job.k_bits.resize(static_cast<size_t>(K));
        for (int x = 0; x < K; ++x) job.k_bits[static_cast<size_t>(x)] = op.k_bits[ko[static_cast<size_t>(x)]];
    }
    std::vector<int8_t> ta, tb;
    std::vector<uint64_t> tile_costs;  // balanced schedule: every tile's cycles, placed at the end
    uint64_t tile = 0;
    if (K > 0)
        for (size_t r0 = 0; r0 < nr; r0 += cfg.rows) {
            job.rows = static_cast<int>(std::min<size_t>(cfg.rows, nr - r0));
            job.row_bits.resize(static_cast<size_t>(job.rows));
            for (int i = 0; i < job.rows; ++i) job.row_bits[static_cast<size_t>(i)] = op.row_bits.empty() ? 8 : op.row_bits[ro[r0 + static_cast<size_t>(i)]];
            for (size_t c0 = 0; c0 < nc; c0 += cfg.cols, ++tile) {
                job.cols = static_cast<int>(std::min<size_t>(cfg.cols, nc - c0));
                job.k = K;
                job.index = tile;
                job.col_bits.resize(static_cast<size_t>(job.cols));
                for (int j = 0; j < job.cols; ++j) job.col_bits[static_cast<size_t>(j)] = by_k ? 8 : op.col_bits[co[c0 + static_cast<size_t>(j)]];
                job.a = job.b = nullptr;
                tile_result t;
                if (!use_rtl) {
                    t = model.run_tile(job);  // timing only: the functional product is one big GEMM below
                } else {
                    // Operands in hardware order; zeros in timing mode (timing does not depend on values).
                    ta.assign(static_cast<size_t>(job.rows) * static_cast<size_t>(K), 0);
                    tb.assign(static_cast<size_t>(K) * static_cast<size_t>(job.cols), 0);
                    if (functional) {
                        for (int i = 0; i < job.rows; ++i)
                            for (int x = 0; x < K; ++x)
                                ta[static_cast<size_t>(i * K + x)] = op.a[uint64_t{ro[r0 + static_cast<size_t>(i)]} * op.K + ko[static_cast<size_t>(x)]];
                        for (int x = 0; x < K; ++x)
                            for (int j = 0; j < job.cols; ++j)
                                tb[static_cast<size_t>(x * job.cols + j)] = op.bt[uint64_t{co[c0 + static_cast<size_t>(j)]} * op.K + ko[static_cast<size_t>(x)]];
                    }
                    job.a = ta.data();
                    job.b = tb.data();
                    t = rtl->run_tile(job);
                    if (waveform_request& w = waveform(); !w.path.empty() && w.rtl_tiles_run++ == w.tile) {
                        (rtl->trace_tile(job, w.path) ? w.written : w.failed) = true;
                        if (w.written)
                            std::cerr << fmt::format("dtqvp: RTL waveform of tile {} (GEMM '{}', tile {} of it) written to {}\n",
                                                     w.tile, op.name, job.index, w.path);
                        else
                            std::cerr << fmt::format("dtqvp: warning: could not write the RTL waveform {}\n", w.path);
                    }
                    if (lockstep) {
                        const tile_result m = model.run_tile(job);
                        ++counters->tiles_compared;
                        ++res.tiles_compared;
                        if (m.cycles != t.cycles || m.c != t.c || m.busy_pe_cycles != t.busy_pe_cycles ||
                            m.stall_pe_cycles != t.stall_pe_cycles) {
                            ++counters->mismatches;
                            std::string vcd;
                            try {
                                if (!cfg.vcd_path.empty() && rtl->trace_tile(job, cfg.vcd_path)) vcd = cfg.vcd_path;
                            } catch (const std::exception&) {
                                vcd.clear();  // the report still names the tile; it says no VCD was written
                            }
                            throw cosim_mismatch(mismatch_report(op.name, job, m, t, vcd), tile, m.cycles, t.cycles, vcd);
                        }
                        // The RTL reports cycles and busy / stall counts; the ratio terms come from the model.
                        t.max_cycle = m.max_cycle;
                        t.stall_ratio = m.stall_ratio;
                        t.macs = m.macs;
                        std::copy(std::begin(m.macs_by_mode), std::end(m.macs_by_mode), std::begin(t.macs_by_mode));
                    } else {
                        // Counts that are not cycle measurements come from the closed form.
                        job.a = job.b = nullptr;
                        const tile_result m = run_tile_model(job);
                        t.max_cycle = m.max_cycle;
                        t.macs = m.macs;
                        std::copy(std::begin(m.macs_by_mode), std::end(m.macs_by_mode), std::begin(t.macs_by_mode));
                        t.stall_ratio = t.max_cycle ? static_cast<double>(t.stall_pe_cycles) /
                                                          (static_cast<double>(job.rows) * job.cols * static_cast<double>(t.max_cycle))
                                                    : 0.0;
                    }
                    if (functional)
                        for (int i = 0; i < job.rows; ++i)
                            for (int j = 0; j < job.cols; ++j)
                                res.c_hw[(r0 + static_cast<size_t>(i)) * nc + c0 + static_cast<size_t>(j)] =
                                    t.c[static_cast<size_t>(i * job.cols + j)];
                }
                // Tile placement (docs/timing-model.md#vssa): Fig. 5 order, round-robin or greedy.
                size_t arr = tile % res.array_cycles.size();
                if (cfg.schedule == tile_schedule::greedy)
                    arr = static_cast<size_t>(std::min_element(res.array_cycles.begin(), res.array_cycles.end()) - res.array_cycles.begin());
                if (cfg.schedule == tile_schedule::balanced)
                    tile_costs.push_back(t.cycles + op.scale_stages);  // placed after the loop
                else
                    res.array_cycles[arr] += t.cycles + op.scale_stages;
                res.macs += t.macs;
                for (int m = 0; m < 3; ++m) res.macs_by_mode[m] += t.macs_by_mode[m];
                res.busy_pe_cycles += t.busy_pe_cycles;
                res.stall_pe_cycles += t.stall_pe_cycles;
                res.iteration_r.push_back(t.stall_ratio);
                res.stall_ratio_sum += t.stall_ratio;
            }
        }
    if (cfg.schedule == tile_schedule::balanced) {
        // LPT: longest tile first onto the array that frees up first (ties: lowest index).
        std::stable_sort(tile_costs.begin(), tile_costs.end(), std::greater<uint64_t>());
        for (uint64_t c : tile_costs)
            *std::min_element(res.array_cycles.begin(), res.array_cycles.end()) += c;
    }
    res.tiles = tile;
    res.cycles = *std::max_element(res.array_cycles.begin(), res.array_cycles.end());

    if (functional) {
        if (!use_rtl) res.c_hw = product(op, ro, co, ko, cfg.threads);
        if (use_rtl && K == 0) res.c_hw.assign(nr * nc, 0);
        if (cfg.reorder) {
            // The hardware ran in clustered order; the plain order must give the same
            // outputs at the permuted positions (DTQAtten Sec. IV-B, eq. (2)).
            check_reordered(op, res, cfg.threads);
            res.reorder_checked = true;
        }
        res.c.assign(op.M * op.N, 0);
        for (size_t r = 0; r < nr; ++r)
            for (size_t x = 0; x < nc; ++x) res.c[uint64_t{ro[r]} * op.N + co[x]] = res.c_hw[r * nc + x];
    }
    return res;
}

gemm_result gemm_memo::run(const vssa_config& cfg, const gemm_op& op) {
    ++m_calls;
    const bool pure = cfg.gemm_memo && !op.a && !op.bt && cfg.backend == pe_backend::model && !cfg.fault.armed();
    if (!pure) return run_gemm(cfg, op);
    // The key: every input run_gemm reads in timing mode, fixed-size fields first, then the
    // three precision vectors (their sizes are in the fixed part, so the split is unambiguous).
    const uint64_t fixed[] = {cfg.rows, cfg.cols, cfg.arrays, uint64_t{cfg.reorder}, static_cast<uint64_t>(cfg.schedule),
                              op.M, op.N, op.K, op.scale_stages, op.row_bits.size(), op.col_bits.size(), op.k_bits.size()};
    m_key.assign(reinterpret_cast<const char*>(fixed), sizeof fixed);
    m_key.append(op.row_bits.begin(), op.row_bits.end());
    m_key.append(op.col_bits.begin(), op.col_bits.end());
    m_key.append(op.k_bits.begin(), op.k_bits.end());
    if (const auto it = m_results.find(m_key); it != m_results.end()) {
        ++m_hits;
        return it->second;
    }
    gemm_result r = run_gemm(cfg, op);
    if (m_results.size() >= m_capacity) m_results.clear();
    m_results.emplace(m_key, r);
    return r;
}

}  // namespace dtq::vssa
