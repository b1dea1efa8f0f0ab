"""What the latent space of the model shown looks like to the panels: the encoded dataset,
its 2-D projections, a picked latent and a two-group attribute vector (numpy only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.latent.projection import PCAProjection, align_pca, align_pca_to_positions

if TYPE_CHECKING:
    from models.opened import OpenedModel

# Projection methods, as shown in the chooser.
LATENT_2D, PCA, TSNE, UMAP = "Latent (2-D)", "PCA", "t-SNE", "UMAP"


@dataclass(frozen=True)
class MapData:
    """A model snapshot's latents: the lane's copies, never touched again after emit.

    `path` is the checkpoint the model came from (None for a training run's model before
    its first checkpoint); `model` the OpenedModel they were computed with.
    """

    generation: int
    path: Path | None
    family: str
    epoch: int
    dataset: str
    class_names: tuple[str, ...]
    means: np.ndarray  # N×D float32 latent means (prior samples for generated maps)
    labels: np.ndarray  # N int64, −1 where unknown
    images: np.ndarray  # N×H×W×C uint8 (the data, or what generated latents decode to)
    generated: bool
    conditional: bool
    has_prior: bool
    labels_note: str = ""
    # Mean KL of each dimension over the encoded images (VAEs only): the interpolation
    # panel orders its per-dimension sliders by it.
    kl_per_dim: np.ndarray | None = None
    model: OpenedModel | None = field(default=None, repr=False, compare=False)

    @property
    def latent_dim(self) -> int:
        """Return D."""
        return int(self.means.shape[1])


@dataclass(frozen=True)
class ProjectionResult:
    """N×2 map positions of a snapshot; `pca` is set when positions can be inverted."""

    generation: int
    method: str
    positions: np.ndarray
    pca: PCAProjection | None = None

    @property
    def invertible(self) -> bool:
        """Return True when a map position maps back to a latent (2-D latent or PCA)."""
        return self.method == LATENT_2D or self.pca is not None

    def to_latent(self, points: np.ndarray) -> np.ndarray:
        """Return N×D latents for N×2 map positions (invertible projections only)."""
        pts = np.asarray(points, np.float32).reshape(-1, 2)
        if self.method == LATENT_2D:
            return pts.copy()
        if self.pca is None:
            raise ValueError(f"{self.method} has no inverse: its positions cannot be decoded")
        return self.pca.inverse_transform(pts)


@dataclass(frozen=True)
class LatentAnchor:
    """A latent picked on the map: a data point (index) or a decoded position (None)."""

    latent: np.ndarray  # D float32
    index: int | None
    label: int
    position: tuple[float, float]
    generation: int


@dataclass(frozen=True)
class AttributeVector:
    """mean(group A) − mean(group B) in latent space, with the groups' point indices."""

    vector: np.ndarray
    group_a: np.ndarray = field(repr=False)
    group_b: np.ndarray = field(repr=False)
    generation: int = 0


def compute_projection(generation: int, method: str, means: np.ndarray,
                       align_to: ProjectionResult | None = None) -> ProjectionResult:
    """Return the 2-D latent itself or its PCA, aligned to the previous map `align_to`.

    Alignment (Procrustes) keeps each point where the previous PCA map drew it when both
    maps hold the same points, else keeps the previous axes when the latent sizes match.
    """
    if method == LATENT_2D:
        if means.shape[1] != 2:
            raise ValueError("the latent is not 2-D: choose PCA, t-SNE or UMAP")
        return ProjectionResult(generation, method, means.copy())
    if method != PCA:
        raise ValueError(f"unknown projection {method!r}")
    pca = PCAProjection.fit(means)
    if align_to is not None and align_to.pca is not None:
        if align_to.positions.shape[0] == len(means):
            pca = align_pca_to_positions(align_to.positions, pca, means)
        elif align_to.pca.mean.shape == pca.mean.shape:
            pca = align_pca(align_to.pca, pca, means)
    return ProjectionResult(generation, method, pca.transform(means), pca)
