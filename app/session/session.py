"""The session: the one state object every panel observes (GUI thread only).

Panels read its attributes, connect to its signals and call its request methods; they never
call each other. Long work goes through `jobs` (the JobService); the model shown is
`models.current` (the ModelLifecycle), which every panel resets to.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.history import RunHistory
from app.jobs import Job, JobPaused, JobResumed, JobService
from app.jobs.copies import ModelCopy
from app.log import log
from app.session.latent_space import LatentSpace
from app.session.lifecycle import ModelLifecycle
from app.session.opening import Opener
from app.session.progress import JobState, Progress, RateMeter
from app.session.run_progress import RunProgress
from app.session.session_jobs import copy_checkpoint_events, new_run_dir, sample_grid_events
from app.session.training_job import (
    DatasetCache,
    JobInfo,
    PastRun,
    RunModel,
    SaveResult,
    StepBatch,
    TrainingControl,
    TrainJob,
    resumable_run,
    training_events,
    warm_up_events,
)
from models.config import DataConfig, ModelConfig, TrainConfig
from models.opened import SOURCE_TRAINING, OpenedModel
from models.training.run_reader import RunTail, follow_run
from models.training.run_record import RunShape, RunUpdate

TRAINING, FOLLOW, INFERENCE, EXPORT = "training", "follow", "inference", "export"


class Session(RunProgress, QObject):
    """Application state and requests (GUI thread).

    Emits torchReady(dict), stateChanged(JobState), runReset(), stepsAdded(),
    epochAdded(int), progressChanged(Progress), samplesReady(ndarray),
    checkpointSaved(Path), deviceChanged(str), message(level, text),
    latentSelected(LatentAnchor), attributeVectorChanged(AttributeVector | None) and
    picturesOpened(Path): a checkpoint was opened, at once and before its model (and
    before torch): panels show what its folder holds on disk (precomputed pictures).
    The model shown comes from `models` (ModelLifecycle): opened, updated, closed.
    """

    torchReady = Signal(object)
    stateChanged = Signal(object)
    runReset = Signal()
    stepsAdded = Signal()
    epochAdded = Signal(int)
    progressChanged = Signal(object)
    samplesReady = Signal(object)
    checkpointSaved = Signal(object)
    deviceChanged = Signal(str)
    message = Signal(str, str)
    latentSelected = Signal(object)
    attributeVectorChanged = Signal(object)
    picturesOpened = Signal(object)

    def __init__(self, runs_root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs_root = Path(runs_root)
        self.state = JobState.LOADING
        self.torch_info: dict[str, Any] | None = None
        self.device = "auto"
        self.history = RunHistory()
        self.progress = Progress()
        self.checkpoint: Path | None = None  # the latest checkpoint of the run or file shown
        self.family = ""
        self.dataset = ""
        self.last_error: str | None = None
        self.followed_run_complete = False  # the followed run has done all its epochs
        self.recorded_history = False  # the history shown is a finished record (a demo's)
        self.pictures: Path | None = None  # the checkpoint whose pictures are shown
        self.latent_selection: Any = None
        self.attribute_vector: Any = None
        self.jobs = JobService(self)
        self.models = ModelLifecycle(self.jobs, self)
        self._opener = Opener(self)
        self._rate = RateMeter()
        self._sample_seed = 0
        self._started = False
        self._last_progress_emit = 0.0
        self._training: Job | None = None
        self._control: TrainingControl | None = None
        self._datasets = DatasetCache()
        self._run_has_model = False
        self._sampler_copy = ModelCopy()
        self.jobs.failed.connect(self._on_job_failed)
        self.models.opened.connect(self._on_model_opened)
        self.models.closed.connect(self._forget_picks)
        self.models.failed.connect(self._opener.open_failed)
        # The latent space of the model shown, shared by the map and the interpolation
        # panel; made before any panel connects so it clears first when a model opens.
        self.latent = LatentSpace(self.jobs, self.models, self)
        self.picturesOpened.connect(self.latent.show_precomputed)

    @property
    def model(self) -> OpenedModel | None:
        """Return the model shown (None when nothing is open)."""
        return self.models.current

    def start(self) -> None:
        """Start loading torch on the training lane (call once the window is painted)."""
        if not self._started:
            self._started = True
            self.jobs.submit(TRAINING, warm_up_events, on_event=self._on_warmed_up,
                             on_error=self._on_warm_up_failed)

    @property
    def torch_ready(self) -> bool:
        """Return True once torch and the training code are loaded."""
        return self.torch_info is not None

    # --- training --------------------------------------------------------------------------
    def start_training(self, family: str, model: ModelConfig, train: TrainConfig,
                       data: DataConfig, resume_from: Path | None = None) -> Path:
        """Start a training job into a new run folder and return that folder.

        `resume_from` (a run's checkpoint, see `resumable_run`) continues that run in its
        own folder instead, with its own settings and data: of `train` only the epochs
        (a run in phases: its last phase's) and threads apply.
        """
        if not self.torch_ready:
            raise RuntimeError("torch is still loading")
        if self.state.busy:
            raise RuntimeError("a training job is already running")
        if resume_from is not None and resumable_run(resume_from) is None:
            raise ValueError(f"{resume_from} is not a run's checkpoint with its training "
                             "state: it cannot be continued")
        self.jobs.cancel(FOLLOW)
        train = train.replace(device=self.device)
        run_dir = resumable_run(resume_from) or new_run_dir(self.runs_root, family)
        self.history = RunHistory(RunShape(run_dir=run_dir, family=family,
                                           dataset=data.dataset, device=self.device,
                                           total_epochs=train.epochs,
                                           batch_size=train.batch_size))
        self.family, self.dataset = family, data.dataset
        self.checkpoint = self.pictures = None
        self.recorded_history = False
        self.progress = Progress(total_epochs=train.epochs)
        self._rate.reset()
        self._run_has_model = False
        self.models.close()  # the panels show the new run once its first epoch ends
        self.runReset.emit()
        self.progressChanged.emit(self.progress)
        self._set_state(JobState.PREPARING)
        log.info("training %s on %s into %s", family, data.dataset, run_dir)
        control = self._control = TrainingControl()
        spec = TrainJob(family, model, train, data, run_dir, resume_from)
        self._training = self.jobs.submit(
            TRAINING, lambda job: training_events(job, spec, control, self._datasets),
            on_event=self._on_training_event, on_done=self._on_training_done,
            on_error=self.report_error, stop=control.request_stop, latest=False)
        return run_dir

    def continue_training(self, train: TrainConfig) -> Path:
        """Continue the run of the checkpoint shown (`checkpoint`) to `train.epochs`;
        return its folder. ValueError when that checkpoint cannot be continued."""
        checkpoint = self.checkpoint
        if resumable_run(checkpoint) is None:
            raise ValueError("the checkpoint shown is not part of a run that can be "
                             "continued (open a run folder or its checkpoint)")
        assert checkpoint is not None
        model = self.models.current
        family = self.family or (model.family if model is not None else "")
        if model is None or model.data is None:
            raise ValueError("the checkpoint's model has not loaded yet")
        return self.start_training(family, model.model_config, train, model.data,
                                   resume_from=checkpoint)

    def pause(self) -> None:
        """Pause training between steps."""
        if self.state in (JobState.TRAINING, JobState.PREPARING) and self._training:
            self._training.pause()

    def resume(self) -> None:
        """Resume paused training."""
        if self.state is JobState.PAUSED and self._training:
            self._training.resume()

    def stop(self) -> None:
        """Stop training (it saves) or stop following a run folder."""
        if self.state.busy and self._training is not None:
            self._set_state(JobState.STOPPING)
            self._training.cancel()
        elif self.state is JobState.FOLLOWING:
            self.jobs.cancel(FOLLOW)
            self._set_state(JobState.IDLE)

    def save_checkpoint(self, dest: Path) -> None:
        """Save the current training state (or copy the open checkpoint) to `dest`."""
        dest = Path(dest)
        if self.state.busy and self._control is not None:
            self._control.saves.put(dest)
            return
        src = self.checkpoint
        if src is None:
            raise RuntimeError("there is no checkpoint to save yet: train or open one first")
        self.jobs.submit(EXPORT, lambda job: copy_checkpoint_events(src, dest),
                         channel=str(dest), on_event=self._on_saved,
                         on_error=self.report_error)

    def sample(self, n: int = 64, seed: int | None = None,
               temperature: float | None = None) -> int:
        """Ask for `n` fresh samples of the model shown (latest wins), at `temperature` for
        a model that samples at one (None: its default); return the seed used."""
        model = self.models.current
        if model is None:
            return -1
        if seed is None:
            self._sample_seed += 1
            seed = self._sample_seed
        copy = self._sampler_copy
        self.jobs.submit(INFERENCE,
                         lambda job: sample_grid_events(copy, model, n, seed, temperature),
                         on_event=self.samplesReady.emit,
                         on_error=self.report_error)
        return seed

    # --- opening ---------------------------------------------------------------------------
    def open_path(self, path: Path) -> None:
        """Open a checkpoint folder or a run folder: show what its files hold at once
        (picturesOpened, its history, a demo's `history/`) and load its model, now or as
        soon as torch is ready (a later open replaces one still waiting); the opening path
        is app/session/opening.py."""
        self._opener.open(path)

    def follow_run(self, run_dir: Path) -> None:
        """Show a run folder's history and keep following it while another process writes."""
        if self.state.busy:
            raise RuntimeError("stop the training job before following another run")
        run_dir = Path(run_dir)
        self._new_history(run_dir, recorded=False)
        self.jobs.submit(FOLLOW, lambda job: follow_run(run_dir),
                         on_event=self._on_follow_update, on_error=self.report_error)
        self._set_state(JobState.FOLLOWING)

    def show_recorded_run(self, run_dir: Path | None) -> None:
        """Stop following and show a finished run folder's history, read once on the follow
        lane; None shows no history."""
        self.jobs.cancel(FOLLOW)
        self._new_history(run_dir, recorded=run_dir is not None)
        if self.state is JobState.FOLLOWING:
            self._set_state(JobState.IDLE)
        if run_dir is not None:
            def work(job: Job) -> Iterator[RunUpdate]:
                yield RunTail(run_dir).poll()

            self.jobs.submit(FOLLOW, work, on_event=self._apply_run_update,
                             on_error=self.report_error)

    def _new_history(self, run_dir: Path | None, recorded: bool) -> None:
        """Start an empty history of the run folder `run_dir` (None: no run; `recorded`: a
        finished record read once) and tell the panels."""
        self.history = RunHistory(RunShape(run_dir=run_dir) if run_dir else None)
        self.progress = Progress()
        self.followed_run_complete = False
        self.recorded_history = recorded
        self._rate.reset()
        self.runReset.emit()
        self.progressChanged.emit(self.progress)

    def clear(self) -> None:
        """Forget the run and model shown (File › New model); not while training."""
        if self.state.busy:
            raise RuntimeError("stop the training job first")
        self.jobs.cancel(FOLLOW)
        self.history = RunHistory()
        self.progress = Progress()
        self.recorded_history = False
        self.checkpoint = self.pictures = None
        self._opener.forget()
        self.family = self.dataset = ""
        self.models.close()
        self.runReset.emit()
        self.progressChanged.emit(self.progress)
        if self.state is JobState.FOLLOWING:
            self._set_state(JobState.IDLE)

    def set_device(self, device: str) -> None:
        """Use `device` for the next job ("auto", "cpu", "cuda:N", "mps")."""
        if device != self.device:
            self.device = device
            self.deviceChanged.emit(device)

    def shutdown(self, timeout_s: float = 2.0) -> bool:
        """Stop every job (training saves first) and join the lanes within `timeout_s`.

        Return True when every lane ended; lanes still blocked are abandoned.
        """
        return self.jobs.await_all(timeout_s)

    def threads_running(self) -> list[str]:
        """Return the names of worker threads still running (for tests and the self-test)."""
        return self.jobs.threads_running()

    def select_latent(self, anchor: Any) -> None:
        """Publish the latent picked on the latent map (a point or a decoded position)."""
        self.latent_selection = anchor
        self.latentSelected.emit(anchor)

    def set_attribute_vector(self, vector: Any) -> None:
        """Publish the latent map's two-group attribute vector (None: groups cleared)."""
        self.attribute_vector = vector
        self.attributeVectorChanged.emit(vector)

    # --- job results (GUI thread) ------------------------------------------------------------
    def _on_warmed_up(self, info: dict[str, Any]) -> None:
        self.torch_info = info
        log.info("torch %s ready in %.1f s; devices: %s", info.get("torch"),
                 info.get("seconds", 0.0), ", ".join(info.get("devices", [])))
        if self.state is JobState.LOADING:
            self._set_state(JobState.IDLE)
        self.torchReady.emit(info)  # the window sets the device first
        self._opener.torch_ready()

    def _on_warm_up_failed(self, message: str, _tb: str) -> None:
        self.report_error(message, _tb)
        if self.state is JobState.LOADING:
            # Without torch nothing can run; keep the window usable for reading the error.
            self._set_state(JobState.IDLE)

    def _on_training_event(self, event: Any) -> None:
        if isinstance(event, StepBatch):
            self._on_steps(event.steps)
        elif isinstance(event, PastRun):
            self._on_past_run(event.update)
        elif isinstance(event, RunModel):
            self.models.adopt(event.model, same_run=self._run_has_model)
            self._run_has_model = True
        elif isinstance(event, JobInfo):
            self._on_train_started(event)
        elif isinstance(event, SaveResult):
            self._on_saved(event)
        elif isinstance(event, JobPaused):
            if self.state is not JobState.STOPPING:
                self._set_state(JobState.PAUSED)
        elif isinstance(event, JobResumed):
            if self.state is not JobState.STOPPING:
                self._set_state(JobState.TRAINING)
        elif type(event).__name__ == "EpochEnd":
            self._on_epoch_end(event)
        else:
            self._on_train_ended(event)

    def _on_training_done(self, status: str) -> None:
        self._training = self._control = None
        if self.state.busy:
            self._set_state(JobState.IDLE)

    def _on_saved(self, result: SaveResult) -> None:
        if result.error:
            self.report_error(result.error, "")
            return
        log.info("checkpoint saved to %s", result.dest)
        self.message.emit("info", f"Checkpoint saved to {result.dest}")
        self.checkpointSaved.emit(result.dest)

    def report_error(self, message: str, _tb: str = "") -> None:
        """Keep `message` as the last error and show it (also a job's on_error)."""
        self.last_error = message
        self.message.emit("error", message)

    def _on_job_failed(self, lane: str, message: str) -> None:
        self.report_error(message)

    def _forget_picks(self) -> None:
        # A pick or attribute vector belongs to the map of the model that made it; the
        # panels reset themselves on the same signal, so nobody needs to hear about it.
        self.latent_selection = self.attribute_vector = None

    def _on_model_opened(self, model: OpenedModel) -> None:
        self._forget_picks()
        if model.source != SOURCE_TRAINING:
            self.checkpoint = model.path
            self.family = model.family
            if model.data is not None:
                self.dataset = model.data.dataset
            log.info("opened %s (%s)", model.path, model.family)

    # --- internals -------------------------------------------------------------------------
    def _set_state(self, state: JobState) -> None:
        if state is not self.state:
            self.state = state
            self.stateChanged.emit(state)

