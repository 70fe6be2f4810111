"""Checks of tools/plot_sweep.py's figures through matplotlib's own objects (used by
check_plot_sweep.py and check_plot_model.py): the files of every format exist at the asked
size, axis labels carry units, points are labelled with the swept values, legends and labels
hide no data and no other label, tick labels are several and do not overlap, and stacked bars
of the cycle breakdown are exactly the point's simulated cycles."""
import importlib.util
import os
import struct


def load_plotter(path):
    spec = importlib.util.spec_from_file_location("plot_sweep", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_plotter(plotter, sweep_dir, out, *extra):
    """Runs plot_sweep.main in this process; returns {name: figure}."""
    mod = load_plotter(plotter)
    figs = []
    rc = mod.main([sweep_dir, "--out", out, *extra], figures=figs)
    assert rc == 0, rc
    return dict(figs)


def check_files(out, stem, width_in, dpi):
    png = open(os.path.join(out, f"{stem}.png"), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n", stem
    w, _ = struct.unpack(">II", png[16:24])
    assert abs(w - width_in * dpi) <= 1, (stem, w, width_in * dpi)  # the asked width at the asked dpi
    assert open(os.path.join(out, f"{stem}.pdf"), "rb").read(5) == b"%PDF-", stem
    assert b"<svg" in open(os.path.join(out, f"{stem}.svg"), "rb").read(2000), stem
    pdf = open(os.path.join(out, f"{stem}.pdf"), "rb").read()
    assert b"/Type3" not in pdf, f"{stem}.pdf has Type 3 fonts"


def boxes_overlap(a, b):
    return a.overlaps(b) and a.width > 0 and b.width > 0


def visible_ticklabels(axis):
    lo, hi = sorted(axis.get_view_interval())
    return [t for t, loc in zip(axis.get_ticklabels(), axis.get_ticklocs())
            if t.get_text() and lo <= loc <= hi and t.get_visible()]


def check_common(fig, name):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    assert fig._suptitle is None, f"{name}: a suptitle"
    for ax in fig.axes:
        assert ax.get_title() == "", f"{name}: a title over the panel: {ax.get_title()}"
        for axis in (ax.xaxis, ax.yaxis):
            labels = visible_ticklabels(axis)
            ext = [t.get_window_extent(r) for t in labels]
            for i in range(len(ext)):
                for j in range(i + 1, len(ext)):
                    assert not boxes_overlap(ext[i], ext[j]), \
                        f"{name}: tick labels overlap: {labels[i].get_text()!r} {labels[j].get_text()!r}"
        leg = ax.get_legend()
        if leg is not None:
            # Every entry shown (nothing hidden), and the legend outside the data area.
            assert len(leg.get_texts()) == len(getattr(leg, "legend_handles", None) or leg.legendHandles), name
            assert not boxes_overlap(leg.get_window_extent(r), ax.get_window_extent(r).shrunk(0.999, 0.999)) or \
                _legend_clear_of_data(ax, leg, r), f"{name}: the legend covers data"
    return r


def _legend_clear_of_data(ax, leg, r):
    box = leg.get_window_extent(r)
    for line in ax.get_lines():
        for x, y in ax.transData.transform(line.get_xydata()):
            if box.contains(x, y):
                return False
    return True


def check_roofline(fig, swept_values, width_in, height_in):
    r = check_common(fig, "roofline")
    assert tuple(round(v, 3) for v in fig.get_size_inches()) == (width_in, height_in), fig.get_size_inches()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "arithmetic intensity (ops/DRAM byte)", ax.get_xlabel()
    assert ax.get_ylabel() == "attained throughput (ops/cycle)", ax.get_ylabel()
    assert len(visible_ticklabels(ax.yaxis)) >= 3, [t.get_text() for t in visible_ticklabels(ax.yaxis)]
    assert len(visible_ticklabels(ax.xaxis)) >= 3, [t.get_text() for t in visible_ticklabels(ax.xaxis)]
    texts = [t for t in ax.texts]
    assert sorted(t.get_text() for t in texts) == sorted(swept_values), [t.get_text() for t in texts]
    # Labels overlap neither each other nor a point; the legend is below the axes.
    ext = [t.get_window_extent(r) for t in texts]
    pts = [ax.transData.transform(xy) for line in ax.get_lines() if line.get_marker() == "o" for xy in line.get_xydata()]
    assert len(pts) == len(swept_values)
    for i, b in enumerate(ext):
        assert not any(boxes_overlap(b, c) for c in ext[i + 1:]), f"roofline: point labels overlap ({texts[i].get_text()})"
        assert not any(b.contains(x, y) for x, y in pts), f"roofline: label {texts[i].get_text()} covers a point"
    leg = ax.get_legend().get_window_extent(r)
    assert leg.y1 <= ax.get_window_extent(r).y0 + 1, "roofline: the legend is not below the axes"


def check_breakdown(fig, tick_values, sim_cycles, xlabel):
    check_common(fig, "cycle_breakdown")
    assert [t.get_text() for t in fig.axes[-1].get_xticklabels()] == tick_values, \
        [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    assert fig.axes[-1].get_xlabel() == xlabel, fig.axes[-1].get_xlabel()
    units = []
    for ax in fig.axes:
        units.append(ax.get_ylabel())
        tops = {}
        for patch in ax.patches:  # stacked bars: the top of each x is the simulated cycles
            x = round(patch.get_x() + patch.get_width() / 2)
            tops[x] = max(tops.get(x, 0), patch.get_y() + patch.get_height())
        assert sorted(tops) == list(range(len(sim_cycles))), tops
        for x, top in tops.items():
            assert abs(top - sim_cycles[x]) <= 1e-6 * sim_cycles[x], (ax.get_ylabel(), x, top, sim_cycles[x])
    return units
