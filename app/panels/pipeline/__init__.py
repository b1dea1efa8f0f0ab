"""The Pipeline dock: local Stable Diffusion–family pipelines stepped through."""

from app.panels.pipeline.panel import PipelinePanel

__all__ = ["PipelinePanel"]
