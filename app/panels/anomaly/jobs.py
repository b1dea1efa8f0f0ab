"""The panel's background work: one anomaly run on the "anomaly" lane.

Each run scores with its own inference copy of the model shown (thread rule 4), made on
the lane and dropped when the run ends; Stop lands between two batches of images.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.jobs import Job
from app.jobs.job import Work
from models.opened import OpenedModel

LANE = "anomaly"


def anomaly_work(model: OpenedModel, anomalies: str, n: int | None, seed: int) -> Work:
    """Return the job body scoring `model` on the set `anomalies` (lane thread): it yields
    AnomalyProgress after each batch, then the AnomalyResult (fresh arrays, never touched
    again on the lane)."""

    def work(job: Job) -> Iterator[Any]:
        from models.anomaly.run import run_anomaly
        from models.anomaly.sets import parse_anomalies

        spec = parse_anomalies(anomalies)
        copy = model.inference_copy()
        yield from run_anomaly(copy, model.data, model.train, spec, n, seed)

    return work
