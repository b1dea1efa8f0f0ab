"""The one error type for pipeline folders Latent Lab refuses to open or run."""

from __future__ import annotations

from models.checkpoint.errors import CheckpointError


class PipelineError(CheckpointError):
    """A pipeline folder (or a request to run it) Latent Lab refuses: str() is one line
    naming the file and the reason. A CheckpointError, so every place that reports an
    unusable checkpoint (the CLI's exit 1, the window's message bar) reports it too."""
