"""The Interpolation panel: paths between latents, per-dimension sliders, arithmetic."""

from app.panels.interpolation.panel import InterpolationPanel

__all__ = ["InterpolationPanel"]
