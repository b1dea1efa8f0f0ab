"""superqt's labelled double slider, its number refitted when the font changes."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from superqt import QLabeledDoubleSlider


class LabeledDoubleSlider(QLabeledDoubleSlider):
    """A slider with its value beside it (GUI thread).

    superqt sizes the value's field for the font it has when shown; presentation mode's
    larger font then cut "0.90" to ".90". This refits the field on every font change.
    """

    def changeEvent(self, event: QEvent) -> None:
        """Refit the value's field after a font or style change."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            label = getattr(self, "_label", None)  # superqt's SliderLabel (no public API)
            if label is not None and hasattr(label, "_update_size"):
                label._update_size()
