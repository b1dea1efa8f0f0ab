"""Encoding a whole dataset to latent means, as a generator of progress events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from models.base import GenerativeModel


@dataclass(frozen=True)
class EncodeProgress:
    """`done` of `total` images encoded so far."""

    done: int
    total: int


@dataclass(frozen=True)
class EncodedLatents:
    """The finished job: N×D latent means (and log-variances) with the images' labels.

    `generated` is True for models without an encoder: the latents are prior samples and
    `images` holds what they decode to.
    """

    means: np.ndarray
    logvars: np.ndarray
    labels: np.ndarray
    generated: bool = False
    images: np.ndarray | None = None  # uint8 N×C×H×W of generated samples


@torch.no_grad()
def encode_dataset(model: GenerativeModel, images: np.ndarray, labels: np.ndarray,
                   batch_size: int = 512) -> Iterator[EncodeProgress | EncodedLatents]:
    """Yield EncodeProgress per batch, then EncodedLatents for uint8 N×C×H×W `images`.

    Stop early by no longer iterating; nothing is kept.
    """
    model.eval()
    n = len(images)
    dim = model.capabilities.latent_dim
    means = np.empty((n, dim), np.float32)
    logvars = np.empty((n, dim), np.float32)
    conditional = model.capabilities.conditional
    for start in range(0, n, batch_size):
        stop = min(n, start + batch_size)
        x = torch.from_numpy(images[start:stop]).to(model.device).float().div_(255.0)
        y = torch.from_numpy(labels[start:stop]).to(model.device) if conditional else None
        mu, logvar = model.encode(x, y)
        means[start:stop] = mu.reshape(len(x), -1).cpu().numpy()
        logvars[start:stop] = logvar.reshape(len(x), -1).cpu().numpy()
        yield EncodeProgress(stop, n)
    yield EncodedLatents(means, logvars, labels.copy())


def generated_latents(model: GenerativeModel, n: int, seed: int,
                      batch_size: int = 256) -> Iterator[EncodeProgress | EncodedLatents]:
    """Yield progress, then prior latents with the uint8 images they decode to.

    For models that cannot encode (GANs). Labels are −1; a classifier may fill them later.
    """
    model.eval()
    dim = model.capabilities.latent_dim
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, dim, generator=g)
    images = None
    with torch.no_grad():
        for start in range(0, n, batch_size):
            batch = z[start:start + batch_size].to(model.device)
            out = model.decode(batch.reshape(len(batch), *model.capabilities.latent_shape))
            arr = np.clip(np.rint(out.cpu().numpy() * 255), 0, 255).astype(np.uint8)
            if images is None:
                images = np.empty((n, *arr.shape[1:]), np.uint8)
            images[start:start + len(arr)] = arr
            yield EncodeProgress(min(n, start + batch_size), n)
    yield EncodedLatents(z.numpy(), np.zeros_like(z.numpy()), np.full(n, -1, np.int64),
                         generated=True, images=images)
