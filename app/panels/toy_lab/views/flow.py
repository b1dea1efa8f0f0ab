"""The normalizing flow's view (toy lane): the exact log-density and samples."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import SHOWN_SAMPLES, FamilyParts, Grids

OPTIONS: tuple[ViewOption, ...] = ()
LOGP_FLOOR = -12.0  # the heatmap's floor: far tails would wash out the colours


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the main plot: log p(x) as a heatmap and samples."""
    m = model
    n = int(np.sqrt(len(grids.heat)))
    logp = m.log_prob(grids.heat).reshape(n, n)
    main = Plane(title="green: data · heat: log p(x), exact · purple: samples",
                 extent=m.data.extent, heat=np.maximum(logp, LOGP_FLOOR),
                 heat_label="log p(x), exact", samples=m.sample(SHOWN_SAMPLES, seed=0))
    return FamilyParts(main)
