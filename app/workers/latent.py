"""Latent-map workers: encode and projection jobs, and latest-wins decode requests.

Two threads, both owned by LatentController (GUI thread):
- the job thread loads a checkpoint (its own inference copy of the weights, never the
  instance being trained), encodes the dataset and computes projections — long, one at a
  time, cancellable between yields;
- the decode thread serves hover, click, manifold-grid and group-mean decodes, so those
  stay instant while a t-SNE job runs. Each decode channel is "latest wins".
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.jobs.errors import describe
from app.log import log
from app.session.latent_types import (
    LATENT_2D,
    PCA,
    TSNE,
    UMAP,
    MapData,
    ProjectionResult,
    compute_projection,
)
from app.workers.threads import quit_and_join, running_names, worker_thread
from models.opened import OpenedModel  # TEMP until latent_space merge

PROGRESS_EMIT_S = 0.1
GENERATED_SAMPLES = 5000  # latents drawn for models that cannot encode


class LatentJobWorker(QObject):
    """Loads, encodes and projects on the job thread; every slot runs there.

    A job stops between yields once its id is below `cancel_below` (written by the GUI
    thread: an int, atomic). Emits progress(job id, stage, done, total), mapReady(MapData),
    projected(ProjectionResult), modelLoaded(model, generation) for the decode worker,
    ended(job id, status: "done"|"cancelled"|"failed"), failed(message, traceback).
    """

    progress = Signal(int, str, int, int)
    mapReady = Signal(object)
    projected = Signal(object)
    modelLoaded = Signal(object, int)
    ended = Signal(int, str)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.cancel_below = 0
        self._means: np.ndarray | None = None
        self._generation = -1
        self._datasets: dict[Any, Any] = {}
        self._last_emit = 0.0

    def _cancelled(self, job: int) -> bool:
        return job < self.cancel_below

    def _progress(self, job: int, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - self._last_emit >= PROGRESS_EMIT_S or (total and done >= total):
            self._last_emit = now
            self.progress.emit(job, stage, done, total)

    @Slot(int, int, object, str, object)
    def load(self, job: int, generation: int, path: Path, device: str,
             align_to: ProjectionResult | None) -> None:
        """Load `path`, encode its dataset (or draw generated latents), then project."""
        if self._cancelled(job):
            self.ended.emit(job, "cancelled")
            return
        try:
            status = self._load(job, generation, Path(path), device, align_to)
        except Exception as exc:
            message, tb = describe(exc)
            log.error("latent map: %s", message)
            self.failed.emit(message, tb)
            status = "failed"
        self.ended.emit(job, status)

    def _load(self, job: int, generation: int, path: Path, device: str,
              align_to: ProjectionResult | None) -> str:
        from models.checkpoint import load_checkpoint
        from models.device import resolve_device

        # The panel's KD-tree needs scipy.spatial (~0.5 s of imports on a busy 2-core
        # machine): import it here so the GUI thread finds it loaded (thread rule 6).
        from models.latent import spatial  # noqa: F401
        from models.latent.encode import EncodedLatents, encode_dataset, generated_latents

        self._progress(job, "loading", 0, 0)
        loaded = load_checkpoint(path, device=resolve_device(device))
        model = loaded.model.eval().requires_grad_(False)
        caps = model.capabilities
        if caps.is_diffusion:
            raise ValueError("diffusion models have no latent map: their latent is the "
                             "image itself")
        dataset_name = loaded.data.dataset if loaded.data is not None else "mnist5k"
        class_names = tuple(loaded.class_names)
        if caps.can_encode:
            ds = self._dataset(loaded.data)
            class_names = class_names or ds.class_names
            events = encode_dataset(model, ds.images, ds.labels)
            stage = "encoding"
        elif caps.conditional:  # a cGAN: each sample in a known class (no classifier needed)
            from models.latent.conditioning import generated_class_latents

            events = generated_class_latents(model, GENERATED_SAMPLES, seed=0)
            stage = "generating"
        else:
            events = generated_latents(model, GENERATED_SAMPLES, seed=0)
            stage = "generating"
        result = None
        for ev in events:
            if self._cancelled(job):
                events.close()
                return "cancelled"
            if isinstance(ev, EncodedLatents):
                result = ev
            else:
                self._progress(job, stage, ev.done, ev.total)
        assert result is not None
        labels, note = result.labels, ""
        if result.generated:
            images = result.images.transpose(0, 2, 3, 1)
            if caps.conditional:
                note = "colours are the classes the samples were generated for"
            else:
                labels, note = self._predict_labels(result.images, dataset_name, labels)
        else:
            images = ds.images.transpose(0, 2, 3, 1)
        means = np.ascontiguousarray(result.means, np.float32)
        kl = None
        if caps.has_prior and not result.generated:
            from models.latent.interpolation import kl_per_dimension

            kl = kl_per_dimension(result.means, result.logvars)
        self._means, self._generation = means, generation
        self.modelLoaded.emit(model, generation)  # this thread never uses `model` again
        epoch = int(loaded.progress.get("epoch", 0))
        self.mapReady.emit(MapData(
            generation, loaded.path, loaded.family, epoch, dataset_name, class_names,
            means.copy(), np.asarray(labels, np.int64).copy(),
            np.ascontiguousarray(images).copy(), result.generated, caps.conditional,
            caps.has_prior and caps.can_encode, note, kl))
        method = LATENT_2D if means.shape[1] == 2 else PCA
        self.projected.emit(compute_projection(generation, method, means, align_to))
        return "done"

    def _dataset(self, data: Any) -> Any:
        from models.data import load_dataset

        if data is None:
            raise ValueError("the checkpoint does not say which dataset it was trained on")
        if data not in self._datasets:  # MNIST's 70k images load once per session
            self._datasets = {data: load_dataset(data)}
        return self._datasets[data]

    def _predict_labels(self, images: np.ndarray, dataset: str,
                        labels: np.ndarray) -> tuple[np.ndarray, str]:
        try:
            from models.latent.labels import predicted_labels

            predicted = predicted_labels(images, dataset)
        except Exception as exc:  # a broken classifier must not cost the map
            log.warning("latent map: classifier failed: %s", exc)
            predicted = None
        if predicted is None:
            return labels, f"no digit classifier for {dataset}: samples are unlabelled"
        return predicted, "colours are the digit classifier's predicted classes"

    @Slot(int, int, str, object)
    def project(self, job: int, generation: int, method: str,
                align_to: ProjectionResult | None) -> None:
        """Compute `method` positions of the current snapshot's latents; emits projected."""
        if self._cancelled(job) or generation != self._generation or self._means is None:
            self.ended.emit(job, "cancelled")
            return
        try:
            if method in (TSNE, UMAP):
                status = self._embed(job, generation, method)
            else:
                self.projected.emit(compute_projection(generation, method, self._means,
                                                       align_to))
                status = "done"
        except Exception as exc:
            self.failed.emit(*describe(exc))
            status = "failed"
        self.ended.emit(job, status)

    def _embed(self, job: int, generation: int, method: str) -> str:
        from models.latent.embedding import Embedding, tsne_embedding, umap_embedding

        make = tsne_embedding if method == TSNE else umap_embedding
        self._progress(job, f"{method}: starting", 0, 0)
        events = make(self._means, seed=0)
        try:
            for ev in events:
                if self._cancelled(job):
                    return "cancelled"
                if isinstance(ev, Embedding):
                    self.projected.emit(ProjectionResult(generation, method, ev.positions))
                    return "done"
                stage = method if ev.stage == method else f"{method}: {ev.stage}"
                self._progress(job, stage, ev.done, ev.total)
        finally:
            events.close()  # UMAP: terminates its child process
        return "cancelled"


class LatentDecodeWorker(QObject):
    """Decodes latents on the decode thread; every slot runs there.

    `latest` maps a channel ("hover", "click", "grid", …) to its newest request id; the GUI
    thread raises it before queueing, and older queued requests are skipped. Emits
    decoded(request id, channel, uint8 N×H×W×C), failed(message, traceback).
    """

    decoded = Signal(int, str, object)
    encoded = Signal(int, object)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.latest: dict[str, int] = {}
        self._model: Any = None
        self._generation = -1

    @Slot(object, int)
    def set_model(self, model: Any, generation: int) -> None:
        """Adopt the job worker's loaded copy (a newer generation only)."""
        if generation > self._generation:
            self._model, self._generation = model, generation

    @Slot(int, str, int, object, object)
    def decode(self, request_id: int, channel: str, generation: int, latents: np.ndarray,
               labels: np.ndarray | None) -> None:
        """Decode N×D `latents` with the model of `generation`; emits decoded."""
        if request_id < self.latest.get(channel, 0) or self._model is None \
                or generation != self._generation:
            return  # superseded, or the map shown belongs to another model
        try:
            from models.latent.decode import decode_latents

            self.decoded.emit(request_id, channel, decode_latents(self._model, latents, labels))
        except Exception as exc:
            self.failed.emit(*describe(exc))

    @Slot(int, str, int, object, object)
    def decode_mixed(self, request_id: int, channel: str, generation: int,
                     latents: np.ndarray, weights: np.ndarray) -> None:
        """Decode N×D `latents` with N×K class weights (a conditional model); emits decoded."""
        if request_id < self.latest.get(channel, 0) or self._model is None \
                or generation != self._generation:
            return
        try:
            from models.latent.conditioning import decode_class_mix

            self.decoded.emit(request_id, channel,
                              decode_class_mix(self._model, latents, weights))
        except Exception as exc:
            self.failed.emit(*describe(exc))

    @Slot(int, int, object, object)
    def encode(self, request_id: int, generation: int, images: np.ndarray,
               labels: np.ndarray) -> None:
        """Encode uint8 N×C×H×W `images` to their N×D posterior means; emits encoded."""
        if self._model is None or generation != self._generation:
            return
        try:
            import torch

            with torch.no_grad():
                x = torch.from_numpy(images).to(self._model.device).float().div_(255.0)
                y = torch.from_numpy(labels).to(self._model.device)
                mu, _ = self._model.encode(x, y if self._model.capabilities.conditional
                                           else None)
            self.encoded.emit(request_id, mu.reshape(len(x), -1).cpu().numpy().copy())
        except Exception as exc:
            self.failed.emit(*describe(exc))


class LatentController(QObject):
    """Owns the latent job and decode threads (GUI thread); drops stale results.

    Emits progress(stage, done, total), mapReady(MapData), projected(ProjectionResult),
    decoded(channel, images) for current requests only, jobEnded(kind, status) and
    failed(message). Slots receiving worker signals run on the GUI thread.
    """

    progress = Signal(str, int, int)
    mapReady = Signal(object)
    projected = Signal(object)
    decoded = Signal(str, object)
    decodedRequest = Signal(int, str, object)  # (request id, channel, images): the same results
    encoded = Signal(int, object)  # (request id, N×D means)
    jobEnded = Signal(str, str)
    failed = Signal(str)

    _load = Signal(int, int, object, str, object)
    _project = Signal(int, int, str, object)
    _decode = Signal(int, str, int, object, object)
    _decodeMixed = Signal(int, str, int, object, object)
    _encode = Signal(int, int, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = LatentJobWorker()
        self.decoder = LatentDecodeWorker()
        self.threads: list[QThread] = []
        for name, worker in (("latent-jobs", self.jobs), ("latent-decode", self.decoder)):
            self.threads.append(worker_thread(worker, name, self))
        self.generation = 0  # of the newest load asked for
        self.shown_generation = -1  # of the map received
        self._job = 0
        self._running: dict[int, str] = {}  # job id -> kind
        self._request = 0
        self._shut_down = False
        self.data: MapData | None = None  # TEMP until latent_space merge
        self._opened: OpenedModel | None = None  # TEMP until latent_space merge
        j, d = self.jobs, self.decoder
        self._load.connect(j.load)
        self._project.connect(j.project)
        self._decode.connect(d.decode)
        self._decodeMixed.connect(d.decode_mixed)
        self._encode.connect(d.encode)
        j.modelLoaded.connect(d.set_model)  # worker to worker: no model on the GUI thread
        j.progress.connect(self._on_progress)
        j.mapReady.connect(self._on_map)
        j.projected.connect(self._on_projected)
        j.ended.connect(self._on_ended)
        j.failed.connect(self._on_failed)
        d.decoded.connect(self._on_decoded)
        d.encoded.connect(self._on_encoded)
        d.failed.connect(self._on_failed)
        for thread in self.threads:
            thread.start()

    # --- requests (GUI thread) ---------------------------------------------------------
    @property
    def busy(self) -> str | None:
        """Return the kind of the running job ("encode", a method name) or None."""
        return next(iter(self._running.values()), None) if self._running else None

    def open(self, path: Path | OpenedModel, device: str = "auto",
             align_to: ProjectionResult | None = None, force: bool = False) -> int:
        """Encode the checkpoint at `path`, replacing any job; return its generation."""
        if isinstance(path, OpenedModel):  # TEMP until latent_space merge: open(model)
            model = path
            if model.path is None or (model is self._opened and not force and (
                    self.busy == "encode" or self.shown_generation == self.generation)):
                return self.generation
            self._opened, path, device = model, model.path, model.device
        else:
            self._opened = None  # TEMP until latent_space merge
        self.generation += 1
        job = self._new_job("encode")
        if align_to is not None:  # arrays crossing threads are copies (thread rule 3)
            align_to = ProjectionResult(align_to.generation, align_to.method,
                                        align_to.positions.copy(), align_to.pca)
        self._load.emit(job, self.generation, Path(path), device, align_to)
        return self.generation

    def project(self, method: str, align_to: ProjectionResult | None = None) -> None:
        """Compute `method` positions for the map shown, replacing any running job."""
        job = self._new_job(method)
        self._project.emit(job, self.shown_generation, method, align_to)

    def cancel(self) -> None:
        """Cancel the running job between its steps (the map shown stays)."""
        self.jobs.cancel_below = self._job + 1

    def decode(self, channel: str, latents: np.ndarray,
               labels: np.ndarray | None = None) -> int:
        """Queue a latest-wins decode of N×D `latents` on `channel`; return its id."""
        self._request += 1
        self.decoder.latest[channel] = self._request
        self._decode.emit(self._request, channel, self.shown_generation,
                          np.array(latents, np.float32, copy=True).reshape(
                              -1, np.shape(latents)[-1]),
                          None if labels is None else np.array(labels, np.int64))
        return self._request

    def decode_mixed(self, channel: str, latents: np.ndarray, weights: np.ndarray) -> int:
        """Queue a latest-wins decode of N×D `latents` with N×K class weights; return its id."""
        self._request += 1
        self.decoder.latest[channel] = self._request
        z = np.array(latents, np.float32, copy=True).reshape(-1, np.shape(latents)[-1])
        w = np.array(weights, np.float32, copy=True).reshape(len(z), -1)
        self._decodeMixed.emit(self._request, channel, self.shown_generation, z, w)
        return self._request

    def encode(self, images: np.ndarray, labels: np.ndarray | None = None) -> int:
        """Queue encoding uint8 N×C×H×W `images` with the map's model; return the request id."""
        self._request += 1
        n = len(images)
        lab = np.zeros(n, np.int64) if labels is None else np.array(labels, np.int64)
        self._encode.emit(self._request, self.shown_generation,
                          np.array(images, np.uint8, copy=True), lab)
        return self._request

    def _new_job(self, kind: str) -> int:
        self._job += 1
        self.jobs.cancel_below = self._job  # one job at a time: the newest wins
        self._running = {self._job: kind}
        return self._job

    # --- worker slots (GUI thread) -------------------------------------------------------
    @Slot(int, str, int, int)
    def _on_progress(self, job: int, stage: str, done: int, total: int) -> None:
        if job in self._running:
            self.progress.emit(stage, done, total)

    @Slot(object)
    def _on_map(self, data: MapData) -> None:
        if data.generation == self.generation:
            self.shown_generation = data.generation
            self.data = data  # TEMP until latent_space merge
            self.mapReady.emit(data)

    @Slot(object)
    def _on_projected(self, result: ProjectionResult) -> None:
        if result.generation == self.shown_generation:
            self.projected.emit(result)

    @Slot(int, str)
    def _on_ended(self, job: int, status: str) -> None:
        kind = self._running.pop(job, None)
        if kind is not None:
            self.jobEnded.emit(kind, status)

    @Slot(int, str, object)
    def _on_decoded(self, request_id: int, channel: str, images: np.ndarray) -> None:
        if request_id >= self.decoder.latest.get(channel, 0):
            self.decoded.emit(channel, images)
            self.decodedRequest.emit(request_id, channel, images)

    @Slot(int, object)
    def _on_encoded(self, request_id: int, means: np.ndarray) -> None:
        self.encoded.emit(request_id, means)

    @Slot(str, str)
    def _on_failed(self, message: str, tb: str) -> None:
        log.debug("latent worker traceback:\n%s", tb)
        self.failed.emit(message)

    # --- shutdown ----------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel jobs, quit and join both threads; True if they joined in time."""
        if self._shut_down:
            return True
        self._shut_down = True
        self.cancel()
        return quit_and_join(self.threads, timeout_ms)

    def threads_running(self) -> list[str]:
        """Return the names of threads still running (for tests)."""
        return running_names(self.threads)
