"""Recorded runs of the step viewer and the memory-bounded cache holding them (no Qt here).

A RunRecord fills step by step as a worker streams DenoiseSteps. A branch shares its
parent's first steps (the same arrays, never copied). The cache holds at most
`max_bytes` of arrays and drops the least recently used runs that are not on screen.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.panels.diffusion.display import KINDS, latent_strip, to_display
from models.diffusion.events import DenoiseStep, GuidanceParts, PixelViews
from models.diffusion.samplers import SAMPLERS
from models.diffusion.trajectory_io import Trajectory

DEFAULT_MAX_BYTES = 512 * 1024**2
PART_NAMES = ("eps_uncond", "x0_uncond", "eps_cond", "x0_cond")  # GuidanceParts' arrays


@dataclass(frozen=True)
class RunSpec:
    """How a run was made: what the controls said when it started."""

    seed: int
    sampler: str
    steps: int
    eta: float
    n: int
    labels: tuple[int, ...] | None = None
    guidance: float | None = None
    kind: str = "run"  # run | branch | compare | loaded
    branch_from: int = 0  # the first step computed by this run (branches)
    parent_id: int | None = None
    parts: bool = False  # guidance's two branches are recorded too (GuidanceParts)
    # Latent models: x_t, ε̂ and x̂0 are latents; `preview` is the recording's PreviewMode
    # (models/latent_diffusion/recording.py; None for a loaded latent run).
    latent: bool = False
    preview: Any = None

    def describe(self) -> str:
        """Return a one-line description for labels and file names."""
        spec = SAMPLERS.get(self.sampler)  # None: a loaded trajectory's unknown sampler
        text = f"{spec.label if spec else self.sampler} {self.steps} steps, seed {self.seed}"
        if self.preview is not None:
            text += f", {self.preview.describe()}"
        if spec is not None and spec.uses_eta:
            text += f", η {self.eta:g}"
        if self.guidance is not None:
            text += f", guidance {self.guidance:g}"
        if self.kind == "branch":
            text += f" (branched at step {self.branch_from + 1})"
        return text


class RunRecord:
    """One trajectory being recorded or replayed (GUI thread).

    x_t, eps and x0 per step are B×C×S×S float32 arrays in the UNet frame, None until the
    step arrives; `display(i)` memoises the step's uint8 images for instant scrubbing.
    `parts` holds each step's conditional and unconditional ε̂ and x̂0 when the run
    recorded them (`part_display(i)` memoises their images).
    """

    def __init__(self, run_id: int, spec: RunSpec, image_size: int,
                 parent: RunRecord | None = None) -> None:
        self.run_id = run_id
        self.spec = spec
        self.image_size = image_size
        n = spec.steps
        self.timesteps = np.full(n, np.nan)
        self.alpha_bar = np.full(n, np.nan)
        self.x_t: list[np.ndarray | None] = [None] * n
        self.eps: list[np.ndarray | None] = [None] * n
        self.x0: list[np.ndarray | None] = [None] * n
        self.parts: list[GuidanceParts | None] = [None] * n
        self.pixels: list[PixelViews | None] = [None] * n  # latent runs: x̂0 as images
        self.final: np.ndarray | None = None
        self.final_pixels: PixelViews | None = None
        # Counts pixel views added after recording (add_linear_views): pictures made from
        # the run before (the filmstrip's) are stale when it moves.
        self.views_version = 0
        self.status = "running"
        self.nbytes = 0
        self._display: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._part_display: dict[int, dict[str, np.ndarray]] = {}
        if parent is not None:  # a branch starts with its parent's steps before branch_from
            for i in range(min(spec.branch_from, parent.num_steps)):
                if parent.has(i):  # (and their guidance branches only if it records its own)
                    self._store(i, parent.timesteps[i], parent.alpha_bar[i], parent.x_t[i],
                                parent.eps[i], parent.x0[i],
                                parent.parts[i] if spec.parts else None, parent.pixels[i])

    # --- filling -----------------------------------------------------------------------
    @property
    def num_steps(self) -> int:
        """Return the number of steps the run has (or will have)."""
        return len(self.x_t)

    def add(self, step: DenoiseStep) -> None:
        """Record a streamed step."""
        self._store(step.index, step.timestep, step.alpha_bar, step.x_t, step.eps, step.x0,
                    step.parts, step.pixels)

    def _store(self, i: int, t: float, ab: float, x_t: Any, eps: Any, x0: Any,
               parts: GuidanceParts | None = None, pixels: PixelViews | None = None) -> None:
        if self.x_t[i] is None:
            self.nbytes += x_t.nbytes + eps.nbytes + x0.nbytes + \
                (parts.nbytes if parts is not None else 0) + \
                (pixels.nbytes if pixels is not None else 0)
        self.timesteps[i], self.alpha_bar[i] = t, ab
        self.x_t[i], self.eps[i], self.x0[i], self.parts[i] = x_t, eps, x0, parts
        self.pixels[i] = pixels
        self._display.pop(i, None)
        self._part_display.pop(i, None)

    def set_final(self, final: np.ndarray, pixels: PixelViews | None = None) -> None:
        """Record the sampler's output after the last step (latent runs: its images)."""
        self.final = final
        self.final_pixels = pixels
        self.nbytes += final.nbytes + (pixels.nbytes if pixels is not None else 0)

    def has(self, i: int) -> bool:
        """Return True when step i has arrived."""
        return 0 <= i < self.num_steps and self.x_t[i] is not None

    @property
    def available(self) -> int:
        """Return how many steps from the first have arrived without a gap."""
        for i, x in enumerate(self.x_t):
            if x is None:
                return i
        return self.num_steps

    # --- reading -----------------------------------------------------------------------
    def arrays(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the cached (x_t, ε̂, x̂0) of step i; KeyError if it has not arrived."""
        x_t, eps, x0 = self.x_t[i], self.eps[i], self.x0[i]
        if x_t is None or eps is None or x0 is None:
            raise KeyError(f"step {i} has not arrived")
        return x_t, eps, x0

    def display(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return step i's (x_t, ε̂, x̂0) as uint8 B×H×W×C images (memoised)."""
        shown = self._display.get(i)
        if shown is None and self.spec.latent:
            x_t, eps, _x0 = self.arrays(i)
            shown = (latent_strip(x_t), latent_strip(eps), self._pixel_image(self.pixels[i]))
            self._display[i] = shown
            self.nbytes += sum(a.nbytes for a in shown)
        if shown is None:
            arrays = self.arrays(i)
            shown = tuple(to_display(a, k, self.image_size)  # type: ignore[assignment]
                          for a, k in zip(arrays, KINDS, strict=True))
            self._display[i] = shown  # type: ignore[assignment]
            self.nbytes += sum(a.nbytes for a in shown)
        return shown  # type: ignore[return-value]

    def _pixel_image(self, pixels: PixelViews | None) -> np.ndarray:
        """Return a latent step's best x̂0 image as uint8 B×H×W×C: decoded if it was,
        else the linear preview, else mid-grey (a loaded run records neither)."""
        views = [] if pixels is None else [pixels.decoded, pixels.linear]
        image = next((v for v in views if v is not None), None)
        if image is None:
            return np.full((self.spec.n, self.image_size, self.image_size, 1), 128, np.uint8)
        return to_display(image * 2.0 - 1.0, "x0", self.image_size)

    def decoded_at(self, frame: int) -> tuple[int, PixelViews] | None:
        """Return (step, views) of the latest step ≤ `frame` decoded by the real decoder
        (the final frame: the decoded final sample), or None."""
        if self.is_final(frame):
            views = self.final_pixels
            return None if views is None or views.decoded is None else (frame, views)
        for k in range(min(frame, self.num_steps - 1), -1, -1):
            views = self.pixels[k]
            if views is not None and views.decoded is not None:
                return k, views
        return None

    def frame_pixels(self, frame: int) -> PixelViews | None:
        """Return a frame's pixel views (the final frame: the final sample's)."""
        if self.is_final(frame):
            return self.final_pixels
        return self.pixels[frame] if 0 <= frame < self.num_steps else None

    def add_linear_views(self, preview: Any, scaling_factor: float) -> None:
        """Give a latent run recorded without pixel views (a loaded file) the linear
        preview of every step's x̂0 and of the final sample (numpy, a few ms a step)."""
        for i, x0 in enumerate(self.x0):
            if x0 is not None and self.pixels[i] is None:
                self.pixels[i] = PixelViews(preview.apply_scaled(x0, scaling_factor), None)
                self.nbytes += self.pixels[i].nbytes  # type: ignore[union-attr]
                self._display.pop(i, None)
        if self.final is not None and self.final_pixels is None:
            self.final_pixels = PixelViews(preview.apply_scaled(self.final, scaling_factor),
                                           None)
            self.nbytes += self.final_pixels.nbytes
            self._display.pop(self.num_steps, None)
        self.views_version += 1

    def preview_cost(self) -> tuple[float, float, int] | None:
        """Return the measured means over the steps recorded by this run itself (not a
        branch's shared first steps): (preview ms/step, sampler ms/step, steps), or None."""
        views = [p for p in self.pixels[self.spec.branch_from:] if p is not None]
        if not views:
            return None
        return (float(np.mean([p.preview_ms for p in views])),
                float(np.mean([p.step_ms for p in views])), len(views))

    def part_display(self, i: int) -> dict[str, np.ndarray] | None:
        """Return step i's guidance branches as uint8 B×H×W×C images by name (eps_cond,
        x0_cond, eps_uncond, x0_uncond; memoised), or None when the run has none."""
        shown = self._part_display.get(i)
        parts = self.parts[i] if 0 <= i < self.num_steps else None
        if shown is None and parts is not None:
            shown = {name: to_display(getattr(parts, name), name.split("_")[0],
                                      self.image_size) for name in PART_NAMES}
            self._part_display[i] = shown
            self.nbytes += sum(a.nbytes for a in shown.values())
        return shown

    # --- frames: every step, then the final image at t = 0 ------------------------------
    @property
    def frames(self) -> int:
        """Return the positions a viewer can show: each step, then the final image."""
        return self.num_steps + 1

    @property
    def frames_available(self) -> int:
        """Return how many frames from the first can be shown: the steps that arrived,
        and the final image once it arrived after them."""
        n = self.available
        return n + 1 if n == self.num_steps and self.final is not None else n

    def is_final(self, frame: int) -> bool:
        """Return True for the frame after the last step: the sampler's output."""
        return frame == self.num_steps

    def frame_time(self, frame: int) -> tuple[float, float]:
        """Return (t, ᾱ_t) of a frame; the final image is at t = 0, ᾱ = 1 (no noise)."""
        if self.is_final(frame):
            return 0.0, 1.0
        return float(self.timesteps[frame]), float(self.alpha_bar[frame])

    def frame_display(self, frame: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return a frame's (x_t, ε̂, x̂0) as uint8 images; the final frame shows the
        output as both x_t and x̂0 and no noise left to predict (a flat ε̂)."""
        if not self.is_final(frame):
            return self.display(frame)
        shown = self._display.get(frame)
        if shown is None:
            if self.final is None:
                raise KeyError("the final image has not arrived")
            if self.spec.latent:
                out = self._pixel_image(self.final_pixels)
                flat = latent_strip(np.zeros_like(self.final))
                shown = self._display[frame] = (latent_strip(self.final), flat, out)
                self.nbytes += sum(a.nbytes for a in shown)
                return shown
            out = to_display(self.final, "x0", self.image_size)
            flat = to_display(np.zeros_like(self.final), "eps", self.image_size)
            shown = self._display[frame] = (out, flat, out)
            self.nbytes += out.nbytes + flat.nbytes
        return shown

    def final_display(self) -> np.ndarray | None:
        """Return the final sample as uint8 B×H×W×C, or None before it arrives."""
        if self.final is None:
            return None
        if self.spec.latent:
            return self._pixel_image(self.final_pixels)
        return to_display(self.final, "x0", self.image_size)

    def to_trajectory(self, extra_meta: dict[str, Any] | None = None) -> Trajectory:
        """Return the complete run as a Trajectory (ValueError while steps are missing);
        `extra_meta` adds facts the run does not know (the model's departures)."""
        if self.available < self.num_steps or self.final is None:
            raise ValueError("the run has not finished: wait for its last step")
        meta = {"sampler": self.spec.sampler, "steps": self.spec.steps, "eta": self.spec.eta,
                "seed": self.spec.seed, "guidance": self.spec.guidance,
                "labels": None if self.spec.labels is None else list(self.spec.labels),
                "image_size": self.image_size, "kind": self.spec.kind,
                "branch_from": self.spec.branch_from, **(extra_meta or {})}
        if self.spec.latent:
            meta["latent"] = True
        return Trajectory(self.timesteps.copy(), self.alpha_bar.copy(),
                          np.stack(self.x_t), np.stack(self.eps),  # type: ignore[arg-type]
                          np.stack(self.x0), self.final, 0, meta)  # type: ignore[arg-type]

    @classmethod
    def from_trajectory(cls, run_id: int, traj: Trajectory,
                        image_size: int | None = None) -> RunRecord:
        """Return a finished record replaying a loaded Trajectory (its steps from the first)."""
        meta = traj.meta
        labels = meta.get("labels")
        size = int(meta.get("image_size") or image_size or traj.x_t.shape[-1])
        # Latents are smaller than the images (a pixel UNet's frame only ever pads): a file
        # that does not say it holds latents (a precomputed one) is still read as such.
        latent = bool(meta.get("latent")) or traj.x_t.shape[-1] < size
        spec = RunSpec(int(meta.get("seed", 0)), str(meta.get("sampler", "?")),
                       traj.num_steps, float(meta.get("eta") or 0.0), int(traj.x_t.shape[1]),
                       None if labels is None else tuple(int(v) for v in labels),
                       meta.get("guidance"), "loaded", latent=latent)
        rec = cls(run_id, spec, size)
        for k in range(traj.num_steps):
            rec._store(k, float(traj.timesteps[k]), float(traj.alpha_bar[k]), traj.x_t[k],
                       traj.eps[k], traj.x0[k])
        rec.set_final(traj.final)
        rec.status = "done"
        return rec


def estimate_bytes(spec: RunSpec, channels: int, model_size: int, image_size: int,
                   image_channels: int | None = None) -> int:
    """Return the bytes a run of `spec` will hold: float32 x_t, ε̂, x̂0 and uint8 displays,
    and as many again for each guidance branch's ε̂ and x̂0 when it records them; a latent
    run (`channels` latent channels) adds two float32 images and their display per step."""
    arrays = 3 + (len(PART_NAMES) if spec.parts else 0)
    per_step = spec.n * channels * arrays * (4 * model_size**2 + image_size**2)
    if spec.latent:
        per_step += spec.n * (image_channels or 1) * 9 * image_size**2
    return spec.steps * per_step


class TrajectoryCache:
    """Runs by id, least recently used first, holding at most `max_bytes` (GUI thread).

    Runs in `pinned` (the ones on screen or still running) are never dropped.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.runs: OrderedDict[int, RunRecord] = OrderedDict()
        self.pinned: set[int] = set()

    def add(self, record: RunRecord) -> list[int]:
        """Add `record` as the most recent run; return the ids of runs dropped to fit."""
        self.runs[record.run_id] = record
        return self.trim()

    def get(self, run_id: int | None) -> RunRecord | None:
        """Return run `run_id` (marking it recently used) or None if absent or dropped."""
        if run_id is None or run_id not in self.runs:
            return None
        self.runs.move_to_end(run_id)
        return self.runs[run_id]

    @property
    def total_bytes(self) -> int:
        """Return the bytes held by every cached run."""
        return sum(r.nbytes for r in self.runs.values())

    def trim(self) -> list[int]:
        """Drop the least recently used unpinned runs until within the bound; return ids."""
        dropped: list[int] = []
        total = self.total_bytes
        for run_id in list(self.runs):
            if total <= self.max_bytes:
                break
            if run_id in self.pinned:
                continue
            total -= self.runs.pop(run_id).nbytes
            dropped.append(run_id)
        return dropped

    def fits(self, nbytes: int) -> bool:
        """Return True when a run of `nbytes` can be held beside the pinned runs."""
        pinned = sum(r.nbytes for i, r in self.runs.items() if i in self.pinned)
        return pinned + nbytes <= self.max_bytes
