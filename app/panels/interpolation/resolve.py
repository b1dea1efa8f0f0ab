"""Turning an anchor's description (dataset index, seed, map pick) into a latent.

No widgets here: the panel shows what this returns. File anchors are not resolved here: their
latent comes back from an encode request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.panels.interpolation.anchors import DATASET, MAP, RANDOM
from app.session.latent_types import LatentAnchor, MapData
from models.latent.interpolation import seeded_latent


@dataclass(frozen=True)
class ResolvedAnchor:
    """An anchor's latent (None: not available yet), label, picture and description.

    `image` is None when the picture must be decoded from the latent.
    """

    latent: np.ndarray | None
    label: int
    image: np.ndarray | None
    text: str


def anchor_from_source(source: str, number: int, data: MapData, pick: LatentAnchor | None,
                       prior: bool, center: np.ndarray, std: np.ndarray
                       ) -> ResolvedAnchor | None:
    """Return the anchor described by `source` and `number` (index or seed), or None for
    sources resolved elsewhere (files).

    Random latents come from N(0, I) when the model has a prior, else from the codes'
    spread (`center`, `std`). Map picks count only when made on this map (`data`).
    """
    if source == DATASET:
        i = min(max(number, 0), len(data.means) - 1)
        label = int(data.labels[i])
        kind = "sample" if data.generated else "image"
        names = data.class_names
        cls = "" if label < 0 else \
            f", class {names[label] if label < len(names) else label}"
        return ResolvedAnchor(data.means[i].copy(), label, data.images[i], f"{kind} #{i}{cls}")
    if source == RANDOM:
        mean = np.zeros_like(center) if prior else center
        spread = np.ones_like(std) if prior else std
        text = f"N(0, I) latent, seed {number}" if prior else f"random code, seed {number}"
        return ResolvedAnchor(seeded_latent(number, mean, spread), -1, None, text)
    if source == MAP:
        if pick is None or pick.generation != data.generation:
            return ResolvedAnchor(None, -1, None,
                                  "Click a point (or empty space) on the latent map")
        z = np.asarray(pick.latent, np.float32).copy()
        if pick.index is not None:
            return ResolvedAnchor(z, pick.label, data.images[pick.index],
                                  f"map point #{pick.index}")
        return ResolvedAnchor(z, pick.label, None, f"map position ({pick.position[0]:.2f}, "
                                                   f"{pick.position[1]:.2f})")
    return None
