"""The energy-based model's view (toy lane): the landscape −E(x) with the last
contrastive-divergence step's positives and negatives (or the training chains), and
beside it fresh Langevin chains run with the step size, noise and length of the sliders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import (
    METRIC_SAMPLES,
    SHOWN_SAMPLES,
    FamilyParts,
    Grids,
    keep_frames,
)
from app.panels.toy_lab.views.refresh import is_still, refreshed

CHAINS = 200  # fresh chains animated beside the landscape (~8 ms for 40 steps)
# the chains are re-run over the newest energy at most this often while training (or at
# once when a slider moves or training pauses): about one cycle of their animation, as
# every view (~30/s) would take a third of the lane from training
REFRESH_S = 1.0
SHOWN_POSITIVES = 96  # of the batch: more orange marks would hide the data under them
SHOW_CD, SHOW_CHAINS = "cd", "chains"
OPTIONS: tuple[ViewOption, ...] = (
    ViewOption("ebm_show", "Show", "choice", SHOW_CD,
               "On the landscape: the last training step's positives (its data batch, "
               "orange) and negatives (its Langevin samples, purple), or the buffer of "
               "persistent chains (with the default restart share of 1, the ends of "
               "recent training chains)",
               choices=((SHOW_CD, "positives, negatives"),
                        (SHOW_CHAINS, "persistent chains"))),
    ViewOption("ebm_step", "Langevin η", "slider", 0.03,
               "Right plot, the Langevin step size η in x ← x − η·∇E(x) + σ·ε (squared "
               "data units per unit of energy); training uses 0.03. From about 0.3 the "
               "chains overshoot the minima and scatter",
               minimum=0.0, maximum=0.6, step=0.005, decimals=3),
    ViewOption("ebm_noise", "Langevin σ", "slider", 0.05,
               "Right plot, the Langevin noise σ (its standard deviation, data units); "
               "training uses 0.05. At 0 the chains descend the energy to its minima; "
               "the temperature is σ²/2η (at 1 the chains target exp(−E) itself)",
               minimum=0.0, maximum=0.5, step=0.01, decimals=2),
    ViewOption("ebm_steps", "Chain steps", "slider", 40.0,
               "Right plot: Langevin steps per chain; training and sampling run 20 from "
               "uniform starts, and longer runs show where the energy leads beyond them",
               minimum=5.0, maximum=100.0, step=5.0, decimals=0),
)


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the main plot (−E heat with the last step's positives and negatives, or the
    persistent chains), the side plot (fresh Langevin chains animated over −E) and the
    note (the CD gap; `metric_samples` says what the metrics are computed on)."""
    m = model
    n = int(np.sqrt(len(grids.heat)))
    heat = -m.energy_at(grids.heat).reshape(n, n)
    levels = energy_levels(heat)
    main = replace(main_plane(m, options, heat), heat_levels=levels)
    side = replace(chains_plane(m, options, heat), heat_levels=levels)
    return FamilyParts(main, side, note(m))


LOW_PERCENTILE = 40.0


def energy_levels(heat: np.ndarray) -> tuple[float, float] | None:
    """Return the −E colour range: from its 40th percentile to its maximum. The energy
    rises steeply towards the plane's corners, far from any data, and coloured over its
    full range those corners took most of the colours, leaving the modes and the gaps
    between them almost one tint; below the percentile all is the lowest colour."""
    finite = heat[np.isfinite(heat)]
    if finite.size == 0:
        return None
    lo, hi = float(np.percentile(finite, LOW_PERCENTILE)), float(finite.max())
    return (lo, hi) if hi > lo else None


def main_plane(m, options: Mapping[str, OptionValue], heat: np.ndarray) -> Plane:
    """Return −E with positives (orange marks: data points) and negatives (purple), or
    the first chains of the persistent buffer."""
    positive, negative = m.samples_of_last_step()
    if options.get("ebm_show", SHOW_CD) == SHOW_CHAINS or len(negative) == 0:
        return Plane(title="−E(x) · green: data · purple: persistent chains",
                     extent=m.data.extent, heat=heat, heat_label="−E(x)",
                     samples=m.chains.numpy()[:SHOWN_SAMPLES].copy())
    return Plane(title="−E(x) · last step: orange positives (data), purple negatives",
                 extent=m.data.extent, heat=heat, heat_label="−E(x)",
                 marks=positive[:SHOWN_POSITIVES], samples=negative)


def chains_plane(m, options: Mapping[str, OptionValue], heat: np.ndarray) -> Plane:
    """Return CHAINS fresh chains from uniform starts run with the sliders' settings,
    as particles with trails over −E."""
    step = float(options.get("ebm_step", 0.03))
    noise = float(options.get("ebm_noise", 0.05))
    steps = max(1, round(float(options.get("ebm_steps", 40.0))))
    frames = chain_frames(m, step, noise, steps, is_still(options))
    temperature = f"{noise ** 2 / (2 * step):.2g}" if step > 0 else "∞"
    return Plane(title=f"Langevin η {step:.3g} σ {noise:.2g} × {steps} (T {temperature})"
                       " from uniform",
                 extent=m.data.extent, heat=heat, heat_label="−E(x)",
                 samples=frames[-1], frames=frames)


def chain_frames(m, step: float, noise: float, steps: int, still: bool = False
                 ) -> np.ndarray:
    """Return the animated frames of CHAINS chains from uniform starts with these
    settings, re-run when the settings change, or when the model trained since and the
    build is `still` or REFRESH_S has passed (views/refresh.py)."""
    return refreshed(m, "chains", (step, noise, steps),
                     lambda: keep_frames(list(m.langevin_frames(
                         CHAINS, seed=0, steps=steps, step=step, noise=noise))),
                     still, every_s=REFRESH_S)


def note(m) -> str:
    """Return the last training step's CD gap, mean E(positives) − mean E(negatives):
    below 0 while the data sit lower than the chains reach, near 0 when they match."""
    if m.last_energies is None:
        return ""
    e_pos, e_neg = m.last_energies
    return f"CD gap E(pos) − E(neg) {e_pos - e_neg:+.3f}".replace("-", "−")


def metric_samples(model) -> tuple[np.ndarray, str]:
    """Return what the metrics are computed on: fresh chains of the sampler training
    uses (`sample_steps` from uniform starts; averaged weights when kept)."""
    n = METRIC_SAMPLES
    return model.sample(n, seed=1), f"{n} fresh {model.config.sample_steps}-step chains"
