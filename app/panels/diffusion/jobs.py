"""The step viewer's jobs: generator bodies run on the "diffusion" lane (see app/jobs).

Each yields at least once per denoising step (warm-ups included), so a cancel, a newer
model or closing the window stops it within one step. Every job computes with the lane's
one inference copy of the opened model (`ModelCopy`): nothing is loaded from disk here.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.jobs import Job
from app.jobs.copies import ModelCopy
from app.log import log
from app.panels.diffusion.model_info import DiffusionModelInfo
from models.diffusion.events import DenoiseEvent
from models.opened import OpenedModel

LANE = "diffusion"
PREPARE = "diffusion-prepare"  # channels of the lane: the model's preparation,
RUN = "diffusion-run"  # the main run (row A),
SECOND = "diffusion-second"  # and the branch or compared run (row B)
FORWARD_IMAGES = 64  # dataset images offered to the forward-process view
FORWARD_NOISE_SEED = 1234  # the fixed ε of the forward view: the image dissolves smoothly
FALLBACK_DATASET = "mnist5k"  # bundled: the forward view's images when the model's are absent
FIT_BATCH = 256  # images encoded between yields while fitting a linear preview on open


@dataclass(frozen=True)
class RunRequest:
    """One trajectory to compute. `start` (an x_t recorded at step `start_index`, a copy the
    GUI never touches again) makes a branch."""

    n: int
    seed: int
    sampler: str
    steps: int
    eta: float = 0.0
    labels: tuple[int, ...] | None = None
    guidance: float | None = None
    start: np.ndarray | None = field(default=None, repr=False)
    start_index: int = 0
    guidance_parts: bool = False  # record guidance's two branches per step too
    # Latent models: a PreviewMode (models/latent_diffusion/recording.py) says which steps
    # are decoded; None records the bare trajectory (pixel-space models).
    preview: Any = None


@dataclass(frozen=True)
class PreviewFitting:
    """The prepare job fits a latent model's linear preview (its checkpoint has none)."""

    images: int
    dataset: str


@dataclass(frozen=True)
class SamplersReady:
    """The prepare job's last event: every sampler has run once, runs start without delay."""


def prepare_events(job: Job, opened: OpenedModel, copies: ModelCopy
                   ) -> Iterator[DiffusionModelInfo | SamplersReady | None]:
    """Yield the model's DiffusionModelInfo, then SamplersReady once each sampler has been
    warmed up (lane thread); None between warm-up steps so a cancel lands there."""
    from models.latent_diffusion.recording import PreviewMode, is_latent, record_trajectory

    model = copies.get(opened)
    yield None
    note = ""
    if is_latent(model) and model.linear_preview is None:
        note = yield from fit_preview_events(opened, model)
    yield model_info(opened, model, note)
    # Each sampler's first step imports and builds things lazily: do it now, not while
    # the user watches a run.
    labels = [0] if opened.capabilities.conditional else None
    for name in sampler_names():
        for _event in model.trajectory(1, 0, sampler=name, steps=2, labels=labels):
            yield None
    if is_latent(model):  # the decoder's first pass too
        for _event in record_trajectory(model, 1, 0, PreviewMode("decoder"), steps=1,
                                        labels=labels):
            yield None
    yield SamplersReady()


def fit_preview_events(opened: OpenedModel, model: Any
                       ) -> Generator[PreviewFitting | None, None, str]:
    """Fit the linear preview of a latent model whose checkpoint has none, on its training
    images (else the bundled digits), encoding in batches with a yield between (lane
    thread); return what the status line says of it ("" when no images could be had)."""
    import torch

    from models.latent_diffusion.model import PREVIEW_FIT_MAX

    images, dataset = training_images(opened, model, PREVIEW_FIT_MAX + PREVIEW_FIT_MAX // 9)
    if len(images) < 20:
        return ""
    yield PreviewFitting(len(images), dataset)
    x = torch.from_numpy(images)
    moments = []
    for i in range(0, len(x), FIT_BATCH):
        moments.append(model.posterior_moments(x[i:i + FIT_BATCH]))
        yield None
    cut = len(x) - max(1, len(x) // 10)  # the last tenth is held out for R²
    m = torch.cat(moments)
    try:
        preview = model.fit_linear_preview(x[:cut], x[cut:], m[:cut], m[cut:])
    except ValueError as exc:  # a collapsed first stage: the viewer works without it
        log.warning("diffusion viewer: no linear preview: %s", exc)
        return ""
    return (f"linear preview fitted on open ({cut} {dataset} images, R² "
            f"{preview.r2:.2f} on {len(x) - cut} held out): this checkpoint has none")


def run_events(job: Job, opened: OpenedModel, copies: ModelCopy, request: RunRequest
               ) -> Iterator[DenoiseEvent]:
    """Yield every DenoiseStep of `request`'s trajectory, then its DenoiseFinished (lane
    thread; each step's arrays are fresh CPU copies)."""
    options: dict[str, Any] = {"sampler": request.sampler, "steps": request.steps,
                               "eta": request.eta}
    if request.labels is not None:
        options["labels"] = list(request.labels)
    if request.guidance is not None:
        options["guidance"] = request.guidance
    if request.start is not None:
        options.update(start=request.start, start_index=request.start_index)
    if request.guidance_parts:
        options["guidance_parts"] = True
    model = copies.get(opened)
    if request.preview is not None:
        from models.latent_diffusion.recording import record_trajectory

        events = record_trajectory(model, request.n, request.seed, request.preview, **options)
    else:
        events = model.trajectory(request.n, request.seed, **options)
    try:
        yield from events
    finally:
        events.close()


def release_events(job: Job, copies: ModelCopy) -> Iterator[None]:
    """Forget the lane's model copy (lane thread: the only one using it)."""
    copies.drop()
    yield None


def sampler_names() -> list[str]:
    """Return the names of the samplers, in the table's order."""
    from models.diffusion.samplers import SAMPLERS

    return list(SAMPLERS)


def model_info(opened: OpenedModel, model: Any, preview_note: str = ""
               ) -> DiffusionModelInfo:
    """Return what the viewer shows of `opened` (lane thread): facts, schedule curves,
    dataset images and the forward view's fixed noise; for latent models the latents'
    channels and the linear preview's R² (`preview_note`: how it was fitted)."""
    cfg = model.config
    caps = opened.capabilities
    data_x0, dataset = forward_images(opened, model)
    curves = model.schedule.curves()
    noise = model.initial_noise(1, FORWARD_NOISE_SEED)[0].numpy().copy()
    class_names = opened.class_names or tuple(str(i) for i in range(cfg.num_classes))
    return DiffusionModelInfo(
        opened.path, opened.family, opened.epoch, caps.conditional, tuple(class_names),
        cfg.image_size, model.model_size, cfg.channels, curves.beta.copy(),
        curves.alpha_bar.copy(), dataset, data_x0, noise, cfg.sampler, cfg.sample_steps,
        getattr(cfg, "guidance", None), **latent_facts(model, preview_note))


def latent_facts(model: Any, preview_note: str) -> dict[str, Any]:
    """Return DiffusionModelInfo's latent fields for `model` (empty: a pixel-space model)."""
    from models.latent_diffusion.recording import is_latent

    if not is_latent(model):
        return {}
    preview = model.linear_preview
    return {"latent": True, "latent_channels": int(model.image_shape[0]),
            "preview_r2": None if preview is None else preview.r2,
            "preview_note": preview_note, "linear_preview": preview,
            "scaling_factor": model.scaling_factor}


def training_images(opened: OpenedModel, model: Any, limit: int) -> tuple[np.ndarray, str]:
    """Return up to `limit` uint8 N×C×H×W training images of the model's size and the
    dataset's name: the model's own data, else the bundled digits, else none (lane
    thread; never a download)."""
    from models.config import DataConfig
    from models.data import load_dataset

    cfg = model.config
    for data in [d for d in (opened.data, DataConfig(dataset=FALLBACK_DATASET)) if d]:
        data = data.replace(image_size=cfg.image_size, channels=cfg.channels, download=False)
        try:
            return np.ascontiguousarray(load_dataset(data).images[:limit]), data.dataset
        except Exception as exc:  # the viewer still works without a linear preview
            log.warning("diffusion viewer: no %s images: %s", data.dataset, exc)
    return np.zeros((0, cfg.channels, cfg.image_size, cfg.image_size), np.uint8), ""


def forward_images(opened: OpenedModel, model: Any) -> tuple[np.ndarray, str]:
    """Return up to FORWARD_IMAGES training images in the UNet's frame and the dataset's
    name: the model's own data, else the bundled digits, else none (lane thread)."""
    import torch

    from models.config import DataConfig
    from models.data import load_dataset
    from models.diffusion.unet import to_model_space
    from models.latent_diffusion.recording import is_latent

    cfg = model.config
    candidates = [d for d in (opened.data, DataConfig(dataset=FALLBACK_DATASET))
                  if d is not None]
    for data in candidates:
        # Sized like the model's images; never a download for a picture.
        data = data.replace(image_size=cfg.image_size, channels=cfg.channels, download=False)
        try:
            images = load_dataset(data).images[:FORWARD_IMAGES]
        except Exception as exc:  # the reverse process still works without data
            log.warning("diffusion viewer: no %s images: %s", data.dataset, exc)
            continue
        x = torch.from_numpy(images.astype(np.float32) / 255.0)
        if is_latent(model):  # the data the UNet noises: scaled posterior means
            with torch.no_grad():
                z = model.encode(x)[0].reshape(len(x), *model.image_shape)
            return (z * model.scaling_factor).cpu().numpy().copy(), data.dataset
        return to_model_space(x, model.model_size).numpy().copy(), data.dataset
    return np.zeros((0, *model.image_shape), np.float32), ""
