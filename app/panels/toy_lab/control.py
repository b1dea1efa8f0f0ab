"""Play, pause, one step and stop of a toy-lab run, shared by the GUI and the toy lane."""

from __future__ import annotations

import threading


class ToyControl:
    """What the training loop should do next (any thread may call every method).

    The GUI thread sets it; the lane reads it between steps, so a pause or a stop always
    lands between two training steps and a single step is exactly one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._playing = False
        self._single = 0  # single steps asked for while paused
        self._stopped = False
        self._views_dirty = False  # view options changed: redraw even while paused
        self._idle = False  # the lane found nothing to do (every asked step shown)
        # the view and live-training options by key (views/*.py OPTIONS); the GUI thread
        # replaces the whole dict, so the lane always reads one consistent set
        self.options: dict[str, bool | float | str] = {}

    def play(self) -> None:
        """Train continuously."""
        with self._cond:
            self._playing = True
            self._cond.notify_all()

    def pause(self) -> None:
        """Stop after the step under way (single steps still queued are dropped)."""
        with self._cond:
            self._playing = False
            self._single = 0

    def step(self) -> None:
        """Train exactly one more step (while paused)."""
        with self._cond:
            if not self._playing:
                self._single += 1
                self._cond.notify_all()

    def stop(self) -> None:
        """End the run after the step under way."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def views_changed(self) -> None:
        """Ask for a new snapshot (a view option changed)."""
        with self._cond:
            self._views_dirty = True
            self._cond.notify_all()

    @property
    def idle(self) -> bool:
        """Return True once the lane, paused, has done every step and view asked for: the
        last view it built is on its way to the GUI (tests wait for this)."""
        with self._cond:
            return self._idle and not (self._playing or self._single or self._views_dirty)

    @property
    def playing(self) -> bool:
        """Return True while training continuously."""
        return self._playing

    @property
    def stopped(self) -> bool:
        """Return True once the run is to end."""
        return self._stopped

    def wait_views(self, timeout_s: float) -> str:
        """Wait at most `timeout_s` for a stop or a view change, consuming neither play
        nor single steps (a slow-motion stage is held this way); return "stop", "views"
        or "" (lane thread)."""
        with self._cond:
            if not (self._stopped or self._views_dirty):
                self._cond.wait(timeout_s)
            if self._stopped:
                return "stop"
            if self._views_dirty:
                self._views_dirty = False
                return "views"
            return ""

    def next_action(self, timeout_s: float) -> str:
        """Return "step", "views", "stop" or "idle" after waiting at most `timeout_s` for
        something to do (lane thread)."""
        with self._cond:
            if not (self._stopped or self._playing or self._single or self._views_dirty):
                self._cond.wait(timeout_s)
            if self._stopped:
                return "stop"
            self._idle = False
            if self._playing:
                return "step"
            if self._single:
                self._single -= 1
                return "step"
            if self._views_dirty:
                self._views_dirty = False
                return "views"
            self._idle = True
            return "idle"
