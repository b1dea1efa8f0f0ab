"""The Compare runs table fits its dock without scrolling sideways (at 1280 pixels, and
even on the offscreen platform's 800-pixel screen the tests run on): short
headers (full names in tooltips), compact numbers, the run's name elided, and a column
chooser that hides measures and remembers them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.panels.compare.columns import MEASURES, compact
from app.panels.compare.table import LEADING


def _row(name: str, family: str, scale: float) -> dict[str, Any]:
    """Return a measured run as models.compare_runs reports it (RunFigures.to_dict())."""
    return {"name": name, "checkpoint": f"/runs/{name}/checkpoints/last", "family": family,
            "dataset": "mnist5k", "parameters": int(12_345_678 * scale),
            "parameters_by_stage": {"model": int(12_345_678 * scale)},
            "sample_s_per_image": 1.7e-5 * scale, "fd": 141.69 * scale,
            "training": {"seconds": 1834.2 * scale, "cpu_seconds": 13512.9 * scale},
            "bits_per_dim": 1.2345 * scale, "bits_per_dim_kind": "bound",
            "bits_per_dim_note": "bound: IWAE, k=64", "classifier_score": 8.7312,
            "sample_quality": {"precision": 0.546, "recall": 0.928, "density": 0.3571,
                               "coverage": 0.553}}


def _column(key: str) -> int:
    return len(LEADING) + [m.key for m in MEASURES].index(key)


def test_the_table_fits_the_dock_without_scrolling_sideways_and_hides_columns(
        qtbot: Any, make_window: Any) -> None:
    from models.compare_runs import RunMeasured

    window = make_window(wait_ready=False)
    window.resize(1280, 720)
    window.compare_dock.show()
    window.compare_dock.raise_()
    panel = window.compare_panel
    qtbot.waitUntil(lambda: panel.isVisible() and panel.width() > 800, timeout=10_000)
    rows = [_row("conv-vae-mnist-trained-for-180-seconds-long-name", "conv-vae", 1.0),
            _row("dcgan-cmp", "dcgan", 1.3), _row("ddpm-cmp", "ddpm", 0.7)]
    for i, row in enumerate(rows):
        panel._on_event(RunMeasured(i, row))
    table, model = panel.table, panel.table_model
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0, timeout=5_000)
    header = table.horizontalHeader()
    width = sum(header.sectionSize(c) for c in range(model.columnCount()))
    assert width <= table.viewport().width()

    # A projector's font (presentation mode's 1.5×): the table is fitted again (here
    # the offscreen screen is 800 pixels wide, too narrow for every measure at that size:
    # the run's name gives up its room), and the long name stays on one line, elided.
    # (At 1280 pixels everything fits: see the report's screenshot.)
    name_width = header.sectionSize(0)
    font = panel.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    panel.setFont(font)
    qtbot.waitUntil(lambda: header.sectionSize(0) != name_width, timeout=5_000)
    others = sum(header.sectionSize(c) for c in range(1, model.columnCount()))
    assert header.sectionSize(0) == max(60, min(header.sectionSize(0),
                                                table.viewport().width() - others))
    assert table.rowHeight(0) == table.rowHeight(1) == table.rowHeight(2)
    panel.setFont(window.font())

    # Short headers and compact numbers; the whole value and name in the tooltips.
    text = model.data(model.index(0, _column("cpu_s")))
    assert text == "13.5k"
    tip = model.data(model.index(0, _column("cpu_s")), Qt.ItemDataRole.ToolTipRole)
    assert "13,512.9 CPU s" in tip
    assert model.data(model.index(0, _column("train_s"))) == "1,834"
    assert model.headerData(_column("classifier_score"), Qt.Orientation.Horizontal) == \
        "Score ↑\n(1–10)"
    assert "digit classifier score" in model.headerData(
        _column("classifier_score"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(rows[0]["name"]) and tip.endswith("last")  # whole, if elided

    # Hiding a column shrinks the table; the choice outlives the panel.
    panel.columns.set_shown("fd", False)
    assert header.isSectionHidden(_column("fd"))
    assert panel.columns.hidden() == ["fd"]
    from app.panels.compare.column_chooser import ColumnChooser

    again = ColumnChooser(table)
    assert again.hidden() == ["fd"]
    panel.columns.set_shown("fd", True)
    assert not header.isSectionHidden(_column("fd"))


def test_compact_numbers_keep_small_values_and_shorten_large_ones() -> None:
    assert compact(0.01708, 3) == "0.017"
    assert compact(7.5206, 3) == "7.521"
    assert compact(141.695, 1) == "141.7"
    assert compact(1834.2, 1) == "1,834"
    assert compact(13512.9, 1) == "13.5k"
    assert compact(12_345_678.0, 2) == "12.3M"
    assert compact(-2.5, 2) == "-2.50"
