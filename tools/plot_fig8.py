#!/usr/bin/env python3
"""DTQAtten Fig. 8 in the paper's layout from `dtqvp sweep scenarios/sweeps/fig8.yaml`:
grouped bars per model (Eyeriss-like = 1, systolic-based, DTQAtten), the VP's speedup over
the Eyeriss-like design and its energy cost normalized to the Eyeriss-like design (1 -
energy.designs.<d>.saving_vs_eyeriss_like), each beside the paper's (Sec. V-C), and the
table of docs/results.md.

    build/dtqvp sweep scenarios/sweeps/fig8.yaml --out /tmp/fig8
    /usr/bin/python3 tools/plot_fig8.py /tmp/fig8/results.json [--out docs/img/fig8]

With --energy-model E (E: the results.json of scenarios/sweeps/fig8_energy_model.yaml) the
energy saved under the paper's stated method (energy.designs_pe: power_x_latency) joins the
table and the energy panel (hatched bars), from that sweep's plain points (one a model).

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


PLAIN = {"energy.designs_pe", "workload.attention.model", "workload.attention.ratio_pruned",
         "workload.attention.ratio_4bit", "workload.attention.ratio_8bit"}


def energy_model_rows(results):
    """model -> (systolic-based, DTQAtten) energy saved, from the points that set only the model."""
    out = {}
    for p in results["points"]:
        ov = p["overrides"]
        if isinstance(ov, list):
            ov = dict(o.split("=", 1) for o in ov)
        if set(ov) != PLAIN:
            continue
        if p.get("exit_code", 0) != 0 or "stats" not in p:
            sys.exit(f"plot_fig8: energy-model point {p.get('point')} failed (exit code {p.get('exit_code')})")
        s = p["stats"]
        out[ov["workload.attention.model"]] = (s["energy.designs.systolic_based.saving_vs_eyeriss_like"],
                                               s["energy.designs.dtqatten.saving_vs_eyeriss_like"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--out", help="write OUT.png and OUT.pdf")
    ap.add_argument("--energy-model", help="results.json of scenarios/sweeps/fig8_energy_model.yaml (power x latency)")
    a = ap.parse_args()
    r = rows(json.load(open(a.results)))
    em = energy_model_rows(json.load(open(a.energy_model))) if a.energy_model else {}
    missing = [m for m, *_ in r if a.energy_model and m not in em]
    if missing:
        sys.exit(f"plot_fig8: {a.energy_model} has no plain point for {', '.join(missing)}")
    extra = " | systolic-based (power x latency) | DTQAtten (power x latency)" if em else ""
    print("| model | speedup systolic-based (VP) | (paper) | DTQAtten (VP) | (paper) "
          "| energy saved systolic-based (VP) | (paper) | DTQAtten (VP) | (paper)" + extra + " |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:" + ("|---:|---:" if em else "") + "|")
    for m, sy, dq, esy, edq in r:
        p = PAPER[m]
        cols = f" | {em[m][0] * 100:.0f} % | {em[m][1] * 100:.0f} %" if em else ""
        print(f"| {m} | {sy:.2f} x | {p[0]} x | {dq:.2f} x | {p[1]} x | {esy * 100:.0f} % | {p[2] * 100:.0f} % "
              f"| {edq * 100:.0f} % | {p[3] * 100:.0f} %{cols} |")
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
        ebars = [(1.0, "0.8", None), (1 - esy, "tab:blue", None), (1 - p[2], "lightsteelblue", None),
                 (1 - edq, "tab:red", None), (1 - p[3], "lightsalmon", None)]
        if em:  # the paper's method beside each VSSA design's VP bar
            ebars.insert(2, (1 - em[m][0], "tab:blue", "power x latency (VP)"))
            ebars.insert(5, (1 - em[m][1], "tab:red", "power x latency (VP)"))
        we = w * 5 / len(ebars)
        for j, (v, col, lab) in enumerate(ebars):
            ae.bar(i + (j - (len(ebars) - 1) / 2) * we, v, we, color=col, hatch="//" if lab else None,
                   edgecolor="white" if lab else None, label=lab if (i == 0 and lab and j == 2) else None)
    for axis in (ax, ae):
        axis.set_xticks(range(len(r)), [x[0] for x in r])
    ax.set_ylabel("speedup over Eyeriss-like")
    ax.set_ylim(0, 1.4 * max(max(PAPER[x[0]][1], x[2]) for x in r))
    ax.legend(fontsize=7, ncol=3)
    ae.set_ylabel("energy, Eyeriss-like = 1")
    ae.set_ylim(0, 1.15)
    if em:
        ae.legend(fontsize=7)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{a.out}.{ext}")


if __name__ == "__main__":
    main()
