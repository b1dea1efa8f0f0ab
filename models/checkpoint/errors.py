"""The one error type for unusable checkpoints."""

from __future__ import annotations

from pathlib import Path


class CheckpointError(Exception):
    """A checkpoint file is missing, truncated, corrupt or does not fit its config.

    str() is one line naming the file and the problem.
    """

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
