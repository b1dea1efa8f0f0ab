"""The panel's background work: one pixel-by-pixel draw on the "pixels" lane.

Each draw samples with its own inference copy of the model shown (thread rule 4), made on
the lane and dropped when the draw ends; Stop lands between two values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.jobs import Job
from app.jobs.job import Work
from app.panels.pixel_sampling.recording import DrawSpec
from models.opened import OpenedModel

LANE = "pixels"
PIECE_S = 1 / 30  # at most one piece of steps per screen frame reaches the GUI thread


def sampling_work(model: OpenedModel, spec: DrawSpec, piece_s: float = PIECE_S) -> Work:
    """Return the job body drawing `spec` with `model` (lane thread): it yields a
    `RecordedSteps` of the newest steps every `piece_s` seconds and the last ones at the
    end (fresh arrays, never touched again on the lane), None between."""

    def work(job: Job) -> Iterator[Any]:
        import torch

        from models.pixelcnn.sampling import stream_sampling

        copy = model.inference_copy()
        labels = None if spec.labels is None else torch.tensor(spec.labels, dtype=torch.long)
        yield from stream_sampling(copy, spec.n, spec.seed, labels, spec.temperature,
                                   every_s=piece_s)

    return work
