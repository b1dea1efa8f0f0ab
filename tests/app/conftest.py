"""Fixtures for the GUI tests: isolated settings, a thread-leak check around every test, and
a window factory whose windows are closed at teardown."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TINY_VAE = {"latent_dim": 2, "hidden_dims": (32,)}

# --- thread-leak check -------------------------------------------------------------------
# After a test (and after the windows it made were closed) every QThread it started must
# have ended, and so must every Python thread that was not alive before it: a thread that
# outlives its window keeps computing for nobody, and a running QThread whose parent is
# deleted aborts the process. Modelled on napari's `_dangling_qthreads` fixture.
LEAK_WAIT_S = 3.0  # slow but finite shutdowns are not leaks; a thread still alive after this is
# Python threads that live for the whole process by design, matched by name prefix.
ALLOWED_THREAD_PREFIXES = (
    # pytest-timeout's timer (timeout_method=thread) spans the whole test protocol,
    # setup to teardown: it is the test machinery's, not the code under test's.
    "pytest_timeout",
)


def _caller() -> str:
    """Return "file:line in function" of the code that called QThread.start."""
    frame = sys._getframe(2)  # 0: here, 1: the patched start, 2: its caller
    path = Path(frame.f_code.co_filename)
    try:
        path = path.relative_to(Path.cwd())
    except ValueError:
        pass
    return f"{path}:{frame.f_lineno} in {frame.f_code.co_name}"


@dataclass
class ThreadLeakCheck:
    """The QThreads started and the Python threads alive since this check began.

    `left()` names every recorded QThread still running and every new Python thread still
    alive; `wait(s)` polls that (processing Qt events) until it is empty or `s` seconds
    have passed; `assert_none_left(s)` fails the test with the names.
    """

    baseline: set[threading.Thread]
    qthreads: list[tuple[Any, str]] = field(default_factory=list)  # (QThread, started at)

    def record(self, thread: Any, where: str) -> None:
        """Remember a QThread being started at `where`."""
        self.qthreads.append((thread, where))

    def left(self) -> list[str]:
        """Return a description of every QThread and new Python thread still running."""
        out = []
        for thread, where in self.qthreads:
            try:
                running = thread.isRunning()
                name = thread.objectName() or type(thread).__name__
            except RuntimeError:  # its C++ object was deleted: it had finished (else Qt aborts)
                continue
            if running:
                out.append(f"QThread {name!r} (started at {where})")
        for t in threading.enumerate():
            # Dummy threads are foreign (Qt) threads that ran Python code; Python 3.11 keeps
            # them "alive" forever. The QThreads among them are checked above.
            if t in self.baseline or isinstance(t, threading._DummyThread) or not t.is_alive():
                continue
            if t.name.startswith(ALLOWED_THREAD_PREFIXES):
                continue
            out.append(f"Python thread {t.name!r} (daemon={t.daemon}, target="
                       f"{getattr(t, '_target', None)!r})")
        return out

    def wait(self, timeout_s: float) -> list[str]:
        """Poll `left()` while processing Qt events for up to `timeout_s`; return what is left."""
        from PySide6.QtWidgets import QApplication

        deadline = time.monotonic() + timeout_s
        while True:
            app = QApplication.instance()
            if app is not None:
                app.processEvents()
            left = self.left()
            if not left or time.monotonic() >= deadline:
                return left
            time.sleep(0.02)

    def assert_none_left(self, timeout_s: float = LEAK_WAIT_S) -> None:
        """Fail the test (pytest.fail) naming every thread still running after `timeout_s`.

        Leaked QThreads are then asked to quit (and waited for briefly) so that the next
        tests start clean; the failure stands.
        """
        left = self.wait(timeout_s)
        if not left:
            return
        for thread, _ in self.qthreads:
            try:
                if thread.isRunning():
                    thread.quit()
                    thread.wait(2000)
            except RuntimeError:
                pass
        pytest.fail(f"{len(left)} thread(s) still running {timeout_s:.0f} s after the test:\n  "
                    + "\n  ".join(left), pytrace=False)


@pytest.fixture(autouse=True)
def thread_leaks(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadLeakCheck]:
    """Return the leak check of this test; at teardown, fail if a thread it started runs on.

    Autouse and first in this file, and `make_window` requests it: it is set up before, so
    torn down after, every fixture that closes windows or joins threads.
    """
    from PySide6.QtCore import QThread

    check = ThreadLeakCheck(set(threading.enumerate()))
    original = QThread.start

    def start(self: QThread, *args: Any, **kwargs: Any) -> None:
        check.record(self, _caller())
        original(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start)
    yield check
    monkeypatch.setattr(QThread, "start", original)
    check.assert_none_left()



@pytest.fixture(autouse=True)
def fresh_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point QSettings at a temporary .ini file: the user's settings are never touched."""
    path = tmp_path / "settings" / "latentlab.ini"
    monkeypatch.setenv("LATENTLAB_SETTINGS", str(path))
    return path


@pytest.fixture
def make_window(thread_leaks: ThreadLeakCheck, qtbot: Any,
                tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Return a factory of shown main windows (torch warmed up); each is closed at teardown.

    Requesting `thread_leaks` makes it tear down after this fixture: the test fails if any
    thread is still running once every window is closed.
    """
    from app.log import setup_logging
    from app.main import configure_pyqtgraph
    from app.session import Session
    from app.window.main_window import MainWindow

    windows: list[Any] = []

    def factory(wait_ready: bool = True) -> Any:
        configure_pyqtgraph()
        bridge = setup_logging(None)
        session = Session(tmp_path / "runs")
        window = MainWindow(session, bridge)
        windows.append(window)  # closed at teardown even if torch never becomes ready
        window.show()
        session.start()
        if wait_ready:
            qtbot.waitUntil(lambda: session.torch_ready, timeout=120_000)
        return window

    yield factory
    for window in windows:
        window.close()
        window.deleteLater()


def set_tiny_vae(window: Any, epochs: int = 50, batch_size: int = 256) -> None:
    """Set the setup panel to a tiny VAE on the bundled digits."""
    panel = window.setup_panel
    panel.set_family("vae")
    panel.set_dataset("mnist5k")
    panel.model_form.set_values(TINY_VAE)
    panel.train_form.set_values({"epochs": epochs, "batch_size": batch_size})


def shown_panel(qtbot: Any, tmp_path: Path, panel_class: type,
                size: tuple[int, int]) -> tuple[Any, Any]:
    """Return (a shown panel of `panel_class` at `size`, its fresh Session)."""
    from app.main import configure_pyqtgraph
    from app.session import Session

    configure_pyqtgraph()
    session = Session(tmp_path / "runs")
    widget = panel_class(session)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, session


@pytest.fixture
def latent_map_panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown LatentMapPanel on a fresh session (torch not warmed up: no session.start);
    its threads must join at teardown."""
    from app.panels.latent_map import LatentMapPanel

    widget, session = shown_panel(qtbot, tmp_path, LatentMapPanel, (1000, 700))
    yield widget
    assert session.shutdown(5000)
    assert not session.latent.threads_running()
    assert not session.jobs.threads_running()


@pytest.fixture
def interpolation_panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown InterpolationPanel on a fresh session; every thread must join at teardown
    (a map computation still running on a busy machine is let finish first)."""
    from app.panels.interpolation import InterpolationPanel

    widget, session = shown_panel(qtbot, tmp_path, InterpolationPanel, (1200, 700))
    yield widget
    qtbot.waitUntil(lambda: session.latent.busy is None, timeout=60_000)
    assert session.jobs.await_all(2.0) and session.shutdown(5.0)
    assert not session.jobs.threads_running() and not session.threads_running()


@pytest.fixture
def toy_panel(qtbot: Any) -> Iterator[Any]:
    """A shown Toy lab panel with PyTorch ready, on its own job service, shut down after."""
    from app.jobs import JobService
    from app.main import configure_pyqtgraph
    from app.panels.toy_lab import ToyLabPanel

    configure_pyqtgraph()
    jobs = JobService()
    panel = ToyLabPanel(jobs)
    qtbot.addWidget(panel)
    panel.resize(1000, 500)
    panel.show()
    panel.set_torch_ready(True)
    yield panel
    panel.shutdown()
    jobs.await_all(2.0)
