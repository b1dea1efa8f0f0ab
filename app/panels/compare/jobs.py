"""The Compare runs job: every run measured in turn on the "compare" lane, yielding the
progress, each run's row as it is measured and the whole report last (models/compare_runs.py,
run as it is)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.jobs import Job

COMPARE_LANE = "compare"


def comparison(paths: list[Path], n: int, iwae_k: int, device: str):
    """Return the job's work: compare `paths` with `n` sampled images and IWAE's `iwae_k`,
    on `device` ("auto", "cpu", …); it yields compare_runs' events (and None heartbeats)."""

    def work(job: Job) -> Iterator[Any]:
        import torch

        from models.compare_runs import compare_runs
        from models.comparison import Options
        from models.device import resolve_device

        options = Options(n=n, nll_n=min(n, 500), iwae_k=iwae_k)
        yield from compare_runs(paths, options, resolve_device(device),
                                torch.get_num_threads())

    return work
