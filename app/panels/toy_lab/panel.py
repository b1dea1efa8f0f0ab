"""The Toy lab dock: a toy family trained live on 2-D data, GAN Lab-like (GUI thread).

Training runs as one job on the "toy" lane (`jobs.py`); this panel keeps only the latest
snapshot it yields and draws it from a screen-rate QTimer, so however fast the lane
trains, the GUI thread does one redraw per frame at most. The toy lab does not show the
window's model: it builds its own, from the seed, and so is a plain widget, not a Panel.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from app.jobs import Job, JobService
from app.panels.toy_lab.canvas import ToyCanvas
from app.panels.toy_lab.control import ToyControl
from app.panels.toy_lab.controls import ToyControls
from app.panels.toy_lab.jobs import TOY_LANE, toy_training
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.plot_pair import PlotCaption, PlotPair
from app.panels.toy_lab.snapshot import ToyView
from app.panels.toy_lab.stages import StageStrip, strip_stages
from app.widgets.elided_label import ElidedLabel
from models.toy.data import ToyData, ToyDataError, from_points, read_csv, toy_dataset

FRAME_MS = 16  # the redraw timer: ~60 Hz, so ≥ 30 fps even when ticks run late
HOLD_FRAMES = 40  # the reverse process rests on its last frame this many ticks
SHOWN_REAL = 1500
DATA_SIZE = 4000
POINTS_PER_DAB = 6  # points one brush dab paints


class FittedScroll(QScrollArea):
    """A vertical scroll area as wide as its widget wants, refitted whenever the widget's
    layout changes (presentation mode's larger font widens the controls)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widget.installEventFilter(self)
        self._fit()

    def _fit(self) -> None:
        bar = self.verticalScrollBar().sizeHint().width()
        self.setFixedWidth(self.widget().sizeHint().width() + bar + 2 * self.frameWidth())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        """Refit after the widget's layout or font changed; never consumes the event."""
        if watched is self.widget() and event.type() in (QEvent.Type.LayoutRequest,
                                                         QEvent.Type.FontChange):
            self._fit()
        return super().eventFilter(watched, event)


class ToyLabPanel(QWidget):
    """Controls on the left, the plane on the right, the metrics line under it."""

    def __init__(self, jobs: JobService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.controls = ToyControls()
        self.canvas = ToyCanvas()
        self.caption = PlotCaption()
        # the family's second plot (latent space, DDIM beside DDPM, …): hidden when none
        self.side_canvas = ToyCanvas()
        self.side_caption = PlotCaption()
        self.side = self.side_canvas  # visible exactly when the side plot is shown
        self.metrics_line = ElidedLabel("Press Play to train.")
        # the family's own numbers (ELBO terms, round trip, CD gap) on a line of their own:
        # after the step, speed and metrics they were cut off at 1280 px
        self.note_line = ElidedLabel("")
        self.note_line.hide()
        self.plots = PlotPair((self.caption, self.canvas), (self.side_caption, self.side_canvas),
                              footer=(self.metrics_line, self.note_line))
        self.stage_strip = StageStrip()  # slow motion's stages, above the plots
        self.latest: ToyView | None = None  # the newest snapshot received
        self.frames_drawn = 0  # redraws done (the bench's frame count)
        self._drawn: ToyView | None = None
        self._side_due: ToyView | None = None  # a snapshot whose side plot is drawn next tick
        self._frame = 0
        self._job: Job | None = None
        self._control: ToyControl | None = None
        self._torch_ready = False
        self._drawing: list[np.ndarray] = []
        self._imported: ToyData | None = None
        self.data: ToyData | None = None

        scroll = FittedScroll(self.controls)
        right = QVBoxLayout()
        right.addWidget(self.stage_strip)
        right.addWidget(self.plots, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(right, 1)

        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.redraw)

        c = self.controls
        c.play.toggled.connect(self._on_play_toggled)
        c.step.clicked.connect(self.step)
        c.reset.clicked.connect(self.reset)
        c.settingsChanged.connect(self.reset)
        c.viewChanged.connect(self._on_view_options)
        c.clear_drawing.clicked.connect(self.clear_drawing)
        c.import_csv.clicked.connect(self._choose_csv)
        self.canvas.box.painted.connect(self.paint)
        self.set_torch_ready(False)
        self.reset()

    # --- requests ----------------------------------------------------------------------
    def set_torch_ready(self, ready: bool) -> None:
        """Enable training once PyTorch has loaded (the warm-up job imports it)."""
        self._torch_ready = ready
        self.controls.play.setEnabled(ready)
        self.controls.step.setEnabled(ready)
        if not ready:
            self.controls.play.setToolTip("Waiting for PyTorch to load")

    def play(self) -> None:
        """Train continuously (a run from the seed starts if none is under way)."""
        self.controls.play.setChecked(True)

    def pause(self) -> None:
        """Stop training after the step under way."""
        self.controls.play.setChecked(False)

    def step(self) -> None:
        """Train exactly one step (pauses first)."""
        if not self._torch_ready or self.data is None:
            return
        self.pause()
        self._ensure_run().step()

    @Slot()
    def reset(self) -> None:
        """Forget the run: the next Play or Step starts a new model from the seed on the
        data now chosen."""
        self.pause()
        self._end_run()
        self.latest = self._drawn = self._side_due = None
        self.canvas.clear_model()
        self.side_canvas.clear_model()
        self.plots.set_side_visible(False)
        self._say_error("")
        try:
            self.data = self._chosen_data()
        except ToyDataError as e:
            self.data = None
            self._say_error(str(e))
        self.canvas.box.drawing = self.controls.drawing
        self._show_data()
        self.caption.set_full_text("")
        self.note_line.hide()
        self.metrics_line.set_full_text("Draw points by dragging on the plane."
                                        if self.controls.drawing and self.data is None
                                        else "Press Play or Step to train.")
        self._show_stages()

    def paint(self, x: float, y: float) -> None:
        """Paint a dab of points around (x, y) with the brush radius (drawing mode)."""
        if not self.controls.drawing:
            return
        rng = np.random.default_rng(len(self._drawing))  # the same strokes, the same points
        r = self.controls.brush.value() * np.sqrt(rng.random(POINTS_PER_DAB))
        a = rng.random(POINTS_PER_DAB) * 2 * np.pi
        self._drawing.append(np.stack([x + r * np.cos(a), y + r * np.sin(a)], 1))
        self.reset()

    def clear_drawing(self) -> None:
        """Remove every drawn point."""
        self._drawing.clear()
        self.reset()

    def import_csv(self, path: str) -> bool:
        """Use a two-column CSV file's points; on failure show one line and return False."""
        try:
            data = read_csv(path)
        except ToyDataError as e:
            self._say_error(str(e))
            return False
        self._imported = data
        self.controls.show_imported(data.name)
        return True

    def _say_error(self, text: str) -> None:
        """Show one line of error under the data row (hidden when empty)."""
        self.controls.error.set_full_text(text)
        self.controls.error.setVisible(bool(text))

    def shutdown(self) -> None:
        """Stop the run and the redraws (the window is closing)."""
        self.timer.stop()
        self._end_run()

    # --- the run -----------------------------------------------------------------------
    def _chosen_data(self) -> ToyData | None:
        c = self.controls
        if c.drawing:
            return from_points(np.concatenate(self._drawing)) if self._drawing else None
        if c.imported:
            return self._imported
        return toy_dataset(c.dataset.currentText(), DATA_SIZE, seed=c.seed.value())

    def _ensure_run(self) -> ToyControl:
        if self._control is None:
            control = ToyControl()
            control.options = self.controls.option_values()
            work = toy_training(control, self.data, self.controls.family.currentText(),
                                self.controls.seed.value(), self.controls.settings())
            self._control = control
            self._job = self.jobs.submit(TOY_LANE, work, on_event=self._on_view,
                                         on_error=self._on_error, on_done=self._on_done)
            self.timer.start()
        return self._control

    def _end_run(self) -> None:
        if self._control is not None:
            self._control.stop()
            self._control = None
        if self._job is not None:
            self.jobs.cancel(TOY_LANE)
            self._job = None
        self.timer.stop()

    @Slot(bool)
    def _on_play_toggled(self, on: bool) -> None:
        self.controls.play.setText("Pause" if on else "Play")
        if on:
            if not self._torch_ready or self.data is None:
                self.controls.play.setChecked(False)
                return
            self._ensure_run().play()
        elif self._control is not None:
            self._control.pause()

    def _on_view_options(self) -> None:
        if self._control is not None:
            self._control.options = self.controls.option_values()
            self._control.views_changed()
        self._show_stages()

    def _show_stages(self) -> None:
        """Show the stage strip of the family and options chosen, the latest snapshot's
        stage highlighted."""
        stages, skipped = strip_stages(self.controls.family.currentText(),
                                       self.controls.option_values())
        view = self.latest
        current = view.stage if view is not None else ""
        self.stage_strip.show_stages(stages, current, skipped)

    def _on_view(self, view: ToyView) -> None:
        self.latest = view

    def _on_error(self, message: str, _traceback: str) -> None:
        self.pause()
        self._say_error(message)

    def _on_done(self, _status: str) -> None:
        pass  # a run ends only when reset or closed; the panel has already moved on

    def _choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import points", "",
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.import_csv(path)

    # --- drawing -----------------------------------------------------------------------
    def _show_data(self) -> None:
        if self.data is None:
            self.canvas.show_real(np.zeros((0, 2), np.float32))
            self.canvas.set_extent(3.0)
            return
        pts = self.data.points
        if len(pts) > SHOWN_REAL:
            pts = pts[np.linspace(0, len(pts) - 1, SHOWN_REAL).astype(int)]
        self.canvas.show_real(pts)
        if not self.controls.drawing:  # the plane stays put under the brush
            self.canvas.set_extent(self.data.extent)

    @Slot()
    def redraw(self) -> None:
        """Draw the newest snapshot, and the next frame of a reverse process (timer tick)."""
        view = self.latest
        if view is None or not self.isVisible():
            return  # behind another dock's tab: training goes on, drawing waits
        new = view is not self._drawn
        # A new snapshot goes first: its side plot (drawn a tick later, since both in one
        # event kept the GUI thread busy ~15 ms at a time) replaces an older one still due.
        # Side first held the main plot under 30 fps: two ticks a snapshot at ~32/s.
        side_now = (not new and self._side_due is not None
                    and self._side_due is self._drawn)
        if new:
            self._drawn = view
            self.canvas.show_plane(view.main)
            self._caption(self.caption, view.main)
            self._side_due = None
            if view.side is not None:
                if self.plots.side_visible():
                    self._side_due = view
                else:  # first shown: both at once, so it never appears empty
                    self.side_canvas.show_plane(view.side)
                    self._caption(self.side_caption, view.side)
            self.plots.set_side_visible(view.side is not None)
            self.metrics_line.set_full_text(metrics_text(view, with_note=False))
            self.note_line.set_full_text(view.note)
            self.note_line.setVisible(bool(view.note))
            self._show_stages()
        elif side_now:
            self._side_due = None
            self.side_canvas.show_plane(self._drawn.side)
            self._caption(self.side_caption, self._drawn.side)
        animated = [(c, p.frames) for c, p in ((self.canvas, view.main),
                                               (self.side_canvas, view.side))
                    if p is not None and p.frames is not None]
        if animated:
            # one clock for both plots: frame i of the longest process, the same share of
            # the way through in the other (DDIM's 20 steps beside DDPM's 100)
            n = max(len(frames) for _c, frames in animated)
            self._frame = (self._frame + 1) % (n + HOLD_FRAMES)
            share = min(self._frame, n - 1) / max(n - 1, 1)
            for canvas, frames in animated:
                canvas.show_particles(frames, round(share * (len(frames) - 1)))
            self._label_frames(view, share)
        elif not new and not side_now:
            return
        self.frames_drawn += 1

    def _caption(self, caption: PlotCaption, plane: Plane) -> None:
        """Show a plot's title, with room kept for its longest frame label."""
        reserve = plane.title
        if plane.frames is not None and plane.frame_labels:
            reserve = f"{max(plane.frame_labels, key=len)} · {plane.title}"
        if caption.reserve(reserve):
            self.plots.relayout()
        caption.set_full_text(plane.title)

    def _label_frames(self, view: ToyView, share: float) -> None:
        """Put the label of the frame drawn (its t or σ) before each plot's title."""
        for caption, plane in ((self.caption, view.main), (self.side_caption, view.side)):
            if plane is not None and plane.frames is not None and plane.frame_labels:
                i = round(share * (len(plane.frame_labels) - 1))
                caption.set_full_text(f"{plane.frame_labels[i]} · {plane.title}")


def metrics_text(view: ToyView, with_note: bool = True) -> str:
    """Return the live metrics line: step, speed, modes, quality, KL and JS, then the
    family's note unless `with_note` is False (the panel shows it on its own line)."""
    out = [f"step {view.step}", f"{view.steps_per_s:.0f} steps/s"]
    m = view.metrics
    if m is not None:
        if m.modes is not None:
            out.append(f"modes {m.modes}/{m.n_modes}")
            out.append(f"high quality {m.high_quality:.0%}")
        out.append(f"KL {m.kl:.3f} · JS {m.js:.3f} nats ({m.source})")
    if view.note and with_note:
        out.append(view.note)
    return " · ".join(out)


