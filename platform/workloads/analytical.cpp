#include "platform/workloads/analytical.h"

#include <fmt/format.h>

#include <cmath>

namespace dtq {

std::vector<op_count> analytical_ops(const model_shape& m, uint64_t seq) {
    const double l = static_cast<double>(seq), d = static_cast<double>(m.d_model), h = static_cast<double>(m.heads);
    const double f = static_cast<double>(m.d_ffn), dh = static_cast<double>(m.d_head()), n = static_cast<double>(m.layers);
    // Weight-to-activation matmuls: 2 FLOPs per MAC. MOPs: weights + input + output, 1 byte each.
    auto proj = [&](const char* name, double count, double k, double nout) {
        return op_count{name, n * count * 2 * l * k * nout, n * count * (k * nout + l * k + l * nout)};
    };
    std::vector<op_count> ops;
    ops.push_back(proj("qkv_proj", 3, d, d));
    // Act-to-act matmuls: (2K - 1) FLOPs per output (K multiplies, K - 1 adds), as the
    // survey's Table 3 counts them. MOPs: both operands and the result.
    ops.push_back({"qk", n * l * l * h * (2 * dh - 1), n * (2 * l * d + h * l * l)});
    ops.push_back({"sv", n * l * dh * h * (2 * l - 1), n * (h * l * l + 2 * l * d)});
    ops.push_back(proj("out_proj", 1, d, d));
    ops.push_back(proj("ffn_w1", 1, d, f));
    ops.push_back(proj("ffn_w2", 1, f, d));
    // Softmax (4 FLOPs, 2 bytes per score), LayerNorm x2, GELU and the residual adds:
    // 58 FLOPs and 17 bytes per token per model dimension, fitted to Table 3.
    ops.push_back({"other", n * (4 * h * l * l + 58 * l * d), n * (2 * h * l * l + 17 * l * d)});
    op_count total{"total", 0, 0};
    for (const auto& o : ops) { total.flops += o.flops; total.mops += o.mops; }
    ops.push_back(total);
    return ops;
}

double survey_matmul_bytes(double M, double N, double K, double out_bytes, const survey_hw& hw) {
    const double a = M * K, b = K * N, c = M * N * out_bytes;
    if (a + b + c <= hw.l2_bytes) return a + b + c;  // everything fits: each operand crosses once
    double T = 1;
    while ((2 * T) * (2 * T) * (2 + out_bytes) <= hw.l2_bytes) T *= 2;
    // Output tiles T x T, reduction in steps of T: C stays in the L2 until done (written
    // once); A is read once per column tile of C, B once per row tile.
    return a * std::ceil(N / T) + b * std::ceil(M / T) + c;
}

void add_survey_traffic(const model_shape& m, uint64_t seq, std::vector<op_count>& ops, const survey_hw& hw) {
    const double l = static_cast<double>(seq), d = static_cast<double>(m.d_model), h = static_cast<double>(m.heads);
    const double f = static_cast<double>(m.d_ffn), dh = static_cast<double>(m.d_head()), n = static_cast<double>(m.layers);
    const auto set = [&](const char* name, double bytes) {
        for (auto& o : ops)
            if (o.name == name) o.survey_bytes = n * bytes;
    };
    set("qkv_proj", 3 * survey_matmul_bytes(l, d, d, 1, hw));
    set("qk", h * survey_matmul_bytes(l, l, dh, 4, hw));  // softmax follows: 32-bit scores
    set("sv", h * survey_matmul_bytes(l, dh, l, 1, hw));
    set("out_proj", survey_matmul_bytes(l, d, d, 4, hw));  // residual + LayerNorm follow
    set("ffn_w1", survey_matmul_bytes(l, f, d, 4, hw));    // GELU follows
    set("ffn_w2", survey_matmul_bytes(l, d, f, 4, hw));    // residual + LayerNorm follow
    double total = 0, flops = 0;
    for (auto& o : ops)
        if (o.survey_bytes >= 0 && o.name != "total") total += o.survey_bytes, flops += o.flops;
    for (auto& o : ops)
        if (o.name == "total") o.survey_bytes = total, o.survey_flops = flops;
}

nlohmann::json analytical_json(const model_shape& m, uint64_t seq, const std::vector<op_count>& ops) {
    nlohmann::json j;
    j["model"] = m.name;
    j["seq"] = seq;
    auto one = [](const op_count& o) {
        nlohmann::json e{{"name", o.name}, {"flops", o.flops}, {"mops", o.mops}, {"ai", o.ai()}};
        e["dram_bytes"] = o.dram_bytes >= 0 ? nlohmann::json(o.dram_bytes) : nlohmann::json(nullptr);
        e["nonideal_ai"] = o.dram_bytes > 0 ? nlohmann::json(o.flops / o.dram_bytes) : nlohmann::json(nullptr);
        if (o.survey_bytes >= 0) {
            e["survey_dram_bytes"] = o.survey_bytes;
            e["survey_nonideal_ai"] = o.survey_bytes > 0 ? (o.survey_flops >= 0 ? o.survey_flops : o.flops) / o.survey_bytes : 0.0;
        }
        return e;
    };
    j["ops"] = nlohmann::json::array();
    for (size_t i = 0; i + 1 < ops.size(); ++i) j["ops"].push_back(one(ops[i]));
    j["total"] = one(ops.back());
    return j;
}

namespace {
// Table 5's columns: the six matmuls and their total, with the survey's headings.
const std::pair<const char*, const char*> k_table5_cols[] = {{"qkv_proj", "W_Q,W_K,W_V"}, {"qk", "Q x K"},
                                                             {"sv", "Attn x V"},          {"out_proj", "W_out"},
                                                             {"ffn_w1", "W1"},            {"ffn_w2", "W2"},
                                                             {"total", "Total"}};
double survey_ai(const op_count& o) {
    return o.survey_bytes > 0 ? (o.survey_flops >= 0 ? o.survey_flops : o.flops) / o.survey_bytes : 0.0;
}
std::vector<op_count> survey_ops(const model_shape& m, uint64_t seq) {
    std::vector<op_count> ops = analytical_ops(m, seq);
    add_survey_traffic(m, seq, ops);
    return ops;
}
const op_count& op_named(const std::vector<op_count>& ops, const std::string& name) {
    for (const auto& o : ops)
        if (o.name == name) return o;
    throw std::logic_error("analytical: no op " + name);
}
}  // namespace

nlohmann::json survey_table5_json(const model_shape& m, const std::vector<uint64_t>& seqs) {
    nlohmann::json j;
    j["model"] = m.name;
    j["rows"] = nlohmann::json::array();
    for (uint64_t seq : seqs) {
        const std::vector<op_count> ops = survey_ops(m, seq);
        nlohmann::json row{{"seq", seq}};
        for (const auto& [name, heading] : k_table5_cols) {
            const op_count& o = op_named(ops, name);
            row[name] = {{"heading", heading}, {"survey_dram_bytes", o.survey_bytes}, {"survey_nonideal_ai", survey_ai(o)},
                         {"ideal_ai", o.ai()}};
        }
        j["rows"].push_back(row);
    }
    return j;
}

std::string survey_table5(const model_shape& m, const std::vector<uint64_t>& seqs) {
    std::string s = fmt::format(
        "{}: the survey's Table 5 model (no fusion, 32-bit outputs before non-linear ops, square tiling, 2 MB L2, "
        "DRAM <-> L2 bytes)\nnon-ideal arithmetic intensity, FLOPs / DRAM byte (Table 3's ideal AI in parentheses; "
        "Total: the six matmuls, its ideal AI the whole model's)\n",
        m.name);
    s += fmt::format("{:>6}", "seq");
    for (const auto& [name, heading] : k_table5_cols) s += fmt::format(" {:>18}", heading);
    s += '\n';
    for (uint64_t seq : seqs) {
        const std::vector<op_count> ops = survey_ops(m, seq);
        s += fmt::format("{:>6}", seq);
        for (const auto& [name, heading] : k_table5_cols) {
            const op_count& o = op_named(ops, name);
            s += fmt::format(" {:>18}", fmt::format("{:.2f} ({:.2f})", survey_ai(o), o.ai()));
        }
        s += '\n';
    }
    return s;
}

std::string analytical_table(const model_shape& m, uint64_t seq, const std::vector<op_count>& ops) {
    std::string s = fmt::format("{} at sequence length {} ({} layers, d {}, {} heads, FFN {})\n", m.name, seq, m.layers,
                                m.d_model, m.heads, m.d_ffn);
    s += fmt::format("{:<10} {:>12} {:>7} {:>12} {:>7} {:>9} {:>14} {:>12}\n", "op", "GFLOPs", "% FLOPs", "MOPs (GB)",
                     "% MOPs", "AI", "DRAM bytes", "non-ideal AI");
    const op_count& t = ops.back();
    for (const auto& o : ops) {
        const std::string dram = o.dram_bytes >= 0 ? fmt::format("{:.0f}", o.dram_bytes) : "-";
        const std::string nai = o.dram_bytes > 0 ? fmt::format("{:.2f}", o.flops / o.dram_bytes) : "-";
        s += fmt::format("{:<10} {:>12.3f} {:>7.1f} {:>12.4f} {:>7.1f} {:>9.2f} {:>14} {:>12}\n", o.name, o.flops / 1e9,
                         100 * o.flops / t.flops, o.mops / 1e9, 100 * o.mops / t.mops, o.ai(), dram, nai);
    }
    if (t.survey_bytes >= 0) {
        // Table 5's layout: the survey's model (its assumptions) beside the VP's own numbers.
        s += "\nSurvey Table 5 model (no fusion, 32-bit outputs before non-linear ops, square tiling, 2 MB L2, DRAM <-> L2 bytes):\n";
        s += fmt::format("{:<10} {:>14} {:>12} {:>9} {:>14} {:>12}\n", "op", "survey bytes", "survey AI", "ideal AI",
                         "VP DRAM bytes", "VP AI");
        for (const auto& o : ops) {
            if (o.survey_bytes < 0) continue;
            const double fl = o.survey_flops >= 0 ? o.survey_flops : o.flops;
            const std::string dram = o.dram_bytes >= 0 ? fmt::format("{:.0f}", o.dram_bytes) : "-";
            const std::string nai = o.dram_bytes > 0 ? fmt::format("{:.2f}", o.flops / o.dram_bytes) : "-";
            s += fmt::format("{:<10} {:>14.0f} {:>12.2f} {:>9.2f} {:>14} {:>12}\n", o.name == "total" ? "total(mm)" : o.name,
                             o.survey_bytes, fl / o.survey_bytes, o.ai(), dram, nai);
        }
    }
    return s;
}

std::vector<op_energy> analytical_energy(const std::vector<op_count>& ops, double mac_pj, double add_pj, double dram_pj_per_byte) {
    std::vector<op_energy> v;
    op_energy total{"total"};
    for (size_t i = 0; i + 1 < ops.size(); ++i) {  // the last entry is the total
        const op_count& o = ops[i];
        const bool matmul = o.name != "other";
        op_energy e{o.name, matmul ? o.flops / 2 * mac_pj : o.flops * add_pj, o.mops * dram_pj_per_byte};
        total.compute_pj += e.compute_pj;
        total.memory_pj += e.memory_pj;
        v.push_back(e);
    }
    v.push_back(total);
    return v;
}

std::string analytical_energy_table(const std::vector<op_energy>& e, const std::string& tech) {
    std::string s = fmt::format("energy ({} table; 8-bit MACs, every memory operation a DRAM access: docs/energy.md#analytical)\n", tech);
    s += fmt::format("{:<10} {:>14} {:>14} {:>14} {:>8}\n", "op", "compute uJ", "memory uJ", "total uJ", "% total");
    const double all = e.back().compute_pj + e.back().memory_pj;
    for (const auto& x : e)
        s += fmt::format("{:<10} {:>14.3f} {:>14.3f} {:>14.3f} {:>8.1f}\n", x.name, x.compute_pj * 1e-6, x.memory_pj * 1e-6,
                         (x.compute_pj + x.memory_pj) * 1e-6, all > 0 ? 100 * (x.compute_pj + x.memory_pj) / all : 0.0);
    return s;
}

nlohmann::json analytical_energy_json(const std::vector<op_energy>& e, const std::string& tech) {
    nlohmann::json j;
    j["tech"] = tech;
    j["ops"] = nlohmann::json::array();
    for (const auto& x : e)
        j["ops"].push_back({{"name", x.name}, {"compute_uj", x.compute_pj * 1e-6}, {"memory_uj", x.memory_pj * 1e-6},
                            {"total_uj", (x.compute_pj + x.memory_pj) * 1e-6}});
    return j;
}

}  // namespace dtq
