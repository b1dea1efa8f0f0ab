"""The score model's view (toy lane): annealed Langevin particles over the learned score
field at a chosen noise level."""

from __future__ import annotations

from collections.abc import Mapping

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import PARTICLES, FamilyParts, Grids, field_arrows, keep_frames

OPTIONS = (
    ViewOption("field_t", "Field t", "slider", 0.5,
               "Where the field arrows are drawn: data (left) to noise (right)"),
)


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the main plot: annealed Langevin particles over the score at σ."""
    m = model
    frames = [step.x for step in m.langevin(PARTICLES, seed=0)]
    sigmas = m.sigmas.numpy()
    field_t = float(options.get("field_t", 0.5))
    i = min(len(sigmas) - 1, round((1 - field_t) * (len(sigmas) - 1)))
    score = m.score_field(grids.arrows, float(sigmas[i]))
    main = Plane(title=f"green: data · annealed Langevin particles · "
                       f"arrows: score at σ = {sigmas[i]:.3g}",
                 extent=m.data.extent, samples=frames[-1], frames=keep_frames(frames),
                 arrows=field_arrows(grids.arrows, score, 0.3))
    return FamilyParts(main)
