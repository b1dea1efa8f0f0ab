"""`latentlab self-test`: build the window offscreen, train a short epoch through the
worker path, sample, close; exit 0 when every step worked, else 1 with the reason."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class SelfTestFailure(Exception):
    """A step of the self-test did not happen."""


def _wait(app: object, condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the event loop until `condition()` holds; SelfTestFailure after `timeout` s."""
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SelfTestFailure(f"timed out after {timeout:.0f} s waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)  # type: ignore[attr-defined]
        time.sleep(0.005)


def run_self_test() -> int:
    """Run the offscreen smoke test; print each step; return 0 on success, 1 on failure."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory(prefix="latentlab-self-test-") as tmp:
        # Never touch the user's settings or runs folder.
        os.environ["LATENTLAB_SETTINGS"] = str(Path(tmp) / "settings.ini")
        try:
            _run(Path(tmp))
        except SelfTestFailure as exc:
            print(f"self-test: FAILED: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:  # anything else is a failure with its reason, not a crash
            print(f"self-test: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
    print("self-test: OK")
    return 0


def _step(text: str) -> None:
    print(f"self-test: {text}", flush=True)


def _quiet_offscreen_notice(mode: object, context: object, message: str) -> None:
    """Print Qt messages except the offscreen plugin's harmless propagateSizeHints one."""
    if "propagateSizeHints" not in message:
        print(f"qt: {message}", file=sys.stderr)


def _run(tmp: Path) -> None:
    from PySide6.QtCore import qInstallMessageHandler

    from app.main import build_window, create_application

    qInstallMessageHandler(_quiet_offscreen_notice)

    t0 = time.monotonic()
    app = create_application()
    window, session = build_window(tmp / "runs")
    try:
        _exercise(app, window, session, t0)
    finally:
        # Whatever failed, no thread may outlive the window (Qt aborts the process).
        window.close()


def _exercise(app: Any, window: Any, session: Any, t0: float) -> None:
    from app.session import JobState

    window.show()
    _wait(app, lambda: window._painted, 10, "the first paint")
    _step(f"window painted after {time.monotonic() - t0:.2f} s")
    session.start()
    _wait(app, lambda: session.torch_ready or session.last_error is not None, 120,
          "torch to load")
    if not session.torch_ready:
        raise SelfTestFailure(f"torch did not load: {session.last_error}")
    _step(f"torch ready after {time.monotonic() - t0:.1f} s")

    panel = window.setup_panel
    panel.set_family("vae")
    panel.set_dataset("mnist5k")
    assert panel.model_form is not None
    panel.model_form.set_values({"latent_dim": 2, "hidden_dims": (64,)})
    panel.train_form.set_values({"epochs": 1, "batch_size": 256})
    if not window.act_train.isEnabled():
        raise SelfTestFailure(f"Train is disabled (form errors: {panel.model_form.errors()})")
    window.act_train.trigger()
    _wait(app, lambda: session.state is not JobState.PREPARING or
          session.last_error is not None, 60, "training to start")
    _wait(app, lambda: (not session.state.busy) or session.last_error is not None, 120,
          "one epoch to finish")
    if session.last_error:
        raise SelfTestFailure(f"training failed: {session.last_error}")
    history = session.history
    if len(history.steps) == 0 or not history.epochs:
        raise SelfTestFailure("training ended without steps or an epoch")
    if history.epochs[-1].preview is None:
        raise SelfTestFailure("the epoch had no sample grid")
    if session.checkpoint is None or not (session.checkpoint / "config.json").is_file():
        raise SelfTestFailure("no checkpoint was saved")
    _step(f"trained 1 epoch ({len(history.steps)} steps, "
          f"loss {history.metrics['loss'].view()[-1]:.1f}) in a worker thread")

    got: list[object] = []
    session.samplesReady.connect(got.append)
    _wait(app, lambda: session.model is not None, 30, "the inference copy")
    window.act_sample.trigger()
    _wait(app, lambda: bool(got), 30, "samples")
    _step(f"sampled a {got[0].shape[1]}×{got[0].shape[0]} grid")  # type: ignore[attr-defined]

    _open_demos(app, window, session, got)

    t_close = time.monotonic()
    window.close()
    left = session.threads_running()
    if left:
        raise SelfTestFailure(f"threads still running after close: {', '.join(left)}")
    _step(f"closed and joined every thread in {time.monotonic() - t_close:.2f} s")


def _open_demos(app: Any, window: Any, session: Any, got: list[object]) -> None:
    """Open every bundled demo as File › Open demo does, and sample from each."""
    from models.demos import list_demos

    demos = list_demos()
    if not demos:
        raise SelfTestFailure("no bundled demo models were found")
    for demo in demos:
        got.clear()
        before = session.model
        window.open_path(demo.path)
        _wait(app, lambda b=before: session.model is not b
              or session.last_error is not None, 60, f"the {demo.name} demo to load")
        if session.last_error:
            raise SelfTestFailure(f"demo {demo.name}: {session.last_error}")
        # A demo opens showing its recorded history (no fresh samples): ask for some, as
        # the toolbar's "Sample new images" does.
        _wait(app, lambda: window.act_sample.isEnabled(), 30,
              f"sampling to be enabled for the {demo.name} demo")
        got.clear()
        window.act_sample.trigger()
        _wait(app, lambda: bool(got), 120, f"samples from the {demo.name} demo")
        _step(f"opened demo {demo.name} ({demo.family}) from {demo.path.parent} and sampled")
