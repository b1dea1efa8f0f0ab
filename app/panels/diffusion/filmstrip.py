"""A filmstrip of x̂0 across a run's steps; click a frame to jump to its step (GUI thread).

A title line says what the frames are (x̂0 of which sample) and each frame its timestep t.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.panels.diffusion.cache import RunRecord
from app.widgets.images import to_qimage

MAX_FRAMES = 20


def frame_steps(num_steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Return up to `max_frames` step indices spread evenly from the first to the last."""
    if num_steps <= max_frames:
        return list(range(num_steps))
    return sorted({round(v) for v in np.linspace(0, num_steps - 1, max_frames)})


class Filmstrip(QWidget):
    """x̂0 of one sample at evenly spread steps; the current step's frame is outlined.

    Emits stepClicked(step index).
    """

    stepClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: RunRecord | None = None
        self.sample = 0
        self.current = -1
        self.steps: list[int] = []
        # Frames converted once: scrubbing repaints the strip, and converting every frame
        # on every paint cost more than the three big panes together.
        self._frames: dict[tuple[int, int, int], QImage] = {}
        self._signature: tuple[object, ...] = ()
        self.setMinimumHeight(84)
        self.setMaximumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setToolTip("x̂0, the model's prediction of the clean image, at evenly spread "
                        "steps; under each its timestep t. Click a frame to jump there")

    def sizeHint(self) -> QSize:
        """Return a strip one thumbnail high, with its title and labels."""
        return QSize(800, 100 + 2 * self._line())

    def _line(self) -> int:
        """Return the height of a line of text (it grows with the theme's font)."""
        return self.fontMetrics().height()

    def title(self) -> str:
        """Return the strip's title: which quantity, of which sample (empty: no run)."""
        run = self.run
        if run is None:
            return ""
        what = "x̂0 (decoded, else linear preview)" if run.spec.latent else \
            "x̂0 (predicted clean image)"
        return (f"{what} of sample {self.sample + 1} of {run.spec.n}, "
                f"at {len(self.steps)} of {run.num_steps} steps; under each: timestep t")

    def frame_label(self, step: int) -> str:
        """Return the label under step `step`'s frame: its timestep, once it has arrived."""
        run = self.run
        if run is None or not run.has(step) or not np.isfinite(run.timesteps[step]):
            return f"step {step + 1}"
        return f"t={round(float(run.timesteps[step]))}"

    def set_run(self, run: RunRecord | None, sample: int | None, current: int) -> None:
        """Show `run`'s x̂0 for `sample` (None: the first) with `current` outlined."""
        if run is None or self.run is None or run.run_id != self.run.run_id:
            self._frames.clear()
        self.run = run
        self.sample = sample or 0
        self.current = current
        self.steps = frame_steps(run.num_steps) if run is not None else []
        # Repaint only when what is drawn changes: most steps of a long run add no frame
        # and move no outline.
        signature = (None if run is None else (run.run_id, run.views_version), self.sample,
                     self._outlined(),
                     sum(run.has(s) for s in self.steps) if run is not None else 0,
                     len(self.steps))
        if signature != self._signature:
            self._signature = signature
            self.update()

    def _outlined(self) -> int:
        """Return the frame step outlined: the one nearest the step shown (−1: none)."""
        run = self.run
        if run is None or not run.available or not self.steps:
            return -1
        shown = min(self.current, run.available - 1)
        return min(self.steps, key=lambda s: abs(s - shown))

    def frame_rect(self, slot: int) -> QRect:
        """Return the rectangle of the slot-th frame."""
        n, line = max(1, len(self.steps)), self._line()
        side = min(self.height() - 2 * line - 10, (self.width() - 4) // n - 4)
        side = max(8, side)
        x0 = (self.width() - n * (side + 4)) // 2
        return QRect(x0 + slot * (side + 4), line + 7, side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the frames that arrived, with their step numbers."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        run = self.run
        if run is None:
            painter.end()
            return
        nearest, line = self._outlined(), self._line()
        text = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(text)
        # 4 px down: the hat of x̂ rises above the font's ascent.
        painter.drawText(QRect(2, 4, self.width() - 4, line), Qt.AlignmentFlag.AlignLeft,
                         self.fontMetrics().elidedText(self.title(), Qt.TextElideMode.ElideRight,
                                                       self.width() - 4))
        for slot, step in enumerate(self.steps):
            rect = self.frame_rect(slot)
            if run.has(step):
                painter.drawImage(rect, self._frame(run, step))
            else:
                painter.fillRect(rect, QColor("#dddddd"))
            if step == nearest:
                painter.setPen(QPen(QColor("#d62728"), 3))
                painter.drawRect(rect.adjusted(-1, -1, 1, 1))
            label = self.frame_label(step)
            # Wider than its frame, it would touch its neighbours' labels.
            if self.fontMetrics().horizontalAdvance(label) > rect.width():
                label = label.removeprefix("t=").removeprefix("step ")  # the title says
            painter.setPen(text)
            painter.drawText(QRect(rect.x() - 6, rect.bottom() + 1, rect.width() + 12, line),
                             Qt.AlignmentFlag.AlignCenter, label)
        painter.end()

    def _frame(self, run: RunRecord, step: int) -> QImage:
        key = (run.run_id, run.views_version, step, self.sample)
        frame = self._frames.get(key)
        if frame is None:
            image = np.ascontiguousarray(run.display(step)[2][min(self.sample, run.spec.n - 1)])
            frame = to_qimage(image).convertToFormat(QImage.Format.Format_RGB32)  # owns a copy
            self._frames[key] = frame
        return frame

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Emit stepClicked for the frame under the mouse."""
        pos = event.position().toPoint()
        for slot, step in enumerate(self.steps):
            if self.frame_rect(slot).adjusted(-2, -2, 2, self._line()).contains(pos):
                self.stepClicked.emit(step)
                return
        super().mousePressEvent(event)
