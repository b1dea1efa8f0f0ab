"""A latent diffusion run started from the setup panel: both phases counted, named, drawn
with a boundary, and the samples pane showing what each phase teaches."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from app.session import JobState

# A latent diffusion model small enough to train both phases in seconds on one thread.
TINY_LDM: dict[str, Any] = {"preset": "custom", "block_channels": (8, 16), "norm_groups": 4,
                            "vae_channels": (4, 8, 8), "vae_norm_groups": 4,
                            "latent_channels": 2, "sample_steps": 3, "epochs_ae": 1}
N_IMAGES = 40  # a folder of 40 digits: 36 to train on, 3 steps of 16 per epoch


def digit_folder(root: Path) -> Path:
    """Write N_IMAGES bundled digits into class folders under `root`; return the folder."""
    from PIL import Image

    from models.config import DataConfig
    from models.data import load_dataset

    digits = load_dataset(DataConfig(dataset="mnist5k"))
    images = root / "images"
    for i in range(N_IMAGES):
        folder = images / str(int(digits.labels[i]))
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(digits.images[i, 0]).save(folder / f"{i}.png")
    return images


def set_tiny_ldm(window: Any, images: Path) -> None:
    """Set the setup panel to a tiny ldm: 1 autoencoder epoch, then 1 diffusion epoch."""
    panel = window.setup_panel
    panel.set_family("ldm")
    panel.set_dataset(f"folder:{images}")
    panel.data_form.set_values({"channels": 1, "image_size": 28})
    panel.model_form.set_values(TINY_LDM)
    panel.train_form.set_values({"epochs": 1, "batch_size": 16, "preview_n": 16})


def test_an_ldm_run_from_the_setup_panel_shows_both_phases(make_window, qtbot,
                                                           tmp_path: Path) -> None:
    images = digit_folder(tmp_path)
    window = make_window()
    session, panel = window.session, window.training_panel
    set_tiny_ldm(window, images)
    counters: list[str] = []
    # Connected after the panel: its counters are already updated when this runs.
    session.progressChanged.connect(lambda _p: counters.append(panel.counters.text()))
    window.act_train.trigger()
    qtbot.waitUntil(lambda: len(session.history.epochs) == 2 and not session.state.busy,
                    timeout=120_000)

    # Progress counts both phases' epochs; each phase is named while it trains.
    shape = session.history.shape
    assert shape.phases == (("autoencoder", 1), ("diffusion", 1))
    assert session.progress.total_epochs == 2
    assert session.progress.total_steps == 2 * shape.steps_per_epoch
    assert any("phase 1 of 2: autoencoder" in t and "Epoch 1/2" in t for t in counters)
    assert "phase 2 of 2: diffusion" in panel.counters.text()
    assert "Epoch 2/2" in panel.counters.text()

    # Each phase's metrics reach their own curves; the boundary is marked where phase 2
    # begins, on every plot, and named on the top one.
    spe = shape.steps_per_epoch
    metrics = session.history.metrics
    assert {"autoencoder_loss", "autoencoder_recon", "autoencoder_kl", "loss"} <= set(metrics)
    ae, unet = metrics["autoencoder_loss"].view(), metrics["loss"].view()
    steps = session.history.steps.view()
    assert np.isfinite(ae[steps <= spe]).all() and np.isnan(ae[steps > spe]).all()
    assert np.isfinite(unet[steps > spe]).all() and np.isnan(unet[steps <= spe]).all()
    plots = panel.loss_plots
    plots.refresh(session.history)
    assert {c.key for c in plots.curves} >= {"autoencoder_loss", "autoencoder_kl", "loss"}
    assert all(c.series.raw.points()[0].size for c in plots.curves)
    assert plots.boundaries == [(spe, "phase 2: diffusion")]
    assert len(plots._boundary_lines) == len(plots.plots)
    # Named once, on the first of phase 2's plots (phase 1's plots end at the line).
    named = [line for _p, line in plots._boundary_lines if getattr(line, "label", None)]
    assert len(named) == 1 and named[0].value() == spe
    assert named[0].label.toPlainText() == "phase 2: diffusion"
    titles = [p.titleLabel.text for p in plots.plots]
    assert any("Autoencoder KL (nats / image)" in t for t in titles)
    assert any("Denoising loss on latents (MSE / latent value)" in t for t in titles)
    # Validation points are named like their phase's steps.
    first, second = session.history.epoch(1), session.history.epoch(2)
    assert "autoencoder_recon" in first.val_metrics and "loss" not in first.val_metrics
    assert set(second.val_metrics) == {"loss"}
    assert all(math.isfinite(v) for v in first.val_metrics.values())

    # Phase 1's epoch shows reconstructions where samples go; phase 2's shows samples.
    panel.timeline.select(1)
    assert panel.samples.array is first.reconstructions
    assert "reconstructions" in panel.samples._caption[0]
    assert not panel.recon.isVisible()
    panel.timeline.select(2)
    assert panel.samples.array is second.preview
    assert panel.recon.isVisible()
    assert session.state is JobState.IDLE
    window.grab().save(str(tmp_path / "ldm-training.png"))


def test_a_recorded_run_in_phases_names_each_phase_metrics_and_its_boundary() -> None:
    from app.history import RunHistory
    from app.panels.training.plot_plan import phase_boundaries
    from models.training.run_reader import shape_of

    info = {"family": "ldm", "train": {"batch_size": 10, "epochs": 2},
            "dataset": {"name": "mnist5k", "n_train": 30},
            "phases": [{"name": "autoencoder", "epochs": 1}, {"name": "diffusion", "epochs": 2}]}
    shape = shape_of(Path("run"), info)
    assert shape.phases == (("autoencoder", 1), ("diffusion", 2))
    assert shape.total_epochs == 3 and shape.steps_per_epoch == 3
    assert shape.boundaries() == [(3, 1)]
    history = RunHistory(shape)
    for step in range(1, 4):
        history.add_step(step, {"loss": 100.0, "kl": 5.0})
    assert phase_boundaries(history) == []  # phase 2 not reached yet: no line
    history.add_step(4, {"loss": 0.5})
    assert list(history.metrics) == ["autoencoder_loss", "autoencoder_kl", "loss"]
    assert phase_boundaries(history) == [(3, "phase 2: diffusion")]
    assert history.phase_label(0) == "phase 1 of 2: autoencoder"
    assert history.phase_label(2) == "phase 2 of 2: diffusion"
    # A malformed phase list is no phase list; a run of one phase keeps its names.
    assert shape_of(Path("run"), {**info, "phases": [{"epochs": 1}]}).phases == ()
    single = RunHistory(shape_of(Path("run"), {**info, "phases": None}))
    single.add_step(1, {"loss": 1.0})
    assert list(single.metrics) == ["loss"] and single.phase_label(0) == ""


def test_a_run_stopped_in_phase_one_continues_into_phase_two_from_the_window(
        make_window, qtbot, tmp_path: Path) -> None:
    images = digit_folder(tmp_path)
    window = make_window()
    session, setup = window.session, window.setup_panel
    set_tiny_ldm(window, images)
    setup.model_form.set_values({"epochs_ae": 2})
    assert "2 epochs (epochs ae)" in setup.phase_note.text()
    assert "3 in all" in setup.phase_note.text()
    assert not setup.continue_button.isEnabled()  # nothing to continue yet

    def stop_at_once(state: JobState) -> None:
        if state is JobState.TRAINING:
            session.stateChanged.disconnect(stop_at_once)
            window.act_stop.trigger()  # heard after the first step: phase 1 is not over

    session.stateChanged.connect(stop_at_once)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.IDLE and session.model is not None,
                    timeout=120_000)
    run_dir = session.history.shape.run_dir
    spe = session.history.shape.steps_per_epoch
    stopped_at = session.history.last_step
    assert 0 < stopped_at < 2 * spe
    assert "loss" not in session.history.metrics  # no diffusion step yet
    qtbot.waitUntil(setup.continue_button.isEnabled, timeout=10_000)
    assert run_dir.name in setup.continue_button.toolTip()

    setup.continue_button.click()
    qtbot.waitUntil(lambda: session.state is JobState.TRAINING, timeout=60_000)
    qtbot.waitUntil(lambda: not session.state.busy, timeout=120_000)
    assert session.history.shape.run_dir == run_dir
    assert session.progress.total_epochs == 3
    steps = session.history.steps.view()
    # The steps before the stop come from the folder, the rest from the continued run.
    assert steps.tolist() == list(range(1, 3 * spe + 1))
    assert [e.epoch for e in session.history.epochs] == [1, 2, 3]
    assert np.isfinite(session.history.metrics["autoencoder_loss"].view()[:stopped_at]).all()
    assert np.isfinite(session.history.metrics["loss"].view()[2 * spe:]).all()
    assert window.training_panel.loss_plots.boundaries == [(2 * spe, "phase 2: diffusion")]
    assert "phase 2 of 2: diffusion" in window.training_panel.counters.text()
    assert (run_dir / "checkpoints" / "last" / "config.json").is_file()
