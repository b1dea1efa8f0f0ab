"""The latent space of the model shown, shared by the latent map and interpolation panels.

`session.latent` (GUI thread) computes a model's map (its dataset encoded, or generated
latents) and projections on the "latent-jobs" lane, one job at a time, and decodes and
encodes on the "latent-decode" lane, latest wins per channel ("hover", "click", "grid",
"interp", ...). Each lane computes with its own ModelCopy of the OpenedModel. Results of a
superseded map (an older generation) are never emitted. It forgets everything when
`session.models` opens another model or closes it.

Pictures before PyTorch: `show_precomputed(checkpoint)` shows a checkpoint's precomputed
map (models/pictures/map_file.py) read with numpy alone, as a MapData whose `model` is
None. When `session.models` then opens that very checkpoint, the model attaches to the map
shown (nothing is encoded again) and decoding works from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.jobs import Job, JobService
from app.jobs.copies import ModelCopy
from app.log import log
from app.session.latent_jobs import (
    DECODE_LANE,
    JOBS_LANE,
    LatentProgress,
    decode_events,
    decode_mix_events,
    drop_events,
    encode_events,
    map_events,
    precomputed_map_events,
    projection_events,
)
from app.session.latent_types import MapData, ProjectionResult
from app.session.lifecycle import ModelLifecycle
from app.session.training_job import DatasetCache
from models.opened import OpenedModel
from models.pictures.map_file import map_path

ENCODE_CHANNEL = "encode"


class LatentSpace(QObject):
    """Maps, projections, decodes and encodes of the model shown (GUI thread).

    Emits progress(stage, done, total), mapReady(MapData), projected(ProjectionResult),
    decoded(channel, images) and decodedRequest(request id, channel, images) for the newest
    request of a channel, encoded(request id, N×D means), jobEnded(kind, status) for the
    current map/projection job ("encode" or a method; "done"|"cancelled"|"failed"),
    failed(message) and cleared() when it forgets its map (a precomputed map's model
    failed to open, another map replaces it, the model shown changed). `data` and
    `projection` are the last map and projection emitted, so a panel shown later draws
    them at once.
    """

    progress = Signal(str, int, int)
    mapReady = Signal(object)
    projected = Signal(object)
    decoded = Signal(str, object)
    decodedRequest = Signal(int, str, object)
    encoded = Signal(int, object)
    jobEnded = Signal(str, str)
    failed = Signal(str)
    cleared = Signal()

    def __init__(self, jobs: JobService, models: ModelLifecycle,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self.generation = 0  # of the newest map asked for
        self.shown_generation = -1  # of the map received
        self.data: MapData | None = None
        self.projection: ProjectionResult | None = None
        self._model: OpenedModel | None = None  # whose map `generation` is
        # The checkpoint whose precomputed map `generation` is (resolved), until the model
        # opened from it attaches or another map replaces it.
        self._pictures: Path | None = None
        self._pictures_job = 0  # job seq of the newest precomputed map read
        self._computing: OpenedModel | None = None  # whose map the running job computes
        self._job_seq = 0  # of the newest job on the jobs lane
        self._running: tuple[int, str] | None = None  # (job seq, kind) reported by busy
        self._request = 0
        self._latest: dict[str, int] = {}  # channel -> newest request id
        self._copies = {JOBS_LANE: ModelCopy(), DECODE_LANE: ModelCopy()}
        self._datasets = DatasetCache()
        self._used: set[str] = set()  # lanes this object has started
        models.opened.connect(self._on_model_changed)
        models.closed.connect(self._on_model_changed)

    # --- the map and its projections (the "latent-jobs" lane) -------------------------------
    @property
    def busy(self) -> str | None:
        """Return the kind of the running map/projection job ("encode", a method) or None."""
        return self._running[1] if self._running is not None else None

    def open(self, model: OpenedModel, align_to: ProjectionResult | None = None,
             force: bool = False) -> int:
        """Compute the map of `model`, replacing any map or projection job; return its
        generation. Without `force`, a map of this very model already shown or being
        computed is kept (two panels asking encode once)."""
        if not force and model is self._model and (
                self._computing is model
                or (self.data is not None and self.shown_generation == self.generation)):
            return self.generation
        self.generation += 1
        self._model, self._pictures = model, None
        gen, copies, datasets = self.generation, self._copies[JOBS_LANE], self._datasets
        if align_to is not None:  # arrays handed to a lane are copies
            align_to = ProjectionResult(align_to.generation, align_to.method,
                                        align_to.positions.copy(), align_to.linear)
        # Refresh (force) computes anew; otherwise a precomputed map of these weights is used.
        use_file = not force
        if self._start("encode", lambda job: map_events(job, model, copies, datasets, gen,
                                                          align_to, use_file)):
            self._computing = model
        return gen

    def show_precomputed(self, checkpoint: Path) -> bool:
        """Show `checkpoint`'s precomputed map before its model opens; return whether it has
        a map file (one made from other weights, or refused, then shows nothing).

        Replaces the map shown. Reads the file on the "latent-jobs" lane without torch;
        the MapData emitted has `model` None until the model opened from `checkpoint`
        attaches.
        """
        checkpoint = Path(checkpoint)
        if not map_path(checkpoint).is_file():
            return False
        self.clear()
        self.generation += 1
        self._pictures = _resolved(checkpoint)
        gen = self.generation
        self._start("encode", lambda job: precomputed_map_events(job, checkpoint, gen))
        self._pictures_job = self._job_seq
        return True

    def _attach(self, model: OpenedModel) -> bool:
        """Attach `model` to the precomputed map shown or being read, when it was opened
        from that map's checkpoint; return whether it was."""
        if self._pictures is None or model.path is None \
                or _resolved(model.path) != self._pictures:
            return False
        self._model, self._pictures = model, None
        data = self.data
        if data is not None and self.shown_generation == self.generation:
            self.data = replace(data, model=model)
        elif self._running is not None:
            self._computing = model  # its MapData gets the model when it arrives
        else:  # the file was refused: compute the map
            self.open(model, force=True)
        return True

    def project(self, method: str, align_to: ProjectionResult | None = None) -> None:
        """Compute `method` positions of the map shown, replacing any running job."""
        data = self.data
        if data is None:
            return
        # The map's arrays are never written: shared read-only with the lane.
        gen, means, labels = data.generation, data.means, data.labels
        stored = data.precomputed.get(method)  # positions from the map file: no recompute
        self._computing = None  # the map job, if any, is cancelled by this one
        self._start(method, lambda job: projection_events(job, gen, method, means, align_to,
                                                          labels, stored))

    def cancel(self) -> None:
        """Cancel the map or projection job at its next step (the map shown stays)."""
        self._jobs.cancel(JOBS_LANE)

    def _start(self, kind: str, work: Callable[[Job], Iterator[Any]]) -> bool:
        self._job_seq += 1
        seq = self._job_seq
        job = self._submit(JOBS_LANE, work, on_event=lambda ev: self._on_job_event(seq, ev),
                           on_done=lambda status: self._on_job_done(seq, kind, status))
        self._running = (seq, kind) if job is not None else None
        return job is not None

    def _on_job_event(self, seq: int, event: Any) -> None:
        if seq != self._job_seq:
            return  # superseded
        if isinstance(event, LatentProgress):
            self.progress.emit(event.stage, event.done, event.total)
        elif isinstance(event, MapData):
            if event.model is None and self._model is not None:
                event = replace(event, model=self._model)  # attached while it was read
            if event.generation == self.generation:
                self.shown_generation = event.generation
                self.data, self.projection = event, None
                self.mapReady.emit(event)
        elif isinstance(event, ProjectionResult) and event.generation == self.shown_generation:
            self.projection = event
            self.projected.emit(event)

    def _on_job_done(self, seq: int, kind: str, status: str) -> None:
        if seq == self._job_seq:
            attached = self._computing if seq == self._pictures_job else None
            self._running = self._computing = None
            self.jobEnded.emit(kind, status)
            if attached is not None and status == "done" \
                    and self.shown_generation != self.generation:
                # A model attached to a precomputed map whose file was then refused.
                self.open(attached, force=True)

    # --- decodes and encodes (the "latent-decode" lane) -------------------------------------
    def decode(self, channel: str, latents: np.ndarray,
               labels: np.ndarray | None = None) -> int:
        """Decode N×D `latents` with the map's model, latest wins on `channel`; return the
        request id (decoded/decodedRequest carry the images)."""
        z = np.array(latents, np.float32, copy=True).reshape(-1, np.shape(latents)[-1])
        lab = None if labels is None else np.array(labels, np.int64, copy=True)
        return self._ask(channel, lambda job, m, c: decode_events(job, m, c, z, lab))

    def decode_mixed(self, channel: str, latents: np.ndarray, weights: np.ndarray) -> int:
        """Decode N×D `latents` with N×K class weights (a conditional model), latest wins on
        `channel`; return the request id."""
        z = np.array(latents, np.float32, copy=True).reshape(-1, np.shape(latents)[-1])
        w = np.array(weights, np.float32, copy=True).reshape(len(z), -1)
        return self._ask(channel, lambda job, m, c: decode_mix_events(job, m, c, z, w))

    def encode(self, images: np.ndarray, labels: np.ndarray | None = None) -> int:
        """Encode uint8 N×C×H×W `images` with the map's model; return the request id
        (`encoded` carries the N×D means). Encodes never cancel one another."""
        x = np.array(images, np.uint8, copy=True)
        lab = np.zeros(len(x), np.int64) if labels is None else np.array(labels, np.int64)
        return self._ask(ENCODE_CHANNEL, lambda job, m, c: encode_events(job, m, c, x, lab))

    def cancel_decode(self, channel: str) -> None:
        """Cancel the decodes of `channel`: nothing more arrives for its requests so far."""
        self._latest[channel] = self._request + 1
        self._jobs.cancel(DECODE_LANE, channel)

    def _ask(self, channel: str,
             body: Callable[[Job, OpenedModel, ModelCopy], Iterator[Any]]) -> int:
        self._request += 1
        rid = self._request
        data = self.data
        if data is None or data.model is None:
            return rid  # no map shown: nothing to decode with
        model, gen, copies = data.model, data.generation, self._copies[DECODE_LANE]
        latest = channel != ENCODE_CHANNEL
        if latest:
            self._latest[channel] = rid
        self._submit(DECODE_LANE, lambda job: body(job, model, copies), channel=channel,
                     latest=latest, on_event=lambda out: self._arrived(rid, channel, gen, out))
        return rid

    def _arrived(self, rid: int, channel: str, gen: int, out: np.ndarray) -> None:
        if gen != self.shown_generation:
            return  # computed with the model of a map no longer shown
        if channel == ENCODE_CHANNEL:
            self.encoded.emit(rid, out)
        elif rid >= self._latest.get(channel, 0):
            self.decoded.emit(channel, out)
            self.decodedRequest.emit(rid, channel, out)

    # --- forgetting ---------------------------------------------------------------------------
    def clear(self) -> None:
        """Cancel every job, forget the map, projection and requests, drop the lane copies."""
        for lane in self._used:
            self._jobs.cancel(lane)
        self._job_seq += 1
        self._running = None
        self.generation += 1  # whatever was asked before is stale
        self.shown_generation = -1
        self.data = self.projection = None
        self._model = self._computing = None
        self._pictures = None
        self._latest.clear()
        for lane in list(self._used):  # on each lane's thread: it alone uses its copy
            copies = self._copies[lane]
            self._submit(lane, lambda job, c=copies: drop_events(job, c), channel="drop",
                         latest=False)
        self.cleared.emit()

    def _on_model_changed(self, model: OpenedModel | None = None) -> None:
        # A new model never shows the old map, unless it is the model of the precomputed
        # map shown: it attaches (the panels, reset next, draw that map again at once).
        if model is None or not self._attach(model):
            self.clear()

    def threads_running(self) -> list[str]:
        """Return the names of this object's lane threads still alive (for tests)."""
        names = {f"latentlab-{lane}" for lane in (JOBS_LANE, DECODE_LANE)}
        return [name for name in self._jobs.threads_running() if name in names]

    # --- internals ----------------------------------------------------------------------------
    def _submit(self, lane: str, work: Callable[[Job], Iterator[Any]], **kwargs: Any
                ) -> Job | None:
        try:
            job = self._jobs.submit(lane, work, on_error=self._on_error, **kwargs)
        except RuntimeError as exc:  # the application is closing
            log.debug("latent space: %s", exc)
            return None
        self._used.add(lane)
        return job

    def _on_error(self, message: str, _tb: str) -> None:
        self.failed.emit(message)


def _resolved(path: Path) -> Path:
    """Return `path` made absolute with links resolved (two spellings of one folder match)."""
    try:
        return Path(path).resolve()
    except OSError:
        return Path(path).absolute()
