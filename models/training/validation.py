"""One validation pass: a model's validation_step averaged over a split."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from models.base import GenerativeModel


@torch.no_grad()
def validation_pass(model: GenerativeModel,
                    batches: Iterable[tuple[torch.Tensor, torch.Tensor]]
                    ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Return (scalar metrics, vector metrics such as kl_per_dim) averaged per image.

    `batches` yields float images in [0, 1] and labels on the model's device. The model is
    left in eval mode; an empty split gives two empty dicts.
    """
    model.eval()
    totals: dict[str, float] = {}
    vectors: dict[str, torch.Tensor] = {}
    n = 0
    for x, y in batches:
        for k, v in model.validation_step(x, y).items():
            if v.ndim == 0:
                totals[k] = totals.get(k, 0.0) + float(v) * len(x)
            else:
                vectors[k] = vectors[k] + v * len(x) if k in vectors else v * len(x)
        n += len(x)
    if n == 0:
        return {}, {}
    arrays = {k: (v / n).cpu().numpy().astype(np.float32) for k, v in vectors.items()}
    return {k: v / n for k, v in totals.items()}, arrays
