"""The Anomaly dock: it offers the run's held-out class, runs a set as a job and shows
both histograms, the ROC curve with its AUC and the extreme images; Stop cancels; an
inverted result is said in words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

DIGITS = tuple(str(d) for d in range(10))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a tiny (untrained) VAE saved as if trained on the digits without 7s."""
    import torch

    from models.autoencoders.config import VAEConfig
    from models.checkpoint import save_checkpoint
    from models.config import DataConfig, TrainConfig
    from models.registry import build_model

    torch.manual_seed(0)
    return save_checkpoint(tmp_path_factory.mktemp("anomaly-ck") / "vae",
                           build_model("vae", VAEConfig(latent_dim=2, hidden_dims=(16,))),
                           data=DataConfig(dataset="digits", exclude_class=(7,)),
                           train=TrainConfig(device="cpu"), class_names=DIGITS,
                           progress={"epoch": 1})


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown AnomalyPanel on a fresh session; its lane must join at teardown."""
    from app.panels.anomaly import AnomalyPanel
    from tests.app.conftest import shown_panel

    widget, session = shown_panel(qtbot, tmp_path, AnomalyPanel, (1000, 650))
    yield widget
    assert session.jobs.await_all(2.0) and session.shutdown(5.0)
    assert not session.jobs.threads_running()


def _open(qtbot: Any, panel: Any, path: Path) -> None:
    from models.opened import open_model

    panel.session.models.adopt(open_model(path), same_run=False)
    qtbot.waitUntil(lambda: panel.model is not None, timeout=60_000)


def test_the_held_out_class_is_offered_first(qtbot: Any, panel: Any,
                                             checkpoint: Path) -> None:
    assert not panel.run_button.isEnabled()
    _open(qtbot, panel, checkpoint)
    keys = [panel.anomalies.itemData(i) for i in range(panel.anomalies.count())]
    assert keys == ["class:7", "noise", "rotate", "invert"]
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()


def test_a_run_shows_histograms_roc_and_extremes(qtbot: Any, panel: Any,
                                                 checkpoint: Path) -> None:
    _open(qtbot, panel, checkpoint)
    panel.anomalies.setCurrentIndex(panel.anomalies.findData("noise"))
    panel.n_spin.setValue(60)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.result is not None and not panel.running(),
                    timeout=60_000)
    result = panel.result
    x, counts = panel.histograms.normal.getData()
    assert counts.sum() == 60 and len(x) == len(result.edges)
    fpr, tpr = panel.roc.curve.getData()
    assert fpr[0] == 0 and tpr[-1] == 1
    assert f"AUC {result.auc:.3f}" in panel.roc.plot.plotItem.titleLabel.text
    assert f"AUC {result.auc:.3f}" in panel.status.text()
    assert all(not label.pixmap().isNull() for label in panel.most.images)
    assert panel.most.captions[0].text() == f"{result.most[0].score:.4g}"
    assert panel.progress.value() == panel.progress.maximum() == 120


def test_stop_cancels_a_run(qtbot: Any, panel: Any, checkpoint: Path) -> None:
    _open(qtbot, panel, checkpoint)
    panel.n_spin.setValue(100000)  # every digit: long enough to stop
    panel.run()
    assert panel.stop_button.isEnabled()
    panel.stop()
    qtbot.waitUntil(lambda: not panel.session.jobs.busy("anomaly"), timeout=30_000)
    assert panel.result is None and not panel.running()
    assert not panel.stop_button.isEnabled() and panel.status.text() == "Stopped."


def test_an_inverted_result_is_said_in_words(qtbot: Any, panel: Any,
                                             checkpoint: Path) -> None:
    from models.anomaly.run import AnomalyResult, run_anomaly
    from models.anomaly.sets import parse_anomalies
    from models.config import DataConfig, TrainConfig
    from tests.models.anomaly.likelihood_double import BrightnessNLL

    _open(qtbot, panel, checkpoint)
    *_, result = run_anomaly(BrightnessNLL(bright_is_likely=True),
                             DataConfig(dataset="digits"), TrainConfig(),
                             parse_anomalies("invert"), 40)
    assert isinstance(result, AnomalyResult) and result.inverted
    panel._on_event(panel._runs, result)  # as the job delivers it
    assert panel.note.isVisible() and "LOWER" in panel.note.text()
    assert "inverted" in panel.roc.plot.plotItem.titleLabel.text
    panel.reset()  # another model: nothing of this result stays
    assert panel.result is None and not panel.note.isVisible()
    assert panel.most.images[0].pixmap().isNull()


def test_newer_weights_keep_the_result_and_the_epoch_it_scored(qtbot: Any, panel: Any,
                                                               checkpoint: Path) -> None:
    from dataclasses import replace

    from models.opened import open_model

    _open(qtbot, panel, checkpoint)
    panel.anomalies.setCurrentIndex(panel.anomalies.findData("invert"))
    panel.n_spin.setValue(30)
    panel.run()
    qtbot.waitUntil(lambda: panel.result is not None and not panel.running(), timeout=60_000)
    newer = replace(open_model(checkpoint), epoch=2)
    panel.session.models.adopt(newer, same_run=True)  # as training's next epoch arrives
    qtbot.waitUntil(lambda: panel.model is newer, timeout=10_000)
    assert panel.result is not None and panel.anomalies.currentData() == "invert"
    assert panel.status.text().startswith("vae, epoch 1 — invert: AUC")
