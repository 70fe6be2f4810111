#!/usr/bin/env python3
"""tools/mutate.py: mutation testing of dtqvp's formulas (docs/testing.md#mutation-testing).

Each mutation is (file, exact original snippet, replacement): the script applies one,
builds, runs the tests, records which tests failed (the mutation is "killed") or that none
did ("survived"), and restores the file, also on Ctrl-C or a build failure. A snippet that
is not in the file exactly once is reported as "snippet not found" (or "ambiguous") and
skipped, so the list can be re-pointed after code moves (replace `file`, keep the snippet).
The chosen subsets run once on the unmutated tree first: a test that fails there (an input
missing from the checkout, a stale build) kills nothing ("baseline failure").

  tools/mutate.py --list                       the mutations, one a line
  tools/mutate.py --check                      every snippet found exactly once? (no build)
  tools/mutate.py [--build build] [IDS...]     run the listed mutations (all by default),
                                               each against its targeted test subset
  tools/mutate.py --full [IDS...]              ... against the whole ctest suite (slow)
  tools/mutate.py --report docs/mutation-results.md   also write the table there
  tools/mutate.py --json new.json --merge old.json IDS...   run IDS, report them with old.json's others

Manual or scheduled, never in the per-commit CI: a mutation costs a rebuild of what
depends on the file and a test run. Exit code 0 when every mutation that ran was killed
or is listed as equivalent, 1 otherwise, 2 for bad arguments or a snippet not found."""
import argparse, json, os, re, signal, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Test subsets (ctest -R regexes) and the targets they need. Test names are Catch2
# TEST_CASE names (catch_discover_tests) or the add_test names of tests/*/CMakeLists.txt.
S = {
    "memory": (r"^(dram|l2|dma|bus|stats): ", ["test_memory"]),
    "topk": (r"^top-k: |^importance: ", ["test_topk"]),
    "analytical": (r"^analytical: |^cli\.report", ["test_platform", "dtqvp"]),
    "gemm": (r"^GEMM", ["test_compute_ops"]),
    "attention": (r"^scenario\.attention|^attention layer: ", ["dtqvp", "test_attention_layer"]),
    "vssa": (r"^vssa: ", ["test_vssa"]),
    "memo": (r"^gemm_memo: |^cli\.gemm_memo$", ["test_vssa", "dtqvp"]),
    "ibert": (r"^ibert|^cli\.kernels", ["test_ibert", "dtqvp"]),
    "softmax": (r"^softermax|^softmax unit|^ibert edges", ["test_softmax", "test_ibert"]),
    "study": (r"^cli\.(run_default|tokens_seq512|determinism)|^scenario\.(default|vssa_reorder|compare_bert_base)$",
              ["dtqvp"]),
    "fetcher": (r"^fetcher: |^scenario\.attention", ["test_fetcher", "dtqvp"]),
    "model": (r"^scenario\.models\.bert_base$|^encoder layer|^decoder|^unfused", ["dtqvp", "test_model"]),
    "jedec": (r"^dram jedec: |^energy: dram\.model jedec", ["test_dram_jedec", "test_energy"]),
    "energy": (r"^energy: |^scenario\.attention_schedule$", ["test_energy", "dtqvp"]),
    "dma": (r"^cli\.dma_(busy_split|busy_union|descriptor_sum)$|^scenario\.attention_schedule$", ["dtqvp"]),
    "iss": (r"^firmware\.(fw_build|iss_cpi|delay_loop|user_prog)$|^host: ", ["dtqvp", "test_host"]),
    "onnx": (r"^onnx integer: ", ["test_onnx_import"]),
}


def M(id, file, orig, repl, subsets, note="", equivalent=""):
    return {"id": id, "file": file, "orig": orig, "repl": repl, "subsets": subsets, "note": note,
            "equivalent": equivalent}


MUTATIONS = [
    # ---- the seven of issue #30 ------------------------------------------------------
    M("gemm-no-double-buffer", "platform/sequencer/compute_ops.cpp",
      "if (t + 1 < n) load_end[t + 1] = loads(t + 1, t ? comp_end[t - 1] : start);",
      "if (t + 1 < n) load_end[t + 1] = loads(t + 1, comp_end[t]);",
      ["gemm", "model"], "the GEMM command loses its double buffering"),
    M("attn-module1-without-drain", "platform/sequencer/attention_layer.cpp",
      "module1_end = std::max(module1_end, we);", "module1_end = std::max(module1_end, pv_end[h]);",
      ["attention"], "module 1's end ignores the output-drain DMA"),
    M("l2-hit-rate-from-misses", "models/memory/l2.cpp",
      "return n ? static_cast<double>(m_hits) / static_cast<double>(n) : 0.0;",
      "return n ? static_cast<double>(m_misses) / static_cast<double>(n) : 0.0;",
      ["memory"], "l2.hit_rate computed from misses"),
    M("dram-utilization-from-bytes", "models/memory/dram.cpp",
      "return now ? static_cast<double>(m_busy_cycles) / static_cast<double>(now) : 0.0;",
      "return now ? static_cast<double>(m_bytes_read + m_bytes_written) / static_cast<double>(now) : 0.0;",
      ["memory"], "dram.bandwidth_utilization computed from bytes"),
    M("dma-busy-without-setup", "models/dma/dma.cpp",
      "add_busy(start_cycle, last);", "add_busy(issue, last);",
      ["memory"], "dma.busy_cycles without the set-up cycles"),
    M("topk-count-floor", "models/topk/topk.cpp",
      "double k = std::nearbyint(x);", "double k = std::floor(x);",
      ["topk"], "top-k count from a ratio floored instead of rounded"),
    M("analytical-qk-no-minus-one", "platform/workloads/analytical.cpp",
      "ops.push_back({\"qk\", n * l * l * h * (2 * dh - 1), n * (2 * l * d + h * l * l)});",
      "ops.push_back({\"qk\", n * l * l * h * (2 * dh), n * (2 * l * d + h * l * l)});",
      ["analytical"], "Q x K FLOPs without the -1 of the additions"),
    # ---- the memory system -------------------------------------------------------------
    M("dram-beats-floor", "models/memory/dram.cpp",
      "const uint64_t beats = m_port.ceil(len) + extra_busy;",
      "const uint64_t beats = m_port.div(len) + extra_busy;", ["memory"]),
    M("dram-no-latency", "models/memory/dram.cpp",
      "return m_busy_until + latency;", "return m_busy_until;", ["memory"]),
    M("dram-no-queueing", "models/memory/dram.cpp",
      "const uint64_t start = std::max(at, m_busy_until);\n    const uint64_t beats",
      "const uint64_t start = at;\n    const uint64_t beats", ["memory"]),
    M("dram-busy-not-counted", "models/memory/dram.cpp",
      "m_busy_cycles += beats;", "m_busy_cycles += beats - extra_busy + 1;", ["memory"]),
    M("dram-row-extra-on-hit", "models/memory/dram.cpp",
      "else if (!hit) extra_busy += m_cfg.row_miss_cycles - m_cfg.row_hit_cycles;",
      "else extra_busy += m_cfg.row_miss_cycles - m_cfg.row_hit_cycles;", ["memory"]),
    M("l2-port-floor", "models/memory/l2.cpp",
      "m_busy_until = start + m_port.ceil(len);",
      "m_busy_until = start + m_port.div(len);", ["memory"]),
    M("l2-no-hit-latency", "models/memory/l2.cpp",
      "return ready + m_cfg.hit_latency_cycles;", "return ready;", ["memory"]),
    M("l2-whole-line-fills", "models/memory/l2.cpp",
      "if (!whole_line) add_run(m_fill_runs, la);", "add_run(m_fill_runs, la);", ["memory"]),
    M("l2-no-writeback", "models/memory/l2.cpp",
      "for (const run& r : m_wb_runs) dram_burst(true, r.addr, r.bytes, start_time, st);",
      "(void)start_time;", ["memory"]),
    M("local-memory-no-latency", "models/memory/local_memory.cpp",
      "return m_busy_until + m_cfg.latency_cycles;", "return m_busy_until;", ["memory", "gemm"]),
    M("bus-no-latency", "models/memory/bus.cpp", "delay += m_latency;", "(void)m_latency;", ["memory"]),
    M("dma-no-setup", "models/dma/dma.cpp",
      "const uint64_t issue = start_cycle + m_cfg.setup_cycles;", "const uint64_t issue = start_cycle;", ["memory"]),
    # ---- VSSA ----------------------------------------------------------------------------
    M("vssa-no-result-drain", "models/vssa/tile_model.cpp",
      "r.cycles = 1 + r.step_cycles + static_cast<uint64_t>(R);", "r.cycles = 1 + r.step_cycles;", ["vssa"]),
    M("vssa-no-load-cycle", "models/vssa/tile_model.cpp",
      "r.cycles = 1 + r.step_cycles + static_cast<uint64_t>(R);",
      "r.cycles = r.step_cycles + static_cast<uint64_t>(R);", ["vssa"]),
    M("vssa-steps-off-by-one", "models/vssa/tile_model.cpp",
      "const uint64_t steps = static_cast<uint64_t>(K) + static_cast<uint64_t>(diags) - 1;",
      "const uint64_t steps = static_cast<uint64_t>(K) + static_cast<uint64_t>(diags);", ["vssa"]),
    M("vssa-makespan-min", "models/vssa/engine.cpp",
      "res.cycles = *std::max_element(res.array_cycles.begin(), res.array_cycles.end());",
      "res.cycles = *std::min_element(res.array_cycles.begin(), res.array_cycles.end());", ["vssa", "gemm"]),
    M("vssa-round-robin-start", "models/vssa/engine.cpp",
      "size_t arr = tile % res.array_cycles.size();",
      "size_t arr = (tile + 1) % res.array_cycles.size();", ["vssa", "gemm"],
      equivalent="the tiles' cycles do not depend on the array they run on, and the makespan is a "
                 "maximum over arrays: rotating the start array permutes the per-array sums"),
    M("vssa-no-scale-stages", "models/vssa/engine.cpp",
      "res.array_cycles[arr] += t.cycles + op.scale_stages;", "res.array_cycles[arr] += t.cycles;", ["vssa", "gemm"]),
    M("study-utilization-no-arrays", "platform/workloads/attention_study.cpp",
      "const double pes = static_cast<double>(m_cfg.vssa.rows * m_cfg.vssa.cols * m_cfg.vssa.arrays);",
      "const double pes = static_cast<double>(m_cfg.vssa.rows * m_cfg.vssa.cols);", ["study"]),
    M("study-reorder-speedup-inverted", "platform/workloads/attention_study.cpp",
      "return m_cfg.vssa.reorder ? static_cast<double>(m_cycles_other) / static_cast<double>(m_cycles)",
      "return m_cfg.vssa.reorder ? static_cast<double>(m_cycles) / static_cast<double>(m_cycles_other)", ["study"]),
    M("fetcher-order-8bit-first", "models/fetcher/fetcher.cpp",
      "        for (uint32_t id : bits4) order.push_back({id, 4});\n        for (uint32_t id : bits8) order.push_back({id, 8});",
      "        for (uint32_t id : bits8) order.push_back({id, 8});\n        for (uint32_t id : bits4) order.push_back({id, 4});",
      ["fetcher", "study"], "the reordering reversed (8-bit cluster first)"),
    M("fetcher-address-floor", "models/fetcher/fetcher.cpp",
      "uint64_t address_cycles(uint64_t tokens, uint64_t lanes) { return ceil_div(tokens, lanes); }",
      "uint64_t address_cycles(uint64_t tokens, uint64_t lanes) { return tokens / lanes; }", ["fetcher"]),
    # ---- nonlinear units, top-k ---------------------------------------------------------
    M("softmax-two-passes", "models/ibert/timing.h",
      "return n == 0 || rows == 0 ? 0 : rows * (SOFTMAX_PASSES * vectors_per_row(n, c) + c.pipeline_latency);",
      "return n == 0 || rows == 0 ? 0 : rows * (2 * vectors_per_row(n, c) + c.pipeline_latency);",
      ["ibert", "attention"]),
    M("softmax-cap-removed", "models/softmax/softmax_unit.cpp",
      "const int64_t top = (int64_t{1} << std::min(c.output_bit, 7)) - 1;  // largest signed 8-bit operand",
      "const int64_t top = (int64_t{1} << std::min(c.output_bit, 7));  // largest signed 8-bit operand",
      ["softmax"], equivalent="y never exceeds 127 with output_bit 7 (docs/attention.md step 4); the cap is a guard"),
    M("topk-no-emit-pass", "models/topk/topk.cpp",
      "return digits * (stream + scan) + stream;", "return digits * (stream + scan);", ["topk", "attention"]),
    M("topk-scan-floor", "models/topk/topk.cpp",
      "const uint64_t scan = ceil_div(uint64_t{1} << c.radix_bits, c.lanes);",
      "const uint64_t scan = (uint64_t{1} << c.radix_bits) / (c.lanes + 1);", ["topk", "attention"]),
    M("topk-importance-no-ceil", "models/topk/topk.cpp",
      "return rows * ceil_div(cols, lanes);", "return rows * (cols / lanes);", ["topk", "attention"]),
    M("topk-count-half-up", "models/topk/topk.cpp",
      "k = std::fmod(lo, 2.0) == 0 ? lo : lo + 1;", "k = lo + 1;", ["topk"], "ties away from zero instead of to even"),
    M("topk-second-engine-on-all", "models/topk/topk.cpp",
      "s.cycles = select_cycles(c, candidates.size(), k0) + select_cycles(c, k0, k1);",
      "s.cycles = select_cycles(c, candidates.size(), k0) + select_cycles(c, candidates.size(), k1);",
      ["topk", "attention"]),
    # ---- the attention schedule -----------------------------------------------------------
    M("attn-pv-before-softmax", "platform/sequencer/attention_layer.cpp",
      "pv_end[h] = m_sender.send(to_vssa, pj, std::max(sm_end[h], v_ready[h]), m_clk);",
      "pv_end[h] = m_sender.send(to_vssa, pj, v_ready[h], m_clk);", ["attention"]),
    M("attn-no-transpose", "platform/sequencer/attention_layer.cpp",
      "fj.transpose_port = m_cfg.two_direction ? 0 : m_cfg.linebuf_bytes_per_cycle;",
      "fj.transpose_port = 0;", ["attention"]),
    M("attn-importance-serial-after-pv", "platform/sequencer/attention_layer.cpp",
      "imp_free = m_sender.send(to_topk, ij, sm_end[h], m_clk);",
      "imp_free = m_sender.send(to_topk, ij, sm_end[h] + (sj.end - sj.start), m_clk);", ["attention"]),
    M("attn-hidden-is-all-of-module2", "platform/sequencer/attention_layer.cpp",
      "rep.hidden = rep.module2 - rep.exposed;", "rep.hidden = rep.module2;", ["attention"]),
    M("attn-fetch-ignores-linebuf-release", "platform/sequencer/attention_layer.cpp",
      "m_sender.send(to_fetcher, fj, h >= 2 ? pv_end[h - 2] : t, m_clk);",
      "m_sender.send(to_fetcher, fj, t, m_clk);", ["attention"],
      "head h's fetch does not wait for P x V of head h - 2 to free its line-buffer half"),
    M("attn-qk-waits-for-v", "platform/sequencer/attention_layer.cpp",
      "m_sender.send(to_vssa, qj, std::max(fj.ready[0], fj.ready[1]), m_clk);",
      "m_sender.send(to_vssa, qj, std::max(fj.ready[0], fj.ready[2]), m_clk);", ["attention"]),
    M("attn-prec-read-free", "platform/sequencer/attention_layer.cpp",
      "            t = done;\n            rep.dram_other += seq;",
      "            rep.dram_other += seq;", ["attention"]),
    M("attn-hidden-ratio-inverted", "platform/sequencer/attention_layer.cpp",
      "return m_module2 ? static_cast<double>(m_hidden) / static_cast<double>(m_module2) : 0.0;",
      "return m_module2 ? static_cast<double>(m_exposed) / static_cast<double>(m_module2) : 0.0;", ["attention"]),
    # ---- GEMM command ---------------------------------------------------------------------------
    M("gemm-compute-before-load", "platform/sequencer/compute_ops.cpp",
      "uint64_t ready = load_end[t];\n", "uint64_t ready = t ? comp_end[t - 1] : start;\n", ["gemm"]),
    M("gemm-store-not-awaited", "platform/sequencer/compute_ops.cpp",
      "for (const auto& d : blocks[t].stores) se = std::max(se, dma(d, comp_end[t], rep));",
      "for (const auto& d : blocks[t].stores) dma(d, comp_end[t], rep);", ["gemm"]),
    M("dma-issue-free", "models/dma/dma.cpp",
      "        m_issue = st + 1;\n", "", ["gemm", "memory", "attention"],
      "descriptors sent in the same cycle all issue in that cycle (the DMA issues one a cycle); "
      "was gemm-dma-issue-free, moved with the DMA block"),
    M("gemm-kblock-not-cut", "platform/sequencer/compute_ops.cpp",
      "uint64_t kb = nb ? std::min(K, quarter / std::max(mb, nb)) : 0;",
      "uint64_t kb = nb ? K : 0;", ["gemm"]),
    # ---- analytical report --------------------------------------------------------------------
    M("analytical-sv-no-minus-one", "platform/workloads/analytical.cpp",
      "ops.push_back({\"sv\", n * l * dh * h * (2 * l - 1), n * (h * l * l + 2 * l * d)});",
      "ops.push_back({\"sv\", n * l * dh * h * (2 * l), n * (h * l * l + 2 * l * d)});", ["analytical"]),
    M("analytical-proj-no-output-bytes", "platform/workloads/analytical.cpp",
      "return op_count{name, n * count * 2 * l * k * nout, n * count * (k * nout + l * k + l * nout)};",
      "return op_count{name, n * count * 2 * l * k * nout, n * count * (k * nout + l * k)};", ["analytical"]),
    M("analytical-qk-bytes-one-head", "platform/workloads/analytical.cpp",
      "n * (2 * l * d + h * l * l)});\n    ops.push_back({\"sv\"",
      "n * (2 * l * d + l * l)});\n    ops.push_back({\"sv\"", ["analytical"]),
    # ---- added with the code since the first list (issue #30, third session) ----------------
    M("softmax-lanes-ignored", "platform/sequencer/attention_layer.cpp",
      "u.vec.lanes = static_cast<uint32_t>(c.softmax.lanes);", "(void)c.softmax.lanes;", ["attention"],
      "softmax.lanes never reaches the unit (it keeps the default 16 lanes)"),
    M("jedec-no-tras", "models/memory/dram_jedec.cpp",
      "B.pre_ready = p.act + T.RAS;", "B.pre_ready = p.act;", ["jedec"], "a row can be precharged right after its ACT"),
    M("jedec-no-faw", "models/memory/dram_jedec.cpp",
      "        if (R.faw_n == 4) R.act_faw = R.faw[R.faw_i] + T.FAW;\n", "",
      ["jedec"], "the four-activate window is not enforced when a command is placed"),
    M("jedec-wtr-long-as-short", "models/memory/dram_jedec.cpp",
      "        G.rd_wtr = end + T.WTR_L;", "        G.rd_wtr = end + T.WTR_S;",
      ["jedec"], "a read after a write in the same bank group waits only tWTR_S"),
    M("jedec-no-write-recovery", "models/memory/dram_jedec.cpp",
      "B.pre_ready = std::max(B.pre_ready, end + T.WR);", "B.pre_ready = std::max(B.pre_ready, end);", ["jedec"],
      "a bank written to can be precharged at the write's last data beat (no tWR)"),
    M("jedec-refresh-no-rfc", "models/memory/dram_jedec.cpp",
      "B.act_ready = std::max(B.act_ready, f + (m_per_bank_ref ? T.RFCpb : T.RFC));", "B.act_ready = std::max(B.act_ready, f);",
      ["jedec"], "a refreshed bank can be activated right after the REF command"),
    M("jedec-write-latency-cl", "models/memory/dram_jedec.cpp",
      "const uint64_t start = p.col + (r.read ? T.CL : T.CWL)", "const uint64_t start = p.col + T.CL", ["jedec"],
      "write data after CL instead of CWL"),
    M("jedec-slot-first-cycle-only", "models/memory/dram_jedec.h",
      "if (!((word >> off) & (~uint64_t{0} >> (64 - len)))) return at;", "if (!((word >> off) & 1)) return at;",
      ["jedec"], "the inline slot search tests only a command's first cycle (a two-cycle command may overlap a taken one)"),
    M("memo-key-no-k-bits", "models/vssa/engine.cpp",
      "    m_key.append(op.k_bits.begin(), op.k_bits.end());\n", "", ["memo"],
      "the GEMM memo's key leaves out the reduction tokens' precisions (prob x V ops of one shape share a result)"),
    M("memo-key-no-scale-stages", "models/vssa/engine.cpp",
      "op.M, op.N, op.K, op.scale_stages,", "op.M, op.N, op.K, uint64_t{0},", ["memo"],
      "the GEMM memo's key leaves out the VS-Quant scale stages"),
    M("energy-dram-write-from-reads", "models/energy/energy.cpp",
      "e[\"dram.write_pj\"] = stat(\"dram.bytes_written\") * 8 * bit;", "e[\"dram.write_pj\"] = stat(\"dram.bytes_read\") * 8 * bit;",
      ["energy"]),
    M("energy-softmax-four-adds", "models/energy/energy.cpp",
      "* (4 * mul32 + 5 * add32);", "* (4 * mul32 + 4 * add32);", ["energy"],
      "the i-softmax element energy with one 32-bit add fewer"),
    M("energy-fetcher-lookup-no-register", "models/energy/energy.cpp",
      "e[\"fetcher.lookup_pj\"] = stat(\"attention.fetcher_lookups\") * (add32 + 32 * reg);",
      "e[\"fetcher.lookup_pj\"] = stat(\"attention.fetcher_lookups\") * add32;", ["energy"]),
    M("dma-busy-sum-not-union", "models/dma/dma.cpp",
      "m_last_busy_added = (hi - lo) - covered;", "m_last_busy_added = end - start;", ["memory", "dma"],
      "dma.busy_cycles summed over overlapping descriptors instead of their union"),
    M("host-access-no-core-cycles", "models/host/host.cpp",
      "m_qk.inc(m_clk.time(m_cfg.access_cycles));  // the core issues the access", "(void)m_cfg.access_cycles;", ["iss"],
      "an MMIO access (native HAL or the rv32 ISS's loads and stores) without host.access_cycles"),
    M("iss-cpi-ignored", "models/host/rv32_iss.cpp",
      "static_cast<double>(m_iss->icount) * m_cfg.cpi);", "static_cast<double>(m_iss->icount));", ["iss"],
      "host.cpi has no effect on the rv32 ISS's time"),
    M("vssa-balanced-unsorted", "models/vssa/engine.cpp",
      "std::stable_sort(tile_costs.begin(), tile_costs.end(), std::greater<uint64_t>());", "", ["vssa"],
      "the balanced schedule places tiles in Fig. 5 order, not longest first (it is then greedy)"),
    M("onnx-probabilities-2-8", "platform/workloads/onnx_pipeline.cpp",
      "p.attn = rq_of(std::ldexp(1.0, -7) * s_qkv / s_ctx);", "p.attn = rq_of(std::ldexp(1.0, -8) * s_qkv / s_ctx);",
      ["onnx"], "the ONNX integer pipeline takes the probabilities as y / 256 instead of y / 128"),
    M("onnx-qkv-scale-ceil", "platform/workloads/onnx_pipeline.cpp",
      "static_cast<int>(std::floor(std::log2(127.0 / qkv_max)))", "static_cast<int>(std::ceil(std::log2(127.0 / qkv_max)))",
      ["onnx"], "the power-of-two Q/K/V scale rounded the wrong way: Q, K, V saturate int8"),
]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def locate(m):
    """(text, None) when the snippet is in the file exactly once, else (None, reason)."""
    path = os.path.join(ROOT, m["file"])
    if not os.path.exists(path):
        return None, f"{m['file']}: no such file (re-point the mutation)"
    text = read(path)
    n = text.count(m["orig"])
    if n == 0:
        return None, f"{m['file']}: snippet not found (re-point the mutation): {m['orig'][:80]!r}"
    if n > 1:
        return None, f"{m['file']}: snippet ambiguous ({n} occurrences): {m['orig'][:80]!r}"
    return text, None


def failed_tests(output):
    names, grab = [], False
    for line in output.splitlines():
        if "The following tests FAILED" in line:
            grab = True
            continue
        if grab:
            mt = re.match(r"\s*\d+ - (.*) \((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception|Not Run).*\)", line)
            if mt:
                names.append(mt.group(1))
    return names


def run_one(m, args):
    text, why = locate(m)
    if why:
        return {"status": "not found", "detail": why}
    path = os.path.join(ROOT, m["file"])
    regex = "|".join(S[s][0] for s in m["subsets"])
    targets = sorted({t for s in m["subsets"] for t in S[s][1]})
    t0 = time.time()
    write(path, text.replace(m["orig"], m["repl"], 1))
    try:
        build = ["cmake", "--build", args.build, "-j", str(args.jobs)] + ([] if args.full else ["--target"] + targets)
        b = subprocess.run(build, capture_output=True, text=True)
        if b.returncode != 0:
            log = b.stdout + b.stderr
            asserts = sorted(set(re.findall(r"([\w/.]+:\d+):\d+: error: static assertion failed", log)))
            if asserts:  # a compile-time test (static_assert) failed: killed
                return {"status": "killed", "by": [f"static_assert at {a.lstrip('./')}" for a in asserts],
                        "seconds": round(time.time() - t0, 1)}
            # Any other compile error is a mistake in the list, not a kill: reported and left
            # out of the rate.
            return {"status": "build failed", "seconds": round(time.time() - t0, 1), "detail": (b.stdout + b.stderr)[-400:]}
        test = ["ctest", "--test-dir", args.build, "-j", str(args.jobs), "--timeout", "600"] + ([] if args.full else ["-R", regex])
        r = subprocess.run(test, capture_output=True, text=True)
        names = failed_tests(r.stdout)
        ran = re.search(r"tests passed, (\d+) tests failed out of (\d+)", r.stdout)
        total = int(ran.group(2)) if ran else 0
        broken = [n for n in names if n in args.baseline_failures]
        if broken:  # fails without the mutation too: not a kill (a missing input, a stale build)
            names = [n for n in names if n not in args.baseline_failures]
            if not names:
                return {"status": "baseline failure", "tests_run": total, "seconds": round(time.time() - t0, 1),
                        "detail": "only tests that fail without the mutation failed: " + ", ".join(broken[:4])}
        if r.returncode != 0 and names:
            return {"status": "killed", "by": names, "tests_run": total, "seconds": round(time.time() - t0, 1)}
        if total == 0:
            return {"status": "no tests", "detail": f"ctest -R '{regex}' selected nothing"}
        return {"status": "equivalent" if m["equivalent"] else "survived", "tests_run": total,
                "seconds": round(time.time() - t0, 1)}
    finally:
        write(path, text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ids", nargs="*", help="mutation ids (default: all)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--full", action="store_true", help="build everything and run the whole suite per mutation")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--check", action="store_true", help="only check that every snippet is found exactly once")
    ap.add_argument("--report", help="write a markdown table of the results here")
    ap.add_argument("--json", help="write the results as JSON here")
    ap.add_argument("--merge", action="append", default=[], metavar="JSON",
                    help="results of an earlier --json run for the mutations not run now (the report and the rate "
                         "then cover both; repeatable, later files win)")
    args = ap.parse_args()
    ids = {m["id"] for m in MUTATIONS}
    if len(ids) != len(MUTATIONS):
        sys.exit("mutate.py: duplicate mutation ids")
    unknown = [i for i in args.ids if i not in ids]
    if unknown:
        print(f"mutate.py: unknown mutation(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    chosen = [m for m in MUTATIONS if not args.ids or m["id"] in args.ids]
    if args.list:
        for m in chosen:
            print(f"{m['id']:34s} {m['file']:36s} {m['note'] or ''}")
        return 0
    missing = [(m["id"], locate(m)[1]) for m in chosen if locate(m)[1]]
    for mid, why in missing:
        print(f"{mid}: {why}", file=sys.stderr)
    if args.check:
        print(f"{len(chosen) - len(missing)} of {len(chosen)} snippets found exactly once")
        return 2 if missing else 0
    # Restore the tree on Ctrl-C / SIGTERM: run_one's finally does it; turn SIGTERM into an exception.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    # Baseline: the chosen subsets on the unmutated tree. A test that fails there (an input
    # missing from this checkout, a stale build) cannot kill a mutation.
    args.baseline_failures = set()
    if not args.full:
        targets = sorted({t for m in chosen for s_ in m["subsets"] for t in S[s_][1]})
        regex = "|".join(sorted({S[s_][0] for m in chosen for s_ in m["subsets"]}))
        subprocess.run(["cmake", "--build", args.build, "-j", str(args.jobs), "--target"] + targets, capture_output=True, text=True)
        r = subprocess.run(["ctest", "--test-dir", args.build, "-j", str(args.jobs), "--timeout", "600", "-R", regex],
                           capture_output=True, text=True)
        args.baseline_failures = set(failed_tests(r.stdout))
        if args.baseline_failures:
            print(f"baseline: {len(args.baseline_failures)} test(s) fail without any mutation and count as no kill: "
                  + ", ".join(sorted(args.baseline_failures)[:6]), flush=True)
    results = []
    for i, m in enumerate(chosen, 1):
        print(f"[{i}/{len(chosen)}] {m['id']} ({m['file']}) ...", flush=True)
        r = run_one(m, args)
        r.update(id=m["id"], file=m["file"], note=m["note"], equivalent=m["equivalent"])
        results.append(r)
        by = ", ".join(r.get("by", [])[:4]) + (" ..." if len(r.get("by", [])) > 4 else "")
        detail = f" ({r['detail']})" if r["status"] in ("not found", "no tests", "build failed", "baseline failure") else ""
        print(f"    {r['status']}{': ' + by if by else ''}{detail}" + (f" [{r['seconds']} s]" if "seconds" in r else ""), flush=True)
    # Leave the build as the sources are: rebuild what the mutations rebuilt.
    touched = sorted({t for m in chosen for s_ in m["subsets"] for t in S[s_][1]})
    subprocess.run(["cmake", "--build", args.build, "-j", str(args.jobs)] + ([] if args.full else ["--target"] + touched),
                   capture_output=True, text=True)
    if args.merge:  # earlier runs' results for the mutations not run now, in the list's order
        earlier = {}
        for path in args.merge:
            with open(path, encoding="utf-8") as f:
                for r in json.load(f)["results"]:
                    earlier[r["id"]] = r
        now = {r["id"]: r for r in results}
        results = [now.get(m["id"]) or earlier[m["id"]] for m in MUTATIONS if m["id"] in now or m["id"] in earlier]
    ran = [r for r in results if r["status"] in ("killed", "survived", "equivalent")]
    killed = sum(r["status"] == "killed" for r in ran)
    equiv = sum(r["status"] == "equivalent" for r in ran)
    survived = [r["id"] for r in ran if r["status"] == "survived"]
    rate = killed / (len(ran) - equiv) if len(ran) > equiv else 0.0
    summary = (f"mutate: {len(ran)} mutations run: {killed} killed, {equiv} equivalent, {len(survived)} survived"
               f" (kill rate {killed}/{len(ran) - equiv} = {100 * rate:.1f} % of the non-equivalent ones)"
               + (f"; survivors: {', '.join(survived)}" if survived else ""))
    print(summary)
    if args.json:
        write(args.json, json.dumps({"summary": summary, "results": results}, indent=1) + "\n")
    if args.report:
        lines = ["# Mutation results", "",
                 "Written by `" + " ".join(["tools/mutate.py"] + sys.argv[1:]) + "` (docs/testing.md#mutation-testing): "
                 "each mutation, the tests that failed with it (the first three), or why it is equivalent."
                 + (f" {len(results) - len(chosen)} of the {len(results)} results come from an earlier run of the same list"
                    " (`--merge`); the mutations named on the command line ran now." if args.merge else ""), "",
                 "| mutation | file | result | killed by |", "|---|---|---|---|"]
        for r in results:
            by = "; ".join(r.get("by", [])[:3]) + (" ..." if len(r.get("by", [])) > 3 else "")
            lines.append(f"| `{r['id']}` | `{r['file']}` | {r['status']} | {by or r.get('equivalent') or ''} |")
        write(args.report, "\n".join(lines) + f"\n\n{summary}\n")
    return 0 if not survived and not missing and all(r["status"] not in ("no tests", "build failed", "baseline failure")
                                                     for r in results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("mutate.py: interrupted; the mutated file was restored")
