"""dtqvp from Python: run a scenario or a sweep of the virtual platform and get the statistics.

    import dtqvp
    r = dtqvp.run("scenarios/default.yaml", {"vssa.arrays": 1})
    r["stats"]["vssa.cycles"]     # {"value": ..., "unit": "cycles", "description": ...}
    r["config"]                   # the resolved configuration (every key, defaults filled in)
    rows = dtqvp.sweep("sweeps/precision_ratios")
    import pandas; df = pandas.DataFrame(rows)

Every simulation runs the dtqvp binary in a subprocess (SystemC elaborates one design per
process), so run() can be called any number of times and gives the numbers of the command line. Errors raise dtqvp.Error with the
message and the exit code of the command line (docs/user-guide.md#exit-codes).
A scenario is a file, or the name of a shipped one (`dtqvp scenarios` lists them).
See docs/python.md.
"""


class Error(Exception):
    """A run that failed: .message is what `dtqvp run` prints, .exit_code its exit code."""

    def __init__(self, message, exit_code):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self):
        return f"{self.message} (exit code {self.exit_code})"


from . import _core  # noqa: E402  (Error must exist before the core raises it)


def run(scenario, sets=None, out=None, trace=None):
    """Runs a scenario; returns stats.json as a dict: scenario, config, sim, stats (name ->
    {value, unit, description}), plus exit_code, log (the firmware's output) and, with out,
    out_dir. sets: {"key.path": value} or ["key.path=value"], the CLI's --set. out: keep
    stats.json there (default: a temporary folder, removed). trace: write a Chrome trace."""
    return _core.run(str(scenario), sets, "" if out is None else str(out), "" if trace is None else str(trace))


def sweep(sweep_file, out=None, jobs=1):
    """Runs every point of a sweep file one after the other; returns one dict per point:
    point, exit_code, the swept keys (typed, from the resolved config), simulated_cycles and
    every statistic's value -- rows pandas.DataFrame accepts. A failed point has its exit code
    and an error column; the other points still run. out: keep each point's stats.json in
    out (the CLI's layout: points/NNNN, results.csv, results.json; a second call resumes).
    jobs: worker processes, the CLI's -j."""
    return _core.sweep(str(sweep_file), "" if out is None else str(out), int(jobs))


def units(result):
    """{statistic: unit} of a run() result (for labelling the columns of a sweep)."""
    return {k: v["unit"] for k, v in result["stats"].items()}


def exe():
    """The dtqvp binary the module runs ($DTQVP_EXE, else the one beside or above the module)."""
    return _core.exe()


def scenarios():
    """{name: first comment line} of the shipped scenarios, sweeps and presets (`dtqvp scenarios`)."""
    code, out, err = _core.command(["scenarios"])
    if code != 0:
        raise Error(err.strip(), code)
    names = {}
    for line in out.splitlines():
        if line.startswith("  "):
            name, _, summary = line.strip().partition(" ")
            names[name] = summary.strip()
    return names
