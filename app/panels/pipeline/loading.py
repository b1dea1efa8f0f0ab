"""A saved pipeline run (models/pipelines/trajectory.py) replayed as a run's events, each
x̂0 previewed through the open pipeline's decoders (runs on the pipeline lane)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from app.panels.pipeline.jobs import compact


@dataclass(frozen=True)
class BranchLoaded:
    """The events after this one are the loaded run's branch, from schedule index
    `index`; `meta` its settings."""

    index: int
    meta: dict[str, Any] = field(default_factory=dict)


def _replay(run: Any, views: Any, device: Any, dtype: Any, every: int) -> Iterator[Any]:
    """Yield one saved run's PipelineStarted, steps and DenoiseFinished."""
    import torch

    from models.diffusion.events import DenoiseFinished
    from models.pipelines.events import PipelineStarted, PipelineStep

    traj = run.base
    total = traj.start_index + traj.num_steps
    yield PipelineStarted((), total, {**traj.meta, "start_index": traj.start_index})

    def preview(x0: np.ndarray, decoded: bool) -> Any:
        return views(torch.as_tensor(np.asarray(x0, np.float32)).to(device, dtype),
                     decoded, 0.0)

    for k in range(traj.num_steps):
        step = traj.step(k)
        decoded = step.index % every == 0 or step.index == total - 1
        uncond = preview(run.x0_uncond[k], decoded) if run.x0_uncond is not None else None
        cond = preview(run.x0_cond[k], decoded) if run.x0_cond is not None else None
        maps = run.attention[k][None].astype(np.float32) if run.attention is not None \
            else None
        yield compact(PipelineStep(replace(step, pixels=preview(step.x0, decoded)),
                                   uncond, cond, maps))
    yield DenoiseFinished(total, traj.final, preview(traj.final, True))


def trajectory_events(opened: Any, path: Path, every: int, tiny: Any,
                      linear_cache: dict[tuple[int, ...], Any]) -> Iterator[Any]:
    """Yield a saved run's events (guidance branches and attention maps when saved), then
    BranchLoaded and its branch's when it has one; the VAE decodes every `every` steps.
    ValueError (one line) for a file that is not a trajectory or latents this pipeline
    does not make."""
    import torch

    from models.pipelines.preview import fit_patch_preview
    from models.pipelines.trajectory import load
    from models.pipelines.views import PreviewViews

    yield None
    run = load(path)
    vae = getattr(opened.pipe, "vae", None) or getattr(opened.pipe, "vqvae", None)
    shape = tuple(int(s) for s in run.base.final.shape[1:])
    channels = int(vae.config.latent_channels)
    if len(shape) != 3 or shape[0] != channels:
        raise ValueError(f"{path.name} holds latents of shape {shape}; "
                         f"{opened.folder.name} makes {channels}-channel ones")
    if shape not in linear_cache:
        linear_cache[shape] = fit_patch_preview(vae, shape)
    views = PreviewViews(vae, linear_cache[shape], tiny)
    device, dtype = next(vae.parameters()).device, next(vae.parameters()).dtype
    with torch.inference_mode():
        yield from _replay(run, views, device, dtype, every)
        if run.branch is not None:
            yield BranchLoaded(run.branch_index, dict(run.branch.base.meta))
            yield from _replay(run.branch, views, device, dtype, every)
