"""Saving a picture of a widget to a file atomically (no half-written PNG on a crash)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

from models.checkpoint.atomic import atomic_path


def save_widget_image(widget: QWidget, path: Path | str) -> bool:
    """Write `widget` as drawn now to `path` (format from its suffix); return True on success."""
    pixmap = widget.grab()
    try:
        with atomic_path(path) as tmp:
            # Qt reports a failed save by returning False: raise so the temp is removed.
            if not pixmap.save(str(tmp)):
                raise OSError(f"could not write {path}")
    except OSError:
        return False
    return True
