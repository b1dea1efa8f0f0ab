"""The interface every model family implements, and what it declares it can do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from models.config import ModelConfig, TrainConfig


@dataclass(frozen=True)
class Capabilities:
    """What a model can do; panels adapt to these rather than to class names."""

    can_encode: bool
    conditional: bool
    is_diffusion: bool
    latent_shape: tuple[int, ...]
    has_prior: bool  # sample() draws from a known prior (VAE/GAN), not a fitted one

    @property
    def latent_dim(self) -> int:
        """Return the number of latent values per image."""
        return int(np.prod(self.latent_shape))


@dataclass(frozen=True)
class Phase:
    """One stage of a model's training: its name (metrics lines and events carry it) and
    how many epochs it takes. Most families train in one phase."""

    name: str
    epochs: int


class GenerativeModel(nn.Module):
    """Base of every family: configs rebuild it, images in and out are float NCHW in [0, 1].

    Subclasses set `family`, `config_class`, and implement the training hooks below.
    `metrics` dicts hold detached scalar tensors; "loss" is the one optimisation watches.
    """

    family: ClassVar[str]
    config_class: ClassVar[type[ModelConfig]]

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        config.validate()
        self.config = config

    # --- description -------------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        """Return what this model can do."""
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        """Return the device the weights live on."""
        return next(self.parameters()).device

    # --- training hooks ----------------------------------------------------------------
    def configure_optimizers(self, train: TrainConfig) -> dict[str, torch.optim.Optimizer]:
        """Return the optimisers by name (one Adam over every weight by default)."""
        return {"model": torch.optim.Adam(self.parameters(), lr=train.lr)}

    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Run one optimisation step on a batch; return its metrics (detached scalars)."""
        raise NotImplementedError

    def validation_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return per-batch validation metrics (batch means, detached) without updating weights.

        Scalars become the epoch's validation metrics; vectors (e.g. kl_per_dim) become
        its `arrays`. The trainer averages both over the validation split.
        """
        raise NotImplementedError

    def epoch_arrays(self) -> dict[str, np.ndarray]:
        """Return per-epoch diagnostic arrays gathered while training (e.g. the diffusion
        loss by timestep); those measured on validation data come from `validation_step`."""
        return {}

    def after_training_step(self) -> None:
        """Update running statistics (EMA weights, latent moments) after a step."""

    def training_phases(self, train: TrainConfig) -> tuple[Phase, ...]:
        """Return the phases training goes through, in order (one of train.epochs here)."""
        return (Phase("train", train.epochs),)

    def enter_phase(self, name: str, train_x: torch.Tensor, val_x: torch.Tensor,
                    crossing: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Make phase `name` the one training steps train; return the (training,
        validation) inputs its steps and validation take, from the images given.

        `crossing` is True when the phase begins now (the previous one just ended, or a
        fresh run starts with it): whatever it derives from earlier phases is computed
        and then saved with the weights. False when a run resumes inside it from a
        checkpoint that holds that already. Runs on the training thread.
        """
        return train_x, val_x

    # --- optimisation: every family's updates go through these -----------------------
    # Under fp16 mixed precision the trainer sets a GradScaler here (models/training/
    # precision.py): losses are scaled before backward, gradients unscaled before anyone
    # reads or clips them, and a step with an overflowed gradient is skipped.
    grad_scaler: Any = None

    def backward(self, loss: torch.Tensor) -> None:
        """Back-propagate `loss` (scaled under fp16)."""
        (loss if self.grad_scaler is None else self.grad_scaler.scale(loss)).backward()

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Make the gradients of `optimizer`'s parameters true gradients (under fp16 they
        are scaled until now); call before reading or clipping them, once per step."""
        if self.grad_scaler is not None:
            self.grad_scaler.unscale_(optimizer)

    def optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        """Apply `optimizer`'s update (skipped under fp16 when a gradient overflowed)."""
        if self.grad_scaler is None:
            optimizer.step()
        else:
            self.grad_scaler.step(optimizer)

    # --- generation --------------------------------------------------------------------
    def sample(self, n: int, seed: int, labels: torch.Tensor | None = None,
               **options: Any) -> torch.Tensor:
        """Return n images in [0, 1], the same for the same seed."""
        raise NotImplementedError

    def preview(self, n: int, seed: int) -> torch.Tensor:
        """Return the epoch preview: n images from a latent batch fixed by `seed`."""
        labels = None
        if self.capabilities.conditional:
            labels = torch.arange(n, device=self.device) % self.config.num_classes
        return self.sample(n, seed, labels=labels)

    def preview_steps(self, n: int, seed: int) -> Iterator[torch.Tensor | None]:
        """Yield None while `preview(n, seed)` is being computed, then its images.

        A job can stop between the yields: a diffusion model yields once per denoising step.
        """
        yield self.preview(n, seed)

    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Return reconstructions of x (models that encode only)."""
        raise NotImplementedError(f"{self.family} models cannot encode")

    # --- files -------------------------------------------------------------------------
    def save_weights(self, folder: Path) -> list[str]:
        """Write the weights into `folder`; return the file names written."""
        from safetensors.torch import save_file

        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, str(folder / "model.safetensors"), metadata={"family": self.family})
        return ["model.safetensors"]

    @classmethod
    def load_weights(cls, folder: Path, config: ModelConfig) -> GenerativeModel:
        """Return a model built from `config` with the weights stored in `folder`.

        Raises CheckpointError naming the file and the mismatch.
        """
        from models.checkpoint.safetensors_io import read_safetensors

        model = cls(config)
        path = folder / "model.safetensors"
        state = read_safetensors(path)
        load_state_strict(model, state, path)
        return model


def load_state_strict(module: nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    """Load `state` into `module`; CheckpointError names missing, extra or misshaped keys."""
    from models.checkpoint.bounds import mismatches
    from models.checkpoint.errors import CheckpointError

    own = module.state_dict()
    parts = mismatches({k: tuple(v.shape) for k, v in own.items()},
                       {k: tuple(v.shape) for k, v in state.items()})
    if parts:
        raise CheckpointError(path, "does not match config.json: " + "; ".join(parts))
    module.load_state_dict(state)


def detached_copy(model: GenerativeModel, device: torch.device | str | None = None
                  ) -> GenerativeModel:
    """Return a new model with `model`'s config and a copy of its weights, in eval mode
    with gradients off, on `device` (default: the model's).

    Building it draws initial weights; the global RNG is restored afterwards, so a
    training run that takes copies draws the same random numbers as one that does not.
    """
    with torch.random.fork_rng(devices=[]):
        copy = type(model)(model.config)
    with torch.no_grad():
        copy.load_state_dict({k: v.detach().clone() for k, v in model.state_dict().items()})
    return copy.to(device if device is not None else model.device).eval().requires_grad_(False)
