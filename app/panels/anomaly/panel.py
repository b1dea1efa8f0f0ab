"""The Anomaly panel (GUI thread): pick an anomaly set, Run it as a job on the "anomaly"
lane (progress, Stop), then the score histograms, the ROC curve with its AUC and the
most and least anomalous images. An inverted result (AUC < 0.5) is said, never hidden."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.jobs import Job
from app.panels.anomaly.jobs import LANE, anomaly_work
from app.panels.anomaly.views import (
    ANOMALY_COLOUR,
    NORMAL_COLOUR,
    ExtremeStrip,
    Histograms,
    RocCurve,
)
from app.panels.base import Panel
from app.theme import style_text
from models.opened import OpenedModel

if TYPE_CHECKING:
    from app.session import Session
    from models.anomaly.run import AnomalyResult

OTHER_SETS = (("noise", "uniform noise"), ("rotate", "rotated 90°/180°"),
              ("invert", "inverted (1 − x)"))
DEFAULT_N = 500
SLOTS = 8
EMPTY_TEXT = "Open or train a model to score anomalies with it."


def anomaly_choices(model: OpenedModel) -> list[tuple[str, str]]:
    """Return (set, label) pairs: each class the run held out, then noise, rotate, invert."""
    held = sorted(set(model.data.exclude_class or ())) if model.data else []
    names = model.class_names
    out = []
    for k in held:
        name = names[k] if k < len(names) and names[k] != str(k) else ""
        out.append((f"class:{k}", f"held-out class {k}" + (f" ({name})" if name else "")))
    return out + list(OTHER_SETS)


class AnomalyPanel(Panel):
    """Runs `models.anomaly` on the model shown and draws its result (GUI thread)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.result: AnomalyResult | None = None
        self._job: Job | None = None
        self._runs = 0  # runs submitted or cancelled: the callbacks' generation
        self._scored_epoch: int | None = None  # the epoch of the weights the run scores
        self.anomalies = QComboBox()
        self.anomalies.setObjectName("anomaly_set")
        self.anomalies.setToolTip("The anomalous images: a class the run held out "
                                  "(train with --exclude-class K), noise, rotated or "
                                  "inverted validation images")
        self.n_spin = QSpinBox()
        self.n_spin.setObjectName("anomaly_n")
        self.n_spin.setRange(10, 100000)
        self.n_spin.setValue(DEFAULT_N)
        self.n_spin.setToolTip("At most this many images in each set")
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("anomaly_run")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("anomaly_stop")
        self.progress = QProgressBar()
        self.progress.setObjectName("anomaly_progress")
        self.progress.setTextVisible(True)
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Anomalies"))
        controls.addWidget(self.anomalies, 1)
        controls.addWidget(QLabel("Images per set"))
        controls.addWidget(self.n_spin)
        controls.addWidget(self.run_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress, 1)

        self.status = QLabel(EMPTY_TEXT)
        self.status.setObjectName("anomaly_status")
        self.status.setWordWrap(True)
        self.note = QLabel()
        self.note.setObjectName("anomaly_inverted_note")
        self.note.setWordWrap(True)
        style_text(self.note, "error")
        self.note.hide()

        self.histograms = Histograms()
        self.roc = RocCurve()
        plots = QHBoxLayout()
        plots.addWidget(self.histograms, 3)
        plots.addWidget(self.roc, 2)

        self.most = ExtremeStrip("Most anomalous", SLOTS)
        self.least = ExtremeStrip("Least anomalous", SLOTS)
        key = QLabel(f"Frames: <span style='color:{NORMAL_COLOUR}'>■</span> normal, "
                     f"<span style='color:{ANOMALY_COLOUR}'>■</span> anomalous; "
                     f"the score under each image")
        style_text(key, "muted")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.note)
        layout.addLayout(plots, 1)
        layout.addWidget(self.most)
        layout.addWidget(self.least)
        layout.addWidget(key)
        self._update_buttons()

    # --- Panel -------------------------------------------------------------------------------
    def show_model(self, model: OpenedModel) -> None:
        """Offer the anomaly sets of `model`'s run; a result of an older model of the same
        run stays, saying which epoch it scored."""
        current = self.anomalies.currentData()
        self.anomalies.clear()
        for key, label in anomaly_choices(model):
            self.anomalies.addItem(label, key)
        found = self.anomalies.findData(current)
        self.anomalies.setCurrentIndex(max(found, 0))
        if self.result is None and self._job is None:
            self.status.setText(f"{model.family}, epoch {model.epoch}: pick the anomalies "
                                f"and Run (normal images: the run's validation split).")
        self._update_buttons()

    def clear(self) -> None:
        """Stop a run and forget the model's sets and result."""
        self._cancel()
        self.anomalies.clear()
        self.result = None
        self._scored_epoch = None
        self._draw(None)
        self.status.setText(EMPTY_TEXT)
        self.progress.reset()
        self._update_buttons()

    # --- running -----------------------------------------------------------------------------
    def run(self) -> None:
        """Score the chosen set with the model shown, as a job (a running one is replaced)."""
        model, anomalies = self.model, self.anomalies.currentData()
        if model is None or anomalies is None:
            return
        self.progress.setRange(0, 0)
        self.status.setText(f"Scoring {self.anomalies.currentText()} with the {model.family} "
                            f"(epoch {model.epoch})…")
        self._runs += 1
        run = self._runs  # callbacks of a run replaced by a newer one are ignored
        self._scored_epoch = model.epoch  # newer weights may arrive while it runs
        self._job = self.session.jobs.submit(
            LANE, anomaly_work(model, anomalies, self.n_spin.value(), seed=0),
            on_event=partial(self._on_event, run), on_done=partial(self._on_done, run),
            on_error=partial(self._on_error, run))
        self._update_buttons()

    def stop(self) -> None:
        """Stop the run under way (it ends between two batches); the result shown stays."""
        if self._job is not None:
            self._cancel()
            self.status.setText("Stopped." if self.result is None else
                                "Stopped; the result shown is the previous run's.")

    def _cancel(self) -> None:
        if self._job is not None:
            self._runs += 1
            self.session.jobs.cancel(LANE)
            self._job = None
            self.progress.reset()
            self._update_buttons()

    def running(self) -> bool:
        """Return True while a run is under way."""
        return self._job is not None

    def _on_event(self, run: int, event: Any) -> None:
        from models.anomaly.run import AnomalyProgress

        if run != self._runs:
            return
        if isinstance(event, AnomalyProgress):
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.done)
            return
        self.result = event
        self._draw(event)

    def _on_done(self, run: int, status: str) -> None:
        if run != self._runs:
            return
        self._job = None
        self._update_buttons()

    def _on_error(self, run: int, message: str, _traceback: str) -> None:
        if run != self._runs:
            return
        self.progress.reset()
        self.status.setText(f"Could not score: {message}")

    def _draw(self, result: AnomalyResult | None) -> None:
        self.histograms.show_result(result)
        self.roc.show_result(result)
        self.most.show_extremes(result.most if result else ())
        self.least.show_extremes(result.least if result else ())
        if result is None:
            self.note.hide()
            return
        scored = self._scored_epoch if self._scored_epoch is not None else \
            (self.model.epoch if self.model is not None else None)
        epoch = f", epoch {scored}" if scored is not None else ""
        self.status.setText(
            f"{result.family}{epoch} — {result.anomalies}: AUC {result.auc:.3f}. "
            f"Score: {result.score_description}; higher = more anomalous. Normal: "
            f"{result.normal_text}; anomalous: {result.anomalous_text} "
            f"({result.seconds:.1f} s).")
        self.note.setText(result.note or "")
        self.note.setVisible(result.inverted)

    def _update_buttons(self) -> None:
        running = self._job is not None
        self.run_button.setEnabled(self.model is not None and self.anomalies.count() > 0)
        self.stop_button.setEnabled(running)
        self.anomalies.setEnabled(self.model is not None)
