"""The diffusion model's view (toy lane): the DDPM reverse process as particles with
trails over the learned −ε field at a chosen t."""

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
    """Return the main plot: DDPM particles from noise to data over −ε̂ at t."""
    m = model
    frames = [step.x for step in m.ddpm(PARTICLES, seed=0)]
    T = m.config.timesteps
    t = min(T - 1, round(float(options.get("field_t", 0.5)) * (T - 1)))
    eps = m.eps_field(grids.arrows, t)
    # the direction the reverse process moves x at t: −ε (the score times √(1−ᾱ_t))
    main = Plane(title=f"green: data · DDPM reverse process, particles with trails · "
                       f"arrows: −ε̂ at t = {t}",
                 extent=m.data.extent, samples=frames[-1], frames=keep_frames(frames),
                 arrows=field_arrows(grids.arrows, -eps, 0.3))
    return FamilyParts(main)
