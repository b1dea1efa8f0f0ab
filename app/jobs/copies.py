"""Each lane computes with its own copy of the opened model (thread rule 4)."""

from __future__ import annotations

from typing import Any

from models.opened import OpenedModel


class ModelCopy:
    """Holds one inference copy of the window's model for the jobs of one lane.

    `get` runs on that lane's thread only (its jobs run one at a time), so no lock is
    needed; a newer OpenedModel replaces the copy.
    """

    def __init__(self) -> None:
        self._source: OpenedModel | None = None
        self._module: Any = None

    def get(self, model: OpenedModel) -> Any:
        """Return this lane's copy of `model`'s weights (made on first use)."""
        if self._source is not model:
            self._module = model.inference_copy()
            self._source = model
        return self._module

    def drop(self) -> None:
        """Forget the copy (the model was closed)."""
        self._source = self._module = None
