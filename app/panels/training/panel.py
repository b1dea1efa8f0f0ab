"""The Training panel: observes the session and shows a run as it learns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qthrottled

from app.panels.base import Panel
from app.panels.training.array_plots import ArrayPlots
from app.panels.training.image_view import ImagePane
from app.panels.training.loss_plots import LossPlots
from app.panels.training.temperature import TemperatureControl, samples_at_temperature
from app.panels.training.text_line import TextLine
from app.panels.training.timeline import Timeline
from app.session import JobState, Progress, Session
from app.widgets.labeled_slider import LabeledDoubleSlider
from models.opened import OpenedModel

# Loss curves and counters redraw at most 4 times a second (thread rule 8), and only
# while shown. A redraw of the loss plots costs ~0.7 ms, then one ~1.3 ms paint per plot
# (GUI thread, offscreen, 2 cores) whatever the run's length; ~3.5 ms when an axis moves.
REDRAW_MS = 250
NO_HISTORY_TEXT = "This checkpoint's folder holds no training history: no loss curves."


def format_duration(seconds: float | None) -> str:
    """Return h:mm:ss / m:ss for `seconds`, or '–' when unknown."""
    if seconds is None or not np.isfinite(seconds):
        return "–"
    s = round(float(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TrainingPanel(Panel):
    """Loss curves, sample grid, reconstructions, per-epoch arrays and the epoch timeline.

    GUI thread; reads `session.history`, redraws on the session's signals.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self._fresh_samples = False
        self._stale = False  # steps arrived while the panel was hidden

        self.counters = TextLine()
        self.counters.setObjectName("training_counters")
        font = self.counters.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.counters.setFont(font)
        self.smoothing = LabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.smoothing.setObjectName("smoothing")
        self.smoothing.setRange(0.0, 0.99)
        self.smoothing.setDecimals(2)
        self.smoothing.setValue(0.9)
        self.smoothing.setToolTip("Smoothing of the solid line (debiased moving average); "
                                  "the faint line is the raw value of each step")
        self.smoothing.setMaximumWidth(220)
        self.log_y = QCheckBox("log scale")
        self.log_y.setObjectName("log_y")
        header = QHBoxLayout()
        header.addWidget(self.counters, 1)
        header.addWidget(QLabel("smoothing"))
        header.addWidget(self.smoothing)
        header.addWidget(self.log_y)

        self.loss_plots = LossPlots()
        self.samples = ImagePane("Samples", "appear after the first epoch")
        self.samples.setObjectName("sample_grid")
        self.temperature = TemperatureControl()
        self.temperature.hide()
        self._sample_seed: int | None = None  # the grid the temperature slider redraws
        self._has_temperature = False
        self._asked_temperature: float | None = None
        sample_box = QWidget()
        box = QVBoxLayout(sample_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.temperature)
        box.addWidget(self.samples, 1)
        self.recon = ImagePane("Reconstructions", "appear after the first epoch")
        self.recon.setObjectName("recon_pairs")
        self.arrays = ArrayPlots()
        self.arrays.hide()
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(sample_box)
        right.addWidget(self.recon)
        right.addWidget(self.arrays)
        right.setSizes([420, 160, 220])
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.loss_plots)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        self.timeline = Timeline()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(header)
        layout.addWidget(split, 1)
        layout.addWidget(self.timeline)

        self.smoothing.valueChanged.connect(self._on_smoothing)
        self.log_y.toggled.connect(self._on_log)
        self.timeline.epochSelected.connect(self._on_epoch_selected)
        session.runReset.connect(self._on_reset)
        session.stepsAdded.connect(self._on_steps)
        session.epochAdded.connect(self._on_epoch_added)
        session.progressChanged.connect(self._on_progress)
        session.stateChanged.connect(self._on_state)
        session.samplesReady.connect(self._on_samples)
        self.temperature.chosen.connect(self._on_temperature)
        session.picturesOpened.connect(self._on_pictures)
        self._on_progress(session.progress)

    # --- slots -------------------------------------------------------------------------
    @Slot()
    def _on_reset(self) -> None:
        self.loss_plots.reset("Reading the recorded training history…"
                              if self.session.recorded_history else "")
        self.loss_plots.set_cursor(None)
        self.timeline.reset()
        self.timeline.recorded = self.session.recorded_history
        self.samples.set_array(None)
        self.samples.set_caption("")
        self.recon.set_array(None)
        self.recon.set_caption("")
        self.arrays.show_epoch(None)
        self._fresh_samples = False
        self._on_progress(self.session.progress)

    @Slot()
    def _on_steps(self) -> None:
        self._redraw()

    @qthrottled(timeout=REDRAW_MS, leading=False)
    def _redraw(self) -> None:
        # A panel behind another dock tab is not drawn: catch up when it is shown.
        if not self.loss_plots.isVisible():
            self._stale = True
            return
        self._stale = False
        self.loss_plots.refresh(self.session.history, spread=True)

    def showEvent(self, event: QShowEvent) -> None:
        """Draw what arrived while hidden."""
        super().showEvent(event)
        if self._stale:
            self._redraw()

    @Slot(int)
    def _on_epoch_added(self, _epoch: int) -> None:
        self._fresh_samples = False
        self._show_epochs()

    # Small models finish an epoch in under a second; showing each one's grid, bars and
    # validation points at most 4 times a second keeps the GUI thread's share small.
    @qthrottled(timeout=REDRAW_MS, leading=True)
    def _show_epochs(self) -> None:
        self.timeline.set_epochs([e.epoch for e in self.session.history.epochs])
        self._redraw()  # validation points and the cursor's epoch

    @Slot(int, bool)
    def _on_epoch_selected(self, epoch: int, live: bool) -> None:
        record = self.session.history.epoch(epoch)
        if record is None:
            return
        # Following a run, the line moves with the next redraw of the curves (throttled).
        following = self.session.state.busy or self.session.state is JobState.FOLLOWING
        self.loss_plots.set_cursor(record.step, defer=live and following)
        if self._trains_first_stage(epoch) and record.reconstructions is not None:
            # Samples of a UNet not yet trained are noise: what phase 1 teaches is the
            # autoencoder, seen in its reconstructions, shown where the samples will be.
            self.samples.set_array(record.reconstructions)
            self.samples.set_caption(f"epoch {epoch}: reconstructions (top row: input) — "
                                     "samples come with the next phase")
            self.recon.setVisible(False)
        else:
            if not self._fresh_samples or not live:
                self.samples.set_array(record.preview)
                self.samples.set_caption(f"epoch {epoch} (fixed latent batch)")
            self.recon.setVisible(record.reconstructions is not None)
            self.recon.set_array(record.reconstructions)
            self.recon.set_caption(f"epoch {epoch} (top row: input)")
        self.arrays.family = self.session.history.shape.family
        self.arrays.show_epoch(record)

    def _trains_first_stage(self, epoch: int) -> bool:
        """Return True when epoch `epoch` (from 1) belongs to a phase before the last of a
        run in phases (latent diffusion's autoencoder)."""
        shape = self.session.history.shape
        return shape.multi_phase and shape.phase_index(epoch - 1) < len(shape.phases) - 1

    @Slot(object)
    def _on_pictures(self, checkpoint: Path) -> None:
        """A checkpoint opened: without a history, say so before its model has loaded."""
        if self.session.history.shape.run_dir is None and not self.session.state.busy:
            self.loss_plots.reset(NO_HISTORY_TEXT)
            family = self.session.family or "checkpoint"
            self.counters.setText(f"Checkpoint {Path(checkpoint).name}: {family} — "
                                  "no training history in this folder")

    @Slot(object)
    def _on_samples(self, grid: np.ndarray) -> None:
        self._fresh_samples = True
        self.samples.set_array(grid)
        at = "" if self._asked_temperature is None \
            else f" at temperature {self._asked_temperature:.2f}"
        self.samples.set_caption(f"fresh samples from the latest weights{at}")

    def sample_fresh(self, seed: int | None = None) -> int:
        """Ask for 64 fresh samples (a new seed when None), at the slider's temperature for
        a model that has one; return the seed used."""
        t = self.temperature.value() if self._has_temperature else None
        self._asked_temperature = t
        self._sample_seed = self.session.sample(64, seed=seed, temperature=t)
        return self._sample_seed

    @Slot(float)
    def _on_temperature(self, _value: float) -> None:
        """Draw the grid shown again at the new temperature: the same seed (latest wins)."""
        self.sample_fresh(self._sample_seed)

    # --- the model shown (the curves belong to the run: they reset on runReset) -------------
    def clear(self) -> None:
        """Forget fresh samples of the previous model and its temperature."""
        self.temperature.hide()
        self._has_temperature = False
        self._sample_seed, self._asked_temperature = None, None
        if self._fresh_samples:
            self._fresh_samples = False
            self.samples.set_array(None)
            self.samples.set_caption("")

    def show_model(self, model: OpenedModel) -> None:
        """A checkpoint without its run folder has no curves to show: say what it is, and
        fill the samples pane with fresh samples from it."""
        if not self.session.history.epochs:
            # Models that cannot encode have no reconstructions to wait for.
            self.recon.setVisible(model.capabilities.can_encode)
        self._has_temperature = samples_at_temperature(model.model_config)
        if self._has_temperature:
            self.temperature.reset(float(model.model_config.temperature))
            self.temperature.show()
        history = self.session.history
        if history.last_step or history.shape.run_dir is not None or self.session.state.busy \
                or model.path is None:
            return
        trained = f", trained {model.epoch} epochs" if model.epoch else ""
        self.counters.setText(f"Checkpoint {model.path.name}: {model.family}{trained} — "
                              "no training history in this folder")
        self.sample_fresh()

    def update_model(self, model: OpenedModel) -> None:
        """Newer weights of the run: its epoch previews come with the history."""

    @Slot(float)
    def _on_smoothing(self, value: float) -> None:
        self.loss_plots.set_smoothing(value)
        self.loss_plots.refresh(self.session.history)

    @Slot(bool)
    def _on_log(self, on: bool) -> None:
        self.loss_plots.set_log_y(on)
        self.loss_plots.refresh(self.session.history)

    @Slot(object)
    def _on_state(self, state: JobState) -> None:
        self._on_progress(self.session.progress)
        if not state.busy:
            # The last steps and epoch of a run are drawn even if a redraw was pending.
            self._show_epochs.flush()
            self._redraw.flush()

    @Slot(object)
    def _on_progress(self, p: Progress) -> None:
        shape = self.session.history.shape
        if self.session.recorded_history:
            # A finished record (a demo's), not a live or followed run.
            epochs = shape.total_epochs or p.epoch
            phases = ", ".join(f"{name} {n}" for name, n in shape.phases if n)
            phases = f" ({phases})" if shape.multi_phase else ""
            parts = [f"Trained for {epochs} epochs{phases} — recorded history" if epochs
                     else "Reading the recorded training history…"]
            if p.step:
                parts.append(f"{p.step:,} steps")
            if shape.family:
                parts.append(f"{shape.family} on {shape.dataset}")
            self.counters.setText("   ·   ".join(parts))
            return
        if p.total_epochs == 0 and p.step == 0:
            self.counters.setText("No run yet — press Train (Ctrl+T) or open a run folder "
                                  "(Ctrl+Shift+O)")
            return
        epoch_now = min(p.epoch + 1, p.total_epochs) if self.session.state.busy else p.epoch
        steps = f"{p.step:,}/{p.total_steps:,}" if p.total_steps else f"{p.step:,}"
        parts = [f"Epoch {epoch_now}/{p.total_epochs}", f"step {steps}"]
        phase = self.session.history.phase_label(max(epoch_now - 1, 0))
        if phase:
            parts.insert(1, phase)
        if p.images_per_s:
            parts.append(f"{p.images_per_s:,.0f} img/s")
        if self.session.state in (JobState.TRAINING, JobState.FOLLOWING) and p.eta_s is not None:
            parts.append(f"ETA {format_duration(p.eta_s)}")
        if shape.family:
            parts.append(f"{shape.family} on {shape.dataset}")
        self.counters.setText("   ·   ".join(parts))
