"""Deterministic reproductions of bugs the monkey test (test_monkey.py) found.

Each unfixed bug is a strict xfail: when a change fixes it the test passes, pytest reports
XPASS as a failure, and the mark (and its KNOWN_BUGS entry in test_monkey.py) goes. Fixed
bugs stay here as plain regression tests.
"""

from __future__ import annotations

from app.session import JobState
from models.demos import list_demos
from tests.app.conftest import set_tiny_vae


def _demo(name: str) -> object:
    return next(d.path for d in list_demos() if d.name == name)


def test_a_checkpoint_still_loading_when_training_starts_does_not_replace_the_run(
        make_window, qtbot) -> None:
    # Fixed: an open still loading when training started landed mid-run (the old session's
    # on_checkpoint_opened). Starting a run now closes the model shown, which cancels the
    # open: its result is dropped.
    window = make_window()
    session = window.session
    window.latent_dock.show()
    window.latent_dock.raise_()
    failures: list[str] = []
    opened: list[object] = []
    session.latent.failed.connect(failures.append)
    session.models.opened.connect(opened.append)
    window.open_path(_demo("cddpm-tiny"))  # diffusers loads for seconds
    set_tiny_vae(window, epochs=1)
    window.act_train.trigger()  # enabled: nothing marks the open as in flight
    qtbot.waitUntil(lambda: session.state is JobState.IDLE, timeout=60_000)
    qtbot.wait(3000)  # the demo's load has finished by now, and was dropped
    assert [m.family for m in opened] == ["vae"]  # only the run's model was ever shown
    qtbot.wait(3000)  # the latent map encodes what it was told to
    # The model shown is the VAE just trained, and everything says so.
    assert window.setup_panel.current_family() == "vae"
    assert session.checkpoint is not None and "cddpm" not in str(session.checkpoint)
    assert failures == []


# Run in a child process: the bug is a segfault, which would end the whole test session.
LAYOUT_CRASH = """
import sys
from pathlib import Path
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

app = QApplication([])
from app.main import configure_pyqtgraph
configure_pyqtgraph()
from app.session import Session
from app.window.main_window import MainWindow

def window():
    w = MainWindow(Session(Path(sys.argv[1])))
    w.show()
    QTest.qWait(10)
    return w

first = window()
for action in (first.act_presentation, first.act_presentation, first.act_fullscreen):
    action.trigger()
    QTest.qWait(10)
first.close()  # saves its geometry (full screen) and dock layout
second = window()  # restores them
second.act_reset_layout.trigger()
QTest.qWait(10)
second.close()
print("survived")
"""


def test_reset_layout_survives_a_layout_saved_after_presentation_and_full_screen(
        tmp_path) -> None:
    # Fixed: a layout saved in full screen after presentation mode made a later window's
    # Reset layout segfault in QMainWindow::restoreState; the window now leaves presentation
    # mode and full screen before it saves its layout.
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "LATENTLAB_SETTINGS": str(tmp_path / "settings.ini")}
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", LAYOUT_CRASH, str(tmp_path / "runs")],
                            cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "survived" in result.stdout, result.stderr[-2000:]


def test_save_is_disabled_once_new_model_forgets_the_checkpoint(make_window, qtbot) -> None:
    # Fixed: File › New cleared the checkpoint but left Save enabled; Save then showed
    # "there is no checkpoint to save yet" (main_window.py: actions were not updated on
    # runReset).
    window = make_window()
    window.open_path(_demo("vae-2d"))
    qtbot.waitUntil(lambda: window.session.checkpoint is not None, timeout=30_000)
    assert window.act_save.isEnabled()
    window.act_new.trigger()
    assert not window.act_save.isEnabled()


def test_a_traversal_grid_and_the_manifold_grid_do_not_swap_results(make_window,
                                                                      qtbot) -> None:
    # Fixed: both panels decoded on the latent controller's "grid" channel; a traversal's
    # rows×columns images reached the latent map's manifold grid, whose reshape to k×k
    # raised ValueError in a slot (latent_map/panel.py _show_grid).
    window = make_window()
    window.latent_dock.show()
    window.latent_dock.raise_()
    window.open_path(_demo("vae-2d"))
    latent = window.latent_dock.widget()
    qtbot.waitUntil(lambda: latent.projection is not None, timeout=60_000)
    latent.grid_check.setChecked(True)  # the manifold grid: k×k decoded tiles
    traverse = window.interpolation_panel.traversal.make
    qtbot.waitUntil(traverse.isEnabled, timeout=10_000)
    # Both answers arrive on the GUI thread; each must reach only its own panel.
    traverse.click()
    qtbot.waitUntil(lambda: latent.grid_image.isVisible(), timeout=10_000)
    qtbot.wait(300)
    assert latent.grid_image.image.shape[0] == latent.grid_size.value() * 28


def test_a_panel_shown_just_before_closing_starts_no_thread(make_window, qtbot,
                                                              thread_leaks) -> None:
    # Fixed: showing the Interpolation panel queues the load of the model that arrived while
    # it was hidden (a zero-delay timer); closing before the timer fired let it start the
    # panel's lazily made thread after shutdown, running on with no one to join it (at
    # exit: "QThread: Destroyed while thread is still running"). Now the Panel base shows
    # no model once the job service is closing.
    window = make_window()
    session = window.session
    window.interpolation_dock.close()
    window.open_path(_demo("cddpm-tiny"))
    qtbot.waitUntil(lambda: session.model is not None, timeout=30_000)
    window.interpolation_dock.show()  # View › Interpolation: loads the model it missed...
    window.close()  # ...once the event loop runs, which is after this close
    qtbot.wait(200)
    assert thread_leaks.left() == []
