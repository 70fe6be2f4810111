#!/usr/bin/env python3
"""check_attention_schedule.py DTQVP OUTDIR: the ATTENTION command's absolute cycles on a
hand-built layer (tests/scenarios/hand/attention_one_head.yaml: one head of 64, seq 16,
all 8-bit, one 16 x 16 array, no L2), each derived below from the formulas of
docs/timing-model.md and docs/attention.md#schedule-and-timing, in functional and in
timing mode, with one head and with two (head 1's fetch under head 0's compute, Q x K^T of
head 1 before P x V of head 0), and with 2 B/cycle line buffers (P x V waits for V's
transpose pass instead of the softmax), with three heads (head 2's fetch waits until P x V
of head 0 has read its line-buffer half; with 256 B/cycle memories that release sets head
2's K and V DRAM starts, 4124 cycles, 9 fewer without it), and with softmax.lanes 4 (each
row pass ceil(16 / 4) cycles). Module 1 ends with the result drain, not with P x V:
dropping the drain from module 1's end, or any step of the schedule, changes these numbers."""
import json, os, subprocess, sys

dtqvp, out = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
scenario = os.path.join(here, "hand", "attention_one_head.yaml")
fails = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what)
    if not cond:
        fails.append(what)


def ceil(a, b):
    return -(-a // b)


# ---- the derivation ------------------------------------------------------------------
SEQ, DH, BUS, DRAM_BPC, DRAM_LAT, SETUP, BURST = 16, 64, 1, 64, 100, 10, 256
LB_BPC, ACC_BPC, LAT = 64, 64, 1          # line buffers and accumulator: 64 B/cycle, 1 cycle
R = C = 16                                 # one 16 x 16 array
slot = SEQ * DH                            # 1024 B of Q (K, V) for the head

# Command start = 0. The precision list (16 B) is read first: bus 1, one DRAM beat, +100.
t = BUS + ceil(SEQ, DRAM_BPC) + DRAM_LAT                       # 102
# Fetcher: 1 token address per cycle: 16 cycles per tensor; the one run of 16 contiguous
# tokens (1024 B) is issued when its last address exists: Q at t+16, K at t+32, V at t+48.
addr = SEQ
bursts = slot // BURST                                         # 4 bursts of 256 B
beats = BURST // DRAM_BPC                                      # 4 DRAM beats per burst
# Q: requested at t+16+10, on DRAM at +1: bursts [27, 31) .. [39, 43) relative to t, data
# +100; each written to QBUF (4 cycles) 1 cycle (bus) after its data: the last data at
# t+43+100 = 143, on the line buffer at 144, busy 4, done +1.
q_dram_start = addr + SETUP + BUS                              # 27
q_last_data = q_dram_start + bursts * beats + DRAM_LAT         # 143
q_ready = q_last_data + BUS + BURST // LB_BPC + LAT            # 149
# K: requested at t+32+10, on DRAM at 43, the channel free at 43 (Q's last beat ended there).
k_dram_start = 2 * addr + SETUP + BUS                          # 43
assert k_dram_start >= q_dram_start + bursts * beats
k_ready = k_dram_start + bursts * beats + DRAM_LAT + BUS + BURST // LB_BPC + LAT   # 165
v_dram_start = 3 * addr + SETUP + BUS                          # 59
v_ready = v_dram_start + bursts * beats + DRAM_LAT + BUS + BURST // LB_BPC + LAT   # 181
# No two-direction buffer: V is transposed through VBUF's port: 2 x 1024 / 64 = 32 cycles.
transpose = 2 * ceil(slot, LB_BPC)
v_ready += transpose                                           # 213
# Q x K^T: one 16 x 16 tile over K = 64, 8 x 8 MACs (4 cycles): 1 + 4 (64 + 16 + 16 - 2) + 16.
qk = 1 + 4 * (DH + R + C - 2) + R                              # 393
qk_end = max(q_ready, k_ready) + qk                            # 558
# Softmax: kept x (3 ceil(kept / 16) + 8); importance: kept x ceil(kept / 16).
sm = SEQ * (3 * ceil(SEQ, 16) + 8)                             # 176
sm_end = qk_end + sm                                           # 734
imp = SEQ * ceil(SEQ, 16)                                      # 16
imp_end = sm_end + imp                                         # 750
# P x V: 16 x 64 outputs = 4 tiles of 16 x 16 over the 16 tokens, one after the other.
pv_tile = 1 + 4 * (SEQ + R + C - 2) + R                        # 201
pv = 4 * pv_tile                                               # 804
pv_end = max(sm_end, v_ready, qk_end) + pv                     # 1538
# Drain: 16 x 64 int32 = 4096 B, one descriptor of 16 bursts: requested at pv_end + 10,
# on the accumulator at +1, 4 cycles per burst back to back, each written to DRAM 1 + 1
# cycles after its read (latency, bus); DRAM keeps pace (4 beats per burst): the last
# burst's DRAM beats end at pv_end + 10 + 1 + 16 x 4 + 1 + 1 = 1615 + 4, done + 100.
drain_bytes = slot * 4
nb = drain_bytes // BURST                                      # 16
last_read_end = pv_end + SETUP + BUS + nb * (BURST // ACC_BPC)
# The last read ends at last_read_end, its data at +1 (latency), on DRAM at +1 (bus), 4 beats.
last_dram_end = last_read_end + LAT + BUS + beats              # 1619
module1_end = last_dram_end + DRAM_LAT                         # 1719
# Module 2: after the importance accumulation, both top-k engines (16 candidates, keep 16,
# then 16 of 16): ceil(32 / 8) (ceil(16/16) + 4 + 256/16) + ceil(16/16) + 4 = 89 each.
sel = 4 * (ceil(SEQ, 16) + 4 + 256 // 16) + (ceil(SEQ, 16) + 4)
topk_end = imp_end + 2 * sel                                   # 928
# Then the precision list write (16 B): on DRAM at 929, but DRAM serves in issue order and
# the drain's writes were issued first: it waits until 1619, one beat, + 100.
end2 = max(topk_end + BUS, last_dram_end) + 1 + DRAM_LAT      # 1720
end = max(module1_end, end2)
module2 = imp + (end2 - imp_end)
exposed = end - module1_end
hidden = module2 - exposed
# DMA busy: the union of the transfers' [start, done): fetches [t+16, t+181), drain [pv_end, module1_end).
q_start, v_done = addr, v_ready - transpose
dma_busy = (v_done - q_start) + (module1_end - pv_end)

expect = {
    "attention.cycles": t + end,                               # 1822
    "attention.vssa_qk_cycles": qk,
    "attention.vssa_pv_cycles": pv,
    "attention.vssa_busy_cycles": qk + pv,
    "attention.vssa_tiles": 5,
    "attention.vssa_stall_pe_cycles": 0,                       # uniform 8 x 8 tiles
    "attention.vssa_stall_ratio": 0.0,
    "attention.softmax_busy_cycles": sm,
    "attention.fetcher_busy_cycles": 3 * addr,
    "attention.dma_busy_cycles": dma_busy,
    "attention.transpose_cycles": transpose,
    "attention.transpose_buffer_bytes": 2 * slot,
    "attention.module2_cycles": module2,
    "attention.topk_busy_cycles": module2,
    "attention.module2_hidden_cycles": hidden,
    "attention.module2_exposed_cycles": exposed,
    "attention.module2_hidden_ratio": hidden / module2,
    "attention.tokens_pruned": 0, "attention.tokens_4bit": 0, "attention.tokens_8bit": SEQ,
    "attention.next_tokens_pruned": 0, "attention.next_tokens_4bit": 0, "attention.next_tokens_8bit": SEQ,
    "attention.layers": 1,
}
print(f"derived: layer {t + end} cycles, module 1 ends at {t + module1_end}, module 2 {module2} "
      f"(hidden {hidden}, exposed {exposed}), DMA busy {dma_busy}")

# ---- two heads: head 1's fetch runs under head 0's compute (line-buffer halves) --------
# The fetcher is free again at t+48: head 1's Q, K, V runs are issued at t+64, +80, +96.
# DRAM is free at each arrival's turn (head 0's V ended its beats at t+75):
q1_dram = max(4 * addr + SETUP + BUS, v_dram_start + bursts * beats)          # 75
q1_ready = q1_dram + bursts * beats + DRAM_LAT + BUS + BURST // LB_BPC + LAT   # 197
k1_dram = max(5 * addr + SETUP + BUS, q1_dram + bursts * beats)               # 91
k1_ready = k1_dram + bursts * beats + DRAM_LAT + BUS + BURST // LB_BPC + LAT   # 213
v1_dram = max(6 * addr + SETUP + BUS, k1_dram + bursts * beats)               # 107
v1_ready = v1_dram + bursts * beats + DRAM_LAT + BUS + BURST // LB_BPC + LAT + transpose   # 261
# The VSSA runs Q x K^T of head 1 before P x V of head 0 (docs/attention.md): QK1 after QK0.
qk1_end = max(q1_ready, k1_ready, qk_end) + qk                 # 951
sm1_end = max(qk1_end, sm_end) + sm                            # 1127
imp1_end = max(sm1_end, imp_end) + imp                         # 1143
pv0_end = max(sm_end, v_ready, qk1_end) + pv                   # 1755
drain0_end = pv0_end + SETUP + BUS + nb * (BURST // ACC_BPC) + LAT + BUS + beats + DRAM_LAT   # 1936
pv1_end = max(sm1_end, v1_ready, pv0_end) + pv                 # 2559
drain1_dram_end = pv1_end + SETUP + BUS + nb * (BURST // ACC_BPC) + LAT + BUS + beats         # 2640
drain1_end = drain1_dram_end + DRAM_LAT                        # 2740
topk2_end = imp1_end + 2 * sel                                 # 1321
end2_2 = max(topk2_end + BUS, drain1_dram_end) + 1 + DRAM_LAT  # 2741: behind the drain again
end_2 = max(drain1_end, end2_2)
module2_2 = 2 * imp + (end2_2 - imp1_end)
exposed_2 = end_2 - drain1_end
fetch_union = (v1_ready - transpose) - q_start                 # [t+16, t+229)
expect2 = dict(expect)
expect2.update({
    "attention.cycles": t + end_2,                             # 2843
    "attention.vssa_qk_cycles": 2 * qk, "attention.vssa_pv_cycles": 2 * pv, "attention.vssa_busy_cycles": 2 * (qk + pv),
    "attention.vssa_tiles": 10,
    "attention.softmax_busy_cycles": 2 * sm, "attention.fetcher_busy_cycles": 6 * addr,
    "attention.dma_busy_cycles": fetch_union + (drain0_end - pv0_end) + (drain1_end - pv1_end),
    "attention.transpose_cycles": 2 * transpose, "attention.transpose_buffer_bytes": 4 * slot,
    "attention.module2_cycles": module2_2, "attention.topk_busy_cycles": module2_2,
    "attention.module2_hidden_cycles": module2_2 - exposed_2, "attention.module2_exposed_cycles": exposed_2,
    "attention.module2_hidden_ratio": (module2_2 - exposed_2) / module2_2,
})
print(f"derived, two heads: layer {t + end_2} cycles, module 2 {module2_2} (exposed {exposed_2})")

# ---- three heads: head 2's fetch waits for the line-buffer half P x V of head 0 reads ----
# Head 2 goes into half 0 (2 % 2), which P x V of head 0 reads until pv0_end (docs/attention.md
# step 1: "a half is reused once P x V of head h-2 has read it"); the fetcher itself is free
# from t+96. Derived from scratch for memories of `dram_bpc`, `lb_bpc` and `acc_bpc` B/cycle
# (each no slower than the DRAM, so no burst queues at a line buffer or behind another
# burst of its own drain). The handler's program order (what books DRAM first): step 0
# fetch(0), QK0, softmax 0, importance 0; step 1 fetch(1), QK1, SM1, imp 1, PV0, drain 0;
# step 2 fetch(2), QK2, SM2, imp 2, PV1, drain 1; step 3 PV2, drain 2. DRAM serves in that
# order (busy until), so head 2's first burst always waits for drain 0's writes: with the
# default 64 B/cycle memories the drain's 64 write beats hold the channel past head 2's
# address generation and the release changes nothing; with 256 B/cycle memories the drain is
# 16 beats, K and V of head 2 arrive after it, and their arrival (released at pv0_end + 32
# and + 48 address cycles) is what sets their DRAM start.
def three_heads(dram_bpc, lb_bpc, acc_bpc):
    bt = BURST // dram_bpc                                     # DRAM beats per burst
    lbw, accw = BURST // lb_bpc, BURST // acc_bpc              # port cycles per burst
    assert lbw <= bt and bt <= accw and BURST % dram_bpc == 0 == BURST % lb_bpc == BURST % acc_bpc
    tr = 2 * ceil(slot, lb_bpc)                                # V's transpose pass through VBUF's port
    dram_free = 0                                              # the channel's busy until (program order)

    def fetch_run(issued):                                     # one tensor run of 4 bursts: (DMA done, DRAM free)
        start = max(issued + SETUP + BUS, dram_free)
        end = start + bursts * bt
        return end + DRAM_LAT + BUS + lbw + LAT, end

    def fetch(f):                                              # the fetcher starts head's addresses at f
        nonlocal dram_free
        done = []
        for x in range(3):                                     # Q, K, V issued at f + 16, + 32, + 48
            d, dram_free = fetch_run(f + (x + 1) * addr)
            done.append(d)
        return done[0], done[1], done[2] + tr, f + 3 * addr    # Q, K ready; V ready after its transpose; fetcher free

    def drain(pv_end):                                         # 16 bursts: accumulator reads back to back
        nonlocal dram_free
        last_read_end = pv_end + SETUP + BUS + nb * accw
        dram_end = last_read_end + LAT + BUS + bt
        assert pv_end + SETUP + BUS + accw + LAT + BUS >= dram_free   # its first write finds the channel free
        dram_free = dram_end
        return dram_end + DRAM_LAT

    q0, k0, v0, ff = fetch(0)
    qk0 = max(q0, k0) + qk
    sm0 = qk0 + sm
    imp0 = sm0 + imp
    q1, k1, v1, ff = fetch(ff)
    qk1 = max(q1, k1, qk0) + qk
    sm1 = max(qk1, sm0) + sm
    imp1 = max(sm1, imp0) + imp
    pv0 = max(sm0, v0, qk1) + pv
    d0 = drain(pv0)
    F = max(ff, pv0)                                           # the release: head 2 waits for P x V of head 0
    q2, k2, v2, ff = fetch(F)
    qk2 = max(q2, k2, pv0) + qk
    sm2 = max(qk2, sm1) + sm
    imp2 = max(sm2, imp1) + imp
    pv1 = max(sm1, v1, qk2) + pv
    d1 = drain(pv1)
    pv2 = max(sm2, v2, pv1) + pv
    d2 = drain(pv2)
    topk_end = imp2 + 2 * sel
    e2 = max(topk_end + BUS, d2 - DRAM_LAT) + 1 + DRAM_LAT     # the precision write, behind drain 2 on DRAM
    end = max(d2, e2)
    m2 = 3 * imp + (e2 - imp2)
    exposed = end - d2
    # DMA busy: the union of the descriptors' [start, done): head 0 and 1's fetches overlap
    # ([t+16, V1 done)); drain 0 [pv0, d0) and head 2's fetch [F+16, V2 done) overlap; the
    # other drains stand alone.
    spans = sorted([(addr, v1 - tr), (pv0, d0), (F + addr, v2 - tr), (pv1, d1), (pv2, d2)])
    busy, lo, hi = 0, None, None
    for s_, e_ in spans:
        if hi is None or s_ > hi:
            busy += (hi - lo) if hi is not None else 0
            lo, hi = s_, e_
        else:
            hi = max(hi, e_)
    busy += hi - lo
    e = dict(expect)
    e.update({
        "attention.cycles": t + end,
        "attention.vssa_qk_cycles": 3 * qk, "attention.vssa_pv_cycles": 3 * pv, "attention.vssa_busy_cycles": 3 * (qk + pv),
        "attention.vssa_tiles": 15,
        "attention.softmax_busy_cycles": 3 * sm, "attention.fetcher_busy_cycles": 9 * addr,
        "attention.dma_busy_cycles": busy,
        "attention.transpose_cycles": 3 * tr, "attention.transpose_buffer_bytes": 6 * slot,
        "attention.module2_cycles": m2, "attention.topk_busy_cycles": m2,
        "attention.module2_hidden_cycles": m2 - exposed, "attention.module2_exposed_cycles": exposed,
        "attention.module2_hidden_ratio": (m2 - exposed) / m2,
    })
    # Without the release head 2's fetch would start at t+96: its K run would reach DRAM
    # when head 2's Q run ends, this many cycles earlier.
    k2_early = (F + 2 * addr + SETUP + BUS) - max(F + addr + SETUP + BUS, d0 - DRAM_LAT) - bursts * bt
    return e, pv0, F, k2_early


expect4, pv0_4, F4, early4 = three_heads(DRAM_BPC, LB_BPC, ACC_BPC)
assert pv0_4 == pv0_end and early4 <= 0                        # the two-head schedule's P x V 0; the release masked
FAST = 256
expect5, _, F5, early5 = three_heads(FAST, FAST, FAST)
assert early5 > 0                                              # here the release sets K2's DRAM start
print(f"derived, three heads: layer {expect4['attention.cycles']} cycles; with {FAST} B/cycle DRAM, line buffers and "
      f"accumulator: {expect5['attention.cycles']} (head 2 fetched from {t + F5}, its K {early5} cycles later than "
      f"without the line-buffer release)")

# ---- one head with softmax.lanes 4: each of the 3 passes over a 16-score row takes
# ceil(16 / 4) = 4 cycles (docs/timing-model.md softmax unit: kept x (3 ceil(kept / L) + 8)).
# The softmax gates P x V (sm_end > V's ready), so P x V, the drain, the importance
# accumulation and the engines all move by the difference; nothing else changes.
LANES = 4
sm4 = SEQ * (3 * ceil(SEQ, LANES) + 8)                         # 16 x 20 = 320
assert sm_end + (sm4 - sm) > v_ready
expect6 = dict(expect)
expect6.update({"attention.cycles": expect["attention.cycles"] + (sm4 - sm), "attention.softmax_busy_cycles": sm4})
print(f"derived, softmax.lanes {LANES}: softmax {sm4} cycles, layer {expect6['attention.cycles']}")

# ---- one head with 2 B/cycle line buffers: P x V waits for V's transpose ----------------
# Each 256 B burst now takes 128 cycles on its line buffer's port, so the writes queue
# (local memory: start = max(arrival, busy until)); V's transpose pass takes 2 x 1024 / 2.
def port_done(arrivals, w):
    busy = 0
    for a in arrivals:
        busy = max(a, busy) + w
    return busy + LAT


SLOW = 2
def slow_ready(dram_start):
    return port_done([dram_start + (i + 1) * beats + DRAM_LAT + BUS for i in range(bursts)], BURST // SLOW)


sq, sk, sv = slow_ready(q_dram_start), slow_ready(k_dram_start), slow_ready(v_dram_start)   # 645, 661, 677
s_transpose = 2 * ceil(slot, SLOW)                             # 1024
s_qk_end = max(sq, sk) + qk                                    # 1054
s_sm_end = s_qk_end + sm                                       # 1230
s_imp_end = s_sm_end + imp                                     # 1246
s_pv_end = max(s_sm_end, sv + s_transpose, s_qk_end) + pv     # 2505: V's transpose, not the softmax, gates P x V
assert sv + s_transpose > s_sm_end
s_last_dram_end = s_pv_end + SETUP + BUS + nb * (BURST // ACC_BPC) + LAT + BUS + beats
s_module1_end = s_last_dram_end + DRAM_LAT
s_end2 = max(s_imp_end + 2 * sel + BUS, s_last_dram_end) + 1 + DRAM_LAT
s_end = max(s_module1_end, s_end2)
s_module2 = imp + (s_end2 - s_imp_end)
expect3 = dict(expect)
expect3.update({
    "attention.cycles": t + s_end,                             # 2789
    "attention.dma_busy_cycles": (sv - q_start) + (s_module1_end - s_pv_end),
    "attention.transpose_cycles": s_transpose,
    "attention.module2_cycles": s_module2, "attention.topk_busy_cycles": s_module2,
    "attention.module2_exposed_cycles": s_end - s_module1_end,
    "attention.module2_hidden_cycles": s_module2 - (s_end - s_module1_end),
    "attention.module2_hidden_ratio": (s_module2 - (s_end - s_module1_end)) / s_module2,
})
print(f"derived, 2 B/cycle line buffers: layer {t + s_end} cycles, P x V from {t + s_pv_end - pv}")

# ---- the bottleneck (platform/sequencer/bottleneck.h): the unit busy longest bounds the layer --
# One head: VSSA 393 + 804 = 1197 > module 2 986 > DMA 346 > softmax 176 > fetcher 48.
# Two heads: VSSA 2394 > module 2. 2 B/cycle line buffers: module 2 (the precision write waits
# for the slow drain) 1457 > VSSA 1197 > DMA: the top-k unit bounds that layer.
UNITS = (("dma", "attention.dma_busy_cycles"), ("fetcher", "attention.fetcher_busy_cycles"),
         ("vssa", "attention.vssa_busy_cycles"), ("softmax", "attention.softmax_busy_cycles"),
         ("topk", "attention.module2_cycles"))
for e in (expect, expect2, expect3, expect4, expect5, expect6):
    busy = [e[k] for _, k in UNITS]
    top = busy.index(max(busy))  # ties: the first
    for i, (u, _) in enumerate(UNITS):
        e[f"attention.bottleneck.{u}_layers"] = int(i == top)
        e[f"attention.bottleneck.{u}_cycles"] = busy[i] if i == top else 0
    e["attention.bottleneck_cycles"] = busy[top]
    e["attention.bottleneck_ratio"] = busy[top] / e["attention.cycles"]
assert (expect["attention.bottleneck.vssa_layers"], expect2["attention.bottleneck.vssa_layers"],
        expect3["attention.bottleneck.topk_layers"]) == (1, 1, 1)
assert expect["attention.bottleneck_cycles"] == 1197 and expect3["attention.bottleneck_cycles"] == 1457

# ---- energy, area and power of the one-head layer (docs/energy.md), by hand from the 45 nm
# table's published numbers (scenarios/presets/tech/45nm.yaml: Horowitz ISSCC 2014, Intel's
# 45 nm SRAM cell) scaled to the default 40 nm node (energy x 40/45, area x (40/45)^2) and the
# counts derived above: 16 x 16 scores, 3 x 16 token lookups, 32 top-k comparisons
# (16 candidates + k0 16), 16 x 16 x 64 MACs for Q x K^T and as many for P x V, all 8 x 8.
E40, A40 = 40 / 45, (40 / 45) ** 2
ADD32, MUL32, MUL8, REG = 0.1 * E40, 3.1 * E40, 0.2 * E40, 0.004 * E40
macs = 2 * SEQ * SEQ * DH
sram_area = lambda size: size * 8 * 0.346 * A40 / 0.6 * 1e-6              # cell um2 / array efficiency, mm2
sram_pj_per_byte = lambda size: 20.0 / 8 * (size / 32768) ** 0.5 * E40    # 20 pJ per 64 b at 32 KiB, sqrt of the size
expect.update({
    "energy.softmax.element_pj": SEQ * SEQ * (4 * MUL32 + 5 * ADD32),       # i-softmax per element
    "energy.topk.importance_pj": SEQ * SEQ * ADD32,
    "energy.topk.compare_pj": (SEQ + SEQ) * ADD32,
    "energy.fetcher.lookup_pj": 3 * SEQ * (ADD32 + 32 * REG),
    "energy.vssa.nibble_mac_pj": macs * 4 * (MUL8 * (5 / 8) ** 2 + ADD32 + 32 * REG),   # 4 nibble cycles per 8 x 8 MAC
    "energy.vssa.operand_pj": macs * 20 * REG,
    "energy.vssa.stall_pj": 0.0,
    "energy.dma.descriptor_pj": 4 * 10.0 * E40,                             # Q, K, V runs and the drain
    "energy.dma.transfer_pj": (3 * slot + drain_bytes) * 8 * 0.1 * 1.0,     # 0.1 pJ/bit/mm over 1 mm, not scaled
    "energy.accumulator.read_pj": drain_bytes * sram_pj_per_byte(128 << 10),
    "energy.l2.read_pj": 0.0,                                               # no L2
    "area.accumulator_mm2": sram_area(128 << 10), "area.scratchpad_mm2": sram_area(256 << 10),
    "area.linebuf_mm2": sram_area(3 * (64 << 10)),
    "perf.ops": 2 * macs,
})
# And the statistics the derived ones are made of (docs/energy.md): DRAM at 20 pJ/bit (no
# rows), leakage 20 mW/mm2 x the area over the run's time (sim.simulated_cycles at 1 GHz),
# power = energy / time, GOP/s = ops / time, and the ratios of those.
energy_relations = [
    ("energy.dram.read_pj", lambda st, ns: st["dram.bytes_read"] * 8 * 20.0),
    ("energy.dram.write_pj", lambda st, ns: st["dram.bytes_written"] * 8 * 20.0),
    ("energy.leakage_uj", lambda st, ns: 20e-3 * st["area.total_mm2"] * ns * 1e-9 * 1e6),
    ("energy.total_uj", lambda st, ns: st["energy.dynamic_uj"] + st["energy.leakage_uj"]),
    ("power.leakage_w", lambda st, ns: 20e-3 * st["area.total_mm2"]),
    ("power.dynamic_w", lambda st, ns: st["energy.dynamic_uj"] * 1e-6 / (ns * 1e-9)),
    ("power.average_w", lambda st, ns: st["energy.total_uj"] * 1e-6 / (ns * 1e-9)),
    ("perf.gops", lambda st, ns: st["perf.ops"] / ns),
    ("perf.gops_per_w", lambda st, ns: st["perf.ops"] / ns / st["power.average_w"]),
    ("perf.gops_per_mm2", lambda st, ns: st["perf.ops"] / ns / st["area.total_mm2"]),
    ("perf.pj_per_op", lambda st, ns: st["energy.total_uj"] * 1e6 / st["perf.ops"]),
]

expect_one = expect
for mode, heads, exp, extra in (("functional", 1, expect, []), ("timing", 1, expect, []), ("functional", 2, expect2, []),
                                ("timing", 2, expect2, []), ("functional", 3, expect4, []), ("timing", 3, expect4, []),
                                ("functional", 3, expect5, [f"{m}.bytes_per_cycle={FAST}" for m in ("dram", "linebuf", "accumulator")]),
                                ("timing", 3, expect5, [f"{m}.bytes_per_cycle={FAST}" for m in ("dram", "linebuf", "accumulator")]),
                                ("timing", 1, expect6, [f"softmax.lanes={LANES}"]),
                                ("timing", 1, expect3, [f"linebuf.bytes_per_cycle={SLOW}"])):
    expect = exp
    mode_sets = ["--set", f"workload.attention.heads={heads}"] + [a for e in extra for a in ("--set", e)]
    heads = f"{heads}{' (' + ', '.join(extra) + ')' if extra else ''}"
    mode = f"{mode}, {heads} head{'s' if not heads.startswith('1') else ''}"
    d = os.path.join(out, "".join(ch if ch.isalnum() else "_" for ch in mode))
    p = subprocess.run([dtqvp, "run", scenario, "--quiet", "--out", d, "--set", f"mode={mode.split(',')[0]}"] + mode_sets,
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"{mode}: exit 0 (got {p.returncode}: {p.stderr.strip()[:300]})")
    if p.returncode != 0:
        continue
    doc = json.load(open(os.path.join(d, "stats.json")))
    stats = {k: v["value"] for k, v in doc["stats"].items()}
    for key, want in expect.items():
        got = stats.get(key)
        ok = got is not None and (abs(got - want) <= 1e-12 * max(1.0, abs(want)) if isinstance(want, float) else got == want)
        check(ok, f"{mode}: {key} = {got}, derived {want}")
    if expect is expect_one:
        for key, f in energy_relations:
            got, want = stats.get(key), f(stats, doc["sim"]["simulated_cycles"])
            check(got is not None and abs(got - want) <= 1e-9 * max(1.0, abs(want)), f"{mode}: {key} = {got}, from its parts {want}")

print(f"{len(fails)} failure(s)")
sys.exit(1 if fails else 0)
