"""Standard Inception FID, only when torchmetrics, torch-fidelity and the weights are local.

Nothing here downloads: the weights file must already exist, named by the environment
variable LATENTLAB_INCEPTION_WEIGHTS or at torch-fidelity's usual cache location.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import torch

WEIGHTS_ENV = "LATENTLAB_INCEPTION_WEIGHTS"
WEIGHTS_NAME = "weights-inception-2015-12-05-6726825d.pth"


def inception_weights() -> Path | None:
    """Return the local FID Inception weights file, or None when there is none."""
    candidates = []
    if os.environ.get(WEIGHTS_ENV):
        candidates.append(Path(os.environ[WEIGHTS_ENV]).expanduser())
    candidates.append(Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_NAME)
    return next((p for p in candidates if p.is_file()), None)


def inception_fid_status() -> tuple[bool, str]:
    """Return (available, reason) for standard Inception FID on this machine."""
    missing = [m for m in ("torchmetrics", "torch_fidelity") if importlib.util.find_spec(m)
               is None]
    if missing:
        return False, (f"not available: {' and '.join(missing)} not installed (Inception "
                       f"FID is optional; the classifier-feature Fréchet distance is used)")
    if inception_weights() is None:
        return False, (f"not available: no local Inception weights (set {WEIGHTS_ENV} to "
                       f"{WEIGHTS_NAME}); Latent Lab never downloads them")
    return True, "available"


def inception_fid(real: torch.Tensor, fake: torch.Tensor, batch_size: int = 100
                  ) -> dict[str, Any]:
    """Return {"available": True, "fid": value} for images in [0, 1], or why not available."""
    ok, reason = inception_fid_status()
    if not ok:
        return {"available": False, "reason": reason}
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=2048, normalize=True,
                                      feature_extractor_weights_path=str(inception_weights()))
    metric.set_dtype(torch.float64)
    for images, is_real in ((real, True), (fake, False)):
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size].float()
            if x.shape[1] == 1:
                x = x.expand(-1, 3, -1, -1)
            metric.update(x, real=is_real)
    return {"available": True, "fid": float(metric.compute())}
