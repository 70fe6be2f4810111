#!/usr/bin/env python3
"""Simulated figures in docs/: generated from their commands, checked by the suite.

A figure is a block of Markdown between two HTML comments (invisible when rendered):

    <!-- fig:compare_bert_base
    runs:
      r: run scenarios/compare_bert_base.yaml
    template: |
      | scheme | VSSA cycles |
      |---|---:|
      | 8-bit | {{ r['vssa.cycles_8bit_baseline'] | , }} |
    -->
    | scheme | VSSA cycles |
    |---|---:|
    | 8-bit | 52,524 |
    <!-- /fig -->

The opening comment is YAML: `runs` names the commands (each run once per invocation, the
same command shared between figures), `defs` (optional) names sub-expressions over them,
`template` is the text written between the markers.
Commands:
    run ARGS...      build/dtqvp run ARGS --out TMP -q   -> its stats.json
    sweep ARGS...    build/dtqvp sweep ARGS -j J --out TMP -> its results.json (rows)
    report ARGS...   build/dtqvp report ARGS --json       -> the JSON it prints
    kernels ARGS...  build/dtqvp kernels ARGS --json      -> the JSON it prints
    py SCRIPT ARGS   /usr/bin/python3 SCRIPT ARGS         -> the JSON it prints
    stdout ARGS...   build/dtqvp ARGS                     -> what it prints (text)
    json ARGS...     build/dtqvp ARGS                     -> the JSON it prints (e.g. `json area --json`)
    exe PATH ARGS    build/PATH ARGS (a binary of the default build, e.g. bench/softmax/softmax_bench)
                                                          -> what it prints (text)
`{build}` in a command's words is the build directory (`--set workload.firmware_elf={build}/sw/riscv/x.elf`).
Template fields `{{ EXPR }}` or `{{ EXPR | FMT }}`: EXPR is a Python expression over the run
names (`r['stat.name']` is the statistic's value, `r.sum('ops\\..*\\.cycles')` the sum of those matching a
regex, `r.cfg('key.path')` a resolved config value,
`s.row(key=value)['stat']` a sweep point, `j['a']['b']` the JSON of report/kernels/py, `find(j['ops'], name='qk')` one element of a list,
`grep(t, r'regex')` the matches of a regex in a text result (re.findall, multi-line; fails when none)),
FMT a format spec (`,` `.3f` `,.0f` ...) or one of: `M` (value / 1e6, 1 decimal, " M"),
`k` (value / 1e3, 1 decimal, " k"), `~N` (N decimals, a whole number without), `pct` (value x 100, 1 decimal, " %"), `x` (2 decimals, " x").
Figures that depend on the host's speed (wall time) are not templated: the text says
"wall time" next to them and the check does not compare them. A region of such host
measurements (a benchmark table, with the command and commit it came from) is enclosed in
`<!-- wall-clock: REASON -->` ... `<!-- /wall-clock -->`; `untied` skips its numbers.

    tools/docs_figures.py update [DOC...]   rerun the commands, rewrite the blocks
    tools/docs_figures.py check  [DOC...]   rerun, exit 1 naming doc, line and both texts on a difference
    tools/docs_figures.py list   [DOC...]   the figures and their commands
    tools/docs_figures.py untied [DOC...]   numbers outside figure blocks that no rule explains

Options: --build DIR (default build), --jobs N (parallel commands, default 2), --only ID,
--extra-set KEY=VALUE (appended to every `run` command: the suite perturbs a timing constant
with it and expects the check to fail).
Docs default to every Markdown file under docs/ and README.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OPEN_RE = re.compile(r"^<!-- fig:([A-Za-z0-9_.-]+)\s*$")
CLOSE = "<!-- /fig -->"


class FigureError(Exception):
    pass


# ---- results of commands ----------------------------------------------------------------
class Stats:
    """stats.json of one run: r['name'] is the value of statistic `name`."""

    def __init__(self, data: dict, what: str):
        self.data = data
        self.what = what
        self.stats = data.get("stats", data)

    def __getitem__(self, name):
        if name not in self.stats:
            raise FigureError(f"{self.what}: no statistic '{name}'")
        v = self.stats[name]
        return v["value"] if isinstance(v, dict) and "value" in v else v

    def sum(self, pattern):
        """Sum of the statistics whose names match the regex (fails when none does)."""
        names = [n for n in self.stats if re.fullmatch(pattern, n)]
        if not names:
            raise FigureError(f"{self.what}: no statistic matches '{pattern}'")
        return sum(self[n] for n in names)

    def cfg(self, path):
        node = self.data.get("config", {})
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise FigureError(f"{self.what}: no config key '{path}'")
            node = node[part]
        return node


class Sweep:
    """results.json of a sweep: s.row(key=value, ...) is one point's Stats."""

    def __init__(self, rows: list, what: str):
        self.rows = rows
        self.what = what

    def row(self, **match):
        def value(row, key):
            key = key.replace("__", ".")
            ov = row.get("overrides")
            if isinstance(ov, list):
                ov = dict(o.split("=", 1) for o in ov)
            if isinstance(ov, dict) and key in ov:
                return ov[key]
            if key in row:
                return row[key]
            st = row.get("stats", {})
            if key in st:
                v = st[key]
                return v["value"] if isinstance(v, dict) else v
            return None

        hits = [r for r in self.rows if all(str(value(r, k)) == str(v) for k, v in match.items())]
        if len(hits) != 1:
            raise FigureError(f"{self.what}: {len(hits)} points match {match}")
        return Stats(hits[0], f"{self.what} point {match}")


def dtqvp(build: Path) -> str:
    exe = build / "dtqvp"
    if not exe.exists():
        raise FigureError(f"{exe} not found: build first (make build)")
    return str(exe)


EXTRA_SETS: list = []  # --extra-set: appended to every `run` command (tests perturb the model with it)


def run_command(cmd: str, build: Path, jobs: int):
    """Runs one recorded command; returns its result object."""
    words = [w.replace("{build}", str(build)) for w in shlex.split(cmd)]  # {build}: the build directory
    kind, args = words[0], words[1:]
    if kind == "run":
        for kv in EXTRA_SETS:
            args += ["--set", kv]
    env = dict(os.environ, DTQ_NO_PROGRESS="1")
    with tempfile.TemporaryDirectory(prefix="dtq-fig-") as tmp:
        if kind == "run":
            argv = [dtqvp(build), "run", *args, "--out", tmp, "-q"]
        elif kind == "sweep":
            argv = [dtqvp(build), "sweep", *args, "-j", str(jobs), "--out", tmp, "-q"]
        elif kind in ("report", "kernels"):
            argv = [dtqvp(build), kind, *args, "--json"]
        elif kind == "json":
            argv = [dtqvp(build), *args]
        elif kind == "stdout":
            argv = [dtqvp(build), *args]
        elif kind == "exe":
            if not args:
                raise FigureError(f"'{cmd}': exe needs a path under the build directory")
            exe = build / args[0]
            if not exe.exists():
                raise FigureError(f"{exe} not found: build first (make build)")
            argv = [str(exe), *args[1:]]
        elif kind == "py":
            argv = ["/usr/bin/python3", *args]
        else:
            raise FigureError(f"unknown command kind '{kind}' in '{cmd}'")
        p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            raise FigureError(f"'{' '.join(argv)}' exited {p.returncode}:\n{p.stderr[-2000:]}")
        if kind == "run":
            return Stats(json.loads(Path(tmp, "stats.json").read_text()), cmd)
        if kind in ("stdout", "exe"):
            return p.stdout
        if kind == "sweep":
            path = Path(tmp, "results.json")
            data = json.loads(path.read_text())
            rows = data.get("points", data) if isinstance(data, dict) else data
            return Sweep(rows, cmd)
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError as e:
            raise FigureError(f"'{cmd}' did not print JSON: {e}")


# ---- Markdown blocks --------------------------------------------------------------------
class Figure:
    def __init__(self, doc: Path, fid: str, spec: dict, open_line: int, body_start: int, body_end: int):
        self.doc, self.id, self.spec = doc, fid, spec
        self.open_line, self.body_start, self.body_end = open_line, body_start, body_end

    @property
    def runs(self) -> dict:
        return self.spec.get("runs", {}) or {}


def parse_doc(doc: Path):
    lines = doc.read_text().split("\n")
    figs = []
    i = 0
    while i < len(lines):
        m = OPEN_RE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and lines[j].strip() != "-->":
            j += 1
        if j == len(lines):
            raise FigureError(f"{doc}:{start + 1}: figure '{m.group(1)}' has no closing '-->'")
        try:
            spec = yaml.safe_load("\n".join(lines[start + 1:j])) or {}
        except yaml.YAMLError as e:
            raise FigureError(f"{doc}:{start + 1}: figure '{m.group(1)}': bad YAML: {e}")
        if "template" not in spec:
            raise FigureError(f"{doc}:{start + 1}: figure '{m.group(1)}' has no template")
        k = j + 1
        while k < len(lines) and lines[k].strip() != CLOSE:
            if OPEN_RE.match(lines[k]):
                raise FigureError(f"{doc}:{k + 1}: figure inside figure '{m.group(1)}'")
            k += 1
        if k == len(lines):
            raise FigureError(f"{doc}:{start + 1}: figure '{m.group(1)}' has no '{CLOSE}'")
        figs.append(Figure(doc, m.group(1), spec, start, j + 1, k))
        i = k + 1
    return lines, figs


FIELD_RE = re.compile(r"\{\{(.+?)\}\}", re.S)


def fmt_value(v, spec: str) -> str:
    spec = spec.strip()
    if spec == "":
        return str(v)
    if spec == "M":
        return f"{v / 1e6:.1f} M"
    if spec == "k":
        return f"{v / 1e3:.1f} k"
    if spec == "pct":
        return f"{v * 100:.1f} %"
    if spec.startswith("~"):  # N decimals, a whole number without them (0, 1)
        return str(int(v)) if float(v).is_integer() else f"{v:.{int(spec[1:])}f}"
    if spec == "x":
        return f"{v:.2f} x"
    if spec == "," and isinstance(v, float) and v.is_integer():
        v = int(v)
    return format(v, spec)


def find(items, **match):
    """The one element of a list of dicts whose keys equal `match` (report --json's ops)."""
    hits = [x for x in items if all(x.get(k) == v for k, v in match.items())]
    if len(hits) != 1:
        raise FigureError(f"{len(hits)} elements match {match}")
    return hits[0]


def grep(text, pattern):
    """re.findall over a text result (multi-line mode); fails when the regex matches nothing."""
    hits = re.findall(pattern, text, re.M)
    if not hits:
        raise FigureError(f"no match for '{pattern}' in the command's output")
    return hits


def render(fig: Figure, results: dict) -> list:
    env = {name: results[cmd] for name, cmd in fig.runs.items()}
    env.update({"round": round, "min": min, "max": max, "sum": sum, "abs": abs, "len": len, "int": int, "float": float,
                "str": str, "chr": chr, "sorted": sorted, "range": range, "find": find, "grep": grep,
                "sub": lambda pattern, repl, text: re.sub(pattern, repl, text)})
    for name, expr in (fig.spec.get("defs") or {}).items():  # named sub-expressions
        try:
            env[name] = eval(str(expr), {"__builtins__": {}, **env})  # noqa: S307
        except FigureError:
            raise
        except Exception as e:
            raise FigureError(f"{fig.doc}:{fig.open_line + 1}: figure '{fig.id}': defs.{name}: {e}")

    def field(m):
        text = m.group(1)
        expr, _, spec = text.partition(" | ")
        try:
            v = eval(expr.strip(), {"__builtins__": {}, **env})  # noqa: S307 (our own docs)
        except FigureError:
            raise
        except Exception as e:
            raise FigureError(f"{fig.doc}:{fig.open_line + 1}: figure '{fig.id}': '{expr.strip()}': {e}")
        return fmt_value(v, spec)

    return FIELD_RE.sub(field, fig.spec["template"].rstrip("\n")).split("\n")


def default_docs():
    return sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


def collect(docs, only):
    out = []
    for d in docs:
        lines, figs = parse_doc(d)
        out.append((d, lines, [f for f in figs if only is None or f.id == only]))
    return out


def run_all(parsed, build: Path, jobs: int) -> dict:
    cmds = sorted({c for _, _, figs in parsed for f in figs for c in f.runs.values()})
    results = {}
    def timed(c):
        t0 = time.monotonic()
        return run_command(c, build, 1 if jobs > 1 else 2), time.monotonic() - t0

    with cf.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        futs = {ex.submit(timed, c): c for c in cmds}
        for fut in cf.as_completed(futs):
            c = futs[fut]
            results[c], secs = fut.result()
            print(f"  ran ({secs:.1f} s wall): {c}", file=sys.stderr)
    return results


# ---- numbers outside figures ---------------------------------------------------------------
QUOTED_RE = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+\.\d+|\d+)")
NUM_RE = re.compile(r"(?<![\w.#/-])(\d{1,3}(?:,\d{3})+|\d+\.\d+|\d{4,})(?![\w/])")


def quotes(num: str, quoted: set) -> bool:
    """Is `num` one of the block numbers, or one of them rounded to num's decimals, possibly in
    thousands, millions or billions (a table's 26,967,330 quoted as 26.97 M)?"""
    if num in quoted:
        return True
    decimals = len(num.split(".")[1]) if "." in num else 0
    want = float(num.replace(",", ""))
    for q in quoted:
        v = float(q.replace(",", ""))
        for scale in (1, 1e3, 1e6, 1e9):
            if round(v / scale, decimals) == want:
                return True
    return False


def untied(docs, allow=None, seeds=None) -> list:
    """Numbers that look simulated (4+ digits, grouped, or decimals) outside figure blocks,
    code, links and headings, that are not quoted from one of the doc's figure blocks (a
    quote goes stale with its block and is then listed here), not in the papers, and not
    listed with a reason in docs/figures-allow.yaml (a doc mapped to a string there is exempt
    as a whole: generated reference pages; a doc under `_pending` is owned by another change:
    its count is printed and does not fail)."""
    if seeds is None:
        seeds = "\n".join(p.read_text(errors="replace") for p in (ROOT.parent / "shared" / "seeds").glob("*.txt")) \
            if (ROOT.parent / "shared" / "seeds").exists() else ""
    if allow is None:
        allow_file = ROOT / "docs" / "figures-allow.yaml"
        allow = (yaml.safe_load(allow_file.read_text()) if allow_file.exists() else {}) or {}
    pending = allow.get("_pending") or {}
    found = []
    for d in docs:
        if d.name in pending:  # owned by another change: counted and named, not failing
            n = len(untied([d], allow={k: v for k, v in allow.items() if k != "_pending"}, seeds=seeds))
            print(f"{d.relative_to(ROOT)}: {n} numbers pending ({pending[d.name]})", file=sys.stderr)
            continue
        lines, figs = parse_doc(d)
        inside = set()
        quoted = set()  # numbers printed by the doc's figure blocks: prose may quote them
        for f in figs:
            inside.update(range(f.open_line, f.body_end + 1))
            for line in lines[f.body_start:f.body_end]:
                quoted.update(m.group(1) for m in QUOTED_RE.finditer(line))
        rule = allow.get(d.name)
        if isinstance(rule, str):  # a whole doc with no simulated number (generated reference pages)
            continue
        allowed = {str(x) for x in (rule or [])}
        fence = False
        wall = None  # inside a <!-- wall-clock: REASON --> ... <!-- /wall-clock --> region: its line
        for n, line in enumerate(lines):
            if line.startswith("```"):
                fence = not fence
                continue
            if line.startswith("<!-- wall-clock"):
                if not re.match(r"<!-- wall-clock: \S.* -->\s*$", line):
                    found.append(f"{d.relative_to(ROOT)}:{n + 1}: a wall-clock region needs '<!-- wall-clock: REASON -->'")
                wall = n
                continue
            if line.startswith("<!-- /wall-clock -->"):
                wall = None
                continue
            if fence or wall is not None or n in inside or line.startswith("#"):
                continue
            text = re.sub(r"`[^`]*`|\]\([^)]*\)|<!--.*?-->", "", line)
            for m in NUM_RE.finditer(text):
                num = m.group(1)
                if num in allowed or quotes(num, quoted) or num in seeds or num.replace(",", "") in seeds:
                    continue
                found.append(f"{d.relative_to(ROOT)}:{n + 1}: {num}")
        if wall is not None:
            found.append(f"{d.relative_to(ROOT)}:{wall + 1}: wall-clock region not closed by '<!-- /wall-clock -->'")
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["update", "check", "list", "untied"])
    ap.add_argument("docs", nargs="*")
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only")
    ap.add_argument("--extra-set", action="append", default=[], metavar="KEY=VALUE",
                    help="append --set KEY=VALUE to every run command (to show that a changed constant fails the check)")
    a = ap.parse_args(argv)
    EXTRA_SETS.extend(a.extra_set)
    docs = [Path(d).resolve() for d in a.docs] or default_docs()
    try:
        if a.action == "untied":
            rows = untied(docs)
            for r in rows:
                print(r)
            print(f"{len(rows)} numbers not tied to a figure block or an allowed list", file=sys.stderr)
            return 1 if rows else 0
        parsed = collect(docs, a.only)
        if a.action == "list":
            for d, _, figs in parsed:
                for f in figs:
                    print(f"{d.relative_to(ROOT)}:{f.open_line + 1}: {f.id}")
                    for name, c in f.runs.items():
                        print(f"    {name}: {c}")
            return 0
        results = run_all(parsed, Path(a.build), a.jobs)
        bad = 0
        for d, lines, figs in parsed:
            new_lines = list(lines)
            for f in reversed(figs):
                body = render(f, results)
                old = lines[f.body_start:f.body_end]
                if body != old:
                    if a.action == "check":
                        bad += 1
                        for k in range(max(len(body), len(old))):
                            o = old[k] if k < len(old) else "<missing>"
                            b = body[k] if k < len(body) else "<missing>"
                            if o != b:
                                print(f"{d.relative_to(ROOT)}:{f.body_start + k + 1}: figure '{f.id}' differs\n"
                                      f"  doc:     {o}\n  command: {b}")
                                break
                    new_lines[f.body_start:f.body_end] = body
            if a.action == "update" and new_lines != lines:
                d.write_text("\n".join(new_lines))
                print(f"updated {d.relative_to(ROOT)}", file=sys.stderr)
        nfig = sum(len(f) for _, _, f in parsed)
        if a.action == "check":
            print(f"docs figures: {bad} of {nfig} differ from their commands" if bad else f"docs figures: {nfig} checked, all match")
            return 1 if bad else 0
        return 0
    except FigureError as e:
        print(f"docs_figures: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
