"""The Pixels panel (GUI thread): a PixelCNN draws its images pixel by pixel as a job on
the "pixels" lane, streamed in while it runs; playback scrubs, steps and plays through the
values drawn; hovering a pixel shows the 256-way distribution it was drawn from."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.jobs import Job
from app.panels.base import Panel
from app.panels.pixel_sampling.controls import SamplingControls
from app.panels.pixel_sampling.distribution import DistributionChart
from app.panels.pixel_sampling.grid import PixelGrid, to_rgb
from app.panels.pixel_sampling.jobs import LANE, PIECE_S, sampling_work
from app.panels.pixel_sampling.playback import PlaybackBar
from app.panels.pixel_sampling.recording import DrawSpec, GrowingRecording
from models.opened import OpenedModel

if TYPE_CHECKING:
    from app.session import Session
    from models.pixelcnn.sampling import RecordedSteps

FAMILIES = ("pixelcnn",)  # autoregressive over pixels: drawn one value at a time
EMPTY_TEXT = "Open or train a PixelCNN to watch it draw its images pixel by pixel."
HOVER_HINT = "Hover over a pixel to see the distribution it was drawn from."


class PixelSamplingPanel(Panel):
    """Draws, records and replays a PixelCNN's pixel-by-pixel sampling (GUI thread).
    Emits stepsArrived(available) after each piece of a draw has been added."""

    stepsArrived = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.recording: GrowingRecording | None = None
        self._job: Job | None = None
        self._draws = 0  # draws submitted or cancelled: the callbacks' generation
        self._started = 0.0
        self.seconds: float | None = None  # the last whole draw's duration
        self.hover: tuple[int, int, int] | None = None  # (image, row, col)
        self.piece_s = PIECE_S  # seconds between the pieces of a draw sent to the view
        self.controls = SamplingControls()
        self.controls.sampleRequested.connect(self.sample)
        self.controls.stopRequested.connect(self.stop)
        self.status = QLabel(EMPTY_TEXT)
        self.status.setObjectName("pixels_status")
        self.status.setWordWrap(True)
        self.grid = PixelGrid()
        self.grid.setObjectName("pixels_grid")
        self.grid.set_placeholder(EMPTY_TEXT)
        self.grid.hovered.connect(self._on_hover)
        self.chart = DistributionChart()
        self.playback = PlaybackBar()
        self.playback.stepChanged.connect(self._show_step)
        self.playback.add_shortcuts(self)

        views = QHBoxLayout()
        views.addWidget(self.grid, 3)
        views.addWidget(self.chart, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.controls)
        layout.addWidget(self.status)
        layout.addLayout(views, 1)
        layout.addWidget(self.playback)
        self._update_controls()

    # --- Panel -------------------------------------------------------------------------------
    def accepts(self, model: OpenedModel) -> bool:
        """Return True for an autoregressive pixel model (a PixelCNN)."""
        return model.family in FAMILIES

    def show_unsupported(self, model: OpenedModel) -> None:
        """Say that only an autoregressive model draws pixel by pixel."""
        text = (f"{model.family} draws each image whole: only an autoregressive model "
                f"(pixelcnn) draws pixel by pixel.")
        self.status.setText(text)
        self.grid.set_placeholder(text)

    def show_model(self, model: OpenedModel) -> None:
        """Offer `model`'s classes (when conditional) and draw with the defaults at once,
        unless training needs the CPU."""
        config = model.model_config
        if model.capabilities.conditional:
            names = model.class_names or tuple(str(k) for k in range(config.num_classes))
            self.controls.set_classes(tuple(names[:config.num_classes]))
        else:
            self.controls.set_classes(None)
        self.grid.set_placeholder("Press Sample to draw.")
        self.status.setText(f"{model.family}, epoch {model.epoch}: "
                            f"{config.channels}×{config.image_size}×{config.image_size} "
                            f"values per image, each drawn from a 256-way distribution.")
        self._update_controls()
        if not self.session.state.busy:
            self.sample()

    def update_model(self, model: OpenedModel) -> None:
        """Newer weights of the run: the draw shown stays; Sample draws with them (a
        model still waiting to be shown is replaced by them)."""
        if self.pending is not None:
            super().update_model(model)
        elif self._job is None:
            self.status.setText(f"Weights of epoch {model.epoch} arrived: Sample draws "
                                f"with them.")

    def clear(self) -> None:
        """Stop a draw and forget the model's recording and choices."""
        self._cancel()
        self.recording = None
        self.hover = None
        self.seconds = None
        self.controls.set_classes(None)
        self.playback.reset(0)
        self.grid.set_images(None)
        self.grid.set_current(None)
        self.grid.set_placeholder(EMPTY_TEXT)
        self.chart.show_distribution(None, None, "")
        self.status.setText(EMPTY_TEXT)
        self._update_controls()

    # --- drawing -----------------------------------------------------------------------------
    @Slot()
    def sample(self) -> None:
        """Draw the chosen images with the model shown, as a job (replacing a draw)."""
        model = self.model
        if model is None or self.session.jobs.closing:
            return
        config = model.model_config
        n = self.controls.n_spin.value()
        spec = DrawSpec(n, config.channels, config.image_size, self.controls.seed_spin.value(),
                        self.controls.temperature.value(),
                        self.controls.labels(n, config.num_classes)
                        if model.capabilities.conditional else None)
        self._draws += 1
        draw = self._draws  # callbacks of a draw replaced by a newer one are ignored
        self.recording = GrowingRecording(spec)
        self.seconds = None
        self._started = time.monotonic()
        self.playback.reset(spec.steps)
        self.status.setText(f"Drawing {n} image{'s' if n != 1 else ''}, seed {spec.seed}, "
                            f"temperature {spec.temperature:g} (epoch {model.epoch})…")
        self._job = self.session.jobs.submit(
            LANE, sampling_work(model, spec, self.piece_s), on_event=partial(self._on_event, draw),
            on_done=partial(self._on_done, draw), on_error=partial(self._on_error, draw))
        self._update_controls()

    @Slot()
    def stop(self) -> None:
        """Stop the draw under way (between two values); what was drawn stays to scrub."""
        if self._job is None:
            return
        self._cancel()
        rec = self.recording
        if rec is not None:
            self.status.setText(f"Stopped after {rec.available} of {rec.spec.steps} values: "
                                f"scrub through them, or Sample again.")

    def running(self) -> bool:
        """Return True while a draw is under way."""
        return self._job is not None

    def _cancel(self) -> None:
        if self._job is not None:
            self._draws += 1
            self.session.jobs.cancel(LANE)
            self._job = None
            self._update_controls()

    def _on_event(self, draw: int, piece: RecordedSteps | None) -> None:
        if draw != self._draws or piece is None or self.recording is None:
            return
        self.recording.add(piece)
        self.playback.set_available(self.recording.available)
        self.stepsArrived.emit(self.recording.available)

    def _on_done(self, draw: int, status: str) -> None:
        if draw != self._draws:
            return
        self._job = None
        rec = self.recording
        if status == "done" and rec is not None and rec.complete:
            self.seconds = time.monotonic() - self._started
            n = rec.spec.n
            self.status.setText(
                f"Drew {n} image{'s' if n != 1 else ''} × {rec.spec.steps} values in "
                f"{self.seconds:.1f} s (seed {rec.spec.seed}, temperature "
                f"{rec.spec.temperature:g}). Play, step or scrub; {HOVER_HINT.lower()}")
        self._update_controls()

    def _on_error(self, draw: int, message: str, _traceback: str) -> None:
        if draw != self._draws:
            return
        self.status.setText(f"Could not draw: {message}")

    def _update_controls(self) -> None:
        self.controls.set_state(has_model=self.model is not None, running=self._job is not None)

    # --- showing -----------------------------------------------------------------------------
    @Slot(int)
    def _show_step(self, k: int) -> None:
        """Show the first k values drawn, the latest outlined, and its distribution."""
        rec = self.recording
        if rec is None:
            self.grid.set_images(None)
            self.grid.set_current(None)
            self._refresh_chart()
            return
        self.grid.set_images(to_rgb(rec.partial(k), rec.filled(k)), self._captions(rec))
        self.grid.set_current(rec.position(k - 1)[:2] if 0 < k <= rec.available else None)
        self._refresh_chart()

    def _captions(self, rec: GrowingRecording) -> list[str]:
        labels = rec.spec.labels
        if labels is None:
            return [str(i + 1) for i in range(rec.spec.n)]
        names = [self.controls.class_combo.itemText(i + 1)
                 for i in range(self.controls.class_combo.count() - 1)]
        return [f"{i + 1} · {names[y] if y < len(names) else y}"
                for i, y in enumerate(labels)]

    @Slot(int, int, int)
    def _on_hover(self, image: int, row: int, col: int) -> None:
        self.hover = (image, row, col) if image >= 0 else None
        self._refresh_chart()

    def _refresh_chart(self) -> None:
        """Chart the distribution of the hovered pixel if drawn, else of the current pixel
        of the hovered image (image 1 when none is hovered)."""
        rec, k = self.recording, self.playback.step()
        if rec is None or rec.available == 0:
            self.chart.show_distribution(None, None, HOVER_HINT if rec is not None else "")
            return
        image, step = 0, None
        if self.hover is not None and self.hover[0] < rec.spec.n:
            image, row, col = self.hover
            step = rec.last_step_at(row, col, k)
        drawn = step is not None or k > 0
        if step is None:
            # The image's current pixel: the value written last, or the first to come.
            step = max(0, min(k, rec.available) - 1)
        row, col, channel = rec.position(step)
        where = f"Image {image + 1}, row {row}, col {col}"
        if rec.spec.channels > 1:
            where += f", {'RGB'[channel] if rec.spec.channels == 3 else channel}"
        where += f" (value {step + 1} of {rec.spec.steps})"
        self.chart.show_distribution(rec.probs[step, image],
                                     int(rec.values[step, image]) if drawn else None, where)
