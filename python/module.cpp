// The Python module `dtqvp` (its C++ part, dtqvp._core): runs a scenario or a sweep and returns
// the statistics as Python objects (docs/python.md).
//
// One SystemC elaboration per process (E529), and the simulator's static libraries are not
// position-independent: every simulation runs the dtqvp binary in a subprocess of the module
// (`dtqvp run SCENARIO --set ... --out TMP -q`, `dtqvp sweep SWEEP --out DIR -q -j N`), whose
// stdout and stderr are captured and whose stats.json / results.json are read back. So a run
// from Python gives the CLI's numbers, messages and exit codes by construction. The binary is
// $DTQVP_EXE, else the dtqvp found beside or above the module (installed: PREFIX/bin/dtqvp
// from PREFIX/lib/python3/dist-packages/dtqvp/; build tree: build/dtqvp from build/python/dtqvp/).
#include <dlfcn.h>
#include <poll.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

extern char** environ;

namespace py = pybind11;
namespace fs = std::filesystem;

namespace {

struct child_result {
    int exit_code = 0;
    std::string stdout_text, stderr_text;
};

[[noreturn]] void raise_error(const std::string& message, int code) {
    py::object err = py::module_::import("dtqvp").attr("Error");
    PyErr_SetObject(err.ptr(), err(message, code).ptr());
    throw py::error_already_set();
}

std::string module_dir() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&module_dir), &info) == 0 || !info.dli_fname) return {};
    std::error_code ec;
    const fs::path p = fs::canonical(info.dli_fname, ec);
    return ec ? std::string() : p.parent_path().string();
}

bool is_exe(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

std::string find_exe() {
    if (const char* env = std::getenv("DTQVP_EXE"); env && *env) return env;
    fs::path d = module_dir();
    for (int up = 0; up <= 5 && !d.empty(); ++up) {
        if (up > 0 && is_exe(d / "dtqvp")) return (d / "dtqvp").string();  // build/dtqvp (not the package dir)
        if (is_exe(d / "bin" / "dtqvp")) return (d / "bin" / "dtqvp").string();
        if (d == d.parent_path()) break;
        d = d.parent_path();
    }
    raise_error("dtqvp: error: cannot find the dtqvp binary beside or above the module " + module_dir() +
                    " (set DTQVP_EXE)",
                2);
}

// Runs argv with stdout and stderr captured (both pipes read until they close, so a child
// printing a lot does not block).
child_result spawn(const std::vector<std::string>& argv) {
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0) throw std::runtime_error("dtqvp: cannot create a pipe");
    if (pipe(err_pipe) != 0) {
        close(out_pipe[0]);
        close(out_pipe[1]);
        throw std::runtime_error("dtqvp: cannot create a pipe");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) posix_spawn_file_actions_addclose(&fa, fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    close(err_pipe[1]);
    child_result r;
    if (rc != 0) {
        close(out_pipe[0]);
        close(err_pipe[0]);
        raise_error("dtqvp: error: cannot run " + argv[0] + ": " + std::strerror(rc), 2);
    }
    py::gil_scoped_release nogil;  // other Python threads run meanwhile
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* dst[2] = {&r.stdout_text, &r.stderr_text};
    int open_fds = 2;
    char buf[8192];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                dst[i]->append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return r;
}

py::object to_py(const nlohmann::json& j) {
    return py::module_::import("json").attr("loads")(j.dump());  // ints stay ints, floats floats
}

// {"key": value} or ["key=value"] -> --set arguments; Python True/False -> YAML true/false.
std::vector<std::string> set_args(const py::object& sets) {
    std::vector<std::string> v;
    if (sets.is_none()) return v;
    auto add = [&](const std::string& s) {
        v.push_back("--set");
        v.push_back(s);
    };
    if (py::isinstance<py::dict>(sets)) {
        for (const auto& [k, val] : sets.cast<py::dict>()) {
            std::string text;
            if (py::isinstance<py::bool_>(val)) text = val.cast<bool>() ? "true" : "false";
            else text = py::str(val).cast<std::string>();
            add(py::str(k).cast<std::string>() + "=" + text);
        }
    } else if (py::isinstance<py::str>(sets)) {
        add(sets.cast<std::string>());
    } else {
        for (const auto& s : sets) add(py::str(s).cast<std::string>());
    }
    return v;
}

std::string make_temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "dtqvp-py-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("dtqvp: cannot create a temporary directory");
    return tmpl;
}

struct temp_dir {
    std::string path;
    bool remove = false;
    ~temp_dir() {
        std::error_code ec;
        if (remove) fs::remove_all(path, ec);
    }
};

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

[[noreturn]] void raise_child(const child_result& r) {
    std::string msg = trimmed(r.stderr_text);
    if (msg.empty()) msg = trimmed(r.stdout_text);
    if (msg.empty()) msg = "dtqvp: the run ended with exit code " + std::to_string(r.exit_code);
    raise_error(msg, r.exit_code);
}

// DIR/points/NNNN (platform/sweep.cpp, sweep_point_dir).
std::string fmt_point_dir(const std::string& out, size_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "/points/%04zu", i);
    return out + buf;
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw std::runtime_error("dtqvp: " + path + " was not written");
    return nlohmann::json::parse(f);
}

py::dict run(const std::string& scenario, const py::object& sets, const std::string& out, const std::string& trace) {
    temp_dir dir{out.empty() ? make_temp_dir() : out, out.empty()};
    std::vector<std::string> argv{find_exe(), "run", scenario, "--quiet", "--out", dir.path};
    for (auto& s : set_args(sets)) argv.push_back(std::move(s));
    if (!trace.empty()) argv.insert(argv.end(), {"--trace", trace});
    const child_result r = spawn(argv);
    if (r.exit_code != 0) raise_child(r);
    py::dict d = to_py(read_json(dir.path + "/stats.json")).cast<py::dict>();
    d["log"] = r.stdout_text;
    d["warnings"] = r.stderr_text;
    if (!dir.remove) d["out_dir"] = dir.path;
    return d;
}

// The value of key.path in a resolved config (typed); None when absent.
nlohmann::json config_value(const nlohmann::json& config, const std::string& key) {
    const nlohmann::json* n = &config;
    std::stringstream ss(key);
    for (std::string part; std::getline(ss, part, '.');) {
        if (!n->is_object() || !n->contains(part)) return nullptr;
        n = &(*n)[part];
    }
    return *n;
}

py::list sweep(const std::string& sweep_file, const std::string& out, unsigned jobs) {
    temp_dir dir{out.empty() ? make_temp_dir() : out, out.empty()};
    const child_result r = spawn({find_exe(), "sweep", sweep_file, "--quiet", "--out", dir.path, "-j",
                                  std::to_string(std::max(1u, jobs))});
    // Exit code 3 with results.json: some points failed (their rows say so); anything else raises.
    if (r.exit_code != 0 && !(r.exit_code == 3 && fs::exists(dir.path + "/results.json"))) raise_child(r);
    const nlohmann::json res = read_json(dir.path + "/results.json");
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& p : res.at("points")) {
        nlohmann::json row{{"point", p.at("point")}, {"exit_code", p.at("exit_code")}};
        nlohmann::json config;
        const std::string pdir = fmt_point_dir(dir.path, p.at("point").get<size_t>());
        if (p.at("exit_code") == 0) config = read_json(pdir + "/stats.json").value("config", nlohmann::json::object());
        for (const auto& o : p.at("overrides")) {
            const std::string s = o.get<std::string>();
            const std::string key = s.substr(0, s.find('='));
            // Typed from the point's resolved config; the override's text when it did not run.
            nlohmann::json v = config_value(config, key);
            row[key] = v.is_null() ? nlohmann::json(s.substr(s.find('=') + 1)) : v;
        }
        if (p.contains("sim")) row["simulated_cycles"] = p["sim"].at("simulated_cycles");
        if (p.contains("stats"))
            for (const auto& [k, v] : p["stats"].items()) row[k] = v;
        if (p.at("exit_code") != 0) {
            std::ifstream lf(pdir + "/log.txt");
            std::stringstream ss;
            ss << lf.rdbuf();
            row["error"] = trimmed(ss.str());
        }
        rows.push_back(row);
    }
    return to_py(rows).cast<py::list>();
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "dtqvp's core: runs the dtqvp binary in a subprocess per simulation (docs/python.md)";
    m.def("run", &run, py::arg("scenario"), py::arg("sets") = py::none(), py::arg("out") = "", py::arg("trace") = "");
    m.def("sweep", &sweep, py::arg("sweep"), py::arg("out") = "", py::arg("jobs") = 1);
    m.def("exe", &find_exe);
    m.def("command", [](const std::vector<std::string>& args) {
        std::vector<std::string> argv{find_exe()};
        argv.insert(argv.end(), args.begin(), args.end());
        const child_result r = spawn(argv);
        return py::make_tuple(r.exit_code, r.stdout_text, r.stderr_text);
    });
}
