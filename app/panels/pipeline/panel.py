"""The Pipeline dock: Stable Diffusion–family pipeline folders opened offline and stepped
through (GUI thread).

The pipeline is this dock's own, not the window's model: File › Open model with a
pipeline folder (or File › Models on this computer) calls `open_folder`, which opens it
as a job on the "pipeline" lane (jobs.py) and keeps it there. runs.py starts runs and
branches and scrubs their steps; files.py saves and loads them; inputs.py holds the
modes' images, the mask brush, the ControlNet and the tiny decoder. Every refusal is one
line in the window's message bar, and the pipeline already open stays open.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QScrollArea, QWidget

from app.jobs import Job
from app.panels.base import Panel
from app.panels.pipeline.controls import PipelineForm
from app.panels.pipeline.files import Files
from app.panels.pipeline.inputs import Inputs
from app.panels.pipeline.jobs import LANE, OpenRequest, PipelineOpened, open_events
from app.panels.pipeline.record import PipelineRun
from app.panels.pipeline.runs import Runs
from app.panels.pipeline.step_views import ATTENTION_TAB, GUIDANCE_TAB, PipelineViews
from app.session import Session
from app.session.opening import set_pipeline_opener
from models.opened import OpenedModel

OPEN = "pipeline-open"  # the lane's channels: opening (and loading decoders), and runs
FORM_WIDTH = 316  # the form at its narrowest plus the scroll bar


class PipelinePanel(Files, Inputs, Runs, Panel):
    """The form on the left, the step slider and pictures on the right. Emits nothing:
    tests and the window read `info`, `run_a`, `run_b` and the views."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.info: PipelineOpened | None = None
        self.folder: Path | None = None
        self.controlnet: Path | None = None
        self.tiny: object | None = None  # an AutoencoderTiny, used on the lane only
        self.run_a: PipelineRun | None = None
        self.run_b: PipelineRun | None = None
        self.run_jobs: dict[str, Job] = {}
        self.follow_live = True
        self.opening: Job | None = None
        self.refused: OpenRequest | None = None  # refused for pickles: reopened if allowed
        # Latent → RGB maps by latent shape: filled and read on the lane only.
        self.linear_cache: dict[tuple[int, ...], object] = {}
        self.form = PipelineForm()
        self.views = PipelineViews()
        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(FORM_WIDTH)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        layout.addWidget(self.views, 1)
        self._connect_runs()
        self._connect_inputs()
        self._connect_files()
        self.form.allow_pickle.toggled.connect(self._on_allow_pickle)
        set_pipeline_opener(session, self.open_folder)
        self._update_controls()

    # --- the Panel lifecycle: the window's model is not this dock's ------------------------
    def accepts(self, model: OpenedModel) -> bool:
        """Return False: the window's models (checkpoints, runs) are not pipelines; this
        dock shows the pipeline opened in it, whatever the window's model is."""
        return False

    def clear(self) -> None:
        """Keep everything: the pipeline and its runs are not the window's model, so
        another model opening (or closing) leaves them as they are."""

    # --- opening ---------------------------------------------------------------------------
    def open_folder(self, folder: Path | str, mode: str | None = None,
                    controlnet: Path | None = None) -> Job:
        """Open the pipeline folder `folder` as a job (in `mode`, with a ControlNet folder;
        pickled weights only when the form's box allows them); the pipeline open until it
        succeeds stays open if it fails. Return the job."""
        folder = Path(folder).expanduser()
        self.refused = None
        self._raise_dock()
        self.views.status.set_full_text(f"Opening {folder}… (reading every weight)")
        self.session.jobs.cancel(LANE)
        request = OpenRequest(folder, mode, controlnet,
                              self.form.allow_pickle.isChecked())
        self.opening = self.session.jobs.submit(
            LANE, lambda job: open_events(request), channel=OPEN,
            on_event=lambda ev: self._on_pipeline_opened(request, ev),
            on_error=lambda msg, _tb="": self._on_open_failed(request, msg),
            on_done=self._on_open_done)
        self._update_controls()
        return self.opening

    def _on_pipeline_opened(self, request: OpenRequest, info: PipelineOpened) -> None:
        same = self.folder == request.folder
        self.info, self.folder, self.controlnet = info, request.folder, request.controlnet
        if not same:
            self.tiny = None
            self.linear_cache = {}
            self.forget_runs()
        self.form.set_pipeline(f"{info.opened.index.class_name} · {request.folder.name}",
                               info.modes, info.samplers, info.folder_scheduler, info.text,
                               info.labels)
        # LDM is unconditional: nothing to guide towards; attention maps are recorded for
        # the text-conditioned families only.
        family = info.opened.family
        self.form.set_row_visible(self.form.guidance, family != "ldm")
        self.views.tabs.setTabVisible(GUIDANCE_TAB, family != "ldm")
        self.views.tabs.setTabVisible(ATTENTION_TAB, family in ("sd", "sdxl"))
        # The stepper branches SD and SDXL runs only (DiT and LDM: refused).
        self.form.branch_box.setVisible(family in ("sd", "sdxl"))
        if not self.views.tabs.isTabVisible(self.views.tabs.currentIndex()):
            self.views.tabs.setCurrentIndex(0)
        mode = request.mode or info.opened.mode
        self.form.mode.setCurrentIndex(max(0, self.form.mode.findData(mode)))
        self.form.control_label.set_full_text(request.controlnet.name if request.controlnet
                                              else "none")
        self.views.status.set_full_text(
            f"{info.opened.index.class_name} opened from {request.folder}: press Run.")
        self._on_mode_changed()

    def _on_open_failed(self, request: OpenRequest, message: str) -> None:
        self.session.report_error(message)
        pickled = "pickled" in message and not request.allow_pickle
        self.refused = request if pickled else None
        self.views.status.set_full_text(
            "Could not open it (see the message above)" +
            (f"; {self.folder.name} stays open." if self.folder else ".") +
            (" Its weights are pickles: tick “Allow pickled weights” to open it anyway."
             if pickled else ""))

    def _on_allow_pickle(self, allowed: bool) -> None:
        """Reopen the folder refused for its pickles once the user allows them."""
        refused = self.refused
        if allowed and refused is not None:
            self.open_folder(refused.folder, refused.mode, refused.controlnet)

    def _on_open_done(self, _status: str) -> None:
        self.opening = None
        self._update_controls()

    def _raise_dock(self) -> None:
        dock = self.parentWidget()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()
