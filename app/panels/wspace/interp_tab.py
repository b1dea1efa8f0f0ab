"""The "Z vs W" tab: the path between sources A and B in Z (slerp) and in W (lerp) as two
filmstrips under one slider, and the perceptual path length of each space, measured as a
job with progress and Stop (GUI thread)."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.wspace.jobs import LONG_LANE, Paths, PPLProgress, PPLResult, ppl_work
from app.panels.wspace.profile import PathProfile
from app.panels.wspace.runner import Runner
from app.panels.wspace.strip import FrameStrip
from app.theme import coloured, style_text

FEATURES_TEXT = "using the bundled digit classifier's features (not VGG/LPIPS)"
PPL_CHANNEL = "wspace-ppl"
NO_Z_TEXT = ("A projected digit exists only in W (it has no z): the Z path needs two "
             "seeds.")
Z_TITLE = "Z: slerp of z between the sources, each point mapped to w"
W_TITLE = "W: lerp of w between the sources"


def path_total(steps: np.ndarray | None, frames: np.ndarray | None) -> str:
    """Return " — this path: L = … (Σ distance between frames)", what stands for it without
    a classifier, or "" without frames."""
    if frames is None:
        return ""
    if steps is None or not len(steps):
        return " — no digit classifier fits these images: no path length"
    return f" — this path: L = {float(np.sum(steps)):.2f} (Σ distance between frames)"


class InterpolationTab(QWidget):
    """Two filmstrips (Z, W) sharing a slider, and the PPL of each space (GUI thread)."""

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.paths: Paths | None = None
        self.result: PPLResult | None = None
        self._ppl_running = False
        self._measuring_epoch = self._result_epoch = 0
        # Frames of at least 84 px: the plot beside the PPL takes the height left over.
        self.z_strip = FrameStrip(Z_TITLE, min_side=84)
        self.z_strip.setObjectName("wspace_z_strip")
        self.w_strip = FrameStrip(W_TITLE, min_side=84)
        self.w_strip.setObjectName("wspace_w_strip")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("wspace_alpha")
        self.slider.setToolTip("α along both paths: the frame outlined in each strip")
        self.alpha_label = QLabel("α = 0.00")
        self.alpha_label.setMinimumWidth(self.alpha_label.fontMetrics()
                                         .horizontalAdvance("α = 0.000") + 4)
        for strip in (self.z_strip, self.w_strip):
            strip.frameClicked.connect(self.slider.setValue)
            # Both at their size hint: equal heights give equal frames, one above the other.
            strip.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.valueChanged.connect(self._on_alpha)

        self.pairs = QSpinBox()
        self.pairs.setObjectName("wspace_ppl_pairs")
        self.pairs.setRange(16, 10_000)
        self.pairs.setSingleStep(64)
        self.pairs.setValue(256)
        self.pairs.setToolTip("Random pairs of latents per space (StyleGAN: 100,000)")
        self.measure_button = QPushButton("Measure PPL")
        self.measure_button.setObjectName("wspace_ppl_run")
        self.measure_button.setToolTip("Perceptual path length of Z and of W: E[d(G(p(t)), "
                                       "G(p(t+ε)))/ε²] over random pairs, d the squared "
                                       "distance of the digit classifier's features")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("wspace_ppl_stop")
        self.progress = QProgressBar()
        self.progress.setObjectName("wspace_ppl_progress")
        self.progress.setMaximumWidth(200)
        self.profile = PathProfile()
        self.ppl_label = QLabel()
        self.ppl_label.setObjectName("wspace_ppl_result")
        self.ppl_label.setWordWrap(True)
        self.measure_button.clicked.connect(self.measure)
        self.stop_button.clicked.connect(self.stop)

        alpha_row = QHBoxLayout()
        alpha_row.addWidget(QLabel("α"))
        alpha_row.addWidget(self.slider, 1)
        alpha_row.addWidget(self.alpha_label)
        ppl_row = QHBoxLayout()
        ppl_row.addWidget(QLabel("Perceptual path length, pairs"))
        ppl_row.addWidget(self.pairs)
        ppl_row.addWidget(self.measure_button)
        ppl_row.addWidget(self.stop_button)
        ppl_row.addWidget(self.progress)
        ppl_row.addStretch(1)
        note = QLabel(f"Path lengths {FEATURES_TEXT}: compare Z with W, or checkpoints, never "
                      "with published PPL figures.")
        note.setWordWrap(True)
        style_text(note, "muted")
        measures = QVBoxLayout()
        measures.addLayout(ppl_row)
        measures.addWidget(self.ppl_label, 1, Qt.AlignmentFlag.AlignTop)
        measures.addWidget(note)
        bottom = QHBoxLayout()
        bottom.addLayout(measures, 3)
        bottom.addWidget(self.profile, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.z_strip)
        layout.addWidget(self.w_strip)
        layout.addLayout(alpha_row)
        layout.addLayout(bottom, 1)
        self.clear()

    # --- the paths -------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the paths and the PPL measured (a running measurement is stopped)."""
        self.stop()
        self.paths = self.result = None
        for strip, title in ((self.z_strip, Z_TITLE), (self.w_strip, W_TITLE)):
            strip.title = title
            strip.placeholder = "Open a StyleGAN to interpolate."
            strip.set_frames(None)
        self.slider.setRange(0, 0)
        self.profile.show_steps(None, None)
        self.ppl_label.setText("")
        self.progress.reset()
        self._update_buttons()

    def show_paths(self, paths: Paths) -> None:
        """Draw the two paths (the slider keeps its place when the step count is kept)."""
        self.paths = paths
        n = len(paths.w_frames)
        keep = self.slider.maximum() == n - 1
        captions = [f"{a:.2f}" for a in np.linspace(0.0, 1.0, n)]
        self.z_strip.title = Z_TITLE + path_total(paths.z_steps, paths.z_frames)
        self.z_strip.placeholder = NO_Z_TEXT
        self.z_strip.set_frames(paths.z_frames, captions)
        self.w_strip.title = W_TITLE + path_total(paths.w_steps, paths.w_frames)
        self.w_strip.set_frames(paths.w_frames, captions)
        self.profile.show_steps(paths.z_steps, paths.w_steps)
        self.slider.setRange(0, n - 1)
        if not keep:
            self.slider.setValue(n // 2)
        self._on_alpha(self.slider.value())
        self._update_buttons()

    def _on_alpha(self, index: int) -> None:
        n = max(2, self.slider.maximum() + 1)
        self.alpha_label.setText(f"α = {index / (n - 1):.2f}")
        self.z_strip.set_current(index)
        self.w_strip.set_current(index)

    # --- perceptual path length ---------------------------------------------------------------
    def measure(self) -> None:
        """Measure the PPL of Z and W as a job on the long lane (one at a time)."""
        pairs = self.pairs.value()
        job = self.runner.submit(LONG_LANE, PPL_CHANNEL,
                                 lambda m, c: ppl_work(m, c, pairs), self._on_event,
                                 self._on_done)
        if job is None:
            return
        self._ppl_running = True
        self._measuring_epoch = self.runner.model.epoch if self.runner.model else 0
        self.progress.setRange(0, 2 * pairs)
        self.progress.setValue(0)
        self.ppl_label.setText(f"Measuring the PPL of Z and W over {pairs:,} pairs each…")
        self._update_buttons()

    def stop(self) -> None:
        """Stop the measurement under way (it ends between two chunks of pairs)."""
        if self._ppl_running:
            self.runner.cancel(LONG_LANE, PPL_CHANNEL)
            self._ppl_running = False
            self.progress.reset()
            self.ppl_label.setText("PPL stopped." if self.result is None else
                                   "Stopped; shown: the previous measurement. "
                                   + self._result_text(self.result))
            self._update_buttons()

    def _on_event(self, ev: object) -> None:
        if not self._ppl_running:
            return
        if isinstance(ev, PPLProgress):
            self.progress.setRange(0, ev.total)
            self.progress.setValue(ev.done)
        elif isinstance(ev, PPLResult):
            self.result, self._result_epoch = ev, self._measuring_epoch
            self.ppl_label.setText(self._result_text(ev))

    def _on_done(self, status: str) -> None:
        if status != "done" and self._ppl_running:
            self.ppl_label.setText(coloured(html.escape(f"PPL {status}."), "error"))
        self._ppl_running = False
        self._update_buttons()

    def _result_text(self, r: PPLResult) -> str:
        ratio = r.z.mean / r.w.mean if r.w.mean > 0 else float("inf")
        return (f"Epoch {self._result_epoch}: <b>PPL Z = {r.z.mean:,.1f}</b> "
                f"(median {r.z.median:,.1f}), "
                f"<b>PPL W = {r.w.mean:,.1f}</b> (median {r.w.median:,.1f}); "
                f"Z / W = {ratio:.2f} ({r.w.pairs:,} pairs each, ε = {r.w.epsilon:g}). "
                "Shorter is smoother.")

    def _update_buttons(self) -> None:
        has_model = self.runner.model is not None
        self.measure_button.setEnabled(has_model and not self._ppl_running)
        self.stop_button.setEnabled(self._ppl_running)
        self.pairs.setEnabled(not self._ppl_running)

    @property
    def measuring(self) -> bool:
        """Return True while the PPL is being measured."""
        return self._ppl_running
