"""The job service: every long task of the window runs through it (GUI thread).

A job is a generator (see `app.jobs.job.Work`) run on a lane: one daemon thread per lane,
jobs in order. Cancellation has one rule: a new job on a channel cancels the older ones of
that channel (latest wins), and results of a cancelled job are dropped here, so a stale
hover decode or a superseded trajectory never reaches a panel. Events, errors and ends are
delivered on the GUI thread to the callbacks given at submit time.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.jobs.job import Job, Work
from app.jobs.lane import Lane, join_all
from app.log import log


class JobService(QObject):
    """Owns every worker thread (GUI thread). Emits failed(lane, message) for jobs that
    fail without an `on_error` callback."""

    failed = Signal(str, str)
    _delivered = Signal(object, str, object)  # (job, kind, payload), from lane threads

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lanes: dict[str, Lane] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self.abandoned: list[str] = []  # lanes still running when await_all gave up
        self._delivered.connect(self._on_delivered)

    # --- requests ------------------------------------------------------------------------
    def submit(self, lane: str, work: Work, *, channel: str | None = None,
               on_event: Callable[[Any], None] | None = None,
               on_done: Callable[[str], None] | None = None,
               on_error: Callable[[str, str], None] | None = None,
               stop: Callable[[], None] | None = None, latest: bool = True) -> Job:
        """Run `work` on `lane` after the jobs queued there; return its Job.

        With `latest` (the default), queued and running jobs of the same `channel` (default:
        the lane) are cancelled first. `on_done(status)` always comes last, with "done",
        "cancelled" or "failed". `stop` makes cancelling graceful (see Job).
        """
        if self._closed:
            raise RuntimeError("the application is closing")
        job = Job(next(self._ids), lane, channel or lane, work, on_event, on_done,
                  on_error, stop)
        self._lane(lane).put(job, latest)
        return job

    def cancel(self, lane: str, channel: str | None = None) -> None:
        """Cancel the jobs of `channel` on `lane` (every job of the lane when None)."""
        if lane in self._lanes:
            self._lanes[lane].cancel(channel)

    def busy(self, lane: str, channel: str | None = None) -> bool:
        """Return True while a job of `channel` (any, when None) is queued or running."""
        return any(not j.dropped and (channel is None or j.channel == channel)
                   for j in self.jobs(lane))

    def jobs(self, lane: str) -> list[Job]:
        """Return the running and queued jobs of `lane`."""
        return self._lanes[lane].jobs() if lane in self._lanes else []

    def await_all(self, timeout_s: float = 2.0) -> bool:
        """Cancel every job, wait up to `timeout_s` for the lanes, and stop delivering.

        Graceful jobs (training) get the time to end properly (the trainer saves). Lanes
        still busy then are abandoned, named in `abandoned`; return True if none was.
        """
        if self._closed:
            return not self.abandoned
        self._closed = True
        t0 = time.monotonic()
        self.abandoned = join_all(list(self._lanes.values()), timeout_s)
        if self.abandoned:
            log.warning("abandoned after %.1f s: %s", time.monotonic() - t0,
                        ", ".join(self.abandoned))
        return not self.abandoned

    @property
    def closing(self) -> bool:
        """Return True once await_all has been called: no job may be submitted any more."""
        return self._closed

    def threads_running(self) -> list[str]:
        """Return the thread names of lanes still alive (for tests and the self-test)."""
        return [f"latentlab-{name}" for name, lane in self._lanes.items() if lane.alive]

    # --- internals -----------------------------------------------------------------------
    def _lane(self, name: str) -> Lane:
        lane = self._lanes.get(name)
        if lane is None:
            lane = self._lanes[name] = Lane(name, self._deliver)
        return lane

    def _deliver(self, job: Job, kind: str, payload: Any) -> None:
        """Hand a result to the GUI thread (lane thread)."""
        try:
            self._delivered.emit(job, kind, payload)
        except RuntimeError:
            pass  # the service was deleted while an abandoned job ran on

    @Slot(object, str, object)
    def _on_delivered(self, job: Job, kind: str, payload: Any) -> None:
        if self._closed:
            return
        if kind == "end":
            if job.on_done is not None:
                # A job cancelled after its last yield had its events dropped here.
                job.on_done("cancelled" if job.dropped else payload)
            return
        if job.dropped:
            return  # superseded or cancelled: its results are stale
        if kind == "event":
            if job.on_event is not None:
                job.on_event(payload)
        elif kind == "error":
            message, tb = payload
            log.error("%s job failed: %s\n%s", job.lane, message, tb)
            if job.on_error is not None:
                job.on_error(message, tb)
            else:
                self.failed.emit(job.lane, message)
