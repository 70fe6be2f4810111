#include "platform/sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "platform/config.h"

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

namespace {

struct point_result {
    int exit_code = -1;
    nlohmann::json stats;  // stats.json of the point
};

std::string point_dir(const std::string& out, size_t i) { return fmt::format("{}/points/{:04d}", out, i); }

bool finished(const std::string& dir, const nlohmann::json& point) {
    std::ifstream pf(dir + "/point.json");
    if (!pf || !fs::exists(dir + "/stats.json")) return false;
    try {
        nlohmann::json saved;
        pf >> saved;
        return saved == point && saved.value("exit_code", -1) == 0;
    } catch (...) {
        return false;
    }
}

pid_t spawn_point(const sweep_spec& s, const sweep_options& o, size_t i) {
    const std::string dir = point_dir(o.out_dir, i);
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

std::string csv_escape(const std::string& v) {
    if (v.find_first_of(",\"\n") == std::string::npos) return v;
    std::string s = "\"";
    for (char c : v) s += c == '"' ? std::string("\"\"") : std::string(1, c);
    return s + "\"";
}

}  // namespace

int run_sweep(const sweep_spec& s, const sweep_options& o) {
    fs::create_directories(o.out_dir + "/points");
    const size_t n = s.points.size();
    std::vector<nlohmann::json> meta(n);
    std::vector<int> codes(n, -1);
    std::vector<size_t> todo;
    for (size_t i = 0; i < n; ++i) {
        meta[i] = {{"base", s.base}, {"overrides", s.points[i].overrides()}};
        nlohmann::json done = meta[i];
        done["exit_code"] = 0;
        if (finished(point_dir(o.out_dir, i), done)) codes[i] = 0;
        else todo.push_back(i);
    }
    const size_t skipped = n - todo.size();
    if (!o.quiet && skipped) std::cerr << fmt::format("sweep: {} of {} points already done, resuming\n", skipped, n);
    std::map<pid_t, size_t> running;
    size_t next = 0, completed = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (next < todo.size() || !running.empty()) {
        while (next < todo.size() && running.size() < std::max(1u, o.jobs)) {
            const size_t i = todo[next++];
            const pid_t pid = spawn_point(s, o, i);
            if (pid < 0) { codes[i] = 127; continue; }
            running[pid] = i;
        }
        if (running.empty()) break;
        int status = 0;
        const pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) break;
        auto it = running.find(pid);
        if (it == running.end()) continue;
        const size_t i = it->second;
        running.erase(it);
        codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        nlohmann::json m = meta[i];
        m["exit_code"] = codes[i];
        std::ofstream(point_dir(o.out_dir, i) + "/point.json") << m.dump(2) << '\n';
        ++completed;
        if (codes[i] != 0 && !o.quiet)
            std::cerr << fmt::format("sweep: point {} failed with exit code {} (see {}/log.txt)\n", i, codes[i],
                                     point_dir(o.out_dir, i));
        if (o.progress && !o.quiet) {
            const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::cerr << fmt::format("\rsweep: {}/{} points, {:.1f} points/min   ", completed + skipped, n,
                                     60.0 * completed / std::max(wall, 1e-9))
                      << std::flush;
        }
    }
    if (o.progress && !o.quiet) std::cerr << '\n';

    // Collect, in point order.
    nlohmann::json all = nlohmann::json::array();
    std::set<std::string> keys, stat_keys;
    for (size_t i = 0; i < n; ++i)
        for (const auto& [k, v] : s.points[i].sets) keys.insert(k);
    std::vector<nlohmann::json> stats(n);
    for (size_t i = 0; i < n; ++i) {
        nlohmann::json p{{"point", i}, {"exit_code", codes[i]}, {"overrides", s.points[i].overrides()}};
        if (codes[i] == 0) {
            std::ifstream f(point_dir(o.out_dir, i) + "/stats.json");
            try {
                f >> stats[i];
                p["sim"] = stats[i]["sim"];
                p["stats"] = nlohmann::json::object();
                for (const auto& [k, v] : stats[i]["stats"].items()) {
                    p["stats"][k] = v["value"];
                    stat_keys.insert(k);
                }
            } catch (...) {
                p["exit_code"] = codes[i] = 126;
            }
        }
        all.push_back(p);
    }
    std::ofstream(o.out_dir + "/results.json") << nlohmann::json{{"sweep", s.file}, {"base", s.base}, {"points", all}}.dump(2)
                                               << '\n';
    std::ofstream csv(o.out_dir + "/results.csv");
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
    if (!o.quiet)
        std::cout << fmt::format("sweep: {} points, {} failed; results in {}/results.csv and results.json\n", n, failed,
                                 o.out_dir);
    return failed;
}

}  // namespace dtq
