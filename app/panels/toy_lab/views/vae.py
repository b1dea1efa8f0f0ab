"""The VAE's view (toy lane): decoded prior samples and the decoder's image of a latent
grid."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import SHOWN_SAMPLES, FamilyParts, Grids, grid_lines

OPTIONS: tuple[ViewOption, ...] = ()


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the main plot: decoded prior samples over the decoded latent grid."""
    m = model
    n = int(np.sqrt(len(grids.z)))
    z = np.zeros((len(grids.z), m.config.latent_dim), np.float32)
    k = min(2, m.config.latent_dim)
    z[:, :k] = grids.z[:, :k]
    main = Plane(title="green: data · purple: decoded prior samples · "
                       "grey: the decoded latent grid",
                 extent=m.data.extent, samples=m.sample(SHOWN_SAMPLES, seed=0),
                 segments=grid_lines(m.decode(z), n))
    return FamilyParts(main)
