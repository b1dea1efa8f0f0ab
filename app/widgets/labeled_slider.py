"""superqt's labelled double slider, its number refitted when the font changes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject
from superqt import QLabeledDoubleSlider


class LabeledDoubleSlider(QLabeledDoubleSlider):
    """A slider with its value beside it (GUI thread).

    superqt sizes the value's field for the font it has when shown; presentation mode's
    larger font then cut "0.90" to ".90". This refits the field whenever its font changes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._field = getattr(self, "_label", None)  # superqt's SliderLabel (no public API)
        if self._field is not None and hasattr(self._field, "_update_size"):
            self._field.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        """Refit the value's field after its font or style changed; never consumes."""
        if watched is self._field and event.type() in (QEvent.Type.FontChange,
                                                       QEvent.Type.StyleChange):
            self._field._update_size()
        return super().eventFilter(watched, event)
