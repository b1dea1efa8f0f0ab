"""The latent space's job bodies: generators run on the "latent-jobs" and "latent-decode"
lanes, thin adapters over `models.latent`.

Every function here runs on a lane thread and computes with that lane's `ModelCopy` of the
OpenedModel (never the instance a trainer or another lane uses). Each yields often enough
that a cancel or the window closing stops it within ~0.2 s, except inside one library call
(loading a dataset, one encode batch). Arrays yielded are new and never touched again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.jobs import Job
from app.jobs.copies import ModelCopy
from app.log import log
from app.session.latent_types import (
    TSNE,
    UMAP,
    MapData,
    ProjectionResult,
    compute_projection,
    default_projection,
)
from app.session.training_job import DatasetCache
from models.opened import OpenedModel

JOBS_LANE, DECODE_LANE = "latent-jobs", "latent-decode"
PROGRESS_EMIT_S = 0.1  # a progress bar needs no more than 10 updates a second
GENERATED_SAMPLES = 5000  # latents drawn for models that cannot encode
EMBED_POLL_S = 0.1  # t-SNE/UMAP: how often the child process is polled (and a cancel seen)
DECODE_CHUNK = 256  # latents decoded between two yields (a 30×30 grid is 4 chunks)
NO_LATENT_MAP = "diffusion models have no latent map: their latent is the image itself"


# Stages, as the panel shows them (verbatim: "t-SNE" must not become "T-sne").
LOADING, ENCODING, GENERATING = "Loading the model", "Encoding the dataset", "Generating samples"
CLASSIFYING = "Classifying the samples"


@dataclass(frozen=True)
class LatentProgress:
    """`done` of `total` units of `stage`, a label shown as is (total 0: unknown)."""

    stage: str
    done: int
    total: int


class _Throttle:
    """Turns progress into at most one event per PROGRESS_EMIT_S (None otherwise: a
    heartbeat); the last step of a stage always passes."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> LatentProgress | None:
        now = time.perf_counter()
        if now - self._last >= PROGRESS_EMIT_S or (total and done >= total):
            self._last = now
            return LatentProgress(stage, done, total)
        return None


# --- the "latent-jobs" lane: one job at a time ---------------------------------------------
def map_events(job: Job, model: OpenedModel, copies: ModelCopy, datasets: DatasetCache,
               generation: int, align_to: ProjectionResult | None
               ) -> Iterator[LatentProgress | MapData | ProjectionResult | None]:
    """Yield progress, then the MapData of `model` (its dataset encoded, or generated
    latents for a model without an encoder), then its first projection (2-D or PCA).

    Raises ValueError for a diffusion model or an encoder without a known dataset.
    """
    # The panel's KD-tree needs scipy.spatial (~0.5 s of imports on a busy 2-core
    # machine): import it here so the GUI thread finds it loaded.
    from models.latent import spatial  # noqa: F401
    from models.latent.encode import EncodedLatents, encode_dataset, generated_latents

    caps = model.capabilities
    if caps.is_diffusion:
        raise ValueError(NO_LATENT_MAP)
    yield LatentProgress(LOADING, 0, 0)
    net = copies.get(model)
    dataset_name = model.dataset or "mnist5k"
    class_names = tuple(model.class_names)
    ds: Any = None
    if caps.can_encode:
        if model.data is None:
            raise ValueError("the checkpoint does not say which dataset it was trained on")
        ds = datasets.get(model.data)  # MNIST's 70k images load once per DataConfig
        class_names = class_names or tuple(ds.class_names)
        events, stage = encode_dataset(net, ds.images, ds.labels), ENCODING
    elif caps.conditional:  # a cGAN: each sample in a known class (no classifier needed)
        from models.latent.conditioning import generated_class_latents

        events, stage = generated_class_latents(net, GENERATED_SAMPLES, seed=0), GENERATING
    else:
        events, stage = generated_latents(net, GENERATED_SAMPLES, seed=0), GENERATING
    tick = _Throttle()
    result = None
    for ev in events:
        if isinstance(ev, EncodedLatents):
            result = ev
        else:
            yield tick(stage, ev.done, ev.total)
    assert result is not None
    labels, note = result.labels, ""
    if result.generated:
        images = result.images.transpose(0, 2, 3, 1)
        if caps.conditional:
            note = "colours are the classes the samples were generated for"
        else:
            yield LatentProgress(CLASSIFYING, 0, 0)
            labels, note = _predicted_labels(result.images, dataset_name, labels)
    else:
        images = ds.images.transpose(0, 2, 3, 1)
    kl = None
    if caps.has_prior and not result.generated:
        from models.latent.interpolation import kl_per_dimension

        kl = kl_per_dimension(result.means, result.logvars)
    means = np.array(result.means, np.float32, order="C")  # a copy: the map's own
    labels = np.array(labels, np.int64)
    yield MapData(generation, model.path, model.family, model.epoch, dataset_name,
                  class_names, means, labels, np.array(images, np.uint8, order="C"),
                  result.generated, caps.conditional, caps.has_prior and caps.can_encode, note,
                  kl, model)
    method = default_projection(means.shape[1], result.generated, caps.conditional, labels)
    yield compute_projection(generation, method, means, align_to, labels)


def _predicted_labels(images: np.ndarray, dataset: str,
                      labels: np.ndarray) -> tuple[np.ndarray, str]:
    """Return (labels, note) from the digit classifier, or the given labels and why not."""
    try:
        from models.latent.labels import predicted_labels

        predicted = predicted_labels(images, dataset)
    except Exception as exc:  # a broken classifier must not cost the map
        log.warning("latent map: classifier failed: %s", exc)
        predicted = None
    if predicted is None:
        return labels, f"no digit classifier for {dataset}: samples are unlabelled"
    return predicted, "colours are the digit classifier's predicted classes"


def projection_events(job: Job, generation: int, method: str, means: np.ndarray,
                      align_to: ProjectionResult | None, labels: np.ndarray | None = None
                      ) -> Iterator[LatentProgress | ProjectionResult | None]:
    """Yield the `method` positions of N×D `means` (read only; LDA separates `labels`): at
    once for the 2-D latent, PCA or LDA; for t-SNE and UMAP progress first, from a child
    process that closing this generator terminates."""
    if method not in (TSNE, UMAP):
        yield compute_projection(generation, method, means, align_to, labels)
        return
    from models.latent.embedding import Embedding, tsne_embedding, umap_embedding

    make = tsne_embedding if method == TSNE else umap_embedding
    yield LatentProgress(f"{method}: starting", 0, 0)
    events = make(means, seed=0, poll_s=EMBED_POLL_S)
    tick = _Throttle()
    try:
        for ev in events:
            if isinstance(ev, Embedding):
                yield ProjectionResult(generation, method, ev.positions)
                return
            yield tick(f"{method}: {ev.stage}", ev.done, ev.total)
    finally:
        events.close()  # terminates the child process now, not when collected


# --- the "latent-decode" lane: latest wins per channel -------------------------------------
def decode_events(job: Job, model: OpenedModel, copies: ModelCopy, latents: np.ndarray,
                  labels: np.ndarray | None) -> Iterator[np.ndarray | None]:
    """Yield uint8 N×H×W×C images decoded from N×D `latents` (labels condition a
    conditional model), a heartbeat between chunks so a newer request cancels this one."""
    from models.latent.decode import decode_latents

    net = copies.get(model)
    parts = []
    for start in range(0, len(latents), DECODE_CHUNK):
        stop = start + DECODE_CHUNK
        parts.append(decode_latents(net, latents[start:stop],
                                    None if labels is None else labels[start:stop]))
        yield None
    yield np.concatenate(parts) if parts else decode_latents(net, latents, labels)


def decode_mix_events(job: Job, model: OpenedModel, copies: ModelCopy, latents: np.ndarray,
                      weights: np.ndarray) -> Iterator[np.ndarray]:
    """Yield uint8 N×H×W×C images of N×D `latents` decoded with N×K class weights."""
    from models.latent.conditioning import decode_class_mix

    yield decode_class_mix(copies.get(model), latents, weights)


def encode_events(job: Job, model: OpenedModel, copies: ModelCopy, images: np.ndarray,
                  labels: np.ndarray) -> Iterator[np.ndarray | None]:
    """Yield the N×D posterior means of uint8 N×C×H×W `images` (labels condition a
    conditional encoder)."""
    from models.latent.encode import EncodedLatents, encode_dataset

    for ev in encode_dataset(copies.get(model), images, labels):
        yield ev.means if isinstance(ev, EncodedLatents) else None


def drop_events(job: Job, copies: ModelCopy) -> Iterator[None]:
    """Forget the lane's model copy (on the lane thread, where `copies` is used)."""
    copies.drop()
    yield None
