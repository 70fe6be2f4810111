#!/usr/bin/env python3
"""check_untied_rules.py SOURCE: the rules of `tools/docs_figures.py untied` on docs written
here: a number outside blocks is listed; one inside a `<!-- wall-clock: REASON -->` region is
not; a region without a reason or never closed is listed; an allow-list entry silences its
number."""
import pathlib, sys, tempfile

src = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(src / "tools"))
import docs_figures as d  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    doc = pathlib.Path(tmp) / "t.md"
    d.ROOT = pathlib.Path(tmp)

    def untied(text, allow=None):
        doc.write_text(text)
        return [r.split(":", 1)[1] for r in d.untied([doc], allow=allow or {}, seeds="")]

    assert untied("The run took 12,345 cycles.\n") == ["1: 12,345"]
    assert untied("<!-- wall-clock: bench of commit abc -->\nwall 1.234 s, 56,789 B\n<!-- /wall-clock -->\n") == []
    assert untied("<!-- wall-clock: x -->\n1.234 s\n<!-- /wall-clock -->\nthen 9,876 cycles\n") == ["4: 9,876"]
    r = untied("<!-- wall-clock -->\n1.234 s\n<!-- /wall-clock -->\n")
    assert len(r) == 1 and "needs" in r[0], r
    r = untied("<!-- wall-clock: open -->\n1.234 s\n")
    assert len(r) == 1 and "not closed" in r[0], r
    assert untied("The run took 12,345 cycles.\n", allow={"t.md": {"12,345": "a reason"}}) == []
print("ok: untied lists outside numbers, skips wall-clock regions, reports bad regions, honours the allow list")
