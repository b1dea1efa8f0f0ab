"""Checking a checkpoint's training state (optimiser and RNG state) has the structure
`train_state.restore_optimizers` / `restore_rng` read, so resuming from a damaged or
hostile run folder is one CheckpointError naming the file, not a KeyError mid-restore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from models.checkpoint.errors import CheckpointError
from models.checkpoint.train_state import SEP


def _is_index(text: Any) -> bool:
    return isinstance(text, str) and text.isdigit() and len(text) < 10


def check_train_json(data: Any, path: Path) -> None:
    """Raise CheckpointError(path) unless `data` is {"optimizers": {name: {"param_groups":
    [objects with a "params" list of indices], "scalars": {index: object}, "param_ids":
    [index strings]}}}."""
    if not isinstance(data, dict) or not isinstance(data.get("optimizers", {}), dict):
        raise CheckpointError(path, "is not a training state (no optimizers object)")
    for name, info in data.get("optimizers", {}).items():
        where = f"optimizer {name!r}"
        if not isinstance(info, dict):
            raise CheckpointError(path, f"{where} is not an object")
        groups, scalars, ids = info.get("param_groups"), info.get("scalars"), \
            info.get("param_ids")
        if not isinstance(groups, list) or not all(
                isinstance(g, dict) and isinstance(g.get("params"), list)
                and all(isinstance(p, int) and not isinstance(p, bool) for p in g["params"])
                for g in groups):
            raise CheckpointError(path, f"{where}: param_groups must be a list of objects "
                                  "with a params list")
        if not isinstance(ids, list) or not all(_is_index(p) for p in ids):
            raise CheckpointError(path, f"{where}: param_ids must be a list of index strings")
        if not isinstance(scalars, dict) or not all(
                _is_index(k) and isinstance(v, dict) for k, v in scalars.items()):
            raise CheckpointError(path, f"{where}: scalars must map indices to objects")


def check_train_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Raise CheckpointError(path) unless every optimiser tensor is named
    optim/NAME/INDEX/FIELD and the RNG states are byte vectors of the right length."""
    cpu_state = torch.get_rng_state()
    for key, value in tensors.items():
        parts = key.split(SEP)
        if parts[0] == "optim":
            if len(parts) < 4 or not _is_index(parts[2]):
                raise CheckpointError(path, f"tensor {key!r} is not optim/NAME/INDEX/FIELD")
        elif key == "rng/cpu":
            if value.dtype != torch.uint8 or value.shape != cpu_state.shape:
                raise CheckpointError(path, f"rng/cpu is {str(value.dtype)[6:]} "
                                      f"{tuple(value.shape)}, not a CPU generator state")
        elif key.startswith("rng/cuda"):
            if value.dtype != torch.uint8 or value.dim() != 1:
                raise CheckpointError(path, f"{key} is not a CUDA generator state")
