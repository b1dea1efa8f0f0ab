"""Decoding with a mixed class input: interpolating a cVAE's or cGAN's class embedding.

Both conditional families feed the decoder/generator the one-hot label concatenated to z.
Replacing that one-hot by class weights w (one-hot(a) → one-hot(b) along a path) moves the
class input continuously, which integer labels cannot express.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from models.base import GenerativeModel
from models.images import to_uint8_nhwc
from models.latent.encode import EncodedLatents, EncodeProgress


def supports_class_mix(model: GenerativeModel) -> bool:
    """Return True when `model` takes its class as a one-hot input that weights can replace."""
    if not model.capabilities.conditional or model.capabilities.is_diffusion:
        return False
    return hasattr(model, "_decode_logits") or hasattr(model, "generator")


@torch.no_grad()
def decode_class_mix(model: GenerativeModel, latents: np.ndarray, weights: np.ndarray,
                     batch_size: int = 256) -> np.ndarray:
    """Return uint8 N×H×W×C images decoded from N×D latents with N×K class weights.

    One-hot weights give exactly what `decode(z, labels)` gives. Fewer than the model's
    K columns (a dataset using only the first classes) are padded with zeros.
    Raises ValueError for models without a one-hot class input.
    """
    if not supports_class_mix(model):
        raise ValueError(f"{model.family} has no class input to interpolate")
    caps = model.capabilities
    z_all = torch.from_numpy(np.ascontiguousarray(latents, np.float32))
    w_all = torch.from_numpy(np.ascontiguousarray(weights, np.float32))
    k = model.config.num_classes
    if w_all.ndim != 2 or len(w_all) != len(z_all) or w_all.shape[1] > k:
        raise ValueError(f"class weights have shape {tuple(w_all.shape)}; need "
                         f"({len(z_all)}, {k})")
    w_all = torch.nn.functional.pad(w_all, (0, k - w_all.shape[1]))
    out = []
    for start in range(0, len(z_all), batch_size):
        z = z_all[start:start + batch_size].to(model.device).reshape(-1, *caps.latent_shape)
        w = w_all[start:start + batch_size].to(model.device)
        if hasattr(model, "_decode_logits"):  # autoencoders: sigmoid of the decoder's logits
            images = torch.sigmoid(model._decode_logits(z, w))
        else:  # GANs: the generator in eval mode (batch-norm running stats), tanh → [0, 1]
            generator = model.generator
            was_training = generator.training
            generator.eval()
            try:
                images = (generator(torch.cat([z, w.to(z.dtype)], dim=1)) + 1.0) * 0.5
            finally:
                generator.train(was_training)
        out.append(to_uint8_nhwc(images))
    return np.concatenate(out) if out else np.zeros((0, 1, 1, 1), np.uint8)


def generated_class_latents(model: GenerativeModel, n: int, seed: int, batch_size: int = 256
                            ) -> Iterator[EncodeProgress | EncodedLatents]:
    """Yield progress, then prior latents of a class-conditional model without an encoder
    (a cGAN) with the images they decode to, classes cycling 0..K−1.

    Like `generated_latents`, but the labels are the classes each sample was generated
    for, so a map colours them truthfully without a classifier.
    """
    model.eval()
    dim, k = model.capabilities.latent_dim, model.config.num_classes
    z = torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))
    labels = np.arange(n, dtype=np.int64) % k
    images: np.ndarray | None = None
    with torch.no_grad():
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            out = model.decode(z[start:stop].to(model.device),
                               torch.from_numpy(labels[start:stop]).to(model.device))
            arr = np.clip(np.rint(out.cpu().numpy() * 255), 0, 255).astype(np.uint8)
            if images is None:
                images = np.empty((n, *arr.shape[1:]), np.uint8)
            images[start:stop] = arr
            yield EncodeProgress(stop, n)
    yield EncodedLatents(z.numpy(), np.zeros((n, dim), np.float32), labels, generated=True,
                         images=images)
