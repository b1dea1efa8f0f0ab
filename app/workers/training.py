"""The training worker: iterates `Trainer.run()` in the training thread and re-emits events."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.log import log
from app.workers.errors import describe
from models.config import DataConfig, ModelConfig, TrainConfig

# Steps are sent to the GUI in batches at most this often: the plots redraw 4 times a
# second anyway, and one queued signal per 100 ms costs far less than one per step.
STEP_BATCH_SECONDS = 0.1
# A model copy for the panels costs ~6 ms of this thread (vae; conv-vae ~12 ms): a model
# that ends an epoch every 0.5 s sends one at most this often (and always at the end).
SNAPSHOT_MIN_SECONDS = 2.0


@dataclass(frozen=True)
class TrainJob:
    """What to train and where; `resume_from` continues a checkpoint instead."""

    family: str
    model: ModelConfig
    train: TrainConfig
    data: DataConfig
    run_dir: Path
    resume_from: Path | None = None


@dataclass(frozen=True)
class JobInfo:
    """Facts about a job known once its trainer is built (sent with TrainStarted)."""

    started: Any  # TrainStarted
    dataset: str
    batch_size: int
    model_config: ModelConfig


def warm_up() -> dict[str, Any]:
    """Import torch and the training code and run one tiny step; return device facts.

    Runs on the training thread before any job: the lazy imports a first step triggers
    (torch._dynamo among them, ~1 s) would otherwise happen mid-training, holding the GIL
    and freezing the GUI for 100+ ms (performance-notes §2).
    """
    import importlib

    import torch
    import torch._dynamo  # loaded now for its side effect, not lazily mid-training

    from models.config import TrainConfig as TC
    from models.device import available_devices
    from models.images import make_grid, to_uint8_nhwc
    from models.registry import build_model, config_class
    from models.training import trainer as _trainer  # noqa: F401

    for family in ("vae", "conv-vae"):
        cfg = config_class(family)()
        model = build_model(family, cfg.replace(**_tiny(family)))
        opts = model.configure_optimizers(TC())
        x = torch.rand(2, cfg.channels, cfg.image_size, cfg.image_size)
        model.training_step(x, torch.zeros(2, dtype=torch.long), opts)
        with torch.no_grad():
            make_grid(to_uint8_nhwc(model.sample(2, 0)))
    # The loss plots smooth with scipy.signal: ~1 s of imports that must not happen on the
    # GUI thread in the middle of a run.
    importlib.import_module("scipy.signal")
    return {"devices": available_devices(), "torch": torch.__version__,
            "threads": torch.get_num_threads()}


def _tiny(family: str) -> dict[str, Any]:
    if family == "conv-vae":
        return {"latent_dim": 2, "conv_channels": (2, 2), "fc_dim": 4}
    return {"latent_dim": 2, "hidden_dims": (4,)}


class TrainingWorker(QObject):
    """Runs one training job at a time on the training thread.

    Slots run on the training thread; `request_*` methods are called from the GUI thread
    (they only set thread-safe flags, read between yields). Emits: warmedUp(dict),
    started(JobInfo), steps(list[TrainStep]), epochEnded(EpochEnd), snapshot(model copy,
    for the inference worker), paused(), resumed(), ended(TrainFinished|TrainStopped|
    TrainFailed), saved(str), failed(message, traceback), idle() after every job.
    """

    warmedUp = Signal(object)
    started = Signal(object)
    steps = Signal(object)
    epochEnded = Signal(object)
    snapshot = Signal(object)
    paused = Signal()
    resumed = Signal()
    ended = Signal(object)
    saved = Signal(str)
    failed = Signal(str, str)
    idle = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._save_to: list[Path] = []
        self._datasets: dict[DataConfig, Any] = {}
        self._pending: list[Any] = []
        self._last_flush = 0.0
        self._last_snapshot = float("-inf")

    # --- called from the GUI thread -----------------------------------------------------
    def request_pause(self) -> None:
        """Ask the running job to wait before its next step."""
        self._pause.set()

    def request_resume(self) -> None:
        """Let a paused job continue."""
        self._pause.clear()
        self._wake.set()

    def request_stop(self) -> None:
        """Ask the running job to save and stop after the current step."""
        self._stop.set()
        self._wake.set()

    def request_save(self, dest: Path) -> None:
        """Ask the running job to save now and copy the checkpoint to `dest`."""
        with self._lock:
            self._save_to.append(dest)
        self._wake.set()

    # --- slots: run on the training thread ---------------------------------------------
    @Slot()
    def warm_up(self) -> None:
        """Import torch and warm the training code; emits warmedUp or failed."""
        t0 = time.perf_counter()
        try:
            info = warm_up()
        except Exception as exc:  # a broken install must become a message, not a dead thread
            self.failed.emit(*describe(exc))
            return
        info["seconds"] = time.perf_counter() - t0
        self.warmedUp.emit(info)

    @Slot(object, object)
    def copy_checkpoint(self, src: Path, dest: Path) -> None:
        """Copy a checkpoint folder (no job running); emits saved or failed."""
        try:
            _copy_folder(Path(src), Path(dest))
            self.saved.emit(str(dest))
        except Exception as exc:
            self.failed.emit(*describe(exc))

    @Slot(object)
    def train(self, job: TrainJob) -> None:
        """Build a trainer for `job` and iterate it until it ends, is stopped or fails."""
        self._stop.clear()
        self._pause.clear()
        self._wake.clear()
        self._last_snapshot = float("-inf")
        trainer = None
        try:
            trainer = self._build(job)
            gen = trainer.run()
            try:
                for event in gen:
                    if self._handle(event, trainer, job):
                        break
                    self._between_steps(trainer)
            finally:
                gen.close()  # the trainer's finally saves unsaved work
        except Exception as exc:
            message, tb = describe(exc)
            log.error("training failed: %s\n%s", message, tb)
            self.failed.emit(message, tb)
        finally:
            self._flush_steps()
            self._pause.clear()
            self.idle.emit()

    # --- internals (training thread) ---------------------------------------------------
    def _build(self, job: TrainJob) -> Any:
        from models.data import load_dataset
        from models.training import Trainer

        dataset = self._datasets.get(job.data)
        if dataset is None:
            dataset = load_dataset(job.data)
            self._datasets = {job.data: dataset}  # keep one: datasets can be large
        if job.resume_from is not None:
            return Trainer.resume(job.resume_from, epochs=job.train.epochs,
                                  device=job.train.device, threads=job.train.threads,
                                  dataset=dataset)
        return Trainer(job.family, job.model, job.train, job.data, job.run_dir,
                       dataset=dataset)

    def _handle(self, event: Any, trainer: Any, job: TrainJob) -> bool:
        """Emit one event; return True when it ends the job."""
        from models.training import EpochEnd, TrainStarted, TrainStep

        if isinstance(event, TrainStep):
            self._pending.append(event)
            if time.perf_counter() - self._last_flush >= STEP_BATCH_SECONDS:
                self._flush_steps()
            return False
        self._flush_steps()
        if isinstance(event, TrainStarted):
            self.started.emit(JobInfo(event, trainer.dataset.name, trainer.train.batch_size,
                                      trainer.model_config))
            return False
        if isinstance(event, EpochEnd):
            self.epochEnded.emit(event)
            if time.perf_counter() - self._last_snapshot >= SNAPSHOT_MIN_SECONDS:
                self._send_snapshot(trainer, event.epoch)
            return False
        self._send_snapshot(trainer, trainer.epoch)
        self.ended.emit(event)
        return True

    def _send_snapshot(self, trainer: Any, epoch: int) -> None:
        # Rule 4: panels explore a copy; the instance being trained is never shared.
        # Rebuilt from config + detached weights: deepcopy fails on buffers updated
        # in place from tensors that carry autograd history (e.g. the AE code moments).
        from models.base import detached_copy

        self._last_snapshot = time.perf_counter()
        model = detached_copy(trainer.model)
        self.snapshot.emit({"model": model, "epoch": epoch, "family": trainer.family,
                            "checkpoint": trainer.last_good})

    def _flush_steps(self) -> None:
        if self._pending:
            batch, self._pending = self._pending, []
            self.steps.emit(batch)
        self._last_flush = time.perf_counter()

    def _between_steps(self, trainer: Any) -> None:
        self._serve_saves(trainer)
        if self._pause.is_set() and not self._stop.is_set():
            self._flush_steps()
            self.paused.emit()
            while self._pause.is_set() and not self._stop.is_set():
                self._wake.wait(0.25)
                self._wake.clear()
                self._serve_saves(trainer)
            if not self._stop.is_set():
                self.resumed.emit()
        if self._stop.is_set():
            trainer.request_stop()  # the generator saves and yields TrainStopped next

    def _serve_saves(self, trainer: Any) -> None:
        with self._lock:
            todo, self._save_to = self._save_to, []
        for dest in todo:
            try:
                src = trainer.save()
                if Path(dest).resolve() != Path(src).resolve():
                    _copy_folder(Path(src), Path(dest))
                self.saved.emit(str(dest))
            except Exception as exc:
                self.failed.emit(*describe(exc))


def _copy_folder(src: Path, dest: Path) -> None:
    """Copy checkpoint folder `src` to `dest` via a temporary sibling (no half copies)."""
    import shutil

    if not (src / "config.json").is_file():
        raise FileNotFoundError(f"{src} is not a checkpoint folder")
    tmp = dest.with_name(dest.name + ".tmp-copy")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(src, tmp)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.replace(dest)
