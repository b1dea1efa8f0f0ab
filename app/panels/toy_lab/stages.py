"""The stage strip: in slow motion, a training step's stages in a row, the stage under way
highlighted and those the chosen training mode skips greyed (GUI thread)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QWidget

from app.panels.toy_lab.options import OptionValue
from app.panels.toy_lab.views import FAMILY_VIEWS
from app.widgets.elided_label import ElidedLabel

Stages = Sequence[tuple[str, str]]  # (key, label) in order


def strip_stages(family: str, options: Mapping[str, OptionValue]) -> tuple[Stages, set[str]]:
    """Return the stages the strip shows for `family` with its view `options` (none
    unless the family has stages and slow motion is on) and the keys skipped."""
    module = FAMILY_VIEWS.get(family)
    stages = getattr(module, "STAGES", ())
    if not stages or not module.slow_motion(options):
        return (), set()
    return stages, module.skipped_stages(options)


class StageStrip(QWidget):
    """One label per stage; hidden while there are no stages to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(4)
        self.labels: dict[str, ElidedLabel] = {}
        self.current = ""
        self.hide()

    def show_stages(self, stages: Stages, current: str = "",
                    skipped: set[str] | frozenset[str] = frozenset()) -> None:
        """Show `stages`, `current` highlighted (none when empty), `skipped` greyed; hide
        the strip when `stages` is empty."""
        if [k for k, _ in stages] != list(self.labels):
            self._rebuild(stages)
        self.current = current if current in self.labels else ""
        for key, label in self.labels.items():
            on = key == self.current
            label.setAutoFillBackground(on)
            # the theme's selection colours: readable in light, dark and presenting
            label.setBackgroundRole(QPalette.ColorRole.Highlight)
            label.setForegroundRole(QPalette.ColorRole.HighlightedText if on
                                    else QPalette.ColorRole.WindowText)
            label.setEnabled(key not in skipped)
        self.setVisible(bool(stages))

    def _rebuild(self, stages: Stages) -> None:
        for label in self.labels.values():
            self._row.removeWidget(label)
            label.deleteLater()
        self.labels = {}
        for key, text in stages:
            label = ElidedLabel(text)
            label.setMargin(3)
            self.labels[key] = label
            self._row.addWidget(label, 1)
