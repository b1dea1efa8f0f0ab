"""Construction of the Diffusion panel's widgets and their connections (GUI thread).

The panel's behaviour lives beside this: `runs.py` (starting, branching, comparing and
cancelling runs, and their streamed steps), `playback.py` (the step shown: slider, keys,
play, filmstrip) and `file_menu.py` (the Export menu).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.diffusion.controls import PreviewBar, SamplerForm, SecondRunBar
from app.panels.diffusion.filmstrip import Filmstrip
from app.panels.diffusion.forward_view import ForwardView
from app.panels.diffusion.guidance_view import GuidanceView
from app.panels.diffusion.image_pane import TextLine
from app.panels.diffusion.step_view import StepRow

PLAY_FPS = 10
# Streamed steps are painted at most 20 times a second: smooth enough for a denoising
# animation, and on 2 cores every paint takes time from the sampler (each step is cached
# on arrival and can be scrubbed to whether or not it was painted live).
REFRESH_MS = 50

if TYPE_CHECKING:
    from app.panels.base import Panel as _Base
else:
    _Base = object  # a mixin of DiffusionPanel (a Panel)



class CurrentPageStack(QStackedWidget):
    """A stack as large as its current page (GUI thread): Qt's asks for room for every
    page, and the Guidance view's height, hidden behind the step rows, pushed a latent
    model's viewer past a 720-line screen in presentation mode."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def sizeHint(self) -> QSize:
        """Return the current page's size hint."""
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        """Return the current page's minimum size."""
        page = self.currentWidget()
        if page is None:
            return super().minimumSizeHint()
        return page.minimumSizeHint().expandedTo(page.minimumSize())

class PanelWidgets(_Base):
    """The Diffusion panel's widgets: a status line over two tabs, the reverse process
    (run settings, rows A and B, step slider, filmstrip, Export) and the forward process."""

    def _build(self) -> None:
        """Create every widget and lay them out (called once by the panel)."""
        self.status = QLabel()
        self.status.setObjectName("diffusion_status")
        self.status.setWordWrap(True)
        self.forward = ForwardView()
        self.reverse = QWidget()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("diffusion_tabs")
        self.tabs.addTab(self.reverse, "Reverse process (sampling)")
        self.tabs.addTab(self.forward, "Forward process (noising)")

        self.second = SecondRunBar()
        self.preview_bar = PreviewBar()  # latent models only
        self.preview_bar.hide()
        self.row_a = StepRow("A")
        self.row_b = StepRow("B")
        self.row_b.hide()
        rows = QWidget()
        rows_layout = QVBoxLayout(rows)
        rows_layout.setContentsMargins(0, 0, 0, 0)
        rows_layout.addWidget(self.row_a, 3)
        rows_layout.addWidget(self.row_b, 3)
        # Rows A and B, or in their place the Guidance view (conditional models).
        self.guidance_view = GuidanceView()
        self.view_stack = CurrentPageStack()
        self.view_stack.addWidget(rows)
        self.view_stack.addWidget(self.guidance_view)
        rev = QVBoxLayout(self.reverse)
        rev.setContentsMargins(2, 2, 2, 2)
        rev.setSpacing(2)  # every pixel of height goes to the images on a 720-pixel screen
        rev.addLayout(self._run_row())
        rev.addWidget(self.second)
        rev.addWidget(self.preview_bar)
        rev.addWidget(self.view_stack, 6)
        rev.addLayout(self._slider_row())
        rev.addLayout(self._bottom_row())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(1000 // PLAY_FPS)

    def _run_row(self) -> QHBoxLayout:
        self.form = SamplerForm()
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("diffusion_run")
        self.run_button.setToolTip("Denoise with these settings in the background; each "
                                   "step appears as it completes")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("diffusion_cancel")
        self.cancel_button.setToolTip("Stop the run after the current step")
        # Text, not a QProgressBar: its setValue repaints synchronously, which cost more
        # GUI time per step than all three images.
        self.progress = TextLine("0000 / 0000 steps, cancelled")
        self.progress.setObjectName("diffusion_progress")
        # The form wraps its settings into rows, so it takes the width the buttons leave.
        row = QHBoxLayout()
        row.addWidget(self.form, 1)
        for w in (self.run_button, self.cancel_button, self.progress):
            row.addWidget(w, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _slider_row(self) -> QHBoxLayout:
        self.prev_button = QToolButton()
        self.prev_button.setText("◀")
        self.prev_button.setToolTip("Previous step (Left)")
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("diffusion_play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the cached steps (Space)")
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next step (Right)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("diffusion_step")
        self.slider.setToolTip("Scrub the cached steps (Left/Right, Home/End)")
        self.step_label = TextLine("step 0000 / 0000")
        self.sample_spin = QSpinBox()
        self.sample_spin.setObjectName("diffusion_sample")
        self.sample_spin.setSpecialValueText("all")
        self.sample_spin.setToolTip("Show every sample as a grid, or one sample large")
        self.guidance_toggle = QPushButton("Guidance view")
        self.guidance_toggle.setObjectName("diffusion_guidance_toggle")
        self.guidance_toggle.setCheckable(True)
        self.guidance_toggle.setToolTip(
            "Show classifier-free guidance's three predictions at this step: "
            "unconditional, conditional and guided ε̂ and x̂0, with a guidance slider")
        self.guidance_toggle.hide()  # class-conditional models only
        row = QHBoxLayout()
        for w in (self.prev_button, self.play_button, self.next_button):
            row.addWidget(w)
        row.addWidget(self.slider, 1)
        row.addWidget(self.step_label)
        row.addWidget(QLabel("Sample"))
        row.addWidget(self.sample_spin)
        row.addWidget(self.guidance_toggle)
        return row

    def _bottom_row(self) -> QHBoxLayout:
        self.filmstrip = Filmstrip()
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        self.act_gif = menu.addAction("Denoising as GIF…")
        self.act_png = menu.addAction("This step as PNG…")
        menu.addSeparator()
        self.act_save = menu.addAction("Save trajectory (.npz)…")
        self.act_load = menu.addAction("Load trajectory (.npz)…")
        self.export_button.setMenu(menu)
        self.cache_label = TextLine("Cache 000.0 MB of 512 MB", lines=2)
        self.cache_label.setObjectName("diffusion_cache")
        self.cache_label.setToolTip("Runs are kept for scrubbing up to this bound; the least "
                                    "recently shown runs are dropped first")
        side = QVBoxLayout()
        side.addWidget(self.export_button)
        side.addWidget(self.cache_label)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.filmstrip, 1)
        row.addLayout(side)
        return row
