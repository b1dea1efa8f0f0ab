"""A step is all or nothing: interrupts never save a half-applied step, and no checkpoint
ever holds a non-finite weight."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import models.training.saving as saving
from models.autoencoders.config import VAEConfig
from models.checkpoint import load_checkpoint
from models.config import DataConfig, ModelConfig
from models.data import ImageDataset, load_dataset
from models.diffusion.config import DDPMConfig
from models.gans.config import DCGANConfig
from models.training import EpochEnd, Trainer, TrainFailed, TrainStep
from tests.models.helpers import DATA, quick_train, small_mnist

EPOCHS = 3


def _digits40() -> ImageDataset:
    return load_dataset(DataConfig()).subset(np.arange(40))


# family → (model config, dataset, batch size); each has 3 steps per epoch.
SETUPS: dict[str, tuple[ModelConfig, Callable[[], ImageDataset], int]] = {
    "vae": (VAEConfig(latent_dim=2, hidden_dims=(32,)), lambda: small_mnist(160), 48),
    "dcgan": (DCGANConfig(latent_dim=8, g_width=8, d_width=4), lambda: small_mnist(160), 48),
    "ddpm": (DDPMConfig(preset="custom", block_channels=(4, 8), norm_groups=4,
                        sample_steps=2), _digits40, 12),
}


def make(family: str, run: Path, **train: Any) -> Trainer:
    config, dataset, bs = SETUPS[family]
    trainer = Trainer(family, config, quick_train(epochs=EPOCHS, batch_size=bs, **train),
                      DATA, run, dataset=dataset())
    trainer._offload = False  # the checkpoint is serialised on this thread (see saving.py)
    return trainer


def resume(family: str, run: Path) -> Trainer:
    return Trainer.resume(run, dataset=SETUPS[family][1]())


_WHOLE: dict[str, dict[str, torch.Tensor]] = {}


def uninterrupted(family: str, tmp: Path) -> dict[str, torch.Tensor]:
    """Return the final weights of an uninterrupted run (one run per family per session)."""
    if family not in _WHOLE:
        trainer = make(family, tmp / f"whole-{family}")
        list(trainer.run())
        _WHOLE[family] = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    return _WHOLE[family]


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert list(a) == list(b)
    for k in a:
        assert torch.equal(a[k], b[k]), k


def interrupt(monkeypatch: pytest.MonkeyPatch, obj: object, name: str,
              when: Callable[[], bool], after: bool = False,
              exc: type[BaseException] = KeyboardInterrupt) -> None:
    """Make `obj.name` raise `exc` (before or after doing its work) the first time it is
    called while `when()` holds."""
    real = getattr(obj, name)
    fired = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        hit = not fired and when()
        if hit:
            fired.append(True)
            if not after:
                raise exc("injected")
        result = real(*args, **kwargs)
        if hit:
            raise exc("injected")
        return result

    monkeypatch.setattr(obj, name, wrapper)


# Each phase: how to inject the interrupt into `trainer`, and the step `last/` then holds
# (spe = steps per epoch). The interrupt lands in epoch 2's second step, or its epoch end.
def _in_step(t: Trainer) -> Callable[[], bool]:
    return lambda: t.step == t.steps_per_epoch + 1


def _first_optimizer(t: Trainer) -> torch.optim.Optimizer:
    return t.optimizers.get("discriminator") or t.optimizers["model"]


PHASES: dict[str, tuple[Callable[[pytest.MonkeyPatch, Trainer], None], int]] = {
    "before-forward": (lambda mp, t: interrupt(mp, t.model, "training_step", _in_step(t)),
                       1),
    "before-optimizer-step": (
        lambda mp, t: interrupt(mp, _first_optimizer(t), "step", _in_step(t)), 1),
    "after-optimizer-step": (
        lambda mp, t: interrupt(mp, t.model, "training_step", _in_step(t), after=True), 1),
    "in-after-training-step": (
        lambda mp, t: interrupt(mp, t.model, "after_training_step", _in_step(t),
                                after=True), 1),
    "in-logging": (
        lambda mp, t: interrupt(mp, t.run_dir, "log", _in_step(t)), 1),
    "in-validation": (
        lambda mp, t: interrupt(mp, t.model, "validation_step", lambda: t.epoch == 1), 2),
    "in-preview": (
        lambda mp, t: interrupt(mp, t.model, "preview_steps", lambda: t.epoch == 1), 2),
    "in-checkpoint-write": (
        lambda mp, t: interrupt(mp, saving, "stage_checkpoint", lambda: t.epoch == 2), 1),
    # The first epoch's checkpoint is waited for: the writer has committed it when the
    # interrupt lands, before save_epoch returns, and the trainer must still name it.
    "after-the-first-commit": (
        lambda mp, t: interrupt(mp, saving.RunSaver, "wait", lambda: t.epoch == 1,
                                after=True), 1),
}
GAN_PHASES = {"between-d-and-g": (
    lambda mp, t: interrupt(mp, t.optimizers["generator"], "step", _in_step(t)), 1)}


def check_interrupt_then_resume(family: str, phase: tuple[Callable, int], tmp: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    whole = uninterrupted(family, tmp)
    trainer = make(family, tmp / "cut")
    inject, epochs_saved = phase
    inject(monkeypatch, trainer)
    with pytest.raises(KeyboardInterrupt):
        list(trainer.run())
    saved = load_checkpoint(tmp / "cut")  # a step boundary, never a half-applied step
    assert saved.progress["step"] == epochs_saved * trainer.steps_per_epoch
    assert trainer.saved_step == saved.progress["step"]
    resumed = resume(family, tmp / "cut")
    list(resumed.run())
    assert resumed.step == EPOCHS * trainer.steps_per_epoch
    assert_same_weights(whole, resumed.model.state_dict())


@pytest.mark.parametrize("phase", list(PHASES))
def test_a_vae_interrupted_anywhere_resumes_to_the_uninterrupted_weights(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str) -> None:
    check_interrupt_then_resume("vae", PHASES[phase], tmp_path, monkeypatch)


@pytest.mark.parametrize("phase", ["before-optimizer-step", "between-d-and-g",
                                   "after-optimizer-step", "in-logging", "in-validation",
                                   "in-checkpoint-write"])
def test_a_gan_interrupted_anywhere_resumes_to_the_uninterrupted_weights(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str) -> None:
    check_interrupt_then_resume("dcgan", {**PHASES, **GAN_PHASES}[phase], tmp_path,
                                monkeypatch)


@pytest.mark.parametrize("phase", ["in-after-training-step", "in-preview"])
def test_a_diffusion_model_interrupted_in_its_ema_or_preview_resumes_equal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str) -> None:
    check_interrupt_then_resume("ddpm", PHASES[phase], tmp_path, monkeypatch)


def test_an_error_inside_a_step_does_not_save_it(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = make("vae", tmp_path)
    interrupt(monkeypatch, trainer.model, "training_step", _in_step(trainer), after=True,
              exc=RuntimeError)
    with pytest.raises(RuntimeError, match="injected"):
        list(trainer.run())
    assert load_checkpoint(tmp_path).progress["step"] == trainer.steps_per_epoch
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines[-1]["kind"] == "stopped" and lines[-1]["saved"] is False
    assert "inside step 5" in lines[-1]["reason"]


def test_closing_the_generator_between_steps_saves_every_step(tmp_path: Path) -> None:
    trainer = make("dcgan", tmp_path)
    run = trainer.run()
    for event in run:
        if isinstance(event, TrainStep) and event.step == 5:
            break
    run.close()
    assert load_checkpoint(tmp_path).progress["step"] == 5


def poison_on_step(monkeypatch: pytest.MonkeyPatch, trainer: Trainer, step: int) -> None:
    """Make the optimiser's update of step `step` write inf into one weight."""
    opt = trainer.optimizers["model"]
    real = opt.step

    def step_then_poison(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if trainer.step == step - 1:
            with torch.no_grad():
                next(trainer.model.parameters())[0, 0] = float("inf")
        return result

    monkeypatch.setattr(opt, "step", step_then_poison)


def test_weights_made_infinite_on_an_epochs_last_step_are_never_validated_or_saved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = make("vae", tmp_path)
    spe = trainer.steps_per_epoch
    poison_on_step(monkeypatch, trainer, 2 * spe)
    good: dict[str, torch.Tensor] = {}
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, EpochEnd):
            good = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    failed = events[-1]
    assert isinstance(failed, TrainFailed) and failed.step == 2 * spe
    assert f"at step {2 * spe}" in failed.reason and "inf" in failed.reason
    assert "weight" in failed.reason
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [1]
    saved = load_checkpoint(tmp_path)
    assert saved.progress["step"] == spe
    assert_same_weights(good, saved.model.state_dict())
    assert all(torch.isfinite(v).all() for v in saved.model.state_dict().values()
               if v.is_floating_point())
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines if x["kind"] == "epoch"] == [1]
    assert lines[-1]["kind"] == "failed" and lines[-1]["step"] == 2 * spe
    with pytest.raises(ValueError, match="stopped being finite at step"):
        trainer.save()


def test_the_speed_is_wall_clock_including_the_time_between_events(tmp_path: Path) -> None:
    import time

    trainer = make("vae", tmp_path / "run")
    steps = []
    for event in trainer.run():
        steps += [event] if isinstance(event, TrainStep) else []
        time.sleep(0.05)  # a slow consumer: at most 48 images per 0.05 s
    assert max(s.images_per_s for s in steps) < 48 / 0.05
    logged = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text()
              .splitlines() if json.loads(x)["kind"] == "step"]
    assert max(x["images_per_s"] for x in logged) < 48 / 0.05
