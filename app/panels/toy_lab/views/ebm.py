"""The energy-based model's view (toy lane): the landscape −E(x) and the persistent
Langevin chains training uses as negatives."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import SHOWN_SAMPLES, FamilyParts, Grids

OPTIONS: tuple[ViewOption, ...] = ()


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the main plot: −E as a heatmap and the persistent chains."""
    m = model
    n = int(np.sqrt(len(grids.heat)))
    energy = m.energy_at(grids.heat).reshape(n, n)
    chains = m.chains.numpy()[:SHOWN_SAMPLES].copy()
    main = Plane(title="green: data · heat: −E(x) · purple: persistent chains (Langevin)",
                 extent=m.data.extent, heat=-energy, heat_label="−E(x)", samples=chains)
    return FamilyParts(main)


def metric_samples(model) -> tuple[np.ndarray, str]:
    """Return the persistent chains: 500 Langevin steps per fresh sample would stall the
    run, and the chains are the model's samples during training."""
    return model.chains.numpy().copy(), "persistent chains"
