"""GANSpace-style directions (Härkönen et al. 2020): principal components of sampled w,
applied as w + σ_k·a·v_k to a chosen range of layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from models.stylegan import wspace
from models.stylegan.model import StyleGAN


@dataclass(frozen=True)
class Directions:
    """PCA of sampled w: the mean, components (k×w_dim, orthonormal rows, by decreasing
    variance), each one's standard deviation σ and share of the total variance."""

    mean: torch.Tensor
    components: torch.Tensor
    sigma: torch.Tensor
    explained_variance_ratio: torch.Tensor
    samples: int


@torch.no_grad()
def pca_directions(model: StyleGAN, k: int = 10, samples: int = 10_000, seed: int = 0,
                   batch: int = 2_000) -> Directions:
    """Return the first k principal directions of w = mapping(z) over `samples` z's."""
    ws = torch.cat([wspace.mapping(model, wspace.sample_z(model, min(batch, samples - s),
                                                          seed + s))
                    for s in range(0, samples, batch)]).double()
    mean = ws.mean(0)
    # SVD of the centred samples: right singular vectors are the covariance's eigenvectors.
    _, s, vh = torch.linalg.svd(ws - mean, full_matrices=False)
    var = s.square() / (len(ws) - 1)
    k = min(k, vh.shape[0])
    return Directions(mean=mean.float(), components=vh[:k].float(),
                      sigma=var[:k].sqrt().float(),
                      explained_variance_ratio=(var[:k] / var.sum()).float(), samples=len(ws))


def apply_directions(ws: torch.Tensor, directions: Directions, amounts: Sequence[float],
                     layers: Sequence[int] | range) -> torch.Tensor:
    """Return ws with Σ_k amounts[k]·σ_k·v_k added to the styles of `layers` (amounts are
    in standard deviations of w along each component; missing ones count as 0)."""
    a = torch.zeros(len(directions.sigma))
    a[:len(amounts)] = torch.as_tensor(list(amounts), dtype=torch.float32)[:len(a)]
    offset = (a * directions.sigma) @ directions.components
    return wspace.edit_layers(ws, layers, offset=offset)
