"""What the latent space of the model shown looks like to the panels: the encoded dataset,
its 2-D projections, a picked latent and a two-group attribute vector (numpy only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.latent.discriminant import LDAProjection
from models.latent.map_contents import MapContents
from models.latent.projection import (
    PCAProjection,
    align_pca,
    align_pca_to_positions,
    procrustes_rotation,
)
from models.pictures import map_file

if TYPE_CHECKING:
    from models.opened import OpenedModel

# Projection methods, as shown in the chooser (t-SNE and UMAP also name them in
# precomputed map files).
LATENT_2D, PCA, LDA = "Latent (2-D)", "PCA", "LDA"
TSNE, UMAP = map_file.TSNE, map_file.UMAP
LINEAR_METHODS = (PCA, LDA)  # fitted maps with an inverse on their plane


@dataclass(frozen=True)
class MapData:
    """A model snapshot's latents: the lane's copies, never touched again after emit.

    `path` is the checkpoint the model came from (None for a training run's model before
    its first checkpoint); `model` the OpenedModel they were computed with, or None for a
    map read from the checkpoint's precomputed file before the model has opened (nothing
    can be decoded until it attaches). `precomputed` holds the slow projections' positions
    read from that file (method -> N×2 float32), shown without recomputing.
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
    precomputed: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False,
                                                  compare=False)

    @classmethod
    def from_contents(cls, generation: int, path: Path | None, contents: MapContents,
                      model: OpenedModel | None,
                      precomputed: Mapping[str, np.ndarray] | None = None) -> MapData:
        """Return the MapData of a computed or precomputed map's `contents`."""
        c = contents
        return cls(generation, path, c.family, c.epoch, c.dataset, c.class_names, c.means,
                   c.labels, c.images, c.generated, c.conditional, c.has_prior,
                   c.labels_note, c.kl_per_dim, model, dict(precomputed or {}))

    @property
    def latent_dim(self) -> int:
        """Return D."""
        return int(self.means.shape[1])


@dataclass(frozen=True)
class ProjectionResult:
    """N×2 map positions of a snapshot; `linear` (a PCA or LDA) is set when positions can be
    inverted through it."""

    generation: int
    method: str
    positions: np.ndarray
    linear: PCAProjection | LDAProjection | None = None

    @property
    def pca(self) -> PCAProjection | None:
        """Return the PCA the positions come from, or None."""
        return self.linear if isinstance(self.linear, PCAProjection) else None

    @property
    def invertible(self) -> bool:
        """Return True when a map position maps back to a latent (2-D latent, PCA, LDA)."""
        return self.method == LATENT_2D or self.linear is not None

    def to_latent(self, points: np.ndarray) -> np.ndarray:
        """Return N×D latents for N×2 map positions (invertible projections only)."""
        pts = np.asarray(points, np.float32).reshape(-1, 2)
        if self.method == LATENT_2D:
            return pts.copy()
        if self.linear is None:
            raise ValueError(f"{self.method} has no inverse: its positions cannot be decoded")
        return self.linear.inverse_transform(pts)


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


def default_projection(latent_dim: int, generated: bool, conditional: bool,
                       labels: np.ndarray) -> str:
    """Return the method a new map is first drawn with.

    The 2-D latent itself when it is 2-D. For a generator without an encoder (its latents
    are isotropic prior samples, so PCA shows a featureless blob) LDA by the classifier's
    labels, when there are at least two classes and the classes are not an input of the
    model (a conditional model's latent is meant to carry no class). Else PCA.
    """
    if latent_dim == 2:
        return LATENT_2D
    if generated and lda_available(conditional, labels):
        return LDA
    return PCA


def lda_available(conditional: bool, labels: np.ndarray) -> bool:
    """Return True when an LDA map can be fitted: two labelled classes, not conditional."""
    return not conditional and len(np.unique(labels[labels >= 0])) >= 2


def compute_projection(generation: int, method: str, means: np.ndarray,
                       align_to: ProjectionResult | None = None,
                       labels: np.ndarray | None = None) -> ProjectionResult:
    """Return the 2-D latent itself, its PCA or its LDA by `labels`, aligned to `align_to`.

    Alignment (Procrustes) keeps each point where the previous map of the same method drew
    it when both maps hold the same points; for PCA, else keeps the previous axes when the
    latent sizes match.
    """
    if method == LATENT_2D:
        if means.shape[1] != 2:
            raise ValueError("the latent is not 2-D: choose PCA, t-SNE or UMAP")
        return ProjectionResult(generation, method, means.copy())
    if method == LDA:
        if labels is None:
            raise ValueError("LDA needs class labels")
        lda = LDAProjection.fit(means, labels)
        prev = align_to.linear if align_to is not None else None
        if isinstance(prev, LDAProjection) and align_to.positions.shape[0] == len(means):
            lda = lda.rotated(procrustes_rotation(align_to.positions, lda.transform(means)))
        return ProjectionResult(generation, method, lda.transform(means), lda)
    if method != PCA:
        raise ValueError(f"unknown projection {method!r}")
    pca = PCAProjection.fit(means)
    if align_to is not None and align_to.pca is not None:
        if align_to.positions.shape[0] == len(means):
            pca = align_pca_to_positions(align_to.positions, pca, means)
        elif align_to.pca.mean.shape == pca.mean.shape:
            pca = align_pca(align_to.pca, pca, means)
    return ProjectionResult(generation, method, pca.transform(means), pca)
