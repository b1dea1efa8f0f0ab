"""A section of the Style dock whose picture follows a slider (GUI thread).

Every position of the slider is rendered on the lane once per setting (the `key`), the
current position first, then outward; the frames are kept, so dragging over positions
already rendered repaints at once, without the lane. Subclasses say what the key is
(`settings_key`), how one position renders (`renderer_for`) and the caption.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSpinBox, QVBoxLayout, QWidget

from app.panels.style.jobs import CHANNEL, LANE, FillPlan, Render, fill_work
from app.panels.style.render import Frame, StyleRenderer
from app.panels.style.view import LabelledFrame
from app.theme import style_text

if TYPE_CHECKING:
    from app.jobs import JobService


class SliderSection(QWidget):
    """Controls on top, a slider, the picture below; emits livePainted(request id) when
    the frame for the slider's newest position is on screen."""

    livePainted = Signal(int)

    def __init__(self, jobs: JobService, slider_label: str, positions: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.renderer: StyleRenderer | None = None
        self.active = False  # the section on screen: the only one whose fills run
        self.frames: dict[int, Frame] = {}
        self.key: object = None
        self.live_request = 0  # id of the newest slider position asked for
        self._plan: FillPlan | None = None  # of the fill running
        self._plan_key: object = None  # what that fill draws
        self.controls = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, positions - 1)
        self.slider.valueChanged.connect(self._on_slider)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(70)
        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel(slider_label))
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.value_label)
        self.view = LabelledFrame()
        self.view.painted.connect(self.livePainted)
        self.status = QLabel()
        self.status.setWordWrap(True)
        style_text(self.status, "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.controls)
        layout.addLayout(slider_row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

    # --- what subclasses implement -----------------------------------------------------------
    def settings_key(self) -> object:
        """Return what the picture depends on besides the slider (hashable)."""
        raise NotImplementedError

    def renderer_for(self) -> Render:
        """Return (renderer, position) → Frame for the current settings (values captured)."""
        raise NotImplementedError

    def caption(self, position: int) -> str:
        """Return the text under the picture at `position`."""
        raise NotImplementedError

    def value_text(self, position: int) -> str:
        """Return the slider's value as shown beside it."""
        return str(position)

    # --- showing -----------------------------------------------------------------------------
    def set_renderer(self, renderer: StyleRenderer | None) -> None:
        """Draw with `renderer`, forgetting every frame; None also clears the picture.
        (Newer weights of the run shown keep the old picture until theirs arrives.)"""
        self.renderer = renderer
        self.frames.clear()
        self.key = None
        if renderer is None:
            self.view.clear()
            self.status.clear()
            return
        self.settings_changed()

    def set_active(self, active: bool) -> None:
        """Make this the section on screen (its fills run) or not."""
        self.active = active
        if active:
            self._fill()

    def seed_spin(self, name: str, value: int, tip: str) -> QSpinBox:
        """Return a seed box (0 … 1,000,000) whose change is a new setting (GUI thread)."""
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(0, 1_000_000)
        spin.setValue(value)
        spin.setToolTip(tip)
        spin.valueChanged.connect(self.settings_changed)
        return spin

    def settings_changed(self) -> None:
        """A control changed: forget the frames of the old settings and render anew."""
        if self.renderer is None:
            return
        key = self.settings_key()
        if key != self.key:
            self.key = key
            self.frames.clear()
        self._on_slider(self.slider.value())

    def _on_slider(self, position: int) -> None:
        self.value_label.setText(self.value_text(position))
        self.live_request += 1
        frame = self.frames.get(position)
        if frame is not None:
            self._show(position, frame)
        elif self.renderer is not None:
            self._fill()

    def _show(self, position: int, frame: Frame) -> None:
        self.view.caption = self.caption(position)
        self.view.labels = frame.labels
        self.view.show_frame(frame.picture, self.live_request, immediate=True)

    def _fill(self) -> None:
        """Render the positions not yet kept, the slider's first (replaces a running fill)."""
        if not self.active or self.renderer is None or self.key is None:
            return
        # Frames belong to these settings drawn by this model: newer weights of the same
        # run keep the settings, so the key names the renderer too.
        key = (self.renderer, self.key)
        if self._plan is not None and self._plan_key == key:
            self._plan.wanted = self.slider.value()  # the running fill turns to it
            return
        positions = range(self.slider.minimum(), self.slider.maximum() + 1)
        missing = [p for p in positions if p not in self.frames]
        if not missing:
            return
        plan = FillPlan(missing, self.slider.value())
        self._plan, self._plan_key = plan, key
        self.status.setText("Rendering every slider position…")
        self.jobs.submit(LANE, fill_work(self.renderer, self.renderer_for(), key, plan),
                         channel=CHANNEL, on_event=self._on_frame,
                         on_done=partial(self._on_done, key, plan), on_error=self._on_error)

    def _on_frame(self, event: Any) -> None:
        key, position, frame = event
        if key != (self.renderer, self.key):
            return
        self.frames[position] = frame
        if position == self.slider.value():
            self._show(position, frame)

    def _on_done(self, key: object, plan: FillPlan, status: str) -> None:
        if self._plan is plan:
            self._plan = self._plan_key = None
        if key == (self.renderer, self.key) and status == "done":
            self.status.setText(f"{len(self.frames)} positions rendered: the slider "
                                f"repaints without computing.")

    def _on_error(self, message: str, _traceback: str) -> None:
        self.status.setText(f"Could not render: {message}")

    def complete(self) -> bool:
        """Return True when every slider position of the current settings is kept."""
        return self.key is not None and \
            len(self.frames) == self.slider.maximum() - self.slider.minimum() + 1
