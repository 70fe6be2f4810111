#!/usr/bin/python3
"""The table of every statistic for docs/user-guide.md#every-statistic, from the stats.json
of runs: name, unit and description (what it counts), one row per name, with the per-op
(`ops.<op>.`), per-layer (`layer<l>`) and per-unit families folded into one row each.

Usage: tools/stats_doc.py STATS.json...      prints the table (markdown)
       tools/stats_doc.py --check DOC STATS.json...   exit 1 when a row is missing from DOC's table
(a row of DOC that these runs did not produce is allowed: e.g. cosim.* in a build without the RTL)
"""
import json
import re
import sys

BEGIN = "<!-- stats-table: tools/stats_doc.py; do not edit by hand -->"
END = "<!-- end of stats-table -->"


def fold(name):
    name = re.sub(r"^ops\.[a-z0-9_]+\.", "ops.<op>.", name)
    return re.sub(r"layer[0-9]+", "layer<l>", name)


def table(paths):
    rows = {}
    for p in paths:
        with open(p) as f:
            stats = json.load(f)["stats"]
        for k, v in stats.items():
            key = fold(k)
            desc = v.get("description", "").replace("|", "\\|")
            rows.setdefault(key, (v.get("unit", ""), desc))
    lines = [BEGIN, "", "| statistic | unit | what it counts |", "|---|---|---|"]
    lines += [f"| `{k}` | {u} | {d} |" for k, (u, d) in sorted(rows.items())]
    lines += ["", END]
    return "\n".join(lines) + "\n"


def main(argv):
    if argv[:1] == ["--check"]:
        doc, paths = argv[1], argv[2:]
        text = open(doc).read()
        if BEGIN not in text or END not in text:
            print(f"stats_doc: {doc}: no stats table (markers {BEGIN!r} ... {END!r})", file=sys.stderr)
            return 1
        have = set(text[text.index(BEGIN):text.index(END)].splitlines())
        want = [l for l in table(paths).splitlines() if l.startswith("| `")]
        missing = [l for l in want if l not in have]
        for l in missing:
            print(f"stats_doc: missing or different in {doc}: {l}", file=sys.stderr)
        if missing:
            print("stats_doc: regenerate the table (docs/user-guide.md#every-statistic)", file=sys.stderr)
            return 1
        print(f"stats_doc: {doc} lists every statistic these runs produced ({len(want)} names)")
        return 0
    sys.stdout.write(table(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
