"""A pipeline run as the dock holds it: its start event, its recorded steps and final
images, and for a branch the run it branched from (no Qt: numbers and numpy arrays)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.diffusion.events import DenoiseFinished, PixelViews
from models.pipelines.events import PipelineStarted, PipelineStep

# The x̂0 previews a run offers: the full VAE (every N steps), the tiny decoder, the linear map.
VAE, TINY, LINEAR = "vae", "tiny", "linear"
DECODER_LABELS = {VAE: "Full VAE", TINY: "Tiny decoder", LINEAR: "Linear map"}
BRANCHES = ("uncond", "cond", "guided")


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Return uint8 H×W×3 of the first of B×3×H×W float images in [0, 1], or of B×H×W×3
    uint8 images (a step's previews, compacted on the lane: jobs.compact)."""
    if images.dtype == np.uint8:
        return np.ascontiguousarray(images[0])
    x = np.clip(np.asarray(images[0], np.float32), 0.0, 1.0).transpose(1, 2, 0)
    return (x * 255.0 + 0.5).astype(np.uint8)


@dataclass
class PipelineRun:
    """One run: `request` (TextRequest's fields; the lane builds the request), what its
    start said, steps by schedule index, the final images; `parent` and `branch_index`
    for a branch (its steps before the branch are the parent's)."""

    request: dict[str, Any]
    mode: str
    started: PipelineStarted | None = None
    steps: dict[int, PipelineStep] = field(default_factory=dict)
    finished: DenoiseFinished | None = None
    parent: PipelineRun | None = None
    branch_index: int = 0
    status: str = "running"  # running, done, cancelled, failed

    @property
    def total(self) -> int:
        """Return the schedule's step count (0 before the start event)."""
        return self.started.num_steps if self.started is not None else 0

    @property
    def first_index(self) -> int:
        """Return the first schedule index this run (or its parent) recorded."""
        if self.parent is not None:
            return self.parent.first_index
        return int(self.started.meta.get("start_index", 0)) if self.started else 0

    def add(self, event: Any) -> None:
        """Record a run_pipeline event."""
        if isinstance(event, PipelineStarted):
            self.started = event
        elif isinstance(event, PipelineStep):
            self.steps[event.step.index] = event
        elif isinstance(event, DenoiseFinished):
            self.finished = event

    def step(self, index: int) -> PipelineStep | None:
        """Return step `index`: this run's, or before a branch its parent's; None when
        not recorded (yet)."""
        if self.parent is not None and index < self.branch_index:
            return self.parent.step(index)
        return self.steps.get(index)

    def last_index(self) -> int | None:
        """Return the newest recorded schedule index, None before any step."""
        if self.steps:
            return max(self.steps)
        if self.parent is not None:
            return self.parent.last_index()
        return None

    def views(self, index: int, branch: str = "guided") -> PixelViews | None:
        """Return step `index`'s x̂0 previews of `branch` (uncond, cond or guided)."""
        step = self.step(index)
        if step is None:
            return None
        return {"uncond": step.uncond, "cond": step.cond}.get(branch, step.step.pixels)

    def image(self, index: int, decoder: str, branch: str = "guided"
              ) -> tuple[np.ndarray | None, int | None]:
        """Return (uint8 x̂0 of step `index` through `decoder`, the step it was decoded
        at): the full VAE's latest decoded step ≤ index when this one was skipped; the
        linear map when the decoder asked for gave nothing."""
        if decoder == VAE:
            for k in range(index, self.first_index - 1, -1):
                views = self.views(k, branch)
                if views is not None and views.decoded is not None:
                    return to_uint8(views.decoded), k
        views = self.views(index, branch)
        if views is None:
            return None, None
        if decoder == TINY and views.tiny is not None:
            return to_uint8(views.tiny), index
        if views.linear is not None:
            return to_uint8(views.linear), index
        return None, None

    def final_image(self) -> np.ndarray | None:
        """Return the final image (the VAE's), uint8 H×W×3; None until the run ends."""
        if self.finished is None or self.finished.pixels is None:
            return None
        pixels = self.finished.pixels
        images = pixels.decoded if pixels.decoded is not None else pixels.linear
        return None if images is None else to_uint8(images)

    def tokens(self) -> list[str]:
        """Return the prompt's text positions the attention maps count (empty: none)."""
        if self.started is None:
            return []
        return list(self.started.meta.get("tokens", []))


# The settings a comparison names when they differ, in the order it names them.
COMPARED = ("mode", "prompt", "negative_prompt", "seed", "steps", "sampler", "guidance",
            "eta", "strength", "control_scale", "class_label")


def matching_index(a: PipelineRun, b: PipelineRun, index: int) -> int:
    """Return run B's schedule index shown beside run A's `index`: the same one for a
    branch or equal step counts, else the one at the same fraction of the way."""
    if b.parent is not None or a.total == b.total or b.total == 0:
        return index
    a_span = max(1, a.total - 1 - a.first_index)
    frac = (index - a.first_index) / a_span
    return b.first_index + round(frac * (b.total - 1 - b.first_index))


def _setting(run: PipelineRun, key: str) -> Any:
    if key == "mode":
        return run.mode
    if key == "sampler" and run.started is not None:
        return run.started.meta.get("scheduler", run.request.get(key))
    return run.request.get(key)


def differences(a: PipelineRun, b: PipelineRun) -> str:
    """Return one line naming the settings where `b` differs from `a` (B's value, then
    A's), or saying they are the same."""
    parts = []
    for key in COMPARED:
        va, vb = _setting(a, key), _setting(b, key)
        if va != vb and not (key == "negative_prompt" and not va and not vb):
            show = (lambda v: f"“{v}”") if isinstance(vb, str) and "prompt" in key else str
            parts.append(f"{key.replace('_', ' ')} {show(vb)} (A: {show(va)})")
    who = f"Branch from step {b.branch_index + 1}" if b.parent is not None else "B"
    return f"{who} differs in: " + "; ".join(parts) if parts else \
        f"{who} has run A's settings"
