"""The W space dock's background work: job bodies run on its two lanes (lane threads).

"wspace" runs the quick, latest-wins requests (the two paths, an edit, the PCA of w, the
digits of the picker); "wspace-long" runs the long ones one at a time (perceptual path
length, projection), each stoppable between two of its yields. Each lane computes with its
own `ModelCopy` (thread rule 4). Images cross to the GUI thread as fresh uint8 N×H×W×C
arrays, never touched again on the lane.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.jobs import Job
from app.jobs.copies import ModelCopy
from app.panels.wspace.sources import Source
from models.opened import OpenedModel

LANE, LONG_LANE = "wspace", "wspace-long"
PATH_CHANNEL, EDIT_CHANNEL, PCA_CHANNEL = "wspace-path", "wspace-edit", "wspace-pca"
DIGITS_CHANNEL, SWEEP_CHANNEL = "wspace-digits", "wspace-sweep"
SWEEP_SIGMAS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
PPL_CHUNK = 64  # pairs between two progress events (a stop lands within ~0.5 s)
PREVIEW_EVERY = 10  # projection steps between two pictures of the image converging
PICKER_PER_CLASS = 2
DEFAULT_DATASET = "mnist5k"


def uint8_images(x: Any) -> np.ndarray:
    """Return float N×C×H×W images in [0, 1] (a tensor) as a fresh uint8 N×H×W×C array."""
    arr = (x.detach().cpu().clamp(0, 1) * 255).round().byte().numpy()
    return np.ascontiguousarray(arr.transpose(0, 2, 3, 1))


# --- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Paths:
    """The Z path (None when a source has no z: a projected digit) and the W path between
    two sources: uint8 steps×H×W×C frames each and the digit-classifier feature distance
    between consecutive frames (steps − 1)."""

    z_frames: np.ndarray | None
    w_frames: np.ndarray
    z_steps: np.ndarray | None
    w_steps: np.ndarray | None  # None without a classifier fitting the images


@dataclass(frozen=True)
class PPLProgress:
    """`done` of `total` pairs measured, over both spaces."""

    done: int
    total: int


@dataclass(frozen=True)
class PPLResult:
    """The perceptual path length of Z and of W (models.stylegan.ppl.PathLength each)."""

    z: Any
    w: Any


@dataclass(frozen=True)
class ProjectionPreview:
    """Step `step` of `steps`: the loss, and every PREVIEW_EVERY steps the image scored
    (uint8 H×W×C; None between)."""

    step: int
    steps: int
    loss: float
    pixel_loss: float
    image: np.ndarray | None


@dataclass(frozen=True)
class Projected:
    """The projection's end: the w found (w_dim float32), its image and pixel loss."""

    w: np.ndarray
    image: np.ndarray
    loss: float


@dataclass(frozen=True)
class Digits:
    """The picker's digits: uint8 N×H×W×C images of the model's dataset and their labels."""

    images: np.ndarray
    labels: np.ndarray
    dataset: str


# --- helpers (lane thread) -------------------------------------------------------------------
def source_w(net: Any, source: Source) -> Any:
    """Return the w (w_dim tensor) of `source`: its seed's z mapped, or the projected w."""
    import torch

    from models.stylegan import wspace

    if source.w is not None:
        return torch.from_numpy(source.w.copy())
    return wspace.mapping(net, source_z(net, source)[None])[0]


def source_z(net: Any, source: Source) -> Any:
    """Return the z (z_dim tensor) of a seed source: the first z of `sample_z(seed)`."""
    from models.stylegan import wspace

    return wspace.sample_z(net, 1, source.seed)[0]


_per_thread = threading.local()  # each lane's own classifier (thread rule 4)


def features_for(model: OpenedModel) -> Callable[[Any], Any] | None:
    """Return the bundled digit classifier's features for `model`'s images, loaded once
    per lane thread, or None when none fits them (no classifier for its dataset, or
    another image size or channel count)."""
    cache: dict[str, Any] = _per_thread.__dict__.setdefault("features", {})
    cfg = model.model_config
    key = f"{model.dataset or DEFAULT_DATASET}:{cfg.image_size}:{cfg.channels}"
    if key not in cache:
        cache[key] = _load_features(model.dataset or DEFAULT_DATASET, cfg.image_size,
                                    cfg.channels)
    return cache[key]


def _load_features(dataset: str, size: int, channels: int) -> Callable[[Any], Any] | None:
    import torch

    from models.stylegan.ppl import digit_features

    try:
        features = digit_features(dataset)
        features(torch.zeros(1, channels, size, size))  # the classifier takes this shape
    except (FileNotFoundError, RuntimeError, ValueError):
        return None
    return features


def require_features(model: OpenedModel) -> Callable[[Any], Any]:
    """Return `features_for(model)`, or raise ValueError saying why there are none."""
    features = features_for(model)
    if features is None:
        raise ValueError(f"no bundled digit classifier fits this model's images "
                         f"({model.dataset or 'unknown dataset'}, "
                         f"{model.model_config.image_size} px, "
                         f"{model.model_config.channels} channel(s)): no path length")
    return features


# --- the "wspace" lane -----------------------------------------------------------------------
def path_work(model: OpenedModel, copies: ModelCopy, a: Source, b: Source,
              steps: int) -> Callable[[Job], Iterator[Paths]]:
    """Return the job drawing the Z path (slerp of z, each point mapped: `interpolate`)
    and the W path (lerp of w) from `a` to `b` in `steps` frames."""

    def work(job: Job) -> Iterator[Paths]:
        import torch

        from models.stylegan import wspace
        from models.stylegan.ppl import step_lengths

        net = copies.get(model)
        features = features_for(model)

        def lengths(images: Any) -> np.ndarray | None:
            return None if features is None else step_lengths(images, features)

        z_frames = z_steps = None
        if a.has_z and b.has_z:
            z_path = wspace.interpolate(net, source_z(net, a), source_z(net, b), steps, "z")
            z_frames, z_steps = uint8_images(z_path.images), lengths(z_path.images)
        wa, wb = source_w(net, a), source_w(net, b)
        alphas = torch.linspace(0.0, 1.0, steps)
        w = wspace.lerp(wa.expand(steps, -1), wb.expand(steps, -1), alphas)
        images = wspace.synthesize(net, wspace.broadcast(w, wspace.num_ws(net)))
        yield Paths(z_frames, uint8_images(images), z_steps, lengths(images))

    return work


def edit_work(model: OpenedModel, copies: ModelCopy, source: Source, directions: Any,
              edits: Sequence[tuple[float, Sequence[int]]]
              ) -> Callable[[Job], Iterator[np.ndarray]]:
    """Return the job drawing `source` before and after the edits (one (amount in σ,
    layers) per direction): uint8 2×H×W×C."""

    def work(job: Job) -> Iterator[np.ndarray]:
        import torch

        from models.stylegan import wspace
        from models.stylegan.directions import apply_directions

        net = copies.get(model)
        ws = wspace.broadcast(source_w(net, source)[None], wspace.num_ws(net))
        edited = ws
        for k, (amount, layers) in enumerate(edits):
            if amount and layers:
                one_hot = [0.0] * k + [amount]
                edited = apply_directions(edited, directions, one_hot, layers)
        yield uint8_images(wspace.synthesize(net, torch.cat([ws, edited])))

    return work


@dataclass(frozen=True)
class DirectionSet:
    """The GANSpace directions (models.stylegan.directions.Directions) and the model's
    named layer ranges ("coarse", "middle", "fine" → ws indices)."""

    directions: Any
    ranges: dict[str, range]


def sweep_work(model: OpenedModel, copies: ModelCopy, source: Source, directions: Any,
               k: int, layers: Sequence[int]) -> Callable[[Job], Iterator[np.ndarray]]:
    """Return the job drawing direction `k` alone on `source` at each of SWEEP_SIGMAS σ in
    `layers`: uint8 len(SWEEP_SIGMAS)×H×W×C."""

    def work(job: Job) -> Iterator[np.ndarray]:
        import torch

        from models.stylegan import wspace
        from models.stylegan.directions import apply_directions

        net = copies.get(model)
        ws = wspace.broadcast(source_w(net, source)[None], wspace.num_ws(net))
        swept = [apply_directions(ws, directions, [0.0] * k + [a], layers)
                 for a in SWEEP_SIGMAS]
        yield uint8_images(wspace.synthesize(net, torch.cat(swept)))

    return work


def pca_work(model: OpenedModel, copies: ModelCopy, k: int, samples: int
             ) -> Callable[[Job], Iterator[DirectionSet]]:
    """Return the job computing the GANSpace directions (PCA of `samples` sampled w)."""

    def work(job: Job) -> Iterator[DirectionSet]:
        from models.stylegan import wspace
        from models.stylegan.directions import pca_directions

        net = copies.get(model)
        yield DirectionSet(pca_directions(net, k=k, samples=samples, seed=0),
                           wspace.layer_ranges(net))

    return work


def digits_work(model: OpenedModel) -> Callable[[Job], Iterator[Digits]]:
    """Return the job picking PICKER_PER_CLASS digits of each class from the end of the
    model's dataset (its validation images), at the model's size and channels."""

    def work(job: Job) -> Iterator[Digits]:
        from models.data import load_dataset

        if model.data is None:
            raise ValueError("the checkpoint does not say which dataset it was trained on")
        ds = load_dataset(model.data)
        picked: list[int] = []
        for label in np.unique(ds.labels[ds.labels >= 0]):
            where = np.flatnonzero(ds.labels == label)
            picked.extend(where[::-1][:PICKER_PER_CLASS].tolist())
        if not picked:
            picked = list(range(min(len(ds), 10 * PICKER_PER_CLASS)))
        idx = np.array(sorted(picked, key=lambda i: (ds.labels[i], i)))
        yield Digits(np.ascontiguousarray(ds.images[idx].transpose(0, 2, 3, 1)),
                     ds.labels[idx].copy(), ds.name)

    return work


# --- the "wspace-long" lane ------------------------------------------------------------------
def ppl_work(model: OpenedModel, copies: ModelCopy, pairs: int, seed: int = 0
             ) -> Callable[[Job], Iterator[PPLProgress | PPLResult]]:
    """Return the job measuring the PPL of Z and of W over `pairs` random pairs each.

    Pairs are measured PPL_CHUNK at a time by `models.stylegan.ppl.path_lengths` (chunk i
    seeded seed + 7919·i, so one chunk is exactly `perceptual_path_length(seed=seed)`), and
    summarised as it does: the mean within the 1st–99th percentiles.
    """

    def work(job: Job) -> Iterator[PPLProgress | PPLResult]:
        from models.stylegan import ppl

        net = copies.get(model)
        features = require_features(model)
        total, done, out = 2 * pairs, 0, {}
        yield PPLProgress(0, total)
        for space in ("z", "w"):
            parts = []
            for i, start in enumerate(range(0, pairs, PPL_CHUNK)):
                n = min(PPL_CHUNK, pairs - start)
                parts.append(ppl.path_lengths(net, space, features, pairs=n,
                                              seed=seed + 7919 * i, batch=n))
                done += n
                yield PPLProgress(done, total)
            out[space] = summarise(space, np.concatenate(parts))
        yield PPLResult(out["z"], out["w"])

    return work


def summarise(space: str, d: np.ndarray, epsilon: float = 1e-4) -> Any:
    """Return the PathLength of per-pair values `d` as `perceptual_path_length` computes
    it: the mean within the 1st–99th percentiles, and the median."""
    from models.stylegan.ppl import PathLength

    lo, hi = np.percentile(d, [1, 99])
    kept = d[(d >= lo) & (d <= hi)]
    return PathLength(space, float(kept.mean()), float(np.median(d)), len(d), epsilon)


def projection_work(model: OpenedModel, copies: ModelCopy, target: np.ndarray, steps: int
                    ) -> Callable[[Job], Iterator[ProjectionPreview | Projected]]:
    """Return the job projecting uint8 H×W×C `target` into W (`models.stylegan.projection`)
    with the digit classifier's features in the loss (when one fits); closing it stops the
    optimisation between two steps (the copy's weights are left as they were)."""

    def work(job: Job) -> Iterator[ProjectionPreview | Projected]:
        import torch

        from models.stylegan.projection import ProjectionResult, ProjectionStep, project

        net = copies.get(model)
        features = features_for(model)
        scored: list[Any] = []

        def watched(images: Any) -> Any:
            # `project` scores each step's image with the features: keeping the last one
            # shows the image converging without a second synthesis per step. Without a
            # classifier the features are empty: the loss is the pixel error alone.
            scored[:] = [images]
            return features(images) if features is not None else images.new_zeros(
                len(images), 0)

        x = torch.from_numpy(target.transpose(2, 0, 1).copy()).float().div_(255.0)
        for ev in project(net, x, steps=steps, features=watched):
            if isinstance(ev, ProjectionStep):
                shown = ev.step % PREVIEW_EVERY == 0 or ev.step == 1
                image = uint8_images(scored[0])[0] if shown and scored else None
                yield ProjectionPreview(ev.step, ev.steps, ev.loss, ev.pixel_loss, image)
            elif isinstance(ev, ProjectionResult):
                w = ev.w.reshape(-1).numpy().astype(np.float32).copy()
                yield Projected(w, uint8_images(ev.image)[0], ev.loss)

    return work
