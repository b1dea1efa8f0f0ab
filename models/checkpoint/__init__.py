"""Checkpoint folders: config.json + safetensors, written atomically, loaded without unpickling.

Importing this package is light: the names below that need torch (everything from
`store`) load on first use, so `models.checkpoint.atomic` serves the GUI before torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from models.checkpoint.copy import copy_checkpoint
from models.checkpoint.errors import CheckpointError

if TYPE_CHECKING:
    from models.checkpoint.store import (
        LoadedCheckpoint,
        load_checkpoint,
        read_checkpoint_config,
        resolve_checkpoint,
        save_checkpoint,
    )

_FROM_STORE = ("LoadedCheckpoint", "load_checkpoint", "read_checkpoint_config",
               "resolve_checkpoint", "save_checkpoint")

__all__ = ["CheckpointError", "LoadedCheckpoint", "copy_checkpoint", "load_checkpoint",
           "read_checkpoint_config", "resolve_checkpoint", "save_checkpoint"]


def __getattr__(name: str) -> Any:
    """Return a name from `store`, importing it (and torch) on first use."""
    if name in _FROM_STORE:
        return getattr(importlib.import_module("models.checkpoint.store"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
