"""A reusable CPU copy of the model and optimiser state, for saving on another thread."""

from __future__ import annotations

from typing import Any

import torch

from models.base import GenerativeModel, detached_copy
from models.checkpoint.train_state import flatten_optimizers


class StateSnapshot:
    """Copies weights and optimiser state into CPU buffers allocated once.

    Copying into warm buffers costs a few milliseconds of memory bandwidth; the writer
    thread then serialises the copy on a free core while training goes on. Take the next
    snapshot only after the writer is done with the previous one.
    """

    def __init__(self) -> None:
        self._model: GenerativeModel | None = None
        self._tensors: dict[str, torch.Tensor] = {}

    def take(self, model: GenerativeModel, optimizers: dict[str, torch.optim.Optimizer]
             ) -> tuple[GenerativeModel, dict[str, torch.Tensor], dict[str, Any]]:
        """Return (a CPU model equal to `model`, optimiser tensors, optimiser JSON) that
        later training steps do not change. Runs on the training thread."""
        if self._model is None:
            self._model = detached_copy(model, "cpu")
        else:
            with torch.no_grad():
                self._model.load_state_dict(model.state_dict())
        live, meta = flatten_optimizers(optimizers)
        tensors = {}
        for key, value in live.items():
            buf = self._tensors.get(key)
            if buf is None or buf.shape != value.shape or buf.dtype != value.dtype:
                buf = self._tensors[key] = torch.empty_like(value, device="cpu")
            tensors[key] = buf.copy_(value)
        return self._model, tensors, meta
