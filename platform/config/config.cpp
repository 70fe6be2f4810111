#include "platform/config/config.h"

#include "apps.h"
#include "vssa/engine.h"
#ifdef DTQ_HAS_RTL
#include "vssa_rtl.h"
#endif
#include "ctrl/regs_gen.h"
#include "platform/workloads/model_zoo.h"
#include "energy/energy.h"
#include "memory/dram_jedec.h"
#include "platform/workloads/gemm_workload.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace dtq {

namespace fs = std::filesystem;

bool install_vssa_backends() {
#ifdef DTQ_HAS_RTL
    static const bool once = (vssa::install_rtl_backend(), true);
    (void)once;
#endif
    return vssa::rtl_backend_available();
}

const char* to_string(sim_mode m) { return m == sim_mode::functional ? "functional" : "timing"; }

config_error::config_error(std::vector<std::string> messages, size_t suppressed)
    : std::runtime_error(messages.empty() ? "config error" : messages.front()),
      m_messages(std::move(messages)),
      m_suppressed(suppressed) {
    if (m_messages.size() > MAX_MESSAGES) {
        m_suppressed += m_messages.size() - MAX_MESSAGES;
        m_messages.resize(MAX_MESSAGES);
    }
}

namespace {
std::string mark_pos(const std::string& file, const YAML::Mark& m) { return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1); }
}  // namespace

YAML::Node load_yaml_file(const std::string& file, const std::string& who, std::vector<std::string>& errors, bool& ok) {
    ok = false;
    std::error_code ec;
    const auto st = fs::status(file, ec);
    const std::string head = who.empty() ? file + ": " : who + file + ": ";
    if (ec || st.type() == fs::file_type::not_found) {
        errors.push_back(head + "no such file");
        return {};
    }
    if (st.type() == fs::file_type::directory) {
        errors.push_back(head + "is a directory, expected a YAML file");
        return {};
    }
    if (st.type() != fs::file_type::regular) {
        errors.push_back(head + "is not a regular file (a FIFO, socket or device), expected a YAML file");
        return {};
    }
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAllFromFile(file);
    } catch (const YAML::BadFile&) {
        errors.push_back(head + "cannot be read");
        return {};
    } catch (const YAML::Exception& e) {
        errors.push_back(fmt::format("{}: syntax error: {}", mark_pos(file, e.mark), e.msg));
        return {};
    }
    if (docs.size() > 1) {
        errors.push_back(fmt::format("{}: a second YAML document ('---'): a scenario or sweep file holds exactly one",
                                     mark_pos(file, docs[1].Mark())));
        return {};
    }
    ok = true;
    YAML::Node root = docs.empty() ? YAML::Node() : docs[0];
    const size_t before = errors.size();
    check_duplicate_keys(root, file, "", errors);
    ok = errors.size() == before;
    return root;
}

void check_duplicate_keys(const YAML::Node& node, const std::string& file, const std::string& prefix,
                          std::vector<std::string>& errors) {
    if (node.IsSequence()) {
        for (const auto& item : node) check_duplicate_keys(item, file, prefix, errors);
        return;
    }
    if (!node.IsMap()) return;
    std::map<std::string, YAML::Mark> first;
    for (const auto& kv : node) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        const std::string path = prefix.empty() ? key : prefix + "." + key;
        if (kv.first.IsScalar()) {
            const auto [it, fresh] = first.emplace(key, kv.first.Mark());
            if (!fresh)
                errors.push_back(fmt::format("{}: {}: duplicate key (first at line {}, column {}): give each key once",
                                             mark_pos(file, kv.first.Mark()), path, it->second.line + 1, it->second.column + 1));
        }
        check_duplicate_keys(kv.second, file, path, errors);
    }
}


namespace {

std::string scalar_text(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : std::string(); }

// Unsigned integer with an optional binary size suffix (bytes only). No overflow.
bool parse_u64(const std::string& text, bool allow_suffix, uint64_t& out) {
    size_t i = 0;
    while (i < text.size() && text[i] == ' ') ++i;
    if (i == text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    unsigned __int128 v = 0;
    int base = 10;
    if (text.compare(i, 2, "0x") == 0 || text.compare(i, 2, "0X") == 0) { base = 16; i += 2; }
    size_t digits = 0;
    for (; i < text.size(); ++i, ++digits) {
        const char c = text[i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) d = std::tolower(c) - 'a' + 10;
        else if (c == '_') { --digits; continue; }
        else break;
        v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
        if (v > UINT64_MAX) return false;
    }
    if (digits == 0) return false;
    while (i < text.size() && text[i] == ' ') ++i;
    std::string suffix = text.substr(i);
    if (!suffix.empty()) {
        static const std::map<std::string, unsigned> shifts = {{"B", 0}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}};
        auto it = shifts.find(suffix);
        if (!allow_suffix || it == shifts.end()) return false;
        v <<= it->second;
        if (v > UINT64_MAX) return false;
    }
    out = static_cast<uint64_t>(v);
    return true;
}

std::string show_u64(uint64_t v, const std::string& unit) {
    if (unit == "bytes" && v >= 1024) {
        for (auto [shift, name] : {std::pair{30, "GiB"}, {20, "MiB"}, {10, "KiB"}})
            if (v % (1ull << shift) == 0) return fmt::format("{} {}", v >> shift, name);
    }
    return std::to_string(v);
}

// Optimal string alignment distance: insertions, deletions, substitutions and
// transpositions of neighbours ("gird" -> "grid" is 1) cost 1.
size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<size_t> pp(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], pp[j - 2] + 1);
        }
        std::swap(pp, prev);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace

std::string closest_word(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_d = std::max<size_t>(2, word.size() / 3 + 1);
    for (const auto& c : candidates) {
        const size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

namespace {

template <class F>
using ref_fn = std::function<F&(scenario_config&)>;

}  // namespace

// ---- the schema: every key of a scenario ---------------------------------------
config_schema::config_schema() {
    auto u64 = [this](std::string path, ref_fn<uint64_t> ref, std::string unit, uint64_t lo, uint64_t hi,
                      std::string desc) {
        auto p = std::make_shared<param>();
        p->path = std::move(path);
        p->type = "integer";
        p->unit = unit;
        p->range = fmt::format("[{}, {}]", show_u64(lo, unit), show_u64(hi, unit));
        p->description = std::move(desc);
        const bool bytes = unit == "bytes";
        p->set = [ref, lo, hi, bytes, unit](scenario_config& c, const YAML::Node& n) -> std::string {
            uint64_t v = 0;
            const std::string expect = fmt::format("expected an unsigned integer{} in [{}, {}]",
                                                   bytes ? " (optionally with B/KiB/MiB/GiB)" : "",
                                                   show_u64(lo, unit), show_u64(hi, unit));
            if (!n.IsScalar() || !parse_u64(n.Scalar(), bytes, v))
                return fmt::format("{}, got '{}'", expect, n.IsScalar() ? n.Scalar() : "a non-scalar");
            if (v < lo || v > hi) return fmt::format("{}, got {}", expect, v);
            ref(c) = v;
            return "";
        };
        p->get = [ref](const scenario_config& c) { return nlohmann::json(ref(const_cast<scenario_config&>(c))); };
        m_params.push_back(p);
    };
    auto boolean = [this](std::string path, ref_fn<bool> ref, std::string desc) {
        auto p = std::make_shared<param>();
        p->path = std::move(path);
        p->type = "boolean";
        p->range = "true, false";
        p->description = std::move(desc);
        p->set = [ref](scenario_config& c, const YAML::Node& n) -> std::string {
            const std::string s = scalar_text(n);
            if (s == "true") ref(c) = true;
            else if (s == "false") ref(c) = false;
            else return fmt::format("expected true or false, got '{}'", n.IsScalar() ? s : "a non-scalar");
            return "";
        };
        p->get = [ref](const scenario_config& c) { return nlohmann::json(ref(const_cast<scenario_config&>(c))); };
        m_params.push_back(p);
    };
    auto text = [this](std::string path, ref_fn<std::string> ref, std::vector<std::string> choices, bool required,
                       std::string desc) {
        auto p = std::make_shared<param>();
        p->path = std::move(path);
        p->type = choices.empty() ? "string" : "enum";
        p->required = required;
        p->range = choices.empty() ? "" : fmt::format("{}", fmt::join(choices, ", "));
        p->description = std::move(desc);
        p->set = [ref, choices](scenario_config& c, const YAML::Node& n) -> std::string {
            if (!n.IsScalar()) return "expected a string, got a " + std::string(n.IsMap() ? "mapping" : "sequence");
            if (!choices.empty() && std::find(choices.begin(), choices.end(), n.Scalar()) == choices.end())
                return fmt::format("expected one of {}, got '{}'", fmt::join(choices, ", "), n.Scalar());
            ref(c) = n.Scalar();
            return "";
        };
        p->get = [ref](const scenario_config& c) { return nlohmann::json(ref(const_cast<scenario_config&>(c))); };
        m_params.push_back(p);
    };

    auto ratio = [this](std::string path, ref_fn<double> ref, std::string desc) {
        auto p = std::make_shared<param>();
        p->path = std::move(path);
        p->type = "number";
        p->unit = "ratio";
        p->range = "[0, 1]";
        p->description = std::move(desc);
        p->set = [ref](scenario_config& c, const YAML::Node& n) -> std::string {
            double v = 0;
            try {
                if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
                v = n.as<double>();
            } catch (const YAML::Exception&) {
                return fmt::format("expected a number in [0, 1], got '{}'", n.IsScalar() ? n.Scalar() : "a non-scalar");
            }
            if (!(v >= 0 && v <= 1)) return fmt::format("expected a number in [0, 1], got {}", n.Scalar());
            ref(c) = v;
            return "";
        };
        p->get = [ref](const scenario_config& c) { return nlohmann::json(ref(const_cast<scenario_config&>(c))); };
        m_params.push_back(p);
    };

    constexpr uint64_t G = 1ull << 30, M = 1ull << 20, K = 1ull << 10;
    text("name", [](auto& c) -> auto& { return c.name; }, {}, true, "scenario name, echoed in stats.json");
    text("description", [](auto& c) -> auto& { return c.description; }, {}, false, "free text");
    u64("seed", [](auto& c) -> auto& { return c.seed; }, "", 0, UINT64_MAX, "seed of every synthetic tensor and random choice");
    {
        auto p = std::make_shared<param>();
        p->path = "mode";
        p->type = "enum";
        p->range = "functional, timing";
        p->description = "functional: real integer data, bit-exact results; timing: no data, same cycles";
        p->set = [](scenario_config& c, const YAML::Node& n) -> std::string {
            const std::string s = scalar_text(n);
            if (s == "functional") c.mode = sim_mode::functional;
            else if (s == "timing") c.mode = sim_mode::timing;
            else return fmt::format("expected one of functional, timing, got '{}'", n.IsScalar() ? s : "a non-scalar");
            return "";
        };
        p->get = [](const scenario_config& c) { return nlohmann::json(to_string(c.mode)); };
        m_params.push_back(p);
    }
    u64("clock_mhz", [](auto& c) -> auto& { return c.clock_mhz; }, "MHz", 1, 1000000,
        "accelerator clock; the period must be a whole number of ps (1000000 divisible by it)");

    u64("dram.size", [](auto& c) -> auto& { return c.dram.size; }, "bytes", 4 * K, 4 * G, "DRAM capacity (sparse: only touched pages cost host memory)");
    u64("dram.bytes_per_cycle", [](auto& c) -> auto& { return c.dram.bytes_per_cycle; }, "B/cycle", 1, 4096, "DRAM data bus width per accelerator cycle");
    u64("dram.latency_cycles", [](auto& c) -> auto& { return c.dram.latency_cycles; }, "cycles", 0, 100000, "access latency after the last beat (banks off)");
    boolean("dram.banks.enabled", [](auto& c) -> auto& { return c.dram.banks_enabled; }, "model banks with open-row buffers");
    u64("dram.banks.count", [](auto& c) -> auto& { return c.dram.banks; }, "", 1, 1024, "number of banks (row-interleaved)");
    u64("dram.banks.row_bytes", [](auto& c) -> auto& { return c.dram.row_bytes; }, "bytes", 64, 1 * M, "row (page) size");
    u64("dram.banks.row_hit_cycles", [](auto& c) -> auto& { return c.dram.row_hit_cycles; }, "cycles", 0, 100000, "latency when the row is open");
    u64("dram.banks.row_miss_cycles", [](auto& c) -> auto& { return c.dram.row_miss_cycles; }, "cycles", 0, 100000, "latency when another row is open or the bank is closed");
    text("dram.model", [](auto& c) -> auto& { return c.dram.model; }, {"simple", "jedec"}, false,
         "simple: one channel, bandwidth + latency (+ open rows); jedec: JEDEC banks, timings, controller, refresh, energy (docs/timing-model.md#jedec-dram)");
    text("dram.jedec.preset", [](auto& c) -> auto& { return c.dram.jedec.preset; }, dram_preset_names(), false,
         "built-in DRAM standard and speed grade (models/memory/dram_presets/)");
    text("dram.jedec.preset_file", [](auto& c) -> auto& { return c.dram.jedec.preset_file; }, {}, false,
         "a preset of your own (YAML, the built-in presets' keys; path relative to the working directory); overrides preset");
    u64("dram.jedec.channels", [](auto& c) -> auto& { return c.dram.jedec.channels; }, "", 0, 1024, "channels (0 = the preset's)");
    u64("dram.jedec.ranks", [](auto& c) -> auto& { return c.dram.jedec.ranks; }, "", 0, 16, "ranks per channel (0 = the preset's)");
    text("dram.jedec.scheduler", [](auto& c) -> auto& { return c.dram.jedec.scheduler; }, {"fr-fcfs", "fcfs"}, false,
         "request scheduling per channel: row hits first, then oldest (fr-fcfs), or oldest first (fcfs)");
    text("dram.jedec.page_policy", [](auto& c) -> auto& { return c.dram.jedec.page_policy; }, {"open", "closed", "adaptive"}, false,
         "open: rows stay open; closed: auto-precharge after every access; adaptive: precharge when the window holds a conflict and no hit");
    text("dram.jedec.refresh", [](auto& c) -> auto& { return c.dram.jedec.refresh; }, {"preset", "all-bank", "per-bank", "off"}, false,
         "refresh mode (preset = the preset's; per-bank needs tRFCpb / tREFIpb in the preset)");
    text("dram.jedec.mapping", [](auto& c) -> auto& { return c.dram.jedec.mapping; }, {}, false,
         "address mapping, fields MSB first: ro ra bg ba co ch joined by '-' (preset = the preset's)");
    boolean("dram.jedec.xor", [](auto& c) -> auto& { return c.dram.jedec.xor_bank; }, "bank and bank group bits XOR the low row bits (permutation interleaving)");
    u64("dram.jedec.queue_depth", [](auto& c) -> auto& { return c.dram.jedec.queue_depth; }, "", 1, 1024,
        "requests a channel's scheduler sees at once");

    boolean("l2.enabled", [](auto& c) -> auto& { return c.l2.enabled; }, "put the L2 cache between the bus and DRAM");
    u64("l2.size", [](auto& c) -> auto& { return c.l2.size; }, "bytes", 1 * K, 1 * G, "capacity");
    u64("l2.line_bytes", [](auto& c) -> auto& { return c.l2.line_bytes; }, "bytes", 16, 4096, "line size, a power of two");
    u64("l2.ways", [](auto& c) -> auto& { return c.l2.ways; }, "", 1, 64, "associativity");
    u64("l2.hit_latency_cycles", [](auto& c) -> auto& { return c.l2.hit_latency_cycles; }, "cycles", 0, 10000, "latency added to every access");
    u64("l2.bytes_per_cycle", [](auto& c) -> auto& { return c.l2.bytes_per_cycle; }, "B/cycle", 1, 4096, "local memory <-> L2 port width");
    boolean("l2.fast_path", [](auto& c) -> auto& { return c.l2.fast_path; },
            "keep each set's LRU order as a list of ways (ways <= 16) instead of per-way stamps: the same victims and statistics, faster to simulate; false = the reference form (docs/performance.md#l2-fast-path)");

    u64("bus.latency_cycles", [](auto& c) -> auto& { return c.bus.latency_cycles; }, "cycles", 0, 1000, "added to every routed transaction");
    u64("dma.setup_cycles", [](auto& c) -> auto& { return c.dma.setup_cycles; }, "cycles", 0, 100000, "per descriptor, before the first request");
    u64("dma.burst_bytes", [](auto& c) -> auto& { return c.dma.burst_bytes; }, "bytes", 4, 1 * M, "largest single bus transaction");
    boolean("dma.trains", [](auto& c) -> auto& { return c.dma.trains; },
            "timing mode: send a descriptor's bursts as one burst train per side (same timing and statistics, faster to simulate; docs/performance.md#timing-mode)");

    for (auto [name, member] : {std::pair{"scratchpad", &scenario_config::scratchpad}, {"accumulator", &scenario_config::accumulator},
                                {"linebuf", &scenario_config::linebuf}}) {
        const std::string n = name;
        auto mem = member;
        // At most the memory's window in the address map (regmap.yaml): a larger one would overlap the next.
        static_assert(regs::SCRATCHPAD_SIZE == 16 * M && regs::ACCUMULATOR_SIZE == 16 * M);
        u64(n + ".size", [mem](auto& c) -> auto& { return (c.*mem).size; }, "bytes", 1 * K, 16 * M, "capacity");
        u64(n + ".bytes_per_cycle", [mem](auto& c) -> auto& { return (c.*mem).bytes_per_cycle; }, "B/cycle", 1, 4096, "port width");
        u64(n + ".latency_cycles", [mem](auto& c) -> auto& { return (c.*mem).latency_cycles; }, "cycles", 0, 1000, "access latency");
        u64(n + ".banks", [mem](auto& c) -> auto& { return (c.*mem).banks; }, "", 1, 64,
            "equal banks, one port each: an access waits only for the banks it touches (buffer.port_contention; "
            "docs/timing-model.md#blocks)");
    }

    boolean("buffer.two_direction", [](auto& c) -> auto& { return c.buffer_two_direction; },
            "a two-direction accessible register file (T-REX): the scratchpad and the line buffers are read and written "
            "by rows and by columns at the same cost, so a GEMM's B_ROW_MAJOR panels (V, the V cache) and the ATTENTION's V "
            "need no transpose pass; false = an explicit transpose pass through the buffer's port (docs/timing-model.md#transpose)");
    boolean("buffer.port_contention", [](auto& c) -> auto& { return c.buffer_port_contention; },
            "the local memories' banks are shared ports: the DMA's transfers, the VSSA's operand streams and the transpose "
            "passes each wait until the banks they touch are free (docs/timing-model.md#blocks); false = the blocks never "
            "delay each other on a bank (the DMA still queues on a memory's bus port)");
    u64("vssa.rows", [](auto& c) -> auto& { return c.vssa.rows; }, "PEs", 1, 256, "rows of one systolic array");
    u64("vssa.cols", [](auto& c) -> auto& { return c.vssa.cols; }, "PEs", 1, 256, "columns of one systolic array");
    u64("vssa.arrays", [](auto& c) -> auto& { return c.vssa.arrays; }, "", 1, 64, "number of arrays; tiles go as vssa.schedule says");
    text("vssa.schedule", [](auto& c) -> auto& { return c.vssa.schedule; }, {"round_robin", "greedy", "balanced"}, false,
         "tiles onto arrays: round_robin (tile n on array n mod arrays), greedy (each tile in Fig. 5 order on the array that "
         "frees up first), balanced (longest tile first on the array that frees up first: tile cycles are known before they run)");
    boolean("vssa.reorder", [](auto& c) -> auto& { return c.vssa.reorder; }, "cluster tokens by precision, low precision first (DTQAtten Sec. IV-B)");
    u64("vssa.threads", [](auto& c) -> auto& { return c.vssa.threads; }, "", 1, 64, "host threads of the functional GEMM, of the vector commands' rows (softmax, LayerNorm, GELU, REQUANT, RESADD), of building the synthetic model's weights and of computing long reads of generated weights (results do not depend on it)");
    boolean("vssa.gemm_memo", [](auto& c) -> auto& { return c.vssa.gemm_memo; },
            "timing: a GEMM with the shape and token precisions of one timed before takes that one's cycles and counts (the tile model is a function of them: the same results, faster to simulate; docs/performance.md#gemm-memo)");
    text("vssa.backend", [](auto& c) -> auto& { return c.vssa.backend; }, {"model", "rtl", "lockstep"}, false,
         "how tiles run: the C++ tile model, the Verilated RTL, or both compared tile by tile (docs/cosim.md)");
    text("vssa.fault", [](auto& c) -> auto& { return c.vssa.fault; }, {"none", "cycle", "result_bit"}, false,
         "test only: make the C++ model wrong on purpose (one extra cycle, or bit 0 of c[0] flipped) at vssa.fault_tile, "
         "so that a lockstep run proves its checker works");
    u64("vssa.fault_tile", [](auto& c) -> auto& { return c.vssa.fault_tile; }, "", 0, UINT64_MAX, "test only: index of the tile vssa.fault hits (per GEMM)");

    u64("vsquant.vector_size", [](auto& c) -> auto& { return c.vsquant.vector_size; }, "elements", 1, 1024,
        "VS-Quant PE: elements per vector along the reduction dimension, each with its own scale (docs/vsquant.md)");
    u64("vsquant.scale_bits", [](auto& c) -> auto& { return c.vsquant.scale_bits; }, "bits", 4, 8,
        "VS-Quant PE: bits of a per-vector scale: 4, 6 or 8");
    u64("decompressor.bytes_per_cycle", [](auto& c) -> auto& { return c.decompressor.bytes_per_cycle; }, "B/cycle", 1, 4096,
        "NM24 decompressor on the DMA path: dense int8 bytes it writes per cycle (docs/compression.md, docs/timing-model.md#decompressor)");
    u64("decompressor.latency_cycles", [](auto& c) -> auto& { return c.decompressor.latency_cycles; }, "cycles", 0, 10000,
        "NM24 decompressor: pipeline latency from the last compressed byte in to the last dense byte out");
    text("softmax.mode", [](auto& c) -> auto& { return c.softmax.mode; }, {"ibert", "softermax"}, false,
         "the softmax unit's arithmetic: I-BERT's i-softmax (3 passes) or Softermax (base 2, online normalization, 2 passes; docs/softermax.md)");
    u64("softmax.lanes", [](auto& c) -> auto& { return c.softmax.lanes; }, "elements/cycle", 1, 1024,
        "lanes of the softmax unit's vector unit: each pass over a row of n elements takes ceil(n / lanes) cycles "
        "(docs/timing-model.md; the survey's SFU width S = 16)");

    text("workload.kind", [](auto& c) -> auto& { return c.workload.kind; }, {"dma_stream", "attention_study", "firmware", "model", "gemm", "onnx"}, false, "what the run executes (gemm: a list of GEMMs; onnx: an ONNX graph's MatMul / Gemm nodes; docs/workloads.md)");
    {
        std::vector<std::string> apps;
        uint32_t n = 0;
        const dtq_app* list = dtq_app_list(&n);
        for (uint32_t i = 0; i < n; ++i) apps.push_back(list[i].name);
        text("workload.firmware_app", [](auto& c) -> auto& { return c.workload.firmware_app; }, apps, false,
             "kind firmware: the sw/apps program the host CPU runs (docs/firmware.md)");
    }
    text("workload.firmware_elf", [](auto& c) -> auto& { return c.workload.firmware_elf; }, {}, false,
         "kind firmware: an rv32 ELF to run on the ISS instead of firmware_app (implies host.cpu rv32; relative to the "
         "scenario file, or to the working directory with --set; built by sw/fw-build, docs/firmware.md#your-own-program)");
    text("workload.firmware_args", [](auto& c) -> auto& { return c.workload.firmware_args; }, {}, false,
         "host.cpu rv32: the program's arguments, separated by spaces (argv[1..] of main(argc, argv))");
    u64("workload.dma_stream.bytes", [](auto& c) -> auto& { return c.workload.dma_stream.bytes; }, "bytes", 1, 64 * G, "total bytes streamed");
    u64("workload.dma_stream.chunk_bytes", [](auto& c) -> auto& { return c.workload.dma_stream.chunk_bytes; }, "bytes", 1, 64 * M, "bytes per DMA descriptor");
    text("workload.dma_stream.direction", [](auto& c) -> auto& { return c.workload.dma_stream.direction; }, {"load", "store"}, false, "load: DRAM -> scratchpad; store: scratchpad -> DRAM");
    text("workload.model.name", [](auto& c) -> auto& { return c.workload.model.name; }, {"bert-base", "bert-large", "gpt2", "gpt2-medium"}, false, "kind model: the model (survey Table 1; gpt2 and gpt2-medium are decoders)");
    u64("workload.model.seq", [](auto& c) -> auto& { return c.workload.model.seq; }, "tokens", 2, 4096, "kind model: sequence length (the prefill's, for decoders)");
    u64("workload.model.layers", [](auto& c) -> auto& { return c.workload.model.layers; }, "", 0, 48, "kind model: layers run; 0 = all of the model's");
    u64("workload.model.decode_tokens", [](auto& c) -> auto& { return c.workload.model.decode_tokens; }, "tokens", 0, 1024, "kind model, decoders: tokens generated one by one after the prefill (KV cache in DRAM)");
    text("workload.model.precision", [](auto& c) -> auto& { return c.workload.model.precision; }, {"dtqatten", "8bit", "4bit", "vsquant", "dtqatten_vsquant"}, false, "kind model: dtqatten = 0/4/8-bit tokens chosen by the top-k engines; 8bit = every token 8-bit, no pruning; 4bit = every GEMM operand but the probabilities 4-bit per tensor (weights stored 4-bit); vsquant = the same with VS-Quant per-vector scales; dtqatten_vsquant = DTQAtten with VS-Quant 4-bit tokens (docs/vsquant.md#in-the-platform; the last three: encoders only)");
    ratio("workload.model.ratio_pruned", [](auto& c) -> auto& { return c.workload.model.ratio_pruned; }, "kind model, dtqatten: fraction of tokens pruned (0-bit)");
    ratio("workload.model.ratio_4bit", [](auto& c) -> auto& { return c.workload.model.ratio_4bit; }, "kind model, dtqatten: fraction of tokens at 4 bits");
    ratio("workload.model.ratio_8bit", [](auto& c) -> auto& { return c.workload.model.ratio_8bit; }, "kind model, dtqatten: fraction of tokens at 8 bits");
    boolean("workload.model.accuracy", [](auto& c) -> auto& { return c.workload.model.accuracy; }, "kind model, functional: compare each layer's output with an all-8-bit reference (mean / max abs error, cosine similarity)");
    text("workload.model.input", [](auto& c) -> auto& { return c.workload.model.input; }, {}, false, "kind model: .npy file (int8, seq x d_model; path relative to the scenario file, or to the working directory with --set) for the layer-0 input; empty = synthetic");
    text("workload.model.nonlinear", [](auto& c) -> auto& { return c.workload.model.nonlinear; }, {"accelerator", "host"}, false, "kind model: where softmax, LayerNorm and GELU run: the on-chip I-BERT units, or the host CPU (the survey's Gemmini baseline: data to DRAM and back)");
    boolean("workload.model.outliers", [](auto& c) -> auto& { return c.workload.model.outliers; }, "kind model: give the synthetic model a few outlier channels in the residual stream (LayerNorm betas, the input; docs/encoder.md#synthetic-model), as BERT's activations have");
    text("workload.model.weight_compression", [](auto& c) -> auto& { return c.workload.model.weight_compression; }, {"none", "nm24"}, false, "kind model: none = int8 weights in DRAM; nm24 = post-training compressed: 2:4 structured sparsity along K and per-row 4/8-bit precision, stored compressed in DRAM and expanded by the decompressor on the DMA path (GEMM layout.WCOMP; docs/compression.md; precision 8bit, dtqatten or dtqatten_vsquant)");
    text("workload.model.weight_store", [](auto& c) -> auto& { return c.workload.model.weight_store; }, {"generated", "written"}, false, "kind model, functional, synthetic int8 weights: generated = each weight matrix is a generated DRAM range whose bytes are computed when read (the same bytes, timing and statistics; no host memory or page faults for them); written = generated up front and written into DRAM's pages, the reference form (docs/performance.md#generated-weights)");
    ratio("workload.model.compression_4bit_fraction", [](auto& c) -> auto& { return c.workload.model.compression_4bit_fraction; }, "kind model, weight_compression nm24: fraction of each weight's rows (output channels) stored 4-bit, those with the smallest 4-bit error");
    text("workload.model.attention", [](auto& c) -> auto& { return c.workload.model.attention; }, {"fused", "unfused"}, false, "kind model, prefill: fused = one ATTENTION command per layer (Q x K^T, softmax, P x V on chip); unfused = per head GEMM, SOFTMAX, GEMM with the int32 scores and int8 probabilities through memory (the survey's no-fusion assumption; precision 8bit; nonlinear: host implies it)");
    // GEMM lists and SCALE-Sim topologies (docs/workloads.md#gemm-lists).
    {
        auto p = std::make_shared<param>();
        p->path = "workload.gemm.list";
        p->type = "list";
        p->unit = "";
        p->range = "0..4096 entries {name, m, n, k: [1, 65536], a_precision: 4|8|ratios|list, ratios: [p0, p4, p8], a_prec: [M x 0|4|8], b_bits: 4|8}";
        p->description = "kind gemm: the GEMMs C[m x n] = A[m x k] B[k x n], run in order through the GEMM command; per entry the "
                         "precision of A's rows (a_precision; ratios: seeded fractions of pruned / 4-bit / 8-bit rows; list: a_prec, "
                         "one value per row) and of B's columns (b_bits); omitted keys take workload.gemm.a_precision / b_bits";
        p->set = [](scenario_config& c, const YAML::Node& n) -> std::string {
            const std::string expect = "expected a list of {name, m, n, k, [a_precision, ratios, a_prec, b_bits]} mappings";
            if (!n.IsSequence()) return fmt::format("{}, got a {}", expect, n.IsMap() ? "mapping" : "scalar");
            if (n.size() > 4096) return fmt::format("{}, got {} entries (at most 4096)", expect, n.size());
            std::vector<gemm_entry> list;
            for (size_t i = 0; i < n.size(); ++i) {
                const YAML::Node e = n[i];
                const std::string where = fmt::format("entry {} (line {})", i, e.Mark().line + 1);
                if (!e.IsMap()) return fmt::format("{}: {}", where, expect);
                gemm_entry g;
                for (const auto& kv : e) {
                    const std::string key = kv.first.Scalar();
                    const YAML::Node v = kv.second;
                    uint64_t x = 0;
                    if (key == "name") {
                        if (!v.IsScalar() || v.Scalar().empty()) return fmt::format("{}: name: expected a non-empty string", where);
                        g.name = v.Scalar();
                    } else if (key == "m" || key == "n" || key == "k") {
                        if (!v.IsScalar() || !parse_u64(v.Scalar(), false, x) || x < 1 || x > DTQ_MAX_DIM)
                            return fmt::format("{}: {}: expected an integer in [1, {}], got '{}'", where, key, DTQ_MAX_DIM,
                                               scalar_text(v));
                        (key == "m" ? g.m : key == "n" ? g.n : g.k) = x;
                    } else if (key == "a_precision") {
                        const std::string t = scalar_text(v);
                        if (t != "4" && t != "8" && t != "ratios" && t != "list")
                            return fmt::format("{}: a_precision: expected one of 4, 8, ratios, list, got '{}'", where, t);
                        g.a_precision = t;
                    } else if (key == "b_bits") {
                        const std::string t = scalar_text(v);
                        if (t != "4" && t != "8") return fmt::format("{}: b_bits: expected 4 or 8, got '{}'", where, t);
                        g.b_bits = t == "4" ? 4 : 8;
                    } else if (key == "ratios") {
                        if (!v.IsSequence() || v.size() != 3)
                            return fmt::format("{}: ratios: expected [pruned, 4-bit, 8-bit] fractions summing to 1", where);
                        double sum = 0;
                        for (const auto& r : v) {
                            double d = -1;
                            try {
                                d = r.as<double>();
                            } catch (const YAML::Exception&) {
                            }
                            if (!(d >= 0 && d <= 1)) return fmt::format("{}: ratios: expected numbers in [0, 1], got '{}'", where, scalar_text(r));
                            g.ratios.push_back(d);
                            sum += d;
                        }
                        if (std::fabs(sum - 1.0) > 1e-9) return fmt::format("{}: ratios: expected a sum of 1, got {}", where, sum);
                    } else if (key == "a_prec") {
                        if (!v.IsSequence()) return fmt::format("{}: a_prec: expected a list of 0, 4 or 8 (one per row of A)", where);
                        for (const auto& r : v) {
                            const std::string t = scalar_text(r);
                            if (t != "0" && t != "4" && t != "8")
                                return fmt::format("{}: a_prec: expected 0, 4 or 8, got '{}'", where, t);
                            g.a_prec.push_back(static_cast<uint8_t>(std::stoi(t)));
                        }
                    } else {
                        return fmt::format("{}: unknown key '{}': expected name, m, n, k, a_precision, ratios, a_prec, b_bits", where, key);
                    }
                }
                if (g.name.empty() || !g.m || !g.n || !g.k) return fmt::format("{}: expected name, m, n and k", where);
                if (g.a_precision == "list" && g.a_prec.size() != g.m)
                    return fmt::format("{}: a_prec: expected {} values (m), got {}", where, g.m, g.a_prec.size());
                if (g.a_precision != "list" && !g.a_prec.empty())
                    return fmt::format("{}: a_prec: expected a_precision: list with it", where);
                if (!g.a_precision.empty() && g.a_precision != "ratios" && !g.ratios.empty())
                    return fmt::format("{}: ratios: expected a_precision: ratios with it, got {}", where, g.a_precision);
                list.push_back(std::move(g));
            }
            c.workload.gemm.list = std::move(list);
            return "";
        };
        p->get = [](const scenario_config& c) {
            nlohmann::json j = nlohmann::json::array();
            for (const auto& g : c.workload.gemm.list) {
                nlohmann::json e = {{"name", g.name}, {"m", g.m}, {"n", g.n}, {"k", g.k}};
                if (!g.a_precision.empty()) e["a_precision"] = g.a_precision;
                if (!g.ratios.empty()) e["ratios"] = g.ratios;
                if (!g.a_prec.empty()) e["a_prec"] = g.a_prec;
                if (g.b_bits) e["b_bits"] = g.b_bits;
                j.push_back(e);
            }
            return j;
        };
        m_params.push_back(p);
    }
    text("workload.gemm.topology", [](auto& c) -> auto& { return c.workload.gemm.topology; }, {}, false,
         "kind gemm: a SCALE-Sim GEMM topology CSV (a header line, then `name, M, N, K,` per layer; path relative to the scenario "
         "file, or to the working directory with --set) run instead of workload.gemm.list; writes COMPUTE_REPORT.csv next to gemms.csv");
    text("workload.gemm.scalesim_config", [](auto& c) -> auto& { return c.workload.gemm.scalesim_config; }, {}, false,
         "kind gemm: a SCALE-Sim .cfg whose ArrayHeight, ArrayWidth (one array), SRAM sizes and Dataflow (os only) replace "
         "vssa.rows, vssa.cols, vssa.arrays, scratchpad.size and accumulator.size (docs/workloads.md#scale-sim; path relative to the scenario file, or to the working directory with --set)");
    text("workload.gemm.a_precision", [](auto& c) -> auto& { return c.workload.gemm.a_precision; }, {"4", "8", "ratios", "topk"}, false,
         "kinds gemm and onnx: precision of A's rows for GEMMs that do not set their own: all 4-bit, all 8-bit, seeded ratios, or "
         "(kind onnx, functional) topk: chosen by the importance accumulator and top-k engines from the graph's own attention "
         "maps at ratio_pruned / ratio_8bit (docs/workloads.md#real-attention-maps)");
    text("workload.gemm.topk_scores", [](auto& c) -> auto& { return c.workload.gemm.topk_scores; }, {"importance", "random"}, false,
         "kind onnx, a_precision topk: what the top-k engines rank: importance (the attention maps' column sums, DTQAtten) or "
         "random (a seeded random order at the same counts: the ablation that shows what the importance is worth; "
         "docs/workloads.md#use-lite)");
    ratio("workload.gemm.ratio_pruned", [](auto& c) -> auto& { return c.workload.gemm.ratio_pruned; }, "kind gemm, a_precision ratios: fraction of A's rows pruned (0-bit)");
    ratio("workload.gemm.ratio_4bit", [](auto& c) -> auto& { return c.workload.gemm.ratio_4bit; }, "kind gemm, a_precision ratios: fraction of A's rows 4-bit");
    ratio("workload.gemm.ratio_8bit", [](auto& c) -> auto& { return c.workload.gemm.ratio_8bit; }, "kind gemm, a_precision ratios: fraction of A's rows 8-bit");
    u64("workload.gemm.b_bits", [](auto& c) -> auto& { return c.workload.gemm.b_bits; }, "bits", 4, 8,
        "kind gemm: precision of B (every column): 8 = int8, 4 = packed 4-bit codes (GEMM layout.B_4BIT)");
    boolean("workload.gemm.check", [](auto& c) -> auto& { return c.workload.gemm.check; },
            "kind gemm, functional: compare every GEMM's C with a plain-loop reference written independently of the VSSA (exit 1 on a mismatch)");
    text("workload.onnx.model", [](auto& c) -> auto& { return c.workload.onnx.model; }, {}, false,
         "kind onnx: the .onnx file (path relative to the scenario file, or to the working directory with --set); its MatMul / Gemm nodes run as GEMM commands "
         "with the precisions of workload.gemm (docs/workloads.md#onnx-graphs)");
    text("workload.onnx.input", [](auto& c) -> auto& { return c.workload.onnx.input; }, {}, false,
         "kind onnx, functional: a float32 .npy of the graph's first input (its shape with seq resolved), or N such samples "
         "stacked on a leading axis; the activation scales are calibrated on all of them (maxima), the float reference and the "
         "run use the first; empty = seeded N(0, 1) values (path relative to the scenario file, or to the working directory with "
         "--set)");
    text("workload.onnx.pipeline", [](auto& c) -> auto& { return c.workload.onnx.pipeline; }, {"gemm", "integer"}, false,
         "kind onnx: gemm = the graph's MatMul / Gemm nodes run as GEMM commands (the rest in the float reference); integer = the "
         "whole graph, recognised as post-LN transformer layers, runs as the encoder firmware's integer pipeline (GEMM, ATTENTION, "
         "REQUANT, RESADD, LAYERNORM, GELU commands; functional mode; workload.gemm.a_precision 8 or topk; "
         "docs/workloads.md#integer-pipeline)");
    u64("workload.onnx.seq", [](auto& c) -> auto& { return c.workload.onnx.seq; }, "tokens", 1, 16384,
        "kind onnx: the value of the graph inputs' symbolic dimensions (those named batch* become 1)");
    // Request streams and batching (docs/batching.md).
    auto number = [this](std::string path, ref_fn<double> ref, std::string unit, double hi, std::string desc) {
        auto p = std::make_shared<param>();
        p->path = std::move(path);
        p->type = "number";
        p->unit = unit;
        p->range = fmt::format("[0, {}]", hi);
        p->description = std::move(desc);
        p->set = [ref, hi](scenario_config& c, const YAML::Node& n) -> std::string {
            double v = 0;
            const std::string expect = fmt::format("expected a number in [0, {}]", hi);
            try {
                if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
                v = n.as<double>();
            } catch (const YAML::Exception&) {
                return fmt::format("{}, got '{}'", expect, n.IsScalar() ? n.Scalar() : "a non-scalar");
            }
            if (!(v >= 0 && v <= hi)) return fmt::format("{}, got {}", expect, n.Scalar());
            ref(c) = v;
            return "";
        };
        p->get = [ref](const scenario_config& c) { return nlohmann::json(ref(const_cast<scenario_config&>(c))); };
        m_params.push_back(p);
    };
    constexpr uint64_t MAX_REQUESTS = DTQ_MAX_REQUESTS, MAX_REQ_SEQ = 4096;
    constexpr double MAX_US = 1e9;  // 1000 s of simulated time
    {
        auto p = std::make_shared<param>();
        p->path = "workload.requests.list";
        p->type = "list";
        p->unit = "";
        p->range = fmt::format("1..{} entries {{at_us: [0, {}], seq: [1, {}]}}, at_us non-decreasing", MAX_REQUESTS, MAX_US, MAX_REQ_SEQ);
        p->description = "kind model: the requests of the stream, in arrival order: arrival time (simulated us from the start) and "
                         "sequence length; empty = none (or the generator: workload.requests.count)";
        // (the range by value: capturing p would make the param own itself, a leak)
        p->set = [=, range = p->range](scenario_config& c, const YAML::Node& n) -> std::string {
            const std::string expect = fmt::format("expected a list of {{at_us: number, seq: integer}} mappings ({})", range);
            if (!n.IsSequence()) return fmt::format("{}, got a {}", expect, n.IsMap() ? "mapping" : "scalar");
            if (n.size() > MAX_REQUESTS) return fmt::format("{}, got {} entries", expect, n.size());
            std::vector<request_entry> list;
            for (size_t i = 0; i < n.size(); ++i) {
                const YAML::Node e = n[i];
                const std::string where = fmt::format("entry {} (line {})", i, e.Mark().line + 1);
                if (!e.IsMap()) return fmt::format("{}: {}, got a {}", where, expect, e.IsSequence() ? "list" : "scalar");
                for (const auto& kv : e)
                    if (kv.first.Scalar() != "at_us" && kv.first.Scalar() != "seq")
                        return fmt::format("{}: unknown key '{}': expected at_us and seq", where, kv.first.Scalar());
                request_entry r;
                uint64_t seq = 0;
                if (!e["at_us"] || !e["seq"]) return fmt::format("{}: expected both at_us and seq", where);
                try {
                    if (!e["at_us"].IsScalar()) throw YAML::Exception(e.Mark(), "");
                    r.at_us = e["at_us"].as<double>();
                } catch (const YAML::Exception&) {
                    return fmt::format("{}: at_us: expected a number in [0, {}]", where, MAX_US);
                }
                if (!(r.at_us >= 0 && r.at_us <= MAX_US))
                    return fmt::format("{}: at_us: expected a number in [0, {}], got {}", where, MAX_US, e["at_us"].Scalar());
                if (!e["seq"].IsScalar() || !parse_u64(e["seq"].Scalar(), false, seq) || seq < 1 || seq > MAX_REQ_SEQ)
                    return fmt::format("{}: seq: expected an integer in [1, {}], got '{}'", where, MAX_REQ_SEQ,
                                       e["seq"].IsScalar() ? e["seq"].Scalar() : "a non-scalar");
                r.seq = seq;
                if (!list.empty() && r.at_us < list.back().at_us)
                    return fmt::format("{}: at_us: expected arrivals in order (at least {}, the previous entry's), got {}", where,
                                       list.back().at_us, r.at_us);
                list.push_back(r);
            }
            c.workload.requests.list = std::move(list);
            return "";
        };
        p->get = [](const scenario_config& c) {
            nlohmann::json j = nlohmann::json::array();
            for (const auto& r : c.workload.requests.list) j.push_back({{"at_us", r.at_us}, {"seq", r.seq}});
            return j;
        };
        m_params.push_back(p);
    }
    u64("workload.requests.count", [](auto& c) -> auto& { return c.workload.requests.count; }, "requests", 0, MAX_REQUESTS,
        "kind model: generate this many requests (0 = use workload.requests.list)");
    number("workload.requests.start_us", [](auto& c) -> auto& { return c.workload.requests.start_us; }, "us", MAX_US,
           "generator: arrival of the first request");
    number("workload.requests.interarrival_us", [](auto& c) -> auto& { return c.workload.requests.interarrival_us; }, "us", MAX_US,
           "generator: time between arrivals (fixed), or its mean (exponential)");
    text("workload.requests.arrival", [](auto& c) -> auto& { return c.workload.requests.arrival; }, {"fixed", "exponential"}, false,
         "generator: fixed = every interarrival_us; exponential = seeded exponential gaps of mean interarrival_us (a Poisson stream)");
    {
        auto p = std::make_shared<param>();
        p->path = "workload.requests.seq";
        p->type = "list";
        p->unit = "tokens";
        p->range = fmt::format("0..64 integers in [1, {}]", MAX_REQ_SEQ);
        p->description = "generator: sequence lengths; each request draws one of them (seeded, uniform)";
        p->set = [=](scenario_config& c, const YAML::Node& n) -> std::string {
            const std::string expect = fmt::format("expected a list of 0..64 integers in [1, {}]", MAX_REQ_SEQ);
            if (!n.IsSequence() || n.size() > 64) return fmt::format("{}, got {}", expect, n.IsSequence() ? fmt::format("{} entries", n.size()) : n.IsMap() ? "a mapping" : "'" + n.Scalar() + "'");
            std::vector<uint64_t> v;
            for (const auto& e : n) {
                uint64_t x = 0;
                if (!e.IsScalar() || !parse_u64(e.Scalar(), false, x) || x < 1 || x > MAX_REQ_SEQ)
                    return fmt::format("{}, got '{}'", expect, e.IsScalar() ? e.Scalar() : "a non-scalar");
                v.push_back(x);
            }
            c.workload.requests.seq = std::move(v);
            return "";
        };
        p->get = [](const scenario_config& c) { return nlohmann::json(c.workload.requests.seq); };
        m_params.push_back(p);
    }
    text("workload.batching.policy", [](auto& c) -> auto& { return c.workload.batching.policy; }, {"single", "fixed", "dynamic"}, false,
         "requests: single = one request at a time; fixed = batch_size requests per batch, padded to the longest; dynamic = "
         "the waiting requests, in order, packed while they fit token_budget and buffer_bytes (docs/batching.md#policies)");
    u64("workload.batching.batch_size", [](auto& c) -> auto& { return c.workload.batching.batch_size; }, "requests", 1, 64,
        "policy fixed: requests per batch");
    u64("workload.batching.token_budget", [](auto& c) -> auto& { return c.workload.batching.token_budget; }, "tokens", 1, 16384,
        "policy dynamic: most tokens of one batch (at least the longest request)");
    u64("workload.batching.buffer_bytes", [](auto& c) -> auto& { return c.workload.batching.buffer_bytes; }, "bytes", 0, 4 * G,
        "policy dynamic: most bytes of one batch's activation buffers (tokens x bytes per token, docs/batching.md); 0 = no limit");
    number("workload.batching.max_wait_us", [](auto& c) -> auto& { return c.workload.batching.max_wait_us; }, "us", MAX_US,
           "policies fixed and dynamic: launch a batch that is not full once its oldest request waited this long (0: fixed waits "
           "for batch_size requests, dynamic launches at once)");
    text("host.cpu", [](auto& c) -> auto& { return c.host.cpu; }, {"native", "rv32"}, false,
         "the host CPU model: native = the firmware compiled into the simulator (the fast path); rv32 = its rv32 ELF "
         "(build/sw/riscv/<app>.elf, or workload.firmware_elf) on the instruction-set simulator (docs/firmware.md#rv32)");
    {
        auto p = std::make_shared<param>();  // a number > 0
        p->path = "host.cpi";
        p->type = "number";
        p->unit = "cycles";
        p->range = "(0, 1000]";
        p->description = "host.cpu rv32: host cycles per retired instruction (an in-order core; docs/timing-model.md#host-cpu-rv32)";
        p->set = [](scenario_config& c, const YAML::Node& n) -> std::string {
            double v = 0;
            try {
                if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "");
                v = n.as<double>();
            } catch (const YAML::Exception&) {
                return fmt::format("expected a number in (0, 1000], got '{}'", n.IsScalar() ? n.Scalar() : "a non-scalar");
            }
            if (!(v > 0 && v <= 1000)) return fmt::format("expected a number in (0, 1000], got {}", n.Scalar());
            c.host.cpi = v;
            return "";
        };
        p->get = [](const scenario_config& c) { return nlohmann::json(c.host.cpi); };
        m_params.push_back(p);
    }
    number("host.native_wall_limit_s", [](auto& c) -> auto& { return c.host.native_wall_limit_s; }, "s", 86400,
           "host.cpu native: wall-clock seconds the firmware may run without calling the HAL before the run stops "
           "with exit code 3 (a loop that never touches the device; docs/firmware.md#never-hang); 0 = no limit");
    u64("host.softmax_cycles_per_element", [](auto& c) -> auto& { return c.host.softmax_cycles_per_element; }, "cycles", 0, 100000, "workload.model.nonlinear host: host core cycles per softmax element (float softmax with dequantize/requantize on an in-order core; docs/timing-model.md#host-cpu-non-linear-ops)");
    u64("host.layernorm_cycles_per_element", [](auto& c) -> auto& { return c.host.layernorm_cycles_per_element; }, "cycles", 0, 100000, "workload.model.nonlinear host: host core cycles per LayerNorm element");
    u64("host.gelu_cycles_per_element", [](auto& c) -> auto& { return c.host.gelu_cycles_per_element; }, "cycles", 0, 100000, "workload.model.nonlinear host: host core cycles per GELU element");
    text("workload.attention.model", [](auto& c) -> auto& { return c.workload.attention.model; }, {"bert-base", "bert-large", "gpt2", "gpt2-medium"}, false, "model whose attention shapes are used (survey Table 1)");
    u64("workload.attention.seq", [](auto& c) -> auto& { return c.workload.attention.seq; }, "tokens", 1, 16384, "sequence length");
    u64("workload.attention.layers", [](auto& c) -> auto& { return c.workload.attention.layers; }, "", 1, 48, "layers simulated");
    u64("workload.attention.heads", [](auto& c) -> auto& { return c.workload.attention.heads; }, "", 0, 64, "heads simulated per layer; 0 = all of the model's");
    ratio("workload.attention.ratio_pruned", [](auto& c) -> auto& { return c.workload.attention.ratio_pruned; }, "fraction of tokens pruned (0-bit)");
    ratio("workload.attention.ratio_4bit", [](auto& c) -> auto& { return c.workload.attention.ratio_4bit; }, "fraction of tokens at 4 bits");
    ratio("workload.attention.ratio_8bit", [](auto& c) -> auto& { return c.workload.attention.ratio_8bit; }, "fraction of tokens at 8 bits");
    boolean("workload.attention.compare_reorder", [](auto& c) -> auto& { return c.workload.attention.compare_reorder; }, "also run with vssa.reorder flipped and report the gain");
    boolean("workload.attention.compare_baselines", [](auto& c) -> auto& { return c.workload.attention.compare_baselines; },
            "also time, on the same GEMMs: an 8-bit baseline (every token 8-bit, none pruned) and a SpAtten-style scheme "
            "(pruning plus one precision per layer); docs/results.md");
    ratio("workload.attention.spatten_ratio_pruned", [](auto& c) -> auto& { return c.workload.attention.spatten_ratio_pruned; },
          "SpAtten-style baseline: fraction of tokens pruned");
    ratio("workload.attention.spatten_ratio_4bit", [](auto& c) -> auto& { return c.workload.attention.spatten_ratio_4bit; },
          "SpAtten-style baseline: fraction of all tokens at 4 bits, as a fraction of layers that run all-4-bit");
    text("workload.attention.prob_precision", [](auto& c) -> auto& { return c.workload.attention.prob_precision; },
         {"8bit", "4bit", "query_token"}, false,
         "the attention study's P x V: probabilities 8-bit (the VP's default), 4-bit, or row i at query token i's precision "
         "(an assumption swept in docs/results.md#what-the-papers-1357-x-implies-measured; the ATTENTION command keeps 8-bit)");
    u64("workload.attention.eyeriss_rows", [](auto& c) -> auto& { return c.workload.attention.eyeriss_rows; }, "", 1, 1024,
        "compare_baselines: rows of the Eyeriss-like design's one array (14 x 16 = 224 MACs, the paper's)");
    u64("workload.attention.eyeriss_cols", [](auto& c) -> auto& { return c.workload.attention.eyeriss_cols; }, "", 1, 1024,
        "compare_baselines: columns of the Eyeriss-like design's array");
    u64("workload.attention.eyeriss_bits", [](auto& c) -> auto& { return c.workload.attention.eyeriss_bits; }, "bits", 4, 32,
        "compare_baselines: the Eyeriss-like design's operand width (16, the paper's 16-bit models): its DRAM bytes and "
        "PE energy, not its cycles");
    ratio("workload.attention.eyeriss_utilization", [](auto& c) -> auto& { return c.workload.attention.eyeriss_utilization; },
          "compare_baselines: 0 = the Eyeriss-like design's cycles from its dataflow (output-stationary tiles); else its "
          "compute cycles = ideal cycles / this (a sensitivity knob)");
    u64("workload.attention.eyeriss_dram_bytes_per_cycle",
        [](auto& c) -> auto& { return c.workload.attention.eyeriss_dram_bytes_per_cycle; }, "B/cycle", 0, 4096,
        "compare_baselines: the Eyeriss-like design's DRAM bytes per cycle; 0 = dram.bytes_per_cycle (the same memory system)");
    boolean("workload.attention.eyeriss_scores_in_dram", [](auto& c) -> auto& { return c.workload.attention.eyeriss_scores_in_dram; },
            "compare_baselines: the Eyeriss-like design writes the n x n scores to DRAM and reads the probabilities back "
            "(at eyeriss_bits; no on-chip fusion of Q x K^T, softmax and P x V)");
    u64("workload.attention.spatten_rows", [](auto& c) -> auto& { return c.workload.attention.spatten_rows; }, "", 1, 1024,
        "compare_baselines: rows of the SpAtten-like design's one array (16 x 22 = 352 = 3168 / 9 12-bit PEs)");
    u64("workload.attention.spatten_cols", [](auto& c) -> auto& { return c.workload.attention.spatten_cols; }, "", 1, 1024,
        "compare_baselines: columns of the SpAtten-like design's array");
    u64("workload.attention.spatten_pe_bits", [](auto& c) -> auto& { return c.workload.attention.spatten_pe_bits; }, "bits", 4, 32,
        "compare_baselines: the SpAtten-like design's PE width (12): its PE energy, not its cycles");
    u64("workload.attention.systolic_token_bits", [](auto& c) -> auto& { return c.workload.attention.systolic_token_bits; }, "bits", 0, 8,
        "compare_baselines: 0 = the systolic-based design reads the kept tokens at their own precisions (DTQAtten's DRAM "
        "bytes); 8 = every kept token in an 8-bit slot (4-bit tokens not packed without the clustering); a sensitivity knob");
    text("workload.attention.head_mapping", [](auto& c) -> auto& { return c.workload.attention.head_mapping; },
         {"spread", "head_per_array"}, false,
         "the attention study's heads on the VSSA's arrays: spread = each GEMM's tiles over all vssa.arrays, one head after "
         "another (the VP's default); head_per_array = each head's two GEMMs on one array, vssa.arrays heads at a time "
         "(rounds of ceil(heads / arrays)); a sensitivity knob (docs/results.md#the-spread-between-models-measured)");
    u64("faults.dma_error_at_command", [](auto& c) -> auto& { return c.faults.dma_error_at_command; }, "", 0, UINT64_MAX,
        "fault injection: the N-th DMA command of the run (1 = the first) gets a TLM error response on its first "
        "transaction, once (BUS_ERROR; ERR_CLEAR retries it); 0 = off (docs/firmware.md#fault-injection)");
    u64("faults.dma_error_address", [](auto& c) -> auto& { return c.faults.dma_error_address; }, "", 0, UINT64_MAX,
        "fault injection: every DMA transaction whose bytes include this bus address gets a TLM error response "
        "(a broken location: ERR_ADDR is the failing burst's start); 0 = off");
    {
        auto p = std::make_shared<param>();
        p->path = "faults.reg_read_error_address";
        p->type = "register";
        p->range = "0, a readable register (name or bus address)";
        p->description = "fault injection: reads of this controller register (MARKER_VALUE or 0x10000028) get a TLM "
                         "error response and latch REG_ACCESS; 0 = off";
        p->set = [](scenario_config& c, const YAML::Node& n) -> std::string {
            const std::string s = scalar_text(n);
            uint64_t v = 0;
            bool ok = n.IsScalar() && parse_u64(s, false, v);
            for (const auto& r : regs::TABLE) {
                if (n.IsScalar() && s == r.name) v = regs::CTRL_BASE + r.offset, ok = true;
                if (v == regs::CTRL_BASE + r.offset && r.acc == regs::access::wo) ok = false;
            }
            const auto is_register = [](uint64_t a) {
                for (const auto& r : regs::TABLE)
                    if (a == regs::CTRL_BASE + r.offset) return true;
                return false;
            };
            if (!ok || (v != 0 && !is_register(v)))
                return fmt::format("expected 0 or a readable register of the map by name (MARKER_VALUE) or bus address "
                                   "({:#x}..{:#x}), got '{}'", regs::CTRL_BASE, regs::CTRL_BASE + regs::CTRL_SIZE - 4,
                                   n.IsScalar() ? s : "a non-scalar");
            c.faults.reg_read_error_address = v;
            return "";
        };
        p->get = [](const scenario_config& c) { return nlohmann::json(c.faults.reg_read_error_address); };
        m_params.push_back(p);
    }
    u64("faults.reg_read_error_count", [](auto& c) -> auto& { return c.faults.reg_read_error_count; }, "", 0, UINT64_MAX,
        "fault injection: how many reads of faults.reg_read_error_address fail (the first ones); 0 = every one");
    u64("watchdog.timeout_cycles", [](auto& c) -> auto& { return c.watchdog.timeout_cycles; }, "cycles", 1000, UINT64_MAX,
        "a run with no real progress for this long stops with exit code 3 (progress: a command completed or in flight, "
        "data moved, host computation; register polling is not progress)");
    u64("budget.max_cycles", [](auto& c) -> auto& { return c.budget.max_cycles; }, "cycles", 0, UINT64_MAX,
        "run budget: a run that reaches this many simulated cycles stops with exit code 3 and the units' state; 0 = no limit");
    u64("budget.wall_seconds", [](auto& c) -> auto& { return c.budget.wall_seconds; }, "s", 0, 10000000,
        "run budget: a run that takes this much wall-clock time stops with exit code 3 and the units' state; 0 = no limit");
    text("energy.designs_pe", [](auto& c) -> auto& { return c.energy.designs_pe; }, {"activity", "power_x_latency"}, false,
         "the comparison designs' PE energy (energy.designs.*.pe_uj, docs/energy.md#comparison-designs): activity = the "
         "PEs' actions (MACs, stalls; idle PEs clock-gated), the VP's model; power_x_latency = every PE of the design, every "
         "cycle of its run, at its busy PE cycle's energy (a synthesis tool's average power x latency, the paper's stated "
         "method); the operand feed, DRAM and leakage are the same in both");
    text("energy.tech", [](auto& c) -> auto& { return c.energy.tech; }, {}, false,
         "technology table of the energy, power and area model: a shipped one (40nm: the paper's node, 45nm: the "
         "Horowitz / NanGate base, 28nm) or a .yaml file (path relative to the working directory; docs/energy.md#tables)");
    {
        auto p = std::make_shared<param>();
        p->path = "energy.override";
        p->type = "mapping";
        p->unit = "";
        p->range = "entry: number >= 0";
        p->description = "per-entry overrides of the technology table, e.g. {dram_pj_per_bit: 3.9}; on the command line "
                         "--set energy.override.dram_pj_per_bit=3.9 (docs/energy.md#entries lists the entries)";
        p->set = [](scenario_config& c, const YAML::Node& n) -> std::string {
            if (!n.IsMap()) return "expected a mapping of table entry: number";
            std::map<std::string, double> m;
            for (const auto& kv : n) {
                double v = -1;
                try {
                    if (kv.second.IsScalar()) v = kv.second.as<double>();
                } catch (const YAML::Exception&) {
                }
                if (!(v >= 0) || !std::isfinite(v))
                    return fmt::format("{}: expected a number >= 0, got '{}'", kv.first.Scalar(),
                                       kv.second.IsScalar() ? kv.second.Scalar() : "a non-scalar");
                m[kv.first.Scalar()] = v;
            }
            for (const auto& [k, v] : m) c.energy.override[k] = v;  // merged: later settings win per entry
            return "";
        };
        p->get = [](const scenario_config& c) {
            nlohmann::json j = nlohmann::json::object();
            for (const auto& [k, v] : c.energy.override) j[k] = v;
            return j;
        };
        m_params.push_back(p);
    }

    const scenario_config defaults;
    (void)defaults;
}

const config_schema& config_schema::get() {
    static const config_schema s;
    return s;
}

namespace {

struct loader {
    const config_schema& schema;
    scenario_config cfg;
    std::vector<std::string> errors;
    std::set<std::string> seen;          // keys given somewhere
    std::map<std::string, std::string> where;  // key -> "file:line:col" of its last setting
    std::vector<std::string> include_stack;
    size_t suppressed = 0;

    const param* find(const std::string& path) const {
        for (const auto& p : schema.params())
            if (p->path == path) return p.get();
        return nullptr;
    }
    bool is_section(const std::string& path) const {
        for (const auto& p : schema.params())
            if (p->path.compare(0, path.size() + 1, path + ".") == 0) return true;
        return false;
    }
    std::string suggestion(const std::string& path) const {
        // Keys and sections ("dramm" -> "dram"), but not once the error list is full.
        if (errors.size() >= config_error::MAX_MESSAGES) return "";
        std::vector<std::string> words;
        std::set<std::string> sections;
        for (const auto& p : schema.params()) {
            words.push_back(p->path);
            for (size_t dot = p->path.find('.'); dot != std::string::npos; dot = p->path.find('.', dot + 1))
                sections.insert(p->path.substr(0, dot));
        }
        words.insert(words.end(), sections.begin(), sections.end());
        const std::string best = closest_word(path, words);
        return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
    }
    static std::string pos(const std::string& file, const YAML::Mark& m) {
        return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
    }

    void walk(const YAML::Node& node, const std::string& prefix, const std::string& file) {
        for (const auto& kv : node) {
            const std::string key = kv.first.Scalar();
            const std::string path = prefix.empty() ? key : prefix + "." + key;
            const YAML::Node& value = kv.second;
            if (prefix.empty() && key == "include") continue;  // handled by load_file
            if (const param* p = find(path)) {
                const std::string err = p->set(cfg, value);
                if (!err.empty()) errors.push_back(fmt::format("{}: {}: {}", pos(file, value.Mark()), path, err));
                // Files named in a scenario file are relative to it (with --set: to the working directory).
                std::string* file_key = path == "workload.firmware_elf" ? &cfg.workload.firmware_elf
                                      : path == "workload.onnx.model"   ? &cfg.workload.onnx.model
                                      : path == "workload.onnx.input"   ? &cfg.workload.onnx.input
                                      : path == "workload.gemm.topology" ? &cfg.workload.gemm.topology
                                      : path == "workload.gemm.scalesim_config" ? &cfg.workload.gemm.scalesim_config
                                      : path == "workload.model.input"  ? &cfg.workload.model.input
                                                                        : nullptr;
                if (file_key && err.empty() && !file_key->empty() && fs::path(*file_key).is_relative())
                    *file_key = (fs::path(file).parent_path() / *file_key).lexically_normal().string();
                seen.insert(path);
                where[path] = pos(file, value.Mark());
            } else if (is_section(path)) {
                if (value.IsMap()) walk(value, path, file);
                else errors.push_back(fmt::format("{}: {}: expected a mapping of {}.* keys", pos(file, value.Mark()), path, path));
            } else if (errors.size() >= config_error::MAX_MESSAGES) {
                ++suppressed;  // a file of a million unknown keys: count them, do not describe them
            } else {
                errors.push_back(fmt::format("{}: {}: unknown key{}", pos(file, kv.first.Mark()), path, suggestion(path)));
            }
        }
    }

    void load_node(const YAML::Node& root, const std::string& file) {
        if (root.IsNull()) return;
        if (!root.IsMap()) {
            errors.push_back(fmt::format("{}: expected a mapping of scenario keys at the top level", pos(file, root.Mark())));
            return;
        }
        if (const YAML::Node inc = root["include"]) {
            std::vector<YAML::Node> items;
            if (inc.IsScalar()) items.push_back(inc);
            else if (inc.IsSequence()) for (const auto& i : inc) items.push_back(i);
            else errors.push_back(fmt::format("{}: include: expected a file name or a list of file names", pos(file, inc.Mark())));
            for (const auto& i : items) {
                if (!i.IsScalar()) {
                    errors.push_back(fmt::format("{}: include: expected a file name", pos(file, i.Mark())));
                    continue;
                }
                fs::path p = i.Scalar();
                if (p.is_relative()) p = fs::path(file).parent_path() / p;
                load_file(p.lexically_normal().string(), pos(file, i.Mark()));
            }
        }
        walk(root, "", file);
    }

    void load_file(const std::string& file, const std::string& from) {
        const std::string who = from.empty() ? "" : from + ": include: ";
        if (std::find(include_stack.begin(), include_stack.end(), file) != include_stack.end()) {
            errors.push_back(fmt::format("{}{}: include cycle", who.empty() ? file + ": " : who, file));
            return;
        }
        if (include_stack.size() >= 8) {
            errors.push_back(fmt::format("{}includes nested deeper than 8 levels", who));
            return;
        }
        bool ok = false;
        const YAML::Node root = load_yaml_file(file, who, errors, ok);
        if (!ok) return;
        include_stack.push_back(file);
        load_node(root, file);
        include_stack.pop_back();
    }

    void override_(const std::string& assignment) {
        const auto eq = assignment.find('=');
        if (eq == std::string::npos || eq == 0) {
            errors.push_back(fmt::format("--set {}: expected key.path=value", assignment));
            return;
        }
        std::string path = assignment.substr(0, eq), text = assignment.substr(eq + 1);
        // A mapping key's single entry: --set energy.override.ENTRY=VALUE means {ENTRY: VALUE}.
        static const std::string map_key = "energy.override";
        if (path.compare(0, map_key.size() + 1, map_key + ".") == 0 && path.size() > map_key.size() + 1) {
            text = "{" + path.substr(map_key.size() + 1) + ": " + text + "}";
            path = map_key;
        }
        const param* p = find(path);
        if (!p) {
            errors.push_back(fmt::format("--set {}: {}: unknown key{}", assignment, path, suggestion(path)));
            return;
        }
        YAML::Node value;
        try {
            value = YAML::Load(text);
        } catch (const YAML::Exception& e) {
            errors.push_back(fmt::format("--set {}: {}: cannot parse the value: {}", assignment, path, e.msg));
            return;
        }
        if (value.IsNull()) value = YAML::Node(text);
        {
            std::vector<std::string> dups;
            check_duplicate_keys(value, "--set " + assignment, path, dups);
            if (!dups.empty()) {
                errors.push_back(fmt::format("--set {}: {}: a mapping in the value gives a key twice", assignment, path));
                return;
            }
        }
        const std::string err = p->set(cfg, value);
        if (!err.empty()) errors.push_back(fmt::format("--set {}: {}: {}", assignment, path, err));
        seen.insert(path);
        where[path] = "--set " + assignment;
    }

    // Constraints between keys, checked once everything is read.
    void check(const std::string& origin) {
        cfg.origin = where;
        cfg.origin[""] = origin;
        for (const auto& p : schema.params())
            if (p->required && !seen.count(p->path))
                errors.push_back(fmt::format("{}: {}: missing required key", origin, p->path));
        auto at = [&](const std::string& key) { return where.count(key) ? where[key] : origin; };
        auto fail = [&](const std::string& key, const std::string& msg) {
            errors.push_back(fmt::format("{}: {}: {}", at(key), key, msg));
        };
        try {  // the technology table and its overrides (docs/energy.md#tables)
            (void)energy::load_table(cfg.energy.tech, cfg.energy.override);
        } catch (const energy::tech_error& e) {
            const std::string msg = e.what();
            errors.push_back(fmt::format("{}: {}", at(msg.rfind("energy.override", 0) == 0 ? "energy.override" : "energy.tech"), msg));
        }
        if (1000000 % cfg.clock_mhz != 0)
            fail("clock_mhz", fmt::format("expected a frequency whose period is a whole number of ps "
                                          "(1000000 divisible by it), got {}", cfg.clock_mhz));
        const auto pow2 = [](uint64_t v) { return v && !(v & (v - 1)); };
        if (!pow2(cfg.l2.line_bytes)) fail("l2.line_bytes", fmt::format("expected a power of two, got {}", cfg.l2.line_bytes));
        else if (cfg.l2.size % (cfg.l2.line_bytes * cfg.l2.ways) != 0)
            fail("l2.size", fmt::format("expected a multiple of line_bytes x ways = {}, got {}",
                                        cfg.l2.line_bytes * cfg.l2.ways, cfg.l2.size));
        if (cfg.dram.banks_enabled && cfg.dram.row_miss_cycles < cfg.dram.row_hit_cycles)
            fail("dram.banks.row_miss_cycles", fmt::format("expected >= row_hit_cycles ({}), got {}",
                                                           cfg.dram.row_hit_cycles, cfg.dram.row_miss_cycles));
        if (cfg.dram.model == "jedec") {
            const auto& jo = cfg.dram.jedec;
            if (jo.mapping != "preset")
                if (const std::string m = dram_mapping_check(jo.mapping); !m.empty()) fail("dram.jedec.mapping", m);
            try {
                const dram_spec spec = load_dram_spec(jo);
                try {
                    dram_jedec probe(spec, jo, 1000000 / cfg.clock_mhz);
                } catch (const std::invalid_argument& e) {
                    fail(jo.preset_file.empty() ? "dram.jedec.preset" : "dram.jedec.preset_file", e.what());
                }
            } catch (const std::invalid_argument& e) {
                fail(jo.preset_file.empty() ? "dram.jedec.preset" : "dram.jedec.preset_file", e.what());
            }
        }
        const auto& at_ = cfg.workload.attention;
        if (std::fabs(at_.ratio_pruned + at_.ratio_4bit + at_.ratio_8bit - 1.0) > 1e-9)
            fail("workload.attention.ratio_8bit",
                 fmt::format("expected ratio_pruned + ratio_4bit + ratio_8bit = 1, got {} + {} + {} = {}", at_.ratio_pruned,
                             at_.ratio_4bit, at_.ratio_8bit, at_.ratio_pruned + at_.ratio_4bit + at_.ratio_8bit));
        if (cfg.vssa.backend != "model" && !install_vssa_backends())
            fail("vssa.backend", fmt::format("'{}' needs the Verilated RTL: this dtqvp was built without it "
                                             "(configure with -DDTQ_COSIM=ON and a Debian verilator)", cfg.vssa.backend));
        if (cfg.vssa.fault != "none" && cfg.vssa.backend != "lockstep")
            fail("vssa.fault", fmt::format("expected none unless vssa.backend is lockstep (a fault only shows against the RTL), got '{}'",
                                           cfg.vssa.fault));
        if (at_.spatten_ratio_pruned + at_.spatten_ratio_4bit > 1.0 + 1e-9)
            fail("workload.attention.spatten_ratio_4bit",
                 fmt::format("expected spatten_ratio_pruned + spatten_ratio_4bit <= 1, got {} + {}", at_.spatten_ratio_pruned,
                             at_.spatten_ratio_4bit));
        const auto firmware_only = [&](const char* key, uint64_t value) {
            if (value && cfg.workload.kind != "firmware")
                fail(key, fmt::format("only a firmware workload issues commands and reads registers: expected "
                                      "workload.kind firmware, got {}", cfg.workload.kind));
        };
        const auto& mo = cfg.workload.model;
        if (std::fabs(mo.ratio_pruned + mo.ratio_4bit + mo.ratio_8bit - 1.0) > 1e-9)
            fail("workload.model.ratio_8bit",
                 fmt::format("expected ratio_pruned + ratio_4bit + ratio_8bit = 1, got {} + {} + {} = {}", mo.ratio_pruned,
                             mo.ratio_4bit, mo.ratio_8bit, mo.ratio_pruned + mo.ratio_4bit + mo.ratio_8bit));
        if (cfg.workload.kind == "model") {
            const auto m = find_model(mo.name);
            if (mo.decode_tokens && !m->decoder)
                fail("workload.model.decode_tokens",
                     fmt::format("expected 0: {} is an encoder (decode needs gpt2 or gpt2-medium), got {}", mo.name, mo.decode_tokens));
            if (mo.layers > m->layers)
                fail("workload.model.layers", fmt::format("expected at most {} ({} has {} layers), got {}", m->layers, mo.name,
                                                          m->layers, mo.layers));
            if (mo.precision != "8bit" && (mo.attention == "unfused" || mo.nonlinear == "host"))
                fail("workload.model.precision",
                     fmt::format("expected 8bit with {}: DTQAtten's top-k engines need the fused ATTENTION command's "
                                 "probabilities, got {}",
                                 mo.nonlinear == "host" ? "workload.model.nonlinear host" : "workload.model.attention unfused",
                                 mo.precision));
            const bool quant4 = mo.precision == "4bit" || mo.precision == "vsquant" || mo.precision == "dtqatten_vsquant";
            if (quant4 && m->decoder)
                fail("workload.model.precision",
                     fmt::format("expected 8bit or dtqatten for {} (a decoder): the 4-bit and VS-Quant modes run encoders only "
                                 "(bert-base, bert-large), got {}", mo.name, mo.precision));
            if (mo.weight_compression == "nm24" && (mo.precision == "4bit" || mo.precision == "vsquant"))
                fail("workload.model.weight_compression",
                     fmt::format("expected none with precision {}: its weights are already stored 4-bit (layout.B_4BIT); "
                                 "nm24 needs precision 8bit, dtqatten or dtqatten_vsquant", mo.precision));
            if (cfg.softmax.mode == "softermax" && mo.nonlinear == "host")
                fail("softmax.mode", "expected ibert with workload.model.nonlinear host: the host's math library implements "
                                     "I-BERT's i-softmax only, got softermax");
            if (mo.accuracy && cfg.mode != sim_mode::functional)
                fail("workload.model.accuracy", "expected false in timing mode (no values to compare); set mode: functional");
        }
        const auto& gw = cfg.workload.gemm;
        if (std::fabs(gw.ratio_pruned + gw.ratio_4bit + gw.ratio_8bit - 1.0) > 1e-9)
            fail("workload.gemm.ratio_8bit",
                 fmt::format("expected ratio_pruned + ratio_4bit + ratio_8bit = 1, got {} + {} + {} = {}", gw.ratio_pruned,
                             gw.ratio_4bit, gw.ratio_8bit, gw.ratio_pruned + gw.ratio_4bit + gw.ratio_8bit));
        if (gw.b_bits != 4 && gw.b_bits != 8) fail("workload.gemm.b_bits", fmt::format("expected 4 or 8, got {}", gw.b_bits));
        for (size_t i = 0; i < gw.list.size(); ++i)
            if (!gw.list[i].ratios.empty() && gw.list[i].a_precision.empty() && gw.a_precision != "ratios")
                fail("workload.gemm.list", fmt::format("entry {}: ratios: expected a_precision: ratios (in the entry or as "
                                                       "workload.gemm.a_precision), got {}", i, gw.a_precision));
        if (gw.a_precision == "topk" && (cfg.workload.kind != "onnx" || cfg.mode != sim_mode::functional))
            fail("workload.gemm.a_precision", fmt::format("expected 4, 8 or ratios: topk needs the attention maps of an ONNX graph "
                                                          "(workload.kind onnx, mode functional), got kind {}, mode {}",
                                                          cfg.workload.kind, to_string(cfg.mode)));
        if (cfg.workload.kind == "onnx") {
            if (cfg.workload.onnx.model.empty()) fail("workload.onnx.model", "expected the .onnx file of the graph (kind onnx)");
            if (cfg.workload.onnx.pipeline == "integer") {
                if (cfg.mode != sim_mode::functional)
                    fail("workload.onnx.pipeline", "expected mode functional with integer (the precisions and the scales come from the "
                                                   "graph's values), got timing");
                if (gw.a_precision != "8" && gw.a_precision != "topk")
                    fail("workload.gemm.a_precision", fmt::format("expected 8 or topk with workload.onnx.pipeline integer (the "
                                                                  "ATTENTION command's top-k engines choose the tokens), got {}",
                                                                  gw.a_precision));
                if (gw.b_bits != 8)
                    fail("workload.gemm.b_bits", fmt::format("expected 8 with workload.onnx.pipeline integer (int8 weights), got {}", gw.b_bits));
            }
            if (!gw.list.empty() || !gw.topology.empty())
                fail(gw.list.empty() ? "workload.gemm.topology" : "workload.gemm.list", "expected none with kind onnx (the graph gives the GEMMs)");
            if (!gw.scalesim_config.empty()) {
                try {
                    apply_scalesim_config(cfg, gw.scalesim_config);
                } catch (const config_error& e) {
                    for (const auto& m : e.messages()) fail("workload.gemm.scalesim_config", m);
                }
            }
        } else if (cfg.workload.kind == "gemm") {
            if (gw.list.empty() == gw.topology.empty())
                fail("workload.gemm.list", "expected either workload.gemm.list or workload.gemm.topology (one of them, not both)");
            if (!gw.scalesim_config.empty()) {
                try {
                    apply_scalesim_config(cfg, gw.scalesim_config);
                } catch (const config_error& e) {
                    for (const auto& m : e.messages()) fail("workload.gemm.scalesim_config", m);
                }
            }
        } else if (!gw.list.empty() || !gw.topology.empty()) {
            fail(gw.list.empty() ? "workload.gemm.topology" : "workload.gemm.list",
                 fmt::format("expected workload.kind gemm, got {}", cfg.workload.kind));
        }
        const auto& rq = cfg.workload.requests;
        const auto& bt = cfg.workload.batching;
        if (rq.any()) {
            if (cfg.workload.kind != "model")
                fail(rq.count ? "workload.requests.count" : "workload.requests.list",
                     fmt::format("expected workload.kind model (requests run whole models), got {}", cfg.workload.kind));
            if (rq.count && !rq.list.empty())
                fail("workload.requests.count", "expected 0 with workload.requests.list (a stream is a list or generated, not both)");
            if (rq.count && rq.seq.empty())
                fail("workload.requests.seq", "expected a list of sequence lengths for the generated requests (workload.requests.count)");
            if (mo.decode_tokens)
                fail("workload.model.decode_tokens", fmt::format("expected 0 with requests (a request is one prefill), got {}", mo.decode_tokens));
            if (mo.accuracy)
                fail("workload.model.accuracy", "expected false with requests (the accuracy proxy compares one sequence)");
            if (!mo.input.empty())
                fail("workload.model.input", "expected empty with requests (each request's input is synthetic, from the seed)");
            uint64_t longest = 0;
            for (const auto& r : rq.list) longest = std::max(longest, r.seq);
            for (uint64_t s : rq.seq) longest = std::max(longest, s);
            if (bt.policy == "dynamic" && bt.token_budget < longest)
                fail("workload.batching.token_budget",
                     fmt::format("expected at least the longest request ({} tokens), got {}", longest, bt.token_budget));
            const auto shape = find_model(mo.name);
            const uint64_t per_token = dtq_batch_bytes_per_token(static_cast<uint32_t>(shape->d_model), static_cast<uint32_t>(shape->d_ffn));
            if (bt.policy == "dynamic" && bt.buffer_bytes && bt.buffer_bytes < longest * per_token)
                fail("workload.batching.buffer_bytes",
                     fmt::format("expected 0 or at least the longest request's {} tokens x {} bytes per token = {} bytes ({}), got {}",
                                 longest, per_token, longest * per_token, mo.name, bt.buffer_bytes));
            if (bt.policy == "fixed" && bt.batch_size * longest > 16384)
                fail("workload.batching.batch_size",
                     fmt::format("expected batch_size x longest request <= 16384 rows, got {} x {}", bt.batch_size, longest));
        }
        if (cfg.vsquant.scale_bits != 4 && cfg.vsquant.scale_bits != 6 && cfg.vsquant.scale_bits != 8)
            fail("vsquant.scale_bits", fmt::format("expected 4, 6 or 8, got {}", cfg.vsquant.scale_bits));
        if (!cfg.workload.firmware_elf.empty()) {
            std::error_code ec;
            if (cfg.workload.kind != "firmware")
                fail("workload.firmware_elf", fmt::format("expected workload.kind firmware, got {}", cfg.workload.kind));
            else if (!fs::is_regular_file(cfg.workload.firmware_elf, ec))
                fail("workload.firmware_elf", fmt::format("{}: no such file", cfg.workload.firmware_elf));
            if (where.count("host.cpu") && cfg.host.cpu != "rv32")
                fail("host.cpu", "expected rv32 (workload.firmware_elf is an rv32 ELF), got native");
            cfg.host.cpu = "rv32";
        }
        if (!cfg.workload.firmware_args.empty() && cfg.host.cpu != "rv32")
            fail("workload.firmware_args", "expected host.cpu rv32 (native apps take no arguments)");
        firmware_only("faults.dma_error_at_command", cfg.faults.dma_error_at_command);
        firmware_only("faults.reg_read_error_address", cfg.faults.reg_read_error_address);
        if (cfg.workload.kind == "dma_stream" && cfg.workload.dma_stream.chunk_bytes > cfg.scratchpad.size)
            fail("workload.dma_stream.chunk_bytes",
                 fmt::format("expected at most scratchpad.size ({}), got {}", cfg.scratchpad.size,
                             cfg.workload.dma_stream.chunk_bytes));
    }
};

}  // namespace

scenario_config config_schema::load(const std::string& path, const std::vector<std::string>& overrides) const {
    loader l{*this, {}, {}, {}, {}, {}, 0};
    l.load_file(path, "");
    for (const auto& o : overrides) l.override_(o);
    if (l.errors.empty()) l.check(path);
    if (!l.errors.empty()) throw config_error(l.errors, l.suppressed);
    return l.cfg;
}

std::function<scenario_config(const std::vector<std::string>&)> config_schema::preload(const std::string& path) const {
    auto base = std::make_shared<loader>(loader{*this, {}, {}, {}, {}, {}, 0});
    base->load_file(path, "");
    if (!base->errors.empty()) throw config_error(base->errors, base->suppressed);
    return [base, path](const std::vector<std::string>& overrides) {
        loader l = *base;
        for (const auto& o : overrides) l.override_(o);
        if (l.errors.empty()) l.check(path);
        if (!l.errors.empty()) throw config_error(l.errors, l.suppressed);
        return l.cfg;
    };
}

scenario_config config_schema::load_string(const std::string& yaml, const std::string& origin,
                                           const std::vector<std::string>& overrides) const {
    loader l{*this, {}, {}, {}, {}, {}, 0};
    try {
        const YAML::Node root = YAML::Load(yaml);
        check_duplicate_keys(root, origin, "", l.errors);
        if (l.errors.empty()) l.load_node(root, origin);
    } catch (const YAML::Exception& e) {
        l.errors.push_back(fmt::format("{}:{}:{}: syntax error: {}", origin, e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    for (const auto& o : overrides) l.override_(o);
    if (l.errors.empty()) l.check(origin);
    if (!l.errors.empty()) throw config_error(l.errors, l.suppressed);
    return l.cfg;
}

void config_schema::apply_override(scenario_config& c, const std::string& assignment) const {
    loader l{*this, c, {}, {}, {}, {}, 0};
    l.where = c.origin;
    l.seen.insert("name");
    l.override_(assignment);
    const std::string file = c.origin_of("");
    if (l.errors.empty()) l.check("--set");
    if (!l.errors.empty()) throw config_error(l.errors);
    c = l.cfg;
    c.origin[""] = file;
}

nlohmann::json config_schema::to_json(const scenario_config& c) const {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& p : m_params) {
        nlohmann::json* node = &j;
        std::string rest = p->path;
        for (size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1))
            node = &(*node)[rest.substr(0, dot)];
        (*node)[rest] = p->get(c);
    }
    return j;
}

std::string config_schema::markdown() const {
    const scenario_config d;
    std::string s =
        "# Scenario configuration reference\n\n"
        "Generated by `dtqvp config-doc` from the schema in `platform/config/config.cpp`; a test fails when this\n"
        "file and the schema disagree (regenerate with `build/dtqvp config-doc > docs/config.md`).\n\n"
        "A scenario is a YAML mapping of these keys; nested keys are written as nested mappings\n"
        "(`dram: {bytes_per_cycle: 32}`) or with `--set dram.bytes_per_cycle=32`. Unknown keys, wrong\n"
        "types and out-of-range values are errors reported as `file:line:col: key.path: what was expected`.\n"
        "`include: FILE` (or a list) reads a preset first, relative to the including file; the including\n"
        "file's keys override it. Sizes in bytes accept the suffixes B, KiB, MiB, GiB, TiB.\n\n"
        "| key | type | unit | default | range | description |\n|---|---|---|---|---|---|\n";
    for (const auto& p : m_params) {
        std::string def = p->required ? "(required)" : p->get(d).dump();
        if (p->type == "integer" && p->unit == "bytes") def = show_u64(p->get(d).get<uint64_t>(), "bytes");
        s += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", p->path, p->type, p->unit, def, p->range, p->description);
    }
    return s;
}

}  // namespace dtq
