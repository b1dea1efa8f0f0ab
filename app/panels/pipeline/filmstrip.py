"""A filmstrip of run A's x̂0 across its recorded steps under the Pipeline dock's pictures;
click a frame to show its step (GUI thread). The frames are picked as the diffusion dock's
filmstrip picks them (app/panels/diffusion/filmstrip.py's frame_steps)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.panels.diffusion.filmstrip import frame_steps
from app.panels.pipeline.record import PipelineRun
from app.widgets.images import to_qimage

MAX_FRAMES = 16


class StepStrip(QWidget):
    """Run A's x̂0 (through the decoder chosen) at evenly spread recorded steps, the one
    shown outlined. Emits stepClicked(schedule index)."""

    stepClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list[int] = []  # schedule indices of the frames
        self.current = -1
        self.frames: dict[int, QImage] = {}
        # Frames by (step, the step it was decoded at), converted once per run and decoder:
        # a streaming run refreshes the strip at every step.
        self._cache: dict[tuple[int, int], QImage] = {}
        self._run: PipelineRun | None = None
        self._decoder = ""
        self.setMinimumHeight(64)
        self.setMaximumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setToolTip("Run A's x̂0 at evenly spread steps; click a frame to show its step")

    def sizeHint(self) -> QSize:
        """Return a strip one small thumbnail high, with its labels."""
        return QSize(600, 72 + self.fontMetrics().height())

    def set_run(self, run: PipelineRun | None, decoder: str, current: int) -> None:
        """Show `run`'s recorded steps through `decoder`, step `current` outlined."""
        recorded = sorted(run.steps) if run is not None else []
        if run is not None and run.parent is not None:
            recorded = sorted({*range(run.first_index, run.branch_index), *recorded})
        picked = [recorded[k] for k in frame_steps(len(recorded), MAX_FRAMES)]
        if run is not self._run or decoder != self._decoder:
            self._run, self._decoder, self._cache = run, decoder, {}
        self.frames = {}
        for k in picked:
            image, at = run.image(k, decoder) if run is not None else (None, None)
            if image is None or at is None:
                continue
            if (k, at) not in self._cache:
                self._cache[(k, at)] = self._qimage(image)
            self.frames[k] = self._cache[(k, at)]
        self.steps, self.current = picked, current
        self.setVisible(bool(picked))  # no run: the pictures take its room
        self.update()

    @staticmethod
    def _qimage(image: np.ndarray) -> QImage:
        return to_qimage(np.ascontiguousarray(image)).convertToFormat(
            QImage.Format.Format_RGB32)  # owns a copy

    def frame_rect(self, slot: int) -> QRect:
        """Return the rectangle of the slot-th frame."""
        n, line = max(1, len(self.steps)), self.fontMetrics().height()
        side = max(8, min(self.height() - line - 6, (self.width() - 4) // n - 4))
        x0 = (self.width() - n * (side + 4)) // 2
        return QRect(x0 + slot * (side + 4), 2, side, side)

    def outlined(self) -> int:
        """Return the frame's step nearest the step shown (−1: no frames)."""
        if not self.steps:
            return -1
        return min(self.steps, key=lambda s: abs(s - self.current))

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the frames with their step numbers, the nearest to the step shown outlined."""
        painter = QPainter(self)
        line = self.fontMetrics().height()
        text = self.palette().color(QPalette.ColorRole.WindowText)
        nearest = self.outlined()
        for slot, step in enumerate(self.steps):
            rect = self.frame_rect(slot)
            frame = self.frames.get(step)
            if frame is not None:
                painter.drawImage(rect, frame)
            else:
                painter.fillRect(rect, QColor("#dddddd"))
            if step == nearest:
                painter.setPen(QPen(QColor("#d62728"), 3))
                painter.drawRect(rect.adjusted(-1, -1, 1, 1))
            painter.setPen(text)
            painter.drawText(QRect(rect.x() - 6, rect.bottom() + 1, rect.width() + 12, line),
                             Qt.AlignmentFlag.AlignCenter, str(step + 1))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Emit stepClicked for the frame under the mouse."""
        pos = event.position().toPoint()
        for slot, step in enumerate(self.steps):
            if self.frame_rect(slot).adjusted(-2, -2, 2, 2).contains(pos):
                self.stepClicked.emit(step)
                return
        super().mousePressEvent(event)
