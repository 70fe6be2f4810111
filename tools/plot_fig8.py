#!/usr/bin/env python3
"""DTQAtten Fig. 8 in the paper's layout from `dtqvp sweep scenarios/sweeps/fig8.yaml`:
grouped bars per model (Eyeriss-like = 1, systolic-based, DTQAtten), the VP's speedup over
the Eyeriss-like design and its energy cost normalized to the Eyeriss-like design (1 -
energy.designs.<d>.saving_vs_eyeriss_like), each beside the paper's (Sec. V-C), and the
table of docs/results.md.

    build/dtqvp sweep scenarios/sweeps/fig8.yaml --out /tmp/fig8
    /usr/bin/python3 tools/plot_fig8.py /tmp/fig8/results.json [--out docs/img/fig8]

Needs Debian's python3-matplotlib for --out; run it with /usr/bin/python3.
"""
import argparse
import json
import sys

# DTQAtten Sec. V-C, Fig. 8: speedup over the Eyeriss-based design (systolic-based, DTQAtten)
# and the energy cost it reduces ("reduce 56%, 68%, 49%, 53%" and "71%, 79%, 71%, 74%").
PAPER = {
    "bert-base": (8.17, 13.57, 0.56, 0.71),
    "bert-large": (9.16, 16.42, 0.68, 0.79),
    "gpt2": (5.67, 10.67, 0.49, 0.71),
    "gpt2-medium": (6.06, 11.8, 0.53, 0.74),
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
        if model not in PAPER:
            sys.exit(f"plot_fig8: model {model!r} is not one of Fig. 8's ({', '.join(PAPER)})")
        for k in ("designs.systolic_based.speedup_vs_eyeriss", "designs.dtqatten.speedup_vs_eyeriss",
                  "energy.designs.systolic_based.saving_vs_eyeriss_like", "energy.designs.dtqatten.saving_vs_eyeriss_like"):
            if k not in s:
                sys.exit(f"plot_fig8: point {p.get('point')} has no statistic {k} (a sweep of fig8.yaml with energy on?)")
        out.append((model, s["designs.systolic_based.speedup_vs_eyeriss"], s["designs.dtqatten.speedup_vs_eyeriss"],
                    s["energy.designs.systolic_based.saving_vs_eyeriss_like"], s["energy.designs.dtqatten.saving_vs_eyeriss_like"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--out", help="write OUT.png and OUT.pdf")
    a = ap.parse_args()
    r = rows(json.load(open(a.results)))
    print("| model | speedup systolic-based (VP) | (paper) | DTQAtten (VP) | (paper) "
          "| energy saved systolic-based (VP) | (paper) | DTQAtten (VP) | (paper) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m, sy, dq, esy, edq in r:
        p = PAPER[m]
        print(f"| {m} | {sy:.2f} x | {p[0]} x | {dq:.2f} x | {p[1]} x | {esy * 100:.0f} % | {p[2] * 100:.0f} % "
              f"| {edq * 100:.0f} % | {p[3] * 100:.0f} % |")
    if not a.out:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ae) = plt.subplots(1, 2, figsize=(11, 3.4))
    w = 0.16
    for i, (m, sy, dq, esy, edq) in enumerate(r):
        p = PAPER[m]
        bars = [(1.0, "Eyeriss-like", "0.8"), (sy, "systolic-based (VP)", "tab:blue"), (p[0], "systolic-based (paper)", "lightsteelblue"),
                (dq, "DTQAtten (VP)", "tab:red"), (p[1], "DTQAtten (paper)", "lightsalmon")]
        for j, (v, lab, col) in enumerate(bars):
            ax.bar(i + (j - 2) * w, v, w, color=col, label=lab if i == 0 else None)
        ebars = [(1.0, "0.8"), (1 - esy, "tab:blue"), (1 - p[2], "lightsteelblue"), (1 - edq, "tab:red"), (1 - p[3], "lightsalmon")]
        for j, (v, col) in enumerate(ebars):
            ae.bar(i + (j - 2) * w, v, w, color=col)
    for axis in (ax, ae):
        axis.set_xticks(range(len(r)), [x[0] for x in r])
    ax.set_ylabel("speedup over Eyeriss-like")
    ax.set_ylim(0, 1.4 * max(max(PAPER[x[0]][1], x[2]) for x in r))
    ax.legend(fontsize=7, ncol=3)
    ae.set_ylabel("energy, Eyeriss-like = 1")
    ae.set_ylim(0, 1.15)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{a.out}.{ext}")


if __name__ == "__main__":
    main()
