"""The diffusion interpolation worker: DDIM frames along a path between two seeds' noises.

VAEs and GANs interpolate through the latent map's decode thread (LatentController, channel
"interp"): one decode is a millisecond. A diffusion frame costs a whole DDIM run (a
fraction of a second on a CPU), so frames are computed here in the background, coarse to
fine, and the panel's slider scrubs what has arrived. One job at a time: a new path
cancels the running one between frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.log import log
from app.workers.errors import describe
from app.workers.threads import quit_and_join, running_names, worker_thread


@dataclass(frozen=True)
class DiffusionModelInfo:
    """What the panel may know about the loaded diffusion model."""

    path: Path
    family: str
    conditional: bool
    num_classes: int
    class_names: tuple[str, ...]


@dataclass(frozen=True)
class NoisePathRequest:
    """A path to compute: seeds of both ends, α of each frame, sampler steps, class."""

    seed_a: int
    seed_b: int
    alphas: np.ndarray
    steps: int = 20
    method: str = "slerp"
    label: int | None = None


class NoisePathWorker(QObject):
    """Loads a diffusion checkpoint and samples path frames; every slot runs on its thread.

    A job stops between frames once its id is below `cancel_below` (an int written by the
    GUI thread). Emits loaded(job, DiffusionModelInfo), frame(job, index, uint8 H×W×C),
    ended(job, "done"|"cancelled"|"failed"), failed(message, traceback).
    """

    loaded = Signal(int, object)
    frame = Signal(int, int, object)
    ended = Signal(int, str)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.cancel_below = 0
        self._model: Any = None

    @Slot(int, object, str)
    def load(self, job: int, path: Path, device: str) -> None:
        """Load the diffusion model at `path` (an inference copy); emits loaded."""
        try:
            from models.checkpoint import load_checkpoint
            from models.device import resolve_device

            ck = load_checkpoint(path, device=resolve_device(device))
            model = ck.model.eval().requires_grad_(False)
            if not model.capabilities.is_diffusion:
                raise ValueError(f"{ck.family} is not a diffusion model")
            self._model = model
            caps = model.capabilities
            self.loaded.emit(job, DiffusionModelInfo(
                ck.path, ck.family, caps.conditional,
                int(getattr(model.config, "num_classes", 0)), tuple(ck.class_names)))
            self.ended.emit(job, "done")
        except Exception as exc:
            message, tb = describe(exc)
            log.error("interpolation: %s", message)
            self.failed.emit(message, tb)
            self.ended.emit(job, "failed")

    @Slot(int, object)
    def compute(self, job: int, request: NoisePathRequest) -> None:
        """Sample every frame of `request` (coarse to fine); emits frame per frame, ended."""
        if job < self.cancel_below or self._model is None:
            self.ended.emit(job, "cancelled")
            return
        try:
            from models.latent.noise_path import noise_path_frames

            frames = noise_path_frames(self._model, request.seed_a, request.seed_b,
                                       request.alphas, request.steps, request.method,
                                       request.label)
            for f in frames:
                self.frame.emit(job, f.index, f.image.copy())  # never touched again
                if job < self.cancel_below:
                    frames.close()
                    self.ended.emit(job, "cancelled")
                    return
            self.ended.emit(job, "done")
        except Exception as exc:
            self.failed.emit(*describe(exc))
            self.ended.emit(job, "failed")


class NoisePathController(QObject):
    """Owns the diffusion-interpolation thread (GUI thread), started on first use.

    Emits opened(DiffusionModelInfo), frameReady(index, image) and ended(status) for the
    current job only, failed(message). Worker signals land on this object's slots.
    """

    opened = Signal(object)
    frameReady = Signal(int, object)
    ended = Signal(str)
    failed = Signal(str)

    _load = Signal(int, object, str)
    _compute = Signal(int, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: NoisePathWorker | None = None
        self.thread: QThread | None = None
        self._job = 0
        self._load_job = 0
        self.running = False
        self._shut_down = False

    def _ensure_thread(self) -> NoisePathWorker:
        if self.worker is None:
            self.worker = NoisePathWorker()
            self.thread = worker_thread(self.worker, "interpolation", self)
            self._load.connect(self.worker.load)
            self._compute.connect(self.worker.compute)
            self.worker.loaded.connect(self._on_loaded)
            self.worker.frame.connect(self._on_frame)
            self.worker.ended.connect(self._on_ended)
            self.worker.failed.connect(self._on_failed)
            self.thread.start()
        return self.worker

    def open(self, path: Path, device: str = "auto") -> None:
        """Load the diffusion checkpoint at `path`, cancelling any running path."""
        if self._shut_down:
            return  # closing: a thread started now would outlive the window
        worker = self._ensure_thread()
        self._job += 1
        self._load_job = self._job
        worker.cancel_below = self._job
        self.running = True
        self._load.emit(self._job, Path(path), device)

    def compute(self, request: NoisePathRequest) -> int:
        """Start computing `request`'s frames, replacing the running job; return its id."""
        if self._shut_down:
            return self._job  # closing: a thread started now would outlive the window
        worker = self._ensure_thread()
        self._job += 1
        worker.cancel_below = self._job
        self.running = True
        self._compute.emit(self._job, NoisePathRequest(
            request.seed_a, request.seed_b, np.array(request.alphas, np.float64),
            request.steps, request.method, request.label))
        return self._job

    def cancel(self) -> None:
        """Stop the running job after its current frame."""
        if self.worker is not None:
            self.worker.cancel_below = self._job + 1

    @Slot(int, object)
    def _on_loaded(self, job: int, info: DiffusionModelInfo) -> None:
        if job == self._load_job:  # a path asked for meanwhile does not hide the new model
            self.opened.emit(info)

    @Slot(int, int, object)
    def _on_frame(self, job: int, index: int, image: np.ndarray) -> None:
        if job == self._job:
            self.frameReady.emit(index, image)

    @Slot(int, str)
    def _on_ended(self, job: int, status: str) -> None:
        if job == self._job:
            self.running = False
            self.ended.emit(status)

    @Slot(str, str)
    def _on_failed(self, message: str, tb: str) -> None:
        log.debug("interpolation worker traceback:\n%s", tb)
        self.failed.emit(message)

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel, quit and join the thread (if started); True if it joined in time."""
        if self._shut_down or self.thread is None:
            self._shut_down = True
            return True
        self._shut_down = True
        self.cancel()
        return quit_and_join([self.thread], timeout_ms)

    def threads_running(self) -> list[str]:
        """Return the names of threads still running (for tests)."""
        return running_names([self.thread])
