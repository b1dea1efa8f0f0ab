"""Slow motion on the toy lane: one training step shown stage by stage, each stage's
view held about a second (GAN Lab's slow motion). No Qt here."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator

from app.panels.toy_lab.control import ToyControl
from app.panels.toy_lab.snapshot import ToyView, ViewBuilder

STAGE_S = 0.8  # how long each stage stays on screen
POLL_S = 0.05  # a held stage yields this often, so the job can be cancelled


class SlowStep:
    """Runs one step of a staged family (its view module's `staged_step`) while holding
    each stage on screen (toy lane).

    Pausing mid-step holds the stage reached until Play (go on) or Step (finish this step,
    stage by stage); Stop ends it at once; unticking slow motion finishes the step without
    holding; a view option changed during a hold redraws that stage."""

    def __init__(self, control: ToyControl, views: ViewBuilder, staged,
                 enabled, hold_s: float | None = None) -> None:
        self.control = control
        self.views = views
        self.staged = staged  # (model, grids) -> iterator of stages
        self.enabled = enabled  # (options) -> bool: slow motion is on
        self.hold_s = STAGE_S if hold_s is None else hold_s

    def on(self) -> bool:
        """Return True while slow motion is ticked."""
        return bool(self.enabled(self.control.options))

    def run(self, rate: float) -> Generator[ToyView | None, None, dict[str, float] | None]:
        """Yield each stage's view and heartbeats while it is held; return the step's
        losses, or None when the run was stopped mid-step (the step is then dropped)."""
        stages = self.staged(self.views.model, self.views.grids)
        losses: dict[str, float] = {}
        self._playing = self.control.playing  # else a single step (Step) is under way
        try:
            for stage in stages:
                losses = stage.losses or losses
                if not self.on():
                    continue  # unticked mid-step: finish it unseen
                yield self._view(rate, losses, stage.name)
                if not (yield from self._hold(rate, losses, stage.name)):
                    return None
        finally:
            stages.close()
        return losses

    def _view(self, rate: float, losses: dict[str, float], name: str) -> ToyView:
        return self.views.build(rate, losses, stage=name)

    def _hold(self, rate: float, losses: dict[str, float],
              name: str) -> Iterator[ToyView | None]:
        """Hold the stage `name`; return False when the run is to stop."""
        c = self.control
        end = time.perf_counter() + self.hold_s
        while self.on():
            if self._playing and not c.playing:  # paused mid-step: wait for Play or Step
                action = c.next_action(POLL_S)
                if action == "stop":
                    return False
                if action == "step":  # Play again, or Step: on to the next stage
                    self._playing = c.playing
                    return True
                yield self._view(rate, losses, name) if action == "views" else None
                continue
            remaining = end - time.perf_counter()
            if remaining <= 0:
                return True
            event = c.wait_views(min(POLL_S, remaining))
            if event == "stop":
                return False
            yield self._view(rate, losses, name) if event == "views" else None
        return not c.stopped
