// The Slurm backend of `dtqvp sweep`: an array job whose task I runs
// `dtqvp sweep SWEEP --out DIR --run-point I` (the local backend's worker), submitted
// with sbatch, watched with squeue, collected with collect_sweep.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "platform/platform.h"
#include "platform/frontend/sweep.h"

extern char** environ;

namespace dtq {

namespace fs = std::filesystem;

namespace {

struct proc_result {
    int code = -1;
    std::string out, err;
    int spawn_errno = 0;  // posix_spawnp failed (ENOENT: not on PATH)
    bool timed_out = false;
};

// Runs args[0] (looked up on PATH), stdin from /dev/null, and captures its stdout and
// stderr. A command still running after timeout_s seconds is killed.
proc_result run_capture(const std::vector<std::string>& args, double timeout_s) {
    proc_result r;
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0) {
        r.spawn_errno = errno;
        return r;
    }
    if (pipe2(pe, O_CLOEXEC) != 0) {
        r.spawn_errno = errno;
        close(po[0]);
        close(po[1]);
        return r;
    }
    std::vector<std::string> a = args;
    std::vector<char*> argv;
    for (auto& s : a) argv.push_back(s.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    if (rc != 0) {
        r.spawn_errno = rc;
        close(po[0]);
        close(pe[0]);
        return r;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
    std::string* dst[2] = {&r.out, &r.err};
    int open_fds = 2;
    while (open_fds > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        const int n = poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (n < 0 && errno != EINTR) break;
        for (int k = 0; k < 2; ++k) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            const ssize_t got = read(fds[k].fd, buf, sizeof buf);
            if (got > 0)
                dst[k]->append(buf, static_cast<size_t>(got));
            else if (got == 0 || errno != EINTR) {
                close(fds[k].fd);
                fds[k].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) close(f.fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    return s.substr(b);
}

std::string sh_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// A #SBATCH value: double-quoted when it holds blanks or quotes.
std::string directive_value(const std::string& s) {
    if (s.find_first_of(" \t\"'") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\\\"") : std::string(1, c);
    return q + "\"";
}

// 0,1,2,5,7,8 -> "0-2,5,7-8"
std::string array_spec(const std::vector<size_t>& idx) {
    std::string s;
    for (size_t k = 0; k < idx.size();) {
        size_t e = k;
        while (e + 1 < idx.size() && idx[e + 1] == idx[e] + 1) ++e;
        if (!s.empty()) s += ',';
        s += e == k ? fmt::format("{}", idx[k]) : fmt::format("{}-{}", idx[k], idx[e]);
        k = e + 1;
    }
    return s;
}

std::string not_found_hint(const std::string& cmd) {
    return fmt::format(
        "{} not found on PATH: is Slurm installed here? (scripts/slurm-local.sh sets up a one-node "
        "cluster on this machine)",
        cmd);
}

struct queue_state {
    bool known = true;  // false: squeue does not know the job (finished and purged)
    size_t pending = 0, running = 0;
    size_t active() const { return pending + running; }
};

// The job's tasks that are not finished. Throws sweep_error when squeue cannot answer.
queue_state query_queue(const std::string& job) {
    const proc_result q =
        run_capture({"squeue", "--noheader", "--array", "--jobs", job, "--format", "%i %T"}, 60);
    if (q.spawn_errno == ENOENT) throw sweep_error(not_found_hint("squeue"), EXIT_SIM_ERROR);
    if (q.spawn_errno)
        throw sweep_error(fmt::format("cannot run squeue: {}", std::strerror(q.spawn_errno)), EXIT_SIM_ERROR);
    queue_state st;
    if (q.timed_out || q.code != 0) {
        if (q.err.find("Invalid job id") != std::string::npos) {
            st.known = false;
            return st;
        }
        throw sweep_error(q.timed_out ? "squeue did not answer within 60 s"
                                      : fmt::format("squeue failed (exit code {}): {}", q.code, trim(q.err)),
                          EXIT_SIM_ERROR);
    }
    std::istringstream in(q.out);
    std::string id, state;
    while (in >> id >> state) {
        if (state == "RUNNING" || state == "COMPLETING" || state == "CONFIGURING")
            ++st.running;
        else if (state == "COMPLETED" || state == "FAILED" || state == "CANCELLED" || state == "TIMEOUT" ||
                 state == "NODE_FAIL" || state == "OUT_OF_MEMORY" || state == "BOOT_FAIL" ||
                 state == "DEADLINE")
            continue;
        else
            ++st.pending;
    }
    return st;
}

}  // namespace

int run_sweep_slurm(const sweep_spec& s, const sweep_options& o) {
    const std::string slurm_dir = o.out_dir + "/slurm";
    claim_sweep_dir(s, o);
    fs::create_directories(slurm_dir);
    const size_t n = s.size();
    const std::vector<size_t> todo = sweep_todo(s, o.out_dir);
    if (!o.quiet && todo.size() < n)
        std::cerr << fmt::format("sweep: {} of {} points already done, resuming\n", n - todo.size(), n);
    if (todo.empty()) return collect_sweep(s, o.out_dir, o.quiet, true);

    // One job per output directory at a time: two would write the same points.
    const std::string job_file = slurm_dir + "/job_id";
    if (std::ifstream jf{job_file}) {
        std::string old;
        jf >> old;
        if (!old.empty()) {
            const proc_result q =
                run_capture({"squeue", "--noheader", "--array", "--jobs", old, "--format", "%i"}, 60);
            if (q.code == 0 && !trim(q.out).empty())
                throw sweep_error(
                    fmt::format("Slurm job {} of an earlier `sweep --backend slurm` still runs points of "
                                "{}; wait for it and collect with `dtqvp sweep {} --collect {}`, or "
                                "cancel it with `scancel {}`",
                                old, o.out_dir, o.sweep_arg, o.out_dir, old),
                    EXIT_BAD_CONFIG);
        }
    }

    // A point to run has no result until its task writes one.
    for (size_t i : todo) {
        fs::remove(sweep_point_dir(o.out_dir, i) + "/point.json");
        fs::remove(fmt::format("{}/task-{}.out", slurm_dir, i));
    }

    const std::string cwd = fs::current_path().string();
    const std::string script = slurm_dir + "/sweep.sbatch";
    {
        std::ofstream f(script);
        f << "#!/bin/bash\n"
          << "# Written by `dtqvp sweep --backend slurm`: one array task per point of " << s.file << ";\n"
          << "# task I runs the local backend's worker for point I and writes its point.json.\n"
          << "# Resubmit with `sbatch " << script << "` from " << cwd << ".\n"
          << "#SBATCH --job-name=dtqvp-sweep\n"
          << "#SBATCH --array=" << array_spec(todo) << (o.jobs_given ? fmt::format("%{}", o.jobs) : "")
          << '\n'
          << "#SBATCH --ntasks=1\n"
          << "#SBATCH --cpus-per-task=1\n"
          << "#SBATCH --chdir=" << directive_value(cwd) << '\n'
          << "#SBATCH --output="
          << directive_value(fs::absolute(slurm_dir).lexically_normal().string() + "/task-%a.out") << '\n';
        if (!o.slurm_partition.empty())
            f << "#SBATCH --partition=" << directive_value(o.slurm_partition) << '\n';
        if (!o.slurm_time.empty()) f << "#SBATCH --time=" << directive_value(o.slurm_time) << '\n';
        f << "exec " << sh_quote(o.self_exe) << " sweep " << sh_quote(o.sweep_arg) << " --out "
          << sh_quote(o.out_dir) << " --run-point \"$SLURM_ARRAY_TASK_ID\"\n";
        if (!f) throw sweep_error(fmt::format("cannot write {}", script), EXIT_BAD_CONFIG);
    }

    const proc_result sub = run_capture({"sbatch", "--parsable", script}, 120);
    if (sub.spawn_errno == ENOENT)
        throw sweep_error(fmt::format("{}; the job script is {}", not_found_hint("sbatch"), script),
                          EXIT_BAD_CONFIG);
    if (sub.spawn_errno)
        throw sweep_error(fmt::format("cannot run sbatch: {}", std::strerror(sub.spawn_errno)),
                          EXIT_BAD_CONFIG);
    if (sub.timed_out) throw sweep_error("sbatch did not answer within 120 s", EXIT_BAD_CONFIG);
    const std::string out = trim(sub.out);
    const std::string job = out.substr(0, out.find(';'));
    if (sub.code != 0 || job.empty() || job.find_first_not_of("0123456789") != std::string::npos) {
        std::string msg = fmt::format("sbatch did not submit {} (exit code {})", script, sub.code);
        if (!trim(sub.err).empty())
            msg += ":\n" + trim(sub.err);
        else if (!out.empty())
            msg += ": unexpected output '" + out + "'";
        if (todo.back() > 1000)
            msg += fmt::format(
                "\n(array index {} is above 1000: Slurm's MaxArraySize, 1001 by default, "
                "may be too small for this sweep)",
                todo.back());
        throw sweep_error(msg, EXIT_BAD_CONFIG);
    }
    std::ofstream(job_file) << job << '\n';
    if (!o.quiet)
        std::cerr << fmt::format("sweep: submitted Slurm job {} ({} tasks, {})\n", job, todo.size(), script);

    // Wait: squeue lists the tasks not yet finished; a job it no longer knows is finished.
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    double pause = 0.25;
    bool timed_out = false;
    size_t left = todo.size();
    int squeue_errors = 0;
    for (;;) {
        queue_state st;
        try {
            st = query_queue(job);
            squeue_errors = 0;
        } catch (const sweep_error& e) {
            // A busy controller can fail a query now and then; give up after a few in a row.
            if (++squeue_errors >= 5)
                throw sweep_error(fmt::format("{}\nthe tasks of job {} may still run: collect later with "
                                              "`dtqvp sweep {} --collect {}`",
                                              e.what(), job, o.sweep_arg, o.out_dir),
                                  EXIT_SIM_ERROR);
        }
        if (squeue_errors == 0) {
            left = st.known ? st.active() : 0;
            if (o.progress && !o.quiet) {
                const size_t done = todo.size() - std::min(left, todo.size());
                std::cerr << fmt::format(
                                 "\rsweep: Slurm job {}: {}/{} points done, {} running, {} pending, "
                                 "{:.1f} points/min   ",
                                 job, done + n - todo.size(), n, st.running, st.pending,
                                 60.0 * static_cast<double>(done) / std::max(elapsed(), 1e-9))
                          << std::flush;
            }
            if (left == 0) break;
        }
        if (o.slurm_timeout > 0 && elapsed() >= o.slurm_timeout) {
            timed_out = true;
            break;
        }
        double nap = pause;
        if (o.slurm_timeout > 0) nap = std::min(nap, std::max(0.0, o.slurm_timeout - elapsed()));
        std::this_thread::sleep_for(std::chrono::duration<double>(nap));
        pause = std::min(pause * 1.5, std::max(0.25, o.slurm_poll_max));
    }
    if (o.progress && !o.quiet) std::cerr << '\n';
    const double wall = elapsed();
    if (timed_out) {
        std::cerr << fmt::format(
            "sweep: timed out after {:g} s waiting for Slurm job {}: {} of {} tasks not finished; they "
            "keep running: collect later with `dtqvp sweep {} --collect {}`, or cancel them "
            "with `scancel {}`\n",
            o.slurm_timeout, job, left, todo.size(), o.sweep_arg, o.out_dir, job);
    } else if (!o.quiet) {
        std::cerr << fmt::format("sweep: Slurm job {} finished in {:.1f} s ({:.1f} points/min)\n", job, wall,
                                 60.0 * static_cast<double>(todo.size()) / std::max(wall, 1e-9));
    }
    return collect_sweep(s, o.out_dir, o.quiet, true);
}

}  // namespace dtq
