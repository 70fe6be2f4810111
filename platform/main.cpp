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
#include "platform/analytical.h"
#include "platform/config.h"
#include "platform/data_dir.h"
#include "platform/platform.h"
#include "platform/progress.h"
#include "platform/traffic_report.h"
#include "platform/sweep.h"

#ifndef DTQ_VERSION
#define DTQ_VERSION "0.0.0"
#endif

namespace {

// SystemC prints its banner when the simulation context is created, before sc_main
// runs: the variable must be set during static initialisation.
const bool g_no_banner = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

void quiet_systemc() {
    // "Simulation stopped by user" and other infos are noise on a tool's terminal.
    sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
}

int report_config_error(const dtq::config_error& e) {
    for (const auto& m : e.messages()) std::cerr << "dtqvp: error: " << m << '\n';
    if (e.messages().size() > 1) std::cerr << fmt::format("dtqvp: {} errors\n", e.messages().size());
    return dtq::EXIT_BAD_CONFIG;
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
    run->add_option("--out", out_dir, "output directory")->capture_default_str();
    run->add_flag("--quiet,-q", quiet, "no summary table and no progress line");
    std::string trace_file;
    uint64_t trace_max = 1000000;
    run->add_option("--trace", trace_file, "write a Chrome trace-event JSON timeline (Perfetto UI)");
    run->add_option("--trace-max-events", trace_max, "keep at most this many trace events")->capture_default_str();
    std::string vcd_file, rtl_vcd_file;
    uint64_t rtl_vcd_tile = 0;
    run->add_option("--vcd", vcd_file, "write the controller's key signals (irq, busy, IRQ_STATUS, queue head/tail, ERR_CODE) as VCD");
    run->add_option("--rtl-vcd", rtl_vcd_file, "write the VSSA RTL waveform of one tile as VCD (vssa.backend rtl or lockstep)");
    run->add_option("--rtl-vcd-tile", rtl_vcd_tile, "which tile --rtl-vcd records: its index over all RTL tiles of the run")
        ->capture_default_str();

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
    sweep->add_option("-j,--jobs", jobs, "worker processes (Slurm: tasks running at a time)")->check(CLI::Range(1u, 256u))->capture_default_str();
    sweep->add_option("--out", out_dir, "output directory")->capture_default_str();
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
                        ->check(CLI::NonNegativeNumber)
                        ->capture_default_str();
    // The worker a Slurm array task runs: point I of the sweep into --out.
    auto* point_opt = sweep->add_option("--run-point", run_point, "")->group("")->check(CLI::NonNegativeNumber);
    point_opt->excludes(collect_opt)->excludes(backend_opt);
    for (auto* opt : {part_opt, time_opt, tmo_opt}) opt->excludes(collect_opt)->excludes(point_opt);

    std::string vectors_file;
    auto* kernels = app.add_subcommand("kernels", "run an I-BERT vector file through the integer units");
    kernels->add_option("--vectors", vectors_file, "vector file (format of shared/refs/vectors/ibert_vectors.json)")->required();

    std::string model_name;
    uint64_t seq = 128;
    bool as_json = false;
    auto* report = app.add_subcommand("report", "analytical FLOPs, memory operations and arithmetic intensity per op");
    std::vector<std::string> names;
    for (const auto& m : dtq::model_zoo()) names.push_back(m.name);
    report->add_option("--model", model_name, "model")->required()->check(CLI::IsMember(names));
    report->add_option("--seq", seq, "sequence length")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))->capture_default_str();
    report->add_flag("--json", as_json, "print JSON instead of a table");
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
    report->add_option("--layers", traffic_layers,
                       "with --traffic: layers to simulate (0 = all); the other layers' bytes are these scaled")
        ->check(CLI::Range(uint64_t{0}, uint64_t{48}))
        ->capture_default_str();
    report->add_option("--scenario", traffic_scenario, "with --traffic: the scenario run (workload.model.{name,seq,layers} are set)")
        ->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : dtq::EXIT_BAD_CONFIG;
    }

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
            if (point_opt->count()) {
                if (static_cast<unsigned long long>(run_point) >= spec.points.size()) {
                    std::cerr << fmt::format("dtqvp: error: --run-point {}: the sweep has points 0 to {}\n", run_point,
                                             spec.points.size() - 1);
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
        if (app.got_subcommand("kernels")) {
            const int rc = dtq::ibert::run_vector_file(vectors_file, std::cout, std::cerr);
            return rc == 0 ? dtq::EXIT_OK : rc == 1 ? dtq::EXIT_CHECK_FAILED : dtq::EXIT_BAD_CONFIG;
        }
        if (app.got_subcommand("report")) {
            const dtq::model_shape m = *dtq::find_model(model_name);
            auto ops = dtq::analytical_ops(m, seq);
            if (survey) dtq::add_survey_traffic(m, seq, ops);
            for (const char* opt : {"--layers", "--scenario"})
                if (!traffic && report->count(opt)) {
                    std::cerr << "dtqvp: error: " << opt << " needs --traffic\n";
                    return dtq::EXIT_BAD_CONFIG;
                }
            if (!traffic) {
                if (as_json) std::cout << dtq::analytical_json(m, seq, ops).dump(2) << '\n';
                else std::cout << dtq::analytical_table(m, seq, ops);
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
                std::cout << j.dump(2) << '\n';
            } else {
                std::cout << dtq::analytical_table(m, seq, ops) << how << '\n';
            }
            return dtq::EXIT_OK;
        }
        const dtq::scenario_config cfg = dtq::config_schema::get().load(scenario, sets);
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
        return p.run(opt);
    } catch (const dtq::config_error& e) {
        dtq::progress_line::global().clear();
        return report_config_error(e);
    } catch (const dtq::sweep_error& e) {
        std::cerr << "dtqvp: error: " << e.what() << '\n';
        return e.exit_code;
    } catch (const std::exception& e) {
        dtq::progress_line::global().clear();
        std::cerr << "dtqvp: error: " << e.what() << '\n';
        return dtq::EXIT_SIM_ERROR;
    }
}
