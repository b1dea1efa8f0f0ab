"""The Compare runs panel: two runs measured through the job service fill the table (a VAE's
bound marked, a GAN's bits/dim greyed "not defined" with the reason) and the bar charts;
Stop cancels; runs on different data are refused in the status line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from app import theme

SMALL = {"vae": {"latent_dim": 3, "hidden_dims": (32,)},
         "dcgan": {"latent_dim": 8, "g_width": 8, "d_width": 8}}


def _checkpoint(folder: Path, family: str, dataset: str = "mnist5k") -> Path:
    """Return `folder` holding an untrained tiny `family` checkpoint on `dataset`."""
    import torch

    from models.checkpoint import save_checkpoint
    from models.config import DataConfig
    from models.registry import build_model, config_class

    torch.manual_seed(0)
    model = build_model(family, config_class(family)(**SMALL[family]))
    return save_checkpoint(folder, model, data=DataConfig(dataset=dataset))


@pytest.fixture
def panel(make_window: Any) -> Any:
    """The Compare runs panel of a shown window, its dock raised, measuring 20 images."""
    window = make_window()
    window.compare_dock.show()
    window.compare_dock.raise_()
    panel = window.compare_panel
    panel.n_images.setValue(20)
    panel.iwae_k.setValue(4)
    return panel


def _cell(panel: Any, row: int, key: str, role: Qt.ItemDataRole) -> Any:
    from app.panels.compare.columns import MEASURES
    from app.panels.compare.table import LEADING

    column = len(LEADING) + [m.key for m in MEASURES].index(key)
    model = panel.table_model
    return model.data(model.index(row, column), role)


def test_two_runs_fill_the_table_and_the_charts(qtbot: Any, panel: Any,
                                                tmp_path: Path) -> None:
    panel.add_run(_checkpoint(tmp_path / "vae", "vae"))
    panel.add_run(_checkpoint(tmp_path / "gan", "dcgan"))
    panel.add_run(tmp_path / "vae")  # listed once
    assert panel.run_list.list.count() == 2 and panel.run_button.isEnabled()
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: panel.report is not None, timeout=120_000)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=10_000)

    model = panel.table_model
    assert model.rowCount() == 2
    assert [model.data(model.index(r, 1)) for r in range(2)] == ["vae", "dcgan"]
    display, tip = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole
    assert _cell(panel, 0, "bits_per_dim", display).startswith("≤ ")
    assert "IWAE, k=4" in _cell(panel, 0, "bits_per_dim", tip)
    assert _cell(panel, 1, "bits_per_dim", display) == "not defined"
    assert _cell(panel, 1, "bits_per_dim", tip) == "not defined: a GAN has no likelihood"
    grey = _cell(panel, 1, "bits_per_dim", Qt.ItemDataRole.ForegroundRole)
    assert grey.color().name() == theme.text_colour("muted")
    assert _cell(panel, 0, "bits_per_dim", Qt.ItemDataRole.ForegroundRole) is None
    score = float(_cell(panel, 1, "classifier_score", display))
    assert 1.0 <= score <= 10.0
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in
               range(model.columnCount())]
    assert "Bits/dim ↓\n(bits)" in headers and "Sample ↓\n(ms/img)" in headers

    assert panel.charts.isVisible()
    bars = [i for i in panel.charts.plots["bits_per_dim"].items
            if isinstance(i, pg.BarGraphItem)]
    assert len(bars) == 1 and list(bars[0].opts["x"]) == [0]  # the GAN has no bar
    fd_bars = [i for i in panel.charts.plots["fd"].items if isinstance(i, pg.BarGraphItem)]
    assert list(fd_bars[0].opts["x"]) == [0, 1]
    assert panel.status.full_text().startswith("Done: 2 runs")
    assert panel.copy_json.isEnabled()


def test_stop_cancels_the_comparison(qtbot: Any, panel: Any, tmp_path: Path) -> None:
    panel.add_run(_checkpoint(tmp_path / "a", "dcgan"))
    panel.add_run(_checkpoint(tmp_path / "b", "dcgan"))
    panel.n_images.setValue(5000)  # 20 batches a run: far longer than the test waits
    panel.start()
    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=60_000)
    assert panel.report is None and not panel.stop_button.isEnabled()
    assert panel.status.full_text().startswith("Stopped")


def test_runs_on_different_data_are_refused_in_the_status_line(
        qtbot: Any, panel: Any, tmp_path: Path) -> None:
    panel.add_run(_checkpoint(tmp_path / "vae", "vae"))
    panel.add_run(_checkpoint(tmp_path / "gan", "dcgan", dataset="digits"))
    panel.start()
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=60_000)
    assert panel.table_model.rowCount() == 0 and panel.report is None
    assert panel.status.full_text() == ("runs trained on different data cannot be "
                                        "compared: vae (mnist5k), gan (digits)")
