"""Evaluating a checkpoint: validation metrics on the split it was trained with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from models.checkpoint import load_checkpoint
from models.config import DataConfig
from models.data import load_dataset, split_indices
from models.device import resolve_device


@torch.no_grad()
def validation_metrics(model: Any, images: torch.Tensor, labels: torch.Tensor,
                       batch_size: int = 256) -> dict[str, float]:
    """Return the model's validation metrics averaged over uint8 `images` (N×C×H×W)."""
    model.eval()
    totals: dict[str, float] = {}
    n = len(images)
    for start in range(0, n, batch_size):
        x = images[start:start + batch_size].to(model.device).float().div_(255.0)
        y = labels[start:start + batch_size].to(model.device)
        for k, v in model.validation_step(x, y).items():
            totals[k] = totals.get(k, 0.0) + float(v) * len(x)
    return {k: v / max(n, 1) for k, v in totals.items()}


def evaluate_checkpoint(path: Path | str, device: str = "auto",
                        n_samples: int = 2000) -> dict[str, Any]:
    """Return a JSON-ready dict of evaluation metrics for a checkpoint or run folder."""
    loaded = load_checkpoint(path, device=resolve_device(device))
    data = loaded.data or DataConfig()
    dataset = load_dataset(data)
    seed = loaded.train.seed if loaded.train else 0
    val_fraction = loaded.train.val_fraction if loaded.train else 0.1
    _, val_idx = split_indices(len(dataset), val_fraction, seed)
    images = torch.from_numpy(dataset.images[val_idx])
    labels = torch.from_numpy(dataset.labels[val_idx])
    return {
        "checkpoint": str(loaded.path),
        "family": loaded.family,
        "dataset": dataset.name,
        "n_val": len(val_idx),
        "progress": loaded.progress,
        "val": validation_metrics(loaded.model, images, labels),
    }
