"""The Style dock (GUI thread): a StyleGAN's W space by hand — truncation around w̄, the
style-mixing grid, per-layer style edits and what the per-layer noise controls, one tab
each. Everything is computed on the "style" lane with its own copy of the model; only
the tab on screen computes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from app.panels.base import Panel
from app.panels.style.choices import Layers, describe
from app.panels.style.jobs import CHANNEL, LANE
from app.panels.style.layer_edit import LayerEditSection
from app.panels.style.mixing import MixingSection
from app.panels.style.noise import NoiseSection
from app.panels.style.render import StyleRenderer
from app.panels.style.truncation import TruncationSection
from app.theme import style_text
from models.opened import OpenedModel

if TYPE_CHECKING:
    from app.session import Session

EMPTY_TEXT = "Open a StyleGAN checkpoint (train one with --model stylegan) to explore its " \
             "W space here."
TRAINING_TEXT = "Training needs the CPU: the Style dock shows the model once training ends."
FAMILY = "stylegan"


class StylePanel(Panel):
    """Truncation, mixing, per-layer edit and noise tabs for a StyleGAN (GUI thread)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.renderer: StyleRenderer | None = None
        self.layers: Layers | None = None
        jobs = session.jobs
        self.truncation = TruncationSection(jobs)
        self.mixing = MixingSection(jobs)
        self.edit = LayerEditSection(jobs)
        self.noise = NoiseSection(jobs)
        self.sections = (self.truncation, self.mixing, self.edit, self.noise)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("style_tabs")
        for section, title in zip(self.sections, ("Truncation", "Style mixing",
                                                  "Layer styles", "Noise"), strict=True):
            self.tabs.addTab(section, title)
        self.tabs.currentChanged.connect(self._on_tab)
        self.status = QLabel(EMPTY_TEXT)
        self.status.setObjectName("style_status")
        self.status.setWordWrap(True)
        style_text(self.status, "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self._generation = 0  # of the model shown: a describe job of an older one is ignored
        self._set_enabled(False)

    # --- Panel -------------------------------------------------------------------------------
    def accepts(self, model: OpenedModel) -> bool:
        """Return True for a StyleGAN."""
        return model.family == FAMILY

    def ready_now(self) -> bool:
        """Return True while shown and not training (every tab renders dozens of frames)."""
        return self.isVisible() and not self.session.state.busy

    def show_unsupported(self, model: OpenedModel) -> None:
        """Say that the dock needs a StyleGAN."""
        self.status.setText(f"The Style dock explores StyleGAN models; a {model.family} "
                            f"has no mapping network or per-layer styles.")

    def show_model(self, model: OpenedModel) -> None:
        """Learn the model's layers on the lane, then render the tab on screen."""
        self._generation += 1
        generation = self._generation
        renderer = StyleRenderer(model)
        self.renderer = renderer
        self.status.setText(f"{model.family}, epoch {model.epoch}: reading its layers…")

        def work(_job: object) -> Any:
            yield describe(renderer.model)

        self.session.jobs.submit(LANE, work, channel=CHANNEL,
                                 on_event=lambda layers: self._on_layers(generation, layers),
                                 on_error=self._on_error)

    def clear(self) -> None:
        """Stop the lane's work and forget the model, its layers and every picture."""
        self._generation += 1
        self.session.jobs.cancel(LANE)
        self.renderer = None
        self.layers = None
        for section in self.sections:
            section.set_renderer(None)
        self.mixing.set_layers(None)
        self.edit.set_layers(None)
        self.noise.set_layers(None)
        self.status.setText(TRAINING_TEXT if self.session.state.busy else EMPTY_TEXT)
        self._set_enabled(False)

    # --- showing -----------------------------------------------------------------------------
    def _on_layers(self, generation: int, layers: Layers) -> None:
        if generation != self._generation or self.model is None:
            return
        self.layers = layers
        ranges = ", ".join(f"{name} {layers.span(idx)}" for name, idx in layers.ranges.items())
        self.status.setText(f"{self.model.family}, epoch {self.model.epoch}: "
                            f"{len(layers.names)} style layers ({ranges}).")
        self.mixing.set_layers(layers)
        self.edit.set_layers(layers)
        self.noise.set_layers(layers)
        self._set_enabled(True)
        for section in self.sections:
            section.set_renderer(self.renderer)
        self._on_tab(self.tabs.currentIndex())

    def _on_tab(self, index: int) -> None:
        for i, section in enumerate(self.sections):
            section.set_active(i == index)

    def _on_error(self, message: str, _traceback: str) -> None:
        self.status.setText(f"Could not read the model's layers: {message}")

    def _set_enabled(self, enabled: bool) -> None:
        self.tabs.setEnabled(enabled)
