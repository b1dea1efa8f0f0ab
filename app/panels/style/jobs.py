"""The Style dock's background work: one "style" lane, one latest-wins channel.

Only the section on screen computes, so its views share one channel: a section shown or a
setting changed replaces whatever the lane was filling. A fill renders a slider's
positions, those nearest the slider first, and yields each as (key, position, Frame); the
GUI keeps them, so a position once rendered repaints without the lane.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from app.jobs import Job
from app.jobs.job import Work
from app.panels.style.render import Frame, StyleRenderer

LANE = "style"
CHANNEL = "view"

Render = Callable[[StyleRenderer, int], Frame]


class FillPlan:
    """The positions a fill has still to render and the one wanted next.

    The GUI thread sets `wanted` as the slider moves (one int: atomic to read); the lane
    alone takes positions (`take`), nearest the wanted one first. A drag thus steers the
    running fill instead of cancelling it: a fill restarted at every slider event would
    have its every frame dropped as stale while the drag lasts.
    """

    def __init__(self, positions: Iterable[int], wanted: int) -> None:
        self.remaining = set(positions)
        self.wanted = wanted

    def take(self) -> int | None:
        """Return the remaining position nearest `wanted` (ties: the lower), or None when
        all are taken (lane thread)."""
        if not self.remaining:
            return None
        wanted = self.wanted
        position = min(self.remaining, key=lambda p: (abs(p - wanted), p))
        self.remaining.discard(position)
        return position


def fill_work(renderer: StyleRenderer, render: Render, key: object, plan: FillPlan) -> Work:
    """Return the job body rendering the positions of `plan` (lane thread): it yields
    (key, position, Frame) for each, fresh arrays never touched again on the lane."""

    def work(job: Job) -> Iterator[Any]:
        while (position := plan.take()) is not None:
            yield key, position, render(renderer, position)

    return work
