"""Fixtures for the GUI tests: isolated settings, a window factory that fails on leaks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TINY_VAE = {"latent_dim": 2, "hidden_dims": (32,)}


@pytest.fixture(autouse=True)
def fresh_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point QSettings at a temporary .ini file: the user's settings are never touched."""
    path = tmp_path / "settings" / "latentlab.ini"
    monkeypatch.setenv("LATENTLAB_SETTINGS", str(path))
    return path


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Return a factory of shown main windows (torch warmed up); each is closed at teardown,
    and the test fails if any of its threads is still running afterwards."""
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
        window.show()
        session.start()
        if wait_ready:
            qtbot.waitUntil(lambda: session.torch_ready, timeout=120_000)
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.close()
        left = window.session.threads_running()
        window.deleteLater()
        assert not left, f"threads still running after close: {left}"


def set_tiny_vae(window: Any, epochs: int = 50, batch_size: int = 256) -> None:
    """Set the setup panel to a tiny VAE on the bundled digits."""
    panel = window.setup_panel
    panel.set_family("vae")
    panel.set_dataset("mnist5k")
    panel.model_form.set_values(TINY_VAE)
    panel.train_form.set_values({"epochs": epochs, "batch_size": batch_size})
