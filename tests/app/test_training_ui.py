"""Training through the UI: start, pause, resume, stop; plots fill; close mid-training."""

from __future__ import annotations

import time

import pytest

from app.session import JobState
from tests.app.conftest import set_tiny_vae


def test_train_pause_resume_stop_through_the_ui(make_window, qtbot) -> None:
    window = make_window()
    session = window.session
    set_tiny_vae(window, epochs=50)
    assert window.act_train.isEnabled()
    assert not window.act_pause.isEnabled()

    window.act_train.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.TRAINING, timeout=30_000)
    # The loss plot receives points (redraws are throttled to screen rate).
    qtbot.waitUntil(lambda: window.training_panel.loss_plots.point_count() > 5, timeout=30_000)
    assert "loss" in session.history.metrics
    assert not window.act_train.isEnabled()
    assert not window.setup_panel.isEnabled()  # edits cannot reach a running job

    window.act_pause.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.PAUSED, timeout=10_000)
    paused_at = len(session.history.steps)
    qtbot.wait(400)
    assert len(session.history.steps) == paused_at
    assert window.act_resume.isEnabled() and not window.act_pause.isEnabled()

    window.act_resume.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.TRAINING, timeout=10_000)
    qtbot.waitUntil(lambda: len(session.history.steps) > paused_at, timeout=10_000)

    window.act_stop.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.IDLE, timeout=30_000)
    assert session.checkpoint is not None
    assert (session.checkpoint / "config.json").is_file()
    assert "stopped" in window.message_bar.text()
    assert window.act_train.isEnabled()
    assert window.act_save.isEnabled()


def test_epoch_shows_samples_reconstructions_and_kl_bars(make_window, qtbot) -> None:
    window = make_window()
    session = window.session
    panel = window.training_panel
    set_tiny_vae(window, epochs=2)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: len(session.history.epochs) == 2 and not session.state.busy,
                    timeout=60_000)
    assert panel.samples.array is not None and panel.samples.array.dtype.name == "uint8"
    assert panel.recon.array is not None
    assert "kl_per_dim" in panel.arrays.keys()
    assert panel.timeline.current_epoch() == 2 and panel.timeline.live
    # The timeline shows a past epoch's grid and moves the loss-plot cursor there.
    panel.timeline.select(1)
    first = session.history.epoch(1)
    assert panel.samples.array is first.preview
    assert panel.loss_plots.cursor_step == first.step
    # Play walks forward to the newest epoch and stops.
    panel.timeline.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not panel.timeline.play_button.isChecked(), timeout=10_000)
    assert panel.timeline.current_epoch() == 2
    # Smoothing and log scale redraw without errors.
    panel.smoothing.setValue(0.5)
    panel.log_y.setChecked(True)
    panel.log_y.setChecked(False)
    # Fresh samples come from the inference copy, not the trained instance.
    with qtbot.waitSignal(session.samplesReady, timeout=20_000):
        window.act_sample.trigger()
    assert panel.samples.array.shape[-1] == 1


def test_closing_mid_training_saves_and_joins(make_window, qtbot, qtlog) -> None:
    window = make_window()
    session = window.session
    set_tiny_vae(window, epochs=50)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: len(session.history.steps) > 3, timeout=30_000)
    run_dir = session.history.shape.run_dir
    t0 = time.monotonic()
    window.close()
    elapsed = time.monotonic() - t0
    assert elapsed < 2.0, f"close took {elapsed:.2f} s"
    assert session.jobs.threads_running() == []
    assert (run_dir / "checkpoints" / "last" / "config.json").is_file()
    assert not list(run_dir.rglob("*.tmp*"))
    assert not [r for r in qtlog.records if "QThread" in r.message]


def test_save_and_export(make_window, qtbot, tmp_path) -> None:
    window = make_window()
    session = window.session
    set_tiny_vae(window, epochs=50)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: len(session.history.steps) > 3, timeout=30_000)
    dest = tmp_path / "saved-checkpoint"
    with qtbot.waitSignal(session.checkpointSaved, timeout=20_000):
        window.save_checkpoint(dest)
    assert (dest / "config.json").is_file() and (dest / "model.safetensors").is_file()
    figure = tmp_path / "figure.png"
    assert window.export_figure(figure) and figure.stat().st_size > 1000
    window.act_stop.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.IDLE, timeout=30_000)


@pytest.mark.filterwarnings("ignore:.*skipped 1 of 25:UserWarning")  # said in the window
def test_files_the_loader_skipped_are_named_in_the_window(make_window, qtbot,
                                                          tmp_path) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    images = tmp_path / "images"
    for digit in ("0", "1"):
        (images / digit).mkdir(parents=True)
        for i in range(12):
            Image.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8)).save(
                images / digit / f"{i}.png")
    (images / "1" / "notes.png").write_text("not an image")
    window = make_window()
    set_tiny_vae(window, epochs=1)
    window.setup_panel.set_dataset(f"folder:{images}")
    window.setup_panel.data_form.set_values({"channels": 1, "image_size": 28})
    window.act_train.trigger()
    qtbot.waitUntil(lambda: "skipped 1 of 25" in window.message_bar.text(), timeout=60_000)
    assert "notes.png" in window.message_bar.text()
    qtbot.waitUntil(lambda: not window.session.state.busy, timeout=60_000)
