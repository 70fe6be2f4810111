#!/usr/bin/env python3
"""check_decode_memory.py DTQVP SCENARIOS OUT SANITIZED: a long timing run holds no memory per
command. GPT-2 (12 layers) in timing mode with 32 and with 128 decode tokens: the peak RSS of
the second is within 4 MiB of the first. Before the DMA pruned its busy-interval map
(models/dma/dma.cpp, add_busy) it grew by about 146 KiB per token: 14 MiB here. Under
ASan (SANITIZED = 1) the allocator's quarantine makes RSS meaningless: the runs still
happen, the bound is not checked."""
import json, subprocess, sys

exe, sc, out, sanitized = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] in ("1", "ON", "TRUE", "true")
probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
rss = {}
for n in (32, 128):
    cmd = [exe, "run", f"{sc}/models/gpt2.yaml", "--set", "mode=timing", "--set", f"workload.model.decode_tokens={n}",
           "--quiet", "--out", f"{out}/t{n}"]
    p = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True)
    rss[n] = int(p.stdout.strip())  # KiB, each run in its own Python process
    st = json.load(open(f"{out}/t{n}/stats.json"))["stats"]
    assert st["model.decode_tokens"]["value"] == n, st["model.decode_tokens"]
growth = rss[128] - rss[32]
print(f"peak RSS: 32 tokens {rss[32]} KiB, 128 tokens {rss[128]} KiB, growth {growth} KiB")
if sanitized:
    print("ok: sanitizer build, RSS bound not checked")
else:
    assert growth < 4096, f"peak RSS grew by {growth} KiB over 96 decode tokens (bound 4096 KiB)"
    print("ok: no memory per decode token")
