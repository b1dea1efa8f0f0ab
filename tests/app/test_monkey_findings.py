"""Deterministic reproductions of bugs the monkey test (test_monkey.py) found.

Each unfixed bug is a strict xfail: when a change fixes it the test passes, pytest reports
XPASS as a failure, and the mark (and its KNOWN_BUGS entry in test_monkey.py) goes.
"""

from __future__ import annotations

import pytest

from app.state import JobState
from models.demos import list_demos
from tests.app.conftest import set_tiny_vae


def _demo(name: str) -> object:
    return next(d.path for d in list_demos() if d.name == name)


@pytest.mark.xfail(strict=True, reason="BUG: an open still loading when training starts "
                   "lands mid-run (app/state.py on_checkpoint_opened / on_model_ready)")
def test_a_checkpoint_still_loading_when_training_starts_does_not_replace_the_run(
        make_window, qtbot) -> None:
    window = make_window()
    session = window.session
    window.latent_dock.show()
    window.latent_dock.raise_()
    failures: list[str] = []
    opened: list[object] = []
    session.latent.failed.connect(failures.append)
    session.checkpointOpened.connect(opened.append)
    window.open_path(_demo("cddpm-tiny"))  # diffusers loads for seconds
    set_tiny_vae(window, epochs=1)
    window.act_train.trigger()  # enabled: nothing marks the open as in flight
    qtbot.waitUntil(lambda: session.state is JobState.IDLE, timeout=60_000)
    try:  # the demo's load finishes (a fix may drop it: then nothing arrives)
        qtbot.waitUntil(lambda: bool(opened), timeout=15_000)
    except qtbot.TimeoutError:
        pass
    qtbot.wait(3000)  # the latent map encodes what it was told to
    # The model shown is the VAE just trained, and everything says so.
    assert window.setup_panel.current_family() == "vae"
    assert session.checkpoint is not None and "cddpm" not in str(session.checkpoint)
    assert failures == []
