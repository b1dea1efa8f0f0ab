"""Opening a checkpoint before PyTorch has loaded: its history, recorded trajectory and
docks show from files at once; the model follows when torch is ready (or its failure)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyqtgraph as pg
import pytest

from app.session import JobState
from tests.app.demo_folders import make_demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo-like tiny cddpm: checkpoint, history/ (2 epochs) and precomputed/."""
    return make_demo(tmp_path_factory.mktemp("demos"))


@pytest.fixture
def cold_window(thread_leaks: Any, qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown main window whose session has not started loading torch (call
    `window.session.start()` to load it); closed at teardown."""
    from app.log import setup_logging
    from app.main import configure_pyqtgraph
    from app.session import Session
    from app.window.main_window import MainWindow

    configure_pyqtgraph()
    window = MainWindow(Session(tmp_path / "runs"), setup_logging(None))
    window.show()
    yield window
    window.close()
    window.deleteLater()


def _plot_texts(window: Any) -> list[str]:
    plots = window.training_panel.loss_plots
    return [item.text for item in plots.ci.items if isinstance(item, pg.LabelItem)]


def test_demo_buttons_work_before_torch_and_train_waits_for_it(cold_window) -> None:
    welcome = cold_window.welcome
    assert not cold_window.session.torch_ready
    assert welcome.cards and all(card.button.isEnabled() for card in welcome.cards)
    assert all(act.isEnabled() for act in cold_window.demo_actions)
    assert cold_window.act_open.isEnabled()
    assert not welcome.train_button.isEnabled() and not cold_window.act_train.isEnabled()


def test_a_demo_opened_before_torch_shows_its_history_and_recorded_run_then_its_model(
        cold_window, qtbot, demo) -> None:
    window, session = cold_window, cold_window.session
    panel = window.diffusion_dock.widget()
    with qtbot.waitSignal(session.picturesOpened, timeout=5_000) as opened:
        window.open_path(demo)
    assert opened.args == [demo]
    assert window.message_bar.text() == ""  # no "torch is still loading"
    assert window.training_stack.currentWidget() is window.training_panel
    assert window.diffusion_dock.isVisible() and session.model is None
    # The Setup forms hold the checkpoint's configs, read from config.json alone.
    assert window.setup_panel.current_family() == "cddpm"
    assert window.setup_panel.train_form.values()["epochs"] == 2

    # The recorded run is run A, its final image (t = 0) on screen, captioned.
    record = panel.recorded_run()
    assert record is not None and record.spec.steps == 4 and record.spec.n == 10
    assert panel.slider.value() == record.frames - 1 and panel.row_a.shown is not None
    assert "press Run to sample anew" in panel.status.text()
    assert "4 steps, seed 0" in panel.status.text()
    assert not panel.run_button.isEnabled()
    panel.slider.setValue(1)  # scrubbable without a model
    assert panel.step_label.text() == "step 2 / 4"

    # The history: read once (not followed), labelled as the demo's record.
    qtbot.waitUntil(lambda: len(session.history.epochs) == 2, timeout=10_000)
    assert session.recorded_history and session.state is not JobState.FOLLOWING
    window.training_dock.raise_()
    qtbot.waitUntil(lambda: window.training_panel.loss_plots.point_count() > 0,
                    timeout=10_000)
    qtbot.waitUntil(lambda: window.training_panel.timeline.current_epoch() == 2,
                    timeout=5_000)
    counters = window.training_panel.counters.text()
    assert counters.startswith("Trained for 2 epochs — recorded history")
    assert not any("once training starts" in text for text in _plot_texts(window))
    timeline = window.training_panel.timeline
    assert timeline.slider.isEnabled() and timeline.label.text() == "epoch 2 of 2"
    assert window.training_panel.samples.image.image is not None  # epoch 2's grid

    # torch loads: the model opens by itself and the recorded run stays on screen.
    window.diffusion_dock.raise_()
    session.start()
    qtbot.waitUntil(lambda: session.model is not None, timeout=120_000)
    assert session.model.path == demo
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=60_000)
    assert panel.recorded_run() is record and panel.slider.value() == 1  # as left
    assert "press Run to sample anew" in panel.status.text()

    # Run replaces it.
    with qtbot.waitSignal(panel.ended, timeout=60_000):
        run_id = panel.run()
    assert run_id is not None and panel.primary_id == run_id
    assert panel.recorded_run() is None and "press Run" not in panel.status.text()


def test_a_model_that_fails_to_open_takes_its_pictures_away_and_says_why(
        cold_window, qtbot, demo, tmp_path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(demo, broken)
    unet = broken / "unet" / "config.json"
    config = json.loads(unet.read_text())
    config["block_out_channels"] = [8, 16]  # the weights no longer fit the UNet's config
    unet.write_text(json.dumps(config))
    window, session = cold_window, cold_window.session
    panel = window.diffusion_dock.widget()
    window.open_path(broken)
    assert panel.recorded_run() is not None  # the weights are the recording's
    cleared = []
    session.latent.clear = lambda: cleared.append(True)  # type: ignore[method-assign]
    session.start()
    qtbot.waitUntil(lambda: window.message_bar.level == "error", timeout=60_000)
    assert panel.recorded_run() is None and panel.primary is None
    assert cleared and session.model is None and session.pictures is None
    assert session.last_error and session.last_error in window.message_bar.text()


def test_a_later_open_replaces_one_waiting_for_torch(cold_window, qtbot, demo,
                                                     tmp_path) -> None:
    other = tmp_path / "other"
    shutil.copytree(demo, other)
    window, session = cold_window, cold_window.session
    window.open_path(demo)
    window.open_path(other)
    session.start()
    qtbot.waitUntil(lambda: session.model is not None, timeout=120_000)
    qtbot.wait(300)  # a second open would arrive by now
    assert session.model.path == other


PROBE = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from app.main import build_window, create_application

app = create_application()
window, session = build_window(Path(sys.argv[2]))
window.show()
window.open_path(Path(sys.argv[1]))
panel = window.diffusion_dock.widget()
deadline = __import__("time").monotonic() + 30
while (panel.recorded_run() is None or len(session.history.epochs) < 2) and \\
        __import__("time").monotonic() < deadline:
    app.processEvents()
print("recorded", panel.recorded_run() is not None)
print("epochs", len(session.history.epochs))
print("torch", "torch" in sys.modules)
window.close()
"""


def test_pictures_open_in_a_process_that_never_imports_torch(demo, tmp_path) -> None:
    env = {"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "LATENTLAB_SETTINGS": str(tmp_path / "s.ini"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", PROBE, str(demo), str(tmp_path / "runs")],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "recorded True" in lines and "epochs 2" in lines, out.stdout + out.stderr
    assert "torch False" in lines, out.stdout


def test_a_latent_diffusion_checkpoint_shows_the_map_and_interpolation_docks_too(
        cold_window, qtbot, tmp_path) -> None:
    from models.latent_diffusion.config import LDMConfig

    folder = tmp_path / "ldm-checkpoint"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(
        {"family": "ldm", "model": LDMConfig().to_dict()}))
    window = cold_window
    window.latent_dock.close()  # closed by the user before: opening brings them back
    window.interpolation_dock.close()
    with qtbot.waitSignal(window.session.picturesOpened, timeout=5_000):
        window.open_path(folder)
    # The first stage has a latent space: its map and interpolation sit behind the viewer.
    assert window.diffusion_dock.isVisible()
    assert not window.latent_dock.isHidden() and not window.interpolation_dock.isHidden()
