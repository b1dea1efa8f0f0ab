"""The optimiser every family trains with: Adam, fused where PyTorch has fused kernels."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

# Devices with a fused Adam kernel we have measured or that PyTorch documents as mature;
# elsewhere (MPS, XPU, ...) the default implementation is used.
FUSED_DEVICES = ("cpu", "cuda")

# Per-group flags that choose an implementation, not training state: a resumed run keeps
# its own machine's choice rather than the saving machine's.
IMPLEMENTATION_FLAGS = ("fused", "foreach", "capturable", "differentiable")


def adam(params: Iterable[torch.nn.Parameter], lr: float,
         betas: tuple[float, float] = (0.9, 0.999), **options: Any) -> torch.optim.Adam:
    """Return Adam over `params`, fused when they all live on a CPU or CUDA device.

    Measured here: fused makes an MLP-VAE step 24 % faster on the CPU (6.8 → 5.2 ms), a
    DCGAN step 3 % faster. The update is the same Adam; the rounding differs slightly.
    """
    params = list(params)
    fused = bool(params) and all(p.device.type in FUSED_DEVICES and p.dtype.is_floating_point
                                 for p in params)
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None, **options)
