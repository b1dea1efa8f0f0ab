"""The trainer (a generator of events) and the run folder it writes."""

from models.training.events import (
    EpochEnd,
    TrainEvent,
    TrainFailed,
    TrainFinished,
    TrainStarted,
    TrainStep,
    TrainStopped,
)
from models.training.trainer import Trainer

__all__ = ["EpochEnd", "TrainEvent", "TrainFailed", "TrainFinished", "TrainStarted",
           "TrainStep", "TrainStopped", "Trainer"]
