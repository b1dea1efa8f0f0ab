"""The score model's view (toy lane). Reverse: annealed Langevin particles over the
learned score at a chosen noise level σ, and beside it the exact perturbed density p_σ
with the particles as they leave that level. Forward: the data perturbed at growing σ,
and beside it p_σ with the perturbed data and the score learned there."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.panels.toy_lab.options import OptionValue
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import (
    PARTICLE_FRAMES,
    PARTICLES,
    FamilyParts,
    Grids,
    field_arrows,
)
from app.panels.toy_lab.views.noising import (
    FIELD_T,
    PROCESS,
    density_points,
    field_share,
    forward_shown,
    heat_edges,
    kept,
    side_real,
    thin,
    travellers,
)
from app.panels.toy_lab.views.refresh import is_still, refreshed, run_number

OPTIONS = (PROCESS, FIELD_T)
ARROW_LENGTH = 0.3


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return annealed Langevin (reverse) or the data perturbed at growing σ (forward),
    with the exact p_σ, the particles at σ and the learned score at σ beside it."""
    m = model
    sigmas = m.sigmas.numpy()  # σ_max first
    i = min(len(sigmas) - 1, round((1 - field_share(options)) * (len(sigmas) - 1)))
    sigma = float(sigmas[i])
    arrows = field_arrows(grids.arrows, m.score_field(grids.arrows, sigma), ARROW_LENGTH)
    heat = kept(m, f"p_σ{i}", None, lambda: m.perturbed_masses(density_points(m.data), sigma,
                                                              heat_edges(m.data)))
    if forward_shown(options):
        x0 = travellers(m.data)
        # σ = 0 (the data), then the training levels' range, log-spaced like the levels
        levels = np.concatenate([[0.0], np.geomspace(sigmas.min(), sigmas.max(),
                                                     PARTICLE_FRAMES - 1)])
        path = m.perturb_path(x0, levels, seed=0)
        labels = ("x₀", *(f"σ = {s:.2g}" for s in levels[1:]))
        main = Plane(title=f"forward: x₀ + σ·ε, σ = 0 → {sigmas.max():.3g} · "
                           f"arrows: score at σ = {sigma:.3g}",
                     extent=m.data.extent, samples=path[-1], frames=path,
                     frame_labels=labels, arrows=arrows)
        side = Plane(title=f"σ = {sigma:.3g}: heat p_σ, exact · purple: x₀ + σ·ε · "
                           "arrows: score",
                     extent=m.data.extent, heat=heat.copy(), heat_label="p_σ(x)",
                     samples=m.perturb_path(x0, np.array([sigma]), seed=0)[0], arrows=arrows)
        return FamilyParts(main, side)
    # re-run over newer weights about once an animation cycle while training
    # (views/refresh.py: 114 ms a run), at once when paused or stepping
    steps = refreshed(m, "langevin", None, lambda: list(m.langevin(PARTICLES, seed=0)),
                      is_still(options))
    k = m.config.steps_per_level
    # the particles as annealing leaves level i (its last Langevin step)
    at_level = steps[(i + 1) * k - 1].x
    frames, labels = kept(m, "langevin frames", run_number(m, "langevin"),
                          lambda: thin([s.x for s in steps], level_labels(sigmas, k,
                                                                           len(steps))))
    main = Plane(title=f"annealed Langevin, {len(sigmas)} levels · arrows: score at "
                       f"σ = {sigma:.3g} · green: data",
                 extent=m.data.extent, samples=frames[-1].copy(), frames=frames,
                 frame_labels=labels, arrows=arrows)
    side = Plane(title=f"σ = {sigma:.3g}: heat p_σ, exact · purple: Langevin at this level",
                 extent=m.data.extent, heat=heat.copy(), heat_label="p_σ(x)",
                 real=side_real(m.data), samples=at_level.copy(), arrows=arrows)
    return FamilyParts(main, side)


def level_labels(sigmas: np.ndarray, k: int, n: int) -> list[str]:
    """Return the labels of n annealed Langevin steps, k per level: each step's σ, and
    "denoised" for a last step past the levels (the denoising jump)."""
    return [f"σ = {sigmas[j // k]:.2g}" if j < len(sigmas) * k else "denoised"
            for j in range(n)]
