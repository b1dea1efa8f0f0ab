"""The Compare runs panel: runs on the same data measured side by side (a table and a bar
chart per measure)."""

from app.panels.compare.panel import ComparePanel

__all__ = ["ComparePanel"]
