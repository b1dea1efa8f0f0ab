"""The inference worker: holds the inference copy of a model and serves sample requests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.log import log
from app.workers.errors import describe


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


class InferenceWorker(QObject):
    """Lives in the inference thread; every slot runs there.

    Sample requests are "latest wins": the GUI thread raises `latest_request` before
    queueing a request, and older queued requests are skipped. Emits modelReady(ModelInfo),
    opened(OpenedCheckpoint), samples(request id, uint8 grid), failed(message, traceback).
    """

    modelReady = Signal(object)
    opened = Signal(object)
    samples = Signal(int, object)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self._model: Any = None
        self.latest_request = 0  # written by the GUI thread, read here (an int: atomic)
        self.device = "cpu"

    @Slot(object)
    def set_model(self, snapshot: dict[str, Any]) -> None:
        """Adopt a copy of the model being trained (sent at each epoch end)."""
        self._adopt(snapshot["model"], snapshot["epoch"], "training")

    @Slot(object)
    def open_checkpoint(self, path: Path) -> None:
        """Load a checkpoint (or a run folder's last one); emits opened and modelReady."""
        try:
            from models.checkpoint import load_checkpoint
            from models.device import resolve_device

            loaded = load_checkpoint(path, device=resolve_device(self.device))
            run_dir = None
            if loaded.path.parent.name == "checkpoints":
                run_dir = loaded.path.parent.parent
            self.opened.emit(OpenedCheckpoint(loaded.path, loaded.family, loaded.model.config,
                                              loaded.data, loaded.train, dict(loaded.progress),
                                              run_dir))
            self._adopt(loaded.model, int(loaded.progress.get("epoch", 0)), str(loaded.path))
        except Exception as exc:
            message, tb = describe(exc)
            log.error("could not open %s: %s", path, message)
            self.failed.emit(message, tb)

    @Slot(int, int, int)
    def sample(self, request_id: int, n: int, seed: int) -> None:
        """Draw `n` samples with `seed` from the inference model; emits samples."""
        if request_id < self.latest_request or self._model is None:
            return  # a newer request is queued, or there is nothing to sample from
        try:
            import torch

            from models.images import make_grid, to_uint8_nhwc

            with torch.no_grad():
                grid = make_grid(to_uint8_nhwc(self._model.preview(n, seed)))
            self.samples.emit(request_id, grid)
        except Exception as exc:
            self.failed.emit(*describe(exc))

    def _adopt(self, model: Any, epoch: int, source: str) -> None:
        self._model = model
        caps = model.capabilities
        self.modelReady.emit(ModelInfo(model.family, caps.can_encode, caps.conditional,
                                       caps.is_diffusion, caps.latent_dim, epoch, source))
