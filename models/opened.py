"""An opened model: read from disk once (or handed over by training), copied for threads.

The window shows one `OpenedModel` at a time. Its weights are loaded once; every thread
that computes with it (encode, decode, sample, step through diffusion) takes its own
`inference_copy()`, so no module is ever shared between threads or with a trainer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.base import Capabilities, GenerativeModel
    from models.config import DataConfig, ModelConfig, TrainConfig

SOURCE_CHECKPOINT = "checkpoint"
SOURCE_TRAINING = "training"


@dataclass(frozen=True)
class OpenedModel:
    """A model's description and its weights (eval mode, no gradients), read-only.

    `path` is the checkpoint folder the weights came from (for a training run, the run's
    `checkpoints/last` once written, else None); `run_dir` the run folder holding it.
    """

    family: str
    capabilities: Capabilities
    model_config: ModelConfig
    data: DataConfig | None
    train: TrainConfig | None
    class_names: tuple[str, ...]
    epoch: int
    source: str  # SOURCE_CHECKPOINT or SOURCE_TRAINING
    path: Path | None
    run_dir: Path | None
    progress: dict[str, Any] = field(default_factory=dict)
    _module: GenerativeModel | None = field(default=None, repr=False, compare=False)

    @property
    def dataset(self) -> str:
        """Return the name of the dataset it was trained on ("" when unknown)."""
        return self.data.dataset if self.data is not None else ""

    @property
    def device(self) -> str:
        """Return the device its weights are on."""
        return str(self._module.device) if self._module is not None else "cpu"

    def inference_copy(self) -> GenerativeModel:
        """Return a new module with these weights, for the calling thread alone (any thread).

        A deep copy, not a rebuild from the config: building draws initial weights from the
        global RNG, which a training thread may be using at the same moment.
        """
        if self._module is None:
            raise ValueError("this model has no weights")
        return copy.deepcopy(self._module)


def open_model(path: Path | str, device: str = "cpu") -> OpenedModel:
    """Load the checkpoint (or run folder's last checkpoint) at `path` once; return it opened.

    Raises CheckpointError (one line naming the file) for anything unreadable.
    """
    from models.checkpoint import load_checkpoint
    from models.device import resolve_device

    loaded = load_checkpoint(path, device=resolve_device(device))
    model = loaded.model.eval().requires_grad_(False)
    run_dir = loaded.path.parent.parent if loaded.path.parent.name == "checkpoints" else None
    return OpenedModel(loaded.family, model.capabilities, model.config, loaded.data,
                       loaded.train, tuple(loaded.class_names),
                       int(loaded.progress.get("epoch", 0)), SOURCE_CHECKPOINT, loaded.path,
                       run_dir, dict(loaded.progress), model)


def opened_from_training(model: GenerativeModel, *, epoch: int, data: DataConfig | None,
                         train: TrainConfig | None, class_names: tuple[str, ...],
                         checkpoint: Path | None, run_dir: Path | None) -> OpenedModel:
    """Return an OpenedModel for a detached copy of a model being trained (`model` is not
    used by the trainer again: pass `models.base.detached_copy(trainer.model)`)."""
    model = model.eval().requires_grad_(False)
    return OpenedModel(model.family, model.capabilities, model.config, data, train,
                       tuple(class_names), int(epoch), SOURCE_TRAINING, checkpoint, run_dir,
                       {"epoch": int(epoch)}, model)
