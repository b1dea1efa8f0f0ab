"""How the W space dock submits its jobs (GUI thread): the model shown, one ModelCopy per
lane, and a generation so callbacks of a model no longer shown are ignored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from app.jobs import Job, JobService
from app.jobs.copies import ModelCopy
from app.panels.wspace.jobs import LANE, LONG_LANE
from models.opened import OpenedModel


def _drop(copies: ModelCopy) -> Callable[[Job], Iterator[None]]:
    def work(job: Job) -> Iterator[None]:
        copies.drop()  # on the lane thread, where the copy is used
        yield None

    return work


class Runner:
    """Submits the dock's jobs for the model shown (GUI thread).

    `on_error(message)` is called for a failed job of the current model.
    """

    def __init__(self, jobs: JobService, on_error: Callable[[str], None]) -> None:
        self.jobs = jobs
        self.copies = {LANE: ModelCopy(), LONG_LANE: ModelCopy()}
        self.model: OpenedModel | None = None
        self.generation = 0
        self._on_error = on_error
        self._used: set[str] = set()

    def show(self, model: OpenedModel) -> None:
        """Compute with `model` from now on."""
        self.model = model

    def reset(self) -> None:
        """Cancel every job, forget the model and drop the lanes' copies."""
        self.generation += 1
        self.model = None
        if self.jobs.closing:
            return
        for lane in self._used:
            self.jobs.cancel(lane)
            self.jobs.submit(lane, _drop(self.copies[lane]), channel="drop", latest=False)

    def submit(self, lane: str, channel: str,
               make: Callable[[OpenedModel, ModelCopy], Callable[[Job], Iterator[Any]]],
               on_event: Callable[[Any], None],
               on_done: Callable[[str], None] | None = None) -> Job | None:
        """Run `make(model, copy)`'s job on `lane` (latest wins on `channel`); None when no
        model is shown or the window is closing."""
        model = self.model
        if model is None or self.jobs.closing:
            return None
        gen = self.generation
        self._used.add(lane)

        def event(ev: Any) -> None:
            if gen == self.generation and ev is not None:
                on_event(ev)

        def done(status: str) -> None:
            if gen == self.generation and on_done is not None:
                on_done(status)

        def error(message: str, _tb: str) -> None:
            if gen == self.generation:
                self._on_error(message)

        return self.jobs.submit(lane, make(model, self.copies[lane]), channel=channel,
                                on_event=event, on_done=done, on_error=error)

    def cancel(self, lane: str, channel: str | None = None) -> None:
        """Cancel `channel`'s jobs on `lane` (all of them for None)."""
        self.jobs.cancel(lane, channel)
