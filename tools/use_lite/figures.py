#!/usr/bin/python3
"""The trained-layer figures of docs/results.md#a-trained-model, as one command: runs the shipped
USE-Lite layer (scenarios/onnx/use_lite_l1.onnx, 116 tokens) through dtqvp

  * the GEMM path with a_precision topk, the engines ranking the attention maps' importance
    (DTQAtten) and, for the ablation, a seeded random ranking at the same counts (seeds 1-3);
  * the integer pipeline (scenarios/onnx_use_lite.yaml), with the I-BERT softmax and with
    softmax.mode softermax,

reads each run's DIR/tokens.csv and stats.json and prints one JSON object: per choice the share
of the layer's importance (the importance accumulator's column sums: attention probability each
token receives, summed over heads and queries) held by the pruned, 4-bit and 8-bit tokens,
the GEMM accuracy proxy, the pruned tokens' sentencepiece pieces, and the integer pipeline's
figures.

  /usr/bin/python3 tools/use_lite/figures.py [BUILD_DIR]
"""
import csv
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ONNX = os.path.join(ROOT, "scenarios", "onnx")


def run(build, scen, out, sets):
    p = subprocess.run([os.path.join(build, "dtqvp"), "run", scen, "--out", out, "-q", *sum((["--set", s] for s in sets), [])],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        sys.exit(p.returncode)
    stats = {k: v["value"] for k, v in json.load(open(os.path.join(out, "stats.json")))["stats"].items()}
    tokens = []
    if os.path.exists(os.path.join(out, "tokens.csv")):
        with open(os.path.join(out, "tokens.csv")) as f:
            tokens = [(int(r["token"]), int(r["score"]), int(r["precision"])) for r in csv.DictReader(f)]
    return stats, tokens


def shares(importance, prec):
    total = sum(importance)
    return {b: sum(i for i, p in zip(importance, prec) if p == b) / total for b in (0, 4, 8)}


def main(argv):
    build = argv[0] if argv else os.path.join(ROOT, "build")
    pieces = json.load(open(os.path.join(ONNX, "use_lite_tokens.json")))["pieces"]
    with tempfile.TemporaryDirectory(prefix="dtq-use-") as tmp:
        scen = os.path.join(tmp, "gemm.yaml")
        with open(scen, "w") as f:
            f.write(f"include: {os.path.join(ROOT, 'scenarios', 'presets', 'dtqatten.yaml')}\n"
                    "name: use_lite_gemm\nmode: functional\nworkload:\n  kind: onnx\n"
                    f"  onnx: {{model: {ONNX}/use_lite_l1.onnx, seq: 116, input: {ONNX}/use_lite_l1_x.npy}}\n"
                    "  gemm: {a_precision: topk}\n")
        st, tk = run(build, scen, os.path.join(tmp, "imp"), [])
        importance = [s for _, s, _ in tk]
        prec = [p for _, _, p in tk]
        res = {"tokens": len(tk), "importance": {"shares": shares(importance, prec), "cosine_mean": st["onnx.cosine_mean"],
                                                  "cosine_min": st["onnx.cosine_min"],
                                                  "counts": [prec.count(b) for b in (0, 4, 8)]},
               "pruned_pieces": [pieces[t] for t, _, p in tk if p == 0],
               "eight_bit_pieces": [pieces[t] for t, _, p in tk if p == 8]}
        rnd = []
        for seed in (1, 2, 3):
            st_r, tk_r = run(build, scen, os.path.join(tmp, f"rnd{seed}"), ["workload.gemm.topk_scores=random", f"seed={seed}"])
            pr = [p for _, _, p in tk_r]
            rnd.append({"seed": seed, "shares": shares(importance, pr), "cosine_mean": st_r["onnx.cosine_mean"],
                        "cosine_min": st_r["onnx.cosine_min"]})
        res["random"] = rnd
        res["random_mean"] = {"shares": {b: sum(r["shares"][b] for r in rnd) / len(rnd) for b in (0, 4, 8)},
                              "cosine_mean": sum(r["cosine_mean"] for r in rnd) / len(rnd)}
        st_i, _ = run(build, os.path.join(ROOT, "scenarios", "onnx_use_lite.yaml"), os.path.join(tmp, "int"), [])
        res["integer"] = {k: st_i[k] for k in ("onnx.layer0.cosine", "onnx.layer0.max_abs_error", "onnx.layer0.reference_max_abs",
                                                 "onnx.layer0.mismatches", "attention.next_tokens_pruned",
                                                 "attention.next_tokens_4bit", "attention.next_tokens_8bit")}
        res["integer"]["cycles"] = st_i.get("ctrl.busy_cycles")
        st_s, _ = run(build, os.path.join(ROOT, "scenarios", "onnx_use_lite.yaml"), os.path.join(tmp, "soft"), ["softmax.mode=softermax"])
        res["integer_softermax"] = {k: st_s[k] for k in ("onnx.layer0.cosine", "onnx.layer0.mismatches", "onnx.layer0.max_abs_error")}
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
