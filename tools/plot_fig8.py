#!/usr/bin/env python3
"""DTQAtten Fig. 8 in the paper's layout from `dtqvp sweep scenarios/sweeps/fig8.yaml`:
grouped bars per model (Eyeriss-like = 1, systolic-based, DTQAtten), the VP's speedup over
the Eyeriss-like design beside the paper's (Sec. V-C), and the table of docs/results.md.

    build/dtqvp sweep scenarios/sweeps/fig8.yaml --out /tmp/fig8
    /usr/bin/python3 tools/plot_fig8.py /tmp/fig8/results.json [--out docs/img/fig8]

Energy (the other half of Fig. 8) needs the energy model (issue #23) and is not drawn.
Needs Debian's python3-matplotlib; run it with /usr/bin/python3.
"""
import argparse
import json
import sys

# DTQAtten Sec. V-C, Fig. 8: speedup over the Eyeriss-based design.
PAPER = {
    "bert-base": (8.17, 13.57),
    "bert-large": (9.16, 16.42),
    "gpt2": (5.67, 10.67),
    "gpt2-medium": (6.06, 11.8),
}


def rows(results):
    out = []
    for p in results["points"]:
        if p.get("exit_code", 0) != 0 or "stats" not in p:
            sys.exit(f"plot_fig8: point {p.get('point')} failed (exit code {p.get('exit_code')})")
        s = p["stats"]
        ov = p["overrides"]
        if isinstance(ov, list):  # ["key=value", ...]
            ov = dict(o.split("=", 1) for o in ov)
        model = ov["workload.attention.model"]
        out.append((model, s["designs.systolic_based.speedup_vs_eyeriss"], s["designs.dtqatten.speedup_vs_eyeriss"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--out", help="write OUT.png and OUT.pdf")
    a = ap.parse_args()
    r = rows(json.load(open(a.results)))
    print("| model | systolic-based (VP) | (paper) | DTQAtten (VP) | (paper) |")
    print("|---|---:|---:|---:|---:|")
    for m, sy, dq in r:
        print(f"| {m} | {sy:.2f} x | {PAPER[m][0]} x | {dq:.2f} x | {PAPER[m][1]} x |")
    if not a.out:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    w = 0.18
    for i, (m, sy, dq) in enumerate(r):
        bars = [(1.0, "Eyeriss-like", "0.8"), (sy, "systolic-based (VP)", "tab:blue"), (PAPER[m][0], "systolic-based (paper)", "lightsteelblue"),
                (dq, "DTQAtten (VP)", "tab:red"), (PAPER[m][1], "DTQAtten (paper)", "lightsalmon")]
        for j, (v, lab, col) in enumerate(bars):
            ax.bar(i + (j - 2) * w, v, w, color=col, label=lab if i == 0 else None)
    ax.set_xticks(range(len(r)), [m for m, _, _ in r])
    ax.set_ylabel("speedup over Eyeriss-like")
    ax.set_ylim(0, 1.4 * max(max(PAPER[m][1], dq) for m, _, dq in r))
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{a.out}.{ext}")


if __name__ == "__main__":
    main()
