"""The diffusion and score views: DDIM beside DDPM from the same noise, the forward
process from the data to N(0, I), the exact noised density beside it, and the Process
option switching between them (live, through the panel)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.panels.toy_lab.views import diffusion, refresh, score
from app.panels.toy_lab.views.common import Grids
from app.panels.toy_lab.views.noising import travellers
from app.panels.toy_lab.views.refresh import STILL

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def models() -> dict[str, Any]:
    from models.toy.base import last_of
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    data = toy_dataset("8gaussians", 500, seed=0)
    out = {}
    for family in ("diffusion", "score"):
        model = build_toy(family, data, seed=0, hidden=16, batch=32)
        last_of(model.run(3))
        out[family] = model
    return out


def view(models: dict[str, Any], family: str, **options: Any):
    model = models[family]
    module = {"diffusion": diffusion, "score": score}[family]
    return module.build(model, options, Grids.for_extent(model.data.extent))


def test_ddim_beside_ddpm_starts_from_the_same_noise(models: dict[str, Any]) -> None:
    parts = view(models, "diffusion", ddim_steps=10.0, ddim_eta=0.0)
    noise = models["diffusion"].start_noise(300, seed=0)
    np.testing.assert_array_equal(parts.main.frames[0], noise)
    np.testing.assert_array_equal(parts.side.frames[0], noise)
    assert len(parts.side.frames) == 11  # the start and 10 DDIM steps, all shown
    assert "DDPM, 100 steps" in parts.main.title
    assert "DDIM, 10 deterministic steps (η = 0)" in parts.side.title
    assert parts.side.real is not None  # the second plot draws its own data
    np.testing.assert_array_equal(parts.side.samples, parts.side.frames[-1])
    assert "DDPM" in parts.note and "DDIM" in parts.note and "/8" in parts.note


def test_every_animated_frame_is_labelled_with_its_t(models: dict[str, Any]) -> None:
    reverse = view(models, "diffusion", ddim_steps=5.0)
    for plane in (reverse.main, reverse.side):
        assert len(plane.frame_labels) == len(plane.frames)
        assert plane.frame_labels[0] == "t = 99" and plane.frame_labels[-1] == "x₀"
    assert reverse.side.frame_labels == ("t = 99", "t = 74", "t = 50", "t = 25", "t = 0",
                                         "x₀")
    forward = view(models, "diffusion", process="forward").main
    assert forward.frame_labels[0] == "x₀" and forward.frame_labels[-1] == "t = 99"
    assert len(forward.frame_labels) == len(forward.frames) == 60
    langevin = view(models, "score").main
    assert langevin.frame_labels[0].startswith("σ = 2.5")
    assert langevin.frame_labels[-1] == "denoised"


def test_ddim_eta_makes_it_stochastic_and_changes_where_it_lands(
        models: dict[str, Any]) -> None:
    calm = view(models, "diffusion", ddim_steps=20.0, ddim_eta=0.0)
    noisy = view(models, "diffusion", ddim_steps=20.0, ddim_eta=1.0)
    assert "η = 1" in noisy.side.title and "stochastic" in noisy.side.title
    np.testing.assert_array_equal(noisy.side.frames[0], calm.side.frames[0])
    assert not np.allclose(noisy.side.samples, calm.side.samples)


def test_forward_frames_go_from_the_data_to_a_standard_normal(
        models: dict[str, Any]) -> None:
    model = models["diffusion"]
    parts = view(models, "diffusion", process="forward", field_t=0.5)
    frames = parts.main.frames
    np.testing.assert_allclose(frames[0], travellers(model.data))  # t = 0: the data
    assert frames[0].var(0).mean() > 1.8  # the ring of radius 2
    assert abs(frames[-1].var(0).mean() - 1) < 0.2 and np.abs(frames[-1].mean(0)).max() < 0.2
    steps = np.linalg.norm(np.diff(frames, axis=0), axis=2)
    assert steps.max() < 1.0  # each particle keeps its ε: it moves, it does not jump
    assert "forward" in parts.main.title and "t = 0 → 99" in parts.main.title


def test_forward_side_shows_q_xt_at_the_field_slider(models: dict[str, Any]) -> None:
    model = models["diffusion"]
    near = view(models, "diffusion", process="forward", field_t=0.0)
    far = view(models, "diffusion", process="forward", field_t=1.0)
    assert "t = 0" in near.side.title and "t = 99" in far.side.title
    assert near.side.heat.shape == far.side.heat.shape == (64, 64)
    # x_0 is the data: its q is sharp rings of mass; x_99 a broad normal
    assert near.side.heat.max() > 5 * far.side.heat.max()
    path = model.forward_path(travellers(model.data), seed=0)
    np.testing.assert_allclose(far.side.samples, path[-1])
    assert near.side.arrows is not None and near.main.arrows is not None


def test_the_process_option_switches_the_process(models: dict[str, Any]) -> None:
    for family in ("diffusion", "score"):
        reverse = view(models, family, process="reverse")
        forward = view(models, family, process="forward")
        data = travellers(models[family].data)
        np.testing.assert_allclose(forward.main.frames[0], data)
        assert not np.allclose(reverse.main.frames[0], data)
        assert "forward" in forward.main.title and "forward" not in reverse.main.title


def test_score_forward_perturbs_the_data_at_growing_sigma(models: dict[str, Any]) -> None:
    model = models["score"]
    parts = view(models, "score", process="forward", field_t=1.0)
    frames, x0 = parts.main.frames, travellers(model.data)
    spread = [float((f - x0).std()) for f in frames]
    assert spread[0] == 0 and bool(np.all(np.diff(spread) >= 0))
    assert abs(spread[-1] / float(model.sigmas.max()) - 1) < 0.15
    sigma = float(model.sigmas.max())
    assert f"σ = {sigma:.3g}" in parts.side.title and parts.side.heat.shape == (64, 64)


def test_score_reverse_side_shows_the_particles_leaving_the_chosen_level(
        models: dict[str, Any]) -> None:
    model = models["score"]
    parts = view(models, "score", process="reverse", field_t=1.0)  # σ_max: the first level
    frames = [s.x for s in model.langevin(300, seed=0)]
    np.testing.assert_array_equal(parts.side.samples, frames[model.config.steps_per_level - 1])
    np.testing.assert_array_equal(parts.main.frames[-1], frames[-1])
    assert parts.side.real is not None and parts.side.heat is not None


def test_a_slider_moved_reuses_the_reverse_process_a_still_step_renews_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from models.toy.base import last_of
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    model = build_toy("diffusion", toy_dataset("moons", 300, seed=0), seed=1, hidden=16,
                      batch=32)
    runs = {"ddpm": 0, "ddim": 0}
    for name in runs:
        original = getattr(model, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            runs[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(model, name, counted)
    monkeypatch.setattr(refresh, "EVERY_S", 600.0)  # however slow the machine
    grids = Grids.for_extent(model.data.extent)
    first = diffusion.build(model, {"field_t": 0.2}, grids)
    moved = diffusion.build(model, {"field_t": 0.9}, grids)
    assert runs == {"ddpm": 1, "ddim": 1}
    np.testing.assert_array_equal(first.main.frames, moved.main.frames)
    assert not np.allclose(first.main.arrows, moved.main.arrows)  # the field did move
    diffusion.build(model, {"field_t": 0.9, "ddim_steps": 5.0}, grids)
    assert runs == {"ddpm": 1, "ddim": 2}  # only DDIM's settings changed
    last_of(model.run(1))
    training = diffusion.build(model, {"field_t": 0.9, "ddim_steps": 5.0}, grids)
    assert runs == {"ddpm": 1, "ddim": 2}  # while training: renewed about once a cycle
    assert training.main.frames is first.main.frames
    stepped = diffusion.build(model, {"field_t": 0.9, "ddim_steps": 5.0, STILL: True},
                              grids)
    assert runs == {"ddpm": 2, "ddim": 3}  # a still build (paused, a step): renewed now
    assert not np.allclose(stepped.main.frames[-1], first.main.frames[-1])
    last_of(model.run(1))
    monkeypatch.setattr(refresh, "EVERY_S", 0.0)
    monkeypatch.setattr(refresh, "SHARE", 1e9)
    diffusion.build(model, {"field_t": 0.9, "ddim_steps": 5.0}, grids)
    assert runs == {"ddpm": 3, "ddim": 4}  # trained, and the refresh time has passed


def test_the_process_choice_in_the_panel_rebuilds_the_view_without_a_restart(
        qtbot: Any, toy_panel: Any) -> None:
    panel = toy_panel
    panel.controls.family.setCurrentText("diffusion")
    panel.step()
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step == 1,
                    timeout=60_000)
    assert panel.latest.side is not None and "DDIM" in panel.latest.side.title
    combo = panel.controls.option("process")
    assert combo.isVisibleTo(panel.controls)
    combo.setCurrentIndex(combo.findData("forward"))
    qtbot.waitUntil(lambda: "forward" in panel.latest.main.title, timeout=30_000)
    assert panel.latest.step == 1  # the same run: only the view changed
    qtbot.waitUntil(lambda: panel.side.isVisible()
                    and "q(x_t)" in panel.side_caption.full_text(), timeout=5_000)
    # the animated plot's caption starts with the t of the frame drawn
    qtbot.waitUntil(lambda: panel.caption.full_text().startswith("t = 1"),
                    timeout=5_000)
    assert panel.caption.full_text().endswith(panel.latest.main.title)


def test_annealed_langevin_is_reused_while_training_and_renewed_when_still(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from models.toy.base import last_of
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    model = build_toy("score", toy_dataset("moons", 300, seed=0), seed=1, hidden=16,
                      batch=32)
    monkeypatch.setattr(refresh, "EVERY_S", 600.0)  # however slow the machine
    grids = Grids.for_extent(model.data.extent)
    first = score.build(model, {}, grids)
    last_of(model.run(2))
    training = score.build(model, {"field_t": 0.3}, grids)
    assert training.main.frames is first.main.frames  # the last run still animates
    assert not np.allclose(training.main.arrows, first.main.arrows)  # the field is live
    still = score.build(model, {"field_t": 0.3, STILL: True}, grids)
    assert not np.allclose(still.main.frames[-1], first.main.frames[-1])
