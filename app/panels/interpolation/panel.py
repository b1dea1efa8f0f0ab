"""The Interpolation panel: walk between latents, along dimensions, and do latent arithmetic.

GUI thread only. The panel follows the window's model (app.panels.base.Panel) and is
assembled from one module per feature:
- layout.py: the widgets (anchors, live frame, α row, classes, strip, tabs, Export);
- anchor_latents.py: anchors A, B, C as latents (dataset image, map pick, seed, file);
- alpha.py: the α slider, its range, strip clicks, Play/Bounce (both kinds of model);
- latent_path.py: VAEs and GANs: the latent space's map, the live frame and strip at α,
  decoded through `session.latent` (latent_requests.py is the one place calling it);
- latent_edits.py: per-dimension sliders, A − B + C, attribute vector, traversal grid;
- diffusion_path.py: diffusion models: DDIM frames between two seeds' noises, computed
  by jobs.py on the "interpolation" lane and cached for the slider;
- latent diffusion has both: its autoencoder's latents (latent_path.py, as a VAE's) and
  its noise x_T (diffusion_path.py), one at a time, chosen in `space` (SpaceChoice);
- export_actions.py: the Export menu (PNG, GIF, MP4) and the state file (save, open).
This module says which model is shown: clear() and show_model().
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QWidget

from app.jobs.copies import ModelCopy
from app.panels.base import Panel
from app.panels.interpolation.alpha import AlphaControls
from app.panels.interpolation.anchor_latents import AnchorLatents, default_anchor_indices
from app.panels.interpolation.anchors import DATASET, RANDOM
from app.panels.interpolation.controls import DIFFUSION, LATENT, PATH
from app.panels.interpolation.diffusion_path import DiffusionPath
from app.panels.interpolation.export_actions import ExportActions
from app.panels.interpolation.latent_edits import LatentEdits
from app.panels.interpolation.latent_path import LatentPath
from app.panels.interpolation.latent_requests import LatentRequests
from app.panels.interpolation.layout import PanelLayout
from app.panels.interpolation.resolve import anchor_from_source
from app.panels.interpolation.state_file import ANCHOR_NAMES, InterpolationState
from app.session import Session
from app.session.latent_types import AttributeVector, MapData
from app.theme import text_colour
from models.latent.first_stage import can_map, has_first_stage, shape_text
from models.opened import OpenedModel

EMPTY_TEXT = "Train a model or open a checkpoint to interpolate in its latent space."
LOADING_TEXT = "Loading PyTorch… the controls wake up in a few seconds."
NO_LATENT = frozenset({"pixelcnn"})  # families that draw value by value: nothing to walk


class InterpolationPanel(PanelLayout, AnchorLatents, AlphaControls, LatentPath, LatentEdits,
                         DiffusionPath, ExportActions, Panel):
    """Anchors, a live frame with its α slider, the strip, and tabs for dimensions,
    arithmetic and the traversal grid, for every kind of model. Emits livePainted(request
    id) when a live frame reaches the screen (GUI thread)."""

    livePainted = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.latent_requests = LatentRequests(session.latent, self)
        self._copies = ModelCopy()  # the "interpolation" lane's copy of a diffusion model
        self._copy_used = False
        self._noise_serial = 0
        self._scrub_tag = 0
        self._pending_state: tuple[Path, InterpolationState] | None = None
        self._build()
        self._connect()
        self.clear()  # sets everything derived from a model (below) to "no model"

    def _connect(self) -> None:
        s, latent = self.session, self.latent_requests
        s.latentSelected.connect(self._on_map_pick)
        s.picturesOpened.connect(self._on_pictures_opened)
        s.latent.mapReady.connect(self._on_precomputed_map)
        s.models.failed.connect(self._on_open_failed)
        self.space.box.currentIndexChanged.connect(self._on_space_changed)
        s.attributeVectorChanged.connect(self.use_attribute_vector)
        latent.mapReady.connect(self._on_map)
        latent.decoded.connect(self._on_decoded)
        latent.encoded.connect(self._on_encoded)
        latent.failed.connect(self._on_failed)
        for box in self.anchors.values():
            box.changed.connect(self._on_anchor_changed)
            box.fileChosen.connect(self._on_file_chosen)
        p = self.path
        p.alpha.valueChanged.connect(self._on_alpha)
        p.method.currentIndexChanged.connect(self._on_path_changed)
        p.extrapolate.toggled.connect(self._on_extrapolate)
        p.frames.valueChanged.connect(self._on_path_changed)
        p.steps.valueChanged.connect(self._on_path_changed)
        p.play.toggled.connect(self._on_play)
        p.bounce.toggled.connect(self._on_bounce)
        p.speed.valueChanged.connect(self.animator.set_period)
        self.animator.position.connect(self._on_animation)
        self.classes.class_a.currentIndexChanged.connect(self._on_path_changed)
        self.classes.class_b.currentIndexChanged.connect(self._on_path_changed)
        self.classes.interpolate.toggled.connect(self._on_path_changed)
        self.strip.frameClicked.connect(self._on_strip_clicked)
        self.dims.valueChanged.connect(self._on_dimension)
        self.dims.take.clicked.connect(self.dims_from_frame)
        self.arith.show_result.clicked.connect(self.show_arithmetic)
        self.arith.strength.valueChanged.connect(self._on_strength)
        self.traversal.make.clicked.connect(self.request_traversal)
        self.frame.painted.connect(self.livePainted)

    # --- before the model (torch still loading) ---------------------------------------------
    @Slot(object)
    def _on_pictures_opened(self, _checkpoint: Path) -> None:
        """A checkpoint was opened before its model could load: say PyTorch is on its way
        rather than that nothing is open; the controls stay disabled (GUI thread)."""
        if (self.model is None and not self.session.torch_ready
                and self.session.family not in NO_LATENT):
            self.status.setText(LOADING_TEXT)

    @Slot(object)
    def _on_precomputed_map(self, data: MapData) -> None:
        """The checkpoint's precomputed map arrived before its model (read with numpy):
        show the pictures the anchors will start from, their controls still disabled."""
        if data.model is not None or self.model is not None or not len(data.means):
            return
        for name, index in default_anchor_indices(data.labels).items():
            box = self.anchors[name]
            box.set_dataset_size(len(data.means))
            box.set_source(DATASET, index)
            resolved = anchor_from_source(DATASET, index, data, None, True, self._center,
                                          self._std)
            if resolved is not None:
                box.show_anchor(resolved.image, resolved.text)

    @Slot(str)
    def _on_open_failed(self, _message: str) -> None:
        """The model announced did not open: nothing is on its way any more, and the
        anchors' pictures from its precomputed map go with it."""
        if self.model is not None:
            return
        for box in self.anchors.values():
            box.reset()
        if self.status.text() == LOADING_TEXT:
            self.status.setText(EMPTY_TEXT)

    # --- the model shown (Panel) -------------------------------------------------------------
    def accepts(self, model: OpenedModel) -> bool:
        """Return True for VAEs and GANs (they walk their latent space), diffusion models
        (a path between seeds' noises) and latent diffusion (either, its `space`); False
        for a model without a latent (a PixelCNN)."""
        return model.capabilities.is_diffusion or can_map(model.capabilities)

    def show_unsupported(self, model: OpenedModel) -> None:
        """Say why the model has nothing to interpolate."""
        self.status.setText(f"{model.family} has no latent to interpolate: it draws the "
                            "image value by value.")

    def ready_now(self) -> bool:
        """Return True while shown and not training: encoding the dataset or sampling
        DDIM frames takes the CPU the trainer needs."""
        return self.isVisible() and not self.session.state.busy

    def show_model(self, model: OpenedModel) -> None:
        """Ask for `model`'s map (VAE, GAN, latent diffusion's autoencoder) or start its
        noise path (diffusion, latent diffusion's x_T)."""
        self._drop_pending_state_unless(model)
        self.space.setVisible(has_first_stage(model.capabilities))
        if self._noise_space(model):
            self._show_diffusion(model)
        else:
            self._open_latent_space(model)

    def _noise_space(self, model: OpenedModel) -> bool:
        """Return True when `model` is interpolated in its starting noise: a pixel DDPM
        always, latent diffusion when its space says so."""
        caps = model.capabilities
        return caps.is_diffusion and (not has_first_stage(caps)
                                      or self.space.value == DIFFUSION)

    @property
    def diffusion(self) -> OpenedModel | None:
        """Return the model shown when it is interpolated in its starting noise (None:
        no model, a VAE or GAN, or latent diffusion in its autoencoder's latents)."""
        m = self.model
        return m if m is not None and self._noise_space(m) else None

    @Slot(int)
    def _on_space_changed(self, _index: int) -> None:
        """Show the model again in the other latent (latent diffusion): anchors, path and
        frames start afresh; the model and its map stay."""
        model = self.model
        if model is None:
            return
        self._forget_shown()
        self.show_model(model)

    def choose_space(self, space: str) -> None:
        """Interpolate latent diffusion in `space` (LATENT: the autoencoder's latents,
        DIFFUSION: the noise x_T); shows the model again when it changes."""
        if space != self.space.value:
            self.space.box.setCurrentIndex(self.space.box.findData(space))

    def clear(self) -> None:
        """Forget the model shown: anchors, α, strip, sliders, grid, arithmetic, classes,
        attribute vector, cached frames, animation, status, the latent chosen; cancel what
        was asked for."""
        self._forget_shown()
        self.space.set_value(LATENT)
        self.space.hide()

    def _forget_shown(self) -> None:
        """Forget everything shown of the model (but the model and the space chosen)."""
        self.path.play.setChecked(False)  # stops the animation
        self._stop_noise_path()
        self.latent_requests.forget()
        self.kind: str | None = None
        self.data: MapData | None = None
        self.attribute: AttributeVector | None = None
        self.latents: dict[str, np.ndarray | None] = dict.fromkeys(ANCHOR_NAMES)
        self.labels: dict[str, int] = dict.fromkeys(ANCHOR_NAMES, -1)
        self.source = PATH  # what the live frame shows: the path, the sliders, A − B + C
        self.live_request = 0  # id of the newest live-frame decode
        self.strip_images: np.ndarray | None = None
        self.cache: list[np.ndarray | None] = []  # diffusion frames, one per cache α
        self.cache_alphas = np.zeros(0)
        self._center = np.zeros(0, np.float32)  # the latent's spread over the map
        self._std = np.ones(0, np.float32)
        self._prior = True
        self._file_requests: dict[int, tuple[str, np.ndarray]] = {}  # encode id -> anchor
        self._traversal_shape = (0, 0)
        for box in self.anchors.values():
            box.reset()
        self.path.reset()
        self.frame.clear()
        self.strip.clear()
        self.classes.reset()
        self.dims.clear()
        self.arith.reset()
        self.traversal.clear()
        self.progress.hide()
        self.status.setText(EMPTY_TEXT)
        self._set_model_kind(None)

    def _set_model_kind(self, kind: str | None) -> None:
        """Adapt the controls to no model (None), LATENT (VAE/GAN) or DIFFUSION."""
        self.kind = kind
        latent, diffusion = kind == LATENT, kind == DIFFUSION
        for box in self.anchors.values():
            box.setEnabled(kind is not None)
        self.anchors["C"].setVisible(not diffusion)
        self.path.setEnabled(kind is not None)
        self.tabs.setEnabled(latent)
        two = self.model is not None and has_first_stage(self.model.capabilities)
        self.tabs.setToolTip("" if latent or kind is None else
                             "Latent diffusion's noise x_T: its values are the sampler's "
                             "start, not features; interpolate between seeds with the "
                             "slider, or choose “Autoencoder latents” to edit values" if two
                             else "Diffusion models: the latent is the starting noise image; "
                             "interpolate between seeds with the slider")
        self.export_button.setEnabled(kind is not None)
        self.path.steps.setVisible(diffusion)
        if diffusion and two:
            assert self.model is not None
            shape = shape_text(self.model.capabilities.latent_shape)
            self.dims.note.setText(f"The noise x_T ({shape}) is where the sampler starts, "
                                   "not a feature to slide: choose “Autoencoder latents” "
                                   "above the anchors to edit the autoencoder's values.")
        elif diffusion:
            self.dims.note.setText("Diffusion models have no small latent to slide: their "
                                   "latent is the starting noise image.")
        if diffusion:
            for box in self.anchors.values():
                box.set_sources_allowed({RANDOM})
            self.path.method.blockSignals(True)
            self.path.method.setCurrentIndex(self.path.method.findData("slerp"))
            self.path.method.blockSignals(False)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.isVisible():
            self.status.setText(f"<span style='color:{text_colour('error')}'>{message}</span>")
