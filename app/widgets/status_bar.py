"""The status bar: device, model, dataset, job state, progress with ETA, images/s."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Slot
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QWidget

from app.panels.training.panel import format_duration
from app.session import JobState, Progress, Session
from app.widgets.elided_label import ElidedLabel

PROGRESS_WIDTH = (140, 260)  # px: the progress bar's least and most width


class _RateLabel(QLabel):
    """A label of fixed size for a number that changes 4 times a second (GUI thread).

    A label whose text changes width re-lays out the status bar and then the whole main
    window (dock animations included); one of fixed width and height does not.
    """

    WIDEST = "999,999 img/s"

    def __init__(self) -> None:
        super().__init__()
        self._fit()

    def changeEvent(self, event: QEvent) -> None:
        """Refit when the font or style changes (presentation theme)."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()

    def _fit(self) -> None:
        text = self.text()
        self.setText(self.WIDEST)
        hint = self.sizeHint()
        self.setText(text)
        self.setFixedSize(max(90, hint.width()), hint.height())


class StatusBar(QStatusBar):
    """Observes the session (GUI thread).

    Its names and state elide (the whole text in a tooltip) and the progress bar narrows,
    so in presentation mode's larger font it still leaves the window room on a 1280-pixel
    screen.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.device = ElidedLabel()
        self.model = ElidedLabel()
        self.dataset = ElidedLabel()
        self.state = ElidedLabel()
        self.state.setObjectName("status_state")
        self.progress = QProgressBar()
        self.progress.setObjectName("status_progress")
        self.progress.setRange(0, 1000)
        self.progress.setMinimumWidth(PROGRESS_WIDTH[0])
        self.progress.setMaximumWidth(PROGRESS_WIDTH[1])
        self.progress.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.progress.setTextVisible(True)
        self.rate = _RateLabel()
        self.setStyleSheet("QStatusBar::item { border: none; }"
                           " QStatusBar QLabel { padding: 0 10px; border-left: 1px solid #bbb; }")
        for w in (self.device, self.model, self.dataset, self.state, self.progress, self.rate):
            self.addPermanentWidget(w)
        session.stateChanged.connect(self._on_state)
        session.progressChanged.connect(self._on_progress)
        session.deviceChanged.connect(self._on_device)
        session.torchReady.connect(self._on_torch)
        session.runReset.connect(self._on_names)
        session.models.opened.connect(self._on_names)
        session.models.closed.connect(self._on_names)
        session.epochAdded.connect(self._on_names)
        self._on_state(session.state)
        self._on_device(session.device)
        self._on_names()
        self._on_progress(session.progress)

    @Slot(object)
    def _on_torch(self, _info: object) -> None:
        self._on_device(self.session.device)

    @Slot(str)
    def _on_device(self, device: str) -> None:
        shown = device
        info = self.session.torch_info
        if device == "auto" and info:
            shown = f"auto ({info['devices'][0]})"
        self.device.set_full_text(f"Device: {shown}")

    def _on_names(self, *_: object) -> None:
        # Connected to session signals only, which are emitted on the GUI thread.
        s = self.session
        fam = s.family or s.history.shape.family
        self.model.set_full_text(f"Model: {fam or '–'}")
        self.dataset.set_full_text(f"Data: {s.dataset or s.history.shape.dataset or '–'}")

    @Slot(object)
    def _on_state(self, state: JobState) -> None:
        text = state.value.capitalize()
        if state is JobState.FOLLOWING and self.session.followed_run_complete:
            text += " (all epochs done)"
        self.state.set_full_text(text)
        self._on_names()
        self._on_progress(self.session.progress)  # drop the ETA once a run ends

    @Slot(object)
    def _on_progress(self, p: Progress) -> None:
        if self.session.recorded_history:
            # A finished record (a demo's): nothing runs, nothing is left to do.
            self.progress.setValue(1000 if p.epoch else 0)
            self.progress.setFormat(f"recorded: {p.epoch} epochs" if p.epoch else "")
            self.rate.setText("")
            return
        self.progress.setValue(int(p.fraction * 1000))
        eta = f" · ETA {format_duration(p.eta_s)}" if p.eta_s is not None and \
            self.session.state in (JobState.TRAINING, JobState.FOLLOWING) else ""
        self.progress.setFormat(f"{p.fraction * 100:.0f}%{eta}")
        self.rate.setText(f"{p.images_per_s:,.0f} img/s" if p.images_per_s else "")
