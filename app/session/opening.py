"""The session's opening path (GUI thread): what a folder opened holds, its pictures and
history shown at once from its files (before torch), its model loaded now or as soon as
torch is ready, and the pictures withdrawn when that model fails to open."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.log import log
from models.demos import HISTORY
from models.pictures.family import checkpoint_family
from models.training.run_lock import LOCK_NAME

if TYPE_CHECKING:
    from app.jobs import JobService
    from app.session.latent_space import LatentSpace
    from app.session.lifecycle import ModelLifecycle
    from app.session.progress import JobState


class OpeningHost(Protocol):
    """What the opening path reads and sets on the Session: the Session is one."""

    state: JobState
    device: str
    checkpoint: Path | None
    family: str
    pictures: Path | None
    jobs: JobService
    models: ModelLifecycle
    latent: LatentSpace
    picturesOpened: Any  # Signal(Path)

    @property
    def torch_ready(self) -> bool: ...

    def follow_run(self, run_dir: Path) -> None: ...

    def show_recorded_run(self, run_dir: Path | None) -> None: ...

    def report_error(self, message: str, _tb: str = "") -> None: ...


def pictures_checkpoint(path: Path) -> Path | None:
    """Return the checkpoint folder whose pictures opening `path` shows: `path` itself,
    or a run folder's checkpoints/last; None when there is none yet."""
    for candidate in (path, path / "checkpoints" / "last"):
        if (candidate / "config.json").is_file():
            return candidate
    return None


# Who opens a session's pipeline folders: its Pipeline dock (weak keys: a closed
# window's session goes with it).
_PIPELINE_OPENERS: weakref.WeakKeyDictionary[Any, Callable[[Path], Any]] = \
    weakref.WeakKeyDictionary()


def set_pipeline_opener(session: Any, handler: Callable[[Path], Any]) -> None:
    """Let `handler` (the Pipeline dock's open_folder) open the pipeline folders the
    `session`'s open_path is given (GUI thread)."""
    _PIPELINE_OPENERS[session] = handler


def is_pipeline_folder(path: Path) -> bool:
    """Return True for a diffusers pipeline folder made elsewhere (model_index.json and no
    Latent Lab config.json beside it): the Pipeline dock opens it. File names only."""
    return (path / "model_index.json").is_file() and not (path / "config.json").is_file()


@dataclass(frozen=True)
class OpenTarget:
    """What a folder opened holds, read from its file names alone."""

    path: Path
    run_dir: Path | None  # the run folder whose history is followed
    has_model: bool  # a checkpoint, or a run folder that will hold some
    checkpoint: Path | None  # whose pictures are shown (None: the run has saved none yet)
    recorded: Path | None  # a checkpoint's finished `history/` run folder


def open_target(path: Path) -> OpenTarget:
    """Return what the folder `path` holds; raise FileNotFoundError when it is neither a
    checkpoint nor a run folder."""
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist or is not a folder")
    run_dir = path if (path / "metrics.jsonl").is_file() or \
        (path / "run.json").is_file() else None
    if run_dir is None and path.parent.name == "checkpoints":
        run_dir = path.parent.parent
    has_model = (path / "config.json").is_file() or (path / "checkpoints").is_dir()
    if not has_model and run_dir is None:
        raise FileNotFoundError(f"{path} is neither a checkpoint nor a run folder")
    history = path / HISTORY
    recorded = history if (history / "metrics.jsonl").is_file() else None
    return OpenTarget(path, run_dir, has_model, pictures_checkpoint(path), recorded)


class Opener:
    """Opens folders for a Session (GUI thread): sets its `pictures`, `checkpoint` and
    `family`, chooses the history shown and emits its picturesOpened; keeps a model open
    asked for before torch loaded until `torch_ready` is called."""

    def __init__(self, session: OpeningHost) -> None:
        self._session = session
        self._queued: Path | None = None  # opened before torch: loads once it is ready

    def open(self, path: Path) -> None:
        """Open a checkpoint folder or a run folder (see Session.open_path); a pipeline
        folder goes to the Pipeline dock, the window's model unchanged."""
        s = self._session
        if is_pipeline_folder(Path(path)):
            handler = _PIPELINE_OPENERS.get(s)
            if handler is None:
                raise ValueError(f"{path} is a diffusers pipeline folder: the Pipeline "
                                 "dock opens it")
            handler(Path(path))
            return
        if s.state.busy:
            raise RuntimeError("stop the training job before opening another run")
        target = open_target(Path(path))
        s.pictures = target.checkpoint
        if target.checkpoint is not None:
            # Known from the files alone: the welcome view goes and the panels that fit
            # the family come forward before the model has loaded.
            s.checkpoint = target.checkpoint
            s.family = checkpoint_family(target.checkpoint) or ""
        self._queued = None
        if target.has_model:
            if s.torch_ready:
                s.models.open(target.path, s.device)
            else:
                self._queued = target.path
        if target.run_dir is not None:
            s.follow_run(target.run_dir)
        elif target.recorded is not None:
            self.show_history(target.recorded)
        else:
            # A bare checkpoint has no history: the previous run's curves no longer apply.
            s.show_recorded_run(None)
        if target.checkpoint is not None:
            s.picturesOpened.emit(target.checkpoint)

    def show_history(self, run_dir: Path) -> None:
        """Show a checkpoint's `history/` run folder: read once when no process writes it
        (a demo's record never grows), else followed like any run folder."""
        run_dir = Path(run_dir)
        if (run_dir / LOCK_NAME).exists():
            self._session.follow_run(run_dir)
        else:
            self._session.show_recorded_run(run_dir)

    def torch_ready(self) -> None:
        """Open the model asked for before torch had loaded, if any."""
        s = self._session
        queued, self._queued = self._queued, None
        if queued is not None and not s.jobs.closing:
            s.models.open(queued, s.device)

    def forget(self) -> None:
        """Drop a model open still waiting for torch (File › New)."""
        self._queued = None

    def open_failed(self, message: str) -> None:
        """A model failed to open: withdraw the pictures shown from its files, say why."""
        s = self._session
        log.error("could not open a checkpoint: %s", message)
        if s.pictures is not None:
            # Its pictures were shown from files: without its model they must go.
            s.pictures = None
            s.latent.clear()
            current = s.models.current
            s.checkpoint = current.path if current is not None else None
        s.report_error(message)
