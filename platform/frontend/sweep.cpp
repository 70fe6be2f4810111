#include "platform/frontend/sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "platform/config/config.h"

extern char** environ;

namespace dtq {

namespace fs = std::filesystem;

std::vector<std::string> sweep_point::overrides() const {
    std::vector<std::string> v;
    for (const auto& [k, val] : sets) v.push_back(k + "=" + val);
    return v;
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

}  // namespace

sweep_spec load_sweep(const std::string& path) {
    std::vector<std::string> errors;
    sweep_spec s;
    s.file = path;
    YAML::Node root;
    if (!fs::is_regular_file(path)) throw config_error({path + ": no such file"});
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        throw config_error({fmt::format("{}:{}:{}: syntax error: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg)});
    }
    if (!root.IsMap()) throw config_error({path + ": expected a mapping with base and grid or points"});
    for (const auto& kv : root) {
        const std::string k = kv.first.Scalar();
        if (k != "base" && k != "grid" && k != "points")
            errors.push_back(fmt::format("{}: {}: unknown key (expected base, grid, points)", pos(path, kv.first), k));
    }
    if (!root["base"] || !root["base"].IsScalar()) {
        errors.push_back(fmt::format("{}: base: expected the base scenario file", path));
    } else {
        fs::path b = root["base"].Scalar();
        if (b.is_relative()) b = fs::path(path).parent_path() / b;
        s.base = b.lexically_normal().string();
    }
    // grid: cartesian product, keys in file order, last key fastest.
    std::vector<sweep_point> points{sweep_point{}};
    if (const YAML::Node grid = root["grid"]) {
        if (!grid.IsMap()) errors.push_back(fmt::format("{}: grid: expected a mapping of key.path: [values]", pos(path, grid)));
        else
            for (const auto& kv : grid) {
                if (!kv.second.IsSequence() || kv.second.size() == 0) {
                    errors.push_back(fmt::format("{}: grid.{}: expected a non-empty list of values", pos(path, kv.second),
                                                 kv.first.Scalar()));
                    continue;
                }
                std::vector<sweep_point> next;
                for (const auto& p : points)
                    for (const auto& v : kv.second) {
                        sweep_point q = p;
                        q.sets.emplace_back(kv.first.Scalar(), yaml_text(v));
                        next.push_back(q);
                    }
                points = std::move(next);
            }
    }
    if (const YAML::Node list = root["points"]) {
        if (root["grid"]) errors.push_back(fmt::format("{}: points: give either grid or points, not both", pos(path, list)));
        else if (!list.IsSequence()) errors.push_back(fmt::format("{}: points: expected a list of mappings", pos(path, list)));
        else {
            points.clear();
            for (const auto& item : list) {
                if (!item.IsMap()) {
                    errors.push_back(fmt::format("{}: points: expected a mapping of key.path: value", pos(path, item)));
                    continue;
                }
                sweep_point p;
                for (const auto& kv : item) p.sets.emplace_back(kv.first.Scalar(), yaml_text(kv.second));
                points.push_back(p);
            }
        }
    }
    if (!root["grid"] && !root["points"]) errors.push_back(fmt::format("{}: expected grid or points", path));
    if (!errors.empty()) throw config_error(errors);
    // Every point must be a valid scenario: fail before running anything.
    for (size_t i = 0; i < points.size(); ++i) {
        try {
            config_schema::get().load(s.base, points[i].overrides());
        } catch (const config_error& e) {
            for (const auto& m : e.messages()) errors.push_back(fmt::format("{}: point {}: {}", path, i, m));
        }
    }
    if (!errors.empty()) throw config_error(errors);
    s.points = std::move(points);
    return s;
}

std::string sweep_point_dir(const std::string& out, size_t i) { return fmt::format("{}/points/{:04d}", out, i); }

namespace {

// What a point's point.json says about it, when it is for this point of this sweep.
// The base is kept and compared as a canonical path: the same sweep run from another
// directory (or by a Slurm task) finds its points.
nlohmann::json point_meta(const sweep_spec& s, size_t i) {
    return {{"base", fs::weakly_canonical(s.base).string()}, {"overrides", s.points[i].overrides()}};
}

enum class saved_state { none, other, done };

saved_state read_point_json(const sweep_spec& s, const std::string& dir, size_t i, int& exit_code) {
    std::ifstream pf(dir + "/point.json");
    if (!pf) return saved_state::none;
    try {
        nlohmann::json saved;
        pf >> saved;
        std::error_code ec1, ec2;
        const auto b1 = fs::weakly_canonical(saved.at("base").get<std::string>(), ec1);
        const auto b2 = fs::weakly_canonical(s.base, ec2);
        if (ec1 || ec2 || b1 != b2 || saved.at("overrides") != nlohmann::json(s.points[i].overrides()))
            return saved_state::other;
        exit_code = saved.at("exit_code").get<int>();
        return saved_state::done;
    } catch (...) {
        return saved_state::other;
    }
}

bool finished(const sweep_spec& s, const std::string& out, size_t i) {
    const std::string dir = sweep_point_dir(out, i);
    int code = -1;
    return read_point_json(s, dir, i, code) == saved_state::done && code == 0 && fs::exists(dir + "/stats.json");
}

pid_t spawn_point(const sweep_spec& s, const sweep_options& o, size_t i) {
    const std::string dir = sweep_point_dir(o.out_dir, i);
    fs::create_directories(dir);
    std::vector<std::string> args = {o.self_exe, "run", s.base, "--quiet", "--out", dir};
    for (const auto& ov : s.points[i].overrides()) { args.push_back("--set"); args.push_back(ov); }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string log = dir + "/log.txt";
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, o.self_exe.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

// Records the exit code of point i (127: the worker could not be started).
void write_point_json(const sweep_spec& s, const std::string& out, size_t i, int code) {
    nlohmann::json m = point_meta(s, i);
    m["exit_code"] = code;
    const std::string dir = sweep_point_dir(out, i);
    fs::create_directories(dir);
    std::ofstream(dir + "/point.json") << m.dump(2) << '\n';
}

int status_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

std::string csv_escape(const std::string& v) {
    if (v.find_first_of(",\"\n") == std::string::npos) return v;
    std::string s = "\"";
    for (char c : v) s += c == '"' ? std::string("\"\"") : std::string(1, c);
    return s + "\"";
}

}  // namespace

std::vector<size_t> sweep_todo(const sweep_spec& s, const std::string& out) {
    std::vector<size_t> todo;
    for (size_t i = 0; i < s.points.size(); ++i)
        if (!finished(s, out, i)) todo.push_back(i);
    return todo;
}

int run_sweep_point(const sweep_spec& s, const sweep_options& o, size_t i) {
    const pid_t pid = spawn_point(s, o, i);
    int code = 127;
    if (pid >= 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        code = status_code(status);
    }
    write_point_json(s, o.out_dir, i, code);
    return code;
}

int run_sweep(const sweep_spec& s, const sweep_options& o) {
    fs::create_directories(o.out_dir + "/points");
    const size_t n = s.points.size();
    const std::vector<size_t> todo = sweep_todo(s, o.out_dir);
    const size_t skipped = n - todo.size();
    if (!o.quiet && skipped) std::cerr << fmt::format("sweep: {} of {} points already done, resuming\n", skipped, n);
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
    while (next < todo.size() || !running.empty()) {
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
            std::cerr << fmt::format("\rsweep: {}/{} points, {:.1f} points/min   ", completed + skipped, n,
                                     60.0 * completed / std::max(wall, 1e-9))
                      << std::flush;
        }
    }
    if (o.progress && !o.quiet) std::cerr << '\n';
    return collect_sweep(s, o.out_dir, o.quiet, false);
}

int collect_sweep(const sweep_spec& s, const std::string& out_dir, bool quiet, bool report_failures) {
    const size_t n = s.points.size();
    std::vector<int> codes(n, -1);
    nlohmann::json all = nlohmann::json::array();
    std::set<std::string> keys, stat_keys;
    for (size_t i = 0; i < n; ++i)
        for (const auto& [k, v] : s.points[i].sets) keys.insert(k);
    std::vector<size_t> missing;
    for (size_t i = 0; i < n; ++i) {
        const std::string dir = sweep_point_dir(out_dir, i);
        const saved_state st = read_point_json(s, dir, i, codes[i]);
        if (st != saved_state::done) codes[i] = -1;
        nlohmann::json p{{"point", i}, {"exit_code", codes[i]}, {"overrides", s.points[i].overrides()}};
        if (codes[i] == 0) {
            std::ifstream f(dir + "/stats.json");
            try {
                nlohmann::json stats;
                f >> stats;
                p["sim"] = stats.at("sim");
                p["stats"] = nlohmann::json::object();
                for (const auto& [k, v] : stats.at("stats").items()) {
                    p["stats"][k] = v["value"];
                    stat_keys.insert(k);
                }
            } catch (...) {
                p["exit_code"] = codes[i] = 126;
                p.erase("sim");
                p.erase("stats");
            }
        }
        if (report_failures && !quiet) {
            if (st == saved_state::none) missing.push_back(i);
            else if (st == saved_state::other)
                std::cerr << fmt::format("sweep: point {}: {}/point.json is for other overrides or another base; "
                                         "not using it\n", i, dir);
            else if (codes[i] == 126)
                std::cerr << fmt::format("sweep: point {}: {}/stats.json is missing or unreadable\n", i, dir);
            else if (codes[i] != 0)
                std::cerr << fmt::format("sweep: point {} failed with exit code {} (see {}/log.txt)\n", i, codes[i], dir);
        }
        all.push_back(p);
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
    std::ofstream(out_dir + "/results.json") << nlohmann::json{{"sweep", s.file}, {"base", s.base}, {"points", all}}.dump(2)
                                             << '\n';
    std::ofstream csv(out_dir + "/results.csv");
    csv << "point,exit_code";
    for (const auto& k : keys) csv << ',' << csv_escape(k);
    csv << ",simulated_cycles";
    for (const auto& k : stat_keys) csv << ',' << csv_escape(k);
    csv << '\n';
    int failed = 0;
    for (size_t i = 0; i < n; ++i) {
        failed += codes[i] != 0;
        csv << i << ',' << codes[i];
        std::map<std::string, std::string> set(s.points[i].sets.begin(), s.points[i].sets.end());
        for (const auto& k : keys) csv << ',' << csv_escape(set.count(k) ? set[k] : "");
        const auto& p = all[i];
        csv << ',' << (p.contains("sim") ? p["sim"]["simulated_cycles"].dump() : "");
        for (const auto& k : stat_keys) {
            csv << ',';
            if (p.contains("stats") && p["stats"].contains(k) && !p["stats"][k].is_null()) csv << p["stats"][k].dump();
        }
        csv << '\n';
    }
    if (!quiet)
        std::cout << fmt::format("sweep: {} points, {} failed; results in {}/results.csv and results.json\n", n, failed,
                                 out_dir);
    return failed;
}

}  // namespace dtq
