"""The Pipeline dock's jobs: generator bodies run on the "pipeline" lane (see app/jobs).

The opened pipeline lives on this lane alone: it is opened here (torch, diffusers and
every weight are read on the lane, never on the GUI thread) and every run, mode change
and tiny decoder load happens on the same lane, so no copy is needed. Each run yields at
least once per denoising step, so Cancel stops it within one step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.jobs import Job

LANE = "pipeline"


@dataclass(frozen=True)
class OpenRequest:
    """What to open: a pipeline folder, in `mode` (None: the folder's own), with a
    ControlNet folder for ControlNet mode; pickled weights only if `allow_pickle`."""

    folder: Path
    mode: str | None = None
    controlnet: Path | None = None
    allow_pickle: bool = False


@dataclass(frozen=True)
class PipelineOpened:
    """An open job's result: the OpenedPipeline (used on the lane only) and what the
    window shows of it, read on the lane: modes, samplers, the folder's scheduler class,
    whether it takes a prompt, DiT's class names and the images' side in pixels."""

    opened: Any = field(repr=False)
    modes: tuple[str, ...]
    samplers: tuple[str, ...]
    folder_scheduler: str
    text: bool
    labels: dict[int, str]
    image_side: int


@dataclass(frozen=True)
class NoisedInput:
    """img2img's and inpainting's start: x_t at the first step run, through the linear map
    (uint8 H×W×3), and that step's index."""

    image: np.ndarray
    index: int


@dataclass(frozen=True)
class TinyDecoderLoaded:
    """A tiny decoder (AutoencoderTiny) was loaded from `folder` (kept on the lane)."""

    folder: Path
    decoder: Any = field(repr=False)


def _image_side(pipe: Any) -> int:
    """Return the side in pixels of the images the pipeline makes by default."""
    model = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    size = int(getattr(model.config, "sample_size", 64) or 64)
    factor = int(getattr(pipe, "vae_scale_factor", 8) or 8)
    if getattr(pipe, "vqvae", None) is not None:
        factor = 2 ** (len(pipe.vqvae.config.block_out_channels) - 1)
    return size * factor


def runnable_modes(opened: Any) -> tuple[str, ...]:
    """Return the folder's modes the step viewer runs (SDXL's img2img and inpainting open
    but are not stepped yet: offering them would only earn a refusal)."""
    from models.pipelines.sd_start import MODES_RUN

    runs = {"sd": MODES_RUN, "sdxl": (opened.index.modes[0],)}.get(opened.family)
    return tuple(m for m in opened.index.modes if runs is None or m in runs)


def describe_opened(opened: Any) -> PipelineOpened:
    """Return the window's view of `opened` (call on the lane)."""
    from models.pipelines.schedulers import sampler_names

    pipe = opened.pipe
    labels: dict[int, str] = {}
    if opened.family == "dit":
        # A folder saved without id2label still has its classes: numbered, not named.
        classes = int(pipe.transformer.config.num_embeds_ada_norm)
        labels = {k: f"class {k}" for k in range(classes)}
        labels.update({int(k): str(v) for k, v in
                       (getattr(pipe, "id2label", None) or {}).items()})
    return PipelineOpened(opened, runnable_modes(opened), sampler_names(),
                          type(pipe.scheduler).__name__, opened.family in ("sd", "sdxl"),
                          labels, _image_side(pipe))


def open_events(request: OpenRequest) -> Iterator[Any]:
    """Yield PipelineOpened for `request` (open_pipeline's PipelineError, one line, fails
    the job). Runs on the lane: imports torch and diffusers, reads every weight."""
    from models.pipelines.opening import open_pipeline

    yield None  # a heartbeat: a cancel before the weights are read ends the job here
    opened = open_pipeline(request.folder, request.mode, controlnet=request.controlnet,
                           allow_pickle=request.allow_pickle)
    yield describe_opened(opened)


def tiny_decoder_events(folder: Path, opened: Any) -> Iterator[Any]:
    """Yield TinyDecoderLoaded for the AutoencoderTiny in `folder`, checked against the
    pipeline's latent channels (PipelineError, one line, fails the job)."""
    from models.pipelines.tiny_decoder import load_tiny_decoder

    vae = getattr(opened.pipe, "vae", None) or getattr(opened.pipe, "vqvae", None)
    channels = int(vae.config.latent_channels) if vae is not None else None
    yield TinyDecoderLoaded(folder, load_tiny_decoder(folder, latent_channels=channels))


def _linear_map(opened: Any, request: Any, cache: dict[tuple[int, ...], Any]) -> Any:
    """Return the latent → RGB map for this run's latent shape, fitted once per shape and
    kept in `cache` (None for DiT and LDM: their loops fit their own)."""
    from models.pipelines.preview import fit_patch_preview

    pipe = opened.pipe
    if opened.family not in ("sd", "sdxl"):
        return None
    factor = int(pipe.vae_scale_factor)
    if request.image is not None:
        height, width = (int(s) for s in np.asarray(request.image).shape[:2])
    else:
        side = int(pipe.unet.config.sample_size) * factor
        height, width = request.height or side, request.width or side
    shape = (int(pipe.vae.config.latent_channels), height // factor, width // factor)
    if shape not in cache:
        cache[shape] = fit_patch_preview(pipe.vae, shape)
    return cache[shape]


def _uint8(images: np.ndarray | None) -> np.ndarray | None:
    """Return the first of B×3×H×W float images in [0, 1] as uint8 1×H×W×3 (None: None)."""
    if images is None:
        return None
    x = np.clip(np.asarray(images[:1], np.float32), 0.0, 1.0).transpose(0, 2, 3, 1)
    return np.ascontiguousarray((x * 255.0 + 0.5).astype(np.uint8))


def compact(event: Any) -> Any:
    """Return a PipelineStep with its previews as uint8 images of the first sample (a
    real pipeline's 512-px previews are 3 MB each as floats, up to nine a step: a
    50-step run would hold over a gigabyte); other events unchanged."""
    from dataclasses import replace

    from models.pipelines.events import PipelineStep

    if not isinstance(event, PipelineStep):
        return event

    def small(views: Any) -> Any:
        if views is None:
            return None
        return replace(views, linear=_uint8(views.linear), decoded=_uint8(views.decoded),
                       tiny=_uint8(views.tiny))

    step = replace(event.step, pixels=small(event.step.pixels))
    return replace(event, step=step, uncond=small(event.uncond), cond=small(event.cond))


def run_events(job: Job, opened: Any, mode: str, fields: dict[str, Any],
               preview: tuple[str, int], tiny: Any,
               linear_cache: dict[tuple[int, ...], Any]) -> Iterator[Any]:
    """Yield run_pipeline's events for TextRequest(**fields) with `opened` in `mode`
    (from_pipe: no weights read), the VAE decoding by PreviewMode(*preview), each guidance
    branch's previews and (SD, SDXL) the cross-attention maps; before img2img's and
    inpainting's first step, NoisedInput. Steps come compacted (`compact`). ValueError
    and PipelineError (one line) fail the job."""
    from models.latent_diffusion.recording import PreviewMode
    from models.pipelines.events import PipelineStep
    from models.pipelines.index import IMG2IMG, INPAINT
    from models.pipelines.stepper import TextRequest, run_pipeline

    yield None
    request = TextRequest(**fields)
    if mode != opened.mode:
        opened = opened.in_mode(mode)
    linear = _linear_map(opened, request, linear_cache)
    attention = opened.family in ("sd", "sdxl")
    first = True
    for event in run_pipeline(opened, request, PreviewMode(*preview), linear, branches=True,
                              attention=attention, tiny_decoder=tiny):
        if first and isinstance(event, PipelineStep) and mode in (IMG2IMG, INPAINT) \
                and linear is not None:
            first = False
            image = linear.images(event.step.x_t[:1])[0].transpose(1, 2, 0)
            yield NoisedInput(np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8),
                              event.step.index)
        yield compact(event)
        if job.cancelled:
            return
