"""The description of a run that run.json holds, and the line metrics.jsonl gets at the
end of each epoch."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.base import Phase
from models.checkpoint.store import versions
from models.config import DataConfig, ModelConfig, TrainConfig
from models.data import ImageDataset
from models.training.batches import DeviceSplit


def run_info(family: str, model: ModelConfig, train: TrainConfig, data: DataConfig,
             dataset: ImageDataset, split: DeviceSplit, device: torch.device,
             threads: int, phases: Sequence[Phase], resumed_from_step: int | None,
             processes: int = 1) -> dict[str, Any]:
    """Return run.json's content: family, settings, the data and its split, device,
    threads, library versions, when, where a resumed run began, the phases (a run of
    more than one), and how many processes trained it (several under torchrun)."""
    return {
        "family": family,
        "model": model.to_dict(),
        "train": train.to_dict(),
        "data": data.to_dict(),
        "dataset": {"name": dataset.name, "n_train": split.n_train, "n_val": split.n_val,
                    "class_names": list(dataset.class_names)},
        "seed": train.seed,
        "device": str(device),
        "threads": threads,
        "processes": processes,
        "versions": versions(),
        "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "resumed_from_step": resumed_from_step,
        **({"phases": [{"name": p.name, "epochs": p.epochs} for p in phases]}
           if len(phases) > 1 else {}),
    }


def epoch_record(step: int, epoch: int, seconds: float, cpu_start: float, preview: Path,
                 val_metrics: Mapping[str, float], arrays: Mapping[str, np.ndarray],
                 phase: str | None) -> dict[str, Any]:
    """Return metrics.jsonl's line for the end of epoch `epoch` (1-based, done): its
    wall-clock and CPU seconds, the preview's path in the run folder, validation metrics
    (`val_` prefixed), vector metrics, and its phase (None: a run of one phase)."""
    return {"kind": "epoch", "step": step, "epoch": epoch, "time": time.time(),
            "seconds": seconds,
            # This process's CPU seconds over the epoch (all its threads): what a fair
            # comparison of runs on a shared machine counts (latentlab compare).
            "cpu_seconds": round(time.process_time() - cpu_start, 3),
            "preview": str(preview),
            **{f"val_{k}": v for k, v in val_metrics.items()},
            **{k: v.tolist() for k, v in arrays.items()},
            **({"phase": phase} if phase is not None else {})}
