#!/usr/bin/env python3
"""A hand-checked request stream (docs/batching.md): five requests of BERT-Base, one layer,
every token 8-bit, arriving at 5, 6, 7, 8 and 9 us with 32, 16, 48, 16 and 32 tokens, served
under four policies. For each the test knows, from the policy rules alone (written out below
and re-implemented here), which requests form which batch; it asserts the firmware formed
exactly those, and that every request's latency equals the schedule the rules give with the
batches' service times: a batch starts when the firmware is free and its launch rule fires,
it ends service-time later, a request's latency is its batch's end minus its arrival.

The service time of a batch is measured in a run of its own (the same requests arriving
together at the cycle the batch starts in the stream, nothing else in the stream), so the test checks that serving a batch
inside the stream costs exactly what it costs alone (L2 off, DRAM banks off: no state
carries from one batch to the next) and that the queueing arithmetic is right. The GEMM
MACs are checked by hand: rows x (4 d^2 + 2 d f), padding rows included."""
import json, os, subprocess, sys

dtqvp, preset, out = sys.argv[1:4]
preset = os.path.abspath(preset)
os.makedirs(out, exist_ok=True)
MHZ = 1000
D, F = 768, 3072
ARRIVAL_US = [5, 6, 7, 8, 9]
SEQ = [32, 16, 48, 16, 32]


def run(tag, arrivals_us, seqs, batching):
    reqs = ", ".join(f"{{at_us: {a}, seq: {s}}}" for a, s in zip(arrivals_us, seqs))
    text = (f"include: {preset}\nname: {tag}\nseed: 1\nmode: timing\nl2: {{enabled: false}}\n"
            f"workload:\n  kind: model\n  model: {{name: bert-base, layers: 1, precision: 8bit}}\n"
            f"  requests:\n    list: [{reqs}]\n  batching: {batching}\n")
    path = f"{out}/{tag}.yaml"
    open(path, "w").write(text)
    r = subprocess.run([dtqvp, "run", path, "--quiet", "--out", f"{out}/{tag}"], capture_output=True, text=True)
    assert r.returncode == 0, (tag, r.returncode, r.stdout, r.stderr)
    rq = json.load(open(f"{out}/{tag}/requests.json"))
    st = {k: v["value"] for k, v in json.load(open(f"{out}/{tag}/stats.json"))["stats"].items()}
    return rq, st


service = {}


def service_time(seqs, padded, start):
    """Cycles of one batch of these requests, measured alone: they all arrive at `start`, so
    the batch starts at the same cycle as in the stream (the host's submissions sync with
    SystemC at absolute quantum boundaries: a batch's cycles depend on its start modulo the
    quantum by up to a few hundred cycles)."""
    key = (tuple(seqs), padded, start)
    if key not in service:
        batching = (f"{{policy: fixed, batch_size: {len(seqs)}}}" if padded
                    else f"{{policy: dynamic, token_budget: {sum(seqs)}}}")
        rq, _ = run(f"alone_{'pad' if padded else 'pack'}_{'_'.join(map(str, seqs))}_at_{start}",
                    [f"{start / MHZ:.3f}"] * len(seqs), list(seqs), batching)
        assert len(rq["batches"]) == 1, rq["batches"]
        b = rq["batches"][0]
        assert b["start_cycle"] == start, (b, start)
        service[key] = b["end_cycle"] - b["start_cycle"]
    return service[key]


def schedule(policy, batch_size=0, budget=0, max_wait_us=0):
    """The policy rules (docs/batching.md#policies), requests in arrival order:
    single: launch the oldest waiting request alone.
    fixed: launch the next batch_size requests once all have arrived (the stream's last ones
      when fewer are left), or once the oldest waited max_wait.
    dynamic: take the waiting requests in order while their tokens fit the budget; launch at
      once (max_wait 0), or when the next waiting one does not fit, when none is left to come,
      or when the oldest waited max_wait."""
    arr = [a * MHZ for a in ARRIVAL_US]
    n, nxt, now, batches = len(arr), 0, 0, []
    while nxt < n:
        if arr[nxt] > now:
            now = arr[nxt]
            continue
        waiting = [i for i in range(nxt, n) if arr[i] <= now]
        deadline = arr[nxt] + max_wait_us * MHZ if max_wait_us else None
        if policy == "single":
            take, full = [nxt], True
        elif policy == "fixed":
            take = waiting[:batch_size]
            full = len(take) == batch_size or nxt + len(take) == n
        else:
            take, tokens = [], 0
            for i in waiting:
                if tokens + SEQ[i] > budget:
                    break
                take.append(i)
                tokens += SEQ[i]
            full = nxt + len(take) == n or len(take) < len(waiting) or not max_wait_us
        if not (full or (deadline is not None and now >= deadline)):
            wake = arr[nxt + len(take)]
            now = min(wake, deadline) if deadline is not None else wake
            continue
        seqs = [SEQ[i] for i in take]
        end = now + service_time(seqs, policy == "fixed", now)
        batches.append((take, now, end))
        now, nxt = end, nxt + len(take)
    return batches


def check(tag, batching, expected_batches, rules):
    rq, st = run(tag, ARRIVAL_US, SEQ, batching)
    got = [list(range(b["first"], b["first"] + b["count"])) for b in rq["batches"]]
    assert got == expected_batches, (tag, got, expected_batches)
    sched = schedule(**rules)
    assert [b[0] for b in sched] == expected_batches, (tag, sched)
    for (take, start, end), b in zip(sched, rq["batches"]):
        assert (b["start_cycle"], b["end_cycle"]) == (start, end), (tag, take, b, start, end)
        for i in take:
            r = rq["requests"][i]
            assert r["done_cycle"] - r["arrival_cycle"] == end - ARRIVAL_US[i] * MHZ, (tag, i, r, end)
            assert abs(r["latency_us"] - (end - ARRIVAL_US[i] * MHZ) / MHZ) < 1e-9
    padded = batching.startswith("{policy: fixed")
    rows = sum((max(SEQ[i] for i in t) * len(t)) if padded else sum(SEQ[i] for i in t) for t in expected_batches)
    assert st["serve.rows"] == rows and st["serve.padding_rows"] == rows - sum(SEQ), (tag, st["serve.rows"], rows)
    assert st["compute.gemm_macs"] == rows * (4 * D * D + 2 * D * F), (tag, st["compute.gemm_macs"])
    assert st["serve.batches"] == len(expected_batches) and st["serve.tokens"] == sum(SEQ)
    print(f"{tag}: batches {expected_batches}, latencies (us) "
          f"{[round(r['latency_us'], 3) for r in rq['requests']]}")


# single: every request alone, in order.
check("single", "{policy: single}", [[0], [1], [2], [3], [4]], dict(policy="single"))
# fixed, 2 per batch: 0+1 launch when 1 arrives (6 us), 2+3 after them, 4 alone (the stream's end).
check("fixed", "{policy: fixed, batch_size: 2}", [[0, 1], [2, 3], [4]], dict(policy="fixed", batch_size=2))
# dynamic, 64 tokens, no wait: 0 alone at 5 us (nothing else waits); then 16 + 48 = 64; then 16 + 32.
check("dynamic", "{policy: dynamic, token_budget: 64}", [[0], [1, 2], [3, 4]], dict(policy="dynamic", budget=64))
# dynamic, 64 tokens, wait up to 3 us: at 7 us 32 + 16 waiting and 48 more does not fit: launch 0+1;
# then 48 + 16 = 64 and 32 does not fit; then 4 (the stream's end).
check("dynamic_wait", "{policy: dynamic, token_budget: 64, max_wait_us: 3}", [[0, 1], [2, 3], [4]],
      dict(policy="dynamic", budget=64, max_wait_us=3))
print("ok")
