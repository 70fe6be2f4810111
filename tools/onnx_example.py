#!/usr/bin/python3
"""The ONNX example of docs/workloads.md#real-attention-maps, as one command: builds the test's
2-layer encoder (tests/platform/make_onnx_models.py) in a temporary folder, writes the scenario
the doc shows, runs it and prints its stats.json (the docs check reads the figures from it).

  /usr/bin/python3 tools/onnx_example.py [BUILD_DIR] [--set KEY=VALUE ...]
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv):
    build = argv[0] if argv and not argv[0].startswith("--") else os.path.join(ROOT, "build")
    sets = [a for a in argv if a != build]
    with tempfile.TemporaryDirectory(prefix="dtq-onnx-") as tmp:
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests", "platform", "make_onnx_models.py"), tmp],
                       check=True, capture_output=True)
        scen = os.path.join(tmp, "enc.yaml")
        with open(scen, "w") as f:
            f.write(f"include: {os.path.join(ROOT, 'scenarios', 'presets', 'dtqatten.yaml')}\n"
                    "name: onnx_encoder2\nmode: functional\nworkload:\n  kind: onnx\n"
                    f"  onnx: {{model: {tmp}/encoder2.onnx, seq: 16, input: {tmp}/encoder2_x.npy}}\n"
                    "  gemm: {a_precision: topk}\n")
        out = os.path.join(tmp, "out")
        p = subprocess.run([os.path.join(build, "dtqvp"), "run", scen, "--out", out, "-q", *sets],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            return p.returncode
        with open(os.path.join(out, "stats.json")) as f:
            print(json.dumps(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
