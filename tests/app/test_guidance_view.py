"""The Diffusion panel's Guidance view: unconditional, conditional and guided ε̂ and x̂0 of
run A at the slider's step, and the guidance slider re-running live. Tiny UNets built in
the test; nothing downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.checkpoint import load_checkpoint
from models.diffusion.model import ConditionalDDPM
from tests.app.test_diffusion_viewer import _checkpoint, _load, _run, shown_panel

BRANCH_ARRAYS = {("uncond", "eps"): "eps_uncond", ("uncond", "x0"): "x0_uncond",
                 ("cond", "eps"): "eps_cond", ("cond", "x0"): "x0_cond"}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("guidance-ck")
    return {"ddpm": _checkpoint(root / "ddpm"),
            "cddpm": _checkpoint(root / "cddpm", ConditionalDDPM)}


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown DiffusionPanel, 1000 px wide (a 1280 px window beside its setup dock)."""
    yield from shown_panel(qtbot, tmp_path, 1000, 640)


def _shown(view: Any, branch: str, kind: str) -> np.ndarray:
    return view.panes[(branch, kind)].image


def _tiled(arr: np.ndarray, kind: str, n: int) -> np.ndarray:
    from app.panels.diffusion.display import tile, to_display

    return tile(to_display(arr, kind, 8), None, int(np.ceil(np.sqrt(n))))


def _conditional_run(qtbot: Any, panel: Any, checkpoints: dict[str, Path], guidance: float,
                     **form: Any) -> Any:
    _load(qtbot, panel, checkpoints["cddpm"])
    panel.form.class_box.setCurrentIndex(2)  # class "b" for every sample
    panel.form.guidance.setValue(guidance)
    return _run(qtbot, panel, **form)


def test_guidance_view_shows_the_three_branches_of_each_step(qtbot, panel,
                                                             checkpoints) -> None:
    record = _conditional_run(qtbot, panel, checkpoints, 3.0, steps=4, n=4)
    assert panel.guidance_toggle.isVisible() and not panel.guidance_view.isVisible()
    panel.guidance_toggle.setChecked(True)
    view = panel.guidance_view
    assert view.isVisible() and not panel.row_a.isVisible()
    assert not panel.second.isVisible()  # row B's settings: no row B beside the branches
    for k in (1, 3, 0):  # scrubbing paints the cached arrays of that step
        panel.slider.setValue(k)
        assert view.shown == (record.run_id, k) and not panel.run_jobs
        parts = record.parts[k]
        for (branch, kind), name in BRANCH_ARRAYS.items():
            np.testing.assert_array_equal(_shown(view, branch, kind),
                                          _tiled(getattr(parts, name), kind, 4))
        x_t, eps, x0 = record.arrays(k)
        np.testing.assert_array_equal(_shown(view, "guided", "eps"), _tiled(eps, "eps", 4))
        np.testing.assert_array_equal(_shown(view, "guided", "x0"), _tiled(x0, "x0", 4))
        np.testing.assert_array_equal(view.x_t.image, _tiled(x_t, "x_t", 4))
        np.testing.assert_allclose(eps, parts.eps_uncond + 3 * (parts.eps_cond -
                                                                parts.eps_uncond), atol=1e-5)
    titles = {key: pane.title for key, pane in view.panes.items()}
    assert titles[("uncond", "eps")] == "ε̂ unconditional (no class)"
    assert titles[("cond", "x0")] == "x̂0 conditional (class b)"
    assert titles[("guided", "eps")] == "ε̂ guided, w = 3"
    assert f"step 1 / 4, t = {record.timesteps[0]:.0f}" in view.caption.text()
    assert "w = 1 is the conditional column exactly" in view.caption.text()
    assert view.progress.text() == "run with w = 3: 4 / 4 steps"
    panel.sample_spin.setValue(2)  # one sample, large
    assert _shown(view, "cond", "x0").shape == (8, 8, 1)
    panel.slider.setValue(4)  # the final image: beside it, the last step's predictions
    assert view.x_t.title == "final image (t = 0)"
    np.testing.assert_array_equal(view.x_t.image, record.final_display()[1])
    np.testing.assert_array_equal(_shown(view, "cond", "eps"),
                                  record.part_display(3)["eps_cond"][1])
    panel.guidance_toggle.setChecked(False)
    assert panel.row_a.isVisible() and panel.second.isVisible()


@pytest.mark.parametrize(("w", "branch"), [(1.0, "cond"), (0.0, "uncond")])
def test_guidance_one_and_zero_are_the_branches_exactly(qtbot, panel, checkpoints, w,
                                                        branch) -> None:
    _conditional_run(qtbot, panel, checkpoints, 3.0, steps=4, n=2)
    panel.guidance_toggle.setChecked(True)
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        panel.guidance_view.slider.setValue(round(w / 0.5))  # re-runs with this w
    record = panel.primary
    assert record.spec.guidance == w and panel.form.guidance.value() == w
    qtbot.waitUntil(lambda: record.status == "done", timeout=30_000)
    view = panel.guidance_view
    for k in range(4):
        panel.slider.setValue(k)
        parts = record.parts[k]
        assert np.array_equal(record.eps[k], getattr(parts, f"eps_{branch}"))
        assert np.array_equal(record.x0[k], getattr(parts, f"x0_{branch}"))
        for kind in ("eps", "x0"):
            np.testing.assert_array_equal(_shown(view, "guided", kind),
                                          _shown(view, branch, kind))
    # …and the whole run is the model's run with that w, bit for bit.
    model = load_checkpoint(checkpoints["cddpm"]).model.eval()
    events = list(model.trajectory(2, 3, sampler=record.spec.sampler, steps=4,
                                   labels=[1, 1], guidance=w))
    np.testing.assert_array_equal(record.final, events[-1].x0)


def test_guidance_slider_reruns_and_the_last_position_wins(qtbot, panel, checkpoints) -> None:
    first = _conditional_run(qtbot, panel, checkpoints, 3.0, steps=40, n=2)
    panel.guidance_toggle.setChecked(True)
    panel.slider.setValue(5)  # looking at step 6: the re-runs keep it
    for position in (2, 9, 8):  # w = 1, 4.5, 4: dragged fast
        panel.guidance_view.slider.setValue(position)
    last = panel.primary
    assert last.spec.guidance == 4.0 and panel.form.guidance.value() == 4.0
    assert panel.guidance_view.value_label.text() == "w = 4.0"
    qtbot.waitUntil(lambda: last.status == "done" and not panel.run_jobs, timeout=60_000)
    replaced = [r for i, r in panel.cache.runs.items() if first.run_id < i < last.run_id]
    assert [r.spec.guidance for r in replaced] == [1.0, 4.5]
    assert all(r.status == "cancelled" for r in replaced)
    assert panel.slider.value() == 5 and panel.guidance_view.shown == (last.run_id, 5)
    assert "w = 4: 40 / 40 steps" in panel.guidance_view.progress.text()
    model = load_checkpoint(checkpoints["cddpm"]).model.eval()
    events = list(model.trajectory(2, 3, sampler=last.spec.sampler, steps=40,
                                   labels=[1, 1], guidance=4.0))
    np.testing.assert_array_equal(last.final, events[-1].x0)


def test_an_unconditional_model_has_no_guidance_view(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints["cddpm"])
    assert panel.guidance_toggle.isVisible()
    panel.guidance_toggle.setChecked(True)
    _load(qtbot, panel, checkpoints["ddpm"])  # another model: the view goes with the first
    assert not panel.guidance_toggle.isVisibleTo(panel)
    assert not panel.guidance_toggle.isChecked() and panel.row_a.isVisible()
    record = _run(qtbot, panel, steps=3, n=2)
    assert not record.spec.parts and record.parts == [None, None, None]


def test_the_cache_bound_counts_the_branches() -> None:
    from app.panels.diffusion.cache import RunRecord, RunSpec, estimate_bytes

    model = _tiny_cddpm()
    plain = RunSpec(0, "ddim", 3, 0.0, 2, (1, 1), 3.0)
    parted = RunSpec(0, "ddim", 3, 0.0, 2, (1, 1), 3.0, parts=True)
    assert estimate_bytes(parted, 1, 8, 8) == estimate_bytes(plain, 1, 8, 8) * 7 // 3
    record = RunRecord(1, parted, 8)
    for event in model.trajectory(2, 0, steps=3, labels=[1, 1], guidance=3.0,
                                  guidance_parts=True):
        if hasattr(event, "parts"):
            record.add(event)
        else:
            record.set_final(event.x0)
    for k in range(3):  # every step seen in both views
        record.display(k)
        record.part_display(k)
    assert record.nbytes == estimate_bytes(parted, 1, 8, 8) + record.final.nbytes


def _tiny_cddpm() -> ConditionalDDPM:
    from models.diffusion import CDDPMConfig

    torch.manual_seed(0)
    return ConditionalDDPM(CDDPMConfig(image_size=8, preset="custom", block_channels=(4, 8),
                                       norm_groups=4, num_classes=3)).eval()
