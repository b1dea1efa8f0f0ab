"""What the application is doing and how far the run shown has got (GUI thread)."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass


class JobState(enum.Enum):
    """What the application is doing; the text is shown in the status bar."""

    LOADING = "loading torch…"
    IDLE = "idle"
    PREPARING = "preparing"
    TRAINING = "training"
    PAUSED = "paused"
    STOPPING = "stopping"
    FOLLOWING = "following run"

    @property
    def busy(self) -> bool:
        """Return True while a training job owns the training lane."""
        return self in (JobState.PREPARING, JobState.TRAINING, JobState.PAUSED,
                        JobState.STOPPING)


@dataclass(frozen=True)
class Progress:
    """Where the current run is: counters, rate and estimate."""

    epoch: int = 0  # epochs done
    total_epochs: int = 0
    step: int = 0
    total_steps: int = 0
    images_per_s: float = 0.0
    eta_s: float | None = None

    @property
    def fraction(self) -> float:
        """Return the share of steps done, 0..1."""
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


class RateMeter:
    """Steps per second over the last ~20 s of wall-clock time (includes epoch-end work)."""

    def __init__(self) -> None:
        self._points: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        """Forget every point."""
        self._points.clear()

    def add(self, t: float, step: int) -> None:
        """Record that `step` was reached at time `t` (seconds)."""
        self._points.append((t, step))
        while len(self._points) > 2 and t - self._points[0][0] > 20.0:
            self._points.popleft()

    def steps_per_s(self) -> float:
        """Return the recent rate (0 before two points)."""
        if len(self._points) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._points[0], self._points[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
