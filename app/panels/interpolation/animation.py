"""Play and bounce: an animation clock that drives the α slider (GUI thread)."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot

TICK_MS = 33  # ~30 frames a second: smooth, and leaves the CPU to the decoder


def animation_fraction(elapsed_s: float, period_s: float, bounce: bool) -> float:
    """Return the position 0..1 along the path after `elapsed_s` seconds.

    One pass takes `period_s`; a loop jumps back to 0, a bounce runs back (ping-pong).
    """
    phase = max(0.0, elapsed_s) / max(period_s, 1e-6)
    if not bounce:
        return phase % 1.0
    k = phase % 2.0
    return k if k <= 1.0 else 2.0 - k


class Animator(QObject):
    """Ticks while playing; emits position(fraction 0..1) each tick (GUI thread)."""

    position = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.period_s = 3.0
        self.bounce = True
        self._start = 0.0
        self._offset = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def playing(self) -> bool:
        """Return True while the clock runs."""
        return self._timer.isActive()

    def play(self, start_fraction: float = 0.0) -> None:
        """Start from `start_fraction` of the path."""
        self._offset = min(max(start_fraction, 0.0), 1.0) * self.period_s
        self._start = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        """Stop ticking (the slider stays where it is)."""
        self._timer.stop()

    def set_period(self, seconds: float) -> None:
        """Take `seconds` per pass from now on, without jumping."""
        now = time.perf_counter()
        phase = (now - self._start + self._offset) / self.period_s  # passes so far
        self.period_s = max(0.1, seconds)
        if self.playing:  # keep the phase (and a bounce's direction) continuous
            self._offset, self._start = phase * self.period_s, now

    def _fraction(self) -> float:
        return animation_fraction(time.perf_counter() - self._start + self._offset,
                                  self.period_s, self.bounce)

    @Slot()
    def _tick(self) -> None:
        self.position.emit(self._fraction())
