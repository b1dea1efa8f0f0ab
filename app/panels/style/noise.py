"""The noise section: per-layer noise on or off, the noise mode, and what the noise
controls: several draws of fresh noise for one w and their per-pixel standard deviation."""

from __future__ import annotations

from functools import partial
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.jobs import JobService
from app.panels.style.choices import Layers
from app.panels.style.jobs import CHANNEL, LANE
from app.panels.style.render import Frame, StyleRenderer
from app.panels.style.tiles import heat_top
from app.panels.style.view import LabelledFrame
from app.theme import style_text

DRAWS = 8
MODES = (("const", "const (fixed noise)"), ("random", "random (fresh each time)"),
         ("none", "none"))


class NoiseSection(QWidget):
    """Noise mode, a check box per noise layer, Resample; the picture: the image with
    that noise | draws of fresh noise on the layers ticked | their std as a heat map
    (GUI thread)."""

    def __init__(self, jobs: JobService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.renderer: StyleRenderer | None = None
        self.active = False
        self.frame: Frame | None = None  # the picture shown
        self._request = 0
        self.seed = QSpinBox()
        self.seed.setObjectName("style_noise_seed")
        self.seed.setRange(0, 1_000_000)
        self.seed.valueChanged.connect(self.request)
        self.mode = QComboBox()
        self.mode.setObjectName("style_noise_mode")
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.mode.setToolTip("The noise of the image on the left (the draws always take "
                             "fresh noise on the layers ticked)")
        self.mode.currentIndexChanged.connect(self.request)
        self.resample = QPushButton("Resample noise")
        self.resample.setObjectName("style_noise_resample")
        self.resample.setToolTip(f"{DRAWS} new draws of the noise for the same w")
        self.resample.clicked.connect(self.request)
        self.boxes: list[QCheckBox] = []
        self.boxes_row = QHBoxLayout()
        self.boxes_row.addWidget(QLabel("Noise on"))
        self.boxes_row.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(QLabel("Image"))
        top.addWidget(self.seed)
        top.addWidget(QLabel("Noise"))
        top.addWidget(self.mode)
        top.addWidget(self.resample)
        top.addStretch(1)
        self.view = LabelledFrame()
        self.status = QLabel()
        self.status.setWordWrap(True)
        style_text(self.status, "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(self.boxes_row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

    def set_layers(self, layers: Layers | None) -> None:
        """Make a check box per noise layer of `layers`, all ticked (None: none)."""
        for box in self.boxes:
            self.boxes_row.removeWidget(box)
            box.deleteLater()
        self.boxes = []
        for i, name in enumerate(layers.noise_names if layers is not None else ()):
            box = QCheckBox(name)
            box.setObjectName(f"style_noise_layer_{i}")
            box.setChecked(True)
            box.toggled.connect(self.request)
            self.boxes_row.insertWidget(self.boxes_row.count() - 1, box)
            self.boxes.append(box)

    def set_renderer(self, renderer: StyleRenderer | None) -> None:
        """Draw with `renderer` (None: show nothing)."""
        self.renderer = renderer
        self.frame = None
        if renderer is None:
            self.view.clear()
            self.status.clear()
            return
        self.request()

    def set_active(self, active: bool) -> None:
        """Make this the section on screen; render if nothing is shown yet."""
        self.active = active
        if active and self.frame is None:
            self.request()

    def noise_layers(self) -> tuple[bool, ...]:
        """Return one bool per noise layer: its noise on."""
        return tuple(box.isChecked() for box in self.boxes)

    def request(self, *_args: Any) -> None:
        """Render the image and new noise draws with the settings shown (latest wins)."""
        if self.renderer is None or not self.active or not self.boxes:
            return
        self._request += 1
        seed, mode, layers = self.seed.value(), self.mode.currentData(), self.noise_layers()
        renderer = self.renderer

        def work(_job: object) -> Any:
            yield renderer.noise(seed, mode, layers, DRAWS)

        self.jobs.submit(LANE, work, channel=CHANNEL,
                         on_event=partial(self._on_frame, self._request, seed, mode),
                         on_error=self._on_error)

    def _on_frame(self, request: int, seed: int, mode: str, frame: Frame) -> None:
        if request != self._request:
            return
        self.frame = frame
        on = sum(self.noise_layers())
        self.view.caption = (f"Seed {seed}, noise {mode} | {DRAWS} draws of fresh noise on "
                             f"{on} of {len(self.boxes)} layers | their per-pixel std "
                             f"(black 0, white {heat_top(frame.extra['std']):.3f} "
                             f"of the 0–1 pixel range)")
        self.view.labels = frame.labels
        self.view.show_frame(frame.picture)
        self.status.setText("Bright where the noise inputs change the picture, dark where "
                            "the styles alone decide it; untick layers to see which "
                            "layers' noise does what.")

    def _on_error(self, message: str, _traceback: str) -> None:
        self.status.setText(f"Could not render: {message}")
