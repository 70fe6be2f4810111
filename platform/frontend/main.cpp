// dtqvp command line: run / check scenarios, run kernel vector files, print the
// configuration reference. Exit codes: docs/user-guide.md#exit-codes.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <iostream>
#include <systemc>

#include "ibert/vectors.h"
#include "memory/dram_jedec.h"
#include "platform/workloads/analytical.h"
#include "platform/config/config.h"
#include "platform/frontend/data_dir.h"
#include "platform/platform.h"
#include "platform/frontend/progress.h"
#include "platform/frontend/traffic_report.h"
#include "platform/config/preflight.h"
#include "energy/energy.h"
#include "platform/frontend/sweep.h"
#include "common/output_file.h"

#include <sys/resource.h>
#include <algorithm>
#include <cctype>
#include <new>

#ifndef DTQ_VERSION
#define DTQ_VERSION "0.0.0"
#endif

namespace {

// SystemC prints its banner when the simulation context is created, before sc_main
// runs: the variable must be set during static initialisation.
const CLI::Validator k_nonempty([](std::string& v) { return v.empty() ? std::string("expected a directory name") : std::string(); },
                                "DIR");

const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

void quiet_systemc() {
    // "Simulation stopped by user" and other infos are noise on a tool's terminal.
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
}

int report_config_error(const dtq::config_error& e) {
    for (const auto& m : e.messages()) std::cerr << "dtqvp: error: " << m << '\n';
    if (e.suppressed())
        std::cerr << fmt::format("dtqvp: {} errors (the first {} shown)\n", e.count(), e.messages().size());
    else if (e.messages().size() > 1)
        std::cerr << fmt::format("dtqvp: {} errors\n", e.messages().size());
    return dtq::EXIT_BAD_CONFIG;
}

// An unsigned option given a negative number ("-1" would wrap to 2^64 - 1).
const CLI::Validator k_unsigned(
    [](std::string& v) -> std::string {
        const auto first = v.find_first_not_of(" \t");
        if (first != std::string::npos && v[first] == '-') return "expected a number >= 0, got " + v;
        return "";
    },
    "UINT");

// Sizes for --max-memory: a number of bytes with an optional B/KiB/MiB/GiB/TiB suffix.
bool parse_size(const std::string& text, uint64_t& out) {
    size_t i = 0;
    uint64_t v = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + static_cast<uint64_t>(text[i++] - '0');
    }
    if (i == 0) return false;
    const std::string suffix = text.substr(i);
    int shift = 0;
    if (suffix == "" || suffix == "B") shift = 0;
    else if (suffix == "KiB") shift = 10;
    else if (suffix == "MiB") shift = 20;
    else if (suffix == "GiB") shift = 30;
    else if (suffix == "TiB") shift = 40;
    else return false;
    if (shift && v > (UINT64_MAX >> shift)) return false;
    out = v << shift;
    return true;
}

// The memory cap (docs/user-guide.md#memory-cap): the process's data segment (heap and
// anonymous mappings, RLIMIT_DATA) is limited, so an input that makes the VP allocate more
// ends as std::bad_alloc, reported as exit code 2 naming the input. Sweep workers inherit
// it. Not under AddressSanitizer, whose shadow memory is itself a huge data mapping.
uint64_t g_memory_cap = 0;
void set_memory_cap(uint64_t bytes) {
#if defined(__SANITIZE_ADDRESS__)
    (void)bytes;
#else
    if (bytes == 0) return;
    struct rlimit rl {};
    if (getrlimit(RLIMIT_DATA, &rl) != 0) return;
    if (rl.rlim_max != RLIM_INFINITY && bytes > rl.rlim_max) bytes = rl.rlim_max;
    rl.rlim_cur = bytes;
    if (setrlimit(RLIMIT_DATA, &rl) == 0) g_memory_cap = bytes;
#endif
}

uint64_t default_memory_cap() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

// Outputs of one run are distinct files and none is the scenario: --trace DIR/stats.json
// would overwrite the statistics. Returns "" or the message.
std::string output_clash(const std::string& scenario, const std::string& out_dir,
                         const std::vector<std::pair<std::string, std::string>>& named) {
    namespace fs = std::filesystem;
    std::vector<std::pair<std::string, std::string>> files;  // what, path
    files.emplace_back("the scenario", scenario);
    if (!out_dir.empty())
        for (const char* f : {"stats.json", "gemms.json", "requests.json"})
            files.emplace_back(fmt::format("--out {}'s {}", out_dir, f), out_dir + "/" + f);
    for (const auto& [opt, path] : named) {
        if (path.empty()) continue;
        std::error_code ec;
        if (fs::is_directory(path, ec)) return fmt::format("{} {}: is a directory, expected a file name", opt, path);
        const fs::path mine = fs::weakly_canonical(path, ec);
        for (const auto& [what, other] : files) {
            std::error_code ec2;
            if (!ec && fs::weakly_canonical(other, ec2) == mine && !ec2)
                return fmt::format("{} {}: is also {}: give each output its own file", opt, path, what);
        }
        files.emplace_back(opt, path);
    }
    return "";
}

// "did you mean" for a mistyped subcommand or option (CLI11 only says "not expected").
std::string cli_hint(const CLI::App& app, int argc, char* argv[]) {
    std::vector<std::string> subs;
    for (const auto* sub : app.get_subcommands({})) subs.push_back(sub->get_name());
    const CLI::App* sub = nullptr;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.empty() || a[0] == '-') continue;
        if (std::find(subs.begin(), subs.end(), a) == subs.end()) {
            const std::string best = dtq::closest_word(a, subs);
            return fmt::format("unknown command '{}'{} (commands: run check sweep report kernels config-doc)", a,
                               best.empty() ? "" : fmt::format("; did you mean '{}'?", best));
        }
        sub = app.get_subcommand(a);
        break;
    }
    if (!sub) return "";
    std::vector<std::string> names;
    for (const auto* o : sub->get_options())
        for (const auto& n : o->get_lnames()) names.push_back("--" + n);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) != 0) continue;
        a = a.substr(0, a.find('='));
        if (std::find(names.begin(), names.end(), a) != names.end()) continue;
        const std::string best = dtq::closest_word(a, names);
        if (!best.empty()) return fmt::format("unknown option {}; did you mean {}?", a, best);
    }
    return "";
}

}  // namespace

int sc_main(int argc, char* argv[]) {
    quiet_systemc();
    CLI::App app{"dtqvp: virtual platform of a DTQAtten-style attention accelerator"};
    app.set_version_flag("--version", std::string("dtqvp ") + DTQ_VERSION);
    app.require_subcommand(1);

    std::string scenario, out_dir = "out";
    std::vector<std::string> sets;
    bool quiet = false;

    auto* run = app.add_subcommand("run", "run a scenario and write DIR/stats.json");
    run->add_option("scenario", scenario, "scenario YAML file, or the name of a shipped one (dtqvp scenarios)")->required();
    run->add_option("--set", sets, "override a key: key.path=value (repeatable)");
    run->add_option("--out", out_dir, "output directory")->capture_default_str()->check(k_nonempty);
    run->add_flag("--quiet,-q", quiet, "no summary table and no progress line");
    std::string trace_file;
    uint64_t trace_max = 1000000;
    run->add_option("--trace", trace_file, "write a Chrome trace-event JSON timeline (Perfetto UI)");
    auto* trace_max_opt = run->add_option("--trace-max-events", trace_max, "keep at most this many trace events")->capture_default_str();
    std::string vcd_file, rtl_vcd_file;
    uint64_t rtl_vcd_tile = 0;
    uint16_t gdb_port = 0;
    run->add_option("--vcd", vcd_file, "write the controller's key signals (irq, busy, IRQ_STATUS, queue head/tail, ERR_CODE) as VCD");
    run->add_option("--rtl-vcd", rtl_vcd_file, "write the VSSA RTL waveform of one tile as VCD (vssa.backend rtl or lockstep)");
    auto* rtl_tile_opt = run->add_option("--rtl-vcd-tile", rtl_vcd_tile, "which tile --rtl-vcd records: its index over all RTL tiles of the run")
        ->capture_default_str();
    run->add_option("--gdb", gdb_port, "host.cpu rv32: wait for GDB (gdb-multiarch, RSP) on localhost:PORT before the first "
                    "instruction; simulated time stands still while the debugger holds the core (docs/firmware.md#debugging)")
        ->check(CLI::Range(1, 65535));

    auto* check = app.add_subcommand("check", "validate a scenario without running it");
    check->add_option("scenario", scenario, "scenario YAML file, or the name of a shipped one")->required();
    check->add_option("--set", sets, "override a key: key.path=value (repeatable)");

    app.add_subcommand("config-doc", "print the configuration reference (docs/config.md)");
    bool list_paths = false;
    auto* scen = app.add_subcommand("scenarios", "list the shipped scenarios, sweeps and presets with their first comment line");
    scen->add_flag("--paths", list_paths, "print each file's path instead of its first comment line");

    std::string sweep_file;
    unsigned jobs = 1;
    auto* sweep = app.add_subcommand("sweep", "run a grid or list of overrides over a base scenario");
    sweep->add_option("sweep", sweep_file, "sweep YAML file, or the name of a shipped one")->required();
    auto* jobs_opt = sweep->add_option("-j,--jobs", jobs, "worker processes (Slurm: tasks running at a time)")->check(CLI::Range(1u, 256u))->capture_default_str();
    sweep->add_option("--out", out_dir, "output directory")->capture_default_str()->check(k_nonempty);
    sweep->add_flag("--quiet,-q", quiet, "no progress and no summary");
    std::string backend = "local", collect_dir, slurm_partition, slurm_time;
    double slurm_timeout = 0;
    long long run_point = -1;
    auto* backend_opt = sweep->add_option("--backend", backend, "where the points run: local worker processes, or the "
                                          "tasks of a Slurm array job")
                            ->check(CLI::IsMember({"local", "slurm"}))
                            ->capture_default_str();
    auto* collect_opt = sweep->add_option("--collect", collect_dir, "run nothing: collect the points in DIR into "
                                          "DIR/results.csv and results.json")
                            ->type_name("DIR");
    collect_opt->excludes(backend_opt)->excludes("--out")->excludes("--jobs");
    auto* part_opt = sweep->add_option("--slurm-partition", slurm_partition, "Slurm partition (sbatch --partition)");
    auto* time_opt = sweep->add_option("--slurm-time", slurm_time, "Slurm time limit per point (sbatch --time, e.g. 10:00)");
    auto* tmo_opt = sweep->add_option("--slurm-timeout", slurm_timeout, "seconds to wait for the Slurm job; 0: no limit")
                        ->check(k_unsigned)
                        ->capture_default_str();
    // The worker a Slurm array task runs: point I of the sweep into --out.
    auto* point_opt = sweep->add_option("--run-point", run_point, "")->group("")->check(k_unsigned);
    point_opt->excludes(collect_opt)->excludes(backend_opt);
    for (auto* opt : {part_opt, time_opt, tmo_opt}) opt->excludes(collect_opt)->excludes(point_opt);

    std::string area_tech = "40nm";
    bool area_json = false;
    auto* area = app.add_subcommand("area", "area of the VSSA PE and the MAC variants from yosys, with the ratios of docs/energy.md#area");
    area->add_option("--tech", area_tech, "technology table (40nm, 45nm, 28nm or a .yaml file)")->capture_default_str();
    area->add_flag("--json", area_json, "print JSON instead of a table");

    std::string vectors_file;
    auto* kernels = app.add_subcommand("kernels", "run an I-BERT vector file through the integer units");
    kernels->add_option("--vectors", vectors_file, "vector file (format of shared/refs/vectors/ibert_vectors.json)")->required();

    std::vector<std::string> ds_presets;
    std::string ds_scheduler = "fr-fcfs", ds_page = "open", ds_refresh = "preset";
    uint64_t ds_mib = 4, ds_channels = 0;
    auto* dstreams = app.add_subcommand("dram-streams",
                                        "bandwidth efficiency of synthetic streams on the JEDEC DRAM presets (dram.model: jedec)");
    dstreams->add_option("--preset", ds_presets, "presets (repeatable; default: all)")->check(CLI::IsMember(dtq::dram_preset_names()));
    dstreams->add_option("--mib", ds_mib, "MiB per stream")->check(CLI::Range(uint64_t{1}, uint64_t{1024}))->capture_default_str();
    dstreams->add_option("--channels", ds_channels, "channels (0 = the preset's)")->check(CLI::Range(uint64_t{0}, uint64_t{1024}))->capture_default_str();
    dstreams->add_option("--scheduler", ds_scheduler, "fr-fcfs or fcfs")->check(CLI::IsMember({"fr-fcfs", "fcfs"}))->capture_default_str();
    dstreams->add_option("--page-policy", ds_page, "open, closed or adaptive")->check(CLI::IsMember({"open", "closed", "adaptive"}))->capture_default_str();
    dstreams->add_option("--refresh", ds_refresh, "preset, all-bank, per-bank or off")->check(CLI::IsMember({"preset", "all-bank", "per-bank", "off"}))->capture_default_str();
    std::string ds_trace;
    uint64_t ds_queue = 32;
    dstreams->add_option("--trace", ds_trace, "a request trace (DRAMSys STL format: '<tCK>: read|write 0x<addr>' per line) instead of the synthetic streams");
    dstreams->add_option("--queue-depth", ds_queue, "requests the controller sees at once")->check(CLI::Range(uint64_t{1}, uint64_t{4096}))->capture_default_str();

    std::string model_name;
    uint64_t seq = 128;
    bool as_json = false;
    auto* report = app.add_subcommand("report", "analytical FLOPs, memory operations and arithmetic intensity per op");
    std::vector<std::string> names;
    for (const auto& m : dtq::model_zoo()) names.push_back(m.name);
    report->add_option("--model", model_name, "model")->required()->check(CLI::IsMember(names));
    auto* seq_opt = report->add_option("--seq", seq, "sequence length")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))->capture_default_str();
    report->add_flag("--json", as_json, "print JSON instead of a table");
    bool with_energy = false;
    std::string energy_tech = "40nm";
    report->add_flag("--energy", with_energy,
                     "also the ops' energy from a technology table (all-8-bit MACs, no reuse: docs/energy.md#analytical)");
    report->add_option("--tech", energy_tech, "with --energy: technology table (40nm, 45nm, 28nm or a .yaml file)")
        ->capture_default_str();
    bool traffic = false;
    uint64_t traffic_layers = 0;
    std::string traffic_scenario = "report_traffic";  // the shipped one (data_dir()), unless --scenario
    report->add_flag("--traffic", traffic,
                     "also run the model on the VP (timing mode, survey Fig. 11 hardware, 8-bit, no fusion) and add the "
                     "DRAM <-> L2 bytes it measured per op and the non-ideal arithmetic intensity");
    bool survey = false;
    report->add_flag("--survey", survey,
                     "add the survey's Table 5 model: DRAM <-> L2 bytes and non-ideal arithmetic intensity per matmul under its "
                     "assumptions (no fusion, 32-bit outputs before non-linear ops, square tiling, 2 MB L2; "
                     "docs/analytical-model.md#the-surveys-table-5-model)");
    bool table5 = false;
    report->add_flag("--table5", table5,
                     "print the survey's Table 5 layout instead: rows seq 128, 512 and 4096, columns the six matmuls and "
                     "their total, the survey model's non-ideal AI with Table 3's ideal AI beside (no --seq, --traffic, --energy)");
    auto* layers_opt = report->add_option("--layers", traffic_layers,
                       "with --traffic: layers to simulate (0 = all); the other layers' bytes are these scaled")
        ->check(CLI::Range(uint64_t{0}, uint64_t{48}))
        ->capture_default_str();
    report->add_option("--scenario", traffic_scenario, "with --traffic: the scenario run (workload.model.{name,seq,layers} are set)")
        ->capture_default_str();

    std::string max_memory;
    for (auto* sub : {run, check, sweep, kernels, report})
        sub->add_option("--max-memory", max_memory,
                        "memory cap (B, KiB, MiB, GiB, TiB; 0 = none): beyond it the run ends with exit code 2 naming "
                        "the input; default: the machine's physical memory");
    trace_max_opt->check(k_unsigned);
    rtl_tile_opt->check(k_unsigned);
    seq_opt->check(k_unsigned);
    layers_opt->check(k_unsigned);
    jobs_opt->check(k_unsigned);
    bool force = false;
    sweep->add_flag("--force", force, "run into an --out that holds another sweep's points (they are removed)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        if (rc != 0) {
            const std::string hint = cli_hint(app, argc, argv);
            if (!hint.empty()) std::cerr << "dtqvp: error: " << hint << '\n';
        }
        return rc == 0 ? 0 : dtq::EXIT_BAD_CONFIG;
    }
    uint64_t cap = default_memory_cap();
    if (!max_memory.empty() && !parse_size(max_memory, cap)) {
        std::cerr << fmt::format("dtqvp: error: --max-memory {}: expected a size (bytes, or with B/KiB/MiB/GiB/TiB)\n", max_memory);
        return dtq::EXIT_BAD_CONFIG;
    }
    if (!max_memory.empty() && cap != 0 && cap < (uint64_t{16} << 20)) {
        std::cerr << fmt::format("dtqvp: error: --max-memory {}: expected 0 (none) or at least 16 MiB\n", max_memory);
        return dtq::EXIT_BAD_CONFIG;
    }
    set_memory_cap(cap);
    std::string input = scenario;  // what a memory failure names
    if (app.got_subcommand("sweep")) input = sweep_file;
    if (app.got_subcommand("kernels")) input = vectors_file;
    if (app.got_subcommand("report")) input = "report --model " + model_name;
    const auto out_of_memory = [&] {
        std::cerr << fmt::format("dtqvp: error: {}: out of memory: the input needs more than the memory cap{} "
                                 "(--max-memory; docs/user-guide.md#memory-cap)\n",
                                 input, g_memory_cap ? fmt::format(" of {} MiB", g_memory_cap >> 20) : std::string());
        return dtq::EXIT_BAD_CONFIG;
    };

    const auto body = [&]() -> int {
    try {
        if (app.got_subcommand("config-doc")) {
            std::cout << dtq::config_schema::get().markdown();
            return dtq::EXIT_OK;
        }
        if (app.got_subcommand("scenarios")) {
            const auto files = dtq::shipped_files();
            if (files.empty()) {
                const char* env = std::getenv("DTQVP_DATA_DIR");
                if (env && *env)
                    std::cerr << "dtqvp: error: DTQVP_DATA_DIR=" << env << ": no scenarios/ folder with YAML files there\n";
                else
                    std::cerr << "dtqvp: error: no shipped scenarios found (looked for share/dtqvp/scenarios beside and "
                                 "above the dtqvp binary; set DTQVP_DATA_DIR to the folder holding scenarios/)\n";
                return dtq::EXIT_BAD_CONFIG;
            }
            size_t w = 0;
            for (const auto& f : files) w = std::max(w, f.name.size());
            for (const char* kind : {"scenario", "sweep", "preset"}) {
                std::cout << kind << "s:\n";
                for (const auto& f : files)
                    if (f.kind == kind)
                        std::cout << fmt::format("  {:<{}}  {}\n", f.name, w, list_paths ? f.path : f.summary);
            }
            std::cout << fmt::format("(in {}/scenarios; `dtqvp run NAME` or `dtqvp sweep NAME` takes a name)\n", dtq::data_dir());
            return dtq::EXIT_OK;
        }
        scenario = dtq::resolve_scenario(scenario);
        sweep_file = dtq::resolve_scenario(sweep_file);
        if (app.got_subcommand("sweep")) {
            if (backend != "slurm")
                for (auto* opt : {part_opt, time_opt, tmo_opt})
                    if (opt->count()) {
                        std::cerr << "dtqvp: error: " << opt->get_name() << " needs --backend slurm\n";
                        return dtq::EXIT_BAD_CONFIG;
                    }
            const dtq::sweep_spec spec = dtq::load_sweep(sweep_file);
            if (collect_opt->count()) {
                if (!std::filesystem::is_directory(collect_dir + "/points")) {
                    std::cerr << "dtqvp: error: " << collect_dir << ": no sweep output here (no points/ directory)\n";
                    return dtq::EXIT_BAD_CONFIG;
                }
                return dtq::collect_sweep(spec, collect_dir, quiet, true) ? dtq::EXIT_SIM_ERROR : dtq::EXIT_OK;
            }
            dtq::sweep_options so;
            so.out_dir = out_dir;
            so.jobs = jobs;
            so.jobs_given = sweep->count("--jobs") > 0;
            so.quiet = quiet;
            so.progress = isatty(2);
            so.self_exe = std::filesystem::read_symlink("/proc/self/exe").string();
            so.sweep_arg = sweep_file;
            so.slurm_partition = slurm_partition;
            so.slurm_time = slurm_time;
            so.slurm_timeout = slurm_timeout;
            so.force = force;
            if (point_opt->count()) {
                if (static_cast<unsigned long long>(run_point) >= spec.size()) {
                    std::cerr << fmt::format("dtqvp: error: --run-point {}: the sweep has points 0 to {}\n", run_point,
                                             spec.size() - 1);
                    return dtq::EXIT_BAD_CONFIG;
                }
                const int code = dtq::run_sweep_point(spec, so, static_cast<size_t>(run_point));
                if (code != 0)
                    std::cerr << fmt::format("sweep: point {} failed with exit code {} (see {}/log.txt)\n", run_point,
                                             code, dtq::sweep_point_dir(out_dir, static_cast<size_t>(run_point)));
                return code;
            }
            const int failed = backend == "slurm" ? dtq::run_sweep_slurm(spec, so) : dtq::run_sweep(spec, so);
            return failed ? dtq::EXIT_SIM_ERROR : dtq::EXIT_OK;
        }
        if (app.got_subcommand("area")) {
            try {
                std::cout << dtq::energy::area_report(dtq::energy::load_table(area_tech), area_json);
            } catch (const dtq::energy::tech_error& e) {
                std::cerr << "dtqvp: error: --tech: " << e.what() << '\n';
                return dtq::EXIT_BAD_CONFIG;
            }
            return dtq::EXIT_OK;
        }
        if (app.got_subcommand("dram-streams")) {
            if (ds_presets.empty()) ds_presets = dtq::dram_preset_names();
            const auto options_of = [&](const std::string& preset) {  // the command line's controller options
                dtq::dram_jedec_options o;
                o.preset = preset;
                o.channels = ds_channels;
                o.scheduler = ds_scheduler;
                o.page_policy = ds_page;
                o.refresh = ds_refresh;
                o.queue_depth = ds_queue;
                return o;
            };
            if (!ds_trace.empty()) {
                std::cout << fmt::format("{:<12} {:>9} {:>12} {:>12} {:>10} {:>9} {:>12}\n", "preset", "requests", "end tCK",
                                         "end ns", "efficiency", "GB/s", "read lat ns");
                for (const auto& p : ds_presets) {
                    const dtq::dram_jedec_options o = options_of(p);
                    try {
                        const auto r = dtq::dram_trace(o, ds_trace);
                        const double ns = static_cast<double>(r.end_tck) * static_cast<double>(dtq::load_dram_spec(o).tck_fs) / 1e6;
                        std::cout << fmt::format("{:<12} {:>9} {:>12} {:>12.1f} {:>10.4f} {:>9.2f} {:>12.1f}\n", p, r.requests,
                                                 r.end_tck, ns, r.stream.efficiency, r.stream.gbytes_per_s, r.stream.read_latency_ns);
                    } catch (const std::invalid_argument& e) {
                        std::cerr << "dtqvp: error: " << e.what() << '\n';
                        return dtq::EXIT_BAD_CONFIG;
                    }
                }
                return dtq::EXIT_OK;
            }
            std::cout << fmt::format("{:<12} {:<16} {:>10} {:>9} {:>12}\n", "preset", "stream", "efficiency", "GB/s",
                                     "read lat ns");
            for (const auto& p : ds_presets)
                for (const auto& pat : dtq::dram_stream_patterns()) {
                    const dtq::dram_jedec_options o = options_of(p);
                    try {
                        const auto r = dtq::dram_stream(o, pat, ds_mib << 20, 1);
                        // queued streams issue everything at once: their latency is queueing, not shown
                        const std::string lat = pat == "chase" ? fmt::format("{:.1f}", r.read_latency_ns) : "-";
                        std::cout << fmt::format("{:<12} {:<16} {:>10.4f} {:>9.2f} {:>12}\n", p, pat, r.efficiency,
                                                 r.gbytes_per_s, lat);
                    } catch (const std::invalid_argument& e) {
                        std::cerr << "dtqvp: error: " << e.what() << '\n';
                        return dtq::EXIT_BAD_CONFIG;
                    }
                }
            return dtq::EXIT_OK;
        }
        if (app.got_subcommand("kernels")) {
            const int rc = dtq::ibert::run_vector_file(vectors_file, std::cout, std::cerr);
            return rc == 0 ? dtq::EXIT_OK : rc == 1 ? dtq::EXIT_CHECK_FAILED : dtq::EXIT_BAD_CONFIG;
        }
        if (app.got_subcommand("report")) {
            const dtq::model_shape m = *dtq::find_model(model_name);
            if (table5) {
                for (const char* opt : {"--seq", "--traffic", "--energy", "--survey", "--layers", "--scenario", "--tech"})
                    if (report->count(opt)) {
                        std::cerr << "dtqvp: error: --table5 takes no " << opt << " (it prints seq 128, 512 and 4096 of the survey model)\n";
                        return dtq::EXIT_BAD_CONFIG;
                    }
                const std::vector<uint64_t> seqs{128, 512, 4096};  // the survey's Table 5 rows
                if (as_json) std::cout << dtq::survey_table5_json(m, seqs).dump(2) << '\n';
                else std::cout << dtq::survey_table5(m, seqs);
                return dtq::EXIT_OK;
            }
            auto ops = dtq::analytical_ops(m, seq);
            if (survey) dtq::add_survey_traffic(m, seq, ops);
            for (const char* opt : {"--layers", "--scenario"})
                if (!traffic && report->count(opt)) {
                    std::cerr << "dtqvp: error: " << opt << " needs --traffic\n";
                    return dtq::EXIT_BAD_CONFIG;
                }
            if (report->count("--tech") && !with_energy) {
                std::cerr << "dtqvp: error: --tech needs --energy\n";
                return dtq::EXIT_BAD_CONFIG;
            }
            std::vector<dtq::op_energy> energy_ops;
            if (with_energy) {
                dtq::energy::tech_table t;
                try {
                    t = dtq::energy::load_table(energy_tech);
                } catch (const dtq::energy::tech_error& e) {
                    std::cerr << "dtqvp: error: --tech: " << e.what() << '\n';
                    return dtq::EXIT_BAD_CONFIG;
                }
                energy_ops = dtq::analytical_energy(ops, t.at("int_mul_8_pj") + t.at("int_add_32_pj"), t.at("int_add_32_pj"),
                                                    8 * t.at("dram_pj_per_bit"));
                energy_tech = t.name;
            }
            if (!traffic) {
                if (as_json) {
                    nlohmann::json j = dtq::analytical_json(m, seq, ops);
                    if (with_energy) j["energy"] = dtq::analytical_energy_json(energy_ops, energy_tech);
                    std::cout << j.dump(2) << '\n';
                } else {
                    std::cout << dtq::analytical_table(m, seq, ops);
                    if (with_energy) std::cout << dtq::analytical_energy_table(energy_ops, energy_tech);
                }
                return dtq::EXIT_OK;
            }
            if (traffic_layers > m.layers) {
                std::cerr << fmt::format("dtqvp: error: --layers {}: {} has {} layers\n", traffic_layers, m.name, m.layers);
                return dtq::EXIT_BAD_CONFIG;
            }
            traffic_scenario = dtq::resolve_scenario(traffic_scenario);
            const dtq::traffic_run r = dtq::measure_traffic(traffic_scenario, m, seq, traffic_layers, ops);
            const std::string how = fmt::format(
                "DRAM bytes: measured on the VP ({}: timing mode, DRAM <-> L2 bytes per op), {} of {} layers simulated{} "
                "in {:.2f} s wall, {} simulated cycles",
                traffic_scenario, r.layers_simulated, r.layers_model,
                r.layers_simulated < r.layers_model ? fmt::format(" (bytes scaled x{:g})", double(r.layers_model) / double(r.layers_simulated)) : "",
                r.wall_seconds, r.cycles);
            if (as_json) {
                nlohmann::json j = dtq::analytical_json(m, seq, ops);
                j["measured"] = {{"scenario", traffic_scenario}, {"layers_simulated", r.layers_simulated},
                                 {"layers_model", r.layers_model}, {"simulated_cycles", r.cycles},
                                 {"wall_seconds", r.wall_seconds}};
                if (with_energy) j["energy"] = dtq::analytical_energy_json(energy_ops, energy_tech);
                std::cout << j.dump(2) << '\n';
            } else {
                std::cout << dtq::analytical_table(m, seq, ops) << how << '\n';
                if (with_energy) std::cout << dtq::analytical_energy_table(energy_ops, energy_tech);
            }
            return dtq::EXIT_OK;
        }
        const dtq::scenario_config cfg = dtq::config_schema::get().load(scenario, sets);
        if (const auto errors = dtq::preflight(cfg); !errors.empty()) throw dtq::config_error(errors);
        if (app.got_subcommand("run")) {
            const std::string clash = output_clash(scenario, out_dir, {{"--trace", trace_file}, {"--vcd", vcd_file}, {"--rtl-vcd", rtl_vcd_file}});
            if (!clash.empty()) {
                std::cerr << "dtqvp: error: " << clash << '\n';
                return dtq::EXIT_BAD_CONFIG;
            }
        }
        if (app.got_subcommand("check")) {
            std::cout << fmt::format("{}: ok (scenario '{}')\n", scenario, cfg.name);
            return dtq::EXIT_OK;
        }
        // The progress line starts with the set-up (a model's weights take seconds before the
        // simulation starts).
        if (isatty(2) && !quiet) dtq::progress_line::global().enable(std::cerr, cfg.name);
        dtq::platform p(cfg);
        dtq::run_options opt;
        opt.out_dir = out_dir;
        opt.quiet = quiet;
        opt.progress = isatty(2);
        opt.trace_file = trace_file;
        opt.trace_max_events = trace_max;
        opt.vcd_file = vcd_file;
        opt.rtl_vcd_file = rtl_vcd_file;
        opt.rtl_vcd_tile = rtl_vcd_tile;
        opt.gdb_port = gdb_port;
        return p.run(opt);
    } catch (const dtq::config_error& e) {
        dtq::progress_line::global().clear();
        return report_config_error(e);
    } catch (const dtq::sweep_error& e) {
        std::cerr << "dtqvp: error: " << e.what() << '\n';
        return e.exit_code;
    } catch (const std::bad_alloc&) {
        return out_of_memory();
    } catch (const dtq::output_error& e) {
        std::cerr << "dtqvp: error: " << e.what() << '\n';
        return dtq::EXIT_SIM_ERROR;
    } catch (const std::exception& e) {
        dtq::progress_line::global().clear();
        // SystemC turns an exception thrown in a process into an sc_report with its text.
        if (std::string(e.what()).find("bad_alloc") != std::string::npos) return out_of_memory();
        std::cerr << "dtqvp: error: " << e.what() << '\n';
        return dtq::EXIT_SIM_ERROR;
    }
    };
    const int rc = body();
    try {  // what went to stdout (a table, JSON, the summary) must have reached it
        dtq::check_stdout();
    } catch (const dtq::output_error& e) {
        std::cerr << "dtqvp: error: " << e.what() << '\n';
        return dtq::EXIT_SIM_ERROR;
    }
    return rc;
}
