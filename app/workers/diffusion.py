"""The diffusion step viewer's worker: loads a diffusion checkpoint and runs denoising jobs.

One thread, owned by DiffusionController (GUI thread). The worker holds its own inference
copy of the weights (loaded from the checkpoint, never the instance being trained), runs
one trajectory at a time and streams every DenoiseStep as it completes. A run stops
between two steps once its id falls below `cancel_below`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from app.jobs.errors import describe
from app.log import log
from app.workers.threads import quit_and_join, running_names, worker_thread

FORWARD_IMAGES = 64  # dataset images offered to the forward-process view
FORWARD_NOISE_SEED = 1234  # the fixed ε of the forward view: the image dissolves smoothly


@dataclass(frozen=True)
class DiffusionModelInfo:
    """What the viewer may know about a loaded diffusion model (never the model itself).

    Arrays are the worker's copies, never touched again after emit: the schedule curves
    (length T, float64) and up to FORWARD_IMAGES dataset images in the UNet's frame
    (N×C×S×S float32 in [−1, 1], padded like training data) with one fixed noise image.
    """

    generation: int
    path: Path
    family: str
    epoch: int
    conditional: bool
    class_names: tuple[str, ...]
    image_size: int  # the images' side (the UNet frame may be padded beyond it)
    model_size: int
    channels: int
    beta: np.ndarray
    alpha_bar: np.ndarray
    dataset: str
    data_x0: np.ndarray
    forward_noise: np.ndarray
    default_sampler: str
    default_steps: int
    default_guidance: float | None

    @property
    def num_train_timesteps(self) -> int:
        """Return T."""
        return len(self.alpha_bar)

    @property
    def log_snr(self) -> np.ndarray:
        """Return log(ᾱ / (1 − ᾱ)) per timestep."""
        ab = self.alpha_bar
        return np.log(ab / (1.0 - ab))


@dataclass(frozen=True)
class RunRequest:
    """One denoising job. `start` (an x_t recorded at step `start_index`) makes a branch."""

    run_id: int
    generation: int
    n: int
    seed: int
    sampler: str
    steps: int
    eta: float = 0.0
    labels: tuple[int, ...] | None = None
    guidance: float | None = None
    start: np.ndarray | None = None
    start_index: int = 0


class DiffusionWorker(QObject):
    """Lives in the diffusion thread; every slot runs there.

    Emits loaded(DiffusionModelInfo), stepped(run id, DenoiseStep) per step,
    finished(run id, final B×C×S×S float32), ended(run id, "done"|"cancelled"|"failed"),
    failed(message, traceback).
    """

    loaded = Signal(object)
    stepped = Signal(int, object)
    finished = Signal(int, object)
    ended = Signal(int, str)
    failed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        # Written by the GUI thread (an int and set.add: atomic), read between steps.
        self.cancel_below = 0
        self.cancelled: set[int] = set()
        self._model: Any = None
        self._generation = -1

    @Slot(int, object, str)
    def load(self, generation: int, path: Path, device: str) -> None:
        """Load the diffusion checkpoint at `path` and warm up every sampler; emits loaded."""
        try:
            info = self._load(generation, Path(path), device)
        except Exception as exc:
            message, tb = describe(exc)
            log.error("diffusion viewer: %s", message)
            self.failed.emit(message, tb)
            return
        self.loaded.emit(info)

    def _load(self, generation: int, path: Path, device: str) -> DiffusionModelInfo:
        import torch

        from models.checkpoint import load_checkpoint
        from models.config import DataConfig
        from models.device import resolve_device
        from models.diffusion.config import SAMPLERS
        from models.diffusion.unet import to_model_space

        loaded = load_checkpoint(path, device=resolve_device(device))
        model = loaded.model.eval().requires_grad_(False)
        caps = model.capabilities
        if not caps.is_diffusion:
            raise ValueError(f"{loaded.family} is not a diffusion model")
        cfg = model.config
        # Each sampler's first step imports and builds things lazily: do it now, not while
        # the user watches a run (thread rule 6).
        labels = [0] if caps.conditional else None
        for name in SAMPLERS:
            for _ in model.trajectory(1, 0, sampler=name, steps=2, labels=labels):
                pass
        # The forward view shows the training data (the bundled digits when unknown),
        # sized like the model's images.
        data = loaded.data or DataConfig(dataset="mnist5k")
        data = data.replace(image_size=cfg.image_size, channels=cfg.channels)
        try:
            data_x0 = self._data_images(data, model.model_size, to_model_space, torch)
            dataset = data.dataset
        except Exception as exc:  # the reverse process still works without data
            log.warning("diffusion viewer: no dataset images: %s", exc)
            data_x0, dataset = np.zeros((0, *model.image_shape), np.float32), ""
        noise = model.initial_noise(1, FORWARD_NOISE_SEED)[0].numpy().copy()
        curves = model.schedule.curves()
        self._model, self._generation = model, generation
        class_names = tuple(loaded.class_names) or tuple(str(i) for i in range(cfg.num_classes))
        return DiffusionModelInfo(
            generation, loaded.path, loaded.family, int(loaded.progress.get("epoch", 0)),
            caps.conditional, class_names, cfg.image_size, model.model_size, cfg.channels,
            curves.beta.copy(), curves.alpha_bar.copy(), dataset, data_x0, noise,
            cfg.sampler, cfg.sample_steps, getattr(cfg, "guidance", None))

    @staticmethod
    def _data_images(data: Any, model_size: int, to_model_space: Any, torch: Any) -> np.ndarray:
        from models.data import load_dataset

        ds = load_dataset(data)
        images = torch.from_numpy(ds.images[:FORWARD_IMAGES].astype(np.float32) / 255.0)
        return to_model_space(images, model_size).numpy().copy()

    def is_cancelled(self, run_id: int) -> bool:
        """Return True once run `run_id` was cancelled (any thread)."""
        return run_id < self.cancel_below or run_id in self.cancelled

    @Slot(object)
    def run(self, request: RunRequest) -> None:
        """Run one trajectory, emitting stepped per step then finished; always emits ended."""
        if self.is_cancelled(request.run_id):
            self.ended.emit(request.run_id, "cancelled")
            return
        if self._model is None or request.generation != self._generation:
            self.failed.emit("the model of this run is no longer loaded", "")
            self.ended.emit(request.run_id, "failed")
            return
        try:
            status = self._run(request)
        except Exception as exc:
            message, tb = describe(exc)
            log.error("diffusion run %d: %s", request.run_id, message)
            self.failed.emit(message, tb)
            status = "failed"
        self.ended.emit(request.run_id, status)

    def _run(self, request: RunRequest) -> str:
        from models.diffusion.sampling import DenoiseFinished

        options: dict[str, Any] = {"sampler": request.sampler, "steps": request.steps,
                                   "eta": request.eta}
        if request.labels is not None:
            options["labels"] = list(request.labels)
        if request.guidance is not None:
            options["guidance"] = request.guidance
        if request.start is not None:
            options.update(start=request.start, start_index=request.start_index)
        events = self._model.trajectory(request.n, request.seed, **options)
        try:
            for event in events:
                # Checked before emitting: a cancelled run shows nothing after Cancel.
                if self.is_cancelled(request.run_id):
                    return "cancelled"
                if isinstance(event, DenoiseFinished):
                    self.finished.emit(request.run_id, event.x0)
                else:
                    self.stepped.emit(request.run_id, event)  # fresh CPU copies (sampling._cpu)
        finally:
            events.close()
        return "done"


class DiffusionController(QObject):
    """Owns the diffusion thread and its worker (GUI thread); drops stale results.

    Emits loaded(DiffusionModelInfo) for the newest load only, stepped(run id, DenoiseStep),
    finished(run id, array), ended(run id, status) and failed(message). The slots receiving
    worker signals run on the GUI thread.
    """

    loaded = Signal(object)
    stepped = Signal(int, object)
    finished = Signal(int, object)
    ended = Signal(int, str)
    failed = Signal(str)

    _load = Signal(int, object, str)
    _run = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = DiffusionWorker()
        self.thread = worker_thread(self.worker, "diffusion", self)
        self.generation = 0  # of the newest load asked for
        self.info: DiffusionModelInfo | None = None
        self.running: set[int] = set()
        self._run_id = 0
        self._shut_down = False
        w = self.worker
        self._load.connect(w.load)
        self._run.connect(w.run)
        w.loaded.connect(self._on_loaded)
        w.stepped.connect(self._on_stepped)
        w.finished.connect(self._on_finished)
        w.ended.connect(self._on_ended)
        w.failed.connect(self._on_failed)
        self.thread.start()

    # --- requests (GUI thread) ---------------------------------------------------------
    def open(self, path: Path, device: str = "auto") -> int:
        """Load the diffusion checkpoint at `path` (cancelling runs); return its generation."""
        self.cancel()
        self.generation += 1
        self._load.emit(self.generation, Path(path), device)
        return self.generation

    def next_run_id(self) -> int:
        """Reserve and return the id of the next run."""
        self._run_id += 1
        return self._run_id

    def run(self, request: RunRequest, keep_running: bool = False) -> None:
        """Queue `request`; unless `keep_running`, older runs are cancelled first."""
        if not keep_running:
            self.worker.cancel_below = request.run_id
        if request.start is not None:  # arrays crossing threads are copies (thread rule 3)
            request = RunRequest(**{**request.__dict__, "start": np.array(request.start,
                                                                        np.float32)})
        self.running.add(request.run_id)
        self._run.emit(request)

    def cancel(self) -> None:
        """Stop every queued or running run before its next step."""
        self.worker.cancel_below = self._run_id + 1

    def cancel_run(self, run_id: int) -> None:
        """Stop run `run_id` only, before its next step."""
        self.worker.cancelled.add(run_id)

    @property
    def busy(self) -> bool:
        """Return True while a run is queued or running."""
        return bool(self.running)

    # --- worker slots (GUI thread) -------------------------------------------------------
    @Slot(object)
    def _on_loaded(self, info: DiffusionModelInfo) -> None:
        if info.generation == self.generation:
            self.info = info
            self.loaded.emit(info)

    @Slot(int, object)
    def _on_stepped(self, run_id: int, step: Any) -> None:
        if not self.worker.is_cancelled(run_id):
            self.stepped.emit(run_id, step)

    @Slot(int, object)
    def _on_finished(self, run_id: int, final: np.ndarray) -> None:
        if not self.worker.is_cancelled(run_id):
            self.finished.emit(run_id, final)

    @Slot(int, str)
    def _on_ended(self, run_id: int, status: str) -> None:
        self.running.discard(run_id)
        self.ended.emit(run_id, status)

    @Slot(str, str)
    def _on_failed(self, message: str, tb: str) -> None:
        if tb:
            log.debug("diffusion worker traceback:\n%s", tb)
        self.failed.emit(message)

    # --- shutdown ----------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Cancel runs, quit and join the thread; True if it joined in time."""
        if self._shut_down:
            return True
        self._shut_down = True
        self.cancel()
        return quit_and_join([self.thread], timeout_ms)

    def threads_running(self) -> list[str]:
        """Return the names of threads still running (for tests)."""
        return running_names([self.thread])
