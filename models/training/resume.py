"""What a trainer continuing a run needs from its checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.checkpoint.store import load_checkpoint
from models.config import RESUME_MAY_CHANGE, DataConfig, TrainConfig


def resume_arguments(checkpoint: Path | str, *, run_dir: Path | str | None = None,
                     **changes: Any
                     ) -> tuple[str, TrainConfig, DataConfig, Path | str, dict[str, Any]]:
    """Return (family, training settings with the `changes` asked — RESUME_MAY_CHANGE
    names them; None keeps the saved value —, data settings, the run folder to continue
    in, the state the trainer restores: model, progress, optimiser and
    RNG tensors and their JSON, the checkpoint's path).

    The run folder defaults to the checkpoint's own run (`RUN/checkpoints/NAME`), or the
    checkpoint folder itself when it stands alone. Raises CheckpointError when the
    checkpoint has no training settings.
    """
    loaded = load_checkpoint(checkpoint, with_training_state=True)
    if loaded.train is None or loaded.data is None:
        from models.checkpoint.errors import CheckpointError

        raise CheckpointError(loaded.path / "config.json",
                              "has no training settings to resume from")
    train = loaded.train
    refused = sorted(set(changes) - set(RESUME_MAY_CHANGE))
    if refused:
        raise ValueError(f"a resumed run cannot change {', '.join(refused)}")
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes:
        train = train.replace(**changes)
    if run_dir is None:
        run_dir = loaded.path.parent.parent if loaded.path.parent.name == "checkpoints" \
            else loaded.path
    state = {"model": loaded.model, "progress": loaded.progress,
             "tensors": loaded.train_tensors, "json": loaded.train_json,
             "checkpoint": loaded.path}
    return loaded.family, train, loaded.data, run_dir, state
