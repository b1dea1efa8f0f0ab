"""Sampler settings of the step viewer: the main run's form and the second run's bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.panels.diffusion.image_pane import TextLine
from app.widgets.flow_layout import FlowLayout
from models.diffusion.samplers import SAMPLERS, sampler_spec

DEFAULT_STEPS = 50
BRANCH_SAMPLER = "ddpm"  # a second run's default: ancestral, so a branch visibly diverges
DEFAULT_GUIDANCE = 3.0  # shown until a conditional model says its own
CYCLE = -2  # class combo: cycle through the classes across the batch
NO_CLASS = -1  # the null class (unconditional prediction)
DEFAULT_EVERY = 5  # the preview's "every N steps"
DIFFERENCE_MIN_WIDTH = 320  # px: "differs from A in seed 2 (A: 1)" without eliding


@dataclass(frozen=True)
class SamplerSettings:
    """What the form says: enough for one RunRequest."""

    sampler: str
    steps: int
    eta: float
    seed: int
    n: int
    class_choice: int | None  # a class, CYCLE, NO_CLASS, or None (unconditional model)
    guidance: float | None

    def labels(self, num_classes: int) -> tuple[int, ...] | None:
        """Return the batch's class labels, or None for an unconditional model."""
        if self.class_choice is None:
            return None
        if self.class_choice == CYCLE:
            return tuple(i % num_classes for i in range(self.n))
        return (self.class_choice,) * self.n


def sampler_box() -> QComboBox:
    """Return a combo listing the samplers (item data: our sampler name)."""
    box = QComboBox()
    for spec in SAMPLERS.values():
        box.addItem(spec.label, spec.name)
        box.setItemData(box.count() - 1, spec.description, Qt.ItemDataRole.ToolTipRole)
    box.setToolTip("\n".join(f"{s.label}: {s.description}" for s in SAMPLERS.values()))
    return box


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def _pair(label: QLabel | str, widget: QWidget) -> QWidget:
    """Return a label and its field side by side, so a wrapping row keeps them together."""
    pair = QWidget()
    layout = QHBoxLayout(pair)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    layout.addWidget(label if isinstance(label, QLabel) else QLabel(label))
    layout.addWidget(widget)
    return pair


def _guidance_spin() -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 20.0)
    spin.setSingleStep(0.5)
    spin.setDecimals(1)
    spin.setToolTip("Classifier-free guidance scale: 0 unconditional, 1 plain conditional, "
                    "larger follows the class more strongly")
    return spin


class SamplerForm(QWidget):
    """Sampler, steps, η, seed, batch size, class and guidance, in rows that wrap when the
    dock is narrow (GUI thread)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sampler = sampler_box()
        self.sampler.setObjectName("diffusion_sampler")
        self.steps = _spin(1, 1000, DEFAULT_STEPS, "Denoising steps")
        self.eta = QDoubleSpinBox()
        self.eta.setRange(0.0, 1.0)
        self.eta.setSingleStep(0.1)
        self.eta.setToolTip("DDIM η: 0 is deterministic, 1 adds as much noise as DDPM")
        self.seed = _spin(0, 2**31 - 1, 0, "Seed of the starting noise (and of any step noise)")
        self.batch = _spin(1, 64, 16, "Samples denoised together (shown as a grid)")
        self.class_box = QComboBox()
        self.class_box.setToolTip("Class of every sample (conditional models)")
        self.guidance = _guidance_spin()
        self.class_label = QLabel("Class")
        self.guidance_label = QLabel("Guidance")
        layout = FlowLayout(self)
        for label, widget in (("Sampler", self.sampler), ("Steps", self.steps),
                              ("η", self.eta), ("Seed", self.seed), ("Batch", self.batch),
                              (self.class_label, self.class_box),
                              (self.guidance_label, self.guidance)):
            layout.addWidget(_pair(label, widget))
        self.sampler.currentIndexChanged.connect(self._update_sampler)
        self.reset()

    def reset(self) -> None:
        """Return to the settings of a new window (no model: unconditional, no classes)."""
        self.sampler.setCurrentIndex(0)
        self.steps.setValue(DEFAULT_STEPS)
        self.eta.setValue(0.0)
        self.seed.setValue(0)
        self.batch.setValue(16)
        self.set_conditional(None, None)
        self._update_sampler()

    def set_defaults(self, sampler: str, steps: int) -> None:
        """Start from a model's own sampler settings."""
        index = self.sampler.findData(sampler)
        if index >= 0:
            self.sampler.setCurrentIndex(index)
        self.steps.setValue(steps)

    def set_conditional(self, class_names: tuple[str, ...] | None,
                        guidance: float | None) -> None:
        """Offer classes and guidance (`class_names` None: an unconditional model)."""
        on = class_names is not None
        self.class_box.clear()
        if class_names is not None:
            self.class_box.addItem("each class in turn", CYCLE)
            for i, name in enumerate(class_names):
                self.class_box.addItem(name, i)
            self.class_box.addItem("no class", NO_CLASS)
            self.guidance.setValue(DEFAULT_GUIDANCE if guidance is None else guidance)
        for w in (self.class_box, self.guidance, self.class_label, self.guidance_label):
            w.setVisible(on)

    def settings(self) -> SamplerSettings:
        """Return what the form says."""
        conditional = self.class_box.count() > 0
        sampler = self.sampler.currentData()
        guided = conditional and sampler_spec(sampler).supports_guidance
        return SamplerSettings(sampler, self.steps.value(), self.eta.value(),
                               self.seed.value(), self.batch.value(),
                               self.class_box.currentData() if conditional else None,
                               self.guidance.value() if guided else None)

    def _update_sampler(self) -> None:
        # Only what the chosen sampler reads is editable (the sampler table says which).
        spec = sampler_spec(self.sampler.currentData())
        self.eta.setEnabled(spec.uses_eta)
        self.guidance.setEnabled(spec.supports_guidance)


class SecondRunBar(QWidget):
    """Settings of a second run (seed, sampler, steps, guidance) and the two ways to start
    it: Branch (the rest of the run from the current step) and Compare (from the start)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.seed = _spin(0, 2**31 - 1, 1, "Seed of the second run's step noise (and of "
                          "its starting noise when comparing; A's seed compares samplers "
                          "on the same noise)")
        self.sampler = sampler_box()
        self.steps = _spin(1, 1000, DEFAULT_STEPS, "Steps of a compared run (a branch keeps the "
                           "original's steps)")
        self.guidance = _guidance_spin()
        self.guidance_label = QLabel("Guidance")
        self.branch_button = QPushButton("Branch here")
        self.branch_button.setObjectName("diffusion_branch")
        self.branch_button.setToolTip("Run the remaining steps again from the current x_t "
                                      "with these settings, shown below the original")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setObjectName("diffusion_compare")
        self.compare_button.setToolTip("Run from the start with this seed, sampler and step "
                                       "count; both rows scrub together")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Hide the second run")
        self.primary_settings: SamplerSettings | None = None
        self.difference = TextLine()
        self.difference.setObjectName("diffusion_second_difference")
        # Too long for one row in a narrow dock: the settings wrap, and the difference
        # (elided, with a tooltip) takes what is left of the last row.
        self.difference.setMinimumWidth(DIFFERENCE_MIN_WIDTH)
        layout = FlowLayout(self, stretch_last=True)
        layout.addWidget(QLabel("Second run:"))
        for label, widget in (("Seed", self.seed), ("Sampler", self.sampler),
                              ("Steps", self.steps), (self.guidance_label, self.guidance)):
            layout.addWidget(_pair(label, widget))
        for button in (self.branch_button, self.compare_button, self.clear_button):
            layout.addWidget(button)
        layout.addWidget(self.difference)
        self.sampler.currentIndexChanged.connect(self._update_sampler)
        for spin in (self.seed, self.guidance):
            spin.valueChanged.connect(self._update_difference)
        self.reset()

    def reset(self) -> None:
        """Return to the settings of a new window (no model: no guidance shown)."""
        self.seed.setValue(1)
        self.sampler.setCurrentIndex(0)
        self.steps.setValue(DEFAULT_STEPS)
        self.set_conditional(False)
        self._update_sampler()

    def set_conditional(self, on: bool, guidance: float | None = None) -> None:
        """Show the guidance setting for conditional models."""
        self.conditional = on
        self.guidance.setVisible(on)
        self.guidance_label.setVisible(on)
        self.guidance.setValue(DEFAULT_GUIDANCE if guidance is None else guidance)

    def guidance_value(self) -> float | None:
        """Return the second run's guidance (None: unconditional model or an unguided
        sampler)."""
        guided = sampler_spec(self.sampler.currentData()).supports_guidance
        return self.guidance.value() if self.conditional and guided else None

    def _update_sampler(self) -> None:
        self.guidance.setEnabled(sampler_spec(self.sampler.currentData()).supports_guidance)
        self._update_difference()

    def follow(self, settings: SamplerSettings) -> None:
        """Start from run A's settings with a new seed and an ancestral sampler, so that
        a branch visibly diverges from A by default (A's own settings would redraw A)."""
        self.primary_settings = settings
        ancestral = settings.sampler if sampler_spec(settings.sampler).stochastic \
            else BRANCH_SAMPLER
        self.sampler.setCurrentIndex(max(0, self.sampler.findData(ancestral)))
        self.steps.setValue(settings.steps)
        self.seed.setValue((settings.seed + 1) % (2**31 - 1))
        if settings.guidance is not None:
            self.guidance.setValue(settings.guidance)
        self._update_difference()

    def differences(self) -> list[str]:
        """Return what a second run with these settings changes from run A (empty: a
        branch reproduces A exactly, step noise being drawn from (seed, step))."""
        a = self.primary_settings
        if a is None:
            return []
        out = []
        if self.seed.value() != a.seed:
            out.append(f"seed {self.seed.value()} (A: {a.seed})")
        if self.sampler.currentData() != a.sampler:
            out.append(f"sampler {sampler_spec(self.sampler.currentData()).label} "
                       f"(A: {sampler_spec(a.sampler).label})")
        guidance = self.guidance_value()
        if guidance is not None and a.guidance is not None and guidance != a.guidance:
            out.append(f"guidance {guidance:g} (A: {a.guidance:g})")
        return out

    def _update_difference(self) -> None:
        diff = self.differences()
        text = ("differs from A in " + ", ".join(diff)) if diff else \
            "same settings as A: a branch redraws A exactly"
        self.difference.set_text(text)


class PreviewBar(QWidget):
    """Latent models' preview choice: the real decoder every step, every N steps, or the
    linear map only, and the measured cost per step of the choice (GUI thread).

    Emits changed() when the choice changes (it applies to the next run).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from models.latent_diffusion.recording import MODE_LABELS, MODES

        self.mode_box = QComboBox()
        self.mode_box.setObjectName("diffusion_preview_mode")
        for kind in MODES:
            self.mode_box.addItem(MODE_LABELS[kind], kind)
        self.mode_box.setToolTip("Which steps' x̂0 go through the real decoder; the linear "
                                 "latent → pixel map previews every step in every mode. "
                                 "Applies to the next run")
        self.every = _spin(2, 100, DEFAULT_EVERY, "Decode every N-th step's x̂0 (and the last)")
        self.every.setObjectName("diffusion_preview_every")
        self.every_label = QLabel("N")
        self.cost = TextLine()
        self.cost.setObjectName("diffusion_preview_cost")
        self.cost.setMinimumWidth(DIFFERENCE_MIN_WIDTH)
        self.cost.setToolTip("Measured on the runs made with this choice: the previews' time "
                             "per step (decoder + linear map), beside the sampler's own step")
        layout = FlowLayout(self, stretch_last=True)
        layout.addWidget(_pair("Preview", self.mode_box))
        layout.addWidget(_pair(self.every_label, self.every))
        layout.addWidget(self.cost)
        self.mode_box.currentIndexChanged.connect(self._on_change)
        self.every.valueChanged.connect(self._on_change)
        self.reset()

    def reset(self) -> None:
        """Return to the default choice: the decoder every step."""
        self.mode_box.setCurrentIndex(0)
        self.every.setValue(DEFAULT_EVERY)
        self.cost.set_text("")
        self._update_every()

    def mode(self) -> Any:
        """Return the PreviewMode chosen."""
        from models.latent_diffusion.recording import PreviewMode

        kind = self.mode_box.currentData()
        return PreviewMode(kind, self.every.value() if kind == "every" else 1)

    def set_mode(self, kind: str, every: int = DEFAULT_EVERY) -> None:
        """Choose `kind` ("decoder", "every", "linear") and N."""
        self.every.setValue(every)
        self.mode_box.setCurrentIndex(max(0, self.mode_box.findData(kind)))

    def _update_every(self) -> None:
        on = self.mode_box.currentData() == "every"
        self.every.setEnabled(on)
        self.every_label.setEnabled(on)

    def _on_change(self) -> None:
        self._update_every()
        self.changed.emit()
