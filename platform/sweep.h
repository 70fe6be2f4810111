// Sweeps: a grid (or list) of --set overrides over a base scenario, each point run by
// a worker process (one SystemC elaboration per process), collected into
// DIR/results.csv and DIR/results.json. Resumable: a point whose directory already
// holds a stats.json for the same overrides is not run again. A failing point is
// reported and the sweep goes on. Results do not depend on the number of workers.
#pragma once
#include <string>
#include <vector>

namespace dtq {

struct sweep_point {
    std::vector<std::pair<std::string, std::string>> sets;  // key.path, value (YAML text)
    std::vector<std::string> overrides() const;             // "key.path=value"
};

struct sweep_spec {
    std::string file;       // the sweep file
    std::string base;       // base scenario, resolved path
    std::vector<sweep_point> points;
};

// Reads and validates a sweep file (every point is checked against the schema); throws
// config_error with positions.
sweep_spec load_sweep(const std::string& path);

struct sweep_options {
    std::string out_dir = "sweep_out";
    unsigned jobs = 1;
    bool quiet = false;
    bool progress = false;
    std::string self_exe;   // the dtqvp binary that runs a point
};

// Runs (or resumes) the sweep; returns the number of failed points.
int run_sweep(const sweep_spec& s, const sweep_options& o);

}  // namespace dtq
