"""Descriptions of the model shown, for panels not yet reading `session.models`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    """What the GUI may know about the inference model (never the model itself)."""

    family: str
    can_encode: bool
    conditional: bool
    is_diffusion: bool
    latent_dim: int
    epoch: int
    source: str  # "training" or the checkpoint path


@dataclass(frozen=True)
class OpenedCheckpoint:
    """A checkpoint opened from disk: its configs, for filling the form."""

    path: Path
    family: str
    model: Any  # ModelConfig
    data: Any  # DataConfig | None
    train: Any  # TrainConfig | None
    progress: dict[str, Any]
    run_dir: Path | None  # the run folder holding it, if any
