"""The Style dock: truncation, style mixing, per-layer styles and noise of a StyleGAN."""

from app.panels.style.panel import StylePanel

__all__ = ["StylePanel"]
