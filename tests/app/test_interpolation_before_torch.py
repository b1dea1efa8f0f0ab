"""Before PyTorch has loaded, the Interpolation dock of a checkpoint just opened shows its
layout with the controls disabled, says PyTorch is loading (not that nothing is open) and
shows the anchors' pictures from the precomputed map; once the model arrives the controls
wake up and the note goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demos" / "vae-2d"


def test_a_checkpoint_opened_before_torch_says_pytorch_is_loading(
        qtbot: Any, make_window: Any) -> None:
    from app.panels.interpolation.panel import EMPTY_TEXT, LOADING_TEXT

    window = make_window(wait_ready=False)
    session, panel = window.session, window.interpolation_panel
    window.interpolation_dock.show()
    window.interpolation_dock.raise_()
    assert panel.status.text() == EMPTY_TEXT
    assert not session.torch_ready  # torch takes seconds to load: the window is up first
    window.open_path(DEMO)
    assert panel.status.text() == LOADING_TEXT
    assert not panel.path.isEnabled() and not panel.anchors["A"].isEnabled()
    assert panel.isVisible()
    # The demo's precomputed map (numpy, no torch) gives the anchors their pictures: the
    # 1 and the 7 the path will start from.
    qtbot.waitUntil(lambda: not panel.anchors["A"].thumbnail.pixmap().isNull(),
                    timeout=30_000)
    if not session.torch_ready:
        data = session.latent.data
        assert data is not None and data.model is None
        for name, digit in (("A", 1), ("B", 7)):
            box = panel.anchors[name]
            assert int(data.labels[box.number.value()]) == digit
            assert f"class {digit}" in box.description.text()

    qtbot.waitUntil(lambda: session.torch_ready and panel.model is not None,
                    timeout=120_000)
    qtbot.waitUntil(lambda: panel.anchors["A"].isEnabled(), timeout=60_000)
    assert panel.status.text() != LOADING_TEXT
    assert panel.path.isEnabled()


def test_a_failed_open_takes_the_loading_note_away(qtbot: Any, make_window: Any) -> None:
    from app.panels.interpolation.panel import EMPTY_TEXT, LOADING_TEXT

    window = make_window(wait_ready=False)
    panel = window.interpolation_panel
    window.interpolation_dock.show()
    window.interpolation_dock.raise_()
    window.open_path(DEMO)
    assert panel.status.text() == LOADING_TEXT
    window.session.models.failed.emit("model.safetensors is truncated")
    assert panel.status.text() == EMPTY_TEXT
    assert panel.anchors["A"].thumbnail.pixmap().isNull()
    qtbot.waitUntil(lambda: window.session.torch_ready, timeout=120_000)
