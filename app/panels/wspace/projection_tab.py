"""The "Project a digit" tab: pick a real digit of the model's dataset, project it into W
by optimisation as a job (progress, the image converging, the loss, Stop), then use the
w found as source A or B (GUI thread)."""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.wspace.jobs import (
    DIGITS_CHANNEL,
    LANE,
    LONG_LANE,
    Digits,
    Projected,
    ProjectionPreview,
    digits_work,
    projection_work,
)
from app.panels.wspace.runner import Runner
from app.panels.wspace.sources import PROJECTED, Source
from app.panels.wspace.strip import FrameStrip
from app.theme import coloured, style_text

PROJECT_CHANNEL = "wspace-project"
MAX_SNAPSHOTS = 12  # pictures of the image converging kept on screen, evenly spread


class ProjectionTab(QWidget):
    """Digit picker, Project/Stop, progress and the target beside the image converging
    (GUI thread). `use_source(source, slot)` is called with "A" or "B"."""

    def __init__(self, runner: Runner, use_source: Callable[[Source, str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._use_source = use_source
        self.digits: Digits | None = None
        self.chosen = 0
        self.projected: Source | None = None
        self._running = False
        self._target: np.ndarray | None = None
        self._latest: np.ndarray | None = None
        self._snapshots: list[tuple[int, np.ndarray]] = []
        self.picker = FrameStrip("Pick a digit (the last images of each class)",
                                 min_side=24, max_side=56)
        self.picker.setObjectName("wspace_digit_picker")
        self.picker.frameClicked.connect(self.choose)
        self.steps = QSpinBox()
        self.steps.setObjectName("wspace_project_steps")
        self.steps.setRange(10, 5_000)
        self.steps.setSingleStep(50)
        self.steps.setValue(200)
        self.steps.setToolTip("Optimisation steps (Adam on w, StyleGAN2's schedule)")
        self.run_button = QPushButton("Project")
        self.run_button.setObjectName("wspace_project_run")
        self.run_button.setToolTip("Find the w whose image matches the digit: pixel error "
                                   "plus the digit classifier's feature distance")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("wspace_project_stop")
        self.progress = QProgressBar()
        self.progress.setObjectName("wspace_project_progress")
        self.progress.setMaximumWidth(220)
        self.loss = QLabel()
        self.loss.setObjectName("wspace_project_loss")
        self.use_a = QPushButton("Use as source A")
        self.use_b = QPushButton("Use as source B")
        self.view = FrameStrip("Target, then the projection", min_side=56, max_side=140)
        self.view.setObjectName("wspace_project_view")
        self.history = FrameStrip("The image converging (the image each step scores, with "
                                  "the decaying noise added to w)", min_side=28, max_side=72)
        self.history.setObjectName("wspace_project_history")
        self.status = QLabel()
        self.status.setWordWrap(True)
        style_text(self.status, "muted")
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.use_a.clicked.connect(lambda: self._use("A"))
        self.use_b.clicked.connect(lambda: self._use("B"))

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Steps"))
        controls.addWidget(self.steps)
        controls.addWidget(self.run_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress)
        controls.addWidget(self.loss, 1)
        controls.addWidget(self.use_a)
        controls.addWidget(self.use_b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.picker)
        layout.addLayout(controls)
        layout.addWidget(self.view)
        layout.addWidget(self.history)
        layout.addStretch(1)
        layout.addWidget(self.status)
        self.clear()

    # --- the model ---------------------------------------------------------------------------
    def clear(self) -> None:
        """Stop a projection and forget the digits and the w found."""
        self.stop()
        self.digits, self.projected, self._target, self._latest = None, None, None, None
        self.chosen = 0
        self.picker.placeholder = "Open a StyleGAN to project its dataset's digits."
        self.picker.set_frames(None)
        self.view.placeholder = ""
        self.view.set_frames(None)
        self._snapshots = []
        self.history.set_frames(None)
        self.loss.setText("")
        self.status.setText("")
        self.progress.reset()
        self._update_buttons()

    def load_digits(self) -> None:
        """Read the picker's digits from the model's dataset (a job)."""
        self.picker.placeholder = "Loading the dataset…"
        self.picker.update()
        self.runner.submit(LANE, DIGITS_CHANNEL, lambda m, c: digits_work(m),
                           self.show_digits)

    def show_digits(self, digits: Digits) -> None:
        """Offer `digits` to pick from; the first is chosen."""
        self.digits = digits
        self.picker.title = f"Pick a digit of {digits.dataset} (the last images of each class)"
        self.picker.set_frames(digits.images, [str(int(y)) for y in digits.labels])
        self.choose(0)

    def choose(self, index: int) -> None:
        """Choose digit `index` of the picker as the target."""
        if self.digits is None or not 0 <= index < len(self.digits.images):
            return
        self.chosen = index
        self.picker.set_current(index)
        self._target = self.digits.images[index]
        if not self._running:
            self._latest, self._snapshots = None, []
            self.history.set_frames(None)
            self._draw()
        self._update_buttons()

    # --- projecting --------------------------------------------------------------------------
    def run(self) -> None:
        """Project the chosen digit into W as a job on the long lane."""
        if self._target is None or self.digits is None:
            return
        target, steps = self._target.copy(), self.steps.value()
        label = int(self.digits.labels[self.chosen])
        job = self.runner.submit(LONG_LANE, PROJECT_CHANNEL,
                                 lambda m, c: projection_work(m, c, target, steps),
                                 lambda ev: self._on_event(ev, label), self._on_done)
        if job is None:
            return
        self._running, self._latest, self._snapshots = True, None, []
        self.history.set_frames(None)
        self.progress.setRange(0, steps)
        self.progress.setValue(0)
        self.loss.setText("")
        self.status.setText(f"Projecting a {label} into W ({steps} steps)…")
        self._draw()
        self._update_buttons()

    def stop(self) -> None:
        """Stop the projection under way (between two steps); nothing of it is kept."""
        if self._running:
            self.runner.cancel(LONG_LANE, PROJECT_CHANNEL)
            self._running = False
            self.progress.reset()
            self.status.setText("Projection stopped; the w found so far is not used.")
            self._update_buttons()

    @property
    def running(self) -> bool:
        """Return True while a projection runs."""
        return self._running

    def _on_event(self, ev: object, label: int) -> None:
        if not self._running:
            return
        if isinstance(ev, ProjectionPreview):
            self.progress.setValue(ev.step)
            self.loss.setText(f"step {ev.step}/{ev.steps}: loss {ev.loss:.4f} "
                              f"(pixels {ev.pixel_loss:.4f})")
            if ev.image is not None:
                self._latest = ev.image
                self._snapshots.append((ev.step, ev.image))
                self._draw(f"step {ev.step}")
                self._draw_history()
        elif isinstance(ev, Projected):
            self._latest = ev.image
            name = f"{label} (#{self.chosen + 1})"
            self.projected = Source(PROJECTED, w=ev.w, name=name)
            self._draw("projected")
            self.status.setText(f"Projected: pixel error {ev.loss:.4f}. The w found is now "
                                "source A: see it in Z vs W and edit it in Directions.")
            self._use("A")

    def _on_done(self, status: str) -> None:
        if status == "failed" and self._running:
            self.status.setText(coloured(html.escape("Projection failed."), "error"))
        if status != "done":
            self.progress.reset()
        self._running = False
        self._update_buttons()

    def _draw(self, caption: str = "") -> None:
        frames = [f for f in (self._target, self._latest) if f is not None]
        self.view.set_frames(frames or None, ["target", caption][:len(frames)])

    def _draw_history(self) -> None:
        n = len(self._snapshots)
        keep = sorted({round(i) for i in np.linspace(0, n - 1, min(n, MAX_SNAPSHOTS))})
        shown = [self._snapshots[i] for i in keep]
        self.history.set_frames([im for _, im in shown], [f"{step}" for step, _ in shown])

    def _use(self, slot: str) -> None:
        if self.projected is not None:
            self._use_source(self.projected, slot)

    def _update_buttons(self) -> None:
        ready = self.runner.model is not None and self._target is not None
        self.run_button.setEnabled(ready and not self._running)
        self.stop_button.setEnabled(self._running)
        self.steps.setEnabled(not self._running)
        self.use_a.setEnabled(self.projected is not None)
        self.use_b.setEnabled(self.projected is not None)
