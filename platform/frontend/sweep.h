// Sweeps: a grid (or list) of --set overrides over a base scenario, each point run by
// a worker process (one SystemC elaboration per process), collected into
// DIR/results.csv and DIR/results.json. Resumable: a point whose directory already
// holds a stats.json for the same overrides is not run again. A failing point is
// reported and the sweep goes on. Results do not depend on the number of workers.
//
// Two backends run the same worker (run_sweep_point: `dtqvp run BASE --set ... --out
// DIR/points/NNNN` in a child process, then DIR/points/NNNN/point.json with its exit
// code): the local one as child processes of this one, the Slurm one as the tasks of an
// array job (`dtqvp sweep SWEEP --run-point I` per task). Both end with collect_sweep,
// which reads only the point directories, so `--collect DIR` gives the same files later.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dtq {

struct sweep_point {
    std::vector<std::pair<std::string, std::string>> sets;  // key.path, value (YAML text)
    std::vector<std::string> overrides() const;             // "key.path=value"
};

// The points are enumerated lazily: a grid keeps its axes and point(i) builds point i
// (mixed radix, last key fastest), so memory does not grow with the number of points.
struct sweep_spec {
    // Largest number of points a sweep may have (docs/user-guide.md#sweeps): a larger grid
    // is refused before anything is allocated.
    static constexpr uint64_t MAX_POINTS = 100000;

    std::string file;       // the sweep file
    std::string base;       // base scenario, resolved path
    std::vector<std::pair<std::string, std::vector<std::string>>> grid;  // key.path, values (grid form)
    std::vector<sweep_point> list;  // the points form
    bool is_grid = false;

    size_t size() const;
    sweep_point point(size_t i) const;
    // Identifies the sweep's point set (the out directory's sweep.json): the base and every point.
    std::string identity() const;
};

// Reads and validates a sweep file (every point is checked against the schema); throws
// config_error with positions.
sweep_spec load_sweep(const std::string& path);

struct sweep_options {
    std::string out_dir = "sweep_out";
    unsigned jobs = 1;
    bool jobs_given = false;  // -j was given (Slurm: at most `jobs` tasks run at a time)
    bool quiet = false;
    bool progress = false;
    std::string self_exe;     // the dtqvp binary that runs a point
    std::string sweep_arg;    // the sweep file as given on the command line (Slurm job script)
    // Slurm backend
    std::string slurm_partition;  // sbatch --partition (empty: the cluster's default)
    std::string slurm_time;       // sbatch --time per task (empty: the partition's default)
    double slurm_timeout = 0;     // seconds to wait for the job after submission; 0: no limit
    double slurm_poll_max = 10;   // longest pause between two squeue calls, seconds
    bool force = false;           // run into an --out that holds another sweep's points
};

// An --out directory that holds another sweep's results is refused unless o.force
// (throws sweep_error, exit 2); writes DIR/sweep.json naming this sweep.
void claim_sweep_dir(const sweep_spec& s, const sweep_options& o);

// The key of a point's result: a hash of the point's fully resolved configuration and of
// the dtqvp version. A stored point whose key differs is run again.
std::string sweep_point_key(const sweep_spec& s, size_t i);

// A sweep that cannot be run or watched (sbatch missing, submission refused, squeue
// failing); exit_code is the command's exit code (docs/user-guide.md#exit-codes).
struct sweep_error : std::runtime_error {
    int exit_code;
    sweep_error(const std::string& what, int code) : std::runtime_error(what), exit_code(code) {}
};

std::string sweep_point_dir(const std::string& out_dir, size_t i);  // DIR/points/NNNN

// The points not yet finished in out_dir (no point.json for these overrides with exit
// code 0 and a stats.json): what a backend runs.
std::vector<size_t> sweep_todo(const sweep_spec& s, const std::string& out_dir);

// Local backend: runs (or resumes) the sweep with o.jobs worker processes, then collects;
// returns the number of failed points.
int run_sweep(const sweep_spec& s, const sweep_options& o);

// Slurm backend: writes DIR/slurm/sweep.sbatch (an array job, one task per point not yet
// finished), submits it with sbatch, waits for its tasks (squeue), then collects; returns
// the number of failed points (a point whose task did not finish counts as failed).
// Throws sweep_error when sbatch is missing or refuses the job.
int run_sweep_slurm(const sweep_spec& s, const sweep_options& o);

// The worker both backends run for point i: runs it in a child process, writes its
// point.json; returns the point's exit code.
int run_sweep_point(const sweep_spec& s, const sweep_options& o, size_t i);

// Reads every point directory under out_dir and writes out_dir/results.csv and
// results.json (in point order). A point without a result (not run, or its task did not
// finish) gets exit code -1. Failures are printed on stderr when report_failures.
// Returns the number of points that failed or have no result.
int collect_sweep(const sweep_spec& s, const std::string& out_dir, bool quiet, bool report_failures);

}  // namespace dtq
