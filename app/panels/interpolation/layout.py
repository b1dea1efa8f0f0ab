"""Building the panel's widgets: anchors left, the live frame, α row, classes and strip in
the middle, the Dimensions / Traversal / Arithmetic tabs right, Export in the status row."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.interpolation import export
from app.panels.interpolation.anchors import AnchorBox
from app.panels.interpolation.animation import Animator
from app.panels.interpolation.controls import (
    ArithmeticTab,
    ClassControls,
    PathControls,
    SpaceChoice,
    TraversalTab,
)
from app.panels.interpolation.dimensions import DimensionSliders
from app.panels.interpolation.state_file import ANCHOR_NAMES
from app.panels.interpolation.views import FrameView, StripView


class PanelLayout:
    """The InterpolationPanel's construction (a part of it: GUI thread)."""

    def _build(self) -> None:
        """Create every widget as an attribute of the panel and lay them out."""
        self.anchors = {n: AnchorBox(n) for n in ANCHOR_NAMES}
        self.anchors["C"].setToolTip("Anchor C is used by latent arithmetic (A − B + C)")
        self.space = SpaceChoice()
        left = QVBoxLayout()
        for box in self.anchors.values():
            left.addWidget(box)
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        # No fixed minimum: the anchors' own (larger with presentation fonts) is kept, so a
        # box is never squeezed narrower than its controls and its caption cut.
        left_widget.setMaximumWidth(360)

        self.frame = FrameView()
        self.frame.setObjectName("interpolation_frame")
        self.path = PathControls()
        self.classes = ClassControls()
        self.strip = StripView()
        self.strip.setObjectName("interpolation_strip")
        self.status = QLabel()
        self.status.setObjectName("interpolation_status")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.setFormat("frames %v/%m")
        self.progress.hide()
        self.export_button = self._build_export_button()
        status_row = QHBoxLayout()
        # Latent diffusion's choice of latent sits on the status row: in the anchors'
        # column it made the window taller than a 720-line screen in presentation mode.
        status_row.addWidget(self.space)
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)
        status_row.addWidget(self.export_button)

        centre = QVBoxLayout()
        centre.setContentsMargins(0, 0, 0, 0)
        centre.addLayout(status_row)
        centre.addWidget(self.frame, 1)
        centre.addWidget(self.path)
        centre.addWidget(self.classes)
        centre.addWidget(self.strip)
        centre_widget = QWidget()
        centre_widget.setLayout(centre)

        self.dims = DimensionSliders()
        self.arith = ArithmeticTab()
        self.traversal = TraversalTab()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.dims, "Dimensions")
        self.tabs.addTab(self.traversal, "Traversal")
        self.tabs.addTab(self.arith, "Arithmetic")
        # Every tab's name in full (no scroll arrows hiding "Arithmetic"): the column is
        # at least as wide as its tab bar.
        self.tabs.setUsesScrollButtons(False)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left_widget)
        splitter.addWidget(centre_widget)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 560, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.animator = Animator(self)

    def _build_export_button(self) -> QToolButton:
        """Return the Export button with its menu (the actions are in export_actions.py)."""
        button = QToolButton()
        button.setText("Export")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        # (menu text, default file name, filter, writer)
        for text, name, filt, write in (
                ("Strip as PNG…", "interpolation.png", "PNG image (*.png)", self.export_png),
                ("Animation as GIF…", "interpolation.gif", "GIF (*.gif)", self.export_gif),
                ("Animation as MP4…", "interpolation.mp4", "MP4 video (*.mp4)",
                 self.export_mp4),
                ("State as JSON…", "interpolation.json", "Interpolation state (*.json)",
                 self.save_state)):
            action = menu.addAction(text, partial(self._export_dialog, text, name, filt,
                                                  write))
            if name.endswith(".mp4") and export.mp4_encoder() is None:
                action.setEnabled(False)
                action.setText("Animation as MP4 (needs ffmpeg)")
        menu.addAction("Open state…", self._open_state_dialog)
        button.setMenu(menu)
        return button
