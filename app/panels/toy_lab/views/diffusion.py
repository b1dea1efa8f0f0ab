"""The diffusion model's view (toy lane). Reverse: DDPM particles from noise to data over
the learned −ε field at a chosen t, and beside it DDIM from the same noise in fewer,
straighter steps. Forward: the data diffusing to noise, and beside it the exact q(x_t) at
the chosen t with the −ε̂ arrows the model learned there."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import PARTICLES, FamilyParts, Grids, field_arrows
from app.panels.toy_lab.views.noising import (
    FIELD_T,
    PROCESS,
    density_points,
    field_share,
    forward_shown,
    heat_edges,
    kept,
    reverse_labels,
    side_real,
    thin,
    travellers,
)
from app.panels.toy_lab.views.refresh import is_still, refreshed, run_number
from models.toy.data import ToyData
from models.toy.metrics import grid_divergence, mode_stats

OPTIONS = (
    PROCESS,
    FIELD_T,
    ViewOption("ddim_steps", "DDIM steps", "slider", 20.0,
               "Steps of the DDIM sampler beside DDPM (DDPM takes every timestep)",
               minimum=2, maximum=100, step=1, decimals=0),
    ViewOption("ddim_eta", "DDIM η", "slider", 0.0,
               "DDIM's noise: 0 deterministic, 1 as much fresh noise per step as DDPM",
               step=0.1, decimals=1),
)
ARROW_LENGTH = 0.3


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the reverse process (DDPM, DDIM beside it) or the forward one (the data
    diffusing, q(x_t) beside it), each with the −ε̂ field at the slider's t."""
    m = model
    T = m.config.timesteps
    t = min(T - 1, round(field_share(options) * (T - 1)))
    # the direction the reverse process moves x at t: −ε (the score times √(1−ᾱ_t))
    arrows = field_arrows(grids.arrows, -m.eps_field(grids.arrows, t), ARROW_LENGTH)
    if forward_shown(options):
        return _forward(m, t, arrows)
    return _reverse(m, options, t, arrows)


def _reverse(m, options: Mapping[str, OptionValue], t: int, arrows: np.ndarray
             ) -> FamilyParts:
    T = m.config.timesteps
    still = is_still(options)
    # both samplers start from the same noise; each re-runs over newer weights about once
    # an animation cycle while training (views/refresh.py), at once when its settings move
    ddpm = refreshed(m, "ddpm", None, lambda: list(m.ddpm(PARTICLES, seed=0)), still)
    steps = round(float(options.get("ddim_steps", 20)))
    eta = float(options.get("ddim_eta", 0.0))
    ddim = refreshed(m, "ddim", (steps, eta),
                     lambda: list(m.ddim(PARTICLES, seed=0, steps=steps, eta=eta)), still)
    start = kept(m, "start", None, lambda: m.start_noise(PARTICLES, seed=0))
    frames, labels = kept(m, "ddpm frames", run_number(m, "ddpm"),
                          lambda: thin([start] + [s.x for s in ddpm], reverse_labels(ddpm)))
    main = Plane(title=f"DDPM, {T} steps from noise · arrows: −ε̂ at t = {t} · green: data",
                 extent=m.data.extent, samples=frames[-1].copy(), frames=frames,
                 frame_labels=labels, arrows=arrows)
    kind = "deterministic" if eta == 0 else "stochastic"
    frames, labels = kept(m, "ddim frames", run_number(m, "ddim"),
                          lambda: thin([start] + [s.x for s in ddim], reverse_labels(ddim)))
    side = Plane(title=f"DDIM, {len(ddim)} {kind} steps (η = {eta:g}), same noise",
                 extent=m.data.extent, real=side_real(m.data), samples=frames[-1].copy(),
                 frames=frames, frame_labels=labels)
    note = kept(m, "note", (run_number(m, "ddpm"), run_number(m, "ddim")),
                lambda: compare_note(m.data, {"DDPM": ddpm[-1].x, "DDIM": ddim[-1].x}))
    return FamilyParts(main, side, note)


def _forward(m, t: int, arrows: np.ndarray) -> FamilyParts:
    T = m.config.timesteps
    # x_0, then t = 0 … T − 1: the data and the schedule, not the weights
    path = kept(m, "forward", None, lambda: m.forward_path(travellers(m.data), seed=0))
    frames, labels = thin(path, ("x₀", *(f"t = {k}" for k in range(T))))
    main = Plane(title=f"forward: x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε, t = 0 → {T - 1} · "
                       f"arrows: −ε̂ at t = {t}",
                 extent=m.data.extent, samples=frames[-1].copy(), frames=frames,
                 frame_labels=labels, arrows=arrows)
    heat = kept(m, f"q(x_{t})", None,
                lambda: m.forward_masses(density_points(m.data), t, heat_edges(m.data)))
    side = Plane(title=f"t = {t}: heat q(x_t), exact · purple: x_t · arrows: −ε̂",
                 extent=m.data.extent, heat=heat.copy(), heat_label="q(x_t)",
                 samples=path[t + 1].copy(),
                 arrows=arrows)
    return FamilyParts(main, side)


def compare_note(data: ToyData, samples: Mapping[str, np.ndarray]) -> str:
    """Return one short line comparing samplers' particles: modes covered (mixtures) and
    grid KL(true‖particles), e.g. "300 particles: DDPM 8/8, KL 2.20 · DDIM 8/8, KL 2.04"
    (few particles: the KLs compare the samplers, they are above the metrics line's)."""
    parts = []
    for name, x in samples.items():
        kl = grid_divergence(x, data).kl
        modes = (f" {mode_stats(x, data).modes_covered}/{len(data.centres)},"
                 if data.is_mixture else "")
        parts.append(f"{name}{modes} KL {kl:.2f}")
    n = len(next(iter(samples.values())))
    return f"{n} particles: " + " · ".join(parts)
