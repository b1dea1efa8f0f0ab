"""Opening the four demos in turn, then training, leaves every panel showing only that model."""

from __future__ import annotations

from typing import Any

from app.panels.base import Panel
from app.session import JobState
from models.demos import list_demos
from models.latent.first_stage import can_map
from models.opened import SOURCE_TRAINING, OpenedModel
from tests.app.conftest import set_tiny_vae

WAIT_MS = 120_000


def _show_every_panel(qtbot: Any, window: Any) -> None:
    """Raise each explorer dock in turn so every panel gets to show the model."""
    for dock in (window.latent_dock, window.interpolation_dock, window.diffusion_dock,
                 window.anomaly_dock, window.training_dock):
        dock.show()
        dock.raise_()
        qtbot.wait(50)


def _assert_shows_only(qtbot: Any, window: Any, model: OpenedModel) -> None:
    caps = model.capabilities
    panels = window.findChildren(Panel)
    assert len(panels) == 8
    for panel in panels:
        assert panel.model in (None, model) and panel.pending in (None, model), panel
    # Compare runs offers this model's checkpoint, once it has one on disk.
    compare = window.compare_panel
    assert compare.run_list.add_shown.isEnabled() == (compare.model is model
                                                      and model.path is not None)
    # The latent map: this model's latents (a latent diffusion model's first stage's), or
    # nothing for a pixel diffusion model.
    latent = window.latent_dock.widget()
    if not can_map(caps):
        assert latent.data is None and latent.projection is None
        assert "no latent map" in latent.empty_text.toPlainText()
    else:
        window.latent_dock.raise_()
        qtbot.waitUntil(lambda: latent.data is not None and latent.projection is not None
                        and latent.data.model is model, timeout=WAIT_MS)
        assert latent.data.family == model.family
        assert latent.data.latent_dim == caps.latent_dim
        bottom = latent.plot_item.getAxis("bottom").labelText
        assert bottom == ("z₁" if caps.latent_dim == 2 else bottom)
        # A generator's samples are drawn by the LDA of their classified digits.
        assert caps.latent_dim == 2 or bottom.startswith("LD 1" if not caps.can_encode
                                                          else "PC 1")
        assert not len(latent.groups["A"]) and not len(latent.groups["B"])
    # Interpolation: one slider row per latent dimension of this model (none for pixel
    # diffusion).
    interp = window.interpolation_panel
    window.interpolation_dock.raise_()
    if not can_map(caps):
        qtbot.waitUntil(lambda: interp.model is model, timeout=WAIT_MS)
        assert not interp.dims.sliders and interp.data is None
    else:
        qtbot.waitUntil(lambda: interp.data is not None and interp.data.model is model,
                        timeout=WAIT_MS)
        assert len(interp.dims.center) == caps.latent_dim
        assert 0 < len(interp.dims.sliders) <= caps.latent_dim
    # The diffusion viewer: this model's schedule, or cleared.
    viewer = window.diffusion_dock.widget()
    if caps.is_diffusion:
        window.diffusion_dock.raise_()
        qtbot.waitUntil(lambda: viewer.info is not None, timeout=WAIT_MS)
        assert viewer.info.family == model.family
    else:
        assert viewer.info is None and viewer.model is None
    # The anomaly dock: this model's sets, no earlier model's result.
    anomaly = window.anomaly_dock.widget()
    assert anomaly.result is None and anomaly.model in (None, model)
    # The window around the panels: no progress or rate of an earlier run.
    assert window.status.model.full_text() == f"Model: {model.family}"
    if model.source != SOURCE_TRAINING:
        # A demo's recorded history is whole (its epochs), never an earlier run's.
        done = 1000 if window.session.recorded_history else 0
        assert window.status.progress.value() == done and window.status.rate.text() == ""
    assert window.setup_panel.current_family() == model.family or \
        model.source == SOURCE_TRAINING
    assert not window.message_toolbar.isVisible() or window.message_bar.level != "error"


def test_each_demo_then_a_training_run_leaves_every_panel_on_that_model(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    session = window.session
    for demo in list_demos():
        window.open_path(demo.path)
        qtbot.waitUntil(lambda d=demo: session.model is not None
                        and session.model.path == d.path, timeout=WAIT_MS)
        _show_every_panel(qtbot, window)
        _assert_shows_only(qtbot, window, session.model)

    set_tiny_vae(window, epochs=2)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.TRAINING, timeout=WAIT_MS)
    assert session.model is None  # the demo's model is gone as soon as the run starts
    for panel in window.findChildren(Panel):
        assert panel.model is None and panel.pending is None, panel
    qtbot.waitUntil(lambda: session.state is JobState.IDLE, timeout=WAIT_MS)
    model = session.model
    assert model is not None and model.source == SOURCE_TRAINING and model.epoch == 2
    _show_every_panel(qtbot, window)
    _assert_shows_only(qtbot, window, model)
