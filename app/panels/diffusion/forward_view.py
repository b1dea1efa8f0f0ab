"""The forward process q(x_t | x_0): a dataset image dissolving into noise as t grows.

GUI thread only, numpy only: x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε with one fixed ε, so moving the
slider changes only the mix and the image dissolves smoothly. Plots of β_t, ᾱ_t and log-SNR
carry a cursor at t that can also be dragged.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.diffusion.display import latent_mosaic, to_display
from app.panels.diffusion.image_pane import ImagePane
from app.panels.diffusion.model_info import DiffusionModelInfo

CURSOR_PEN = pg.mkPen("#d62728", width=2)
FORWARD_TITLES = {"x0": "x_0 (data)", "eps": "ε (fixed noise)",
                  "x_t": "x_t = √ᾱ·x_0 + √(1−ᾱ)·ε"}
# Latent diffusion noises the data's latents: channels 1–4 in reading order, false colour.
FORWARD_TITLES_LATENT = {"x0": "x_0 latent (data encoded), channels", "eps": "ε (fixed noise)",
                         "x_t": "x_t latent = √ᾱ·x_0 + √(1−ᾱ)·ε"}


class ForwardView(QWidget):
    """Image chooser, t slider (0 = the data itself, T = almost pure noise), three panes
    (x_0, ε, x_t) and the schedule plots with a cursor at t."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info: DiffusionModelInfo | None = None
        self.x_t: np.ndarray | None = None  # C×S×S in the UNet frame, at the slider's t
        self._moving_cursor = False

        self.image_spin = QSpinBox()
        self.image_spin.setObjectName("forward_image")
        self.image_spin.setToolTip("Which dataset image to noise")
        self.t_slider = QSlider(Qt.Orientation.Horizontal)
        self.t_slider.setObjectName("forward_t")
        self.t_slider.setToolTip("Timestep t: 0 is the image itself, T is (almost) pure noise")
        self.t_label = QLabel()
        self.t_label.setMinimumWidth(330)
        font = self.t_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.t_label.setFont(font)

        top = QHBoxLayout()
        top.addWidget(QLabel("Image"))
        top.addWidget(self.image_spin)
        top.addSpacing(12)
        top.addWidget(QLabel("t"))
        top.addWidget(self.t_slider, 1)
        top.addWidget(self.t_label)

        self.panes = {key: ImagePane(title) for key, title in FORWARD_TITLES.items()}
        panes = QHBoxLayout()
        for pane in self.panes.values():
            panes.addWidget(pane, 1)

        self.plots: dict[str, pg.PlotWidget] = {}
        self.cursors: dict[str, pg.InfiniteLine] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        plots = QHBoxLayout()
        for key, title in (("beta", "β_t"), ("alpha_bar", "ᾱ_t"), ("log_snr", "log SNR(t)")):
            plot = pg.PlotWidget()
            plot.setObjectName(f"forward_plot_{key}")
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setTitle(title)
            plot.setLabel("bottom", "t")
            plot.setMinimumHeight(150)
            plot.setMaximumHeight(220)
            self.curves[key] = plot.plot(pen=pg.mkPen("#1f77b4", width=2))
            cursor = pg.InfiniteLine(angle=90, movable=True, pen=CURSOR_PEN)
            cursor.sigPositionChanged.connect(self._on_cursor_moved)
            plot.addItem(cursor)
            self.cursors[key] = cursor
            self.plots[key] = plot
            plots.addWidget(plot, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(panes, 1)
        layout.addLayout(plots)

        self.image_spin.valueChanged.connect(self._update)
        self.t_slider.valueChanged.connect(self._update)
        self.set_model(None)

    def set_model(self, info: DiffusionModelInfo | None) -> None:
        """Show `info`'s data and schedule (None: empty panes)."""
        self.info = info
        has_data = info is not None and len(info.data_x0) > 0
        for pane in self.panes.values():
            pane.placeholder = ("Open or train a diffusion model to see its forward process."
                                if info is None else "No dataset images to noise.")
        self.image_spin.setEnabled(has_data)
        self.t_slider.setEnabled(info is not None)
        if info is None:  # back to a new window's view: no curves, no images, t = 0
            self.image_spin.setRange(0, 0)
            self.t_slider.setRange(0, 0)
            self.x_t = None
            for key in self.curves:
                self.curves[key].setData([], [])
            for pane in self.panes.values():
                pane.set_image(None)
            self.t_label.setText("")
            return
        T = info.num_train_timesteps
        t = np.arange(1, T + 1)
        for key, values in (("beta", info.beta), ("alpha_bar", info.alpha_bar),
                            ("log_snr", info.log_snr)):
            self.curves[key].setData(t, values)
            self.cursors[key].setBounds((0, T))
        self.image_spin.setRange(0, max(0, len(info.data_x0) - 1))
        self.t_slider.setRange(0, T)
        self.t_slider.setPageStep(max(1, T // 20))
        latent = info.latent
        for key, title in (FORWARD_TITLES_LATENT if latent else FORWARD_TITLES).items():
            self.panes[key].set_title(title)
        self._update()

    def _image(self, x: np.ndarray, kind: str) -> np.ndarray:
        """Return one UNet-frame array as a pane's image (latents: channels, 2×2)."""
        info = self.info
        assert info is not None
        if info.latent:
            return latent_mosaic(x)
        return to_display(x[None], kind, info.image_size)[0]

    def set_t(self, t: int) -> None:
        """Move the slider to timestep `t` (0..T)."""
        self.t_slider.setValue(t)

    @Slot()
    def _update(self) -> None:
        info = self.info
        if info is None:
            return
        t = self.t_slider.value()
        T = info.num_train_timesteps
        # t = 0 is the data itself; t ≥ 1 uses diffusers' timestep index t − 1.
        ab = 1.0 if t == 0 else float(info.alpha_bar[t - 1])
        snr = f"{np.log(ab / (1 - ab)):+.2f}" if 0 < t else "∞"
        self.t_label.setText(f"t = {t} / {T}   ᾱ = {ab:.4f}   √ᾱ = {ab ** 0.5:.3f}   "
                             f"log SNR = {snr}")
        self._moving_cursor = True
        for cursor in self.cursors.values():
            cursor.setValue(t)
        self._moving_cursor = False
        noise = info.forward_noise
        self.panes["eps"].set_image(self._image(noise, "x_t"))
        if len(info.data_x0) == 0:
            self.x_t = None
            return
        x0 = info.data_x0[self.image_spin.value()]
        self.x_t = (np.sqrt(ab) * x0 + np.sqrt(1.0 - ab) * noise).astype(np.float32)
        self.panes["x0"].set_image(self._image(x0, "x0"))
        self.panes["x_t"].set_image(self._image(self.x_t, "x_t"))

    @Slot(object)
    def _on_cursor_moved(self, line: pg.InfiniteLine) -> None:
        if not self._moving_cursor:
            self.t_slider.setValue(round(line.value()))
