"""The GAN's view (toy lane): D's decision surface, G(z) with the gradient arrows that
push each fake, and GAN Lab's transport lines from a grid of z to G(z)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import SHOWN_SAMPLES, FamilyParts, Grids, field_arrows

OPTIONS = (
    ViewOption("transport", "z → G(z) lines", "check", True,
               "Lines from a grid of noise z to the points G(z) it becomes"),
)
ARROWED = 150  # fakes that get a gradient arrow


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the main plot: D's surface, fakes, their −∂L_G/∂x arrows, transport lines."""
    m = model
    e = m.data.extent
    samples = m.sample(SHOWN_SAMPLES, seed=0)
    n = int(np.sqrt(len(grids.heat)))
    d = m.decision(grids.heat).reshape(n, n)
    label = "D(x) = P(real)" if m.config.loss == "ns" else "critic D(x)"
    grads = m.fake_gradients(samples[:ARROWED])
    segments = None
    if options.get("transport", True):
        z = np.zeros((len(grids.z), m.config.noise_dim), np.float32)
        k = min(2, m.config.noise_dim)
        z[:, :k] = grids.z[:, :k]
        feet = z[:, :2] if k == 2 else np.pad(z[:, :1], ((0, 0), (0, 1)))
        segments = np.concatenate([feet, m.transport(z)], 1)
    title = (f"green: data · heat: {label} · purple: G(z) · arrows: −∂L_G/∂x"
             + (" · grey lines: z → G(z)" if segments is not None else ""))
    main = Plane(title=title, extent=e, heat=d, heat_label=label, diverging=True,
                 samples=samples, arrows=field_arrows(samples[:ARROWED], grads, 0.35),
                 segments=segments)
    return FamilyParts(main)
