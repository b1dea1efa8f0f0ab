"""The Pixels dock: a PixelCNN's pixel-by-pixel sampling, recorded and replayed."""

from app.panels.pixel_sampling.panel import PixelSamplingPanel

__all__ = ["PixelSamplingPanel"]
