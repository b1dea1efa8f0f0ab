"""The Style dock's background work: one "style" lane, one latest-wins channel.

Only the section on screen computes, so its views share one channel: a section shown or a
setting changed replaces whatever the lane was filling. A fill renders a slider's
positions nearest first and yields each as (key, position, Frame); the GUI keeps them, so
a position once rendered repaints without the lane.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from app.jobs import Job
from app.jobs.job import Work
from app.panels.style.render import Frame, StyleRenderer

LANE = "style"
CHANNEL = "view"

Render = Callable[[StyleRenderer, int], Frame]


def fill_order(start: int, positions: Sequence[int], done: set[int]) -> list[int]:
    """Return `positions` not in `done`, nearest `start` first (ties: the lower first)."""
    return sorted((p for p in positions if p not in done), key=lambda p: (abs(p - start), p))


def fill_work(renderer: StyleRenderer, render: Render, key: object,
              order: Sequence[int]) -> Work:
    """Return the job body rendering `order`'s positions (lane thread): it yields
    (key, position, Frame) for each, fresh arrays never touched again on the lane."""

    def work(job: Job) -> Iterator[Any]:
        for position in order:
            yield key, position, render(renderer, position)

    return work
