"""`--tensorboard`: the run's losses, sample grids and latent code histograms are read back
by TensorBoard's own event reader, a resumed run does not log its re-trained steps twice,
and a missing tensorboard package is said in one line before the run starts."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest

from models.autoencoders.config import VAEConfig
from models.config import DataConfig
from tests.models.helpers import quick_train, small_mnist

pytest.importorskip("tensorboard")

DATA = DataConfig(dataset="mnist5k")
MODEL = VAEConfig(latent_dim=3, hidden_dims=(16,))


def _events(run: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run / "tensorboard"),
                                   size_guidance={"scalars": 0, "images": 0, "histograms": 0})
    accumulator.Reload()
    return accumulator


def _train(run: Path, epochs: int, resume: bool = False) -> None:
    from models.training import Trainer

    if resume:
        trainer = Trainer.resume(run, epochs=epochs, dataset=small_mnist(120))
    else:
        trainer = Trainer("vae", MODEL, quick_train(epochs=epochs, batch_size=32,
                                                    tensorboard=True),
                          DATA, run, dataset=small_mnist(120))
    for _event in trainer.run():
        pass


def test_tensorboard_reads_the_runs_losses_samples_and_latent_histograms(
        tmp_path: Path) -> None:
    _train(tmp_path, epochs=2)
    tags = _events(tmp_path).Tags()
    assert {"train/loss", "train/recon", "train/kl", "val/loss"} <= set(tags["scalars"])
    assert {"samples", "reconstructions"} <= set(tags["images"])
    assert "latent/codes" in tags["histograms"]
    events = _events(tmp_path)
    steps = [e.step for e in events.Scalars("train/loss")]
    assert steps == list(range(1, 9))  # 108 training images / 32: 4 steps, 2 epochs
    assert [e.step for e in events.Scalars("val/loss")] == [4, 8]
    assert len(events.Images("samples")) == 2
    # the posterior means of the 12 held-out images, 3 latent dimensions each
    assert events.Histograms("latent/codes")[-1].histogram_value.num == 12 * 3


def test_a_resumed_run_logs_each_step_once(tmp_path: Path) -> None:
    _train(tmp_path, epochs=1)
    _train(tmp_path, epochs=2, resume=True)
    steps = [e.step for e in _events(tmp_path).Scalars("train/loss")]
    assert steps == list(range(1, 9))


def test_a_missing_tensorboard_package_is_said_before_the_run_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.training import Trainer

    real_import = builtins.__import__

    def no_tensorboard(name: str, *args, **kwargs):
        if name == "tensorboard" or name.startswith("tensorboard."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    trainer = Trainer("vae", MODEL, quick_train(tensorboard=True), DATA, tmp_path / "run",
                      dataset=small_mnist(64))
    with pytest.raises(RuntimeError, match="needs the tensorboard package: pip install"):
        trainer.run()
    assert not (tmp_path / "run").exists()


def test_a_run_resumed_after_a_crash_drops_the_steps_logged_past_its_checkpoint(
        tmp_path: Path) -> None:
    """A killed run logged steps 5–6 after its checkpoint at step 4; resumed at 4 it
    trains them again, and TensorBoard shows each step once, the new values."""
    import torch

    from models.training.events import TrainStep
    from models.training.tensorboard_log import TensorBoardLog

    class NoEncoder:
        class capabilities:
            can_encode = False

    def log_steps(start_step: int, steps: range, loss: float) -> None:
        log = TensorBoardLog(tmp_path, NoEncoder(), torch.zeros(0), start_step=start_step)
        for step in steps:
            log.on_event(TrainStep(step, 0, step, 8, {"loss": loss}, 1.0))
        log.close()

    log_steps(0, range(1, 7), loss=1.0)  # the killed run
    log_steps(4, range(5, 9), loss=2.0)  # resumed from its checkpoint at step 4
    scalars = _events(tmp_path).Scalars("train/loss")
    assert [(e.step, e.value) for e in scalars] == [(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0),
                                                   (5, 2.0), (6, 2.0), (7, 2.0), (8, 2.0)]
