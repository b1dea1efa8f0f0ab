"""Sampled z and their w side by side, with the images they draw and the digit
classifier's predicted classes: what a latent map of W against Z is drawn from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from models.stylegan import wspace
from models.stylegan.model import StyleGAN


@dataclass(frozen=True)
class SampledLatents:
    """n draws: z (n×z_dim), w = mapping(z) (n×w_dim, untruncated), the uint8 N×C×H×W
    images of w, and their predicted classes (−1 each when no classifier fits)."""

    z: np.ndarray
    w: np.ndarray
    images: np.ndarray
    labels: np.ndarray


def sampled_latents(model: StyleGAN, n: int, seed: int, dataset: str = "mnist5k",
                    batch: int = 256) -> Iterator[tuple[int, int] | SampledLatents]:
    """Yield (done, n) after each batch, then the SampledLatents; stoppable between
    batches. Classes come from the bundled classifier for `dataset`."""
    from models.latent.labels import predicted_labels

    z = wspace.sample_z(model, n, seed)
    ws, images = [], []
    n_ws = wspace.num_ws(model)
    for start in range(0, n, batch):
        w = wspace.mapping(model, z[start:start + batch])
        x = wspace.synthesize(model, wspace.broadcast(w, n_ws))
        ws.append(w)
        images.append(torch.round(x * 255).to(torch.uint8))
        yield min(n, start + batch), n
    pictures = torch.cat(images).numpy()
    labels = predicted_labels(pictures, dataset)
    yield SampledLatents(z.numpy(), torch.cat(ws).numpy(), pictures,
                         labels if labels is not None else np.full(n, -1, np.int64))
