#!/usr/bin/env python3
"""The synthetic weights' distribution, exactly (rational arithmetic), for the one-draw
generator and the four-draw one it replaced (docs/performance.md#one-draw-weights).

Old (before issue #27's one-draw step): bell = (c_0 + c_1 + c_2 + c_3 - 220) / 2 rounded
toward zero, c_i = splitmix64 output mod 111 from four draws (uniform on 0..110 up to
2^64 mod 111 / 2^64 < 10^-17, taken as exactly uniform here).
New: one draw, c_l = floor(lane_l x 111 / 2^16) of its four 16-bit lanes: c has 591
preimages for 46 values and 590 for the other 65.

Prints JSON: per generator the mean, variance, standard deviation, range, P(0), and the
total variation distance between the two weight pmfs.
    /usr/bin/python3 tools/weight_distribution.py
"""
from __future__ import annotations

import json
from fractions import Fraction


def lane_counts(new: bool) -> list[int]:
    if not new:
        return [1] * 111
    counts = [0] * 111
    for x in range(65536):
        counts[x * 111 // 65536] += 1
    return counts


def weight_pmf(counts: list[int]) -> dict[int, Fraction]:
    total = sum(counts)
    dist = {0: 1}
    for _ in range(4):
        nxt: dict[int, int] = {}
        for s, a in dist.items():
            for c, b in enumerate(counts):
                nxt[s + c] = nxt.get(s + c, 0) + a * b
        dist = nxt
    pmf: dict[int, Fraction] = {}
    for s, a in dist.items():
        w = (s - 220) // 2 if s >= 220 else -((220 - s) // 2)
        pmf[w] = pmf.get(w, Fraction(0)) + Fraction(a, total**4)
    return pmf


def summary(pmf: dict[int, Fraction]) -> dict:
    mean = sum(w * p for w, p in pmf.items())
    var = sum((w - mean) ** 2 * p for w, p in pmf.items())
    return {"mean": float(mean), "variance": float(var), "std": float(var) ** 0.5, "min": min(pmf), "max": max(pmf),
            "p0": float(pmf[0])}


def main() -> None:
    old, new = weight_pmf(lane_counts(False)), weight_pmf(lane_counts(True))
    tv = sum(abs(old.get(w, 0) - new.get(w, 0)) for w in set(old) | set(new)) / 2
    print(json.dumps({"old": summary(old), "new": summary(new), "total_variation": float(tv)}, indent=1))


if __name__ == "__main__":
    main()
