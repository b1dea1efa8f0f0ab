"""Live loss curves drawn incrementally: the same values as the batch maths, bounded cost."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.history import EpochRecord, RunHistory, ema_debiased
from app.panels.training.decimate import MAX_BINS, PeakDecimator
from app.panels.training.ranges import follow_x, follow_y, nice_ceil


def _history(n: int, start: int = 0, seed: int = 0) -> RunHistory:
    h = RunHistory()
    _grow(h, n, start, seed)
    return h


def _grow(h: RunHistory, n: int, start: int = 0, seed: int = 0) -> None:
    rng = np.random.default_rng(seed + len(h.steps))
    for i in range(start, start + n):
        t = i + 1
        recon = 100 / np.sqrt(t) + rng.random()
        kl = np.nan if t % 7 == 0 else rng.normal(0.5, 1.0)  # ≤ 0 now and then; gaps
        h.add_step(t, {"loss": recon + (0.0 if np.isnan(kl) else kl), "recon": recon,
                       "kl": kl})


def _plots(qtbot: Any) -> Any:
    from app.main import configure_pyqtgraph
    from app.panels.training.loss_plots import LossPlots

    configure_pyqtgraph()
    plots = LossPlots()
    qtbot.addWidget(plots)
    plots.resize(800, 600)
    plots.show()
    return plots


def _curve(plots: Any, key: str) -> Any:
    return next(c for c in plots.curves if c.key == key)


def test_decimation_keeps_each_run_min_and_max_within_budget() -> None:
    rng = np.random.default_rng(1)
    for n, max_bins in ((10, 8), (1000, 8), (5003, 64), (40_000, MAX_BINS)):
        x, y = np.arange(n, dtype=float), rng.normal(size=n)
        y[rng.random(n) < 0.05] = np.nan
        d, i = PeakDecimator(max_bins), 0
        while i < n:
            k = int(rng.integers(1, 400))
            d.extend(x[i:i + k], y[i:i + k])
            i += k
        xs, ys = d.points()
        assert len(xs) <= 2 * max_bins
        w = d.width
        runs = [y[j:j + w] for j in range(0, n, w)]
        if w == 1:
            ref_x, ref_y = x, y
        else:
            ref_x = np.repeat(x[::w], 2)
            ref_y = np.column_stack(([np.fmin.reduce(r) for r in runs],
                                     [np.fmax.reduce(r) for r in runs])).ravel()
        ok = np.isfinite(ref_y)
        assert np.array_equal(xs, ref_x[ok]) and np.array_equal(ys, ref_y[ok])
        assert (d.lo, d.hi) == (np.nanmin(y), np.nanmax(y))


def test_ranges_grow_in_round_steps_with_headroom() -> None:
    assert [nice_ceil(v) for v in (0.9, 1.0, 1.01, 13, 2100, 7e5)] == [
        1.0, 1.0, 1.2, 15, 2500, 8e5]
    shown = follow_x(None, 1, 100)
    assert shown[0] == 1 and shown[1] >= 1 + 99 * 1.1
    assert follow_x(shown, 1, shown[1]) is shown  # unchanged while the data fits
    assert follow_x(None, 1, 100, total=105) == (1, 105)  # a short run ends at its end
    y = follow_y(None, 2.0, 10.0)
    assert y[0] < 2.0 and y[1] > 10.0
    assert follow_y(y, 3.0, 9.0) is y
    assert follow_y(y, 1.0, 9.0)[0] < 1.0
    assert follow_y(y, np.inf, -np.inf) is y  # no finite data: keep


def test_curves_show_raw_values_and_the_batch_ema_while_fed_in_pieces(qtbot: Any) -> None:
    plots = _plots(qtbot)
    h = RunHistory()
    for chunk in (1, 5, 40, 200, 3):
        _grow(h, chunk)
        plots.refresh(h)
    x = h.steps.view()
    for key in ("loss", "recon", "kl"):
        y = h.metrics[key].view()
        curve = _curve(plots, key)
        ok = np.isfinite(y)
        rx, ry = curve.raw.getOriginalDataset()
        assert np.array_equal(rx, x[ok]) and np.array_equal(ry, y[ok])
        sx, sy = curve.smooth.getOriginalDataset()
        assert np.array_equal(sx, x[ok]) and np.array_equal(sy, ema_debiased(y, 0.9)[ok])
    # Per-term colours: every curve its own, the smoothed line opaque over the faint raw.
    colours = [c.smooth.opts["pen"].color().name() for c in plots.curves]
    assert len(set(colours)) == len(colours)
    assert all(c.raw.opts["pen"].color().alpha() < 255 for c in plots.curves)

    plots.set_smoothing(0.5)
    plots.refresh(h)
    kl = h.metrics["kl"].view()
    sx, sy = _curve(plots, "kl").smooth.getOriginalDataset()
    assert np.array_equal(sy, ema_debiased(kl, 0.5)[np.isfinite(kl)])


def test_log_scale_leaves_out_values_a_log_axis_cannot_show(qtbot: Any) -> None:
    plots = _plots(qtbot)
    h = _history(300)
    plots.refresh(h)
    plots.set_log_y(True)
    plots.refresh(h)
    _grow(h, 50)
    plots.refresh(h)
    x, kl = h.steps.view(), h.metrics["kl"].view()
    ok = kl > 0
    curve = _curve(plots, "kl")
    rx, ry = curve.raw.getOriginalDataset()
    assert np.array_equal(rx, x[ok]) and np.array_equal(ry, kl[ok])
    _, sy = curve.smooth.getOriginalDataset()
    assert np.array_equal(sy, ema_debiased(kl[ok], 0.9))  # as the batch code smoothed
    assert plots.plots[0].vb.state["logMode"][1]


def test_a_long_run_draws_a_bounded_number_of_points(qtbot: Any) -> None:
    plots = _plots(qtbot)
    h = _history(30_000)
    plots.refresh(h)
    loss = h.metrics["loss"].view()
    curve = _curve(plots, "loss")
    _, ry = curve.raw.getOriginalDataset()
    assert 5 < plots.point_count() <= 2 * MAX_BINS
    assert (ry.min(), ry.max()) == (loss.min(), loss.max())  # spikes are kept
    # The view follows the data: it holds every step and every value.
    vb = plots.plots[0].vb
    vb.updateAutoRange()
    (x0, x1), (y0, y1) = vb.viewRange()
    assert x0 <= 1 and x1 >= 30_000 and y0 <= loss.min() and y1 >= loss.max()


def test_the_axes_move_only_when_the_data_outgrows_them(qtbot: Any) -> None:
    plots = _plots(qtbot)
    h = _history(2000)
    ranges = []
    for _ in range(100):
        _grow(h, 20)
        plots.refresh(h)
        plots.plots[0].vb.updateAutoRange()
        ranges.append(tuple(map(tuple, plots.plots[0].vb.viewRange())))
    assert len(set(ranges)) <= 10  # 100 redraws, 2000 new steps


def test_zoomed_in_the_steps_in_view_are_drawn_in_full(qtbot: Any) -> None:
    plots = _plots(qtbot)
    h = _history(3000)
    h.add_epoch(EpochRecord(1, 1500, {"loss": 3.0}))
    plots.refresh(h)
    reduced = plots.point_count()
    assert reduced < 3000  # following: min/max pairs of runs of steps
    plots.plots[0].setXRange(2000, 2100, padding=0)  # as a mouse zoom: auto-range off
    plots.refresh(h)
    rx, _ = _curve(plots, "loss").raw.getOriginalDataset()
    assert np.array_equal(rx, np.arange(1900, 2201, dtype=float))
    plots.plots[-1].vb.enableAutoRange()  # 'A' on the lower plot: both follow again
    plots.refresh(h)
    assert plots.point_count() == reduced


def test_every_plot_names_its_unit_and_a_legend_explains_the_marks(qtbot: Any) -> None:
    from models.training.run_record import RunShape

    plots = _plots(qtbot)
    history = RunHistory(RunShape(family="vae"))
    _grow(history, 50)
    plots.refresh(history)
    titles = [p.titleLabel.text for p in plots.plots]
    # The unit is in the title: on the left axis it was longer than a short plot is tall.
    assert titles == ["Loss (reconstruction + β·KL) (nats / image)",
                      "Reconstruction (nats / image)", "KL divergence to the prior (nats / image)"]
    assert plots.plots[-1].getAxis("bottom").labelText == "step"
    legend = [label.text for _, label in plots.plots[0].legend.items]
    assert legend == ["each step", "smoothed (EMA)", "validation (epoch end)"]
