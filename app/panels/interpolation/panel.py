"""The Interpolation panel: walk between latents, along dimensions, and do latent arithmetic.

GUI thread only. VAEs and GANs decode through the latent map's controller
(`session.latent`: its model copy and decode thread, latest-wins channels "interp" for the
live frame, "strip", "traversal" and "anchorA/B/C"); the panel follows its map (dataset
images, labels, latent means). Diffusion models interpolate between two seeds' noises
under deterministic DDIM: frames are computed in the background (NoisePathController),
cached, and the α slider scrubs the cache while the progress bar shows it filling in.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
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
from app.panels.interpolation.anchors import DATASET, FILE, MAP, RANDOM, AnchorBox
from app.panels.interpolation.animation import Animator
from app.panels.interpolation.controls import (
    ALPHA_STEPS,
    ARITH,
    DIMS,
    PATH,
    ArithmeticTab,
    ClassControls,
    PathControls,
    TraversalTab,
)
from app.panels.interpolation.dimensions import DimensionSliders
from app.panels.interpolation.resolve import anchor_from_source
from app.panels.interpolation.restore import capture_state, restore_state
from app.panels.interpolation.state_file import (
    ANCHOR_NAMES,
    InterpolationState,
    load_state,
    save_state,
)
from app.panels.interpolation.views import FrameView, StripView
from app.state import Session
from app.workers.interpolation import (
    DiffusionModelInfo,
    NoisePathController,
    NoisePathRequest,
)
from app.workers.latent import AttributeVector, LatentAnchor, MapData
from models.images import make_grid
from models.latent.interpolation import (
    aggregate_spread,
    class_weights,
    frame_alphas,
    path_latents,
    with_dimension,
)
from models.latent.paths import arithmetic, traversal_grid, traversal_values

EMPTY_TEXT = "Train a model or open a checkpoint to interpolate in its latent space."
DIFFUSION_SUBFRAMES = 4  # cached diffusion frames per strip gap: what the slider scrubs
EXPORT_SCALE = 4


class InterpolationPanel(QWidget):
    """Anchors, a live frame with its α slider, the strip, and tabs for dimensions,
    arithmetic and the traversal grid. Emits livePainted(request id) when a live frame
    reaches the screen (GUI thread)."""

    livePainted = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.jobs = session.latent
        self.noise = NoisePathController(self)
        self.data: MapData | None = None
        self.diffusion: DiffusionModelInfo | None = None
        self.latents: dict[str, np.ndarray | None] = dict.fromkeys(ANCHOR_NAMES)
        self.labels: dict[str, int] = dict.fromkeys(ANCHOR_NAMES, -1)
        self.attribute: AttributeVector | None = None
        self.source = PATH
        self.live_request = 0  # id of the newest live-frame decode
        self.strip_images: np.ndarray | None = None
        self.cache: list[np.ndarray | None] = []  # diffusion frames
        self.cache_alphas = np.zeros(0)
        self._center = np.zeros(0, np.float32)
        self._std = np.ones(0, np.float32)
        self._prior = True
        self._file_requests: dict[int, tuple[str, np.ndarray]] = {}
        # (path, diffusion, from training) of a model to load once shown / training ends
        self._pending_model: tuple[Path, bool, bool] | None = None
        self._pending_state: InterpolationState | None = None
        self._scrub_tag = 0
        self._traversal_shape = (0, 0)
        self._build()
        self._connect()
        self._set_model_kind(None)

    # --- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.anchors = {n: AnchorBox(n) for n in ANCHOR_NAMES}
        self.anchors["C"].setToolTip("Anchor C is used by latent arithmetic (A − B + C)")
        left = QVBoxLayout()
        for box in self.anchors.values():
            left.addWidget(box)
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        left_widget.setMinimumWidth(250)
        left_widget.setMaximumWidth(320)

        self.frame = FrameView()
        self.frame.setObjectName("interpolation_frame")
        self.path = PathControls()
        self.classes = ClassControls()
        self.strip = StripView()
        self.strip.setObjectName("interpolation_strip")
        self.status = QLabel(EMPTY_TEXT)
        self.status.setObjectName("interpolation_status")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(200)
        self.progress.setFormat("frames %v/%m")
        self.progress.hide()
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        # (menu text, default file name, filter, writer); GUI-thread actions only.
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
        self.export_button.setMenu(menu)
        status_row = QHBoxLayout()
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
        self.tabs.setMinimumWidth(270)

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

    def _connect(self) -> None:
        s, j = self.session, self.jobs
        s.modelChanged.connect(self._on_model_changed)
        s.stateChanged.connect(self._on_state_changed)
        s.runReset.connect(self._on_run_reset)
        s.latentSelected.connect(self._on_map_pick)
        s.attributeVectorChanged.connect(self.use_attribute_vector)
        j.mapReady.connect(self._on_map)
        j.decodedRequest.connect(self._on_decoded)
        j.encoded.connect(self._on_encoded)
        j.failed.connect(self._on_failed)
        self.noise.opened.connect(self._on_diffusion_opened)
        self.noise.frameReady.connect(self._on_noise_frame)
        self.noise.ended.connect(self._on_noise_ended)
        self.noise.failed.connect(self._on_failed)
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
        self.frame.painted.connect(self._on_painted)

    # --- which model -------------------------------------------------------------------
    def _set_model_kind(self, kind: str | None) -> None:
        """Adapt the controls to no model (None), "latent" (VAE/GAN) or "diffusion"."""
        latent, diffusion = kind == "latent", kind == "diffusion"
        for box in self.anchors.values():
            box.setEnabled(kind is not None)
        self.anchors["C"].setVisible(not diffusion)
        self.path.setEnabled(kind is not None)
        self.tabs.setEnabled(latent)
        self.tabs.setToolTip("" if latent else "Diffusion models: the latent is the starting "
                             "noise image; interpolate between seeds with the slider")
        self.export_button.setEnabled(kind is not None)
        self.path.steps.setVisible(diffusion)
        if kind is None:
            self.classes.hide()
        if diffusion:
            self.dims.note.setText("Diffusion models have no small latent to slide: their "
                                   "latent is the starting noise image.")
            for box in self.anchors.values():
                box.set_sources_allowed({RANDOM})
            self.path.method.setCurrentIndex(self.path.method.findData("slerp"))

    @Slot(object)
    def _on_model_changed(self, info: object) -> None:
        source = getattr(info, "source", "training")
        path = self.session.checkpoint if source == "training" else Path(source)
        if path is None:
            return
        diffusion = bool(getattr(info, "is_diffusion", False))
        if self.isVisible() and not self.session.state.busy:
            self.open_model(Path(path), diffusion)
        else:  # loading costs CPU the trainer needs: wait until shown / training ends
            self._pending_model = (Path(path), diffusion, source == "training")

    def open_model(self, path: Path, diffusion: bool = False) -> None:
        """Load the checkpoint at `path`: through the latent map's controller (VAE, GAN), or
        the diffusion worker; the panel adapts when it arrives (mapReady / opened)."""
        self._pending_model = None
        if diffusion:
            self.data = None
            self.status.setText("Loading the diffusion model…")
            self.noise.open(path, self.session.device)
            return
        self.diffusion = None
        shown = self.data.path if self.data is not None else None
        if shown is not None and Path(shown).resolve() == Path(path).resolve():
            return  # the latent map already shows this model
        self.status.setText("Loading the model (encoding the dataset)…")
        self.jobs.open(path, self.session.device)

    @Slot(object)
    def _on_state_changed(self, _state: object) -> None:
        if self._pending_model is not None and not self.session.state.busy \
                and self.isVisible():
            self._load_pending()

    def showEvent(self, event: QShowEvent) -> None:
        """Load a model that arrived while the panel was hidden."""
        super().showEvent(event)
        if self._pending_model is not None and not self.session.state.busy:
            QTimer.singleShot(0, self._load_pending)

    @Slot()
    def _load_pending(self) -> None:
        if self._pending_model is not None:
            path, diffusion, training = self._pending_model
            # A run's model: its newest checkpoint (training may have saved another since).
            self.open_model((self.session.checkpoint or path) if training else path,
                            diffusion)

    @Slot()
    def _on_run_reset(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget the model shown."""
        self.animator.stop()
        self.path.play.setChecked(False)
        self.noise.cancel()
        self.data, self.diffusion, self.attribute = None, None, None
        self.latents = dict.fromkeys(ANCHOR_NAMES)
        self.strip_images = None
        self.cache = []
        self.frame.clear()
        self.strip.set_alphas(np.zeros(0))
        self.progress.hide()
        self.status.setText(EMPTY_TEXT)
        self._set_model_kind(None)

    @Slot(object)
    def _on_map(self, data: MapData) -> None:
        """Adopt the latent map's model snapshot: anchors, sliders, classes."""
        self.diffusion = None
        self.noise.cancel()
        self.progress.hide()
        first = self.data is None or self.data.path != data.path
        self.data = data
        self._set_model_kind("latent")
        self._prior = data.has_prior or data.generated
        self._center, self._std = aggregate_spread(data.means)
        if data.kl_per_dim is not None and len(data.kl_per_dim) == data.latent_dim:
            self.dims.set_dimensions(self._center, self._std, data.kl_per_dim, "KL")
        else:  # GANs and AEs: how much each dimension varies over the data
            self.dims.set_dimensions(self._center, self._std, self._std**2, "var")
        allowed = {DATASET, MAP, RANDOM} | (set() if data.generated else {FILE})
        for box in self.anchors.values():
            box.set_dataset_size(len(data.means))
            box.set_sources_allowed(allowed)
        self.classes.setVisible(data.conditional)
        if data.conditional:
            k = int(max(data.labels.max() + 1, len(data.class_names), 1))
            names = [data.class_names[i] if i < len(data.class_names) else str(i)
                     for i in range(k)]
            self.classes.set_classes(names)
        if self.attribute is not None and self.attribute.generation != data.generation:
            self.use_attribute_vector(None)
        what = "generated samples" if data.generated else f"{data.dataset} images"
        self.status.setText(f"{data.family}, epoch {data.epoch}: {data.latent_dim}-D latent, "
                            f"anchors from {len(data.means):,} {what}.")
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.apply_state(state)
            return
        if first:
            self._default_anchors()
        for name, box in self.anchors.items():
            if box.source == FILE and box.file is not None:
                self._on_file_chosen(name, box.file)  # encoded again by this snapshot
            else:
                self.resolve_anchor(name)
        if first and data.conditional:  # each end in its own class, as encoded
            for name, box in (("A", self.classes.class_a), ("B", self.classes.class_b)):
                if 0 <= self.labels[name] < box.count():
                    box.blockSignals(True)
                    box.setCurrentIndex(self.labels[name])
                    box.blockSignals(False)
        self.dims.set_latent(self.latents["A"] if self.latents["A"] is not None
                             else self._center)
        self.refresh()

    def _default_anchors(self) -> None:
        """Start from a 1 and a 7 (and a 0 for C) when the images are labelled digits."""
        assert self.data is not None
        labels = self.data.labels
        for name, digit, fallback in (("A", 1, 0), ("B", 7, 1), ("C", 0, 2)):
            hits = np.flatnonzero(labels == digit)
            index = int(hits[0]) if len(hits) else min(fallback, len(labels) - 1)
            self.anchors[name].set_source(DATASET, index)

    # --- anchors -----------------------------------------------------------------------
    def resolve_anchor(self, name: str) -> None:
        """Turn anchor `name`'s description into a latent, label and thumbnail."""
        box = self.anchors[name]
        if self.data is None:
            return
        r = anchor_from_source(box.source, box.number.value(), self.data,
                           self.session.latent_selection, self._prior, self._center, self._std)
        if r is None:
            return  # a file anchor keeps the latent its encode returned
        self.latents[name], self.labels[name] = r.latent, r.label
        box.show_anchor(r.image, r.text)
        if r.image is None:
            self.decode_anchor(name)

    def decode_anchor(self, name: str) -> None:
        z = self.latents[name]
        if z is not None:
            self._decode(f"anchor{name}", z[None], np.zeros(1), self.class_for(name))

    def class_for(self, name: str) -> int:
        box = self.classes.class_b if name == "B" else self.classes.class_a
        return max(box.currentIndex(), 0)

    @Slot(str)
    def _on_anchor_changed(self, name: str) -> None:
        if self.diffusion is not None:
            self.start_noise_path()
            return
        if self.anchors[name].source == FILE and self.latents[name] is not None \
                and self.anchors[name].file is not None:
            return  # the file's latent stays until another file is chosen
        self.resolve_anchor(name)
        if self.data is not None and self.data.conditional and name in "AB" \
                and self.labels[name] >= 0:
            box = self.classes.class_a if name == "A" else self.classes.class_b
            box.setCurrentIndex(self.labels[name])  # a digit's own class by default
        self.source = ARITH if self.source == ARITH else PATH
        self.refresh()

    @Slot(object)
    def _on_map_pick(self, pick: LatentAnchor) -> None:
        for name, box in self.anchors.items():
            if box.source == MAP:
                self.resolve_anchor(name)
        if any(box.source == MAP for box in self.anchors.values()):
            self.refresh()

    @Slot(str, str)
    def _on_file_chosen(self, name: str, path: str) -> None:
        """Encode the image file at `path` as anchor `name` (models that encode only)."""
        from models.latent.image_file import dark_background, image_for_model

        data = self.data
        if data is None or data.generated:
            self.status.setText("Only models with an encoder can place an image file.")
            return
        _, h, _, c = data.images.shape
        try:
            image = image_for_model(path, c, h, dark_background(data.images[:500]))
        except OSError as exc:
            self.status.setText(f"<span style='color:#b00'>Cannot read {path}: {exc}</span>")
            return
        rid = self.jobs.encode(image[None], np.array([self.class_for(name)]))
        self._file_requests[rid] = (name, image.transpose(1, 2, 0).copy())
        self.anchors[name].show_anchor(image.transpose(1, 2, 0), f"encoding {Path(path).name}…")

    @Slot(int, object)
    def _on_encoded(self, request_id: int, means: np.ndarray) -> None:
        if request_id not in self._file_requests:
            return
        name, image = self._file_requests.pop(request_id)
        self.latents[name] = np.asarray(means[0], np.float32)
        self.labels[name] = -1
        file = self.anchors[name].file or ""
        self.anchors[name].show_anchor(image, f"file {Path(file).name}")
        self.refresh()

    # --- the path ----------------------------------------------------------------------
    def alpha(self) -> float:
        """Return the α the slider is at."""
        return self.path.alpha_value()

    def ready(self) -> bool:
        """Return True when both path anchors have latents."""
        return self.latents["A"] is not None and self.latents["B"] is not None

    def path_latents(self, alphas: float | np.ndarray) -> np.ndarray:
        """Return N×D latents on the path at `alphas` (plus the attribute vector)."""
        a, b = self.latents["A"], self.latents["B"]
        assert a is not None and b is not None
        z = path_latents(a, b, np.atleast_1d(alphas), str(self.path.method.currentData()))
        return z + self._attribute_offset()

    def _attribute_offset(self) -> np.ndarray:
        if self.attribute is None:
            return np.zeros(1, np.float32)
        return (self.arith.strength_value() * self.attribute.vector).astype(np.float32)

    def _weights(self, alphas: np.ndarray) -> np.ndarray:
        k = self.classes.class_a.count()
        ca, cb = self.class_for("A"), self.class_for("B")
        if not self.classes.interpolate.isChecked():
            cb = ca
        return class_weights(ca, cb, np.asarray(alphas, np.float64), k)

    def _decode(self, channel: str, latents: np.ndarray, alphas: np.ndarray,
                label: int | None = None) -> int:
        """Queue a latest-wins decode; conditional models get class weights. Return its id."""
        if self.data is not None and self.data.conditional:
            k = self.classes.class_a.count()
            if label is None:
                weights = self._weights(alphas)
            else:
                weights = np.repeat(np.eye(k, dtype=np.float32)[label][None], len(latents), 0)
            return self.jobs.decode_mixed(channel, latents, weights)
        return self.jobs.decode(channel, latents)

    def refresh(self) -> None:
        """Redraw the strip and the live frame after anchors or path settings changed."""
        self._request_strip()
        self.request_live()

    def _request_strip(self) -> None:
        if self.data is None or not self.ready():
            return
        alphas = frame_alphas(self.path.frames.value(), self.path.extrapolate.isChecked())
        self.strip.alphas = alphas
        self._decode("strip", self.path_latents(alphas), alphas)
        self._mark_strip()

    def live_latent(self) -> np.ndarray | None:
        """Return the latent the live frame shows (None while anchors are missing)."""
        if self.source == DIMS:
            return self.dims.latent.copy()
        if self.source == ARITH:
            a, b, c = (self.latents[n] for n in ANCHOR_NAMES)
            if a is None or b is None or c is None:
                return None
            return arithmetic(a, b, c) + self._attribute_offset()
        if not self.ready():
            return None
        return self.path_latents(self.alpha())[0]

    def request_live(self) -> int:
        """Decode the live frame (latest wins); return the request id (0: nothing to do)."""
        if self.data is None:
            return 0
        z = self.live_latent()
        if z is None:
            return 0
        alpha = np.array([self.alpha() if self.source == PATH else 0.0])
        self.live_request = self._decode("interp", z[None], alpha)
        return self.live_request

    @Slot(int)
    def _on_alpha(self, _value: int) -> None:
        self.path.alpha_label.setText(f"α {self.alpha():.2f}")
        self._mark_strip()
        if self.diffusion is not None:
            self._show_cached()
            return
        self.source = PATH
        self.request_live()

    def _mark_strip(self) -> None:
        if len(self.strip.alphas):
            self.strip.set_current(int(np.argmin(np.abs(self.strip.alphas - self.alpha()))))

    @Slot()
    def _on_path_changed(self, *_: object) -> None:
        if self.diffusion is not None:
            self.start_noise_path()
        elif self.data is not None:
            self.refresh()

    @Slot(bool)
    def _on_extrapolate(self, on: bool) -> None:
        lo, hi = (0.0, 1.0) if on else (-0.5, 1.5)  # the range before the toggle
        alpha = lo + (hi - lo) * self.path.alpha.value() / ALPHA_STEPS
        self.path.alpha.blockSignals(True)
        self.path.set_alpha(alpha)
        self.path.alpha.blockSignals(False)
        self._on_alpha(self.path.alpha.value())
        self._on_path_changed()

    @Slot(int)
    def _on_strip_clicked(self, index: int) -> None:
        if index < len(self.strip.alphas):
            self.path.set_alpha(float(self.strip.alphas[index]))

    # --- animation ---------------------------------------------------------------------
    @Slot(bool)
    def _on_play(self, on: bool) -> None:
        self.path.play.setText("Pause" if on else "Play")
        if on:
            self.animator.bounce = self.path.bounce.isChecked()
            self.animator.set_period(self.path.speed.value())
            self.animator.play(self.path.alpha.value() / ALPHA_STEPS)
        else:
            self.animator.stop()

    @Slot(bool)
    def _on_bounce(self, on: bool) -> None:
        self.animator.bounce = on

    @Slot(float)
    def _on_animation(self, fraction: float) -> None:
        self.path.alpha.setValue(round(fraction * ALPHA_STEPS))

    # --- dimensions, arithmetic, attribute vector, traversal -----------------------------
    @Slot(int, float)
    def _on_dimension(self, dim: int, value: float) -> None:
        self.source = DIMS
        self.request_live()

    @Slot()
    def dims_from_frame(self) -> None:
        """Move the per-dimension sliders to the latent of the frame shown."""
        z = self.live_latent()
        if z is not None:
            self.dims.set_latent(z)
            self.source = DIMS
            self.request_live()

    def set_dimension(self, dim: int, value: float) -> int:
        """Set latent dimension `dim` of the sliders' latent and decode it; return the id."""
        self.dims.set_latent(with_dimension(self.dims.latent, dim, value))
        self.source = DIMS
        return self.request_live()

    @Slot()
    def show_arithmetic(self) -> int:
        """Show A − B + C in the live frame; return the decode request id."""
        self.source = ARITH
        self.frame.caption = "A − B + C"
        return self.request_live()

    @Slot(int)
    def _on_strength(self, _value: int) -> None:
        self.arith.strength_label.setText(f"strength {self.arith.strength_value():+.2f}")
        self.refresh()

    @Slot(object)
    def use_attribute_vector(self, vector: AttributeVector | None) -> None:
        if vector is not None and self.data is not None \
                and vector.generation != self.data.generation:
            vector = None  # from another model snapshot
        self.attribute = vector
        self.arith.strength.setEnabled(vector is not None)
        if vector is None:
            self.arith.vector_note.setText("Select two groups on the latent map (Box or "
                                           "Lasso) to get an attribute vector: "
                                           "mean(A) − mean(B).")
        else:
            self.arith.vector_note.setText(
                f"Attribute vector from the map: {len(vector.group_a):,} points in group A "
                f"minus {len(vector.group_b):,} in group B (length "
                f"{np.linalg.norm(vector.vector):.2f}). Added to every frame × strength.")
        if self.data is not None:
            self.refresh()

    @Slot()
    def request_traversal(self) -> int:
        """Decode the traversal grid (most active dimensions × values); return the id."""
        if self.data is None:
            return 0
        rows = [d for d in self.dims.order[:self.traversal.rows.value()]]
        n = self.traversal.columns.value()
        base = self.dims.latent
        grid = np.concatenate([
            traversal_grid(base, [int(d)], traversal_values(float(self._center[d]),
                                                            float(self._std[d]), n))
            for d in rows])
        self._traversal_shape = (len(rows), n)
        self.traversal.view.caption = "rows: " + ", ".join(f"z{d}" for d in rows) + \
            "  (−3σ … +3σ)"
        # Not "grid": the latent map decodes its manifold grid on that channel of the same
        # controller, and each panel would be handed (and drop) the other's results.
        return self._decode("traversal", grid, np.zeros(len(grid)), self.class_for("A"))

    # --- decoded images ----------------------------------------------------------------
    @Slot(int, str, object)
    def _on_decoded(self, request_id: int, channel: str, images: np.ndarray) -> None:
        if channel == "interp":
            if self.source != ARITH:
                self.frame.caption = f"α {self.alpha():.2f}" if self.source == PATH \
                    else "per-dimension sliders"
            self.frame.show_frame(images[0], request_id, immediate=True)
        elif channel == "strip":
            self.strip_images = images
            self.strip.set_frames(images)
        elif channel.startswith("anchor"):
            name = channel[-1]
            box = self.anchors[name]
            box.show_anchor(images[0], box.description.text())
        elif channel == "traversal":
            _, n = self._traversal_shape
            self.traversal.view.show_frame(make_grid(images, nrow=n, padding=1))

    @Slot(int)
    def _on_painted(self, request_id: int) -> None:
        self.livePainted.emit(request_id)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.isVisible():
            self.status.setText(f"<span style='color:#b00'>{message}</span>")

    # --- diffusion -----------------------------------------------------------------------
    @Slot(object)
    def _on_diffusion_opened(self, info: DiffusionModelInfo) -> None:
        self.data, self.diffusion = None, info
        self._set_model_kind("diffusion")
        self.classes.setVisible(info.conditional)
        if info.conditional:
            names = [info.class_names[i] if i < len(info.class_names) else str(i)
                     for i in range(info.num_classes)]
            self.classes.set_classes(names)
            self.classes.class_b.setEnabled(False)
            self.classes.interpolate.setEnabled(False)
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.apply_state(state)
            return
        self.anchors["A"].set_source(RANDOM, 1)
        self.anchors["B"].set_source(RANDOM, 2)
        self.start_noise_path()

    def start_noise_path(self) -> None:
        """(Re)compute the cached DDIM frames for the seeds and path shown."""
        info = self.diffusion
        if info is None:
            return
        n = self.path.frames.value()
        self.strip.set_alphas(frame_alphas(n, self.path.extrapolate.isChecked()))
        self.strip_images = None
        self.cache_alphas = frame_alphas((n - 1) * DIFFUSION_SUBFRAMES + 1,
                                         self.path.extrapolate.isChecked())
        self.cache = [None] * len(self.cache_alphas)
        seed_a, seed_b = (self.anchors[n_].number.value() for n_ in "AB")
        for name, seed in (("A", seed_a), ("B", seed_b)):
            self.anchors[name].show_anchor(None, f"noise of seed {seed}")
        label = max(self.classes.class_a.currentIndex(), 0) if info.conditional else None
        self.noise.compute(NoisePathRequest(seed_a, seed_b, self.cache_alphas,
                                            self.path.steps.value(),
                                            str(self.path.method.currentData()), label))
        self.progress.setRange(0, len(self.cache))
        self.progress.setValue(0)
        self.progress.show()
        self.frame.clear()
        self.status.setText(f"{info.family}: DDIM frames between the noises of seeds "
                            f"{seed_a} and {seed_b}, computed in the background.")

    @Slot(int, object)
    def _on_noise_frame(self, index: int, image: np.ndarray) -> None:
        if index >= len(self.cache):
            return
        self.cache[index] = image
        self.progress.setValue(sum(f is not None for f in self.cache))
        if index % DIFFUSION_SUBFRAMES == 0:
            self.strip.set_frame(index // DIFFUSION_SUBFRAMES, image)
        if index == 0:
            self.anchors["A"].show_anchor(image, self.anchors["A"].description.text())
        if index == len(self.cache) - 1:
            self.anchors["B"].show_anchor(image, self.anchors["B"].description.text())
        self._show_cached()

    @Slot(str)
    def _on_noise_ended(self, status: str) -> None:
        strip = [f for f in self.cache[::DIFFUSION_SUBFRAMES] if f is not None]
        if status == "done" and strip:
            self.progress.hide()
            self.strip_images = np.stack(strip)

    def nearest_cached(self, alpha: float) -> int | None:
        """Return the index of the computed diffusion frame nearest `alpha` (None: none yet)."""
        done = [i for i, f in enumerate(self.cache) if f is not None]
        if not done:
            return None
        return min(done, key=lambda i: abs(self.cache_alphas[i] - alpha))

    def _show_cached(self) -> None:
        i = self.nearest_cached(self.alpha())
        if i is not None:
            self._scrub_tag += 1
            self.frame.caption = f"α {self.cache_alphas[i]:.2f}"
            image = self.cache[i]
            assert image is not None
            self.frame.show_frame(image, self._scrub_tag, immediate=True)

    # --- state and export ----------------------------------------------------------------
    def current_state(self) -> InterpolationState:
        """Return what is shown: model, anchors with their latents, path settings."""
        return capture_state(self)
    def save_state(self, path: str | Path) -> Path:
        """Write the state as JSON; return its path."""
        return save_state(self.current_state(), path)

    def open_state(self, path: str | Path) -> None:
        """Restore a saved state, loading its model first when another one is shown."""
        state = load_state(path)
        shown = self.diffusion.path if self.diffusion is not None else (
            self.data.path if self.data is not None else None)
        if state.checkpoint and (shown is None or
                                 Path(shown).resolve() != Path(state.checkpoint).resolve()):
            self._pending_state = state
            self.open_model(Path(state.checkpoint), state.is_diffusion)
            return
        self.apply_state(state)

    def apply_state(self, state: InterpolationState) -> None:
        """Show `state` on the model loaded now (latents are taken as stored)."""
        restore_state(self, state)
    def _export_frames(self) -> np.ndarray:
        if self.strip_images is None or not len(self.strip_images):
            raise RuntimeError("there is no strip to export yet")
        return self.strip_images

    def export_png(self, path: str | Path) -> Path:
        """Write the strip as one PNG (frames enlarged 4×); return its path."""
        return export.write_strip_png(self._export_frames(), path, EXPORT_SCALE)

    def export_gif(self, path: str | Path) -> Path:
        """Write the strip's frames as a GIF (bounce and speed as set); return its path."""
        frames = self._export_frames()
        fps = (len(frames) - 1) / self.path.speed.value()
        return export.write_gif(frames, path, max(fps, 1.0), self.path.bounce.isChecked(),
                                EXPORT_SCALE)

    def export_mp4(self, path: str | Path) -> Path:
        """Write the strip's frames as an MP4 (needs ffmpeg); return its path."""
        frames = self._export_frames()
        fps = (len(frames) - 1) / self.path.speed.value()
        return export.write_mp4(frames, path, max(fps, 1.0), self.path.bounce.isChecked(),
                                EXPORT_SCALE)

    def _export_dialog(self, title: str, name: str, filt: str, write: object) -> None:
        path, _ = QFileDialog.getSaveFileName(self, title.rstrip("…"), name, filt)
        if not path:
            return
        suffix = Path(name).suffix
        if not path.lower().endswith(suffix):
            path += suffix
        try:
            written = write(path)  # type: ignore[operator]
            self.status.setText(f"Saved {written}")
        except (OSError, RuntimeError, ValueError) as exc:
            self.status.setText(f"<span style='color:#b00'>Could not write {path}: "
                                f"{exc}</span>")

    @Slot()
    def _open_state_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an interpolation", "",
                                              "Interpolation state (*.json)")
        if path:
            try:
                self.open_state(path)
            except (OSError, ValueError) as exc:
                self.status.setText(f"<span style='color:#b00'>Cannot open {path}: "
                                    f"{exc}</span>")

    def shutdown(self, timeout_ms: int = 2000) -> bool:
        """Stop the animation and join the diffusion thread; True if it joined in time."""
        self.animator.stop()
        return self.noise.shutdown(timeout_ms)
