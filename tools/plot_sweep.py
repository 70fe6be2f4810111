#!/usr/bin/python3
"""Plots of a `dtqvp sweep` output directory (docs/user-guide.md#plotting-a-sweep).

Usage: tools/plot_sweep.py SWEEP_DIR [--out DIR]

Reads SWEEP_DIR/results.csv (one row per point, every statistic), SWEEP_DIR/results.json
(when present) and SWEEP_DIR/points/NNNN/stats.json (the resolved configuration of each
point, `config` key, and the unit of each statistic) and writes into DIR (default
SWEEP_DIR/plots):

  speedup_stall.png    reorder speedup and mean stall ratio R against the precision
                       ratio that varies (workload.attention.ratio_8bit, _4bit or _pruned)
  roofline.png         attained ops/cycle against arithmetic intensity (ops per DRAM
                       byte) under the compute roof (2 ops per PE per cycle) and the DRAM
                       roof (dram.bytes_per_cycle)
  cycle_breakdown.png  per unit, stacked bars of its busy cycles and the rest of the run
  energy_breakdown.png per point, stacked bars of each unit's energy (energy.<unit>.total_pj:
                       its actions and leakage, docs/energy.md), with GOP/J above each bar

A plot whose data is not in the sweep is skipped with the reason. Exit code 0 when at
least one plot was written, 1 when none could be, 2 for a missing directory or a
malformed results.csv / results.json / stats.json.

Needs Debian's python3-matplotlib (scripts/install-deps.sh); run it with /usr/bin/python3.
"""
import argparse
import csv
import json
import os
import signal
import sys

PROG = "plot_sweep"
RATIO_KEYS = ("workload.attention.ratio_8bit", "workload.attention.ratio_4bit", "workload.attention.ratio_pruned")
# MACs: the attention study's per-mode counts, or the model workload's GEMM commands
# (compute.gemm_macs; its fused attention MACs are not in it, under 3 % at seq 128).
MAC_STATS = ("vssa.macs_4x4", "vssa.macs_8x4", "vssa.macs_8x8", "compute.gemm_macs")
DRAM_STATS = ("dram.bytes_read", "dram.bytes_written")
PNG_META = {"Software": None}  # no matplotlib version in the file: same data, same bytes


class InputError(Exception):
    """Bad input: reported as `plot_sweep: error: ...`, exit code 2."""


def info(msg):
    print(f"{PROG}: {msg}")


# ---------------------------------------------------------------------------- reading


def parse_number(text):
    """A CSV cell of a statistic: '' is null (an undefined ratio), else an int or a float."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)  # raises ValueError on anything else


def parse_setting(text):
    """A swept value as the sweep wrote it (YAML text): a number when it is one."""
    try:
        return parse_number(text)
    except ValueError:
        return text


class Point:
    def __init__(self, index, exit_code, sets, sim_cycles, stats):
        self.index = index
        self.exit_code = exit_code
        self.sets = sets            # swept key -> value
        self.sim_cycles = sim_cycles
        self.stats = stats          # statistic -> value (None when undefined or absent)
        self.config = None          # resolved configuration from the point's stats.json
        self.units = {}             # statistic -> unit

    def stat(self, key):
        return self.stats.get(key)

    def cfg(self, path):
        node = self.config
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node


def read_csv(path):
    """results.csv as dtqvp sweep writes it: point, exit_code, the swept keys,
    simulated_cycles, then every statistic."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}")
    except csv.Error as e:
        raise InputError(f"{path}: malformed CSV: {e}")
    if not rows:
        raise InputError(f"{path}: empty file, expected a header line 'point,exit_code,...,simulated_cycles,...'")
    header = rows[0]
    if header[:2] != ["point", "exit_code"] or "simulated_cycles" not in header:
        raise InputError(f"{path}:1: expected a header 'point,exit_code,<swept keys>,simulated_cycles,<statistics>', "
                         f"got '{','.join(header[:4])}...'")
    sim_col = header.index("simulated_cycles")
    swept = header[2:sim_col]
    stat_names = header[sim_col + 1:]
    points = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(f"{path}:{line}: expected {len(header)} fields like the header, got {len(row)}")
        try:
            index, code = int(row[0]), int(row[1])
        except ValueError:
            raise InputError(f"{path}:{line}: point and exit_code must be integers, got '{row[0]}', '{row[1]}'")
        values = {}
        for col, name in enumerate(["simulated_cycles"] + stat_names, start=sim_col):
            try:
                values[name] = parse_number(row[col])
            except ValueError:
                raise InputError(f"{path}:{line}: {name}: expected a number or nothing, got '{row[col]}'")
        sets = {k: parse_setting(row[2 + i]) for i, k in enumerate(swept) if row[2 + i] != ""}
        sim = values.pop("simulated_cycles")
        points.append(Point(index, code, sets, sim, values))
    if not points:
        raise InputError(f"{path}: no point rows after the header")
    return swept, points


def read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}")
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}:{e.colno}: malformed {what}: {e.msg}")


def load_sweep(sweep_dir):
    if not os.path.isdir(sweep_dir):
        raise InputError(f"{sweep_dir}: no such directory (the --out directory of `dtqvp sweep`)")
    csv_path = os.path.join(sweep_dir, "results.csv")
    if not os.path.isfile(csv_path):
        raise InputError(f"{csv_path}: no such file; is {sweep_dir} the --out directory of a finished `dtqvp sweep`?")
    swept, points = read_csv(csv_path)
    title = os.path.basename(os.path.normpath(sweep_dir))
    json_path = os.path.join(sweep_dir, "results.json")
    if os.path.isfile(json_path):
        j = read_json(json_path, "results.json")
        if not isinstance(j, dict) or not isinstance(j.get("points"), list):
            raise InputError(f"{json_path}: expected an object with a 'points' list")
        if len(j["points"]) != len(points):
            raise InputError(f"{json_path}: {len(j['points'])} points, but results.csv has {len(points)} rows")
        if isinstance(j.get("sweep"), str):
            title = os.path.splitext(os.path.basename(j["sweep"]))[0]
    for p in points:
        stats_path = os.path.join(sweep_dir, "points", f"{p.index:04d}", "stats.json")
        if p.exit_code != 0 or not os.path.isfile(stats_path):
            continue
        s = read_json(stats_path, "stats.json")
        if isinstance(s, dict) and isinstance(s.get("config"), dict):
            p.config = s["config"]
        if isinstance(s, dict) and isinstance(s.get("stats"), dict):
            p.units = {k: v.get("unit", "") for k, v in s["stats"].items() if isinstance(v, dict)}
    return title, swept, points


# ---------------------------------------------------------------------------- helpers


def short_key(key):
    return key.rsplit(".", 1)[-1]


def point_label(p, swept):
    if not swept:
        return f"#{p.index}"
    return f"#{p.index}\n" + "\n".join(f"{short_key(k)}={p.sets.get(k, '')}" for k in swept)


def fmt_range(values, spec):
    lo, hi = min(values), max(values)
    return f"{lo:{spec}}" if lo == hi else f"{lo:{spec}}-{hi:{spec}}"


def pe_count(p):
    dims = [p.cfg("vssa.rows"), p.cfg("vssa.cols"), p.cfg("vssa.arrays")]
    if any(not isinstance(d, int) for d in dims):
        return None
    return dims[0] * dims[1] * dims[2]


def save(plt, fig, out_dir, name, title):
    fig.suptitle(f"sweep {title}", fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=80, metadata=PNG_META)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------- (a) speedup and stall ratio


def ratio_of(p, key):
    v = p.cfg(key)
    if isinstance(v, (int, float)):
        return float(v)
    v = p.sets.get(key)
    return float(v) if isinstance(v, (int, float)) else None


def plot_speedup_stall(points, swept, title, out_dir, plt):
    name = "speedup_stall.png"
    varying = [k for k in RATIO_KEYS if len({ratio_of(p, k) for p in points} - {None}) > 1]
    if not varying:
        return name, None, ("no precision ratio varies across the points (swept keys: "
                            f"{', '.join(swept) or 'none'}; wanted one of {', '.join(RATIO_KEYS)})")
    xkey = varying[0]
    if any(ratio_of(p, xkey) is None for p in points):
        return name, None, f"{xkey} is unknown for some points (no stats.json config and not swept)"
    # Without workload.attention.compare_reorder the comparison is not run and its
    # statistics are 0 (not null): only a configured or non-zero comparison counts.
    compared = all(p.cfg("workload.attention.compare_reorder") is not False for p in points)
    have_speedup = compared and all((p.stat("vssa.reorder_speedup") or 0) > 0 for p in points)
    cyc_key = "vssa.cycles" if all(p.stat("vssa.cycles") for p in points) else None
    if not have_speedup and cyc_key is None:
        return name, None, "neither vssa.reorder_speedup nor vssa.cycles is in the results"
    # One line per combination of the other swept keys that vary. The ratios sum to 1:
    # with all three varying, x and the last one fix the middle one.
    others = [k for k in swept if k not in RATIO_KEYS and len({str(p.sets.get(k)) for p in points}) > 1]
    others += varying[2:]

    def value(p, k):
        return f"{ratio_of(p, k):g}" if k in RATIO_KEYS else str(p.sets.get(k, ""))

    series = {}
    for p in points:
        series.setdefault(tuple(value(p, k) for k in others), []).append(p)
    have_stall = all(p.stat("vssa.stall_ratio") is not None for p in points)
    have_other = have_stall and have_speedup and all(p.stat("vssa.stall_ratio_other_order") is not None
                                                     for p in points)
    fig, axes = plt.subplots(2 if have_stall else 1, 1, figsize=(8, 6.5 if have_stall else 3.8), sharex=True,
                             squeeze=False)
    ax_s = axes[0][0]
    speedups, stalls = [], []
    for key, ps in series.items():
        ps = sorted(ps, key=lambda p: ratio_of(p, xkey))
        x = [ratio_of(p, xkey) for p in ps]
        tag = ", ".join(f"{short_key(k)}={v}" for k, v in zip(others, key))
        if have_speedup:
            y = [p.stat("vssa.reorder_speedup") for p in ps]
        else:  # cycles of the leftmost point / cycles
            y = [ps[0].stat(cyc_key) / p.stat(cyc_key) for p in ps]
        speedups += y
        ax_s.plot(x, y, "o-", label=tag or None)
        for xi, yi in zip(x, y):
            ax_s.annotate(f"{yi:.2f}", (xi, yi), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        if have_stall:
            ax_r = axes[1][0]
            on = "on" if ps[0].cfg("vssa.reorder") is not False else "off"
            off = "off" if on == "on" else "on"
            r = [p.stat("vssa.stall_ratio") for p in ps]
            stalls += r
            ax_r.plot(x, r, "o-", label=f"reorder {on}" + (f", {tag}" if tag else ""))
            if have_other:
                ro = [p.stat("vssa.stall_ratio_other_order") for p in ps]
                stalls += ro
                ax_r.plot(x, ro, "s--", label=f"reorder {off}" + (f", {tag}" if tag else ""))
    if have_speedup:
        ax_s.set_ylabel("reorder speedup (x)\ncycles without / with reordering")
        ax_s.set_title("vssa.reorder_speedup")
        first = "vssa.reorder_speedup"
    else:
        ax_s.set_ylabel(f"speedup (x)\n{cyc_key} of the leftmost point / {cyc_key}")
        ax_s.set_title(f"speedup relative to the leftmost point of each line ({cyc_key})")
        first = f"speedup vs leftmost point from {cyc_key}"
    ax_s.axhline(1.0, color="grey", lw=0.8)
    ax_s.grid(alpha=0.3)
    if len(series) > 1:
        ax_s.legend(fontsize=8)
    ax_last = axes[-1][0]
    if have_stall:
        ax_r = axes[1][0]
        ax_r.set_ylabel("mean stall ratio R\nstall / (PEs x slowest-PE cycles)")
        ax_r.set_title("vssa.stall_ratio" + (" and vssa.stall_ratio_other_order" if have_other else ""))
        ax_r.set_ylim(bottom=0)
        ax_r.grid(alpha=0.3)
        ax_r.legend(fontsize=8)
    xs = sorted({ratio_of(p, xkey) for p in points})
    mix = {}
    for p in points:
        mix.setdefault(ratio_of(p, xkey), set()).add(
            "/".join(f"{100 * (ratio_of(p, k) or 0):.0f}" for k in RATIO_KEYS[::-1]))  # pruned/4/8
    ax_last.set_xticks(xs)
    if all(len(m) == 1 for m in mix.values()):  # one mix per tick: name it
        ax_last.set_xticklabels([f"{x:.3g}\n{min(mix[x])}" for x in xs], fontsize=7)
        ax_last.set_xlabel(f"{xkey}\n(below each tick: % of tokens pruned / 4-bit / 8-bit)")
    else:
        ax_last.set_xticklabels([f"{x:.3g}" for x in xs], fontsize=7)
        ax_last.set_xlabel(xkey)
    path = save(plt, fig, out_dir, name, title)
    lines = f" in {len(series)} lines ({', '.join(short_key(k) for k in others)})" if len(series) > 1 else ""
    what = f"{len(points)} points{lines} against {xkey}; {first} {fmt_range(speedups, '.3f')} x"
    if have_stall:
        what += f"; mean stall ratio R {fmt_range(stalls, '.3f')} (fraction of PE-cycles)"
    else:
        what += "; no vssa.stall_ratio in the results, stall panel left out"
    return name, path, what


# ---------------------------------------------------------------------------- (b) roofline


def plot_roofline(points, swept, title, out_dir, plt):
    name = "roofline.png"
    if not all(any(k in p.stats for k in MAC_STATS) for p in points):
        return name, None, f"no MAC statistics ({', '.join(MAC_STATS)}) in the results"
    ops = {p.index: 2 * sum(p.stat(k) or 0 for k in MAC_STATS) for p in points}  # a MAC is 2 ops
    nbytes = {p.index: sum(p.stat(k) or 0 for k in DRAM_STATS) for p in points}
    with_ops = [p for p in points if ops[p.index] > 0]
    if not with_ops:
        return name, None, "no point executes MACs (vssa.macs_* are 0): nothing to place under the compute roof"
    usable = [p for p in with_ops if nbytes[p.index] > 0]
    if not usable:
        return name, None, ("no point with MACs moves data through DRAM (dram.bytes_read + dram.bytes_written "
                            "= 0 bytes), so arithmetic intensity (ops/byte) is undefined; the workload "
                            f"'{points[0].cfg('workload.kind') or '?'}' keeps its operands on chip")
    usable = [p for p in usable if p.config is not None and pe_count(p) and p.cfg("dram.bytes_per_cycle")]
    if not usable:
        return name, None, "no stats.json with the vssa and dram configuration (the roofs) for the points with traffic"
    left_out = sorted(set(p.index for p in points) - set(p.index for p in usable))
    ai = [ops[p.index] / nbytes[p.index] for p in usable]
    perf = [ops[p.index] / p.sim_cycles for p in usable]
    roofs = sorted({(2 * pe_count(p), p.cfg("dram.bytes_per_cycle")) for p in usable})
    fig, ax = plt.subplots(figsize=(7, 5))
    lo = min(ai + [peak / bw for peak, bw in roofs]) / 8
    hi = max(ai + [peak / bw for peak, bw in roofs]) * 8
    for peak, bw in roofs:
        xs = [lo, peak / bw, hi]
        ax.plot(xs, [min(peak, bw * x) for x in xs], "-",
                label=f"roof: {peak} ops/cycle (4x4-bit), DRAM {bw} bytes/cycle")
    for peak in sorted({peak for peak, _ in roofs}):  # every PE at 8 x 8 bits takes 4 cycles per MAC
        ax.plot([lo, hi], [peak / 4, peak / 4], ":", color="grey")
        ax.annotate(f"8x8-bit roof: {peak // 4} ops/cycle", (hi, peak / 4), ha="right", va="bottom", fontsize=8,
                    color="grey")
    ax.scatter(ai, perf, zorder=3, color="black")
    for p, x, y in zip(usable, ai, perf):
        ax.annotate(f"#{p.index}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (ops per DRAM byte)\n2 x MACs (vssa.macs_* or compute.gemm_macs) / (dram.bytes_read + dram.bytes_written)")
    ax.set_ylabel("attained throughput (ops/cycle)\n2 x MACs / simulated cycles")
    clock = usable[0].cfg("clock_mhz")
    ax.set_title("roofline" + (f" (clock {clock:g} MHz: GOPS = ops/cycle x {clock / 1000:g})" if clock else ""))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    path = save(plt, fig, out_dir, name, title)
    what = (f"{len(usable)} points; arithmetic intensity {fmt_range(ai, '.4g')} ops/byte; attained "
            f"{fmt_range(perf, '.4g')} ops/cycle; roofs " +
            ", ".join(f"{peak} ops/cycle and {bw} bytes/cycle" for peak, bw in roofs))
    if left_out:
        what += f"; left out (no MACs, no DRAM traffic or no config): points {', '.join(map(str, left_out))}"
    return name, path, what


# ---------------------------------------------------------------------------- (c) cycle breakdown


def unit_segments(points):
    """unit -> list of (label, function(point) -> cycles or None). The segments of a unit
    are disjoint parts of the run; what is left up to the simulated cycles is drawn as idle."""
    stats = set()
    for p in points:
        stats.update(p.stats)
    units = {}
    if {"vssa.cycles", "vssa.busy_pe_cycles", "vssa.stall_cycles"} <= stats:
        # busy and stall are summed over PEs: divided by the PE count they are the mean PE's cycles.
        def per_pe(key):
            return lambda p: p.stat(key) / pe_count(p) if pe_count(p) and p.stat(key) is not None else None

        def rest(p):
            mac, stall = per_pe("vssa.busy_pe_cycles")(p), per_pe("vssa.stall_cycles")(p)
            return None if mac is None or stall is None else p.stat("vssa.cycles") - mac - stall

        units["vssa"] = [("MACs (vssa.busy_pe_cycles / PEs)", per_pe("vssa.busy_pe_cycles")),
                         ("stalled (vssa.stall_cycles / PEs)", per_pe("vssa.stall_cycles")),
                         ("wavefront skew, load, result drain, idle PEs and arrays (rest of vssa.cycles)", rest)]
    if "host.wfi_cycles" in stats:
        units["host"] = [("waiting for an interrupt (host.wfi_cycles)", lambda p: p.stat("host.wfi_cycles"))]
    for s in sorted(stats):
        unit, _, leaf = s.partition(".")
        if leaf == "busy_cycles" and unit not in units:
            units[unit] = [(f"busy ({s})", lambda p, s=s: p.stat(s))]
    return units


def plot_cycle_breakdown(points, swept, title, out_dir, plt):
    name = "cycle_breakdown.png"
    units = unit_segments(points)
    if not units:
        return name, None, "no unit has a busy-cycle statistic (*.busy_cycles, vssa.busy_pe_cycles, host.wfi_cycles)"
    drawn, empty, notes = {}, [], []
    for unit, segs in units.items():
        vals = [[f(p) for _, f in segs] for p in points]
        if any(v is None for row in vals for v in row):
            notes.append(f"{unit} left out (a statistic or the vssa config is missing)")
        elif all(v == 0 for row in vals for v in row):
            empty.append(unit)
        else:
            drawn[unit] = vals
    if not drawn:
        return name, None, f"every unit is idle in every point ({', '.join(empty)} have 0 busy cycles)"
    labels = [point_label(p, swept) for p in points]
    per_bar = max(1.0, 0.065 * max(len(s) for label in labels for s in label.split("\n")))
    fig, axes = plt.subplots(len(drawn), 1, figsize=(per_bar * len(points) + 4, 2.6 * len(drawn) + 1.2),
                             sharex=True, squeeze=False)
    x = list(range(len(points)))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    over = []
    for ax, (unit, vals) in zip((a[0] for a in axes), drawn.items()):
        bottom = [0.0] * len(points)
        for j, (label, _) in enumerate(units[unit]):
            h = [row[j] for row in vals]
            ax.bar(x, h, bottom=bottom, label=label, color=colors[j % len(colors)])
            bottom = [b + v for b, v in zip(bottom, h)]
        idle = [max(0.0, p.sim_cycles - b) for p, b in zip(points, bottom)]
        over += [f"{unit} #{p.index}" for p, b in zip(points, bottom) if b > p.sim_cycles]
        ax.bar(x, idle, bottom=bottom, label="rest of the run (simulated cycles)", color="lightgrey")
        ax.set_ylabel(f"{unit}\n(cycles)")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.grid(alpha=0.3, axis="y")
    axes[0][0].set_title("cycles per unit and point (bar height = simulated cycles)")
    axes[-1][0].set_xticks(x)
    axes[-1][0].set_xticklabels(labels, fontsize=7)
    path = save(plt, fig, out_dir, name, title)
    sims = [p.sim_cycles for p in points]
    what = f"{len(points)} points, units {', '.join(drawn)}; simulated {fmt_range(sims, 'd')} cycles"
    if empty:
        what += f"; idle in every point, not drawn: {', '.join(empty)}"
    if notes:
        what += "; " + "; ".join(notes)
    if over:
        what += f"; busy exceeds the simulated cycles (overlapping work) in {', '.join(over)}"
    return name, path, what


# ---------------------------------------------------------------------------- (d) energy breakdown


def plot_energy_breakdown(points, swept, title, out_dir, plt):
    name = "energy_breakdown.png"
    units = sorted({k.split(".")[1] for p in points for k in p.stats
                    if k.startswith("energy.") and k.endswith(".total_pj") and k.count(".") == 2})
    if not units:
        return name, None, "no energy.<unit>.total_pj statistics in the results (a dtqvp without the energy model)"
    if any(p.stat(f"energy.{u}.total_pj") is None for p in points for u in units):
        return name, None, "an energy.<unit>.total_pj statistic is missing for some points"
    drawn = [u for u in units if any(p.stat(f"energy.{u}.total_pj") > 0 for p in points)]
    if not drawn:
        return name, None, "every unit's energy is 0 in every point"
    labels = [point_label(p, swept) for p in points]
    per_bar = max(1.0, 0.065 * max(len(s) for label in labels for s in label.split("\n")))
    fig, ax = plt.subplots(figsize=(per_bar * len(points) + 4, 4.5))
    x = list(range(len(points)))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    bottom = [0.0] * len(points)
    for j, u in enumerate(drawn):
        h = [p.stat(f"energy.{u}.total_pj") * 1e-6 for p in points]
        ax.bar(x, h, bottom=bottom, label=u, color=colors[j % len(colors)], hatch="//" if j >= len(colors) else None)
        bottom = [b + v for b, v in zip(bottom, h)]
    for xi, p, b in zip(x, points, bottom):
        gpj = p.stat("perf.gops_per_w")
        if gpj:
            ax.annotate(f"{gpj:.0f} GOP/J", (xi, b), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
    ax.set_ylabel("energy (uJ)\nenergy.<unit>.total_pj: actions + leakage")
    ax.set_title("energy per unit and point")
    ax.set_xticks(x)
    ax.set_xticklabels(labels, fontsize=7)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    path = save(plt, fig, out_dir, name, title)
    return name, path, f"{len(points)} points, units {', '.join(drawn)}; total {fmt_range(bottom, '.4g')} uJ"


# ---------------------------------------------------------------------------- main


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description="Plot the results of a `dtqvp sweep` directory.")
    ap.add_argument("sweep_dir", metavar="SWEEP_DIR", help="the --out directory of dtqvp sweep")
    ap.add_argument("--out", metavar="DIR", help="where the PNGs go (default SWEEP_DIR/plots)")
    args = ap.parse_args(argv)
    try:
        title, swept, points = load_sweep(args.sweep_dir)
    except InputError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"{PROG}: error: needs matplotlib: install python3-matplotlib (scripts/install-deps.sh) and run "
              f"with /usr/bin/python3, not {sys.executable}", file=sys.stderr)
        return 2
    failed = [p for p in points if p.exit_code != 0]
    for p in failed:
        info(f"point {p.index} failed (exit code {p.exit_code}), left out of the plots")
    ok = [p for p in points if p.exit_code == 0]
    if not ok:
        print(f"{PROG}: error: every point of {args.sweep_dir} failed; nothing to plot", file=sys.stderr)
        return 1
    out_dir = args.out or os.path.join(args.sweep_dir, "plots")
    os.makedirs(out_dir, exist_ok=True)
    plt.rcParams.update({"font.size": 9})
    written = 0
    for plot in (plot_speedup_stall, plot_roofline, plot_cycle_breakdown, plot_energy_breakdown):
        name, path, what = plot(ok, swept, title, out_dir, plt)
        if path:
            written += 1
            info(f"wrote {path}: {what}")
        else:
            info(f"skipped {name}: {what}")
    if not written:
        info(f"no plot could be drawn from {args.sweep_dir} ({title})")
        return 1
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `plot_sweep.py DIR | head` ends quietly
    sys.exit(main(sys.argv[1:]))
