"""The W space dock: a StyleGAN's Z and W side by side (see panel.py)."""

from app.panels.wspace.panel import WSpacePanel

__all__ = ["WSpacePanel"]
