#include "platform/workloads/gemm_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "common/npy.h"
#include "dtq_driver.h"
#include "platform/workloads/onnx_import.h"
#include "platform/workloads/onnx_pipeline.h"
#include "topk/topk.h"
#include "vssa/engine.h"

namespace dtq {

namespace {

std::string trim(const std::string& s) {
    size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    return s.substr(a, b - a);
}

bool parse_dim(const std::string& t, uint64_t& v) {
    if (t.empty() || t.size() > 12) return false;
    v = 0;
    for (char ch : t) {
        if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
        v = v * 10 + static_cast<uint64_t>(ch - '0');
    }
    return true;
}

uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::string read_text(const std::string& path, const std::string& what) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw config_error({fmt::format("{}: cannot open the {} (path relative to the working directory)", path, what)});
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

// ---- SCALE-Sim -----------------------------------------------------------------------

std::vector<topology_layer> parse_scalesim_topology(const std::string& text, const std::string& origin) {
    std::vector<topology_layer> layers;
    std::istringstream in(text);
    std::string line;
    std::vector<std::string> errors;
    bool header = true;
    for (uint64_t no = 1; std::getline(in, line); ++no) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (header) {  // SCALE-Sim skips the first line whatever it holds
            header = false;
            continue;
        }
        if (trim(line).empty()) continue;
        std::vector<std::string> f;
        std::stringstream ls(line);
        for (std::string e; std::getline(ls, e, ',');) f.push_back(trim(e));
        if (!f.empty() && f.back().empty()) f.pop_back();  // the trailing comma SCALE-Sim writes
        const std::string where = fmt::format("{}:{}", origin, no);
        if (f.size() != 4) {
            errors.push_back(fmt::format("{}: expected `name, M, N, K,` (4 fields), got {} field{}: '{}'", where, f.size(),
                                         f.size() == 1 ? "" : "s", line));
            continue;
        }
        topology_layer l;
        l.name = f[0];
        if (l.name.empty()) errors.push_back(fmt::format("{}: expected a layer name in the first field", where));
        const char* names[3] = {"M", "N", "K"};
        uint64_t* dims[3] = {&l.m, &l.n, &l.k};
        bool ok = true;
        for (int i = 0; i < 3; ++i)
            if (!parse_dim(f[1 + i], *dims[i]) || *dims[i] < 1 || *dims[i] > DTQ_MAX_DIM) {
                errors.push_back(fmt::format("{}: {}: expected an integer in [1, {}], got '{}'", where, names[i], DTQ_MAX_DIM, f[1 + i]));
                ok = false;
            }
        if (ok && !l.name.empty()) layers.push_back(l);
    }
    if (errors.empty() && layers.empty())
        errors.push_back(fmt::format("{}: expected a header line and at least one `name, M, N, K,` line, got none", origin));
    if (!errors.empty()) throw config_error(errors);
    return layers;
}

std::vector<topology_layer> read_scalesim_topology(const std::string& path) {
    return parse_scalesim_topology(read_text(path, "SCALE-Sim topology (workload.gemm.topology)"), path);
}

void apply_scalesim_config(scenario_config& c, const std::string& path) {
    const std::string text = read_text(path, "SCALE-Sim config (workload.gemm.scalesim_config)");
    std::map<std::string, std::pair<std::string, uint64_t>> kv;  // lower-case key -> (value, line)
    std::istringstream in(text);
    std::string line;
    std::vector<std::string> errors;
    for (uint64_t no = 1; std::getline(in, line); ++no) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#' || t[0] == ';' || t[0] == '[') continue;
        const size_t sep = t.find_first_of(":=");
        if (sep == std::string::npos) {
            errors.push_back(fmt::format("{}:{}: expected `key: value` or `key = value`, got '{}'", path, no, t));
            continue;
        }
        std::string key = trim(t.substr(0, sep));
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        kv[key] = {trim(t.substr(sep + 1)), no};
    }
    const auto number = [&](const std::string& key, uint64_t lo, uint64_t hi, uint64_t& out) {
        auto it = kv.find(key);
        if (it == kv.end()) return false;
        uint64_t v = 0;
        if (!parse_dim(it->second.first, v) || v < lo || v > hi) {
            errors.push_back(fmt::format("{}:{}: {}: expected an integer in [{}, {}], got '{}'", path, it->second.second, key, lo, hi,
                                         it->second.first));
            return false;
        }
        out = v;
        return true;
    };
    uint64_t v = 0;
    if (number("arrayheight", 1, 256, v)) c.vssa.rows = v;
    if (number("arraywidth", 1, 256, v)) c.vssa.cols = v;
    c.vssa.arrays = 1;  // SCALE-Sim simulates one array
    uint64_t ifmap = 0, filter = 0, ofmap = 0;
    const bool has_i = number("ifmapsramszkb", 1, 16384, ifmap), has_f = number("filtersramszkb", 1, 16384, filter);
    if (has_i && has_f) {
        if (ifmap + filter > 16384)
            errors.push_back(fmt::format("{}: IfmapSramSzkB + FilterSramSzkB: expected at most 16384 kB (scratchpad.size 16 MiB), got {}",
                                         path, ifmap + filter));
        else
            c.scratchpad.size = (ifmap + filter) << 10;
    }
    if (number("ofmapsramszkb", 1, 16384, ofmap)) c.accumulator.size = ofmap << 10;
    if (auto it = kv.find("dataflow"); it != kv.end()) {
        std::string df = it->second.first;
        std::transform(df.begin(), df.end(), df.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (df != "os")
            errors.push_back(fmt::format("{}:{}: Dataflow: expected os (the VSSA is output-stationary; ws and is do not map), got '{}'",
                                         path, it->second.second, it->second.first));
    }
    if (auto it = kv.find("interfacebandwidth"); it != kv.end() && trim(it->second.first) == "USER") {
        if (auto b = kv.find("bandwidth"); b != kv.end()) {
            const std::string first = b->second.first.substr(0, b->second.first.find(','));
            uint64_t bw = 0;
            if (parse_dim(trim(first), bw) && bw >= 1 && bw <= 4096)
                c.dram.bytes_per_cycle = bw;  // words of one byte (int8 operands)
            else
                errors.push_back(fmt::format("{}:{}: Bandwidth: expected an integer in [1, 4096] words/cycle, got '{}'", path,
                                             b->second.second, b->second.first));
        }
    }
    if (!errors.empty()) throw config_error(errors);
}

// ---- the GEMMs -----------------------------------------------------------------------

std::vector<uint8_t> ratio_rows(uint64_t m, double p0, double p4, uint64_t seed) {
    const auto n0 = std::min<uint64_t>(m, static_cast<uint64_t>(std::llround(p0 * static_cast<double>(m))));
    const auto n4 = std::min<uint64_t>(m - n0, static_cast<uint64_t>(std::llround(p4 * static_cast<double>(m))));
    std::vector<uint8_t> bits(m, 8);
    std::fill(bits.begin(), bits.begin() + static_cast<std::ptrdiff_t>(n0), 0);
    std::fill(bits.begin() + static_cast<std::ptrdiff_t>(n0), bits.begin() + static_cast<std::ptrdiff_t>(n0 + n4), 4);
    uint64_t s = seed;
    for (uint64_t i = m; i > 1; --i) std::swap(bits[i - 1], bits[splitmix64(s) % i]);
    return bits;
}

std::vector<gemm_job> expand_gemms(const scenario_config& c, onnx_import_result* imported) {
    const auto& g = c.workload.gemm;
    std::vector<gemm_entry> list = g.list;
    if (c.workload.kind == "onnx") {
        onnx_import_result r = import_onnx(c.workload.onnx.model, c.workload.onnx.seq);
        list = r.gemms;
        if (imported) *imported = std::move(r);
    }
    if (!g.topology.empty())
        for (const auto& l : read_scalesim_topology(g.topology)) {
            gemm_entry e;
            e.name = l.name;
            e.m = l.m;
            e.n = l.n;
            e.k = l.k;
            list.push_back(e);
        }
    std::vector<gemm_job> jobs;
    for (size_t i = 0; i < list.size(); ++i) {
        const gemm_entry& e = list[i];
        gemm_job j;
        j.name = e.name;
        j.m = e.m;
        j.n = e.n;
        j.k = e.k;
        j.b_bits = static_cast<uint32_t>(e.b_bits ? e.b_bits : g.b_bits);
        const std::string ap = e.a_precision.empty() ? g.a_precision : e.a_precision;
        if (ap == "4" || ap == "8" || ap == "topk") {  // topk: 8 until the attention maps decide (kind onnx)
            j.a_bits.assign(j.m, static_cast<uint8_t>(ap == "4" ? 4 : 8));
        } else if (ap == "list") {
            j.a_bits = e.a_prec;
        } else {
            const double p0 = e.ratios.empty() ? g.ratio_pruned : e.ratios[0];
            const double p4 = e.ratios.empty() ? g.ratio_4bit : e.ratios[1];
            j.a_bits = ratio_rows(j.m, p0, p4, c.seed * 0x100000001B3ull + i);
        }
        jobs.push_back(std::move(j));
    }
    return jobs;
}

gemm_operands make_gemm_operands(const gemm_job& j, uint64_t seed, uint64_t index) {
    gemm_operands o;
    uint64_t s = seed * 0x9E3779B97F4A7C15ull ^ (index + 1) * 0xD1B54A32D192ED03ull;
    o.a.resize(j.m * j.k);
    for (uint64_t i = 0; i < j.m; ++i)
        for (uint64_t k = 0; k < j.k; ++k) {
            const uint64_t r = splitmix64(s);
            o.a[i * j.k + k] = j.a_bits[i] == 4 ? static_cast<int8_t>(16 * (static_cast<int>(r % 16) - 8))
                                                : static_cast<int8_t>(static_cast<int>(r % 256) - 128);
        }
    o.b_values.resize(j.n * j.k);
    if (j.b_bits == 4) {
        const uint64_t row = (j.k + 1) / 2;
        o.b_image.assign(j.n * row, 0);
        for (uint64_t n = 0; n < j.n; ++n)
            for (uint64_t k = 0; k < j.k; ++k) {
                const int code = static_cast<int>(splitmix64(s) % 16) - 8;
                o.b_values[n * j.k + k] = static_cast<int8_t>(16 * code);
                o.b_image[n * row + k / 2] |= static_cast<uint8_t>((static_cast<unsigned>(code) & 0xFu) << (4 * (k % 2)));
            }
    } else {
        for (auto& v : o.b_values) v = static_cast<int8_t>(static_cast<int>(splitmix64(s) % 256) - 128);
        o.b_image.assign(reinterpret_cast<const uint8_t*>(o.b_values.data()),
                         reinterpret_cast<const uint8_t*>(o.b_values.data()) + o.b_values.size());
    }
    return o;
}

std::vector<int32_t> reference_gemm(const gemm_job& j, const gemm_operands& o) {
    std::vector<int32_t> c(j.m * j.n, 0);
    for (uint64_t i = 0; i < j.m; ++i) {
        if (j.a_bits[i] == 0) continue;
        const int8_t* a = &o.a[i * j.k];
        for (uint64_t n = 0; n < j.n; ++n) {
            const int8_t* b = &o.b_values[n * j.k];
            int64_t acc = 0;
            for (uint64_t k = 0; k < j.k; ++k) acc += int32_t{a[k]} * int32_t{b[k]};
            c[i * j.n + n] = static_cast<int32_t>(acc);
        }
    }
    return c;
}

quantized_gemm quantize_gemm(const gemm_job& j, const std::vector<float>& a, const std::vector<float>& b, bool per_channel,
                             double a_max, double b_max) {
    quantized_gemm r;
    double amax = 0;
    for (float x : a) amax = std::max<double>(amax, std::fabs(x));
    if (a_max >= 0) amax = a_max;
    r.a_scale = amax > 0 ? amax / 127.0 : 1.0;
    const auto clampi = [](double x, int lo, int hi) { return static_cast<int>(std::min<double>(hi, std::max<double>(lo, std::nearbyint(x)))); };
    r.q.a.resize(j.m * j.k);
    for (uint64_t i = 0; i < j.m; ++i)
        for (uint64_t k = 0; k < j.k; ++k) {
            const double x = a[i * j.k + k] / r.a_scale;
            r.q.a[i * j.k + k] = static_cast<int8_t>(j.a_bits[i] == 4 ? 16 * clampi(x / 16, -8, 7) : clampi(x, -127, 127));
        }
    const uint64_t channels = per_channel ? j.n : 1;
    std::vector<float> bmax(channels, 0.0f);
    for (uint64_t k = 0; k < j.k; ++k)
        for (uint64_t n = 0; n < j.n; ++n) {
            float& m = bmax[per_channel ? n : 0];
            m = std::max(m, std::fabs(b[k * j.n + n]));
        }
    r.b_scale.resize(j.n);
    const bool b4 = j.b_bits == 4;
    if (!per_channel && b_max >= 0) bmax[0] = static_cast<float>(b_max);
    for (uint64_t n = 0; n < j.n; ++n) {
        const double mx = bmax[per_channel ? n : 0];
        r.b_scale[n] = mx > 0 ? (b4 ? mx / 7.0 / 16.0 : mx / 127.0) : 1.0;  // b4: values 16 x code, so the scale of a unit is s4 / 16
    }
    r.q.b_values.resize(j.n * j.k);
    const uint64_t row = (j.k + 1) / 2;
    if (b4) r.q.b_image.assign(j.n * row, 0);
    for (uint64_t n = 0; n < j.n; ++n)
        for (uint64_t k = 0; k < j.k; ++k) {
            const double x = b[k * j.n + n] / r.b_scale[n];
            if (b4) {
                const int code = clampi(x / 16, -8, 7);
                r.q.b_values[n * j.k + k] = static_cast<int8_t>(16 * code);
                r.q.b_image[n * row + k / 2] |= static_cast<uint8_t>((static_cast<unsigned>(code) & 0xFu) << (4 * (k % 2)));
            } else {
                r.q.b_values[n * j.k + k] = static_cast<int8_t>(clampi(x, -127, 127));
            }
        }
    if (!b4)
        r.q.b_image.assign(reinterpret_cast<const uint8_t*>(r.q.b_values.data()),
                           reinterpret_cast<const uint8_t*>(r.q.b_values.data()) + r.q.b_values.size());
    return r;
}

fold_counts folds_of(uint64_t active_rows, uint64_t n, uint64_t array_rows, uint64_t array_cols) {
    fold_counts f;
    f.row_folds = (active_rows + array_rows - 1) / array_rows;
    f.col_folds = (n + array_cols - 1) / array_cols;
    const uint64_t folds = f.row_folds * f.col_folds;
    f.mapping_efficiency = folds ? static_cast<double>(active_rows * n) / static_cast<double>(folds * array_rows * array_cols) : 0.0;
    return f;
}

// ---- the run ---------------------------------------------------------------------------

gemm_workload_run::gemm_workload_run(const scenario_config& c) : m_cfg(c), m_import(std::make_unique<onnx_import_result>()) {
    const auto t0 = std::chrono::steady_clock::now();
    m_jobs = expand_gemms(c, m_import.get());
    m_import_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c.workload.kind == "onnx" && c.mode == sim_mode::functional) {
        // Real weights (docs/workloads.md#real-weights): the float reference of the graph on the
        // sample input gives every GEMM's float operands; they are quantized here (offline, PTQ).
        const auto t1 = std::chrono::steady_clock::now();
        // The samples: the first input's shape, or N of them stacked along a new leading axis
        // (calibration takes the maxima over all; sample 0 is the one run and compared).
        const std::vector<std::vector<float>> samples = onnx_input_samples(c);
        std::vector<onnx_softmax_data> sm;
        std::vector<onnx_gemm_data> data = onnx_float_reference(
            c.workload.onnx.model, c.workload.onnx.seq, samples.empty() ? std::vector<std::vector<float>>{} : std::vector<std::vector<float>>{samples[0]},
            c.seed, &sm);
        if (data.size() != m_jobs.size())
            throw config_error({fmt::format("{}: the float reference gave {} GEMMs, the import {}", c.workload.onnx.model, data.size(), m_jobs.size())});
        // Calibration maxima over every sample (per tensor: A; B of activation GEMMs).
        std::vector<double> a_max(data.size(), 0.0), b_max(data.size(), 0.0);
        const auto absmax = [](const std::vector<float>& v) {
            double m = 0;
            for (float x : v) m = std::max<double>(m, std::fabs(x));
            return m;
        };
        for (size_t i = 0; i < data.size(); ++i) {
            a_max[i] = absmax(data[i].a);
            b_max[i] = absmax(data[i].b);
        }
        for (size_t k = 1; k < samples.size(); ++k) {
            const std::vector<onnx_gemm_data> dk = onnx_float_reference(c.workload.onnx.model, c.workload.onnx.seq, {samples[k]}, c.seed);
            for (size_t i = 0; i < dk.size() && i < data.size(); ++i) {
                a_max[i] = std::max(a_max[i], absmax(dk[i].a));
                b_max[i] = std::max(b_max[i], absmax(dk[i].b));
            }
        }
        m_samples = std::max<uint64_t>(samples.size(), 1);
        if (c.workload.gemm.a_precision == "topk") {
            // DTQAtten on the model's own attention maps (docs/workloads.md#real-attention-maps):
            // each Softmax's probabilities, as the softmax unit's int8 output (round(p x 128), at most
            // 127), go through the importance accumulator (column sums over heads and rows) and the
            // two top-k engines (models/topk): of the tokens still kept, k0 = round((1 - ratio_pruned) S)
            // stay, k1 = round(ratio_8bit S) of them 8-bit, the rest 4-bit; pruned tokens stay pruned.
            // The GEMMs after Softmax l (until the next) run their S token rows at these precisions;
            // the GEMMs before the first Softmax run 8-bit.
            std::vector<uint8_t> prec;  // current token precisions (empty: before the first attention map)
            std::vector<std::vector<uint8_t>> after(sm.size());
            const topk::engine_config ec;
            for (size_t l = 0; l < sm.size(); ++l) {
                const onnx_softmax_data& d = sm[l];
                if (d.p.empty() || d.rows != d.cols) {  // not a square attention map: precisions unchanged
                    after[l] = prec;
                    continue;
                }
                const uint64_t S = d.cols;
                if (prec.size() != S) prec.assign(S, 8);
                topk::importance_accumulator accu(S);
                std::vector<uint32_t> ids(S);
                for (uint32_t t = 0; t < S; ++t) ids[t] = t;
                std::vector<uint8_t> q(d.rows * d.cols);
                for (uint64_t h = 0; h < d.heads; ++h) {
                    for (uint64_t x = 0; x < q.size(); ++x)
                        q[x] = static_cast<uint8_t>(std::min(127.0, std::nearbyint(d.p[h * q.size() + x] * 128.0)));
                    accu.accumulate(q.data(), d.rows, d.cols, ids);
                }
                std::vector<uint32_t> cand;
                for (uint32_t t = 0; t < S; ++t)
                    if (prec[t]) cand.push_back(t);
                const uint64_t k0 = std::min<uint64_t>(cand.size(), topk::count_from_ratio(1.0 - c.workload.gemm.ratio_pruned, S));
                const uint64_t k1 = std::min<uint64_t>(k0, topk::count_from_ratio(c.workload.gemm.ratio_8bit, S));
                std::vector<uint32_t> scores = accu.scores();
                if (c.workload.gemm.topk_scores == "random") {  // the ablation: a seeded random ranking
                    std::mt19937_64 rng(c.seed * 1000003u + l);  // Fisher-Yates on mt19937_64's specified outputs
                    for (uint32_t t = 0; t < S; ++t) scores[t] = t;
                    for (uint64_t t = S - 1; t > 0; --t) std::swap(scores[t], scores[rng() % (t + 1)]);
                }
                const topk::precision_split ps = topk::split(ec, scores, cand, k0, k1);
                std::fill(prec.begin(), prec.end(), uint8_t{0});
                for (uint32_t t : ps.bits4) prec[t] = 4;
                for (uint32_t t : ps.bits8) prec[t] = 8;
                after[l] = prec;
                m_layers.push_back({d.node, ps.pruned.size(), ps.bits4.size(), ps.bits8.size(), scores, prec});
                // (ps.pruned holds this layer's newly pruned candidates; count every pruned token)
                m_layers.back().pruned = S - ps.bits4.size() - ps.bits8.size();
            }
            for (size_t i = 0; i < data.size(); ++i) {
                const uint64_t before = data[i].softmax_before;
                if (before == 0 || after[before - 1].size() != m_jobs[i].m) continue;
                m_jobs[i].a_bits = after[before - 1];
            }
        }
        for (size_t i = 0; i < data.size(); ++i) {
            quantized_gemm qg = quantize_gemm(m_jobs[i], data[i].a, data[i].b, data[i].weight, a_max[i], data[i].weight ? -1.0 : b_max[i]);
            m_real.push_back({std::move(qg.q), qg.a_scale, std::move(qg.b_scale), std::move(data[i].c)});
            data[i] = {};
        }
        m_reference_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    }
    // DRAM layout: args, the table, then per GEMM its precision list, A, B and C (4 KiB aligned).
    const uint64_t args_at = DTQ_APP_DATA_ADDR;
    m_table_at = args_at + 4096;
    uint64_t at = align_up(m_table_at + m_jobs.size() * sizeof(dtq_gemm_entry), 4096);
    for (const gemm_job& j : m_jobs) {
        dtq_gemm_entry e{};
        e.m = static_cast<uint32_t>(j.m);
        e.n = static_cast<uint32_t>(j.n);
        e.k = static_cast<uint32_t>(j.k);
        e.layout = j.b_bits == 4 ? DTQ_GEMM_B_4BIT : 0;
        const bool all8 = std::all_of(j.a_bits.begin(), j.a_bits.end(), [](uint8_t b) { return b == 8; });
        if (!all8) {
            e.prec = at;
            at = align_up(at + j.m, 4096);
        }
        e.a = at;
        at = align_up(at + j.m * j.k, 4096);
        e.b = at;
        at = align_up(at + j.n * (j.b_bits == 4 ? (j.k + 1) / 2 : j.k), 4096);
        e.c = at;
        at = align_up(at + j.m * j.n * 4, 4096);
        m_table.push_back(e);
    }
    m_end = at;
    if (m_end > DTQ_DRAM_BASE + c.dram.size)
        throw config_error({fmt::format("dram.size: expected at least {} bytes for the {} GEMMs' operands, got {}", m_end - DTQ_DRAM_BASE,
                                        m_jobs.size(), c.dram.size)});
    m_records.resize(m_jobs.size());
}

gemm_workload_run::~gemm_workload_run() = default;

const gemm_operands& gemm_workload_run::operands(size_t i, gemm_operands& tmp) const {
    if (i < m_real.size()) return m_real[i].q;
    tmp = make_gemm_operands(m_jobs[i], m_cfg.seed, i);
    return tmp;
}

void gemm_workload_run::load(const std::function<void(uint64_t, const void*, uint64_t)>& write) const {
    dtq_gemm_args args{};
    args.magic = DTQ_GEMM_ARGS_MAGIC;
    args.count = static_cast<uint32_t>(m_jobs.size());
    args.table = m_table_at;
    write(DTQ_APP_DATA_ADDR, &args, sizeof args);
    write(m_table_at, m_table.data(), m_table.size() * sizeof(dtq_gemm_entry));
    const bool functional = m_cfg.mode == sim_mode::functional;
    for (size_t i = 0; i < m_jobs.size(); ++i) {
        const gemm_job& j = m_jobs[i];
        const dtq_gemm_entry& e = m_table[i];
        if (e.prec) write(e.prec, j.a_bits.data(), j.m);  // read in both modes: it sets the cycles
        if (!functional) continue;
        gemm_operands tmp;
        const gemm_operands& o = operands(i, tmp);
        write(e.a, o.a.data(), o.a.size());
        write(e.b, o.b_image.data(), o.b_image.size());
    }
}

void gemm_workload_run::record(uint32_t index, const gemm_record& r) {
    if (index < m_records.size()) {
        m_records[index] = r;
        m_records[index].done = true;
    }
}

int gemm_workload_run::finish(const std::function<void(uint64_t, void*, uint64_t)>& read, const std::string& out_dir, bool quiet,
                              std::ostream& out) {
    const uint64_t R = m_cfg.vssa.rows, C = m_cfg.vssa.cols, arrays = m_cfg.vssa.arrays;
    const double pes = static_cast<double>(R * C * arrays);
    // Functional check against the plain-loop reference.
    std::string mismatch;
    struct acc_row {
        bool set = false;
        double cosine = 0, max_abs = 0, mean_abs = 0, ref_max = 0;
    };
    std::vector<acc_row> acc(m_jobs.size());
    if (m_cfg.mode == sim_mode::functional && (m_cfg.workload.gemm.check || !m_real.empty()))
        for (size_t i = 0; i < m_jobs.size(); ++i) {
            const gemm_job& j = m_jobs[i];
            std::vector<int32_t> got(j.m * j.n);
            read(m_table[i].c, got.data(), got.size() * 4);
            if (m_cfg.workload.gemm.check && mismatch.empty()) {
                gemm_operands tmp;
                const std::vector<int32_t> ref = reference_gemm(j, operands(i, tmp));
                for (uint64_t x = 0; x < got.size(); ++x)
                    if (got[x] != ref[x]) {
                        mismatch = fmt::format("GEMM {} '{}': C[{}][{}] = {}, the reference gives {}", i, j.name, x / j.n, x % j.n, got[x], ref[x]);
                        break;
                    }
            }
            if (i < m_real.size()) {  // accuracy proxy: the VP's C back in float against the float reference, active rows
                const real_gemm& rg = m_real[i];
                double dot = 0, na = 0, nb = 0, sum = 0, mx = 0, rmax = 0;
                uint64_t cnt = 0;
                for (uint64_t r = 0; r < j.m; ++r) {
                    if (j.a_bits[r] == 0) continue;
                    for (uint64_t n = 0; n < j.n; ++n) {
                        const double v = static_cast<double>(got[r * j.n + n]) * rg.a_scale * rg.b_scale[n], f = rg.c[r * j.n + n];
                        dot += v * f;
                        na += v * v;
                        nb += f * f;
                        sum += std::fabs(v - f);
                        mx = std::max(mx, std::fabs(v - f));
                        rmax = std::max(rmax, std::fabs(f));
                        ++cnt;
                    }
                }
                acc[i] = {true, na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0), mx, cnt ? sum / static_cast<double>(cnt) : 0.0, rmax};
            }
        }
    struct row {
        uint64_t active, n0, n4, n8;
        fold_counts f;
        double util, overall_util, compute_util, stall_ratio;
        uint64_t stall_cycles;
    };
    std::vector<row> rows;
    uint64_t total_cycles = 0, total_macs = 0;
    for (size_t i = 0; i < m_jobs.size(); ++i) {
        const gemm_job& j = m_jobs[i];
        const gemm_record& r = m_records[i];
        row w{};
        for (uint8_t b : j.a_bits) (b == 0 ? w.n0 : b == 4 ? w.n4 : w.n8)++;
        w.active = w.n4 + w.n8;
        w.f = folds_of(w.active, j.n, R, C * arrays);
        const uint64_t cycles = r.end - r.start;
        const double cyc = static_cast<double>(cycles);
        w.util = cycles ? static_cast<double>(r.busy_pe_cycles) / (pes * cyc) : 0.0;
        w.overall_util = cycles ? static_cast<double>(r.macs) / (pes * cyc) : 0.0;
        w.compute_util = r.vssa_cycles ? static_cast<double>(r.busy_pe_cycles) / (pes * static_cast<double>(r.vssa_cycles)) : 0.0;
        w.stall_ratio = r.busy_pe_cycles + r.stall_pe_cycles
                            ? static_cast<double>(r.stall_pe_cycles) / static_cast<double>(r.busy_pe_cycles + r.stall_pe_cycles)
                            : 0.0;
        w.stall_cycles = cycles > r.vssa_cycles ? cycles - r.vssa_cycles : 0;
        rows.push_back(w);
        total_cycles += cycles;
        total_macs += r.macs;
        auto g = std::make_unique<stat_group>(fmt::format("gemm.{}", i));
        const auto put = [&](const char* name, const char* unit, const std::string& desc, uint64_t v) { g->counter(name, unit, desc) = v; };
        const auto der = [&](const char* name, const char* unit, const std::string& desc, double v) { g->derived(name, unit, desc, [v] { return v; }); };
        put("m", "", fmt::format("'{}': rows of A and C", j.name), j.m);
        put("n", "", "columns of B and C", j.n);
        put("k", "", "inner dimension", j.k);
        put("rows_pruned", "rows", "A rows of precision 0 (skipped)", w.n0);
        put("rows_4bit", "rows", "A rows of precision 4", w.n4);
        put("rows_8bit", "rows", "A rows of precision 8", w.n8);
        put("b_bits", "bits", "precision of B", j.b_bits);
        put("cycles", "cycles", "the GEMM command's start to its completion", cycles);
        put("vssa_cycles", "cycles", "cycles the VSSA computed (sum of the k-steps' engine cycles)", r.vssa_cycles);
        put("memory_stall_cycles", "cycles", "cycles - vssa_cycles: the array waited for operands or the drain (SCALE-Sim's stall cycles)", w.stall_cycles);
        put("stall_pe_cycles", "PE cycles", "PE cycles lost to lockstep stalls (a PE waiting for the slowest PE of its step)", r.stall_pe_cycles);
        put("busy_pe_cycles", "PE cycles", "PE cycles spent on MACs", r.busy_pe_cycles);
        put("macs", "MACs", "multiply-accumulates of the active rows", r.macs);
        put("tiles", "tiles", "array tiles the engine ran (folds x k-steps)", r.tiles);
        put("blocks", "blocks", "the command's pipeline stages (output blocks x k-steps)", r.blocks);
        put("row_folds", "folds", "SCALE-Sim os row folds: ceil(active rows / vssa.rows)", w.f.row_folds);
        put("col_folds", "folds", "SCALE-Sim os column folds: ceil(N / (vssa.cols x arrays))", w.f.col_folds);
        put("dram_read_bytes", "bytes", "bytes the command's DMA read from DRAM", r.dram_read);
        put("dram_written_bytes", "bytes", "bytes the command's DMA wrote to DRAM", r.dram_written);
        der("stall_ratio", "ratio", "stall_pe_cycles / (busy_pe_cycles + stall_pe_cycles): the share of PE-active cycles lost to stalls", w.stall_ratio);
        der("utilization", "ratio", "busy_pe_cycles / (PEs x cycles)", w.util);
        der("mac_utilization", "ratio", "macs / (PEs x cycles): SCALE-Sim's overall utilization (an 8x8 MAC takes a 4-bit PE 4 cycles)", w.overall_util);
        der("mapping_efficiency", "ratio", "active rows x N / (folds x PEs of a fold): SCALE-Sim's mapping efficiency", w.f.mapping_efficiency);
        if (acc[i].set) {
            der("cosine", "ratio", "cosine similarity of the VP's C (dequantized: C x a_scale x b_scale) and the float reference's A B (active rows)", acc[i].cosine);
            der("max_abs_error", "float", "largest |VP - float reference| over the active rows, in the graph's float units", acc[i].max_abs);
            der("mean_abs_error", "float", "mean |VP - float reference| over the active rows", acc[i].mean_abs);
            der("reference_max_abs", "float", "largest |float reference| (for scale)", acc[i].ref_max);
        }
        m_stats.push_back(std::move(g));
    }
    if (m_cfg.workload.kind == "onnx") {
        const onnx_import_result& im = *m_import;
        auto og = std::make_unique<stat_group>("onnx");
        og->counter("nodes", "nodes", "nodes of the imported graph") = im.nodes;
        og->counter("initializers", "tensors", "initializers of the graph") = im.initializers;
        og->counter("parameters", "elements", "elements of the float initializers (weights, biases, LayerNorm scales)") = im.parameters;
        og->counter("weight_gemms", "GEMMs", "GEMM commands of MatMul / Gemm nodes with a weight initializer") = im.weight_gemms;
        og->counter("activation_gemms", "GEMMs", "GEMM commands of MatMuls of two activations (per batch x head)") = im.activation_gemms;
        og->derived("import_seconds", "s", "wall time to read, check and map the graph (host)", [v = m_import_seconds] { return v; });
        for (size_t l = 0; l < m_layers.size(); ++l) {
            const topk_layer& t = m_layers[l];
            const double n = static_cast<double>(t.pruned + t.bits4 + t.bits8);
            const std::string pre = fmt::format("attention map {} ('{}'): ", l, t.node);
            og->counter(fmt::format("topk.layer{}.tokens_pruned", l), "tokens", pre + "tokens pruned (0-bit) after its top-k") = t.pruned;
            og->counter(fmt::format("topk.layer{}.tokens_4bit", l), "tokens", pre + "tokens 4-bit") = t.bits4;
            og->counter(fmt::format("topk.layer{}.tokens_8bit", l), "tokens", pre + "tokens 8-bit") = t.bits8;
            og->derived(fmt::format("topk.layer{}.ratio_pruned", l), "ratio", pre + "tokens_pruned / tokens", [v = t.pruned / n] { return v; });
            og->derived(fmt::format("topk.layer{}.ratio_4bit", l), "ratio", pre + "tokens_4bit / tokens", [v = t.bits4 / n] { return v; });
            og->derived(fmt::format("topk.layer{}.ratio_8bit", l), "ratio", pre + "tokens_8bit / tokens", [v = t.bits8 / n] { return v; });
            if (!quiet)
                out << fmt::format("top-k on attention map {} ({}): {} pruned / {} 4-bit / {} 8-bit tokens\n", l, t.node, t.pruned, t.bits4, t.bits8);
        }
        if (!m_real.empty()) {
            double mn = 1, mean = 0;
            for (const auto& a : acc) {
                mn = std::min(mn, a.cosine);
                mean += a.cosine;
            }
            mean /= static_cast<double>(acc.size());
            og->counter("calibration_samples", "samples", "input samples the activation scales were calibrated on (workload.onnx.input)") = m_samples;
            og->derived("reference_seconds", "s", "wall time of the float reference and the quantization (host)", [v = m_reference_seconds] { return v; });
            og->derived("cosine_min", "ratio", "smallest cosine over the GEMMs (accuracy proxy against the float reference)", [mn] { return mn; });
            og->derived("cosine_mean", "ratio", "mean cosine over the GEMMs", [mean] { return mean; });
        }
        for (const auto& [op, n] : im.ops) og->counter("ops." + op, "nodes", "nodes of this op type") = n;
        m_stats.push_back(std::move(og));
    }
    auto tot = std::make_unique<stat_group>("gemm");
    tot->counter("count", "GEMMs", "GEMM commands run") = m_jobs.size();
    tot->counter("total_cycles", "cycles", "sum over GEMMs of their cycles") = total_cycles;
    tot->counter("total_macs", "MACs", "sum over GEMMs of their MACs") = total_macs;
    m_stats.push_back(std::move(tot));

    if (!out_dir.empty()) {
        std::ofstream f(out_dir + "/gemms.csv");
        f << "name,m,n,k,rows_pruned,rows_4bit,rows_8bit,b_bits,tiles,row_folds,col_folds,blocks,cycles,vssa_cycles,"
             "memory_stall_cycles,stall_pe_cycles,busy_pe_cycles,stall_ratio,utilization,mac_utilization,mapping_efficiency,macs,"
             "dram_read_bytes,dram_written_bytes,cosine,max_abs_error\n";
        for (size_t i = 0; i < m_jobs.size(); ++i) {
            const gemm_job& j = m_jobs[i];
            const gemm_record& r = m_records[i];
            const row& w = rows[i];
            f << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{},{},{},{},{}\n", j.name, j.m, j.n,
                             j.k, w.n0, w.n4, w.n8, j.b_bits, r.tiles, w.f.row_folds, w.f.col_folds, r.blocks, r.end - r.start,
                             r.vssa_cycles, w.stall_cycles, r.stall_pe_cycles, r.busy_pe_cycles, w.stall_ratio, w.util,
                             w.overall_util, w.f.mapping_efficiency, r.macs, r.dram_read, r.dram_written,
                             acc[i].set ? fmt::format("{:.6f}", acc[i].cosine) : "", acc[i].set ? fmt::format("{:.6g}", acc[i].max_abs) : "");
        }
        if (!f) {
            std::cerr << "dtqvp: error: cannot write " << out_dir << "/gemms.csv\n";
            return 3;
        }
        if (!m_layers.empty()) {  // a_precision topk: each attention map's choice, token by token
            std::ofstream tk(out_dir + "/tokens.csv");
            tk << "map,node,token,score,precision\n";
            for (size_t l = 0; l < m_layers.size(); ++l)
                for (size_t t = 0; t < m_layers[l].prec.size(); ++t)
                    tk << fmt::format("{},{},{},{},{}\n", l, m_layers[l].node, t, m_layers[l].scores[t], m_layers[l].prec[t]);
            if (!tk) {
                std::cerr << "dtqvp: error: cannot write " << out_dir << "/tokens.csv\n";
                return 3;
            }
        }
        if (!m_cfg.workload.gemm.topology.empty()) {  // SCALE-Sim's COMPUTE_REPORT.csv columns
            std::ofstream cr(out_dir + "/COMPUTE_REPORT.csv");
            cr << "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n";
            for (size_t i = 0; i < m_jobs.size(); ++i) {
                const row& w = rows[i];
                cr << fmt::format("{}, {}, {}, {:.4f}, {:.4f}, {:.4f},\n", i, m_records[i].end - m_records[i].start, w.stall_cycles,
                                  100 * w.overall_util, 100 * w.f.mapping_efficiency, 100 * w.compute_util);
            }
            if (!cr) {
                std::cerr << "dtqvp: error: cannot write " << out_dir << "/COMPUTE_REPORT.csv\n";
                return 3;
            }
        }
    }
    if (!quiet) {
        out << fmt::format("{:<24} {:>6} {:>6} {:>6} {:>8} {:>12} {:>8} {:>8}\n", "gemm", "m", "n", "k", "tiles", "cycles", "util", "R");
        for (size_t i = 0; i < m_jobs.size(); ++i)
            out << fmt::format("{:<24} {:>6} {:>6} {:>6} {:>8} {:>12} {:>8.4f} {:>8.4f}\n", m_jobs[i].name, m_jobs[i].m, m_jobs[i].n,
                               m_jobs[i].k, m_records[i].tiles, m_records[i].end - m_records[i].start, rows[i].util, rows[i].stall_ratio);
    }
    if (!mismatch.empty()) {
        std::cerr << "dtqvp: check failed: " << mismatch << '\n';
        return 1;
    }
    for (size_t i = 0; i < m_jobs.size(); ++i)
        if (!m_records[i].done) {
            std::cerr << fmt::format("dtqvp: error: GEMM {} '{}' did not complete\n", i, m_jobs[i].name);
            return 3;
        }
    return 0;
}

}  // namespace dtq
