#include "platform/frontend/sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <csignal>
#include <functional>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "common/fnv1a.h"
#include "common/output_file.h"
#include "platform/config/config.h"
#include "platform/platform.h"
#include "platform/config/preflight.h"

extern char** environ;

namespace dtq {

namespace fs = std::filesystem;

std::vector<std::string> sweep_point::overrides() const {
    std::vector<std::string> v;
    for (const auto& [k, val] : sets) v.push_back(k + "=" + val);
    return v;
}

size_t sweep_spec::size() const {
    if (!is_grid) return list.size();
    size_t n = 1;
    for (const auto& [k, vals] : grid) n *= vals.size();  // bounded by MAX_POINTS at load
    return n;
}

sweep_point sweep_spec::point(size_t i) const {
    if (!is_grid) return list.at(i);
    sweep_point p;
    p.sets.resize(grid.size());
    for (size_t a = grid.size(); a-- > 0;) {  // last key fastest
        const auto& [key, vals] = grid[a];
        p.sets[a] = {key, vals[i % vals.size()]};
        i /= vals.size();
    }
    return p;
}

namespace {

using dtq::fnv1a;
uint64_t fnv1a(uint64_t h, const std::string& s) { return fnv1a(h, s.data(), s.size() + 1); }

std::string hex16(uint64_t h) { return fmt::format("{:016x}", h); }

}  // namespace

std::string sweep_spec::identity() const {
    std::error_code ec;
    uint64_t h = fnv1a(FNV_OFFSET, fs::weakly_canonical(base, ec).string());
    for (size_t i = 0; i < size(); ++i)
        for (const auto& o : point(i).overrides()) h = fnv1a(h, o);
    return hex16(h);
}

namespace {

std::string pos(const std::string& file, const YAML::Node& n) {
    return fmt::format("{}:{}:{}", file, n.Mark().line + 1, n.Mark().column + 1);
}

std::string yaml_text(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    YAML::Emitter e;
    e << YAML::Flow << n;
    return e.c_str();
}

// The identity of the binary that runs the points: its version and a hash of the
// executable file, so a rebuilt dtqvp re-runs the points whose numbers it may change.
std::string binary_identity() {
    static const std::string id = [] {
        uint64_t h = fnv1a(FNV_OFFSET, std::string(DTQ_VP_VERSION));
        std::ifstream f("/proc/self/exe", std::ios::binary);
        std::vector<char> buf(1 << 16);
        while (f) {
            f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
            h = fnv1a(h, buf.data(), static_cast<size_t>(f.gcount()));
        }
        return std::string(DTQ_VP_VERSION) + "+" + hex16(h);
    }();
    return id;
}

// The resolved configuration's hash, with the contents of the files it reads.
std::string config_key(const scenario_config& c) {
    uint64_t h = fnv1a(FNV_OFFSET, config_schema::get().to_json(c).dump());
    if (!c.workload.model.input.empty()) {
        std::ifstream f(c.workload.model.input, std::ios::binary);
        std::vector<char> buf(1 << 16);
        while (f) {
            f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
            h = fnv1a(h, buf.data(), static_cast<size_t>(f.gcount()));
        }
    }
    return hex16(fnv1a(h, binary_identity()));
}

}  // namespace

sweep_spec load_sweep(const std::string& path) {
    std::vector<std::string> errors;
    sweep_spec s;
    s.file = path;
    bool ok = false;
    const YAML::Node root = load_yaml_file(path, "", errors, ok);
    if (!ok) throw config_error(errors);
    if (!root.IsMap()) throw config_error({path + ": expected a mapping with base and grid or points"});
    for (const auto& kv : root) {
        const std::string k = kv.first.Scalar();
        if (k != "base" && k != "grid" && k != "points") {
            const std::string best = closest_word(k, {"base", "grid", "points"});
            errors.push_back(fmt::format("{}: {}: unknown key ({}expected base, grid, points)", pos(path, kv.first), k,
                                         best.empty() ? "" : fmt::format("did you mean '{}'? ", best)));
        }
    }
    if (!root["base"] || !root["base"].IsScalar()) {
        errors.push_back(fmt::format("{}: base: expected the base scenario file", path));
    } else {
        fs::path b = root["base"].Scalar();
        if (b.is_relative()) b = fs::path(path).parent_path() / b;
        s.base = b.lexically_normal().string();
    }
    // grid: cartesian product, keys in file order, last key fastest; counted (with a limit)
    // before anything is built, enumerated lazily by point().
    if (const YAML::Node grid = root["grid"]) {
        s.is_grid = true;
        if (!grid.IsMap()) errors.push_back(fmt::format("{}: grid: expected a mapping of key.path: [values]", pos(path, grid)));
        else {
            uint64_t n = 1;
            bool too_many = false;
            for (const auto& kv : grid) {
                if (!kv.second.IsSequence() || kv.second.size() == 0) {
                    errors.push_back(fmt::format("{}: grid.{}: expected a non-empty list of values", pos(path, kv.second),
                                                 kv.first.Scalar()));
                    continue;
                }
                const uint64_t k = kv.second.size();
                if (n > sweep_spec::MAX_POINTS / k) too_many = true;
                n = too_many ? sweep_spec::MAX_POINTS + 1 : n * k;
            }
            if (too_many) {
                std::string sizes;
                for (const auto& kv : grid) sizes += (sizes.empty() ? "" : " x ") + std::to_string(kv.second.IsSequence() ? kv.second.size() : 0);
                errors.push_back(fmt::format("{}: grid: {} values give more than {} points, the largest sweep dtqvp runs; "
                                             "split it into several sweeps or use fewer values",
                                             pos(path, grid), sizes, sweep_spec::MAX_POINTS));
            } else if (errors.empty()) {
                for (const auto& kv : grid) {
                    std::vector<std::string> vals;
                    for (const auto& v : kv.second) vals.push_back(yaml_text(v));
                    s.grid.emplace_back(kv.first.Scalar(), std::move(vals));
                }
            }
        }
    }
    if (const YAML::Node list = root["points"]) {
        if (root["grid"]) errors.push_back(fmt::format("{}: points: give either grid or points, not both", pos(path, list)));
        else if (!list.IsSequence()) errors.push_back(fmt::format("{}: points: expected a list of mappings", pos(path, list)));
        else if (list.size() > sweep_spec::MAX_POINTS)
            errors.push_back(fmt::format("{}: points: {} points, more than {}, the largest sweep dtqvp runs; split it",
                                         pos(path, list), list.size(), sweep_spec::MAX_POINTS));
        else {
            for (const auto& item : list) {
                if (!item.IsMap()) {
                    errors.push_back(fmt::format("{}: points: expected a mapping of key.path: value", pos(path, item)));
                    continue;
                }
                sweep_point p;
                for (const auto& kv : item) p.sets.emplace_back(kv.first.Scalar(), yaml_text(kv.second));
                s.list.push_back(p);
            }
        }
    }
    if (!root["grid"] && !root["points"]) errors.push_back(fmt::format("{}: expected grid or points", path));
    if (!errors.empty()) throw config_error(errors);
    // Every point must be a valid scenario: fail before running anything. The base is read
    // once; a sweep of many bad points stops after a few of them.
    std::function<scenario_config(const std::vector<std::string>&)> load;
    try {
        load = config_schema::get().preload(s.base);
    } catch (const config_error& e) {
        for (const auto& m : e.messages()) errors.push_back(fmt::format("{}: base: {}", path, m));
        throw config_error(errors, e.suppressed());
    }
    const size_t n = s.size();
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
        try {
            const scenario_config c = load(s.point(i).overrides());
            if (auto pf = preflight(c); !pf.empty()) throw config_error(pf);
        } catch (const config_error& e) {
            if (++bad > 10) {
                errors.push_back(fmt::format("{}: more points are invalid; stopped validating at point {}", path, i));
                break;
            }
            for (const auto& m : e.messages()) errors.push_back(fmt::format("{}: point {}: {}", path, i, m));
        }
    }
    if (!errors.empty()) throw config_error(errors);
    return s;
}

std::string sweep_point_key(const sweep_spec& s, size_t i) {
    static std::map<std::string, std::function<scenario_config(const std::vector<std::string>&)>> cache;
    auto it = cache.find(s.base);
    if (it == cache.end()) it = cache.emplace(s.base, config_schema::get().preload(s.base)).first;
    return config_key(it->second(s.point(i).overrides()));
}

std::string sweep_point_dir(const std::string& out, size_t i) { return fmt::format("{}/points/{:04d}", out, i); }

namespace {

// Signals to the sweep process reach its workers: the handler records the signal, the
// loops waiting for workers forward it to every running worker, wait for them, then the
// sweep ends by the same signal (docs/user-guide.md#sweeps).
volatile std::sig_atomic_t g_signal = 0;
void on_signal(int sig) { g_signal = sig; }

struct signal_forwarding {
    struct sigaction old_int {}, old_term {}, old_hup {};
    signal_forwarding() {
        g_signal = 0;
        struct sigaction sa {};
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;  // no SA_RESTART: waitpid returns EINTR
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        sigaction(SIGHUP, &sa, &old_hup);
    }
    ~signal_forwarding() {
        sigaction(SIGINT, &old_int, nullptr);
        sigaction(SIGTERM, &old_term, nullptr);
        sigaction(SIGHUP, &old_hup, nullptr);
    }
    signal_forwarding(const signal_forwarding&) = delete;
    signal_forwarding& operator=(const signal_forwarding&) = delete;
};

// Forwards the pending signal to the workers, waits for them, then dies of the signal.
[[noreturn]] void die_of_signal(const std::vector<pid_t>& workers, bool quiet) {
    const int sig = g_signal;
    for (pid_t p : workers) kill(p, sig);
    for (pid_t p : workers) {
        int status = 0;
        while (waitpid(p, &status, 0) < 0 && errno == EINTR) {}
    }
    if (!quiet)
        std::cerr << fmt::format("\nsweep: stopped by signal {} ({} running points stopped; run the sweep again to resume)\n",
                                 sig, workers.size());
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    std::_Exit(128 + sig);
}

// What a point's point.json says about it, when it is for this point of this sweep: the
// key (a hash of the point's fully resolved configuration and of the binary) must match.
nlohmann::json point_meta(const sweep_spec& s, size_t i) {
    return {{"base", fs::weakly_canonical(s.base).string()}, {"overrides", s.point(i).overrides()}, {"key", sweep_point_key(s, i)}};
}

enum class saved_state { none, other, stale, done };

saved_state read_point_json(const sweep_spec& s, const std::string& dir, size_t i, int& exit_code) {
    std::ifstream pf(dir + "/point.json");
    if (!pf) return saved_state::none;
    try {
        nlohmann::json saved;
        pf >> saved;
        std::error_code ec1, ec2;
        const auto b1 = fs::weakly_canonical(saved.at("base").get<std::string>(), ec1);
        const auto b2 = fs::weakly_canonical(s.base, ec2);
        if (ec1 || ec2 || b1 != b2 || saved.at("overrides") != nlohmann::json(s.point(i).overrides()))
            return saved_state::other;
        if (!saved.contains("key") || saved.at("key") != sweep_point_key(s, i)) return saved_state::stale;
        exit_code = saved.at("exit_code").get<int>();
        return saved_state::done;
    } catch (...) {
        return saved_state::other;
    }
}

// A stats.json that a point's result can be read from.
bool valid_stats(const std::string& file) {
    std::ifstream f(file);
    if (!f) return false;
    try {
        nlohmann::json j;
        f >> j;
        return j.is_object() && j.contains("sim") && j.contains("stats") && j["stats"].is_object();
    } catch (...) {
        return false;
    }
}

// Whether point i has a good result; why not (for the user) in `why` when it has one.
bool finished(const sweep_spec& s, const std::string& out, size_t i, std::string& why) {
    const std::string dir = sweep_point_dir(out, i);
    int code = -1;
    const saved_state st = read_point_json(s, dir, i, code);
    if (st == saved_state::stale) why = "its configuration (base, includes, input files) or the dtqvp binary changed since it ran";
    if (st != saved_state::done || code != 0) return false;
    if (!valid_stats(dir + "/stats.json")) {
        why = dir + "/stats.json is missing or not a valid statistics file";
        return false;
    }
    return true;
}

pid_t spawn_point(const sweep_spec& s, const sweep_options& o, size_t i) {
    const std::string dir = sweep_point_dir(o.out_dir, i);
    fs::create_directories(dir);
    fs::remove(dir + "/point.json");  // no result until the worker ends
    std::vector<std::string> args = {o.self_exe, "run", s.base, "--quiet", "--out", dir};
    for (const auto& ov : s.point(i).overrides()) { args.push_back("--set"); args.push_back(ov); }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string log = dir + "/log.txt";
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    // The worker starts with the default dispositions (not this process's handlers).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t def;
    sigemptyset(&def);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&def, sig);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, o.self_exe.c_str(), &fa, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? pid : -1;
}

// Records the exit code of point i (127: the worker could not be started).
void write_point_json(const sweep_spec& s, const std::string& out, size_t i, int code) {
    nlohmann::json m = point_meta(s, i);
    m["exit_code"] = code;
    const std::string dir = sweep_point_dir(out, i);
    fs::create_directories(dir);
    write_output(dir + "/point.json", m.dump(2) + "\n");
}

int status_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

std::string csv_escape(const std::string& v) {
    if (v.find_first_of(",\"\n") == std::string::npos) return v;
    std::string s = "\"";
    for (char c : v) s += c == '"' ? std::string("\"\"") : std::string(1, c);
    return s + "\"";
}

}  // namespace

void claim_sweep_dir(const sweep_spec& s, const sweep_options& o) {
    const std::string file = o.out_dir + "/sweep.json";
    const std::string id = s.identity();
    std::error_code ec;
    const bool used = fs::exists(o.out_dir + "/points", ec) && !fs::is_empty(o.out_dir + "/points", ec);
    std::string other;
    if (std::ifstream f{file}) {
        try {
            nlohmann::json j;
            f >> j;
            if (j.at("identity").get<std::string>() != id) other = j.value("sweep", std::string("another sweep"));
        } catch (...) {
            other = "an unreadable sweep.json";
        }
    } else if (used) {
        other = "results of unknown origin (no sweep.json)";
    }
    if (!other.empty()) {
        if (!o.force)
            throw sweep_error(fmt::format("--out {} holds the points of another sweep ({}: other base or points); "
                                          "give another --out, or --force to replace them",
                                          o.out_dir, other),
                              EXIT_BAD_CONFIG);
        // --force: the other sweep's points and results go; this sweep starts afresh.
        fs::remove_all(o.out_dir + "/points", ec);
        fs::remove(o.out_dir + "/results.csv", ec);
        fs::remove(o.out_dir + "/results.json", ec);
        if (!o.quiet) std::cerr << fmt::format("sweep: --force: removed the points of {} from {}\n", other, o.out_dir);
    }
    fs::create_directories(o.out_dir + "/points");
    write_output(file, nlohmann::json{{"sweep", s.file}, {"base", s.base}, {"points", s.size()}, {"identity", id}}.dump(2) + "\n");
}

std::vector<size_t> sweep_todo(const sweep_spec& s, const std::string& out) {
    std::vector<size_t> todo;
    for (size_t i = 0; i < s.size(); ++i) {
        std::string why;
        if (!finished(s, out, i, why)) {
            todo.push_back(i);
            if (!why.empty()) std::cerr << fmt::format("sweep: point {}: {}: running it again\n", i, why);
        }
    }
    return todo;
}

int run_sweep_point(const sweep_spec& s, const sweep_options& o, size_t i) {
    signal_forwarding sf;
    const pid_t pid = spawn_point(s, o, i);
    int code = 127;
    if (pid >= 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) break;
            if (g_signal) die_of_signal({pid}, o.quiet);
        }
        code = status_code(status);
    }
    write_point_json(s, o.out_dir, i, code);
    return code;
}

int run_sweep(const sweep_spec& s, const sweep_options& o) {
    claim_sweep_dir(s, o);
    const size_t n = s.size();
    const std::vector<size_t> todo = sweep_todo(s, o.out_dir);
    const size_t skipped = n - todo.size();
    if (!o.quiet && skipped) std::cerr << fmt::format("sweep: {} of {} points already done, resuming\n", skipped, n);
    signal_forwarding sf;
    std::map<pid_t, size_t> running;
    size_t next = 0, completed = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto report = [&](size_t i, int code) {
        write_point_json(s, o.out_dir, i, code);
        ++completed;
        if (code != 0 && !o.quiet)
            std::cerr << fmt::format("sweep: point {} failed with exit code {} (see {}/log.txt)\n", i, code,
                                     sweep_point_dir(o.out_dir, i));
    };
    auto workers = [&] {
        std::vector<pid_t> v;
        for (const auto& [pid, i] : running) v.push_back(pid);
        return v;
    };
    while (next < todo.size() || !running.empty()) {
        if (g_signal) die_of_signal(workers(), o.quiet);
        while (next < todo.size() && running.size() < std::max(1u, o.jobs)) {
            const size_t i = todo[next++];
            const pid_t pid = spawn_point(s, o, i);
            if (pid < 0) { report(i, 127); continue; }
            running[pid] = i;
        }
        if (running.empty()) break;
        int status = 0;
        const pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        auto it = running.find(pid);
        if (it == running.end()) continue;
        const size_t i = it->second;
        running.erase(it);
        report(i, status_code(status));
        if (o.progress && !o.quiet) {
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const size_t left = n - completed - skipped;
            std::cerr << fmt::format("\rsweep: {}/{} points ({:.0f}%), {:.1f} points/min{}   ", completed + skipped, n,
                                     100.0 * double(completed + skipped) / double(std::max<size_t>(n, 1)),
                                     60.0 * completed / std::max(wall, 1e-9),
                                     completed ? fmt::format(", about {:.0f} s left", wall / completed * left) : "")
                      << std::flush;
        }
    }
    if (o.progress && !o.quiet) std::cerr << '\n';
    return collect_sweep(s, o.out_dir, o.quiet, false);
}

int collect_sweep(const sweep_spec& s, const std::string& out_dir, bool quiet, bool report_failures) {
    const size_t n = s.size();
    std::vector<int> codes(n, -1);
    std::set<std::string> keys, stat_keys;
    for (const auto& [k, vals] : s.grid) keys.insert(k);
    for (const auto& p : s.list)
        for (const auto& [k, v] : p.sets) keys.insert(k);
    std::vector<size_t> missing;
    // Pass 1: exit codes and the statistics' names (nothing of the values is kept).
    const auto read_stats = [&](size_t i, nlohmann::json& stats) {
        std::ifstream f(sweep_point_dir(out_dir, i) + "/stats.json");
        try {
            f >> stats;
            (void)stats.at("sim");
            if (!stats.at("stats").is_object()) return false;
            return true;
        } catch (...) {
            return false;
        }
    };
    for (size_t i = 0; i < n; ++i) {
        const std::string dir = sweep_point_dir(out_dir, i);
        const saved_state st = read_point_json(s, dir, i, codes[i]);
        if (st != saved_state::done) codes[i] = -1;
        if (codes[i] == 0) {
            nlohmann::json stats;
            if (read_stats(i, stats))
                for (const auto& [k, v] : stats["stats"].items()) stat_keys.insert(k);
            else
                codes[i] = 126;
        }
        if (report_failures && !quiet) {
            if (st == saved_state::none) missing.push_back(i);
            else if (st == saved_state::other)
                std::cerr << fmt::format("sweep: point {}: {}/point.json is for other overrides or another base; "
                                         "not using it\n", i, dir);
            else if (st == saved_state::stale)
                std::cerr << fmt::format("sweep: point {}: {}/point.json is stale (the configuration or the dtqvp binary "
                                         "changed since it ran); not using it\n", i, dir);
            else if (codes[i] == 126)
                std::cerr << fmt::format("sweep: point {}: {}/stats.json is missing or unreadable\n", i, dir);
            else if (codes[i] != 0)
                std::cerr << fmt::format("sweep: point {} failed with exit code {} (see {}/log.txt)\n", i, codes[i], dir);
        }
    }
    // A Slurm task killed by its time limit, cancelled or lost says why in its output file.
    for (size_t k = 0; k < std::min<size_t>(missing.size(), 10); ++k) {
        const std::string task_out = fmt::format("{}/slurm/task-{}.out", out_dir, missing[k]);
        std::string line, last;
        for (std::ifstream f(task_out); std::getline(f, line);)
            if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
        std::cerr << fmt::format("sweep: point {} has no result{}\n", missing[k],
                                 last.empty() ? std::string() : fmt::format(" ({}: {})", task_out, last));
    }
    if (missing.size() > 10) std::cerr << fmt::format("sweep: ... and {} more\n", missing.size() - 10);
    if (!missing.empty())
        std::cerr << fmt::format("sweep: {} of {} points have no result (not run, or not finished): exit code -1\n",
                                 missing.size(), n);
    // The statistics' units, from the first point that has them (the same for every point).
    nlohmann::json units = nlohmann::json::object();
    for (size_t i = 0; i < n && units.empty(); ++i) {
        if (codes[i] != 0) continue;
        try {
            std::ifstream f(sweep_point_dir(out_dir, i) + "/stats.json");
            nlohmann::json stats;
            f >> stats;
            for (const auto& [k, v] : stats.at("stats").items()) units[k] = v.value("unit", "");
        } catch (...) {
            units = nlohmann::json::object();
        }
    }
    // Pass 2: both files, streamed point by point (checked writes, temporary + rename).
    output_file fj(out_dir + "/results.json");
    output_file csv(out_dir + "/results.csv");
    fj.write(fmt::format("{{\n  \"sweep\": {},\n  \"base\": {},\n  \"units\": {},\n  \"points\": [", nlohmann::json(s.file).dump(),
                         nlohmann::json(s.base).dump(), units.dump()));
    std::string line = "point,exit_code";
    for (const auto& k : keys) line += ',' + csv_escape(k);
    line += ",simulated_cycles";
    for (const auto& k : stat_keys) line += ',' + csv_escape(k);
    csv.write(line + '\n');
    // results_units.csv: the same header and one row, each column's unit (pandas.read_csv of
    // results.csv is unchanged; read the units beside it).
    {
        std::string u = line + "\n,";
        for (size_t k = 0; k < keys.size(); ++k) u += ',';
        u += ",cycles";
        for (const auto& k : stat_keys) u += ',' + csv_escape(units.value(k, std::string()));
        write_output(out_dir + "/results_units.csv", u + '\n');
    }
    int failed = 0;
    for (size_t i = 0; i < n; ++i) {
        failed += codes[i] != 0;
        const sweep_point pt = s.point(i);
        nlohmann::json p{{"point", i}, {"exit_code", codes[i]}, {"overrides", pt.overrides()}};
        if (codes[i] == 0) {
            nlohmann::json stats;
            read_stats(i, stats);
            p["sim"] = stats["sim"];
            p["stats"] = nlohmann::json::object();
            for (const auto& [k, v] : stats["stats"].items()) p["stats"][k] = v.is_object() && v.contains("value") ? v["value"] : nlohmann::json();
        }
        fj.write((i ? ",\n    " : "\n    ") + p.dump());
        line = fmt::format("{},{}", i, codes[i]);
        std::map<std::string, std::string> set(pt.sets.begin(), pt.sets.end());
        for (const auto& k : keys) line += ',' + csv_escape(set.count(k) ? set[k] : "");
        line += ',' + (p.contains("sim") && p["sim"].contains("simulated_cycles") ? p["sim"]["simulated_cycles"].dump() : "");
        for (const auto& k : stat_keys) {
            line += ',';
            if (p.contains("stats") && p["stats"].contains(k) && !p["stats"][k].is_null()) line += p["stats"][k].dump();
        }
        csv.write(line + '\n');
    }
    fj.write("\n  ]\n}\n");
    fj.commit();
    csv.commit();
    if (!quiet)
        std::cout << fmt::format("sweep: {} points, {} failed; results in {}/results.csv and results.json\n", n, failed,
                                 out_dir);
    return failed;
}

}  // namespace dtq
