"""The Toy lab's GAN view: which network trains (D and G / D only / G only), spectral norm
from the panel, and slow motion: one step shown as its stages on the lane, Pause and Step
mid-step, and the stage strip."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

from app.panels.toy_lab import slow_motion
from app.panels.toy_lab.control import ToyControl
from app.panels.toy_lab.jobs import toy_training
from app.panels.toy_lab.views import gan as gan_view
from app.panels.toy_lab.views.common import Grids
from models.toy.data import toy_dataset

DATA = toy_dataset("8gaussians", 500, seed=0)
SMALL = dict(hidden=16, d_hidden=16, batch=32)
STAGE_NAMES = [key for key, _label in gan_view.STAGES]


@pytest.fixture(autouse=True)
def quick_stages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Stages held 0.15 s; torch's thread count put back (the job sets it to 1 on the
    thread that runs it, here the test's)."""
    monkeypatch.setattr(slow_motion, "STAGE_S", 0.15)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def lane(control: ToyControl, **settings: object) -> Iterator[Any]:
    """Return the toy job's generator for a tiny GAN (driven here, not on a lane)."""
    work = toy_training(control, DATA, "gan", 0, {**SMALL, **settings})
    return work(None)


def views_until(work: Iterator[Any], done, most: int = 2000) -> list[Any]:
    """Return the snapshots the lane yields (heartbeats left out) up to the first that
    satisfies `done`."""
    seen = []
    for _ in range(most):
        view = next(work)
        if view is not None:
            seen.append(view)
            if done(view):
                return seen
    raise AssertionError(f"not reached; seen {[(v.step, v.stage) for v in seen]}")


def weights(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.state_dict().values()]


def test_the_train_choice_sets_which_network_the_next_step_updates(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from models.toy import families

    built = []
    build = families.build_toy
    monkeypatch.setattr(families, "build_toy", lambda *a, **k: built.append(build(*a, **k))
                        or built[-1])
    control = ToyControl()
    control.options = {"gan_train": "d"}
    work = lane(control)
    first = next(work)
    assert first.step == 0
    (model,) = built
    g0, d0 = weights(model.G), weights(model.D)
    control.step()
    views_until(work, lambda v: v.step == 1)
    assert model.mode == "d"
    assert all(torch.equal(a, b) for a, b in zip(g0, weights(model.G), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(d0, weights(model.D), strict=True))
    control.options = {"gan_train": "g"}
    d1 = weights(model.D)
    control.step()
    views_until(work, lambda v: v.step == 2)
    assert model.mode == "g"
    assert all(torch.equal(a, b) for a, b in zip(d1, weights(model.D), strict=True))
    work.close()


def test_a_slow_motion_step_shows_its_four_stages_in_order_then_counts_one() -> None:
    control = ToyControl()
    control.options = {"slow_motion": True}
    work = lane(control)
    next(work)
    control.step()
    seen = views_until(work, lambda v: v.stage == "")
    assert [v.stage for v in seen[:-1]] == STAGE_NAMES
    assert all(v.step == 0 for v in seen[:-1])  # the step counts once it is whole
    assert seen[-1].step == 1
    sample, update_d, g_grads, update_g = (v.main for v in seen[:-1])
    assert sample.marks.shape == (32, 2) and sample.samples.shape == (32, 2)
    assert update_d.heat.shape == sample.heat.shape
    assert not np.allclose(update_d.heat, sample.heat)  # D's surface moved
    assert "D moved by" in seen[1].note
    assert g_grads.arrows.shape == (32, 4)
    assert not np.allclose(update_g.samples, g_grads.samples)  # the fakes moved
    assert set(seen[-1].losses) == {"d", "g"}
    work.close()


def test_each_stage_is_held_on_screen() -> None:
    control = ToyControl()
    control.options = {"slow_motion": True}
    work = lane(control)
    next(work)
    control.step()
    import time

    t0 = time.perf_counter()
    views_until(work, lambda v: v.stage == "")
    assert time.perf_counter() - t0 >= 4 * slow_motion.STAGE_S


def test_pausing_mid_step_holds_the_stage_until_step_finishes_that_step() -> None:
    control = ToyControl()
    control.options = {"slow_motion": True}
    work = lane(control)
    next(work)
    control.play()
    views_until(work, lambda v: v.stage == "update_d")
    control.pause()
    held = [next(work) for _ in range(3 * int(slow_motion.STAGE_S / slow_motion.POLL_S))]
    assert all(v is None for v in held)  # nothing moves while paused
    control.step()
    seen = views_until(work, lambda v: v.stage == "")
    assert [v.stage for v in seen[:-1]] == ["g_grads", "update_g"]
    assert seen[-1].step == 1
    assert all(next(work) is None for _ in range(5))  # and then it rests
    work.close()


def test_unticking_slow_motion_mid_step_finishes_the_step_at_once() -> None:
    control = ToyControl()
    control.options = {"slow_motion": True}
    work = lane(control)
    next(work)
    control.step()
    views_until(work, lambda v: v.stage == "sample")
    control.options = {"slow_motion": False}
    seen = views_until(work, lambda v: v.stage == "")
    assert seen == seen[-1:] and seen[-1].step == 1


def test_stop_during_a_held_stage_ends_the_job() -> None:
    control = ToyControl()
    control.options = {"slow_motion": True}
    work = lane(control)
    next(work)
    control.step()
    views_until(work, lambda v: v.stage == "g_grads")
    control.stop()
    with pytest.raises(StopIteration):
        for _ in range(100):
            next(work)


def test_only_the_stages_of_the_chosen_network_are_shown() -> None:
    control = ToyControl()
    control.options = {"slow_motion": True, "gan_train": "g"}
    work = lane(control)
    next(work)
    control.step()
    seen = views_until(work, lambda v: v.stage == "")
    assert [v.stage for v in seen[:-1]] == ["g_grads", "update_g"]
    assert gan_view.skipped_stages(control.options) == {"sample", "update_d"}
    work.close()


def test_every_stage_view_is_drawable_for_every_loss() -> None:
    from models.toy.gan import ToyGAN, ToyGANConfig

    grids = Grids.for_extent(DATA.extent)
    for loss in ("ns", "lsgan", "wgan", "wgan-gp"):
        model = ToyGAN(ToyGANConfig(loss=loss, **SMALL), DATA)
        for stage in gan_view.staged_step(model, grids):
            parts = gan_view.build(model, {}, grids)
            plane = parts.main
            assert plane.title.startswith(str(STAGE_NAMES.index(stage.name) + 1))
            assert np.isfinite(plane.heat).all() and np.isfinite(plane.samples).all()
            if plane.arrows is not None:
                assert plane.arrows.shape[1] == 4 and np.isfinite(plane.arrows).all()


# --- through the panel ------------------------------------------------------------------
@pytest.fixture
def panel(toy_panel: Any) -> Any:
    """The Toy lab panel (tests/app/conftest.py)."""
    return toy_panel


def test_the_stage_strip_follows_a_slow_motion_step(qtbot: Any, panel: Any) -> None:
    c = panel.controls
    c.family.setCurrentText("gan")
    assert panel.stage_strip.isHidden()
    c.option("slow_motion").setChecked(True)
    assert panel.stage_strip.isVisible() and panel.stage_strip.current == ""
    c.option("gan_train").setCurrentIndex(c.option("gan_train").findData("d"))
    strip = panel.stage_strip.labels
    assert strip["sample"].isEnabled() and not strip["update_g"].isEnabled()
    c.option("gan_train").setCurrentIndex(c.option("gan_train").findData("both"))
    received: list[str] = []  # every snapshot's stage, as the lane sent them
    deliver = panel._on_view
    panel._on_view = lambda view: (received.append(view.stage), deliver(view))
    panel.step()
    shown = []  # the strip's highlight at each poll (a loaded machine may skip one)

    def at_last_stage() -> bool:
        shown.append(panel.stage_strip.current)
        return panel.stage_strip.current == "update_g"

    qtbot.waitUntil(at_last_stage, timeout=30_000)
    assert panel.latest.step == 0
    assert [s for s in dict.fromkeys(received) if s] == STAGE_NAMES
    highlighted = [s for s in dict.fromkeys(shown) if s]
    assert highlighted == sorted(highlighted, key=STAGE_NAMES.index)
    assert strip["update_g"].autoFillBackground()
    qtbot.waitUntil(lambda: panel.latest.step == 1 and panel.stage_strip.current == "",
                    timeout=30_000)
    c.option("slow_motion").setChecked(False)
    assert panel.stage_strip.isHidden()


def test_spectral_norm_is_a_setting_that_restarts_the_run(qtbot: Any, panel: Any) -> None:
    c = panel.controls
    c.family.setCurrentText("gan")
    assert not c.spectral.isHidden() and "spectral_norm" not in c.settings()
    c.spectral.setChecked(True)
    assert c.settings()["spectral_norm"] is True
    panel.step()
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step == 1,
                    timeout=30_000)
    c.family.setCurrentText("vae")
    assert c.spectral.isHidden()


@pytest.mark.parametrize("loss", ["lsgan", "wgan", "wgan-gp"])
def test_d_surface_is_centred_on_the_loss_boundary(loss) -> None:
    """The canvas centres the diverging heat on 0.5 (values in [0, 1]) or 0: least
    squares' D is kept in [0, 1]; a critic is shifted so data score green, fakes purple."""
    from models.toy.gan import ToyGAN, ToyGANConfig

    grids = Grids.for_extent(DATA.extent)
    model = ToyGAN(ToyGANConfig(loss=loss, **SMALL), DATA)
    model.mode = "d"
    for _ in range(30):
        model.train_step()
    heat, _label = gan_view.surface(model, grids)
    if loss == "lsgan":
        assert heat.min() >= 0.0 and heat.max() <= 1.0
    else:
        assert heat.min() < 0.0 < heat.max()
        cell = DATA.extent * 2 / heat.shape[0]
        at = ((DATA.centres + DATA.extent) / cell).astype(int)  # cells of the modes
        assert heat[at[:, 1], at[:, 0]].mean() > 0  # the data's modes score "real"


@pytest.mark.parametrize("loss", ["ns", "lsgan", "wgan"])
def test_a_probability_surface_is_coloured_on_its_fixed_scale(qtbot: Any, loss: str) -> None:
    """A D unsure everywhere (0.4–0.55) shows as the pale tints it is, not stretched to
    the full purple and green; a critic, which has no scale, is coloured over its range."""
    from app.panels.toy_lab.canvas import ToyCanvas
    from models.toy.gan import ToyGAN, ToyGANConfig

    model = ToyGAN(ToyGANConfig(loss=loss, **SMALL), DATA)
    levels = gan_view.heat_levels(model)
    assert levels == ((0.0, 1.0) if loss != "wgan" else None)
    canvas = ToyCanvas()
    qtbot.addWidget(canvas)
    unsure = np.linspace(0.4, 0.55, 64 * 64, dtype=np.float32).reshape(64, 64)
    canvas.show_heat(unsure, True, levels)
    # The heat is drawn as RGBA: measure how far its colours reach from the scale's middle
    # towards the ends (1 = a full end colour).
    from app.panels.toy_lab.canvas import DIVERGING_LUT

    rgb = canvas.heat.image[..., :3].astype(float)
    mid, end = DIVERGING_LUT[128, :3].astype(float), DIVERGING_LUT[0, :3].astype(float)
    reach = np.abs(rgb - mid).sum(-1).max() / np.abs(end - mid).sum()
    if levels is None:
        assert reach > 0.9  # its own range, centred: the ends are used
    else:
        assert reach < 0.35  # pale tints on the 0–1 scale
    view = gan_view.build(model, {"transport": False}, Grids.for_extent(DATA.extent))
    assert view.main.heat_levels == levels
