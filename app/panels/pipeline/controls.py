"""The Pipeline dock's form: mode, prompts, seed, steps, scheduler, guidance, the preview
decoder, the mode's inputs, Run / Cancel and Branch (GUI thread; widgets only — the panel
reads them and reacts to their signals)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.pipeline.record import DECODER_LABELS, LINEAR, TINY, VAE
from app.widgets.elided_label import ElidedLabel
from models.pipelines.index import MODE_LABELS
from models.pipelines.schedulers import FOLDER

SAMPLER_LABELS = {"ddpm": "DDPM", "ddim": "DDIM", "dpm": "DPM-Solver++", "euler": "Euler"}


def _slider(low: int, high: int, value: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(low, high)
    slider.setValue(value)
    return slider


class PipelineForm(QWidget):
    """Every control of a run; `set_pipeline` fills the choices an opened folder has."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.folder_label = ElidedLabel("No pipeline open")
        self.folder_label.setObjectName("pipeline_folder")
        outer.addWidget(self.folder_label)
        # Never on by default, never remembered: unpickling can run code from the folder.
        self.allow_pickle = QCheckBox("Allow pickled weights (.bin)")
        self.allow_pickle.setToolTip("Unpickling a .bin or .ckpt file can run code hidden "
                                     "in it: allow it only for folders you trust")
        outer.addWidget(self.allow_pickle)
        run = QGroupBox("Run")
        form = QFormLayout(run)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.mode = QComboBox()
        self.mode.setObjectName("pipeline_mode")
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("a watercolour fox in the snow")
        self.negative = QLineEdit()
        self.negative.setPlaceholderText("blurry, low contrast")
        self.class_label = QComboBox()
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.steps = QSpinBox()
        self.steps.setRange(1, 200)
        self.steps.setValue(25)
        self.sampler = QComboBox()
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(0.0, 30.0)
        self.guidance.setSingleStep(0.5)
        self.guidance.setValue(7.5)
        self.guidance.setToolTip("Classifier-free guidance; 1 or less runs without it")
        form.addRow("Mode", self.mode)
        form.addRow("Prompt", self.prompt)
        form.addRow("Negative", self.negative)
        form.addRow("Class", self.class_label)
        form.addRow("Seed", self.seed)
        form.addRow("Steps", self.steps)
        form.addRow("Scheduler", self.sampler)
        form.addRow("Guidance", self.guidance)
        self.run_form = form
        outer.addWidget(run)
        outer.addWidget(self._preview_box())
        outer.addWidget(self._inputs_box())
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("pipeline_run")
        self.cancel_button = QPushButton("Cancel")
        self.keep_button = QPushButton("Keep as B")
        self.keep_button.setObjectName("pipeline_keep_b")
        self.keep_button.setToolTip("Keep run A beside the next run as run B: change the "
                                    "prompt, seed, scheduler or guidance, Run, and compare "
                                    "them step by step")
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.keep_button)
        outer.addLayout(buttons)
        outer.addWidget(self._branch_box())
        files = QHBoxLayout()
        self.save_button = QPushButton("Save run…")
        self.save_button.setToolTip("Save run A and its branch as a trajectory (.npz): "
                                    "every step's x_t, ε̂ and x̂0, the guidance branches, "
                                    "the attention maps and the settings")
        self.load_button = QPushButton("Load run…")
        self.load_button.setToolTip("Show a saved trajectory as run A (and its branch), "
                                    "previewed through this pipeline's decoders")
        files.addWidget(self.save_button)
        files.addWidget(self.load_button)
        outer.addLayout(files)
        outer.addStretch(1)

    def _preview_box(self) -> QGroupBox:
        box = QGroupBox("Preview decoder")
        form = QFormLayout(box)
        self.decoder = QComboBox()
        for key in (VAE, TINY, LINEAR):
            self.decoder.addItem(DECODER_LABELS[key], key)
        self.decoder.setToolTip("Which decoder turns the predicted latent into the image shown")
        self.every = QSpinBox()
        self.every.setRange(1, 100)
        self.every.setValue(5)
        self.every.setSuffix(" steps")
        self.every.setToolTip("The full VAE decodes every N steps (and the last); the "
                              "linear map runs at every step")
        self.tiny_button = QPushButton("Tiny decoder…")
        self.tiny_button.setToolTip("Load an AutoencoderTiny folder (TAESD, TAESDXL): a "
                                    "fast preview decoded at every step")
        form.addRow("Show", self.decoder)
        form.addRow("VAE every", self.every)
        form.addRow("", self.tiny_button)
        return box

    def _inputs_box(self) -> QGroupBox:
        self.inputs = QGroupBox("Input image")
        form = QFormLayout(self.inputs)
        self.image_button = QPushButton("Image…")
        self.image_label = ElidedLabel("none chosen")
        row = QHBoxLayout()
        row.addWidget(self.image_button)
        row.addWidget(self.image_label, 1)
        self.strength = _slider(5, 100, 80)
        self.strength_label = QLabel()
        self.strength_label.setWordWrap(True)  # never widens the form past its dock
        self.control_button = QPushButton("ControlNet folder…")
        self.control_label = ElidedLabel("none")
        crow = QHBoxLayout()
        crow.addWidget(self.control_button)
        crow.addWidget(self.control_label, 1)
        self.control_scale = _slider(0, 200, 100)
        self.control_scale_label = QLabel("1.00")
        form.addRow(row)
        form.addRow("Strength", self.strength)
        form.addRow("", self.strength_label)
        form.addRow(crow)
        form.addRow("Scale", self.control_scale)
        form.addRow("", self.control_scale_label)
        self.inputs_form = form
        return self.inputs

    def _branch_box(self) -> QGroupBox:
        box = self.branch_box = QGroupBox("Branch")
        form = QFormLayout(box)
        self.branch_step = QSpinBox()
        self.branch_step.setRange(0, 0)
        self.branch_step.setToolTip("Continue run A from this step with the prompt, seed "
                                    "and guidance above")
        self.branch_button = QPushButton("Branch from step")
        self.branch_button.setObjectName("pipeline_branch")
        row = QHBoxLayout()
        row.addWidget(self.branch_button)
        row.addWidget(self.branch_step)
        form.addRow(row)
        return box

    def set_pipeline(self, label: str, modes: tuple[str, ...], samplers: tuple[str, ...],
                     folder_scheduler: str, text: bool, labels: dict[int, str]) -> None:
        """Fill the choices of an opened pipeline."""
        self.folder_label.set_full_text(label)
        self.mode.blockSignals(True)
        self.mode.clear()
        for mode in modes:
            self.mode.addItem(MODE_LABELS.get(mode, mode), mode)
        self.mode.blockSignals(False)
        self.sampler.clear()
        for name in samplers:
            short = folder_scheduler.removesuffix("Scheduler")
            text_name = f"{short} (the folder's)" if name == FOLDER \
                else SAMPLER_LABELS.get(name, name)
            self.sampler.addItem(text_name, name)
        self.class_label.clear()
        for key in sorted(labels):
            self.class_label.addItem(f"{key}: {labels[key]}", key)
        self.set_row_visible(self.prompt, text)
        self.set_row_visible(self.negative, text)
        self.set_row_visible(self.class_label, bool(labels))

    def set_row_visible(self, field: QWidget, visible: bool) -> None:
        """Show or hide a form row by its field."""
        for form in (self.run_form, self.inputs_form):
            if form.indexOf(field) >= 0:
                form.setRowVisible(field, visible)

    def current_mode(self) -> str | None:
        """Return the mode chosen (None: no pipeline)."""
        data = self.mode.currentData()
        return str(data) if data is not None else None

    def current_decoder(self) -> str:
        """Return the preview decoder chosen (record.VAE, TINY or LINEAR)."""
        return str(self.decoder.currentData())
