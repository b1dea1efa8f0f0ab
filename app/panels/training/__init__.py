"""The Training panel: live loss curves, samples, reconstructions, per-epoch arrays, timeline."""

from app.panels.training.panel import TrainingPanel

__all__ = ["TrainingPanel"]
