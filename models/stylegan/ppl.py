"""Perceptual path length (Karras et al. 2019) in Z and in W, with the digit classifier's
features in place of VGG/LPIPS.

PPL = E[d(G(p(t)), G(p(t + ε))) / ε²] over random pairs of latents and t ~ U(0, 1), where
p slerps two z's (Z) or lerps their w's (W) and d is the squared distance between image
features. StyleGAN measures d with LPIPS (VGG16 features learned to match human
judgements); here the features are the bundled LeNet-like digit classifier's 128
penultimate units (models/metrics/classifier.py). Values are therefore on their own
scale: compare Z with W, or two checkpoints, never with published PPL figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from models.stylegan import wspace
from models.stylegan.model import StyleGAN

FEATURES_NOTE = ("digit classifier features (the bundled LeNet's 128 penultimate units), "
                 "not VGG/LPIPS: comparable between Z and W or between checkpoints only")

Features = Callable[[torch.Tensor], torch.Tensor]


def digit_features(dataset: str = "mnist5k") -> Features:
    """Return the bundled digit classifier's feature function (images in [0, 1] → N×128).

    Raises FileNotFoundError when no classifier ships for `dataset`.
    """
    from models.metrics.classifier import find_classifier, load_classifier

    folder = find_classifier(dataset)
    if folder is None:
        raise FileNotFoundError(f"no bundled classifier for {dataset}")
    classifier, _ = load_classifier(folder)

    @torch.no_grad()
    def features(images: torch.Tensor) -> torch.Tensor:
        return classifier.features(images.float())

    return features


@dataclass(frozen=True)
class PathLength:
    """PPL of one space: the mean after dropping the 1 % tails (as StyleGAN's code does),
    the median, the number of pairs, ε, and what the features are."""

    space: str
    mean: float
    median: float
    pairs: int
    epsilon: float
    features: str = FEATURES_NOTE

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"space": self.space, "ppl": self.mean, "median": self.median,
                "pairs": self.pairs, "epsilon": self.epsilon, "features": self.features}


@torch.no_grad()
def path_lengths(model: StyleGAN, space: str, features: Features, *, pairs: int = 256,
                 epsilon: float = 1e-4, seed: int = 0, batch: int = 64,
                 psi: float = 1.0) -> np.ndarray:
    """Return the `pairs` per-pair values d(G(p(t)), G(p(t+ε)))/ε² in `space` ("z"/"w")."""
    if space not in ("z", "w"):
        raise ValueError(f"space must be 'z' or 'w', not {space!r}")
    g = torch.Generator().manual_seed(seed)
    n_ws, out = wspace.num_ws(model), []
    for start in range(0, pairs, batch):
        n = min(batch, pairs - start)
        z0 = torch.randn(n, model.config.z_dim, generator=g)
        z1 = torch.randn(n, model.config.z_dim, generator=g)
        t = torch.rand(n, generator=g)
        if space == "z":
            w = wspace.mapping(model, torch.cat([wspace.slerp(z0, z1, t),
                                                 wspace.slerp(z0, z1, t + epsilon)]))
        else:
            w0, w1 = wspace.mapping(model, torch.cat([z0, z1])).split(n)
            w = torch.cat([wspace.lerp(w0, w1, t), wspace.lerp(w0, w1, t + epsilon)])
        w = wspace.truncate(model, w, psi)
        f = features(wspace.synthesize(model, wspace.broadcast(w, n_ws))).double()
        out.append(((f[:n] - f[n:]).square().sum(1) / epsilon**2).cpu())
    return torch.cat(out).numpy()


def perceptual_path_length(model: StyleGAN, space: str, features: Features, *,
                           pairs: int = 256, epsilon: float = 1e-4, seed: int = 0,
                           psi: float = 1.0) -> PathLength:
    """Return the PPL of `space`: the mean of the per-pair values within their 1st–99th
    percentiles (StyleGAN's code drops those tails, where a few steep steps dominate)."""
    d = path_lengths(model, space, features, pairs=pairs, epsilon=epsilon, seed=seed, psi=psi)
    lo, hi = np.percentile(d, [1, 99])
    kept = d[(d >= lo) & (d <= hi)]
    return PathLength(space, float(kept.mean()), float(np.median(d)), len(d), epsilon)


@torch.no_grad()
def step_lengths(images: torch.Tensor, features: Features) -> np.ndarray:
    """Return the feature distance between consecutive images of a shown path (steps−1),
    so a panel can say where along it the picture changes most."""
    f = features(images).double()
    return (f[1:] - f[:-1]).norm(dim=1).cpu().numpy()
