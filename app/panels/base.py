"""The base of every panel: it shows the window's one model, or nothing (GUI thread).

A panel declares what it needs (`accepts`) and implements `show_model` and `clear`. The
base resets it whenever another model is opened or the model is closed, and defers
`show_model` while the panel is hidden or while `ready_now()` says no (e.g. training needs
the CPU), showing the model once that changes: one "load when shown" for every panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from models.opened import OpenedModel

if TYPE_CHECKING:
    from app.session import Session


class Panel(QWidget):
    """A dock's content that follows `session.models` (GUI thread).

    Subclasses implement `clear()` (forget every trace of the previous model: images,
    sliders, axes, selections, caches, status text) and `show_model(model)`; they may
    override `accepts`, `show_unsupported`, `update_model` and `ready_now`.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model: OpenedModel | None = None  # the model shown
        self.pending: OpenedModel | None = None  # the model to show once ready
        models = session.models
        models.opened.connect(self._on_opened)
        models.updated.connect(self._on_updated)
        models.closed.connect(self._on_closed)
        session.stateChanged.connect(self._on_state_changed)

    # --- what subclasses implement ---------------------------------------------------------
    def accepts(self, model: OpenedModel) -> bool:
        """Return True if this panel can show `model` (by its capabilities)."""
        return True

    def show_model(self, model: OpenedModel) -> None:
        """Show `model` (the panel was cleared before, or shows an older `model` of its run)."""
        raise NotImplementedError

    def clear(self) -> None:
        """Forget the model shown and everything derived from it."""
        raise NotImplementedError

    def show_unsupported(self, model: OpenedModel) -> None:
        """Say that `model` cannot be shown here (called after clear)."""

    def update_model(self, model: OpenedModel) -> None:
        """Newer weights of the run shown arrived; by default show them when ready."""
        self._offer(model)

    def ready_now(self) -> bool:
        """Return True when showing a model now is wanted (default: while visible)."""
        return self.isVisible()

    # --- the lifecycle -------------------------------------------------------------------------
    @Slot(object)
    def _on_opened(self, model: OpenedModel) -> None:
        self.reset()
        self._offer(model)

    @Slot(object)
    def _on_updated(self, model: OpenedModel) -> None:
        if self.model is None and self.pending is None:
            self._offer(model)
        elif self.accepts(model):
            self.update_model(model)
            if self.pending is not model:
                self.model = model  # shown now, or nothing of this panel depends on it

    @Slot()
    def _on_closed(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Clear the panel and forget the models shown and pending."""
        self.model = self.pending = None
        self.clear()

    def _offer(self, model: OpenedModel) -> None:
        if self.session.jobs.closing:
            return  # the window is closing: a model shown now could start no job
        if not self.accepts(model):
            self.pending = None
            self.show_unsupported(model)
            return
        if self.ready_now():
            self.pending = None
            self.model = model
            self.show_model(model)
        else:
            self.pending = model

    def show_pending(self) -> None:
        """Show the model waiting for the panel, if any and if ready now."""
        if self.pending is not None and self.ready_now():
            self._offer(self.pending)

    @Slot(object)
    def _on_state_changed(self, _state: Any) -> None:
        if self.pending is not None:
            self.show_pending()

    def showEvent(self, event: QShowEvent) -> None:
        """Show a model that arrived while the panel was hidden."""
        super().showEvent(event)
        if self.pending is not None:
            QTimer.singleShot(0, self.show_pending)
