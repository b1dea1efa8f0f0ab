"""The Diffusion panel: forward process, reverse denoising step by step, branch and compare."""

from app.panels.diffusion.panel import DiffusionPanel

__all__ = ["DiffusionPanel"]
