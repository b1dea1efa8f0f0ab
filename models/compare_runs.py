"""Runs compared side by side (`latentlab compare`, the Compare runs panel): every run on the
same data is checked before anything is measured, then each is measured in turn
(models/comparison.py) as a generator of progress events, so a job can stop between batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.checkpoint.store import read_checkpoint_config
from models.config import DataConfig, TrainConfig

# What a dataset is, for "the same data": how it is loaded and shaped, not where it is kept.
IGNORED_DATA_FIELDS = ("data_root", "download")
STAGES = ("sampling", "likelihood", "scoring")


class MixedDataError(ValueError):
    """The runs were trained on different data; the message names them in one line."""


@dataclass(frozen=True)
class RunPlan:
    """A run to compare, read from its config.json alone (no weights loaded)."""

    path: Path
    family: str
    data: DataConfig
    train: TrainConfig


@dataclass(frozen=True)
class Progress:
    """Run `index` of `total` (0-based) is at `stage`; `fraction` of the whole is done."""

    index: int
    total: int
    name: str
    stage: str
    fraction: float


@dataclass(frozen=True)
class RunMeasured:
    """One run's row (RunFigures.to_dict()), as soon as it is measured."""

    index: int
    row: dict[str, Any]


@dataclass(frozen=True)
class Compared:
    """The whole comparison: what `latentlab compare --json` prints."""

    report: dict[str, Any]


def data_key(data: DataConfig) -> str:
    """Return what makes two runs' data the same, as a string."""
    fields = {k: v for k, v in data.to_dict().items() if k not in IGNORED_DATA_FIELDS}
    return json.dumps(fields, sort_keys=True)


def describe_data(data: DataConfig) -> str:
    """Return a dataset as a user names it: `mnist5k`, `cifar10 at 32 px, 1 channel`."""
    extra = []
    if data.image_size is not None:
        extra.append(f"at {data.image_size} px")
    if data.channels is not None:
        extra.append(f"{data.channels} channel{'s' if data.channels > 1 else ''}")
    rest = {k: v for k, v in data.to_dict().items()
            if k not in (*IGNORED_DATA_FIELDS, "dataset", "image_size", "channels")
            and v not in (None, False, (), [])}
    extra += [f"{k} {v}" for k, v in sorted(rest.items())]
    return " ".join([data.dataset, ", ".join(extra)]).strip()


def plan_runs(paths: list[Path]) -> list[RunPlan]:
    """Return each path's plan from its config.json; raise CheckpointError for a path that
    holds no checkpoint and MixedDataError when the runs are not all on the same data."""
    plans = []
    for path in paths:
        _folder, meta = read_checkpoint_config(path)
        data = DataConfig.from_dict(meta["data"]) if meta.get("data") else DataConfig()
        train = TrainConfig.from_dict(meta["train"]) if meta.get("train") else TrainConfig()
        plans.append(RunPlan(Path(path), str(meta["family"]), data, train))
    keys = {data_key(p.data) for p in plans}
    if len(keys) > 1:
        named = ", ".join(f"{p.path.name} ({describe_data(p.data)})" for p in plans)
        raise MixedDataError(f"runs trained on different data cannot be compared: {named}")
    return plans


def held_out_indices(plans: list[RunPlan], n_total: int) -> np.ndarray:
    """Return the dataset indices every run held out from training (its validation split),
    sorted: bits per dimension is measured on the same unseen images for all of them."""
    from models.comparison import own_held_out

    common: np.ndarray | None = None
    for plan in plans:
        own = own_held_out(plan.train, n_total)
        common = own if common is None else np.intersect1d(common, own)
    return np.array([], dtype=np.int64) if common is None else common


def compare_runs(paths: list[Path], options: Any, device: Any = "cpu",
                 threads: int | None = None) -> Iterator[Progress | RunMeasured | Compared | None]:
    """Yield Progress as each run's stages begin, None between batches, RunMeasured per run
    and Compared last. Raises MixedDataError / CheckpointError before measuring anything."""
    from dataclasses import asdict

    from models.comparison import Reference, _name, measure_run_steps

    plans = plan_runs(paths)
    references: dict[str, Reference] = {}
    rows = []
    total = len(plans)
    for index, plan in enumerate(plans):
        name = _name(plan.path.expanduser())
        steps = measure_run_steps(plan.path, options, references,
                                  lambda n_total: held_out_indices(plans, n_total), device)
        while True:
            try:
                stage = next(steps)
            except StopIteration as end:
                figures = end.value
                break
            if stage is None:
                yield None
                continue
            done = (index + STAGES.index(stage) / len(STAGES)) / total
            yield Progress(index, total, name, stage, done)
        row = figures.to_dict()
        rows.append(row)
        yield RunMeasured(index, row)
    n_total = len(next(iter(references.values())).images) if references else 0
    held_out = min(options.nll_n, len(held_out_indices(plans, n_total)))
    report = {"sampling": {"sampler": options.sampler, "steps": options.steps, "n": options.n,
                           "batch": min(options.n, 250), "seed": options.seed,
                           "threads": threads, "device": str(device)},
              "likelihood": {"n_held_out": held_out,
                             "iwae_k": options.iwae_k, "unit": "bits per dimension"},
              "options": asdict(options),
              "runs": rows, "references": [r.to_dict() for r in references.values()]}
    yield Compared(report)
