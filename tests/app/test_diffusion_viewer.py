"""The Diffusion panel: streamed runs, scrubbing, branch, compare, cancel, forward process,
the bounded trajectory cache and exports. Tiny UNets built from configs; nothing downloads."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from models.checkpoint import load_checkpoint, save_checkpoint
from models.config import DataConfig
from models.diffusion import CDDPMConfig, DDPMConfig
from models.diffusion.model import DDPM, ConditionalDDPM
from models.diffusion.sampling import DenoiseStep
from models.opened import open_model

TINY = {"image_size": 8, "preset": "custom", "block_channels": (4, 8), "norm_groups": 4,
        "num_classes": 3}


def _checkpoint(folder: Path, cls: type[DDPM] = DDPM) -> Path:
    torch.manual_seed(0)
    config = (CDDPMConfig if cls is ConditionalDDPM else DDPMConfig)(**TINY)  # type: ignore[arg-type]
    model = cls(config)  # type: ignore[arg-type]
    with torch.no_grad():  # a fresh UNet's last conv is zero: perturb so ε̂ is not all 0
        for p in model.unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        model.ema_unet.load_state_dict(model.unet.state_dict())  # type: ignore[union-attr]
    return save_checkpoint(folder, model, data=DataConfig(dataset="mnist5k"),
                           class_names=("a", "b", "c"), progress={"epoch": 1})


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("diffusion-ck")
    return {"ddpm": _checkpoint(root / "ddpm"),
            "cddpm": _checkpoint(root / "cddpm", ConditionalDDPM)}


@pytest.fixture(scope="module")
def reference(checkpoints: dict[str, Path]) -> DDPM:
    """The same weights loaded in the test thread, to recompute what the viewer shows."""
    return load_checkpoint(checkpoints["ddpm"]).model.eval()


def shown_panel(qtbot: Any, tmp_path: Path, width: int, height: int) -> Iterator[Any]:
    """Yield a shown DiffusionPanel of that size on a fresh session; its lanes must end
    once it closes."""
    from app.main import configure_pyqtgraph
    from app.panels.diffusion import DiffusionPanel
    from app.session import Session

    configure_pyqtgraph()
    torch.set_num_threads(1)
    session = Session(tmp_path / "runs")
    widget = DiffusionPanel(session)
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close()
    assert session.jobs.await_all(2.0)
    assert session.shutdown(2.0)
    assert not session.threads_running()


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown DiffusionPanel on a fresh session; its lanes must end at teardown."""
    yield from shown_panel(qtbot, tmp_path, 1200, 800)


def _open(panel: Any, path: Path) -> None:
    """Open the checkpoint at `path` as the window's model (as File › Open does)."""
    panel.session.models.adopt(open_model(path), same_run=False)


def _load(qtbot: Any, panel: Any, path: Path) -> None:
    _open(panel, path)
    qtbot.waitUntil(lambda: panel.info is not None and panel.run_button.isEnabled(),
                    timeout=60_000)


def _set_form(panel: Any, sampler: str = "ddim", steps: int = 6, n: int = 4, seed: int = 3,
              eta: float = 0.0) -> None:
    form = panel.form
    form.sampler.setCurrentIndex(form.sampler.findData(sampler))
    form.steps.setValue(steps)
    form.batch.setValue(n)
    form.seed.setValue(seed)
    form.eta.setValue(eta)


def _run(qtbot: Any, panel: Any, **form: Any) -> Any:
    _set_form(panel, **form)
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        run_id = panel.run()
        assert run_id is not None, panel.status.text()
    return panel.cache.runs[run_id]


def _pane_images(row: Any) -> list[np.ndarray]:
    return [row.panes[k].image for k in ("x_t", "eps", "x0")]


def _expected_images(arrays: tuple[np.ndarray, ...], image_size: int, n: int) -> list[Any]:
    from app.panels.diffusion.display import KINDS, tile, to_display

    nrow = int(np.ceil(np.sqrt(n)))
    return [tile(to_display(a, k, image_size), None, nrow) for a, k in zip(arrays, KINDS,
                                                                           strict=True)]


def test_run_fills_the_viewer_step_by_step(qtbot, panel, checkpoints, reference) -> None:
    _load(qtbot, panel, checkpoints["ddpm"])
    _set_form(panel, steps=6, n=4, seed=3)
    seen: list[tuple[int, int]] = []  # (step index, steps recorded when it arrived)

    def on_step(run_id: int, step: DenoiseStep) -> None:
        seen.append((step.index, panel.cache.runs[run_id].available))

    panel.stepped.connect(on_step)
    with qtbot.waitSignal(panel.ended, timeout=30_000) as ended:
        run_id = panel.run()
    assert ended.args == [run_id, "done"]
    assert seen == [(i, i + 1) for i in range(6)]  # one step at a time, in order
    record = panel.cache.runs[run_id]
    # Following the run, the view ends on the final image: the frame after step 6.
    qtbot.waitUntil(lambda: panel.row_a.shown == (run_id, 6), timeout=5_000)
    assert panel.step_label.text() == "final image"
    assert "final image after 6 steps, t = 0" in panel.row_a.caption.text()
    # The arrays streamed from the worker are the model's own trajectory for that seed.
    events = list(reference.trajectory(4, 3, sampler="ddim", steps=6))
    for k in range(6):
        for got, want in zip(record.arrays(k), (events[k].x_t, events[k].eps, events[k].x0),
                             strict=True):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(record.final, events[-1].x0)
    assert panel.progress.text() == "6 / 6 steps"


def test_scrubbing_shows_the_cached_arrays_of_that_step(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints["ddpm"])
    record = _run(qtbot, panel, steps=6, n=4)
    for k in (0, 4, 2, 5):
        panel.slider.setValue(k)
        assert panel.row_a.shown == (record.run_id, k)
        for got, want in zip(_pane_images(panel.row_a),
                             _expected_images(record.arrays(k), 8, 4), strict=True):
            np.testing.assert_array_equal(got, want)
    panel.slider.setValue(1)
    panel.step_forward()
    assert panel.row_a.shown == (record.run_id, 2)
    panel.slider.setFocus()
    qtbot.keyClick(panel.slider, Qt.Key.Key_Right)  # step keys
    assert panel.row_a.shown == (record.run_id, 3)
    qtbot.keyClick(panel.slider, Qt.Key.Key_Left)
    assert panel.row_a.shown == (record.run_id, 2)
    panel.sample_spin.setValue(2)  # one sample, large
    assert panel.row_a.panes["x0"].image.shape == (8, 8, 1)
    assert panel.filmstrip.steps == list(range(6)) and panel.filmstrip.current == 2


def test_play_advances_through_the_cached_steps(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints["ddpm"])
    record = _run(qtbot, panel, steps=6, n=1)
    panel.slider.setValue(0)
    panel.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not panel.play_button.isChecked(), timeout=5_000)
    assert panel.row_a.shown == (record.run_id, 6)  # play ends on the final image


def test_branch_with_the_same_seed_under_ddim_eta_0_reproduces_the_run(
        qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints["ddpm"])
    a = _run(qtbot, panel, sampler="ddim", steps=6, n=3, seed=5, eta=0.0)
    panel.slider.setValue(2)
    panel.second.seed.setValue(5)
    panel.second.sampler.setCurrentIndex(panel.second.sampler.findData("ddim"))
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        b_id = panel.branch()
    b = panel.cache.runs[b_id]
    assert b.spec.kind == "branch" and b.spec.branch_from == 2 and b.available == 6
    assert b.x_t[0] is a.x_t[0]  # the steps before the branch are shared, not recomputed
    for k in range(2, 6):
        for got, want in zip(b.arrays(k), a.arrays(k), strict=True):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(b.final, a.final)
    assert panel.row_b.isVisible()
    panel.slider.setValue(4)
    assert panel.row_b.shown == (b_id, 4)


def test_branch_with_another_seed_under_ddpm_changes_the_rest(qtbot, panel,
                                                             checkpoints) -> None:
    _load(qtbot, panel, checkpoints["ddpm"])
    a = _run(qtbot, panel, sampler="ddpm", steps=6, n=2, seed=5)
    panel.slider.setValue(3)
    panel.second.seed.setValue(6)
    panel.second.sampler.setCurrentIndex(panel.second.sampler.findData("ddpm"))
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        b = panel.cache.runs[panel.branch()]
    np.testing.assert_array_equal(b.arrays(3)[0], a.arrays(3)[0])  # the same x_t at step 3
    assert not np.array_equal(b.final, a.final)


def test_compare_scrubs_two_samplers_in_sync(qtbot, panel, checkpoints) -> None:
    _load(qtbot, panel, checkpoints["ddpm"])
    a = _run(qtbot, panel, sampler="ddim", steps=6, n=2, seed=4)
    panel.second.sampler.setCurrentIndex(panel.second.sampler.findData("dpm-solver++"))
    panel.second.steps.setValue(3)
    panel.second.seed.setValue(4)  # the seed shown is the seed used: A's, the same noise
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        b_id = panel.compare()
    b = panel.cache.runs[b_id]
    assert (b.spec.seed, b.spec.sampler, b.num_steps) == (4, "dpm-solver++", 3)
    np.testing.assert_array_equal(b.x_t[0], a.x_t[0])  # the same starting noise
    for k, j in ((0, 0), (2, 1), (5, 2)):
        panel.slider.setValue(k)
        assert panel.row_a.shown == (a.run_id, k) and panel.row_b.shown == (b_id, j)
    panel.clear_second()
    assert not panel.row_b.isVisible()


def test_cancel_stops_within_one_step(qtbot, panel, checkpoints, monkeypatch) -> None:
    _load(qtbot, panel, checkpoints["ddpm"])
    _set_form(panel, sampler="ddpm", steps=1000, n=2)
    computed: list[int] = []
    trajectory = DDPM.trajectory

    def counted(self: DDPM, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # Runs on the lane: counts the steps the job computed, delivered or not.
        for event in trajectory(self, *args, **kwargs):
            if isinstance(event, DenoiseStep):
                computed.append(event.index)
            yield event

    monkeypatch.setattr(DDPM, "trajectory", counted)
    run_id = panel.run()
    qtbot.waitUntil(lambda: panel.cache.runs[run_id].available >= 3, timeout=30_000)
    with qtbot.waitSignal(panel.ended, timeout=5_000) as ended:
        at_cancel = len(computed)
        panel.cancel()
    assert ended.args == [run_id, "cancelled"]
    assert len(computed) <= at_cancel + 1
    record = panel.cache.runs[run_id]
    assert record.status == "cancelled" and 3 <= record.available < 1000
    assert "cancelled" in panel.status.text()
    panel.slider.setValue(1)  # what arrived stays scrubbable
    assert panel.row_a.shown == (run_id, 1)


def test_forward_slider_shows_the_input_at_0_and_noise_at_T(qtbot, panel,
                                                           checkpoints) -> None:
    from app.panels.diffusion.display import to_display

    _load(qtbot, panel, checkpoints["ddpm"])
    fwd, info = panel.forward, panel.info
    assert len(info.data_x0) > 0 and info.data_x0.shape[1:] == (1, 8, 8)
    fwd.image_spin.setValue(3)
    fwd.set_t(0)
    x0 = info.data_x0[3]
    np.testing.assert_array_equal(fwd.x_t, x0)
    np.testing.assert_array_equal(fwd.panes["x_t"].image, to_display(x0[None], "x_t", 8)[0])
    T = info.num_train_timesteps
    fwd.set_t(T)
    x_T = fwd.x_t
    assert abs(float(x_T.mean())) < 0.4 and 0.7 < float(x_T.std()) < 1.3
    noise = info.forward_noise.ravel()
    assert np.corrcoef(x_T.ravel(), noise)[0, 1] > 0.99
    assert np.corrcoef(fwd.x_t.ravel(), x0.ravel())[0, 1] < 0.3
    # In between, the image fades smoothly: its weight √ᾱ falls as t grows.
    weights = []
    for t in (1, T // 4, T // 2, 3 * T // 4):
        fwd.set_t(t)
        weights.append(float(np.dot(fwd.x_t.ravel() - np.sqrt(1 - info.alpha_bar[t - 1]) *
                                    noise, x0.ravel()) / np.dot(x0.ravel(), x0.ravel())))
    assert all(a > b for a, b in itertools.pairwise(weights))
    assert fwd.cursors["log_snr"].value() == 3 * T // 4


def test_the_cache_keeps_its_bound_and_drops_old_runs(qtbot, tmp_path, checkpoints) -> None:
    from app.main import configure_pyqtgraph
    from app.panels.diffusion import DiffusionPanel
    from app.session import Session

    configure_pyqtgraph()
    session = Session(tmp_path / "runs")
    # One 6-step run of 4 samples at 8 px holds 19–24 kB (float32 arrays, plus the uint8
    # images of the steps painted): the bound fits two runs, not three.
    small = DiffusionPanel(session, cache_bytes=50_000)
    qtbot.addWidget(small)
    small.show()
    try:
        _load(qtbot, small, checkpoints["ddpm"])
        first = _run(qtbot, small, steps=6, n=4, seed=1).run_id
        second = _run(qtbot, small, steps=6, n=4, seed=2).run_id
        third = _run(qtbot, small, steps=6, n=4, seed=3).run_id
        assert first not in small.cache.runs and {second, third} <= set(small.cache.runs)
        assert small.cache.total_bytes <= 50_000
        _set_form(small, steps=1000, n=64)
        assert small.run() is None and "over the trajectory cache" in small.status.text()
    finally:
        small.close()
        assert session.shutdown(2.0)


def test_exports_and_trajectory_round_trip(qtbot, panel, checkpoints, tmp_path) -> None:
    from PIL import Image

    _load(qtbot, panel, checkpoints["ddpm"])
    record = _run(qtbot, panel, steps=5, n=4)
    gif = Image.open(panel.export_gif(tmp_path / "d.gif"))
    assert gif.n_frames >= 5
    panel.slider.setValue(2)
    png = np.asarray(Image.open(panel.export_png(tmp_path / "s.png")))
    assert png.shape[0] >= 300 and png.shape[1] > 3 * png.shape[0]  # three panes, enlarged
    path = panel.save_trajectory(tmp_path / "t.npz")
    from models.diffusion.trajectory_io import Trajectory

    recorded = Trajectory.load(path).departures
    assert recorded is not None and recorded.rederive_noise  # our checkpoint's choice
    loaded_id = panel.load_trajectory(path)
    loaded = panel.cache.runs[loaded_id]
    assert loaded.spec.kind == "loaded" and loaded.num_steps == 5
    for k in range(5):
        for got, want in zip(loaded.arrays(k), record.arrays(k), strict=True):
            np.testing.assert_array_equal(got, want)
    panel.slider.setValue(3)
    assert panel.row_a.shown == (loaded_id, 3)


def test_conditional_model_offers_class_and_guidance(qtbot, panel, checkpoints) -> None:
    from app.panels.diffusion.controls import CYCLE

    _load(qtbot, panel, checkpoints["cddpm"])
    form = panel.form
    assert form.class_box.isVisible() and form.guidance.isVisible()
    assert form.class_box.itemData(0) == CYCLE and form.class_box.itemText(2) == "b"
    form.class_box.setCurrentIndex(2)
    form.guidance.setValue(2.0)
    record = _run(qtbot, panel, steps=3, n=2, seed=7)
    assert record.spec.labels == (1, 1) and record.spec.guidance == 2.0
    model = load_checkpoint(checkpoints["cddpm"]).model.eval()
    events = list(model.trajectory(2, 7, sampler="ddim", steps=3, labels=[1, 1], guidance=2.0))
    np.testing.assert_array_equal(record.final, events[-1].x0)


def _vae() -> Any:
    """Return a tiny VAE as an opened model (handed over as training does)."""
    from models.opened import opened_from_training
    from models.registry import build_model, config_class

    model = build_model("vae", config_class("vae")(latent_dim=2, hidden_dims=(32,)))
    return opened_from_training(model, epoch=3, data=None, train=None, class_names=(),
                                checkpoint=None, run_dir=None)


def test_placeholder_until_a_diffusion_model_is_open(qtbot, panel, checkpoints) -> None:
    assert "diffusion model" in panel.status.text() and not panel.run_button.isEnabled()
    panel.session.models.adopt(_vae(), same_run=False)
    assert "not a diffusion model" in panel.status.text()
    assert "Open or train a diffusion model" in panel.row_a.panes["x_t"].placeholder
    assert not panel.run_button.isEnabled()
    # The panel follows the session: a diffusion checkpoint opened elsewhere loads here.
    path = checkpoints["ddpm"]
    _open(panel, path)
    qtbot.waitUntil(lambda: panel.run_button.isEnabled(), timeout=60_000)
    assert panel.info.path == path and "ddpm, epoch 1" in panel.status.text()
    _run(qtbot, panel, steps=3, n=1)
    panel.session.models.close()  # File › New: the panel forgets the model and its runs
    assert panel.info is None and panel.primary is None and not panel.run_button.isEnabled()
    assert panel.row_a.shown is None and "Open or train" in panel.status.text()


def test_a_hidden_panel_loads_a_diffusion_model_only_when_shown(qtbot, panel,
                                                                 checkpoints) -> None:
    panel.hide()
    _open(panel, checkpoints["ddpm"])
    qtbot.wait(100)
    # Nothing prepared while hidden: the model waits for the panel.
    assert panel.info is None and not panel.session.jobs.busy("diffusion")
    assert panel.pending is not None and "loads when this panel is shown" in \
        panel.status.text()
    panel.show()
    qtbot.waitUntil(lambda: panel.info is not None, timeout=60_000)
    assert panel.info.path == checkpoints["ddpm"]


def test_the_window_closes_cleanly_in_the_middle_of_a_run(make_window, qtbot,
                                                          checkpoints) -> None:
    import time

    from app.panels.diffusion import DiffusionPanel

    window = make_window()
    panel = window.diffusion_dock.widget()
    assert isinstance(panel, DiffusionPanel)
    window.diffusion_dock.raise_()
    _load(qtbot, panel, checkpoints["ddpm"])
    _set_form(panel, sampler="ddpm", steps=1000, n=2)
    run_id = panel.run()
    qtbot.waitUntil(lambda: panel.cache.runs[run_id].available >= 2, timeout=30_000)
    t0 = time.perf_counter()
    window.close()  # cancels the run between two steps and joins the lanes
    assert time.perf_counter() - t0 < 2.0
    assert not window.session.threads_running()


DEMOS = Path(__file__).resolve().parents[2] / "resources" / "demos"


def test_a_vae_after_the_diffusion_demo_clears_the_viewer_completely(qtbot, panel) -> None:
    from app.panels.diffusion.controls import DEFAULT_STEPS

    _load(qtbot, panel, DEMOS / "cddpm-tiny")
    assert panel.form.class_box.count() > 0 and len(panel.info.data_x0) > 0
    _set_form(panel, steps=3, n=2, seed=9)
    a = _run(qtbot, panel, steps=3, n=2, seed=9)
    panel.second.sampler.setCurrentIndex(panel.second.sampler.findData("ddpm"))
    panel.second.steps.setValue(2)
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        panel.compare()
    panel.slider.setValue(1)
    panel.forward.set_t(500)
    assert panel.row_a.shown is not None and panel.row_b.isVisible() and a.final is not None

    panel.session.models.adopt(open_model(DEMOS / "vae-2d"), same_run=False)
    # Text explains; nothing of the diffusion model is left on screen or in memory.
    assert "not a diffusion model" in panel.status.text()
    assert "step viewer" in panel.status.text()
    assert panel.info is None and panel.model is None and panel.primary is None
    assert not panel.cache.runs and not panel.cache.pinned and not panel.run_jobs
    assert panel.row_a.shown is None and all(p.image is None for p in panel.row_a.panes.values())
    assert "not a diffusion model" in panel.row_a.panes["x0"].placeholder
    assert not panel.row_b.isVisible() and panel.row_b.shown is None
    assert panel.filmstrip.run is None and panel.step_label.text() == ""
    assert not panel.progress.isVisible()
    assert (panel.slider.value(), panel.slider.maximum(), panel.sample_spin.maximum()) == \
        (0, 0, 0)
    assert panel.forward.info is None and panel.forward.x_t is None
    assert all(p.image is None for p in panel.forward.panes.values())
    assert panel.forward.t_slider.value() == 0 and not panel.forward.t_slider.isEnabled()
    assert len(panel.forward.curves["beta"].getData()[0] or ()) == 0
    # Settings are back to a new window's: no classes, no guidance, default steps.
    form = panel.form
    assert form.class_box.count() == 0 and not form.class_box.isVisibleTo(panel)
    assert not form.guidance.isVisibleTo(panel) and form.steps.value() == DEFAULT_STEPS
    assert not panel.second.guidance.isVisibleTo(panel) and panel.second.seed.value() == 1
    assert panel.cache_label.text().endswith("0 runs")
    for widget in (panel.run_button, panel.cancel_button, panel.second.branch_button,
                   panel.second.compare_button):
        assert not widget.isEnabled()
    assert not panel.act_gif.isEnabled() and not panel.act_png.isEnabled()
    assert not panel.act_save.isEnabled()
    qtbot.wait(200)  # nothing late arrives from the diffusion jobs
    assert panel.row_a.shown is None and not panel.cache.runs


def _closes_fast(session: Any) -> None:
    import time

    t0 = time.perf_counter()
    assert session.jobs.await_all(2.0)
    seconds = time.perf_counter() - t0
    print(f"lanes joined in {seconds:.3f} s")  # shown with pytest -s
    assert seconds < 2.0, seconds
    assert not session.jobs.threads_running()


def test_closing_while_the_model_is_prepared_takes_under_2_s(qtbot, panel,
                                                               monkeypatch) -> None:
    from app.panels.diffusion import jobs

    names = jobs.sampler_names()
    # A warm-up far longer than 2 s: closing must stop it between two of its steps.
    monkeypatch.setattr(jobs, "sampler_names", lambda: names * 200)
    _open(panel, DEMOS / "cddpm-tiny")
    qtbot.waitUntil(lambda: panel.info is not None, timeout=60_000)
    assert not panel.samplers_ready and panel.session.jobs.busy("diffusion")
    _closes_fast(panel.session)


def test_closing_while_a_trajectory_runs_takes_under_2_s(qtbot, panel) -> None:
    _load(qtbot, panel, DEMOS / "cddpm-tiny")
    _set_form(panel, sampler="ddpm", steps=1000, n=16)
    run_id = panel.run()
    qtbot.waitUntil(lambda: panel.cache.runs[run_id].available >= 2, timeout=30_000)
    assert panel.session.jobs.busy("diffusion")
    _closes_fast(panel.session)


def test_every_samplers_last_frame_is_the_final_image_at_t_0(qtbot, panel,
                                                              checkpoints) -> None:
    from models.diffusion.samplers import SAMPLERS

    _load(qtbot, panel, checkpoints["ddpm"])
    for sampler in SAMPLERS:
        record = _run(qtbot, panel, sampler=sampler, steps=5, n=4)
        panel.slider.setValue(panel.slider.maximum())
        assert panel.slider.maximum() == 5 and panel.row_a.shown == (record.run_id, 5)
        assert "t = 0," in panel.row_a.caption.text(), sampler
        final = _expected_images((record.final, record.final, record.final), 8, 4)
        x_t, _eps, x0 = _pane_images(panel.row_a)
        np.testing.assert_array_equal(x_t, final[0])  # the output itself, not x at t = 90
        np.testing.assert_array_equal(x0, final[0])
        panel.slider.setValue(4)  # the last step is still there, before the output
        assert panel.row_a.shown == (record.run_id, 4)


def test_branch_here_by_default_diverges_and_says_what_differs(qtbot, panel,
                                                               checkpoints) -> None:
    _load(qtbot, panel, checkpoints["ddpm"])
    a = _run(qtbot, panel, sampler="ddim", steps=6, n=2, seed=5, eta=0.0)
    second = panel.second
    assert (second.seed.value(), second.sampler.currentData()) == (6, "ddpm")
    assert second.difference.text() == "differs from A in seed 6 (A: 5), sampler DDPM (A: DDIM)"
    panel.slider.setValue(2)
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        b = panel.cache.runs[panel.branch()]
    np.testing.assert_array_equal(b.arrays(2)[0], a.arrays(2)[0])
    assert not np.array_equal(b.final, a.final)  # default settings: a visibly new ending
    second.seed.setValue(5)
    second.sampler.setCurrentIndex(second.sampler.findData("ddim"))
    assert second.difference.text().startswith("same settings as A")


def test_a_ddpm_branch_with_unchanged_settings_redraws_the_run_exactly(qtbot, panel,
                                                                      checkpoints) -> None:
    # Step noise comes from (seed, step): replaying steps 3.. with A's seed draws the
    # same noise A drew there.
    _load(qtbot, panel, checkpoints["ddpm"])
    a = _run(qtbot, panel, sampler="ddpm", steps=6, n=2, seed=7)
    panel.second.seed.setValue(7)
    panel.second.sampler.setCurrentIndex(panel.second.sampler.findData("ddpm"))
    panel.slider.setValue(3)
    with qtbot.waitSignal(panel.ended, timeout=30_000):
        b = panel.cache.runs[panel.branch()]
    for k in range(3, 6):
        for got, want in zip(b.arrays(k), a.arrays(k), strict=True):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(b.final, a.final)
