"""What every family's view shares: the grids views are computed on, arrows scaled to a
length, a reverse process thinned to the frames animated, and the parts a view returns
(toy lane; numpy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.panels.toy_lab.plane import Plane
from models.toy.data import ToyData
from models.toy.metrics import Grid

HEAT_BINS = 64  # the heatmap's cells per side
SHOWN_SAMPLES = 600  # model samples drawn (GAN, VAE, flow, EBM)
PARTICLES = 300  # reverse-process particles (diffusion, score)
PARTICLE_FRAMES = 60  # frames of a reverse process kept for the animation
METRIC_SAMPLES = 2000
ARROW_GRID = 15  # field arrows per side
TRANSPORT_GRID = 12  # z grid per side (GAN transport, VAE decoded latent grid)
HELD_OUT_SEED = 12345  # the same fresh points in every view of every run
LATENT_EXTENT = 3.0  # latent planes show [-3, 3]²: a standard normal's ±3σ


def grid_points(extent: float, n: int) -> np.ndarray:
    """Return the (n*n, 2) centres of an n×n grid on [-extent, extent]², x fastest."""
    return Grid(extent, n).centres.astype(np.float32)


@dataclass(frozen=True)
class Grids:
    """The fixed points a run's views are computed on: the heatmap's cell centres, the
    field arrows' feet, and a grid of latents (z ∈ [-2, 2]²)."""

    heat: np.ndarray
    arrows: np.ndarray
    z: np.ndarray

    @classmethod
    def for_extent(cls, extent: float) -> Grids:
        """Return the grids of a plane [-extent, extent]²."""
        return cls(grid_points(extent, HEAT_BINS), grid_points(extent, ARROW_GRID),
                   grid_points(2.0, TRANSPORT_GRID))


@dataclass(frozen=True)
class FamilyParts:
    """A family's view of its model now: the main plot, an optional second plot, and a
    short note for the metrics line (empty: none)."""

    main: Plane
    side: Plane | None = None
    note: str = ""


def field_arrows(points: np.ndarray, vectors: np.ndarray, length: float) -> np.ndarray:
    """Return arrows (m, 4) at the points, scaled so the longest is `length` long."""
    v = np.asarray(vectors, dtype=np.float32)
    top = float(np.abs(v).max()) if len(v) else 0.0
    scale = length / top if top > 0 else 0.0
    return np.concatenate([points, v * scale], 1).astype(np.float32)


def keep_frames(frames: list[np.ndarray], most: int = PARTICLE_FRAMES) -> np.ndarray:
    """Return at most `most` frames, evenly spaced, the first and last included."""
    idx = np.unique(np.linspace(0, len(frames) - 1, min(most, len(frames)))
                    .round().astype(int))
    return np.stack([frames[i] for i in idx]).astype(np.float32)


def grid_lines(points: np.ndarray, n: int) -> np.ndarray:
    """Return the line pieces (k, 4) joining an n×n grid's images (x fastest) to their
    row and column neighbours: a warped grid."""
    g = np.asarray(points, dtype=np.float32).reshape(n, n, 2)
    rows = np.concatenate([g[:, :-1], g[:, 1:]], 2).reshape(-1, 4)
    cols = np.concatenate([g[:-1], g[1:]], 2).reshape(-1, 4)
    return np.concatenate([rows, cols]).astype(np.float32)


def held_out_points(data: ToyData, n: int) -> tuple[np.ndarray, bool]:
    """Return n fresh points of the data's distribution (always the same ones) and True,
    or, for drawn or imported data, which have no others, their first n points and False."""
    if data.sampler is None:
        return data.points[:n], False
    return data.sampler(n, np.random.default_rng(HELD_OUT_SEED)).astype(np.float32), True


def spread_points(points: np.ndarray, k: int) -> np.ndarray:
    """Return the indices of k points far from each other (greedy farthest-point)."""
    chosen = [0]
    dist = np.linalg.norm(points - points[0], axis=1)
    for _ in range(1, min(k, len(points))):
        chosen.append(int(dist.argmax()))
        dist = np.minimum(dist, np.linalg.norm(points - points[chosen[-1]], axis=1))
    return np.asarray(chosen)
