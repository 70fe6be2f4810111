#!/usr/bin/env python3
"""check_errors_doc.py DOC CTEST BUILD_DIR: every test docs/errors.md names in its tables exists
(`ctest -N`); a name ending in " ..." is a prefix. Every table row names a test ("same" and
"both tests above" repeat the previous row's)."""
import re, subprocess, sys

doc, ctest, build = sys.argv[1:4]
listed = subprocess.run([ctest, "-N"], cwd=build, capture_output=True, text=True, check=True).stdout
# A test disabled in this build (DISABLED property, e.g. under DTQ_SANITIZE) is listed as
# "NAME (Disabled)": it still exists.
tests = {re.sub(r" \(Disabled\)$", "", m.group(1).strip()) for m in re.finditer(r"Test +#\d+: (.+)", listed)}
missing, rows, checked, previous = [], 0, 0, []
for line in open(doc):
    if not line.startswith("|") or line.startswith("|---"):
        continue
    cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
    header = cells[-1] in ("test", "time") or cells[0] in ("code", "test")
    if header or len(cells) < 3 or "Fuzzing" in line:
        continue
    last = cells[-1] if not cells[-1].endswith(" s") else cells[0]
    rows += 1
    names = re.findall(r"`([^`]+)`", last)
    if last.startswith("same") or last.startswith("both tests above"):
        names = previous + names
    previous = names
    if not names:
        missing.append(f"row without a test: {line.strip()[:100]}")
    for n in names:
        checked += 1
        ok = any(t.startswith(n[:-4]) for t in tests) if n.endswith(" ...") else n in tests
        if not ok:
            missing.append(f"no test named '{n}'")
if missing:
    sys.exit("FAIL:\n" + "\n".join(missing))
print(f"ok: {rows} rows of {doc} name {checked} tests, all exist")
