"""The latent map's widgets: the plot and its overlay items, the control row, the status row
and the side column (GUI thread). Built once; what they show is set by the other modules."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
)

from app.panels.latent_map.scatter import ClassScatter
from app.panels.latent_map.sidebar import (
    GROUP_COLOURS,
    ClassLegend,
    DetailView,
    GroupsView,
    side_column,
)
from app.panels.latent_map.view_box import SelectViewBox
from app.theme import text_colour

GRID_DEBOUNCE_MS = 150
GROUP_PENS = {name: pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine)
              for name, colour in GROUP_COLOURS.items()}
PROJECTION_TIP = (
    "How the latent is drawn in 2-D.\n"
    "PCA: the plane of largest variance. LDA (linear discriminant analysis): the plane "
    "that best separates the classes (for a GAN, the classes the digit classifier sees in "
    "its samples). Both are linear: clicks and the manifold grid decode points of the "
    "plane.\n"
    "t-SNE and UMAP: neighbourhoods kept, slower jobs with progress; their positions "
    "cannot be decoded.")
GRID_TIP = "Tile decoded images over the visible region (Ctrl+M)"
REFRESH_TIP = "Encode the dataset again with the latest weights"
PRIOR_TIP = ("Shade by the VAE prior's density: unshaded holes between clusters are latents "
             "the decoder never trained on")


class _WholeTextCombo(QComboBox):
    """A drop-down never squeezed narrower than its longest item (GUI thread): the
    projection's name is the map's axes' meaning, so it is never cut."""

    def minimumSizeHint(self) -> QSize:  # Qt override
        """Return the size hint: as wide as the longest item."""
        return self.sizeHint()


class _MapPlot(pg.PlotWidget):
    """The map's plot with room above it for half its top tick label, which is centred on
    the tick at the plot's top edge and was cut there (GUI thread)."""

    def __init__(self, view_box: SelectViewBox) -> None:
        super().__init__(viewBox=view_box)
        self._fit_margin()

    def changeEvent(self, event: QEvent) -> None:
        """Refit when the font changes (presentation mode's larger tick labels)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_margin()

    def _fit_margin(self) -> None:
        half_line = QFontMetrics(self.font()).height() // 2 + 2
        self.getPlotItem().layout.setContentsMargins(1, half_line, 1, 1)


class MapWidgets:
    """Builds the latent map panel's widgets as attributes of the panel (a mixin of
    LatentMapPanel, a QWidget: `_build` is called once from its constructor)."""

    def _build(self) -> None:
        self._build_plot()
        controls = self._build_controls()
        status_row = self._build_status_row()
        self.legend = ClassLegend()
        self.detail = DetailView()
        self.groups_view = GroupsView()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.plot)
        splitter.addWidget(side_column(self.legend, self.detail, self.groups_view))
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([700, 240])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addLayout(status_row)
        layout.addWidget(splitter, 1)

        self.grid_action = QAction("Manifold grid", self)
        self.grid_action.setShortcut(QKeySequence("Ctrl+M"))
        self.grid_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.grid_action.triggered.connect(self.grid_check.toggle)
        self.addAction(self.grid_action)

        self._grid_timer = QTimer(self)
        self._grid_timer.setSingleShot(True)
        self._grid_timer.setInterval(GRID_DEBOUNCE_MS)

    def _build_plot(self) -> None:
        self.view_box = SelectViewBox()
        self.plot = _MapPlot(self.view_box)
        self.plot.setObjectName("latent_map_plot")
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=False, y=False)
        self.plot_item = self.plot.getPlotItem()
        self.plot_item.hideButtons()
        self.scatter = ClassScatter(self.view_box)
        self.grid_image = pg.ImageItem(axisOrder="row-major")
        # Under the points (z 1): the decoded digits are a backdrop, the clusters stay on top.
        self.grid_image.setZValue(0.5)
        self.prior_image = pg.ImageItem(axisOrder="row-major")
        self.prior_image.setZValue(-10)
        self.marker = pg.ScatterPlotItem(size=16, symbol="x", pen=pg.mkPen("#111", width=2),
                                         brush=pg.mkBrush("#111"), pxMode=True)
        self.marker.setZValue(21)
        self.group_outlines = {name: pg.PlotCurveItem(pen=pen)
                               for name, pen in GROUP_PENS.items()}
        for item in (self.grid_image, self.prior_image, self.marker,
                     *self.group_outlines.values()):
            self.view_box.addItem(item, ignoreBounds=True)
        self.grid_image.hide()
        self.prior_image.hide()
        self.empty_text = pg.TextItem("", color=text_colour("muted"), anchor=(0.5, 0.5))
        self.empty_text.theme_role = "muted"  # recoloured by app.theme on a theme change
        self.view_box.addItem(self.empty_text, ignoreBounds=True)

        self.thumbnail = QLabel(self.plot)
        self.thumbnail.setStyleSheet("background: white; border: 1px solid #444; padding: 2px")
        self.thumbnail.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.thumbnail.hide()

    def _build_controls(self) -> QHBoxLayout:
        """Projection, drag mode, overlays, refresh, export."""
        self.projection_box = _WholeTextCombo()
        self.projection_box.setObjectName("latent_projection")
        self.projection_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.projection_box.setToolTip(PROJECTION_TIP)
        self.mode_buttons: dict[str, QToolButton] = {}
        for mode, tip in (("pan", "Drag to pan, wheel to zoom, click to select or decode"),
                          ("box", "Drag a box to select a group"),
                          ("lasso", "Drag a lasso to select a group")):
            button = QToolButton()
            button.setText(mode.capitalize())
            button.setCheckable(True)
            button.setAutoExclusive(True)
            button.setToolTip(tip)
            button.toggled.connect(lambda on, m=mode: on and self.view_box.set_mode(m))
            self.mode_buttons[mode] = button
        self.mode_buttons["pan"].setChecked(True)
        self.grid_check = QCheckBox("Manifold grid")
        self.grid_check.setToolTip(GRID_TIP)
        self.grid_size = QSpinBox()
        self.grid_size.setRange(4, 30)
        self.grid_size.setValue(15)
        self.grid_size.setToolTip("Images per side of the manifold grid")
        self.prior_check = QCheckBox("Prior")
        self.prior_check.setToolTip(PRIOR_TIP)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip(REFRESH_TIP)
        self.follow_check = QCheckBox("Each epoch")
        self.follow_check.setToolTip("Re-encode at every epoch end while training "
                                     "(costs training time on a small machine)")
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button.setMenu(QMenu(self.export_button))

        controls = QHBoxLayout()
        for widget in self._build_space():  # a StyleGAN's Z/W switch (space.py)
            controls.addWidget(widget)
        controls.addWidget(QLabel("Projection"))
        controls.addWidget(self.projection_box)
        controls.addSpacing(8)
        for button in self.mode_buttons.values():
            controls.addWidget(button)
        controls.addSpacing(8)
        controls.addWidget(self.grid_check)
        controls.addWidget(self.grid_size)
        controls.addWidget(self.prior_check)
        controls.addStretch(1)
        controls.addWidget(self.refresh_button)
        controls.addWidget(self.follow_check)
        controls.addWidget(self.export_button)
        return controls

    def _build_status_row(self) -> QHBoxLayout:
        self.status = QLabel()
        self.status.setObjectName("latent_status")
        self.status.setWordWrap(True)  # a long note wraps instead of widening the window
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job; the map shown stays")
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress_bar)
        status_row.addWidget(self.cancel_button)
        return status_row
