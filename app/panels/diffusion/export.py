"""Pictures of a recorded run: a step as PNG, the whole denoising as a GIF (any thread)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.panels.diffusion.cache import RunRecord
from app.panels.diffusion.display import tile
from app.widgets.images import side_by_side
from models.images import save_gif, save_png

TARGET_PX = 360  # exported pictures are scaled up by whole pixels to about this height
FINAL_HOLD_FRAMES = 8  # the GIF rests on the final sample before looping
GAP, WHITE = 12, 255  # exported pictures: white columns between the images


def upscale(image: np.ndarray, target: int = TARGET_PX) -> np.ndarray:
    """Return uint8 H×W×C `image` enlarged by the whole factor bringing H nearest `target`."""
    k = max(1, round(target / image.shape[0]))
    return np.ascontiguousarray(image.repeat(k, axis=0).repeat(k, axis=1)) if k > 1 else image


def _nrow(run: RunRecord) -> int:
    return max(1, int(np.ceil(np.sqrt(run.spec.n))))


def step_picture(run: RunRecord, step: int, sample: int | None) -> np.ndarray:
    """Return uint8 H×W×C: step's x_t, ε̂ and x̂0 side by side (one sample or the grid)."""
    images = run.frame_display(step)
    return side_by_side([upscale(tile(a, sample, _nrow(run))) for a in images], GAP, WHITE)


def denoising_frames(run: RunRecord, sample: int | None) -> np.ndarray:
    """Return uint8 N×H×W×C frames: x_t beside x̂0 at every arrived step, then the final
    sample held for a moment."""
    frames = []
    for k in range(run.available):
        x_t, _eps, x0 = run.display(k)
        frames.append(side_by_side([upscale(tile(x_t, sample, _nrow(run))),
                                    upscale(tile(x0, sample, _nrow(run)))], GAP, WHITE))
    if run.final is not None and frames:
        # The final frame's x_t is the sample itself (a latent run: its latents' channels).
        x_t, _eps, x0 = run.frame_display(run.num_steps)
        frames += [side_by_side([upscale(tile(x_t, sample, _nrow(run))),
                                 upscale(tile(x0, sample, _nrow(run)))], GAP, WHITE)
                   ] * FINAL_HOLD_FRAMES
    if not frames:
        raise ValueError("the run has no steps yet")
    return np.stack(frames)


def export_step_png(run: RunRecord, step: int, sample: int | None, path: Path | str) -> Path:
    """Write step's x_t | ε̂ | x̂0 picture as a PNG; return its path."""
    return save_png(step_picture(run, step, sample), path)


def export_gif(run: RunRecord, sample: int | None, path: Path | str, fps: float = 10.0) -> Path:
    """Write the denoising (x_t beside x̂0, step by step) as an animated GIF; return its path."""
    return save_gif(denoising_frames(run, sample), path, fps=fps)
