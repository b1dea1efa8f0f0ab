"""The session: the one state object every panel observes (GUI thread only).

Panels read its attributes, connect to its signals and call its request methods; they never
call each other. The session owns the JobController, whose workers are the only bridge to
compute. Worker signals land on the `on_*` slots below.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from app.history import EpochRecord, RunHistory, RunShape
from app.log import log
from app.workers.controller import JobController
from app.workers.diffusion import DiffusionController
from app.workers.inference import ModelInfo, OpenedCheckpoint
from app.workers.latent import AttributeVector, LatentAnchor, LatentController
from app.workers.training import JobInfo, TrainJob
from models.config import DataConfig, ModelConfig, TrainConfig

PROGRESS_EMIT_S = 0.25


class JobState(enum.Enum):
    """What the application is doing; the text is shown in the status bar."""

    LOADING = "loading torch…"
    IDLE = "idle"
    PREPARING = "preparing"
    TRAINING = "training"
    PAUSED = "paused"
    STOPPING = "stopping"
    FOLLOWING = "following run"

    @property
    def busy(self) -> bool:
        """Return True while a training job owns the training thread."""
        return self in (JobState.PREPARING, JobState.TRAINING, JobState.PAUSED,
                        JobState.STOPPING)


@dataclass(frozen=True)
class Progress:
    """Where the current run is: counters, rate and estimate."""

    epoch: int = 0  # epochs done
    total_epochs: int = 0
    step: int = 0
    total_steps: int = 0
    images_per_s: float = 0.0
    eta_s: float | None = None

    @property
    def fraction(self) -> float:
        """Return the share of steps done, 0..1."""
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


class _RateMeter:
    """Steps per second over the last ~20 s of wall-clock time (includes epoch-end work)."""

    def __init__(self) -> None:
        self._points: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._points.clear()

    def add(self, t: float, step: int) -> None:
        self._points.append((t, step))
        while len(self._points) > 2 and t - self._points[0][0] > 20.0:
            self._points.popleft()

    def steps_per_s(self) -> float:
        if len(self._points) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._points[0], self._points[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0


class Session(QObject):
    """Application state and requests (GUI thread).

    Emits torchReady(dict), stateChanged(JobState), runReset(), stepsAdded(),
    epochAdded(int), progressChanged(Progress), samplesReady(ndarray),
    modelChanged(ModelInfo), checkpointOpened(OpenedCheckpoint), checkpointSaved(Path),
    deviceChanged(str), message(level, text), latentSelected(LatentAnchor),
    attributeVectorChanged(AttributeVector | None).
    """

    torchReady = Signal(object)
    stateChanged = Signal(object)
    runReset = Signal()
    stepsAdded = Signal()
    epochAdded = Signal(int)
    progressChanged = Signal(object)
    samplesReady = Signal(object)
    modelChanged = Signal(object)
    checkpointOpened = Signal(object)
    checkpointSaved = Signal(object)
    deviceChanged = Signal(str)
    message = Signal(str, str)
    latentSelected = Signal(object)
    attributeVectorChanged = Signal(object)

    def __init__(self, runs_root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs_root = Path(runs_root)
        self.state = JobState.LOADING
        self.torch_info: dict[str, Any] | None = None
        self.device = "auto"
        self.history = RunHistory()
        self.progress = Progress()
        self.model_info: ModelInfo | None = None
        self.checkpoint: Path | None = None  # the latest checkpoint of the run or file shown
        self.family = ""
        self.dataset = ""
        self.last_error: str | None = None
        self._rate = _RateMeter()
        self._sample_seed = 0
        self._started = False
        self._last_progress_emit = 0.0
        self.jobs = JobController(self)
        # The latent map's jobs, and what it offers other panels (interpolation anchors).
        self.latent = LatentController(self)
        self.diffusion = DiffusionController(self)  # the diffusion step viewer's runs
        self.followed_run_complete = False  # the followed run has done all its epochs
        self.latent_selection: LatentAnchor | None = None
        self.attribute_vector: AttributeVector | None = None

    def start(self) -> None:
        """Start loading torch on the training thread (call once the window is painted)."""
        if not self._started:
            self._started = True
            self.jobs.warm_up()

    # --- requests from panels and actions ----------------------------------------------
    @property
    def torch_ready(self) -> bool:
        """Return True once torch and the training code are loaded."""
        return self.torch_info is not None

    def start_training(self, family: str, model: ModelConfig, train: TrainConfig,
                       data: DataConfig, resume_from: Path | None = None) -> Path:
        """Start a training job into a new run folder and return that folder."""
        if not self.torch_ready:
            raise RuntimeError("torch is still loading")
        if self.state.busy:
            raise RuntimeError("a training job is already running")
        self.jobs.stop_following()
        train = train.replace(device=self.device)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        run_dir = self.runs_root / f"{stamp}-{family}"
        n = 1
        while run_dir.exists():
            n += 1
            run_dir = self.runs_root / f"{stamp}-{family}-{n}"
        self.history = RunHistory(RunShape(run_dir=run_dir, family=family,
                                           dataset=data.dataset, device=self.device,
                                           total_epochs=train.epochs,
                                           batch_size=train.batch_size))
        self.family, self.dataset = family, data.dataset
        self.progress = Progress(total_epochs=train.epochs)
        self._rate.reset()
        self.runReset.emit()
        self.progressChanged.emit(self.progress)
        self._set_state(JobState.PREPARING)
        log.info("training %s on %s into %s", family, data.dataset, run_dir)
        self.jobs.start_training(TrainJob(family, model, train, data, run_dir, resume_from))
        return run_dir

    def pause(self) -> None:
        """Pause training between steps."""
        if self.state in (JobState.TRAINING, JobState.PREPARING):
            self.jobs.pause()

    def resume(self) -> None:
        """Resume paused training."""
        if self.state is JobState.PAUSED:
            self.jobs.resume()

    def stop(self) -> None:
        """Stop training (it saves) or stop following a run folder."""
        if self.state.busy:
            self._set_state(JobState.STOPPING)
            self.jobs.stop()
        elif self.state is JobState.FOLLOWING:
            self.jobs.stop_following()
            self._set_state(JobState.IDLE)

    def save_checkpoint(self, dest: Path) -> None:
        """Save the current training state (or copy the open checkpoint) to `dest`."""
        self.jobs.save(Path(dest), self.checkpoint)

    def sample(self, n: int = 64, seed: int | None = None) -> int:
        """Ask for `n` fresh samples from the inference copy; returns the request id."""
        if seed is None:
            self._sample_seed += 1
            seed = self._sample_seed
        return self.jobs.sample(n, seed)

    def open_path(self, path: Path) -> None:
        """Open a checkpoint folder or a run folder: load its model and show its history."""
        path = Path(path)
        if self.state.busy:
            raise RuntimeError("stop the training job before opening another run")
        if not self.torch_ready:
            raise RuntimeError("torch is still loading")
        run_dir = path if (path / "metrics.jsonl").is_file() or \
            (path / "run.json").is_file() else None
        if run_dir is None and path.parent.name == "checkpoints":
            run_dir = path.parent.parent
        if (path / "config.json").is_file() or (path / "checkpoints").is_dir():
            self.jobs.open_checkpoint(path, self.device)
        if run_dir is not None:
            self.follow_run(run_dir)
        elif (path / "config.json").is_file():
            # A bare checkpoint has no history: the previous run's curves no longer apply.
            self.jobs.stop_following()
            self.history = RunHistory()
            self.progress = Progress()
            self.runReset.emit()
            if self.state is JobState.FOLLOWING:
                self._set_state(JobState.IDLE)
        elif not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is neither a checkpoint nor a run folder")

    def follow_run(self, run_dir: Path) -> None:
        """Show a run folder's history and keep following it while another process writes."""
        if self.state.busy:
            raise RuntimeError("stop the training job before following another run")
        self.history = RunHistory(RunShape(run_dir=Path(run_dir)))
        self.progress = Progress()
        self.followed_run_complete = False
        self._rate.reset()
        self.runReset.emit()
        self.jobs.follow(Path(run_dir))
        self._set_state(JobState.FOLLOWING)

    def clear(self) -> None:
        """Forget the run and model shown (File > New model); not while training."""
        if self.state.busy:
            raise RuntimeError("stop the training job first")
        self.jobs.stop_following()
        self.history = RunHistory()
        self.progress = Progress()
        self.checkpoint = None
        self.family = self.dataset = ""
        self.runReset.emit()
        if self.state is JobState.FOLLOWING:
            self._set_state(JobState.IDLE)

    def set_device(self, device: str) -> None:
        """Use `device` for the next job ("auto", "cpu", "cuda:N", "mps")."""
        if device != self.device:
            self.device = device
            self.deviceChanged.emit(device)

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Stop everything and join the threads; True when all joined in time."""
        ok = self.jobs.shutdown(timeout_ms)
        ok = self.diffusion.shutdown(timeout_ms) and ok
        return self.latent.shutdown(timeout_ms) and ok

    def select_latent(self, anchor: LatentAnchor) -> None:
        """Publish the latent picked on the latent map (a point or a decoded position)."""
        self.latent_selection = anchor
        self.latentSelected.emit(anchor)

    def set_attribute_vector(self, vector: AttributeVector | None) -> None:
        """Publish the latent map's two-group attribute vector (None: groups cleared)."""
        self.attribute_vector = vector
        self.attributeVectorChanged.emit(vector)

    # --- worker slots (queued onto the GUI thread) ---------------------------------------
    @Slot(object)
    def on_warmed_up(self, info: dict[str, Any]) -> None:
        self.torch_info = info
        log.info("torch %s ready in %.1f s; devices: %s", info.get("torch"),
                 info.get("seconds", 0.0), ", ".join(info.get("devices", [])))
        if self.state is JobState.LOADING:
            self._set_state(JobState.IDLE)
        self.torchReady.emit(info)

    @Slot(object)
    def on_train_started(self, info: JobInfo) -> None:
        ev = info.started
        shape = self.history.shape
        shape.device, shape.dataset = ev.device, info.dataset
        shape.total_epochs, shape.steps_per_epoch = ev.total_epochs, ev.steps_per_epoch
        shape.batch_size = info.batch_size
        self.dataset = info.dataset
        self.progress = Progress(ev.epoch, ev.total_epochs, ev.step, ev.total_steps)
        self._rate.add(time.monotonic(), ev.step)
        self._set_state(JobState.TRAINING)
        self.progressChanged.emit(self.progress)

    @Slot(object)
    def on_steps(self, steps: list[Any]) -> None:
        for s in steps:
            self.history.add_step(s.step, s.metrics, s.images_per_s)
        last = steps[-1]
        self._rate.add(time.monotonic(), last.step)
        self._update_progress(last.step, last.epoch, last.images_per_s)
        self.stepsAdded.emit()

    @Slot(object)
    def on_epoch_end(self, ev: Any) -> None:
        self.history.add_epoch(EpochRecord(ev.epoch, ev.step, dict(ev.val_metrics), ev.preview,
                                           ev.reconstructions, dict(ev.arrays),
                                           ev.preview_path))
        self.checkpoint = ev.checkpoint
        self._update_progress(ev.step, ev.epoch, self.progress.images_per_s, force=True)
        self.epochAdded.emit(ev.epoch)

    @Slot()
    def on_paused(self) -> None:
        if self.state is not JobState.STOPPING:
            self._set_state(JobState.PAUSED)

    @Slot()
    def on_resumed(self) -> None:
        if self.state is not JobState.STOPPING:
            self._set_state(JobState.TRAINING)

    @Slot(object)
    def on_train_ended(self, ev: Any) -> None:
        name = type(ev).__name__
        if name == "TrainFailed":
            self.last_error = ev.reason
            self.checkpoint = ev.last_good_checkpoint or self.checkpoint
            log.error("training failed: %s", ev.reason)
            self.message.emit("error", f"Training stopped: {ev.reason}")
        else:
            self.checkpoint = ev.checkpoint
            verb = "finished" if name == "TrainFinished" else "stopped"
            log.info("training %s at step %d; saved %s", verb, ev.step, ev.checkpoint)
            self.message.emit("info", f"Training {verb} at step {ev.step}. "
                                      f"Checkpoint saved to {ev.checkpoint}")
        self._update_progress(ev.step, ev.epoch, self.progress.images_per_s, force=True)

    @Slot()
    def on_job_idle(self) -> None:
        if self.state.busy:
            self._set_state(JobState.IDLE)

    @Slot(str)
    def on_saved(self, dest: str) -> None:
        log.info("checkpoint saved to %s", dest)
        self.message.emit("info", f"Checkpoint saved to {dest}")
        self.checkpointSaved.emit(Path(dest))

    @Slot(str, str)
    def on_worker_failed(self, message: str, tb: str) -> None:
        self.last_error = message
        log.error("%s\n%s", message, tb)
        self.message.emit("error", message)
        if self.state is JobState.LOADING:
            # Without torch nothing can run; keep the window usable for reading the error.
            self._set_state(JobState.IDLE)

    @Slot(object)
    def on_model_ready(self, info: ModelInfo) -> None:
        self.model_info = info
        self.modelChanged.emit(info)

    @Slot(object)
    def on_checkpoint_opened(self, opened: OpenedCheckpoint) -> None:
        self.checkpoint = opened.path
        self.family = opened.family
        if opened.data is not None:
            self.dataset = opened.data.dataset
        log.info("opened %s (%s)", opened.path, opened.family)
        self.checkpointOpened.emit(opened)

    @Slot(int, object)
    def on_samples(self, request_id: int, grid: Any) -> None:
        self.samplesReady.emit(grid)

    @Slot(object)
    def on_follow_shape(self, shape: RunShape) -> None:
        self.history.shape = shape
        self.family, self.dataset = shape.family, shape.dataset
        self.progress = Progress(total_epochs=shape.total_epochs, total_steps=shape.total_steps)
        self.progressChanged.emit(self.progress)

    @Slot(object)
    def on_follow_update(self, update: Any) -> None:
        if self.state is not JobState.FOLLOWING:
            return  # a late update from a folder no longer followed
        last_t = None
        for step, metrics, ips, t in update.steps:
            self.history.add_step(step, metrics, ips)
            last_t = t if t is not None else last_t
        if update.steps:
            last = update.steps[-1]
            self._rate.add(last_t if last_t is not None else time.monotonic(), last[0])
            spe = self.history.shape.steps_per_epoch
            self._update_progress(last[0], last[0] // spe if spe else self.progress.epoch,
                                  last[2] or 0.0)
            self.stepsAdded.emit()
        for rec in update.epochs:
            self.history.add_epoch(rec)
            self._update_progress(rec.step, rec.epoch, self.progress.images_per_s, force=True)
            self.epochAdded.emit(rec.epoch)
        total = self.history.shape.total_epochs
        if update.epochs and total and self.history.epochs[-1].epoch >= total \
                and not self.followed_run_complete:
            # Still followed (the run may be resumed), but say that it has finished.
            self.followed_run_complete = True
            self.stateChanged.emit(self.state)
        if update.ended:
            self.message.emit("info", f"The followed run has {update.ended}")

    # --- internals -----------------------------------------------------------------------
    def _set_state(self, state: JobState) -> None:
        if state is not self.state:
            self.state = state
            self.stateChanged.emit(state)

    def _update_progress(self, step: int, epoch: int, images_per_s: float,
                         force: bool = False) -> None:
        shape = self.history.shape
        total = shape.total_steps
        rate = self._rate.steps_per_s()
        eta = (total - step) / rate if total and rate > 0 else None
        self.progress = Progress(epoch, shape.total_epochs, step, total, images_per_s,
                                 max(0.0, eta) if eta is not None else None)
        # Counters are text: 4 updates a second read fine and spare the GUI thread.
        now = time.monotonic()
        if force or now - self._last_progress_emit >= PROGRESS_EMIT_S:
            self._last_progress_emit = now
            self.progressChanged.emit(self.progress)
