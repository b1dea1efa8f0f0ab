"""Writing a checkpoint's precomputed latent map (torch side, for scripts/precompute_pictures.py).

The map is the app's own computation (models/latent/map_compute.py) and the t-SNE and UMAP
positions come from the same calls, with the same seed, as the map panel's projection job
(models/latent/embedding.py), so the file holds exactly what the window would compute.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.latent.map_contents import MapContents
from models.pictures.fingerprint import weights_fingerprint
from models.pictures.map_file import TSNE, UMAP, PrecomputedMap, save_map

if TYPE_CHECKING:
    from models.opened import OpenedModel


def write_map(checkpoint: Path, model: OpenedModel,
              report: Callable[[str], None] | None = None) -> Path | None:
    """Compute `model`'s latent map and its t-SNE and UMAP positions and save them in
    `checkpoint`'s precomputed folder; return the file, or None for a model without a
    latent map (pixel diffusion). `report(stage)` hears each stage as it starts."""
    from models.latent.first_stage import can_map

    if not can_map(model.capabilities):
        return None
    say = report or (lambda _stage: None)
    fingerprint = weights_fingerprint(checkpoint)  # of the weights the map is made from
    contents = computed_contents(model, say)
    projections = {}
    for method in (TSNE, UMAP):
        say(method)
        projections[method] = embedding_positions(method, contents.means)
    return save_map(checkpoint, PrecomputedMap(contents, fingerprint, projections))


def computed_contents(model: OpenedModel, say: Callable[[str], None]) -> MapContents:
    """Return the MapContents the map job computes for `model` (on this thread)."""
    from models.data import load_dataset
    from models.latent.map_compute import MapProgress, compute_map

    stage = ""
    for ev in compute_map(model, model.inference_copy(), load_dataset):
        if isinstance(ev, MapProgress):
            if ev.stage != stage:
                stage = ev.stage
                say(stage)
        else:
            return ev
    raise RuntimeError("the map computation ended without a map")


def embedding_positions(method: str, means: np.ndarray) -> np.ndarray:
    """Return the N×2 float32 `method` (t-SNE or UMAP) positions of N×D `means`."""
    from models.latent.embedding import MAP_SEED, Embedding, tsne_embedding, umap_embedding

    make = tsne_embedding if method == TSNE else umap_embedding
    for ev in make(means, seed=MAP_SEED):
        if isinstance(ev, Embedding):
            return ev.positions
    raise RuntimeError(f"{method} ended without positions")
