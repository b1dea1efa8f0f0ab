"""The W space dock (GUI thread): a StyleGAN's Z and W side by side.

Sources A and B (seeds, or a real digit projected into W) sit above three tabs: "Z vs W"
(the two interpolation paths and their perceptual path lengths), "Directions" (GANSpace
sliders applied to a source, per layer range) and "Project a digit". Compute runs on the
"wspace" lane (paths, edits, PCA: latest wins) and the "wspace-long" lane (PPL,
projection: with progress and Stop), each with its own copy of the model.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QTabWidget, QVBoxLayout, QWidget

from app.panels.base import Panel
from app.panels.wspace.directions_tab import DirectionsTab
from app.panels.wspace.interp_tab import InterpolationTab
from app.panels.wspace.jobs import (
    EDIT_CHANNEL,
    LANE,
    PATH_CHANNEL,
    SWEEP_CHANNEL,
    Paths,
    edit_work,
    path_work,
    sweep_work,
)
from app.panels.wspace.projection_tab import ProjectionTab
from app.panels.wspace.runner import Runner
from app.panels.wspace.sources import Source, SourcePicker
from app.theme import coloured
from models.opened import OpenedModel

if TYPE_CHECKING:
    from app.session import Session

FAMILY = "stylegan"
EMPTY_TEXT = "Open or train a StyleGAN (--model stylegan) to explore its W space."
UNSUPPORTED_TEXT = "The W space tools need a StyleGAN; the model shown is a {family}."
DEFAULT_STEPS = 9


class WSpacePanel(Panel):
    """Sources A/B and the Z vs W, Directions and Projection tabs (GUI thread)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.runner = Runner(session.jobs, self._on_error)
        self.source_a = SourcePicker("A", 1)
        self.source_b = SourcePicker("B", 2)
        self.steps = QSpinBox()
        self.steps.setObjectName("wspace_steps")
        self.steps.setRange(3, 16)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setToolTip("Frames along each path, both ends included")
        self.interp = InterpolationTab(self.runner)
        self.directions = DirectionsTab(self.runner, self.request_edit, self.request_sweep)
        self.projection = ProjectionTab(self.runner, self.use_source)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("wspace_tabs")
        self.tabs.addTab(self.interp, "Z vs W")
        self.tabs.addTab(self.directions, "Directions")
        self.tabs.addTab(self.projection, "Project a digit")
        self.status = QLabel(EMPTY_TEXT)
        self.status.setObjectName("wspace_status")
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.source_a)
        top.addSpacing(12)
        top.addWidget(self.source_b)
        top.addSpacing(12)
        top.addWidget(QLabel("Frames"))
        top.addWidget(self.steps)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        self.source_a.changed.connect(self._on_sources)
        self.source_b.changed.connect(self._on_sources)
        self.steps.valueChanged.connect(lambda _v: self.request_paths())
        self._set_enabled(False)

    # --- Panel -------------------------------------------------------------------------------
    def accepts(self, model: OpenedModel) -> bool:
        """Return True for a StyleGAN."""
        return model.family == FAMILY

    def show_unsupported(self, model: OpenedModel) -> None:
        """Say that only a StyleGAN has a W space to show."""
        self.status.setText(UNSUPPORTED_TEXT.format(family=model.family))

    def show_model(self, model: OpenedModel) -> None:
        """Draw the paths of the sources with `model`; compute its directions, load the
        picker's digits (newer weights of the same run redraw with the sources kept)."""
        first = self.runner.model is None
        self.runner.show(model)
        self._set_enabled(True)
        self.status.setText(f"{model.family}, epoch {model.epoch}: z and w "
                            f"{model.model_config.z_dim}-D / {model.model_config.w_dim}-D.")
        self.request_paths()
        self.directions.compute()
        if first:
            self.projection.load_digits()

    def clear(self) -> None:
        """Stop every job and forget the model, the paths, directions and projection."""
        self.runner.reset()
        self.interp.clear()
        self.directions.clear()
        self.projection.clear()
        for picker in (self.source_a, self.source_b):
            picker.blockSignals(True)
            picker.offer_projected(None)
            picker.blockSignals(False)
        self._set_enabled(False)
        self.status.setText(EMPTY_TEXT)

    def _set_enabled(self, on: bool) -> None:
        for widget in (self.source_a, self.source_b, self.steps):
            widget.setEnabled(on)

    # --- requests ----------------------------------------------------------------------------
    def sources(self) -> tuple[Source, Source]:
        """Return sources A and B."""
        return self.source_a.source(), self.source_b.source()

    def request_paths(self) -> None:
        """Draw the Z and W paths between the sources (latest wins)."""
        a, b = self.sources()
        steps = self.steps.value()
        self.runner.submit(LANE, PATH_CHANNEL, lambda m, c: path_work(m, c, a, b, steps),
                           self._on_paths)

    def request_edit(self) -> None:
        """Draw source A edited by the directions' sliders (latest wins)."""
        directions = self.directions.directions
        if directions is None:
            return
        source, edits = self.source_a.source(), self.directions.edits()
        self.runner.submit(LANE, EDIT_CHANNEL,
                           lambda m, c: edit_work(m, c, source, directions, edits),
                           lambda images: self.directions.show_images(images,
                                                                      source.label()))

    def request_sweep(self, k: int, layers: list[int]) -> None:
        """Draw direction `k` alone on source A across −3σ … +3σ in `layers` (latest wins)."""
        directions, source = self.directions.directions, self.source_a.source()
        if directions is None:
            return
        self.runner.submit(LANE, SWEEP_CHANNEL,
                           lambda m, c: sweep_work(m, c, source, directions, k, layers),
                           self.directions.show_sweep)

    def use_source(self, source: Source, slot: str) -> None:
        """Make `source` (a projected digit) source `slot` ("A" or "B")."""
        picker = self.source_a if slot == "A" else self.source_b
        other = self.source_b if slot == "A" else self.source_a
        other.blockSignals(True)
        other.offer_projected(source)  # offered, not chosen
        other.blockSignals(False)
        picker.offer_projected(source, select=True)

    def _on_sources(self) -> None:
        self.request_paths()
        self.request_edit()
        self.directions.request_sweep()

    def _on_paths(self, paths: Paths) -> None:
        self.interp.show_paths(paths)

    def _on_error(self, message: str) -> None:
        self.status.setText(coloured(html.escape(str(message)), "error"))

