#!/usr/bin/python3
"""dtqvp benchmark harness (issue #13 item 1; docs/performance.md#benchmarks).

Runs the entries of bench/bench.yaml, prints a table (entry, figure, value, unit, target,
met?) and writes a JSON file with the machine, the git commit, the date and, per figure,
its value, unit, target and the exact command that produced it.

usage: bench/run_bench.py [--build DIR] [--out FILE] [--spec FILE] [--work DIR] [--quick] [--cg-build DIR]
                          [--no-instructions] [--only NAME ...]

An entry whose `requires` file is missing is reported as "not available (X missing)" and
the harness goes on; an entry whose command fails is reported as failed (exit code and the
end of its log) and the harness goes on. The exit code is 1 when any entry failed, else 0.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT_S = 300  # one command


class NotAvailable(Exception):
    pass


class Failed(Exception):
    pass


# ---- running one command ------------------------------------------------------------

GNU_TIME = "/usr/bin/time"


def run(cmd, log_path, capture=False, timeout=TIMEOUT_S):
    """Runs cmd from the repository root. Returns (stdout or None, wall seconds, peak RSS
    in MiB, CPU seconds (user + system)) of the process and its waited-for descendants
    (a sweep's workers). Raises Failed.

    Peak RSS: through GNU time (%M) when /usr/bin/time exists; the ru_maxrss that wait4
    gives this harness would include the Python image the child had before its exec
    (about 15 MiB), which would hide the RSS of a small run."""
    rss_file = log_path + ".maxrss"
    argv = [GNU_TIME, "-f", "%M", "-o", rss_file] + cmd if os.path.exists(GNU_TIME) else cmd
    with open(log_path, "w") as log:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE if capture else log, stderr=log,
                             start_new_session=True)
        killed = []

        def kill():
            killed.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill)
        timer.start()
        out = p.stdout.read().decode() if capture else None
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.stdout:
            p.stdout.close()
    if killed:
        raise Failed(f"timed out after {timeout} s: {shlex.join(cmd)} (log {rel(log_path)})")
    if p.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-600:]
        raise Failed(f"exit code {p.returncode}: {shlex.join(cmd)} (log {rel(log_path)})\n{tail}")
    rss_kib = ru.ru_maxrss
    if argv is not cmd:
        with open(rss_file) as f:
            rss_kib = int(f.read().split()[-1])
    return out, wall, rss_kib / 1024.0, ru.ru_utime + ru.ru_stime


def rel(path):
    p = os.path.relpath(path, ROOT)
    return path if p.startswith("..") else p


# ---- figures ------------------------------------------------------------------------

def check(value, target):
    if target is None or value is None:
        return None
    op, bound = target
    return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[op]


class Entry:
    def __init__(self, spec, args):
        self.spec = spec
        self.name = spec["name"]
        self.args = args
        self.figures = []
        self.commands = []
        self.out = os.path.join(args.work, self.name)

    def sub(self, items, out=None):
        m = {"dtqvp": rel(os.path.join(self.args.build, "dtqvp")), "build": rel(self.args.build),
             "out": rel(out or self.out), "nproc": os.cpu_count() or 1}
        return [str(x).format(**m) for x in items]

    def figure(self, name, value, unit, command, note=None):
        target = self.spec.get("targets", {}).get(name)
        f = {"name": name, "value": value, "unit": unit, "command": command,
             "target": f"{target[0]} {target[1]}" if target else None, "met": check(value, target)}
        if note:
            f["note"] = note
        self.figures.append(f)

    def fresh(self, path=None):
        path = path or self.out
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path


def model_gemm(e, gemms_file, extra_args, tag):
    exe = os.path.join(e.args.build, "bench", "model_gemm", "model_gemm")
    if not os.path.exists(exe):
        raise NotAvailable(f"{rel(exe)} not built (needs libopenblas-dev)")
    cmd = [rel(exe)] + [str(a) for a in extra_args] + [rel(gemms_file)]
    out, wall, rss, _ = run(cmd, os.path.join(e.out, f"model_gemm{tag}.log"), capture=True)
    j = json.loads(out)
    c = shlex.join(cmd)
    e.commands.append(c)
    with open(os.path.join(e.out, f"model_gemm{tag}.json"), "w") as f:
        f.write(out)
    if not j["blas"]["is_openblas"]:
        raise Failed(f"the BLAS called is not OpenBLAS: {j['blas']}")
    e.blas = j["blas"]
    e.figure("int8_wall_seconds", j["int8"]["wall_seconds"], "s", c,
             f"{j['calls_per_pass']} GEMMs, {j['macs_per_pass'] / 1e9:.2f} GMAC per pass, best of "
             f"{j['passes']} passes, {j['threads']} threads, kernel {j['int8']['kernel']}")
    e.figure("int8_gmacs", j["int8"]["gmacs_per_second"], "GMAC/s", c)
    e.figure("dgemm_wall_seconds", j["dgemm"]["wall_seconds"], "s", c,
             f"OpenBLAS {j['blas']['config']} ({j['blas']['library']}, {j['blas']['threads']} threads)")
    e.figure("dgemm_gmacs", j["dgemm"]["gmacs_per_second"], "GMAC/s", c)
    e.figure("dgemm_over_int8", j["ratio_dgemm_over_int8"], "x", c,
             "figure of merit: OpenBLAS dgemm wall time / gemm_s8 wall time on the same GEMMs (> 1: the VP's kernel is faster)")
    e.figure("model_gemm_peak_rss_mib", rss, "MiB", c)
    return j


def run_dtqvp(e, cmd, out, tag=""):
    c = shlex.join(cmd)
    _, wall, rss, _ = run(cmd, os.path.join(e.out, f"run{tag}.log"))
    with open(os.path.join(out, "stats.json")) as f:
        stats = json.load(f)
    return c, wall, rss, stats


def do_gemm(e):
    e.fresh()
    gemms = e.spec.get("quick_gemms") if e.args.quick and "quick_gemms" in e.spec else e.spec["gemms"]
    args = e.spec.get("quick_args", e.spec.get("args", [])) if e.args.quick else e.spec.get("args", [])
    model_gemm(e, os.path.join(ROOT, gemms), args, "")


def best_run(e, cmd, out, tag, repeat):
    """repeat runs of one dtqvp command; the fastest one's figures (least disturbed by
    other load), the largest peak RSS."""
    best = None
    rss_max = 0
    for i in range(repeat):
        c, wall, rss, stats = run_dtqvp(e, cmd, out, f"{tag}_{i}" if repeat > 1 else tag)
        rss_max = max(rss_max, rss)
        if best is None or wall < best[1]:
            best = (c, wall, rss, stats)
    return best[0], best[1], rss_max, best[3]


VALGRIND = "/usr/bin/valgrind"


def instructions(e, cmd):
    """The instruction count beside the wall time (docs/performance.md#instruction-counts):
    `valgrind --tool=callgrind` on the entry's command, or on a smaller case when the entry
    gives `instructions: {set: [k=v, ...]}` (each appended as --set k=v, e.g. fewer layers);
    the figure's note says which. callgrind's Ir total (every thread) is stable to well
    under 1 % between runs of one binary, where the wall time drifts by a third here.

    Valgrind (3.19) cannot run AVX-512 instructions, which the default -march=native build
    has on an AVX-512 machine, so the count is taken on the callgrind build (--cg-build,
    default build-cg: the same sources for x86-64-v3 = AVX2, see docs/performance.md)."""
    spec = e.spec.get("instructions")
    if spec is None or e.args.quick or e.args.no_instructions:
        return
    if not os.path.exists(VALGRIND):
        e.figure("instructions", None, "instr", "", "not available (valgrind missing)")
        return
    sets = [] if spec is True else [str(x) for x in spec.get("set", [])]
    exe = os.path.join(e.args.cg_build, "dtqvp")
    if not os.path.exists(exe):
        e.figure("instructions", None, "instr", "",
                 f"not available ({rel(exe)} not built: make bench-cg, docs/performance.md#instruction-counts)")
        return
    out = e.fresh(os.path.join(e.out, "callgrind"))
    cg = os.path.join(out, "callgrind.out")
    dtqvp = e.sub(["{dtqvp}"])[0]
    run_cmd = [rel(exe) if x == dtqvp else x for x in cmd]
    # the run's own --out: the smaller case writes elsewhere, so that the timed run's files stay
    if "--out" in run_cmd:
        run_cmd[run_cmd.index("--out") + 1] = rel(os.path.join(out, "run"))
    for kv in sets:
        run_cmd += ["--set", kv]
    # under callgrind the set-up (e.g. the weights) runs 50-100 x slower: the native firmware's
    # no-HAL-call wall limit (10 s) would stop the run before its first command
    run_cmd += ["--set", "host.native_wall_limit_s=86400"]
    full = [VALGRIND, "--tool=callgrind", f"--callgrind-out-file={rel(cg)}"] + run_cmd
    c = shlex.join(full)
    e.commands.append(c)
    run(full, os.path.join(out, "callgrind.log"), timeout=int(spec.get("timeout", TIMEOUT_S)) if isinstance(spec, dict) else TIMEOUT_S)
    total = None
    with open(cg) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    if total is None:
        raise Failed(f"{rel(cg)}: no 'totals:' or 'summary:' line")
    case = "the same command" if not sets else "a smaller case: the command with " + ", ".join(f"--set {x}" for x in sets)
    e.figure("instructions", total, "instr", c,
             f"instructions executed (valgrind --tool=callgrind, Ir, all threads) on {case}; stable between runs, "
             "compare it across commits with bench/compare.py")


def do_run(e):
    e.fresh()
    cmd = e.sub(e.spec["command"])
    e.commands.append(shlex.join(cmd))
    repeat = 1 if e.args.quick else int(e.spec.get("repeat", 1))
    c, wall, rss, stats = best_run(e, cmd, e.out, "", repeat)
    sim = stats.get("sim", {})
    best = f" (best of {repeat} runs)" if repeat > 1 else ""
    e.figure("wall_seconds", wall, "s", c, "process wall time, start to exit" + best)
    if "wall_seconds" in sim:
        e.figure("sim_wall_seconds", sim["wall_seconds"], "s", c, "stats.json sim.wall_seconds (the simulation itself)" + best)
    if "simulated_cycles" in sim:
        e.figure("simulated_cycles", sim["simulated_cycles"], "cycles", c)
    if "cycles_per_second" in sim:
        e.figure("sim_cycles_per_second", sim["cycles_per_second"], "cycles/s", c, "stats.json sim.cycles_per_second")
    e.figure("peak_rss_mib", rss, "MiB", c, "maximum resident set size (GNU time %M)")
    instructions(e, cmd)
    if e.spec.get("gemm_compare"):
        gj = os.path.join(e.out, "gemms.json")
        if not os.path.exists(gj):
            e.figure("dgemm_over_int8", None, "x", c, f"not available ({rel(gj)} not written by the run)")
            return
        with open(gj) as f:
            g = json.load(f)
        g = g["gemms"] if isinstance(g, dict) else g
        macs = sum(x["m"] * x["n"] * x["k"] * x.get("count", 1) for x in g)
        e.figure("effective_gmacs", macs / wall / 1e9, "GMAC/s", c,
                 f"{macs / 1e9:.2f} GMAC in the run's gemms.json / process wall time")
        j = model_gemm(e, gj, ["--passes", "1" if e.args.quick else "3"], "")
        e.figure("dgemm_over_vp_wall", j["dgemm"]["wall_seconds"] / wall, "x", c + " ; " + e.commands[-1],
                 "figure of merit of the functional run: OpenBLAS dgemm wall on the run's GEMMs / the VP's "
                 "process wall (> 1: the whole VP run is faster than OpenBLAS on its GEMMs alone)")


def do_variants(e):
    """One dtqvp command with each variant's extra arguments, interleaved (a burst of other
    load hits every variant alike), best of `repeat` by sim.wall_seconds each; figures: each
    variant's sim.wall_seconds and simulated cycles, and `<a>_over_<b>` for each `ratios` pair."""
    e.fresh()
    repeat = 1 if e.args.quick else int(e.spec.get("repeat", 1))
    runs, res = {}, {}
    for name, extra in e.spec["variants"].items():
        out = e.fresh(os.path.join(e.out, name))
        runs[name] = (e.sub(e.spec["command"], out) + [str(x) for x in extra], out)
        e.commands.append(shlex.join(runs[name][0]))
    for i in range(repeat):
        for name, (cmd, out) in runs.items():
            r = run_dtqvp(e, cmd, out, f"_{name}_{i}")
            if name not in res or r[3]["sim"]["wall_seconds"] < res[name][3]["sim"]["wall_seconds"]:
                res[name] = r
    best = f", best of {repeat} runs" if repeat > 1 else ""
    for name, (c, wall, rss, stats) in res.items():
        e.figure(f"{name}_sim_wall_seconds", stats["sim"]["wall_seconds"], "s", c, "stats.json sim.wall_seconds" + best)
        e.figure(f"{name}_simulated_cycles", stats["sim"]["simulated_cycles"], "cycles", c)
    for a, b in e.spec.get("ratios", []):
        wa, wb = res[a][3]["sim"]["wall_seconds"], res[b][3]["sim"]["wall_seconds"]
        e.figure(f"{a}_over_{b}", wa / wb, "x", res[a][0] + " ; " + res[b][0], f"sim.wall_seconds {a} / {b}" + best)


def do_cosim(e):
    e.fresh()
    repeat = int(e.spec.get("repeat", 1))
    res = {}
    runs = {}
    for backend in ("model", "rtl", "lockstep"):
        out = e.fresh(os.path.join(e.out, backend))
        runs[backend] = (e.sub(e.spec["command"], out) + ["--set", f"vssa.backend={backend}"], out)
        e.commands.append(shlex.join(runs[backend][0]))
    for i in range(repeat):  # interleaved, so that a burst of other load hits every backend alike
        for backend, (cmd, out) in runs.items():
            r = run_dtqvp(e, cmd, out, f"_{backend}_{i}")
            if backend not in res or r[3]["sim"]["wall_seconds"] < res[backend][3]["sim"]["wall_seconds"]:
                res[backend] = r[:2] + (max(r[2], res[backend][2] if backend in res else 0),) + r[3:]
    best = f", best of {repeat} runs" if repeat > 1 else ""
    for backend, (c, wall, rss, stats) in res.items():
        sim = stats["sim"]
        tiles = stats["stats"].get("vssa.iterations", {}).get("value", 0)
        e.figure(f"{backend}_sim_wall_seconds", sim["wall_seconds"], "s", c, "stats.json sim.wall_seconds" + best)
        e.figure(f"{backend}_sim_cycles_per_second", sim["cycles_per_second"], "cycles/s", c,
                 f"{sim['simulated_cycles']} accelerator cycles (11 arrays in parallel) / sim.wall_seconds")
        if tiles:
            e.figure(f"{backend}_tiles_per_second", tiles / sim["wall_seconds"], "tiles/s", c,
                     f"vssa.iterations ({tiles} tiles of 16 x 18) / sim.wall_seconds")
        e.figure(f"{backend}_peak_rss_mib", rss, "MiB", c)
    both = e.commands[1] + " ; " + e.commands[2]
    rtl_w, lock_w = res["rtl"][3]["sim"]["wall_seconds"], res["lockstep"][3]["sim"]["wall_seconds"]
    e.figure("lockstep_overhead_over_rtl", (lock_w - rtl_w) / rtl_w, "ratio", both,
             "(lockstep - rtl) / rtl, sim.wall_seconds" + best)
    model_w = res["model"][3]["sim"]["wall_seconds"]
    e.figure("rtl_over_model", rtl_w / model_w, "x", e.commands[0] + " ; " + e.commands[1],
             "rtl backend wall / model backend wall, sim.wall_seconds")


def do_tiles(e):
    e.fresh()
    cmd = e.sub(e.spec["command"])
    if not os.path.exists(os.path.join(ROOT, cmd[0])):
        raise NotAvailable(f"{cmd[0]} not built (needs libopenblas-dev)")
    c = shlex.join(cmd)
    e.commands.append(c)
    out, _, _, _ = run(cmd, os.path.join(e.out, "vssa_bench.log"), capture=True)
    with open(os.path.join(e.out, "vssa_bench.txt"), "w") as f:
        f.write(out)
    rows = {}
    for line in out.splitlines():
        w = line.split()
        if len(w) == 5 and w[0] in ("model", "model-t", "rtl", "lockstep") and w[1].isdigit():
            rows[w[0]] = (int(w[2]), float(w[3]), float(w[4]))
    if "rtl" not in rows:
        raise NotAvailable("vssa_bench has no rtl row (DTQ_COSIM=OFF)")
    for b, (cyc, wall, rate) in rows.items():
        e.figure(f"{b}_cycles_per_second", rate, "cycles/s", c, f"{cyc} array cycles in {wall:.3f} s")
    e.figure("lockstep_overhead_over_rtl", (rows["lockstep"][1] - rows["rtl"][1]) / rows["rtl"][1], "ratio", c,
             "(lockstep - rtl) / rtl wall; lockstep = tile model + RTL + compare")
    e.figure("rtl_over_model", rows["rtl"][1] / rows["model"][1], "x", c)


def do_sweep(e):
    e.fresh()
    walls = {}
    n_points = None
    for jobs in (1, 2):
        out = os.path.join(e.out, f"j{jobs}")
        shutil.rmtree(out, ignore_errors=True)  # a sweep resumes: start from nothing
        cmd = e.sub(e.spec["command"], out) + ["-j", str(jobs)]
        c = shlex.join(cmd)
        e.commands.append(c)
        _, wall, rss, cpu = run(cmd, os.path.join(e.out, f"sweep_j{jobs}.log"))
        with open(os.path.join(out, "results.json")) as f:
            res = json.load(f)
        points = res if isinstance(res, list) else res.get("points", [])
        n_points = len(points)
        walls[jobs] = wall
        e.figure(f"points_per_minute_j{jobs}", n_points / wall * 60, "points/min", c,
                 f"{n_points} points in {wall:.2f} s")
        e.figure(f"cpu_per_wall_j{jobs}", cpu / wall, "cores", c,
                 "CPU seconds (user + system, sweep and workers) / wall: the cores the sweep really got")
        e.figure(f"peak_rss_mib_j{jobs}", rss, "MiB", c, "largest of the sweep process and its workers")
    e.figure("scaling", walls[1] / walls[2], "x", " ; ".join(e.commands), "wall(-j 1) / wall(-j 2)")


def do_iss(e):
    """The rv32 ISS (host.cpu rv32) beside the native host: a compute loop's instructions per
    second, the wall cost of one MMIO access and of one command round trip. Each rv32 figure
    subtracts a run with N = 0 (ELF load, crt0) from the run with N; the native figures are
    bench_hal's (tests/host/bench_hal.cpp)."""
    e.fresh()
    elf = os.path.join(e.args.build, "sw", "riscv", "iss_bench.elf")
    if not os.path.exists(elf):
        e.figure("compute_instructions_per_second", None, "instr/s", "", f"not available ({rel(elf)} not built: sw_riscv)")
        return
    quick = e.args.quick
    sizes = {"compute": 20000000 if quick else 100000000, "mmio": 100000 if quick else 1000000,
             "roundtrip": 2000 if quick else 20000}
    res = {}
    for mode, n in sizes.items():
        for k in (0, n):
            out = e.fresh(os.path.join(e.out, f"{mode}_{k}"))
            cmd = e.sub(e.spec["command"], out) + ["--set", f"workload.firmware_elf={elf}",
                                                   "--set", f"workload.firmware_args={mode} {k}"]
            e.commands.append(shlex.join(cmd))
            best = None
            for _ in range(1 if quick else int(e.spec.get("repeat", 1))):
                c, wall, rss, stats = run_dtqvp(e, cmd, out, f"_{mode}_{k}")
                w = stats["sim"]["wall_seconds"]
                if best is None or w < best[0]:
                    best = (w, stats["stats"]["host.instructions"]["value"], c)
            res[(mode, k)] = best
    (w0, i0, _), (w1, i1, c) = res[("compute", 0)], res[("compute", sizes["compute"])]
    e.figure("compute_instructions_per_second", (i1 - i0) / max(w1 - w0, 1e-9), "instr/s", c,
             f"{i1 - i0} instructions of a multiply-add loop / the simulation's wall time (sim.wall_seconds) beyond the N = 0 run")
    for mode, fig, what in (("mmio", "mmio_access_ns", "one controller register read (load -> MMIO callback -> TLM -> ctrl)"),
                            ("roundtrip", "command_round_trip_us", "one NOP command: submit, interrupt, WFI wake-up")):
        n = sizes[mode]
        (w0, _, _), (w1, _, c) = res[(mode, 0)], res[(mode, n)]
        scale = 1e9 if fig.endswith("_ns") else 1e6
        e.figure(fig, (w1 - w0) / n * scale, "ns" if scale == 1e9 else "us", c, f"rv32: {what}, wall time, {n} of them")
    hal = os.path.join(e.args.build, "tests", "host", "bench_hal")
    if os.path.exists(hal):
        cmd = [hal, "200000" if quick else "2000000", "2000" if quick else "20000"]
        e.commands.append(shlex.join(cmd))
        text = subprocess.run(cmd, capture_output=True, text=True).stdout
        m1 = re.search(r"register read.*?([0-9.]+) ns/access", text)
        m2 = re.search(r"command round trip.*?([0-9.]+) ns/command", text)
        if m1:
            e.figure("native_mmio_access_ns", float(m1.group(1)), "ns", shlex.join(cmd), "native: one register read through the HAL")
        if m2:
            e.figure("native_command_round_trip_us", float(m2.group(1)) / 1000, "us", shlex.join(cmd),
                     "native: one NOP command round trip")


def fit_line(xs, ys):
    """Least squares y = a + b x: (a, b, r2, largest |residual| / y)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return a, b, 1 - ss_res / ss_tot if ss_tot else 1.0, max(abs(y - a - b * x) / y for x, y in zip(xs, ys))


def do_scale(e):
    """One command at several sizes (`sizes: {key: K, values: [...]}`, each as --set K=V): per
    size the process wall, its CPU seconds (user + system: less disturbed by other load than
    the wall), peak RSS and the work (`work`: a statistic of stats.json, e.g. dma.bytes);
    then least-squares fits of wall and CPU seconds against the work, y = a + b work: the
    cost is linear in the work when r2 is near 1 and every residual small."""
    e.fresh()
    key, values = e.spec["sizes"]["key"], e.spec["sizes"]["values"]
    work_stat = e.spec["work"]
    pts = []
    for v in values:
        out = e.fresh(os.path.join(e.out, str(v)))
        cmd = e.sub(e.spec["command"], out) + ["--set", f"{key}={v}"]
        c = shlex.join(cmd)
        e.commands.append(c)
        _, wall, rss, cpu = run(cmd, os.path.join(e.out, f"run_{v}.log"), timeout=int(e.spec.get("timeout", TIMEOUT_S)))
        with open(os.path.join(out, "stats.json")) as f:
            stats = json.load(f)
        work = stats["stats"][work_stat]["value"]
        pts.append((v, work, wall, cpu))
        e.figure(f"wall_seconds_{v}", wall, "s", c, f"{key} = {v}: process wall time")
        e.figure(f"cpu_seconds_{v}", cpu, "s", c, f"{key} = {v}: user + system CPU seconds of the process")
        e.figure(f"peak_rss_mib_{v}", rss, "MiB", c, f"{key} = {v}: maximum resident set size (GNU time %M)")
        e.figure(f"work_{v}", work, work_stat, c, f"{key} = {v}: stats.json {work_stat}")
        if "simulated_cycles" in stats.get("sim", {}):
            e.figure(f"simulated_cycles_{v}", stats["sim"]["simulated_cycles"], "cycles", c)
    allc = " ; ".join(e.commands)
    for what, idx in (("cpu", 3), ("wall", 2)):
        a, b, r2, res = fit_line([p[1] for p in pts], [p[idx] for p in pts])
        e.figure(f"{what}_fit_ns_per_unit", b * 1e9, f"ns/{work_stat}", allc,
                 f"least-squares {what} seconds = a + b x {work_stat} over {key} = {values}: b")
        e.figure(f"{what}_fit_intercept_seconds", a, "s", allc, "a of that fit")
        e.figure(f"{what}_fit_r2", r2, "ratio", allc, "coefficient of determination of that fit")
        e.figure(f"{what}_fit_max_rel_residual", res, "ratio", allc, "largest |measured - fit| / measured over the sizes")


KINDS = {"scale": do_scale, "gemm": do_gemm, "run": do_run, "variants": do_variants, "cosim": do_cosim, "tiles": do_tiles, "sweep": do_sweep, "iss": do_iss}


# ---- machine ------------------------------------------------------------------------

def machine():
    cpu = "?"
    flags = ""
    ident = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            k, _, v = line.partition(":")
            k = k.strip()
            if k == "model name" and cpu == "?":
                cpu = v.strip()
            if k in ("vendor_id", "cpu family", "model", "stepping") and k not in ident:
                ident[k] = v.strip()
            if k == "flags" and not flags:
                flags = v.split()
    lscpu = {}
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            k, _, v = line.partition(":")
            lscpu[k.strip()] = v.strip()
    except OSError:
        pass
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    return {
        "cpu_model": cpu,
        "cpu_id": f"{ident.get('vendor_id', '?')} family {ident.get('cpu family', '?')} model {ident.get('model', '?')} "
                  f"stepping {ident.get('stepping', '?')}",
        "cores": os.cpu_count(),
        "nproc": len(os.sched_getaffinity(0)),
        "threads_per_core": lscpu.get("Thread(s) per core"),
        "cores_per_socket": lscpu.get("Core(s) per socket"),
        "hypervisor": lscpu.get("Hypervisor vendor"),
        "simd": [x for x in ("avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni") if x in flags],
        "memory_mib": mem,
        "kernel": platform.release(),
        "loadavg_start": list(os.getloadavg()),
    }


def git(*a):
    try:
        return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


# ---- main ---------------------------------------------------------------------------

def fmt_value(v):
    if v is None:
        return "-"
    if isinstance(v, int):
        return str(v)
    if abs(v) >= 1e5:
        return f"{v:.3e}"
    return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results.json"))
    ap.add_argument("--spec", default=os.path.join(ROOT, "bench", "bench.yaml"))
    ap.add_argument("--work", help="scratch directory of the entries' outputs and logs (default BUILD/bench_out)")
    ap.add_argument("--quick", action="store_true", help="only the entries marked quick, in their quick form")
    ap.add_argument("--cg-build", help="the build whose dtqvp callgrind counts (default build-cg: x86-64-v3, no AVX-512)")
    ap.add_argument("--no-instructions", action="store_true",
                    help="skip the callgrind instruction counts (they take a minute or two per entry)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="only these entries (names or prefixes)")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.cg_build = os.path.abspath(args.cg_build or os.path.join(ROOT, "build-cg"))
    args.work = os.path.abspath(args.work or os.path.join(args.build, "bench_out"))
    with open(args.spec) as f:
        spec = yaml.safe_load(f)
    entries = spec["entries"]
    if args.quick:
        entries = [s for s in entries if s.get("quick")]
    if args.only:
        entries = [s for s in entries if any(s["name"] == o or s["name"].startswith(o + ".") for o in args.only)]
        if not entries:
            sys.exit(f"run_bench: no entry matches {args.only}")

    status = git("status", "--porcelain", "--untracked-files=no")
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git": {"commit": git("rev-parse", "HEAD"), "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
                "dirty": bool(status)},
        "machine": machine(),
        "build": rel(args.build),
        "spec": rel(args.spec),
        "quick": args.quick,
        "entries": [],
    }
    t_all = time.monotonic()
    failed = 0
    for s in entries:
        e = Entry(s, args)
        rec = {"name": e.name, "kind": s["kind"], "description": " ".join(str(s.get("description", "")).split())}
        t0 = time.monotonic()
        print(f"run_bench: {e.name} ...", file=sys.stderr, flush=True)
        try:
            missing = [r for r in s.get("requires", []) if not os.path.exists(os.path.join(ROOT, r))]
            if missing:
                raise NotAvailable(f"{', '.join(missing)} missing")
            KINDS[s["kind"]](e)
            rec["status"] = "ok"
        except NotAvailable as x:
            rec["status"] = f"not available ({x})"
        except (Failed, OSError, KeyError, ValueError) as x:
            rec["status"] = "failed"
            rec["error"] = str(x)
            failed += 1
        rec["commands"] = e.commands
        rec["figures"] = e.figures
        if hasattr(e, "blas"):
            rec["blas"] = e.blas
        rec["harness_seconds"] = time.monotonic() - t0
        result["entries"].append(rec)
    result["total_seconds"] = time.monotonic() - t_all
    result["machine"]["loadavg_end"] = list(os.getloadavg())

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    m = result["machine"]
    print(f"dtqvp bench: {m['cpu_model']}, {m['cores']} cores; commit {str(result['git']['commit'])[:12]}"
          f"{' (dirty)' if result['git']['dirty'] else ''}; {result['date']}")
    rows = [("entry", "figure", "value", "unit", "target", "met?")]
    notes = []  # (entry, text): entries or figures without a value
    for r in result["entries"]:
        if r["status"] != "ok":
            notes.append((r["name"], r["status"] if r["status"] != "failed" else "FAILED: " + r["error"].splitlines()[0]))
            rows.append(len(notes) - 1)
            continue
        for f_ in r["figures"]:
            if f_["value"] is None:
                notes.append((r["name"], f"{f_['name']}: {f_.get('note', 'no value')}"))
                rows.append(len(notes) - 1)
                continue
            met = "" if f_["met"] is None else ("yes" if f_["met"] else "NO")
            rows.append((r["name"], f_["name"], fmt_value(f_["value"]), f_["unit"], f_["target"] or "", met))
    table = [row for row in rows if isinstance(row, tuple)]
    widths = [max([len(row[i]) for row in table] + ([len(n[0]) for n in notes] if i == 0 else [])) for i in range(6)]
    for row in rows:
        if isinstance(row, int):
            print(f"{notes[row][0]:<{widths[0]}}  {notes[row][1]}")
        else:
            print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]:<{widths[3]}}  "
                  f"{row[4]:<{widths[4]}}  {row[5]}".rstrip())
    print(f"results in {rel(args.out)} ({result['total_seconds']:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
