"""The Latent Map panel: a 2-D scatter of the latent space to hover, click and decode.

GUI thread only. The model comes from the Panel base (`session.models`); compute goes
through `session.latent` (LatentSpace): the map and projection jobs, and latest-wins
decodes for hover, click, the manifold grid and group means. This module follows the model
and draws the map; each feature has its module: widgets (construction), hover, picking
(click and select), groups (attribute vector), overlays (manifold grid, prior), export.
"""

from __future__ import annotations

import html
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QWidget

from app import theme
from app.panels.base import Panel
from app.panels.latent_map.export import ExportMixin
from app.panels.latent_map.groups import GROUP_CHANNELS, GroupsMixin, empty_groups
from app.panels.latent_map.hover import HoverMixin
from app.panels.latent_map.overlays import GRID_CHANNEL, OverlaysMixin
from app.panels.latent_map.picking import DETAIL_CHANNEL, PickingMixin
from app.panels.latent_map.space import W_SPACE, SpaceMixin
from app.panels.latent_map.widgets import GRID_TIP, REFRESH_TIP, MapWidgets
from app.session import Session
from app.session.latent_types import (
    LATENT_2D,
    LDA,
    PCA,
    TSNE,
    UMAP,
    MapData,
    ProjectionResult,
    default_projection,
    lda_available,
)
from models.latent.first_stage import can_map, first_stage_note, has_first_stage, no_map_reason
from models.opened import OpenedModel

EMPTY_TEXT = "Train a model or open a checkpoint to see its latent space."
TRAINING_TEXT = ("The latent map appears when training ends (tick “Each epoch” to "
                 "follow it live).")
PROJECTION_NOTES = {LDA: " — LDA: the plane that best separates the classes"}
NEWER_TEXT = ("A newer model is available: press Refresh, or it updates when training "
              "ends.")
# A precomputed map shown before its model has opened (MapData.model None).
WAITING_NOTE = " — precomputed: decoding starts once PyTorch has loaded"
WAITING_TIP = "Decoding starts once PyTorch has loaded"


class LatentMapPanel(HoverMixin, PickingMixin, GroupsMixin, OverlaysMixin, ExportMixin,
                     SpaceMixin, MapWidgets, Panel):
    """Scatter of latent means with legend, hover thumbnail, detail view and overlays."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.latent = session.latent
        self.data: MapData | None = None
        self.projection: ProjectionResult | None = None
        self._cache: dict[str, ProjectionResult] = {}  # projections of the map, by method
        self.info_text = ""
        self.groups = empty_groups()
        self._empty_message = ""
        self._default_method = PCA  # the method the map shown was first drawn with
        self._stage_clock: tuple[str, float] = ("", 0.0)  # indeterminate stage, its start
        # (generation, method, view range) of the map last cleared
        self._kept_view: tuple[int, str, list] | None = None
        self._build()
        self._fill_export_menu()
        self._connect()
        self.clear()

    def _connect(self) -> None:
        lat = self.latent
        self.session.stateChanged.connect(self._on_training_state)
        lat.mapReady.connect(self._on_map)
        lat.projected.connect(self._on_projected)
        lat.progress.connect(self._on_progress)
        lat.decoded.connect(self._on_decoded)
        lat.jobEnded.connect(self._on_job_ended)
        lat.failed.connect(self._on_failed)
        lat.cleared.connect(self._on_latent_cleared)
        self.projection_box.activated.connect(self._on_projection_chosen)
        self.space_box.activated.connect(self._on_space_chosen)
        self.cancel_button.clicked.connect(self._cancel_w)
        self.cancel_button.clicked.connect(lat.cancel)
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
        self._grid_timer.timeout.connect(self._request_grid)
        # Hover is rate-limited to screen rate (pyqtgraph#1512).
        self._hover_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=60,
                                           slot=self._on_mouse_moved)

    # --- the model (Panel) -----------------------------------------------------------------
    def accepts(self, model: OpenedModel) -> bool:
        """Return True unless `model` is a pixel-space diffusion model (no latent to map);
        latent diffusion is mapped through its autoencoder."""
        return can_map(model.capabilities)

    def show_unsupported(self, model: OpenedModel) -> None:
        """Say why the model has no map (a pixel-space diffusion model, a PixelCNN)."""
        reason = no_map_reason(model.capabilities)
        self._show_empty(reason[0].upper() + reason[1:] + ".")

    def ready_now(self) -> bool:
        """Return True when shown, and unless training needs the CPU ("Each epoch" unticked)."""
        return self.isVisible() and (not self.session.state.busy
                                     or self.follow_check.isChecked())

    def show_model(self, model: OpenedModel) -> None:
        """Map `model` (a no-op when its map is already shown or being computed)."""
        self._map(model)

    def update_model(self, model: OpenedModel) -> None:
        """Map newer weights of the run shown when ready; until then say they exist."""
        super().update_model(model)
        if self.pending is model and self.data is not None:
            self.status.setText(NEWER_TEXT)

    @Slot()
    def refresh(self) -> None:
        """Encode again with the newest weights of the model shown (or waiting)."""
        model = self.pending or self.model or self.session.model
        if model is not None and self.accepts(model):
            self.model, self.pending = model, None
            self._map(model, force=True)

    def _map(self, model: OpenedModel, force: bool = False) -> None:
        # Newer weights keep the points of the first map (PCA or LDA) where they were
        # (Procrustes): the map does not jump.
        self.latent.open(model, self._cache.get(self._default_method), force)
        shown = self.latent.data
        if shown is not None and shown.model is model and shown is not self.data:
            self._on_map(shown)  # mapped already (for another panel): draw it at once
            if self.latent.projection is not None:
                self._on_projected(self.latent.projection)
                view = self._kept_view
                if view is not None and view[:2] == (shown.generation,
                                                     self.latent.projection.method):
                    # The model attached to the precomputed map shown: keep the view.
                    self.view_box.setRange(xRange=view[2][0], yRange=view[2][1], padding=0)
        elif self.latent.busy == "encode":
            self._set_busy(True, "Loading the model…")

    def clear(self) -> None:
        """Forget the map and everything drawn or cached from it (but the view range of its
        generation: a model attaching to the map shown keeps the user's zoom)."""
        self._kept_view = None if self.data is None or self.projection is None else (
            self.data.generation, self.projection.method, self.view_box.viewRange())
        self.data, self.projection = None, None
        self._cache.clear()
        self.info_text = ""
        self.clear_groups()
        self.groups_view.clear()
        self._clear_hover()
        self._clear_pick()
        self._clear_overlays()
        self.scatter.hidden.clear()
        self.scatter.set_points(np.zeros((0, 2), np.float32), np.zeros(0, np.int64))
        self.legend.clear()
        self.projection_box.clear()
        self._reset_space(None)
        self._set_axes("", "")
        self._set_busy(False)
        self._show_empty(TRAINING_TEXT if self.session.state.busy else EMPTY_TEXT)

    @Slot()
    def _on_latent_cleared(self) -> None:
        # A precomputed map has no model to reset the panel through (its model failed to
        # open): forget it here. A model's map is reset with the model (Panel base).
        if self.data is not None and self.data.model is None:
            self.clear()

    @Slot(object)
    def _on_training_state(self, _state: object) -> None:
        if self.data is None and self._empty_message in (EMPTY_TEXT, TRAINING_TEXT):
            self._show_empty(TRAINING_TEXT if self.session.state.busy else EMPTY_TEXT)

    @Slot(bool)
    def _on_follow_toggled(self, on: bool) -> None:
        if on:
            self.show_pending()

    def _show_empty(self, text: str) -> None:
        self._empty_message = text
        self.empty_text.setText(text)
        self.empty_text.setPos(0, 0)
        self.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
        self.status.setText(text)

    # --- job results -------------------------------------------------------------------------
    @Slot(object)
    def _on_map(self, data: MapData) -> None:
        self.data = data
        self._cache.clear()
        self.clear_groups()
        self._set_hover(None)
        self._clear_pick()
        self.projection_box.clear()
        self._reset_space(data)
        self.projection_box.addItems(projection_methods(data))
        self._default_method = default_projection(data.latent_dim, data.generated,
                                                  data.conditional, data.labels)
        self._enable_prior(data.has_prior)
        what = "generated samples" if data.generated else f"{data.dataset} images"
        caps = data.model.capabilities if data.model is not None else None
        # Latent diffusion has two latents: say which one the points are.
        space = f" in {first_stage_note(caps.latent_shape)}" \
            if caps is not None and has_first_stage(caps) else f", {data.latent_dim}-D latent"
        self.info_text = f"{data.family}, epoch {data.epoch}: {len(data.means):,} {what}{space}"
        if data.labels_note:
            self.info_text += f" — {data.labels_note}"

    @Slot(object)
    def _on_projected(self, result: ProjectionResult) -> None:
        self._cache[result.method] = result
        if self.space != W_SPACE:  # in W it waits for the switch back to Z
            self.show_projection(result)

    def show_projection(self, result: ProjectionResult) -> None:
        """Draw the map for `result` (a cached or freshly computed projection)."""
        data = self.data
        if data is None:
            return
        first = self.projection is None or self.projection.method != result.method
        self.projection = result
        self.empty_text.setText("")
        self._empty_message = ""
        self.scatter.set_points(result.positions, data.labels)
        self.legend.set_classes(self.scatter.counts(), data.class_names, self.scatter.hidden)
        index = self.projection_box.findText(result.method)
        if index >= 0:
            self.projection_box.setCurrentIndex(index)
        self._set_axes(*self.space_axes(axis_labels(result), result))
        if first:
            self.view_box.autoRange(padding=0.04)
        self.clear_groups()
        self.status.setText(self.info_text + PROJECTION_NOTES.get(result.method, (
            "" if result.invertible else f" — {result.method} positions cannot be decoded"))
            + self.space_note(result) + ("" if self.decodable else WAITING_NOTE))
        self.grid_check.setEnabled(result.invertible and self.decodable)
        self.grid_check.setToolTip(GRID_TIP if self.decodable else WAITING_TIP)
        self.refresh_button.setEnabled(self.decodable and not self.progress_bar.isVisible())
        self._enable_prior(data.has_prior, result.method)
        self._update_prior()
        self._schedule_grid()

    @property
    def decodable(self) -> bool:
        """Return False while the map shown is a precomputed one whose model has not opened
        (nothing can be decoded or encoded again yet); True otherwise."""
        return self.data is None or self.data.model is not None

    def _set_axes(self, x: str, y: str) -> None:
        """Label the axes ("" hides a label)."""
        self.plot_item.setLabel("bottom", x)
        self.plot_item.setLabel("left", y)

    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        """Show `stage` as given (it is a label: "t-SNE" keeps its case). A stage without
        a progress count gets a moving (indeterminate) bar and the seconds it has taken."""
        if total > 0:
            self._stage_clock = ("", 0.0)
            self._set_busy(True, f"{stage}…")
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            return
        now = time.monotonic()
        if self._stage_clock[0] != stage:
            self._stage_clock = (stage, now)
        elapsed = now - self._stage_clock[1]
        self._set_busy(True, f"{stage}… {elapsed:.0f} s" if elapsed >= 1 else f"{stage}…")
        self.progress_bar.setRange(0, 0)  # indeterminate: Qt animates a busy bar

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
        self.status.setText(theme.coloured(html.escape(str(message)), "error"))

    def _set_busy(self, busy: bool, text: str | None = None) -> None:
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.projection_box.setEnabled(not busy or self.latent.busy not in (None, "encode"))
        self.refresh_button.setEnabled(not busy and self.decodable)
        self.refresh_button.setToolTip(REFRESH_TIP if self.decodable else WAITING_TIP)
        if text is not None:
            self.status.setText(text)
        if self.data is None and self._empty_message == EMPTY_TEXT:
            # a model is being mapped: the empty plot says so, not "open a checkpoint"
            self.empty_text.setText((text or "") if busy else EMPTY_TEXT)
        if not busy:
            self._stage_clock = ("", 0.0)
            self.progress_bar.setRange(0, 1)
            self.progress_bar.setValue(0)

    @Slot(str, object)
    def _on_decoded(self, channel: str, images: np.ndarray) -> None:
        if channel == "hover":
            self._show_hover_decoded(images[0])
        elif channel == DETAIL_CHANNEL:
            self.detail.show_decoded(images[0])
        elif channel == GRID_CHANNEL:
            self._show_grid(images)
        elif channel in GROUP_CHANNELS.values():
            self.groups_view.set_mean_image(channel[-1], images[0])

    # --- projection chooser and classes ------------------------------------------------------
    @Slot(int)
    def _on_projection_chosen(self, index: int) -> None:
        self.choose_projection(self.projection_box.itemText(index))

    def choose_projection(self, method: str) -> None:
        """Show `method`: at once when cached, else as a job with progress and Cancel."""
        if self.data is None or (self.projection is not None
                                 and self.projection.method == method):
            return
        if self.space == W_SPACE:
            self.choose_w_projection(method)
            return
        if method in self._cache:
            if self.latent.busy is not None:
                self.latent.cancel()  # a slower projection would replace this one
            self.show_projection(self._cache[method])
            return
        self.latent.project(method)
        if method not in self.data.precomputed:  # else its positions arrive at once
            self._set_busy(True, f"{method}: starting…")

    @Slot(int, bool)
    def set_class_visible(self, label: int, visible: bool) -> None:
        """Show or hide class `label` on the map and in hit tests."""
        self.scatter.set_class_visible(label, visible)
        if self._hover is not None and not visible and self.scatter.labels[self._hover] == label:
            self._set_hover(None)


def projection_methods(data: MapData) -> list[str]:
    """Return the chooser's methods for `data`, the one it is first drawn with first."""
    if data.latent_dim == 2:
        return [LATENT_2D, TSNE, UMAP]
    linear = [PCA, LDA] if lda_available(data.conditional, data.labels) else [PCA]
    first = default_projection(data.latent_dim, data.generated, data.conditional, data.labels)
    return [first, *(m for m in linear if m != first), TSNE, UMAP]


def axis_labels(result: ProjectionResult) -> tuple[str, str]:
    """Return the x and y axis labels of a map: latent dimensions, principal axes with their
    share of the variance, discriminant axes with their share of the class separation."""
    if result.method == LATENT_2D:
        return "z₁", "z₂"
    if result.linear is not None:
        name = "PC" if result.method == PCA else "LD"
        ratio = result.linear.explained_ratio
        return f"{name} 1 ({ratio[0]:.0%})", f"{name} 2 ({ratio[1]:.0%})"
    return f"{result.method} 1", f"{result.method} 2"
