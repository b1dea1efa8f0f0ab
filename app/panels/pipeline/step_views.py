"""The Pipeline dock's pictures: the step slider and the tabs showing run A (and run B or
A's branch) at the slider's step — x̂0 and the latent, guidance decomposed, a token's
attention, the mode's input images and the mask brush — and the filmstrip of run A's x̂0
under them (GUI thread)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.panels.diffusion.image_pane import ImagePane
from app.panels.pipeline.display import (
    attention_overlay,
    costs,
    heat,
    latent_grid,
    normalised_map,
)
from app.panels.pipeline.filmstrip import StepStrip
from app.panels.pipeline.mask_brush import MaskCanvas
from app.panels.pipeline.record import (
    BRANCHES,
    DECODER_LABELS,
    PipelineRun,
    differences,
    matching_index,
)
from app.widgets.elided_label import ElidedLabel

BRANCH_TITLES = {"uncond": "Unconditional x̂0", "cond": "Conditional x̂0",
                 "guided": "Guided x̂0"}
STEPS_TAB, GUIDANCE_TAB, ATTENTION_TAB = 0, 1, 2
PLAY_MS = 150  # a recorded step shown this long while playing
# Special tokens and padding carry no word: the picker lists the prompt's own tokens.
SPECIAL = ("<|startoftext|>", "<|endoftext|>", "<pad>")


def _pane(title: str, side: int = 120) -> ImagePane:
    return ImagePane(title, min_side=side, title_scale=1.0)


class PipelineViews(QWidget):
    """The slider over recorded steps and the tabs of pictures."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("pipeline_step_slider")
        self.slider.setRange(0, 0)
        self.step_label = QLabel("Step –")
        self.step_label.setMinimumWidth(150)
        self.play = QPushButton("Play")
        self.play.setObjectName("pipeline_play")
        self.play.setCheckable(True)
        self.play.setToolTip("Step through the recorded steps from the one shown to the last")
        self.play.toggled.connect(self._on_play)
        self.play_timer = QTimer(self)
        self.play_timer.setInterval(PLAY_MS)
        self.play_timer.timeout.connect(self._advance)
        bar.addWidget(self.play)
        bar.addWidget(QLabel("Step"))
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.step_label)
        layout.addLayout(bar)
        self.cost_label = ElidedLabel("")
        self.cost_label.setObjectName("pipeline_costs")
        layout.addWidget(self.cost_label)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._steps_tab(), "Steps")
        self.tabs.addTab(self._guidance_tab(), "Guidance")
        self.tabs.addTab(self._attention_tab(), "Attention")
        self.tabs.addTab(self._input_tab(), "Input")
        layout.addWidget(self.tabs, 1)
        self.strip = StepStrip()
        self.strip.setObjectName("pipeline_filmstrip")
        self.strip.setVisible(False)  # until a run has steps
        layout.addWidget(self.strip)
        self.status = ElidedLabel("Open a pipeline folder: File › Open model, or File › "
                                  "Models on this computer.")
        self.status.setObjectName("pipeline_status")
        layout.addWidget(self.status)

    # --- the tabs -----------------------------------------------------------------------
    def _steps_tab(self) -> QWidget:
        tab = QWidget()
        grid = QGridLayout(tab)
        self.compare_label = ElidedLabel("")
        self.compare_label.setObjectName("pipeline_compare")
        grid.addWidget(self.compare_label, 0, 0, 1, 2)
        self.a_image = _pane("Run A · x̂0")
        self.a_latent = _pane("Run A · latent x_t (channels)")
        self.b_image = _pane("Branch · x̂0")
        self.b_latent = _pane("Branch · latent x_t (channels)")
        self.a_image.placeholder = "Press Run: each step's x̂0 appears here as it completes"
        self.a_latent.placeholder = "The latent x_t, a tile per channel (blue < 0 < red)"
        grid.addWidget(self.a_image, 1, 0)
        grid.addWidget(self.a_latent, 2, 0)
        grid.addWidget(self.b_image, 1, 1)
        grid.addWidget(self.b_latent, 2, 1)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(2, 2)
        self.set_branch_visible(False)
        return tab

    def _guidance_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        row = QHBoxLayout()
        self.guidance_panes = {b: _pane(BRANCH_TITLES[b]) for b in BRANCHES}
        for pane in self.guidance_panes.values():
            pane.placeholder = "Run with guidance above 1"
            row.addWidget(pane)
        layout.addLayout(row, 1)
        self.guidance_note = QLabel("The guided prediction is unconditional + w × "
                                    "(conditional − unconditional), at the step shown.")
        self.guidance_note.setWordWrap(True)
        layout.addWidget(self.guidance_note)
        return tab

    def _attention_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Token"))
        self.token = QComboBox()
        self.token.setObjectName("pipeline_token")
        self.token.setMinimumContentsLength(12)
        pick.addWidget(self.token)
        pick.addStretch(1)
        layout.addLayout(pick)
        row = QHBoxLayout()
        self.attention_pane = _pane("Attention over x̂0")
        self.attention_map = _pane("Attention map (latent cells)")
        self.attention_pane.placeholder = "Run with a prompt, then pick one of its tokens"
        row.addWidget(self.attention_pane)
        row.addWidget(self.attention_map)
        layout.addLayout(row, 1)
        return tab

    def _input_tab(self) -> QWidget:
        tab = QWidget()
        layout = QHBoxLayout(tab)
        self.mask_box = QWidget()
        brush = QVBoxLayout(self.mask_box)
        brush.setContentsMargins(0, 0, 0, 0)
        tools = QHBoxLayout()
        self.paint = QRadioButton("Paint")
        self.erase = QRadioButton("Erase")
        self.paint.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.paint)
        group.addButton(self.erase)
        self.brush_size = QSpinBox()
        self.brush_size.setRange(1, 256)
        self.brush_size.setValue(3)
        self.brush_size.setPrefix("brush ")
        self.brush_size.setSuffix(" px")
        self.clear_mask = QPushButton("Clear")
        for w in (self.paint, self.erase, self.brush_size, self.clear_mask):
            tools.addWidget(w)
        tools.addStretch(1)
        brush.addLayout(tools)
        self.mask = MaskCanvas()
        self.mask.setObjectName("pipeline_mask")
        brush.addWidget(self.mask, 1)
        brush.addWidget(QLabel("Paint the area to repaint (red)."))
        self.paint.toggled.connect(lambda on: setattr(self.mask, "erasing", not on))
        self.brush_size.valueChanged.connect(lambda v: setattr(self.mask, "brush", v))
        self.clear_mask.clicked.connect(self.mask.clear_mask)
        layout.addWidget(self.mask_box, 1)
        self.input_pane = _pane("Input image")
        self.noised_pane = _pane("Noised input (the run's start)")
        layout.addWidget(self.input_pane, 1)
        layout.addWidget(self.noised_pane, 1)
        return tab

    # --- playing ------------------------------------------------------------------------
    @Slot(bool)
    def _on_play(self, on: bool) -> None:
        if on and self.slider.value() >= self.slider.maximum():
            self.slider.setValue(self.slider.minimum())  # played to the end: start over
        self.play.setText("Pause" if on else "Play")
        if on:
            self.play_timer.start()
        else:
            self.play_timer.stop()

    @Slot()
    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play.setChecked(False)
        else:
            self.slider.setValue(self.slider.value() + 1)

    # --- showing --------------------------------------------------------------------------
    def set_branch_visible(self, visible: bool) -> None:
        """Show or hide run B's (or the branch's) column and the line comparing it."""
        self.b_image.setVisible(visible)
        self.b_latent.setVisible(visible)
        self.compare_label.setVisible(visible)

    def set_tokens(self, tokens: list[str]) -> None:
        """Offer the prompt's tokens (their positions in the maps kept as item data)."""
        keep = self.token.currentText()
        self.token.blockSignals(True)
        self.token.clear()
        for pos, tok in enumerate(tokens):
            if tok in SPECIAL:
                continue
            self.token.addItem(f"{tok.replace('</w>', '')}  (#{pos})", pos)
        found = self.token.findText(keep)
        self.token.setCurrentIndex(max(0, found))
        self.token.blockSignals(False)

    def show_step(self, a: PipelineRun | None, b: PipelineRun | None, index: int,
                  decoder: str) -> None:
        """Show step `index` of run A (and of the branch) through `decoder`."""
        if a is None or a.step(index) is None:
            return
        name = DECODER_LABELS[decoder]
        step = a.step(index)
        assert step is not None
        image, at = a.image(index, decoder)
        self.step_label.setText(f"{index + 1} of {a.total} · t = {step.step.timestep:.0f}")
        self.cost_label.set_full_text(costs(step.step.pixels, at, index))
        # Only the tab in view is drawn (a run streams a step every few ms on a tiny
        # pipeline); switching tabs draws the new one (the panel refreshes on it).
        tab = self.tabs.currentIndex()
        if tab == STEPS_TAB:
            self.a_image.set_title(f"Run A · x̂0 ({name})")
            self.a_image.set_image(image)
            self.a_latent.set_image(latent_grid(step.step.x_t))
            self._show_branch(a, b, index, decoder)
        elif tab == GUIDANCE_TAB:
            self._show_guidance(a, index, decoder)
        elif tab == ATTENTION_TAB:
            self._show_attention(a, index, image)

    def _show_branch(self, a: PipelineRun, b: PipelineRun | None, index: int,
                     decoder: str) -> None:
        if b is not None:
            self.compare_label.set_full_text(differences(a, b))
            index = matching_index(a, b, index)
        step = b.step(index) if b is not None else None
        if b is None or step is None:
            self.b_image.set_image(None)
            self.b_latent.set_image(None)
            return
        image, _ = b.image(index, decoder)
        if b.parent is None:
            self.b_image.set_title(f"Run B · x̂0 (step {index + 1} of {b.total})")
            self.b_latent.set_title("Run B · latent x_t (channels)")
        else:
            where = "before the branch: run A's" if index < b.branch_index else \
                f"from step {b.branch_index + 1}"
            self.b_image.set_title(f"Branch · x̂0 ({where})")
            self.b_latent.set_title("Branch · latent x_t (channels)")
        self.b_image.set_image(image)
        self.b_latent.set_image(latent_grid(step.step.x_t))

    def _show_guidance(self, a: PipelineRun, index: int, decoder: str) -> None:
        for branch, pane in self.guidance_panes.items():
            image, _ = a.image(index, decoder, branch)
            pane.set_image(image)
            pane.placeholder = "no guidance in this run"
        step = a.step(index)
        guided = step is not None and step.uncond is not None
        self.guidance_note.setText(
            f"The guided prediction is unconditional + {a.request.get('guidance', 0.0):g} × "
            "(conditional − unconditional), at the step shown." if guided else
            "This run has no classifier-free guidance (guidance ≤ 1, or the model has "
            "none): only the guided x̂0 is shown.")

    def _show_attention(self, a: PipelineRun, index: int, image: np.ndarray | None) -> None:
        step = a.step(index)
        maps = step.attention if step is not None else None
        pos = self.token.currentData()
        if maps is None or pos is None or image is None or int(pos) >= maps.shape[1]:
            self.attention_pane.set_image(None)
            self.attention_map.set_image(None)
            return
        amap = maps[0, int(pos)]
        self.attention_pane.set_image(attention_overlay(image, amap))
        h, w = image.shape[:2]
        self.attention_map.set_image(heat(normalised_map(amap, h, w)))
