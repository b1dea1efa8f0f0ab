"""The one owner of every worker thread: starts jobs, forwards requests, joins on close."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.workers.follow import RunFollowWorker
from app.workers.inference import InferenceWorker
from app.workers.threads import quit_and_join, running_names, worker_thread
from app.workers.training import TrainingWorker

if TYPE_CHECKING:
    from app.state import Session
    from app.workers.training import TrainJob


class JobController(QObject):
    """Owns the training, inference and follow threads and their workers (GUI thread).

    Worker signals arrive at the session's @Slot methods (queued onto the GUI thread);
    requests go to workers through this object's private signals (queued onto theirs).
    """

    _warmUp = Signal()
    _train = Signal(object)
    _copy = Signal(object, object)
    _open = Signal(object)
    _sample = Signal(int, int, int)
    _follow = Signal(object, int)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.training = TrainingWorker()
        self.inference = InferenceWorker()
        self.follower = RunFollowWorker()
        self.threads: list[QThread] = []
        self._request_id = 0
        self._job_running = False
        self._shut_down = False
        for name, worker in (("training", self.training), ("inference", self.inference),
                             ("follow", self.follower)):
            self.threads.append(worker_thread(worker, name, self))

        t, i, f, s = self.training, self.inference, self.follower, session
        self._warmUp.connect(t.warm_up)
        self._train.connect(t.train)
        self._copy.connect(t.copy_checkpoint)
        self._open.connect(i.open_checkpoint)
        self._sample.connect(i.sample)
        self._follow.connect(f.follow)
        # The snapshot goes worker-to-worker: the GUI thread never holds a torch model.
        t.snapshot.connect(i.set_model)
        t.warmedUp.connect(s.on_warmed_up)
        t.started.connect(s.on_train_started)
        t.steps.connect(s.on_steps)
        t.epochEnded.connect(s.on_epoch_end)
        t.paused.connect(s.on_paused)
        t.resumed.connect(s.on_resumed)
        t.ended.connect(s.on_train_ended)
        t.saved.connect(s.on_saved)
        t.failed.connect(s.on_worker_failed)
        t.idle.connect(self._on_idle)
        t.idle.connect(s.on_job_idle)
        i.modelReady.connect(s.on_model_ready)
        i.opened.connect(s.on_checkpoint_opened)
        i.samples.connect(s.on_samples)
        i.failed.connect(s.on_worker_failed)
        f.shape.connect(s.on_follow_shape)
        f.update.connect(s.on_follow_update)
        f.failed.connect(s.on_worker_failed)
        for thread in self.threads:
            thread.start()

    # --- requests (GUI thread) ---------------------------------------------------------
    def warm_up(self) -> None:
        """Start importing torch on the training thread."""
        self._warmUp.emit()

    @property
    def job_running(self) -> bool:
        """Return True from start_training until the worker reports idle."""
        return self._job_running

    def start_training(self, job: TrainJob) -> None:
        """Queue `job` on the training thread (one job at a time)."""
        if self._job_running:
            raise RuntimeError("a training job is already running")
        self._job_running = True
        self._train.emit(job)

    def pause(self) -> None:
        """Pause the running job between steps."""
        self.training.request_pause()

    def resume(self) -> None:
        """Resume a paused job."""
        self.training.request_resume()

    def stop(self) -> None:
        """Stop the running job; it saves a checkpoint first."""
        self.training.request_stop()

    def save(self, dest: Path, current: Path | None) -> None:
        """Save the running job's state to `dest`, or copy checkpoint `current` there."""
        if self._job_running:
            self.training.request_save(dest)
        elif current is not None:
            self._copy.emit(current, dest)
        else:
            raise RuntimeError("there is no checkpoint to save yet: train or open one first")

    def open_checkpoint(self, path: Path, device: str) -> None:
        """Load a checkpoint on the inference thread."""
        self.inference.device = device
        self._open.emit(path)

    def sample(self, n: int, seed: int) -> int:
        """Queue a sample request (older queued ones are dropped); return its id."""
        self._request_id += 1
        self.inference.latest_request = self._request_id
        self._sample.emit(self._request_id, n, seed)
        return self._request_id

    def follow(self, run_dir: Path) -> None:
        """Start tailing `run_dir`, replacing any folder being followed."""
        self.follower.request_stop()
        self.follower.generation += 1
        self._follow.emit(run_dir, self.follower.generation)

    def stop_following(self) -> None:
        """Stop tailing."""
        self.follower.generation += 1
        self.follower.request_stop()

    @Slot()
    def _on_idle(self) -> None:
        self._job_running = False

    # --- shutdown ----------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Stop every job (training saves), quit and join all threads; True if all joined.

        Safe to call twice (window close, then the application's aboutToQuit).
        """
        if self._shut_down:
            return True
        self._shut_down = True
        self.training.request_stop()
        self.stop_following()
        return quit_and_join(self.threads, timeout_ms)

    def threads_running(self) -> list[str]:
        """Return the names of threads still running (for tests and the self-test)."""
        return running_names(self.threads)

    def debug_state(self) -> dict[str, Any]:
        """Return a small dict describing the controller (for the log)."""
        return {"job_running": self._job_running, "threads": self.threads_running()}
