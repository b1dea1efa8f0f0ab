"""A lane: one daemon thread running its jobs one after another (no Qt in here).

Jobs on a lane share its thread, so they may share what the lane's jobs build (a model
copy) without locks. A daemon thread can be abandoned: a job blocked in I/O or a long
kernel never keeps the application from closing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app.jobs.errors import describe
from app.jobs.job import Job, JobPaused, JobResumed

Deliver = Callable[[Job, str, Any], None]
"""Called on the lane thread with (job, kind, payload); kind is event, error or end."""


class Lane:
    """Runs submitted jobs in order on its own daemon thread named `latentlab-<name>`."""

    def __init__(self, name: str, deliver: Deliver) -> None:
        self.name = name
        self._deliver = deliver
        self._cond = threading.Condition()
        self._queue: deque[Job] = deque()
        self.current: Job | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name=f"latentlab-{name}",
                                        daemon=True)
        self._thread.start()

    # --- any thread ----------------------------------------------------------------------
    def put(self, job: Job, latest: bool) -> None:
        """Queue `job`; with `latest`, older jobs of its channel are cancelled first."""
        with self._cond:
            if self._closing:
                raise RuntimeError("the application is closing")
            if latest:
                self._cancel_channel(job.channel)
            self._queue.append(job)
            self._cond.notify()

    def cancel(self, channel: str | None = None) -> None:
        """Cancel the queued and running jobs of `channel` (all of them when None)."""
        with self._cond:
            self._cancel_channel(channel)

    def _cancel_channel(self, channel: str | None) -> None:
        for job in (*self._queue, self.current):
            if job is not None and (channel is None or job.channel == channel):
                job.cancel()

    def jobs(self) -> list[Job]:
        """Return the running job and the queued ones, oldest first."""
        with self._cond:
            return [j for j in (self.current, *self._queue) if j is not None]

    def close(self) -> None:
        """Cancel everything and let the thread end once its current job has."""
        with self._cond:
            self._closing = True
            self._cancel_channel(None)
            self._cond.notify()

    def join(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the thread to end; return True if it did."""
        self._thread.join(max(0.0, timeout_s))
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        """Return True while the thread runs."""
        return self._thread.is_alive()

    # --- the lane's thread -----------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
                job = self.current = self._queue.popleft()
            try:
                self._run(job)
            finally:
                with self._cond:
                    self.current = None

    def _run(self, job: Job) -> None:
        if job.cancelled:
            self._end(job, "cancelled")
            return
        job.status = "running"
        status = "done"
        try:
            events = job.work(job)
            try:
                for event in events:
                    if job.dropped:
                        break
                    if event is not None:
                        self._deliver(job, "event", event)
                    if job.pause_requested:
                        self._deliver(job, "event", JobPaused())
                        job.wait_while_paused()
                        self._deliver(job, "event", JobResumed())
                if job.dropped:
                    status = "cancelled"
            finally:
                events.close()  # runs the generator's finally blocks on this thread
        except Exception as exc:
            status = "cancelled" if job.dropped else "failed"
            if status == "failed":
                self._deliver(job, "error", describe(exc))
        self._end(job, status)

    def _end(self, job: Job, status: str) -> None:
        job.status = status
        self._deliver(job, "end", status)


def join_all(lanes: list[Lane], timeout_s: float) -> list[str]:
    """Close every lane and wait for them until `timeout_s` has passed in all.

    Return the names of the lanes still running then (abandoned: their daemon threads
    end with the process).
    """
    for lane in lanes:
        lane.close()
    deadline = time.monotonic() + timeout_s
    for lane in lanes:
        lane.join(deadline - time.monotonic())
    return [lane.name for lane in lanes if lane.alive]
