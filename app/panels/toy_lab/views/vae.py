"""The VAE's view (toy lane): on the main plot decoded prior draws and the decoder's image
of a latent grid; beside it the latent space — the prior, the encoded data's density,
posterior ellipses of a fixed set of data points and the grid itself; the ELBO's terms on
held-out points in the note."""

from __future__ import annotations

import colorsys
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import (
    LATENT_EXTENT,
    SHOWN_SAMPLES,
    FamilyParts,
    Grids,
    grid_lines,
    grid_points,
    held_out_points,
    spread_points,
)
from models.toy.data import ToyData

OPTIONS = (
    ViewOption("posteriors", "Posteriors", "check", True,
               "Ellipses of q(z|x), mean ± 1σ, for a fixed set of data points, each in "
               "the colour of its point on the data plot"),
    ViewOption("vae_grid", "Latent grid", "check", True,
               "A grid of latents (right) and the decoder's image of it (left)"),
    ViewOption("reconstructions", "Reconstructions", "check", False,
               "Arrows from the coloured data points to their reconstructions, the "
               "decoder's mean at the posterior mean"),
)
POSTERIORS = 48  # data points with an ellipse: enough to see the map, few enough to read
HELD_OUT = 256  # fresh points the ELBO terms are measured on
IWAE_K = 32  # posterior samples of the importance-weighted bound
IWAE_EVERY_S = 1.0  # while training, the bound is refreshed this often (it costs ~5–15 ms)
IDLE_S = 0.2  # builds further apart than this are single steps or a paused model's
LATENT_BINS = 48  # cells per side of the latent density heatmap
PRIOR_RADII = (1.0, 2.0)  # the prior's 1σ and 2σ circles
POINT_SEED = 2024  # which data points get an ellipse (fixed for a run's data)
POINT_POOL = 400  # the seeded data points they are spread over (a rare outlier, rarely)
# hues from cyan round to orange-yellow: green (the data) and violet (the samples, which
# hid a whole mode's marks) left out
HUE_START, HUE_SPAN = 0.48, 0.54
HUE_GAP_AT, HUE_GAP = 0.67, 0.15  # violet: 0.67–0.82 is skipped
LATENT_DRAWS = 200  # of the decoded prior draws, those shown in latent space


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the data plot, the latent plot and the ELBO note of the model now."""
    m = model
    d = m.config.latent_dim
    show_posteriors = bool(options.get("posteriors", True))
    show_grid = bool(options.get("vae_grid", True))
    points = _MARKED.get(m)
    if points is None:  # fixed for the model's data: picked once (~0.6 ms)
        points = _MARKED[m] = posterior_points(m.data)
    colors = point_colors(points, m.data)
    mu, var = m.encode(points)
    z_prior = m.prior_draws(SHOWN_SAMPLES, seed=0)

    n = int(np.sqrt(len(grids.z)))
    z_grid = latent_grid(grids.z, d)
    held = held_out(m.data)

    arrows = None
    if options.get("reconstructions", False):  # true lengths: each lands on its image
        arrows = np.concatenate([points, m.decode(mu) - points], 1).astype(np.float32)
    main = Plane(title=main_title(show_grid, show_posteriors, arrows is not None),
                 extent=m.data.extent, samples=m.decode(z_prior),
                 segments=grid_lines(m.decode(z_grid), n) if show_grid else None,
                 marks=points if show_posteriors else None,
                 mark_colors=colors if show_posteriors else None, arrows=arrows)

    means, sigmas = plane_coords(mu), plane_coords(np.sqrt(var))
    circles = np.array([[0.0, 0.0, r, r if d > 1 else 0.0] for r in PRIOR_RADII],
                       np.float32)
    ellipses = (np.concatenate([circles, np.concatenate([means, sigmas], 1)])
                if show_posteriors else circles)
    side = Plane(title=side_title(d, show_grid, show_posteriors), extent=LATENT_EXTENT,
                 heat=aggregate_posterior(m, held), heat_label="q(z): the data encoded",
                 samples=plane_coords(z_prior[:LATENT_DRAWS]),
                 segments=grid_lines(plane_coords(z_grid), n) if show_grid else None,
                 ellipses=ellipses, marks=means if show_posteriors else None,
                 mark_colors=colors if show_posteriors else None)
    return FamilyParts(main, side, elbo_note(m, held, fresh=m.data.sampler is not None))


_MARKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → its points


def posterior_points(data: ToyData) -> np.ndarray:
    """Return the fixed data points whose posteriors are drawn (POSTERIORS): spread over
    the data (farthest-point picks among a seeded pool), so every mode and every stretch
    of a curve has some — 48 random points left one of 8 Gaussians without any."""
    rng = np.random.default_rng(POINT_SEED)
    pool = data.points[rng.choice(len(data.points), min(POINT_POOL, len(data.points)),
                                  replace=False)]
    return pool[np.sort(spread_points(pool, POSTERIORS))]


def held_out(data: ToyData) -> np.ndarray:
    """Return HELD_OUT fresh points of the data's distribution (always the same ones), or
    the training points themselves for drawn or imported data, which have no others."""
    return held_out_points(data, HELD_OUT)[0]


def point_colors(points: np.ndarray, data: ToyData) -> np.ndarray:
    """Return a colour (k, 3 uint8) per point from where it lies: the hue turns with its
    angle around the data's centre and the colour deepens with its distance, so nearby
    points look alike on both plots."""
    rel = points - data.points.mean(0)
    angle = (np.arctan2(rel[:, 1], rel[:, 0]) / (2 * np.pi)) % 1.0
    hue = HUE_START + HUE_SPAN * angle
    hue = np.where(hue > HUE_GAP_AT, hue + HUE_GAP, hue) % 1.0
    radius = np.linalg.norm(rel, axis=1)
    depth = np.clip(radius / max(float(radius.max()), 1e-6), 0.0, 1.0)
    rgb = [colorsys.hsv_to_rgb(h, 0.45 + 0.55 * r, 0.95 - 0.2 * r)
           for h, r in zip(hue, depth, strict=True)]
    return (np.asarray(rgb) * 255).round().astype(np.uint8)


def latent_grid(z2: np.ndarray, latent_dim: int) -> np.ndarray:
    """Return the grid's latents (n, latent_dim): its points in the first two dimensions
    (the first only for a 1-D latent), the others 0."""
    z = np.zeros((len(z2), latent_dim), np.float32)
    k = min(2, latent_dim)
    z[:, :k] = z2[:, :k]
    return z


def plane_coords(z: np.ndarray) -> np.ndarray:
    """Return latents (n, d) as points of the latent plot: the first two dimensions, a
    1-D latent on the x axis."""
    z = np.asarray(z, dtype=np.float32)
    if z.shape[1] >= 2:
        return np.ascontiguousarray(z[:, :2])
    return np.concatenate([z, np.zeros_like(z)], 1)


def aggregate_posterior(model, points: np.ndarray) -> np.ndarray:
    """Return q(z) = the mean of the points' posteriors N(μ, σ²) over the latent plot
    (LATENT_BINS², rows along z2) in its first two dimensions (a 1-D latent's along z1,
    the same in every row); its square root, so thin tails between modes still show."""
    mu, var = model.encode(points)
    centres = grid_points(LATENT_EXTENT, LATENT_BINS)[:LATENT_BINS, 0]  # one axis's cells

    def along(dim: int) -> np.ndarray:  # (bins, n): each posterior's density on one axis
        if dim >= mu.shape[1]:
            return np.ones((LATENT_BINS, len(mu)), np.float32)
        m, v = mu[:, dim], var[:, dim]
        return np.exp(-0.5 * (centres[:, None] - m) ** 2 / v) / np.sqrt(2 * np.pi * v)

    # a diagonal Gaussian is a product over axes, so the grid is one matrix product;
    # einsum, not `@`: BLAS's threads made this 48×256×48 product take 16 ms, not 0.02,
    # on a busy machine
    density = np.einsum("in,jn->ij", along(1), along(0)) / len(mu)
    return np.sqrt(density).astype(np.float32)


def elbo_note(model, points: np.ndarray, fresh: bool) -> str:
    """Return the ELBO's terms on `points` in nats per point, and the two lower bounds on
    log p(x) (the ELBO and the tighter importance-weighted one): the VAE has no exact
    likelihood."""
    nll, kl = model.elbo_terms(points, seed=0)
    iwae = iwae_bound(model, points)
    r, k = float(nll.mean()), float(kl.mean())
    where = "held-out" if fresh else "training points"
    return (f"{where} nats: recon {r:.2f} + KL {k:.2f} = −ELBO {r + k:.2f} · "
            f"log p(x) ≥ ELBO, ≥ {signed(iwae)} (IWAE-{IWAE_K})")


@dataclass
class _Bound:
    """A model's last IWAE bound: at which step and when it was computed, and when the
    model's view was last built."""

    steps: int
    value: float
    computed: float
    built: float


_BOUNDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model → _Bound
_clock = time.perf_counter  # the tests' hook


def iwae_bound(model, points: np.ndarray) -> float:
    """Return the mean IWAE bound of the points (`points` are always the same for a model).
    While the model trains it is refreshed about once a second, like the metrics line, since
    its 8,000 decoder passes would otherwise be most of a view's cost; a view built after a
    pause (a single step, an option changed) gets the bound of its weights at once."""
    now = _clock()
    last = _BOUNDS.get(model)
    if last is not None and last.steps == model.steps:
        last.built = now
        return last.value
    if last is not None and now - last.computed < IWAE_EVERY_S and now - last.built < IDLE_S:
        last.built = now
        return last.value
    value = float(model.iwae(points, k=IWAE_K, seed=0).mean())
    _BOUNDS[model] = _Bound(model.steps, value, now, now)
    return value


def signed(value: float) -> str:
    """Return a number with two decimals and a true minus sign."""
    return f"{value:.2f}".replace("-", "−")


def main_title(grid: bool, posteriors: bool, reconstructions: bool) -> str:
    """Return the data plot's caption for the parts shown."""
    parts = ["green: data", "purple: decoded z ~ p(z)"]
    if posteriors:
        parts.append("dots: encoded on the right")
    if grid:
        parts.append("grey: decoded latent grid")
    if reconstructions:
        parts.append("arrows: x → reconstruction")
    return " · ".join(parts)


def side_title(latent_dim: int, grid: bool, posteriors: bool) -> str:
    """Return the latent plot's caption; it names the dimensions shown."""
    if latent_dim == 1:
        head = "latent z (1-D, on x)"
    elif latent_dim == 2:
        head = "latent z"
    else:
        head = f"latent z1, z2 of {latent_dim}"
    parts = [head]
    if posteriors:
        parts.append("ellipses: q(z|x) ±1σ")
    parts += ["circles: prior 1σ, 2σ", "heat: q(z), the data encoded", "purple: z ~ p(z)"]
    if grid:
        parts.append("grey: grid")
    return " · ".join(parts)
