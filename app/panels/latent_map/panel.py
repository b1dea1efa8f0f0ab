"""The Latent Map panel: a 2-D scatter of the latent space to hover, click and decode.

GUI thread only. Compute goes through `session.latent` (LatentController): the encode and
projection jobs, and latest-wins decodes for hover, click, the manifold grid and group
means. The panel publishes picks and the two-group attribute vector on the session.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.latent_map.export import write_csv, write_npz
from app.panels.latent_map.images import (
    manifold_mosaic,
    prior_shading,
    side_by_side,
    to_pixmap,
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
from app.session import Session
from app.session.latent_types import (
    LATENT_2D,
    PCA,
    TSNE,
    UMAP,
    AttributeVector,
    LatentAnchor,
    MapData,
    ProjectionResult,
)
from app.widgets.snapshot import save_widget_image

GRID_DEBOUNCE_MS = 150
PRIOR_SPAN = 4.0  # the prior overlay covers ± this many standard deviations
EMPTY_TEXT = "Train a model or open a checkpoint to see its latent space."
TRAINING_TEXT = ("The latent map appears when training ends (tick “Each epoch” to "
                 "follow it live).")
GROUP_PENS = {name: pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine)
              for name, colour in GROUP_COLOURS.items()}


class LatentMapPanel(QWidget):
    """Scatter of latent means with legend, hover thumbnail, detail view and overlays."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.jobs = session.latent
        self.data: MapData | None = None
        self.projection: ProjectionResult | None = None
        self._cache: dict[str, ProjectionResult] = {}
        self._pending: Path | None = None  # a model to map once the panel is shown
        self._source: Path | None = None
        self._hover: int | None = None
        self._selected: LatentAnchor | None = None
        self.info_text = ""
        self._grid_rect = QRectF()
        self._grid_k = 0
        self.groups: dict[str, np.ndarray] = {"A": np.zeros(0, np.int64),
                                              "B": np.zeros(0, np.int64)}
        self._build()
        self._connect()
        self._show_empty(EMPTY_TEXT)

    # --- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.view_box = SelectViewBox()
        self.plot = pg.PlotWidget(viewBox=self.view_box)
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
        self.empty_text = pg.TextItem("", color="#666666", anchor=(0.5, 0.5))
        self.view_box.addItem(self.empty_text, ignoreBounds=True)

        self.thumbnail = QLabel(self.plot)
        self.thumbnail.setStyleSheet("background: white; border: 1px solid #444; padding: 2px")
        self.thumbnail.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.thumbnail.hide()

        # Controls: projection, mode, overlays, refresh, export.
        self.projection_box = QComboBox()
        self.projection_box.setObjectName("latent_projection")
        self.projection_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.projection_box.setToolTip("How the latent is drawn in 2-D. t-SNE and UMAP are "
                                       "slower jobs with progress, and cannot be decoded.")
        self.mode_buttons: dict[str, QToolButton] = {}
        for mode, tip in (("pan", "Drag to pan, wheel to zoom, click to select or decode"),
                          ("box", "Drag a box to select a group"),
                          ("lasso", "Drag a lasso to select a group")):
            button = QToolButton()
            button.setText(mode.capitalize())
            button.setCheckable(True)
            button.setAutoExclusive(True)
            button.setToolTip(tip)
            button.setProperty("mode", mode)
            button.toggled.connect(self._on_mode)
            self.mode_buttons[mode] = button
        self.mode_buttons["pan"].setChecked(True)
        self.grid_check = QCheckBox("Manifold grid")
        self.grid_check.setToolTip("Tile decoded images over the visible region (Ctrl+M)")
        self.grid_size = QSpinBox()
        self.grid_size.setRange(4, 30)
        self.grid_size.setValue(15)
        self.grid_size.setToolTip("Images per side of the manifold grid")
        self.prior_check = QCheckBox("Prior")
        self.prior_check.setToolTip("Shade by the VAE prior's density: unshaded holes between "
                                    "clusters are latents the decoder never trained on")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Encode the dataset again with the latest weights")
        self.follow_check = QCheckBox("Each epoch")
        self.follow_check.setToolTip("Re-encode at every epoch end while training "
                                     "(costs training time on a small machine)")
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Plot as PNG…", self._export_png_dialog)
        menu.addAction("Latents as CSV…", self._export_csv_dialog)
        menu.addAction("Latents as NPZ…", self._export_npz_dialog)
        self.export_button.setMenu(menu)

        controls = QHBoxLayout()
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

        self.status = QLabel()
        self.status.setObjectName("latent_status")
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job; the map shown stays")
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress_bar)
        status_row.addWidget(self.cancel_button)
        self._set_busy(False)

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
        self._grid_timer.timeout.connect(self._request_grid)
        # Hover is rate-limited to screen rate (thread rule 8, pyqtgraph#1512).
        self._hover_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=60,
                                           slot=self._on_mouse_moved)

    def _connect(self) -> None:
        s, j = self.session, self.jobs
        s.modelChanged.connect(self._on_model_changed)
        s.stateChanged.connect(self._on_state_changed)
        s.runReset.connect(self._on_run_reset)
        j.mapReady.connect(self._on_map)
        j.projected.connect(self._on_projected)
        j.progress.connect(self._on_progress)
        j.decoded.connect(self._on_decoded)
        j.jobEnded.connect(self._on_job_ended)
        j.failed.connect(self._on_failed)
        self.projection_box.activated.connect(self._on_projection_chosen)
        self.cancel_button.clicked.connect(self.jobs.cancel)
        self.refresh_button.clicked.connect(self.refresh)
        self.follow_check.toggled.connect(self._on_follow_toggled)
        self.grid_check.toggled.connect(self._on_grid_toggled)
        self.grid_size.valueChanged.connect(self._schedule_grid)
        self.prior_check.toggled.connect(self._update_prior)
        self.legend.classToggled.connect(self.set_class_visible)
        self.view_box.sigRangeChanged.connect(self._schedule_grid)
        self.view_box.shapeDrawn.connect(self._on_shape)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.groups_view.cleared.connect(self.clear_groups)

    # --- what to map -------------------------------------------------------------------
    def load(self, path: Path | str) -> None:
        """Encode the checkpoint at `path` now (replacing any running job)."""
        self._pending = None
        self._source = Path(path)
        # A refresh keeps PCA points where they were (Procrustes) so the map does not jump.
        align = self._cache.get(PCA)
        self.jobs.open(self._source, self.session.device, align)
        self._set_busy(True, "Loading the model…")

    @Slot()
    def refresh(self) -> None:
        """Encode again with the latest checkpoint of the run or file shown."""
        path = self.session.checkpoint or self._source
        if path is not None:
            self.load(path)

    @Slot(object)
    def _on_model_changed(self, info: object) -> None:
        if getattr(info, "is_diffusion", False):
            self.clear_map()
            self._show_empty("Diffusion models have no latent map: their latent is the "
                             "image itself.")
            return
        source = getattr(info, "source", "training")
        path = self.session.checkpoint if source == "training" else Path(source)
        if path is None:
            return
        training = self.session.state.busy
        if self.isVisible() and (not training or self.follow_check.isChecked()):
            self.load(path)
        else:
            # Encoding costs CPU the trainer needs: wait until shown / training ends.
            self._pending = path
            if self.data is not None:
                self.status.setText("A newer model is available: press Refresh, or it "
                                    "updates when training ends.")

    @Slot(object)
    def _on_state_changed(self, state: object) -> None:
        busy = self.session.state.busy
        if self._pending is not None and not busy and self.isVisible():
            self.load(self.session.checkpoint or self._pending)
        elif busy and self.data is None:
            self._show_empty(TRAINING_TEXT)

    @Slot()
    def _on_run_reset(self) -> None:
        # Another run or model (or File › New): the map shown no longer belongs to it.
        if self.jobs.busy is not None:
            self.jobs.cancel()
        self._pending = None
        self.clear_map()
        self._show_empty(TRAINING_TEXT if self.session.state.busy else EMPTY_TEXT)

    @Slot(bool)
    def _on_follow_toggled(self, on: bool) -> None:
        if on and self._pending is not None and self.isVisible():
            self.load(self.session.checkpoint or self._pending)

    def showEvent(self, event: QShowEvent) -> None:
        """Map a model that arrived while the panel was hidden."""
        super().showEvent(event)
        if self._pending is not None and not self.session.state.busy:
            QTimer.singleShot(0, self._load_pending)

    @Slot()
    def _load_pending(self) -> None:
        if self._pending is not None:
            self.load(self._pending)

    # --- job results -------------------------------------------------------------------
    @Slot(object)
    def _on_map(self, data: MapData) -> None:
        self.data = data
        self._cache.clear()
        self.clear_groups()
        self._selected = None
        self.scatter.set_highlight(None)
        self.marker.setData([], [])
        self.detail.show_message("Click a point to select it, or empty space to decode there.")
        methods = [LATENT_2D] if data.latent_dim == 2 else [PCA]
        self.projection_box.clear()
        self.projection_box.addItems([*methods, TSNE, UMAP])
        self.prior_check.setEnabled(data.has_prior)
        self.prior_check.setToolTip("" if data.has_prior else
                                    "Only VAEs have a prior to shade")
        what = "generated samples" if data.generated else f"{data.dataset} images"
        self.info_text = (f"{data.family}, epoch {data.epoch}: {len(data.means):,} {what}, "
                          f"{data.latent_dim}-D latent")
        if data.labels_note:
            self.info_text += f" — {data.labels_note}"

    @Slot(object)
    def _on_projected(self, result: ProjectionResult) -> None:
        self._cache[result.method] = result
        self.show_projection(result)

    def show_projection(self, result: ProjectionResult) -> None:
        """Draw the map for `result` (a cached or freshly computed projection)."""
        data = self.data
        if data is None:
            return
        first = self.projection is None or self.projection.method != result.method
        self.projection = result
        self.empty_text.setText("")
        self.scatter.set_points(result.positions, data.labels)
        self.legend.set_classes(self.scatter.counts(), data.class_names, self.scatter.hidden)
        index = self.projection_box.findText(result.method)
        if index >= 0:
            self.projection_box.setCurrentIndex(index)
        axes = ("z₁", "z₂") if result.method == LATENT_2D else (
            (f"PC 1 ({result.pca.explained_ratio[0]:.0%})",
             f"PC 2 ({result.pca.explained_ratio[1]:.0%})") if result.pca is not None
            else (f"{result.method} 1", f"{result.method} 2"))
        self.plot_item.setLabel("bottom", axes[0])
        self.plot_item.setLabel("left", axes[1])
        if first:
            self.view_box.autoRange(padding=0.04)
        self.group_outlines["A"].setData([], [])
        self.group_outlines["B"].setData([], [])
        self.clear_groups()
        self.status.setText(self.info_text + ("" if result.invertible else
                                              f" — {result.method} positions cannot be "
                                              "decoded"))
        self.grid_check.setEnabled(result.invertible)
        self._update_prior()
        self._schedule_grid()

    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        self._set_busy(True, f"{stage.capitalize()}…")
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
        else:
            self.progress_bar.setRange(0, 0)  # indeterminate

    @Slot(str, str)
    def _on_job_ended(self, kind: str, status: str) -> None:
        self._set_busy(False)
        if status == "cancelled":
            self.status.setText(f"{kind} cancelled.")
            if self.projection is not None:  # put the chooser back on what is shown
                self.projection_box.setCurrentText(self.projection.method)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._set_busy(False)
        self.status.setText(f"<span style='color:#b00'>{message}</span>")

    def _set_busy(self, busy: bool, text: str | None = None) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.projection_box.setEnabled(not busy or self.jobs.busy not in (None, "encode"))
        self.refresh_button.setEnabled(not busy)
        if text is not None:
            self.status.setText(text)
        if not busy:
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)

    def clear_map(self) -> None:
        """Forget the map shown (e.g. the new model has no latent map)."""
        self.data, self.projection = None, None
        self._cache.clear()
        self.clear_groups()
        self._set_hover(None)
        self.scatter.set_points(np.zeros((0, 2), np.float32), np.zeros(0, np.int64))
        self.legend.clear()
        self.grid_image.hide()
        self.prior_image.hide()
        self.marker.setData([], [])

    def _show_empty(self, text: str) -> None:
        self.empty_text.setText(text)
        self.empty_text.setPos(0, 0)
        self.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
        self.status.setText(text)

    # --- projection chooser ------------------------------------------------------------
    @Slot(int)
    def _on_projection_chosen(self, index: int) -> None:
        self.choose_projection(self.projection_box.itemText(index))

    def choose_projection(self, method: str) -> None:
        """Show `method`: at once when cached, else as a job with progress and Cancel."""
        if self.data is None or (self.projection is not None
                                 and self.projection.method == method):
            return
        if method in self._cache:
            if self.jobs.busy is not None:
                self.jobs.cancel()  # a slower projection would replace this one
            self.show_projection(self._cache[method])
            return
        self.jobs.project(method)
        self._set_busy(True, f"{method}: starting…")

    # --- classes -----------------------------------------------------------------------
    @Slot(int, bool)
    def set_class_visible(self, label: int, visible: bool) -> None:
        """Show or hide class `label` on the map and in hit tests."""
        self.scatter.set_class_visible(label, visible)
        if self._hover is not None and not visible and self.scatter.labels[self._hover] == label:
            self._set_hover(None)

    # --- hover -------------------------------------------------------------------------
    def _pixel_size(self) -> tuple[float, float]:
        px = self.view_box.viewPixelSize()
        return (float(px[0]) or 1.0, float(px[1]) or 1.0)

    @Slot(object)
    def _on_mouse_moved(self, args: tuple) -> None:
        scene_pos = args[0]
        if self.projection is None or not self.view_box.sceneBoundingRect().contains(scene_pos):
            self._set_hover(None)
            return
        p = self.view_box.mapSceneToView(scene_pos)
        self.hover_at(p.x(), p.y(), self.plot.mapFromScene(scene_pos))

    def hover_at(self, x: float, y: float, widget_pos: QPoint | None = None) -> int | None:
        """Ring and preview the visible point nearest (x, y) within a few pixels; return it."""
        index = self.scatter.nearest(x, y, self._pixel_size())
        self._set_hover(index, widget_pos)
        return index

    def _set_hover(self, index: int | None, widget_pos: QPoint | None = None) -> None:
        if index == self._hover:
            if index is not None and widget_pos is not None:
                self._place_thumbnail(widget_pos)
            return
        self._hover = index
        self.scatter.set_highlight(index)
        if index is None or self.data is None:
            self.thumbnail.hide()
            return
        image = self.data.images[index]
        self.thumbnail.setPixmap(to_pixmap(image, 3))
        self.thumbnail.adjustSize()
        if widget_pos is not None:
            self._place_thumbnail(widget_pos)
        self.thumbnail.show()
        if not self.data.generated:  # generated points are already decoded images
            self.jobs.decode("hover", self.data.means[index:index + 1],
                             self.data.labels[index:index + 1])

    def _place_thumbnail(self, pos: QPoint) -> None:
        x, y = pos.x() + 16, pos.y() + 16
        if x + self.thumbnail.width() > self.plot.width():
            x = pos.x() - 16 - self.thumbnail.width()
        if y + self.thumbnail.height() > self.plot.height():
            y = pos.y() - 16 - self.thumbnail.height()
        self.thumbnail.move(max(0, x), max(0, y))

    # --- clicks ------------------------------------------------------------------------
    @Slot(object)
    def _on_mouse_clicked(self, ev: object) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or self.projection is None \
                or self.view_box.mode != "pan" or ev.double():
            return
        if not self.view_box.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = self.view_box.mapSceneToView(ev.scenePos())
        self.click_at(p.x(), p.y())

    def click_at(self, x: float, y: float) -> LatentAnchor | None:
        """Select the point under (x, y), or decode that position; return the pick.

        Emits the pick on the session (latentSelected). Returns None when the projection
        cannot be inverted (t-SNE, UMAP): the detail view says why.
        """
        data, proj = self.data, self.projection
        if data is None or proj is None:
            return None
        index = self.scatter.nearest(x, y, self._pixel_size())
        if index is not None:
            return self.select_point(index)
        if not proj.invertible:
            self.detail.show_message(f"{proj.method} has no inverse mapping: a position "
                                     "between points does not correspond to a latent. Use "
                                     "PCA (or a 2-D latent) to decode empty space.")
            return None
        latent = proj.to_latent(np.array([[x, y]]))[0]
        near = self.scatter.nearest_any(x, y)
        label = int(data.labels[near]) if near is not None else -1
        anchor = LatentAnchor(latent, None, label, (float(x), float(y)), data.generation)
        self.marker.setData([x], [y])
        self.scatter.set_highlight(None)
        title = f"Decoded at ({x:.2f}, {y:.2f})"
        if data.conditional:
            title += f", conditioned on the nearest point's class {label}"
        self.detail.show_point(title, latent, None)
        self._publish(anchor)
        return anchor

    def select_point(self, index: int) -> LatentAnchor:
        """Select data point `index`: detail view, ring, session pick; return it."""
        data = self.data
        assert data is not None and self.projection is not None
        pos = self.projection.positions[index]
        label = int(data.labels[index])
        anchor = LatentAnchor(data.means[index].copy(), index, label,
                              (float(pos[0]), float(pos[1])), data.generation)
        self.marker.setData([], [])
        self.scatter.set_highlight(index)
        name = (data.class_names[label] if 0 <= label < len(data.class_names)
                else str(label))
        self.detail.show_point(f"Point #{index:,} — class {name}", anchor.latent,
                               data.images[index])
        self._publish(anchor)
        return anchor

    def _publish(self, anchor: LatentAnchor) -> None:
        self._selected = anchor
        labels = np.array([max(anchor.label, 0)])
        self.jobs.decode("detail", anchor.latent[None], labels)
        self.session.select_latent(anchor)

    # --- groups ------------------------------------------------------------------------
    @Slot(bool)
    def _on_mode(self, checked: bool) -> None:
        button = self.sender()
        if checked and button is not None:
            self.view_box.set_mode(str(button.property("mode")))

    @Slot(object)
    def _on_shape(self, polygon: np.ndarray) -> None:
        self.select_group(self.groups_view.target, polygon)

    def select_group(self, name: str, polygon: np.ndarray) -> np.ndarray:
        """Fill group `name` with the visible points inside `polygon`; return their indices.

        Decodes the group's mean latent, and when both groups have points publishes
        their attribute vector (mean A − mean B) on the session.
        """
        if self.data is None:
            return np.zeros(0, np.int64)
        idx = self.scatter.inside(polygon)
        self.groups[name] = idx
        closed = np.vstack([polygon, polygon[:1]])
        self.group_outlines[name].setData(closed[:, 0], closed[:, 1])
        self.groups_view.set_group(name, len(idx))
        if len(idx):
            mean = self.data.means[idx].mean(0, keepdims=True)
            labels = np.bincount(np.maximum(self.data.labels[idx], 0)).argmax()
            self.jobs.decode(f"group{name}", mean, np.array([labels]))
        self._update_attribute_vector()
        return idx

    @Slot()
    def clear_groups(self) -> None:
        """Empty both groups and withdraw the attribute vector."""
        had = any(len(g) for g in self.groups.values())
        for name in "AB":
            self.groups[name] = np.zeros(0, np.int64)
            self.group_outlines[name].setData([], [])
            self.groups_view.set_group(name, 0)
        if had:
            self._update_attribute_vector()

    def _update_attribute_vector(self) -> None:
        from models.latent.paths import attribute_vector

        a, b = self.groups["A"], self.groups["B"]
        if self.data is None or not len(a) or not len(b):
            self.groups_view.vector.setText("Select two groups: their mean difference is an "
                                            "attribute vector for interpolation.")
            self.session.set_attribute_vector(None)
            return
        vec = attribute_vector(self.data.means[a], self.data.means[b]).astype(np.float32)
        self.groups_view.vector.setText(f"Attribute vector A − B: length "
                                        f"{np.linalg.norm(vec):.2f} (sent to interpolation)")
        self.session.set_attribute_vector(AttributeVector(vec, a.copy(), b.copy(),
                                                          self.data.generation))

    # --- decoded images ----------------------------------------------------------------
    @Slot(str, object)
    def _on_decoded(self, channel: str, images: np.ndarray) -> None:
        if channel == "hover" and self._hover is not None and self.data is not None:
            pair = side_by_side(self.data.images[self._hover], images[0])
            self.thumbnail.setPixmap(to_pixmap(pair, 3))
            self.thumbnail.adjustSize()
        elif channel == "detail":
            self.detail.show_decoded(images[0])
        elif channel == "grid":
            self._show_grid(images)
        elif channel.startswith("group"):
            self.groups_view.set_mean_image(channel[-1], images[0])

    # --- manifold grid and prior -------------------------------------------------------
    @Slot(bool)
    def _on_grid_toggled(self, on: bool) -> None:
        self.grid_image.setVisible(False)
        if on:
            self._request_grid()

    @Slot()
    def _schedule_grid(self, *_: object) -> None:
        if self.grid_check.isChecked():
            self._grid_timer.start()  # debounced: one decode after the pan/zoom settles

    @Slot()
    def _request_grid(self) -> None:
        from models.latent.grids import grid_positions

        proj = self.projection
        if not self.grid_check.isChecked() or proj is None or not proj.invertible:
            self.grid_image.hide()
            return
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        k = self.grid_size.value()
        self._grid_rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        self._grid_k = k
        latents = proj.to_latent(grid_positions((x0, x1), (y0, y1), k))
        labels = None
        if self.data is not None and self.data.conditional:
            # Condition each cell on the class of its nearest point.
            pts = grid_positions((x0, x1), (y0, y1), k)
            near = [self.scatter.nearest_any(px, py) for px, py in pts]
            labels = np.array([self.data.labels[i] if i is not None else 0 for i in near])
        self.jobs.decode("grid", latents, labels)

    def _show_grid(self, tiles: np.ndarray) -> None:
        if not self.grid_check.isChecked():
            return
        self.grid_image.setImage(manifold_mosaic(tiles, self._grid_k), autoLevels=False)
        self.grid_image.setRect(self._grid_rect)
        self.grid_image.show()

    @Slot()
    def _update_prior(self, *_: object) -> None:
        from models.latent.grids import standard_normal_density

        proj, data = self.projection, self.data
        if not self.prior_check.isChecked() or proj is None or data is None \
                or not data.has_prior or not proj.invertible:
            self.prior_image.hide()
            return
        # The prior N(0, I) seen through PCA is N(0, I) around the projected origin.
        centre = (np.zeros(2) if proj.pca is None
                  else proj.pca.transform(np.zeros((1, data.latent_dim)))[0])
        s = PRIOR_SPAN
        density = standard_normal_density((-s, s), (-s, s))
        self.prior_image.setImage(prior_shading(density), autoLevels=False)
        self.prior_image.setRect(QRectF(centre[0] - s, centre[1] - s, 2 * s, 2 * s))
        self.prior_image.show()

    # --- export ------------------------------------------------------------------------
    def export_png(self, path: Path | str) -> bool:
        """Save the plot as shown to a PNG file; return True on success."""
        return save_widget_image(self.plot, path)

    def export_latents(self, path: Path | str, fmt: str) -> Path:
        """Write the latents, labels and map positions as "csv" or "npz"; return the path."""
        if self.data is None or self.projection is None:
            raise RuntimeError("there is no latent map to export yet")
        pos, z, y = self.projection.positions, self.data.means, self.data.labels
        if fmt == "csv":
            return write_csv(path, pos, z, y)
        return write_npz(path, pos, z, y, self.projection.method)

    @Slot()
    def _export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the latent map", "latent-map.png",
                                              "PNG image (*.png)")
        if path:
            self.export_png(path if path.lower().endswith(".png") else path + ".png")

    @Slot()
    def _export_csv_dialog(self) -> None:
        self._export_dialog("csv")

    @Slot()
    def _export_npz_dialog(self) -> None:
        self._export_dialog("npz")

    def _export_dialog(self, fmt: str) -> None:
        if self.data is None:
            self.status.setText("There is no latent map to export yet.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export latents", f"latents.{fmt}",
                                              f"{fmt.upper()} file (*.{fmt})")
        if path:
            try:
                written = self.export_latents(path, fmt)
                self.status.setText(f"Latents saved to {written}")
            except OSError as exc:
                self.status.setText(f"<span style='color:#b00'>Could not write {path}: "
                                    f"{exc}</span>")
