"""Checkpoint folders: config.json + safetensors, written atomically, loaded without unpickling."""

from models.checkpoint.errors import CheckpointError
from models.checkpoint.store import (
    LoadedCheckpoint,
    load_checkpoint,
    read_checkpoint_config,
    resolve_checkpoint,
    save_checkpoint,
)

__all__ = [
    "CheckpointError",
    "LoadedCheckpoint",
    "load_checkpoint",
    "read_checkpoint_config",
    "resolve_checkpoint",
    "save_checkpoint",
]
