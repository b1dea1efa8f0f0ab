"""One job: a generator run on a lane thread, stopped or paused between its yields."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Work = Callable[["Job"], Iterator[Any]]
"""A job's body: called on its lane thread with the job, returns the generator to iterate.

It may yield None as a heartbeat: the worker checks for a stop there and shows nothing.
"""


class JobPaused:
    """Delivered to `on_event` when a paused job has stopped between two yields."""


class JobResumed:
    """Delivered to `on_event` when a paused job continues."""


@dataclass(eq=False)
class Job:
    """A submitted job and its controls (any thread may call cancel, pause and resume).

    `stop`, when given, makes cancellation graceful: it is called once instead of closing
    the generator, which then ends by itself (training saves and reports how it stopped)
    and its events keep arriving. Without it, the generator is closed at its next yield and
    nothing it produced after the cancel is delivered.
    """

    id: int
    lane: str
    channel: str
    work: Work = field(repr=False)
    on_event: Callable[[Any], None] | None = field(default=None, repr=False)
    on_done: Callable[[str], None] | None = field(default=None, repr=False)
    on_error: Callable[[str, str], None] | None = field(default=None, repr=False)
    stop: Callable[[], None] | None = field(default=None, repr=False)
    status: str = "queued"  # queued, running, done, cancelled, failed
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _run: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        self._run.set()

    def cancel(self) -> None:
        """Ask the job to end at its next yield (gracefully when it has a `stop` hook)."""
        if self._cancel.is_set():
            return
        self._cancel.set()
        self._run.set()  # a paused job must wake up to end
        if self.stop is not None:
            self.stop()

    @property
    def cancelled(self) -> bool:
        """Return True once cancel() was called."""
        return self._cancel.is_set()

    @property
    def dropped(self) -> bool:
        """Return True when the job's later results must not be shown (cancelled, not graceful)."""
        return self._cancel.is_set() and self.stop is None

    def pause(self) -> None:
        """Ask the job to wait at its next yield."""
        if not self._cancel.is_set():
            self._run.clear()

    def resume(self) -> None:
        """Let a paused job continue."""
        self._run.set()

    @property
    def pause_requested(self) -> bool:
        """Return True while the job is asked to wait."""
        return not self._run.is_set()

    def wait_while_paused(self) -> None:
        """Block (lane thread) until resumed or cancelled."""
        self._run.wait()
