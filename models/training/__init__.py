"""The trainer (a generator of events), the run folder it writes and the reader of one.

Importing this package is light: `Trainer` (torch) loads on first use, so the GUI and a
notebook can read run folders without importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.training.events import (
    EpochEnd,
    TrainEvent,
    TrainFailed,
    TrainFinished,
    TrainStarted,
    TrainStep,
    TrainStopped,
)
from models.training.run_reader import RunTail, follow_run, read_run, read_shape
from models.training.run_record import EpochRecord, RunRecord, RunShape, RunUpdate

if TYPE_CHECKING:
    from models.training.trainer import Trainer

__all__ = ["EpochEnd", "EpochRecord", "RunRecord", "RunShape", "RunTail", "RunUpdate",
           "TrainEvent", "TrainFailed", "TrainFinished", "TrainStarted", "TrainStep",
           "TrainStopped", "Trainer", "follow_run", "read_run", "read_shape"]


def __getattr__(name: str) -> Any:
    """Return `Trainer`, importing it (and torch) on first use."""
    if name == "Trainer":
        from models.training.trainer import Trainer

        return Trainer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
