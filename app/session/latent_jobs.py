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
from pathlib import Path

import numpy as np

from app.jobs import Job
from app.jobs.copies import ModelCopy
from app.session.latent_types import (
    TSNE,
    UMAP,
    MapData,
    ProjectionResult,
    compute_projection,
    default_projection,
)
from app.session.training_job import DatasetCache
from models.latent.first_stage import can_map, no_map_reason
from models.opened import OpenedModel
from models.pictures.map_file import load_map, map_path

JOBS_LANE, DECODE_LANE = "latent-jobs", "latent-decode"
PROGRESS_EMIT_S = 0.1  # a progress bar needs no more than 10 updates a second
EMBED_POLL_S = 0.1  # t-SNE/UMAP: how often the child process is polled (and a cancel seen)
DECODE_CHUNK = 256  # latents decoded between two yields (a 30×30 grid is 4 chunks)

# Stages, as the panel shows them (the computing ones are map_compute's).
LOADING, READING = "Loading the model", "Reading the precomputed map"


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
               generation: int, align_to: ProjectionResult | None, use_file: bool = True
               ) -> Iterator[LatentProgress | MapData | ProjectionResult | None]:
    """Yield progress, then the MapData of `model` (its dataset encoded, or generated
    latents for a model without an encoder), then its first projection (2-D, PCA or LDA).

    With `use_file`, a valid precomputed map of the checkpoint it came from (made from
    these very weights) is read instead of computing. Raises ValueError for a pixel-space
    diffusion model or an encoder without a known dataset (latent diffusion maps its
    first stage).
    """
    # The panel's KD-tree needs scipy.spatial (~0.5 s of imports on a busy 2-core
    # machine): import it here so the GUI thread finds it loaded.
    from models.latent import spatial  # noqa: F401

    if not can_map(model.capabilities):
        raise ValueError(no_map_reason(model.capabilities))
    if use_file and model.path is not None and map_path(model.path).is_file():
        yield LatentProgress(READING, 0, 0)
        pm = load_map(model.path)
        if pm is not None:
            yield from _shown(MapData.from_contents(generation, model.path, pm.contents, model,
                                                    pm.projections), align_to)
            return
    from models.latent.map_compute import MapProgress, compute_map

    yield LatentProgress(LOADING, 0, 0)
    tick = _Throttle()
    for ev in compute_map(model, copies.get(model), datasets.get):
        if isinstance(ev, MapProgress):
            yield tick(ev.stage, ev.done, ev.total)
        else:
            yield from _shown(MapData.from_contents(generation, model.path, ev, model), align_to)


def precomputed_map_events(job: Job, checkpoint: Path, generation: int
                           ) -> Iterator[LatentProgress | MapData | ProjectionResult | None]:
    """Yield the MapData of `checkpoint`'s precomputed map (no model: `model` None) and its
    first projection, or nothing when it has no valid map file. numpy only: no torch."""
    from models.latent import spatial  # noqa: F401  (see map_events)

    yield LatentProgress(READING, 0, 0)
    pm = load_map(checkpoint)
    if pm is not None:
        yield from _shown(MapData.from_contents(generation, checkpoint, pm.contents, None,
                                                pm.projections), None)


def _shown(data: MapData, align_to: ProjectionResult | None
           ) -> Iterator[MapData | ProjectionResult]:
    """Yield `data`, then the projection it is first drawn with."""
    yield data
    method = default_projection(data.latent_dim, data.generated, data.conditional,
                                data.labels)
    yield compute_projection(data.generation, method, data.means, align_to, data.labels)


def projection_events(job: Job, generation: int, method: str, means: np.ndarray,
                      align_to: ProjectionResult | None, labels: np.ndarray | None = None,
                      precomputed: np.ndarray | None = None
                      ) -> Iterator[LatentProgress | ProjectionResult | None]:
    """Yield the `method` positions of N×D `means` (read only; LDA separates `labels`): at
    once for the 2-D latent, PCA, LDA or `precomputed` positions (from the map file); for
    t-SNE and UMAP progress first, from a child process that closing this generator
    terminates."""
    if precomputed is not None:
        yield ProjectionResult(generation, method, precomputed.copy())  # the result's own
        return
    if method not in (TSNE, UMAP):
        yield compute_projection(generation, method, means, align_to, labels)
        return
    from models.latent.embedding import MAP_SEED, Embedding, tsne_embedding, umap_embedding

    make = tsne_embedding if method == TSNE else umap_embedding
    yield LatentProgress(f"{method}: starting", 0, 0)
    events = make(means, seed=MAP_SEED, poll_s=EMBED_POLL_S)
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
