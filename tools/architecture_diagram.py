#!/usr/bin/env python3
"""Draws docs/img/architecture.svg, the block diagram of docs/architecture.md, with Graphviz.

    /usr/bin/python3 tools/architecture_diagram.py      # writes docs/img/architecture.{dot,svg}

Boxes are sc_modules (their instance names in a platform run); solid edges are TLM-2.0
sockets from initiator to target, labelled with what travels on them (a job extension of
models/common/block_job.h, or plain memory transactions); the dashed edge is the interrupt.
Needs `dot` (Debian package graphviz).
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DOT = r'''digraph dtqvp {
  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.35, ranksep=0.55, newrank=true];
  node  [shape=box, style="rounded,filled", fillcolor="#f4f4f4", fontname="Helvetica", fontsize=10];
  edge  [fontname="Helvetica", fontsize=8, color="#444444"];

  host  [label="host\nmodels/host\n(firmware: native or rv32 ISS)", fillcolor="#e8f0fe"];
  ctrl  [label="ctrl\nmodels/ctrl\nregisters, command ring, decode", fillcolor="#e8f0fe"];

  subgraph cluster_seq {
    label="sequencer (platform/sequencer: attention_layer, compute_ops)"; style="rounded,dashed"; color="#888888"; fontsize=10;
    attention [label="attention\nATTENTION", fillcolor="#fff4d6"];
    compute   [label="compute\nGEMM, SOFTMAX, LAYERNORM,\nGELU, REQUANT, RESADD", fillcolor="#fff4d6"];
  }

  subgraph cluster_blocks {
    label="compute blocks (models/<block>/<block>_block.h)"; style="rounded"; color="#888888"; fontsize=10;
    fetcher      [label="fetcher\nmodels/fetcher", fillcolor="#e6f4ea"];
    vssa         [label="vssa\nmodels/vssa\n(tile model or Verilated RTL)", fillcolor="#e6f4ea"];
    softmax      [label="softmax\nmodels/softmax\n(i-softmax, Softermax)", fillcolor="#e6f4ea"];
    normact      [label="normact\nmodels/normact\n(LayerNorm, GELU, requant)", fillcolor="#e6f4ea"];
    topk         [label="topk\nmodels/topk\n(importance, 2 engines)", fillcolor="#e6f4ea"];
    decompressor [label="decompressor\nmodels/decompressor\n(NM24)", fillcolor="#e6f4ea"];
  }

  dma [label="dma\nmodels/dma\n(descriptor queue)", fillcolor="#fce8e6"];
  bus [label="bus\nmodels/memory", fillcolor="#fce8e6"];
  subgraph cluster_mem {
    label="memories (models/memory)"; style="rounded"; color="#888888"; fontsize=10;
    l2 [label="l2 (optional)"]; dram [label="dram"];
    scratchpad [label="scratchpad"]; accumulator [label="accumulator"];
    linebuf [label="qbuf, kbuf, vbuf\n(line buffers)"];
  }

  host -> bus [label="MMIO"];
  bus -> ctrl [label="registers"];
  ctrl -> bus [label="command fetch"];
  ctrl -> attention [label="command"];
  ctrl -> compute [label="command"];
  ctrl -> host [style=dashed, label="IRQ"];

  attention -> fetcher [label="fetch_job"];
  attention -> vssa [label="gemm_job"];
  attention -> softmax [label="softmax_job"];
  attention -> topk [label="topk_job"];
  attention -> dma [label="dma_job (drain)"];
  compute -> vssa [label="gemm_job"];
  compute -> softmax [label="softmax_job"];
  compute -> normact [label="row_job"];
  compute -> decompressor [label="expand_job"];
  compute -> dma [label="dma_job"];
  compute -> scratchpad [label="transpose_job"];
  fetcher -> dma [label="dma_job"];
  topk -> bus [label="precision list"];
  attention -> bus [label="precision list"];
  compute -> bus [label="operands (functional)"];
  vssa -> bus [label="operands, results\n(functional)"];
  vssa -> linebuf [label="port_job (banks)"];
  vssa -> scratchpad [label="port_job (banks)"];
  fetcher -> linebuf [label="transpose_job (V)"];
  softmax -> scratchpad [label="port_job"];
  normact -> scratchpad [label="port_job"];

  dma -> bus [label="bursts"];
  bus -> l2 -> dram;
  bus -> scratchpad; bus -> accumulator; bus -> linebuf;
}
'''


def main() -> int:
    img = os.path.join(ROOT, "docs", "img")
    os.makedirs(img, exist_ok=True)
    dot_path = os.path.join(img, "architecture.dot")
    svg_path = os.path.join(img, "architecture.svg")
    with open(dot_path, "w") as f:
        f.write(DOT)
    try:
        subprocess.run(["dot", "-Tsvg", dot_path, "-o", svg_path], check=True)
    except FileNotFoundError:
        print("architecture_diagram.py: `dot` not found (apt-get install graphviz)", file=sys.stderr)
        return 1
    print(svg_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
