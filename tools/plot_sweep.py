#!/usr/bin/python3
"""Plots of a `dtqvp sweep` output directory (docs/user-guide.md#plotting-a-sweep).

Usage: tools/plot_sweep.py SWEEP_DIR [--out DIR] [--format png,pdf,svg] [--width IN] [--height IN] [--dpi N]

Reads SWEEP_DIR/results.csv (one row per point, every statistic), SWEEP_DIR/results.json
(when present) and SWEEP_DIR/points/NNNN/stats.json (the resolved configuration of each
point, `config` key, and the unit and description of each statistic) and writes into DIR
(default SWEEP_DIR/plots), each as PNG, PDF and SVG (--format), in a style for a two-column
paper: 3.5 in wide (one column; the cycle breakdown 7.16 in, both columns), 8-pt text,
TrueType fonts in the PDF, 300 dpi PNG (--width, --height, --dpi):

  speedup_stall.*      reorder speedup and mean stall ratio R against the precision
                       ratio that varies (workload.attention.ratio_8bit, _4bit or _pruned)
  roofline.*           attained ops/cycle against arithmetic intensity (ops per DRAM
                       byte) under the compute roof (2 ops per PE per cycle) and the DRAM
                       roof (dram.bytes_per_cycle); each point labelled with its swept values
  cycle_breakdown.*    per unit, stacked bars of its busy cycles and the rest of the run
                       (bar height = the point's simulated cycles)
  energy_breakdown.*   per point, stacked bars of each unit's energy (energy.<unit>.total_pj:
                       its actions and leakage, docs/energy.md), with GOP/J above each bar

Axis labels carry the statistics' units from stats.json; points and bars are labelled with
the swept values; legends sit outside the data.

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
# No matplotlib version or date in the files: same data, same bytes.
META = {"png": {"Software": None}, "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
        "svg": {"Creator": None, "Date": None}}
FORMATS = ("png", "pdf", "svg")
COLUMN_IN, PAGE_IN = 3.5, 7.16  # one column and the full width of a two-column (IEEE / ACM) page
# Names of swept configuration keys on an axis (others are shown as the key itself).
KEY_NAMES = {
    "workload.model.seq": "sequence length (tokens)",
    "workload.model.layers": "layers",
    "dram.bytes_per_cycle": "DRAM bandwidth (bytes/cycle)",
    "l2.enabled": "L2",
    "l2.size": "L2 size (bytes)",
    "vssa.arrays": "VSSA arrays",
    "vssa.reorder": "token reordering",
    "workload.attention.ratio_8bit": "share of 8-bit tokens",
    "workload.attention.ratio_4bit": "share of 4-bit tokens",
    "workload.attention.ratio_pruned": "share of pruned tokens",
}


class Options:
    """Output options (main's --format, --width, --height, --dpi)."""
    formats = FORMATS
    width = None   # inches; None: the plot's own (one column, or the page for the breakdown)
    height = None
    dpi = 300
    figures = None  # a list: figures are kept there (for tests) instead of being closed


OPTS = Options()


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
        self.descriptions = {}      # statistic -> description

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
            p.descriptions = {k: v.get("description", "") for k, v in s["stats"].items() if isinstance(v, dict)}
    return title, swept, points


# ---------------------------------------------------------------------------- helpers


def short_key(key):
    return key.rsplit(".", 1)[-1]


def varying_keys(points, swept):
    """The swept keys whose value differs between points (the others label nothing)."""
    keys = [k for k in swept if len({str(p.sets.get(k)) for p in points}) > 1]
    return keys or list(swept)


def fmt_setting(v):
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def point_label(p, swept, sep="\n"):
    """A point's swept values (what a reader knows it by), e.g. '512' or '16, true'."""
    if not swept:
        return f"point {p.index}"
    return sep.join(fmt_setting(p.sets.get(k, "")) for k in swept)


def key_name(key):
    return KEY_NAMES.get(key, key)


def swept_axis_label(keys):
    return ", ".join(key_name(k) for k in keys) if keys else "point"


def unit_of(points, key, default=""):
    for p in points:
        if p.units.get(key):
            return p.units[key]
    return default


def stat_label(points, key, text, default_unit=""):
    """An axis label: TEXT (UNIT), the unit from the points' stats.json."""
    unit = unit_of(points, key, default_unit)
    return f"{text} ({unit})" if unit else text


def figure(plt, width, height, nrows=1, sharex=False):
    fig, axes = plt.subplots(nrows, 1, figsize=(OPTS.width or width, OPTS.height or height), sharex=sharex,
                             squeeze=False, layout="constrained")
    return fig, [a[0] for a in axes]


def paper_style(plt):
    plt.rcParams.update({
        "font.size": 8, "axes.labelsize": 8, "axes.titlesize": 8, "legend.fontsize": 7,
        "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.2, "lines.markersize": 4,
        "axes.linewidth": 0.6, "grid.linewidth": 0.4, "legend.frameon": False,
        "pdf.fonttype": 42, "ps.fonttype": 42,  # TrueType, not Type 3 (publishers' checkers)
        "svg.hashsalt": "dtqvp", "svg.fonttype": "path",
    })


def fmt_range(values, spec):
    lo, hi = min(values), max(values)
    return f"{lo:{spec}}" if lo == hi else f"{lo:{spec}}-{hi:{spec}}"


def pe_count(p):
    dims = [p.cfg("vssa.rows"), p.cfg("vssa.cols"), p.cfg("vssa.arrays")]
    if any(not isinstance(d, int) for d in dims):
        return None
    return dims[0] * dims[1] * dims[2]


def save(plt, fig, out_dir, name, title):
    """Writes NAME (its stem) in every format of --format; returns the paths. No title:
    a paper's caption names the figure (the sweep is in the file name's folder)."""
    stem = os.path.splitext(name)[0]
    paths = []
    for fmt in OPTS.formats:
        path = os.path.join(out_dir, f"{stem}.{fmt}")
        fig.savefig(path, dpi=OPTS.dpi, metadata=META[fmt])
        paths.append(path)
    if OPTS.figures is not None:
        OPTS.figures.append((stem, fig))
    else:
        plt.close(fig)
    return paths


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
    fig, axes = figure(plt, COLUMN_IN, 3.6 if have_stall else 2.2, 2 if have_stall else 1, sharex=True)
    ax_s = axes[0]
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
            ax_s.annotate(f"{yi:.2f}", (xi, yi), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=6)
        if have_stall:
            ax_r = axes[1]
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
        ax_s.set_ylabel(stat_label(points, "vssa.reorder_speedup", "reorder speedup", "x"))
        first = "vssa.reorder_speedup"
    else:
        ax_s.set_ylabel("speedup vs. leftmost (x)")
        first = f"speedup vs leftmost point from {cyc_key}"
    ax_s.axhline(1.0, color="grey", lw=0.6)
    ax_s.grid(alpha=0.3)
    lo_s, hi_s = min(speedups + [1.0]), max(speedups + [1.0])
    ax_s.set_ylim(lo_s - 0.05 * (hi_s - lo_s + 0.1), hi_s + 0.25 * (hi_s - lo_s + 0.1))  # room for the values
    if len(series) > 1:  # above the panel, outside the data
        ax_s.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, borderaxespad=0.2)
    ax_last = axes[-1]
    if have_stall:
        ax_r = axes[1]
        ax_r.set_ylabel(stat_label(points, "vssa.stall_ratio", "mean stall ratio R", "ratio"))
        ax_r.set_ylim(0, max(stalls + [0.01]) * 1.1)
        ax_r.grid(alpha=0.3)
        ax_r.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, borderaxespad=0.2)
    xs = sorted({ratio_of(p, xkey) for p in points})
    mix = {}
    for p in points:
        mix.setdefault(ratio_of(p, xkey), set()).add(
            "/".join(f"{100 * (ratio_of(p, k) or 0):.0f}" for k in RATIO_KEYS[::-1]))  # pruned/4/8
    ax_last.set_xticks(xs)
    # Ticks closer than a tenth of the range: vertical labels, so that none overlaps another.
    crowded = len(xs) > 1 and min(b - a for a, b in zip(xs, xs[1:])) < 0.1 * (xs[-1] - xs[0])
    slant = {"rotation": 90} if crowded else {}
    if all(len(m) == 1 for m in mix.values()):  # one mix per tick: name it
        sep = " " if crowded else "\n"
        ax_last.set_xticklabels([f"{x:.3g}{sep}({min(mix[x])})" for x in xs], **slant)
        ax_last.set_xlabel(f"{key_name(xkey)} (% pruned / 4-bit / 8-bit)")
    else:
        ax_last.set_xticklabels([f"{x:.3g}" for x in xs], **slant)
        ax_last.set_xlabel(key_name(xkey))
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
    from matplotlib.ticker import FuncFormatter, LogLocator
    fig, axes = figure(plt, COLUMN_IN, 3.3)
    ax = axes[0]
    lo = min(ai + [peak / bw for peak, bw in roofs]) / 4
    hi = max(ai + [peak / bw for peak, bw in roofs]) * 4
    for peak, bw in roofs:
        xs = [lo, peak / bw, hi]
        ax.plot(xs, [min(peak, bw * x) for x in xs], "-",
                label=f"roof: {peak} ops/cycle (4x4-bit), DRAM {bw} B/cycle")
    for peak in sorted({peak for peak, _ in roofs}):  # every PE at 8 x 8 bits takes 4 cycles per MAC
        ax.plot([lo, hi], [peak / 4, peak / 4], ":", color="grey", label=f"8x8-bit roof: {peak // 4} ops/cycle")
    keys = varying_keys(usable, swept)
    ax.plot(ai, perf, "o", color="black", zorder=3, label="points: " + swept_axis_label(keys))
    from matplotlib.transforms import Bbox
    fig.canvas.draw()  # the layout, for the labels' extents
    r = 3 * fig.dpi / 72  # a marker's half size in pixels (3 pt)
    placed = [Bbox.from_extents(px - r, py - r, px + r, py + r)
              for px, py in ax.transData.transform(list(zip(ai, perf)))]  # labels cover no marker
    for p, x, y in sorted(zip(usable, ai, perf), key=lambda t: (t[2], t[1])):
        # The first of right, left, below, above where the label overlaps no other label.
        for dx, dy, ha, va in ((5, 0, "left", "center"), (-5, 0, "right", "center"), (0, -6, "center", "top"),
                               (0, 6, "center", "bottom")):
            t = ax.annotate(point_label(p, keys, ", "), (x, y), textcoords="offset points", xytext=(dx, dy), ha=ha,
                            va=va, fontsize=6)
            box = t.get_window_extent(fig.canvas.get_renderer())
            if not any(box.overlaps(b) for b in placed):
                break
            t.remove()
        else:  # crowded everywhere: on the right
            t = ax.annotate(point_label(p, keys, ", "), (x, y), textcoords="offset points", xytext=(5, 0), ha="left",
                            va="center", fontsize=6)
            box = t.get_window_extent(fig.canvas.get_renderer())
        placed.append(box)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(min(perf) / 4, max(peak for peak, _ in roofs) * 2)
    # Labels at 1, 2 and 5 times each power of ten: a narrow range still gets several.
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    dram_unit = unit_of(usable, "dram.bytes_read", "bytes").replace("bytes", "byte")
    ax.set_xlabel(f"arithmetic intensity (ops/DRAM {dram_unit})")
    ax.set_ylabel("attained throughput (ops/cycle)")
    ax.grid(alpha=0.3, which="major")
    # Below the axes: it hides no point and no roof.
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.2), ncol=1, borderaxespad=0)
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

        units["vssa"] = [("MACs", per_pe("vssa.busy_pe_cycles")),
                         ("stalls", per_pe("vssa.stall_cycles")),
                         ("skew, load, drain, idle PEs", rest)]
    elif {"compute.gemm_vssa_cycles", "attention.vssa_busy_cycles"} & stats:
        # The model workload: the array busy with GEMM commands and with the fused attention
        # (commands run one after the other: the two do not overlap).
        units["vssa"] = [("GEMM commands", lambda p: p.stat("compute.gemm_vssa_cycles") or 0),
                         ("fused attention", lambda p: p.stat("attention.vssa_busy_cycles") or 0)]
    if "attention.softmax_busy_cycles" in stats:
        units["softmax"] = [("busy", lambda p: p.stat("attention.softmax_busy_cycles"))]
    if "compute.normact_busy_cycles" in stats:
        units["norm/act"] = [("busy", lambda p: p.stat("compute.normact_busy_cycles"))]
    if "host.wfi_cycles" in stats:
        units["host"] = [("waiting for IRQ", lambda p: p.stat("host.wfi_cycles"))]
    for s in sorted(stats):
        unit, _, leaf = s.partition(".")
        if leaf == "busy_cycles" and unit not in units:
            units[unit] = [("busy", lambda p, s=s: p.stat(s))]
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
        elif any(sum(row) > p.sim_cycles for row, p in zip(vals, points)):
            # Never a bar taller than the run: such a statistic is a sum over channels or
            # descriptors (e.g. dma.channel_busy_cycles_sum), not a unit's busy time.
            notes.append(f"{unit} left out (its busy cycles exceed the simulated cycles: a sum over channels)")
        elif all(v == 0 for row in vals for v in row):
            empty.append(unit)
        else:
            drawn[unit] = vals
    if not drawn:
        return name, None, f"every unit is idle in every point ({', '.join(empty)} have 0 busy cycles)"
    from matplotlib.ticker import EngFormatter
    keys = varying_keys(points, swept)
    labels = [point_label(p, keys) for p in points]
    fig, axes = figure(plt, PAGE_IN, max(2.0, 0.85 * len(drawn) + 0.8), len(drawn), sharex=True)
    x = list(range(len(points)))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    over = []
    for ax, (unit, vals) in zip(axes, drawn.items()):
        bottom = [0.0] * len(points)
        for j, (label, _) in enumerate(units[unit]):
            h = [row[j] for row in vals]
            ax.bar(x, h, bottom=bottom, label=label, color=colors[j % len(colors)], width=0.6)
            bottom = [b + v for b, v in zip(bottom, h)]
        idle = [max(0.0, p.sim_cycles - b) for p, b in zip(points, bottom)]
        over += [f"{unit} #{p.index}" for p, b in zip(points, bottom) if b > p.sim_cycles]
        ax.bar(x, idle, bottom=bottom, label="rest of run", color="lightgrey", width=0.6)
        # A zero-height "rest of run" bar makes its bottom a sticky edge, which would drop the
        # top margin and clip the tallest bar at the frame: set the limit explicitly.
        ax.set_ylim(0, 1.05 * max(max(b + i for b, i in zip(bottom, idle)), 1.0))
        ax.set_ylabel(f"{unit} (cycles)" if len(drawn) == 1 else unit)
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), borderaxespad=0)
        ax.grid(alpha=0.3, axis="y")
    if len(drawn) > 1:  # one label for the panels' shared unit (each bar = the point's simulated cycles)
        fig.supylabel("cycles", fontsize=8)
    axes[-1].set_xticks(x)
    axes[-1].set_xticklabels(labels)
    axes[-1].set_xlabel(swept_axis_label(keys if swept else []))
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
    keys = varying_keys(points, swept)
    labels = [point_label(p, keys) for p in points]
    fig, axes = figure(plt, PAGE_IN, 2.6)
    ax = axes[0]
    x = list(range(len(points)))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    if len(drawn) > len(colors):  # one distinct colour per unit (tab20 has 20)
        colors = [plt.get_cmap("tab20")(i) for i in range(20)]
    bottom = [0.0] * len(points)
    for j, u in enumerate(drawn):
        h = [p.stat(f"energy.{u}.total_pj") * 1e-6 for p in points]
        ax.bar(x, h, bottom=bottom, label=u, color=colors[j % len(colors)], width=0.6,
               hatch="//" if j >= len(colors) else None)
        bottom = [b + v for b, v in zip(bottom, h)]
    for xi, p, b in zip(x, points, bottom):
        gpj = p.stat("perf.gops_per_w")
        if gpj:
            ax.annotate(f"{gpj:.0f} GOP/J", (xi, b), textcoords="offset points", xytext=(0, 2), ha="center",
                        fontsize=6)
    ax.set_ylim(0, 1.15 * max(max(bottom), 1e-9))  # room for the GOP/J labels above the bars
    ax.set_ylabel("energy (\u00b5J, actions + leakage)")
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_xlabel(swept_axis_label(keys if swept else []))
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), borderaxespad=0)
    path = save(plt, fig, out_dir, name, title)
    return name, path, f"{len(points)} points, units {', '.join(drawn)}; total {fmt_range(bottom, '.4g')} uJ"


# ---------------------------------------------------------------------------- main


def main(argv, figures=None):
    """The command line; figures: a list that receives (name, matplotlib figure) instead of
    the figures being closed (tests inspect them)."""
    OPTS.figures = figures
    ap = argparse.ArgumentParser(prog=PROG, description="Plot the results of a `dtqvp sweep` directory.")
    ap.add_argument("sweep_dir", metavar="SWEEP_DIR", help="the --out directory of dtqvp sweep")
    ap.add_argument("--out", metavar="DIR", help="where the plots go (default SWEEP_DIR/plots)")
    ap.add_argument("--format", default=",".join(FORMATS),
                    help="comma-separated formats among png, pdf, svg (default %(default)s)")
    ap.add_argument("--width", type=float, metavar="IN",
                    help=f"figure width in inches (default {COLUMN_IN}, one column; the breakdown {PAGE_IN})")
    ap.add_argument("--height", type=float, metavar="IN", help="figure height in inches (default: per plot)")
    ap.add_argument("--dpi", type=int, default=300, help="PNG resolution (default %(default)s)")
    args = ap.parse_args(argv)
    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        print(f"{PROG}: error: --format {args.format}: expected a comma-separated list of {', '.join(FORMATS)}",
              file=sys.stderr)
        return 2
    for opt, v, lo, hi in (("--width", args.width, 1.0, 20.0), ("--height", args.height, 1.0, 20.0),
                           ("--dpi", args.dpi, 50, 1200)):
        if v is not None and not lo <= v <= hi:
            print(f"{PROG}: error: {opt} {v}: expected a value in [{lo:g}, {hi:g}]", file=sys.stderr)
            return 2
    OPTS.formats, OPTS.width, OPTS.height, OPTS.dpi = formats, args.width, args.height, args.dpi
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
    paper_style(plt)
    written = 0
    for plot in (plot_speedup_stall, plot_roofline, plot_cycle_breakdown, plot_energy_breakdown):
        name, path, what = plot(ok, swept, title, out_dir, plt)
        if path:
            written += 1
            info(f"wrote {path[0]}: {what}")
            if len(path) > 1:
                info(f"  and {', '.join(path[1:])}")
        else:
            info(f"skipped {name}: {what}")
    if not written:
        info(f"no plot could be drawn from {args.sweep_dir} ({title})")
        return 1
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `plot_sweep.py DIR | head` ends quietly
    sys.exit(main(sys.argv[1:]))
