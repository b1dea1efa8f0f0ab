"""A pipeline run saved whole: models/diffusion/trajectory_io.py's trajectory (x_t, ε̂, x̂0
per step, the final latents, the settings) plus what a pipeline run adds — the guidance
branches' x̂0, the per-token cross-attention maps and a branch — in one .npz.

Old readers (`Trajectory.load`) still read these files: the added arrays sit beside the
trajectory's own keys. Files without them (saved before, or by `Trajectory.save`) load
with those parts None.

Sizes are bounded by keeping the latent x̂0 of each guidance branch (float16, the open
pipeline's decoders preview them on load: an SD 512-px step is 2 × 32 KB, where uint8
512-px previews would be 2 × 768 KB) and the first sample's attention maps for the
prompt's positions only (start, words, end; float16): a 50-step SD run at 512 px with a
ten-word prompt adds about 50 × (64 KB + 12 × 8 KB) ≈ 8 MB to its 40 MB of float32
latents; a branch adds its own steps at the same rates.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.diffusion.events import DenoiseFinished
from models.diffusion.trajectory_io import TRAJECTORY_FORMAT, Trajectory
from models.pipelines.events import PipelineStep

BASE_KEYS = ("timesteps", "alpha_bar", "x_t", "eps", "x0", "final")
PARTS_KEYS = ("x0_uncond", "x0_cond", "attention")
BRANCH = "branch_"  # the branch's arrays are its own trajectory's keys with this prefix


@dataclass(frozen=True)
class PipelineTrajectory:
    """A run: `base` (its steps and final latents, `base.meta` its settings); per step
    the guidance branches' x̂0 (S×B×C×h×w float16, None without guidance) and the first
    sample's attention maps (S×T×h×w float16 over `base.meta["tokens"][:T]`, None when
    not recorded); `branch` the run branched from it (its steps from `branch_index` on)."""

    base: Trajectory
    x0_uncond: np.ndarray | None = None
    x0_cond: np.ndarray | None = None
    attention: np.ndarray | None = None
    branch: PipelineTrajectory | None = None
    branch_index: int = 0

    @property
    def num_steps(self) -> int:
        """Return the number of recorded steps."""
        return self.base.num_steps


def _prompt_positions(tokens: Sequence[str]) -> int:
    """Return how many leading text positions carry the prompt (through the end token;
    the padding after it is dropped)."""
    for pos, tok in enumerate(tokens):
        if pos > 0 and tok in ("<|endoftext|>", "</s>"):
            return pos + 1
    return len(tokens)


def _stack(arrays: list[np.ndarray | None], dtype: type) -> np.ndarray | None:
    if not arrays or any(a is None for a in arrays):
        return None
    return np.stack([np.asarray(a, dtype) for a in arrays])  # type: ignore[arg-type]


def from_events(steps: Sequence[PipelineStep], finished: DenoiseFinished,
                meta: dict[str, Any], branch: PipelineTrajectory | None = None,
                branch_index: int = 0) -> PipelineTrajectory:
    """Return the trajectory of a finished run's steps (in order) and final event;
    ValueError when it did not finish."""
    base = Trajectory.from_events([*(s.step for s in steps), finished], meta)
    parts = [s.step.parts for s in steps]
    uncond = _stack([p.x0_uncond if p is not None else None for p in parts], np.float16)
    cond = _stack([p.x0_cond if p is not None else None for p in parts], np.float16)
    keep = _prompt_positions(meta.get("tokens", ()))
    maps = [s.attention[0, :keep] if s.attention is not None else None for s in steps]
    return PipelineTrajectory(base, uncond, cond, _stack(maps, np.float16), branch,
                              branch_index)


def _arrays(run: PipelineTrajectory, prefix: str = "") -> dict[str, np.ndarray]:
    b = run.base
    meta = {"format": TRAJECTORY_FORMAT, "start_index": b.start_index, **b.meta}
    out = {"timesteps": b.timesteps, "alpha_bar": b.alpha_bar, "x_t": b.x_t, "eps": b.eps,
           "x0": b.x0, "final": b.final, "meta": np.array(json.dumps(meta, default=str))}
    for key in PARTS_KEYS:
        value = getattr(run, key)
        if value is not None:
            out[key] = value
    return {prefix + k: v for k, v in out.items()}


def save(run: PipelineTrajectory, path: Path | str) -> Path:
    """Write `run` (and its branch) to an uncompressed .npz atomically; return the path."""
    from models.checkpoint.atomic import atomic_write

    arrays = _arrays(run)
    if run.branch is not None:
        arrays.update(_arrays(run.branch, BRANCH))
        arrays["branch_index"] = np.array(run.branch_index)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path = Path(path)
    atomic_write(path, buf.getvalue())
    return path


def _read(z: Any, prefix: str = "") -> PipelineTrajectory:
    meta = json.loads(str(z[prefix + "meta"]))
    if meta.pop("format", None) != TRAJECTORY_FORMAT:
        raise ValueError("not a Latent Lab trajectory")
    start = int(meta.pop("start_index", 0))
    base = Trajectory(*(z[prefix + k] for k in BASE_KEYS), start, meta)
    parts = {k: z[prefix + k] if prefix + k in z.files else None for k in PARTS_KEYS}
    return PipelineTrajectory(base, **parts)


def load(path: Path | str) -> PipelineTrajectory:
    """Return the run (and branch) in `path`; ValueError (one line, naming the file) when
    it is not a trajectory. Plain trajectories load with no guidance, maps or branch."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            run = _read(z)
            if BRANCH + "meta" not in z.files:
                return run
            branch = _read(z, BRANCH)
            return PipelineTrajectory(run.base, run.x0_uncond, run.x0_cond, run.attention,
                                      branch, int(z["branch_index"]))
    except (OSError, KeyError, ValueError, TypeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path}: cannot read trajectory ({first})") from exc
