"""Evaluating a checkpoint: validation metrics on the split it was trained with, and the
sample quality of what it generates (classifier-feature Fréchet distance, precision/recall,
density/coverage, class coverage; Inception FID only when its weights are local)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.checkpoint import load_checkpoint
from models.config import DataConfig, TrainConfig
from models.data import ImageDataset, load_dataset, split_indices
from models.device import resolve_device


def validation_metrics(model: Any, images: torch.Tensor, labels: torch.Tensor,
                       batch_size: int = 256) -> dict[str, Any]:
    """Return the model's validation metrics averaged over uint8 `images` (N×C×H×W);
    vector metrics (a VAE's kl_per_dim) as lists."""
    from models.training.validation import validation_pass

    phases = model.training_phases(TrainConfig())
    out: dict[str, Any] = {}
    for number, phase in enumerate(phases, 1):
        # A model trained in phases is validated as each phase was (latent diffusion: the
        # autoencoder on images, the UNet on latents); the last phase's keys are unprefixed.
        inputs = images
        if len(phases) > 1:
            x = images.to(model.device).float().div_(255.0)
            with torch.no_grad():
                _, inputs = model.enter_phase(phase.name, x, x, crossing=False)
        batches = ((_as_float(inputs[i:i + batch_size].to(model.device)),
                    labels[i:i + batch_size].to(model.device))
                   for i in range(0, len(images), batch_size))
        scalars, vectors = validation_pass(model, batches)
        prefix = "" if number == len(phases) else f"{phase.name}_"
        out.update({prefix + k: v for k, v in scalars.items()})
        out.update({prefix + k: [round(float(x), 6) for x in v] for k, v in vectors.items()})
    return out


def _as_float(batch: torch.Tensor) -> torch.Tensor:
    """Return uint8 images as floats in [0, 1]; float inputs as they are."""
    return batch.float().div_(255.0) if batch.dtype == torch.uint8 else batch


DEFAULT_SAMPLES = 2000
# A diffusion sample is a whole sampler run (25 UNet passes by default), ~25× a GAN's.
DEFAULT_SAMPLES_DIFFUSION = 500


def evaluate_checkpoint(path: Path | str, device: str = "auto",
                        n_samples: int | None = None) -> dict[str, Any]:
    """Return a JSON-ready dict of evaluation metrics for a checkpoint or run folder.

    `n_samples` generated images (None: 2000, or 500 for diffusion models) are scored
    against as many real ones.
    """
    loaded = load_checkpoint(path, device=resolve_device(device))
    if n_samples is None:
        n_samples = DEFAULT_SAMPLES_DIFFUSION if loaded.model.capabilities.is_diffusion \
            else DEFAULT_SAMPLES
    data = loaded.data or DataConfig()
    dataset = load_dataset(data)
    seed = loaded.train.seed if loaded.train else 0
    val_fraction = loaded.train.val_fraction if loaded.train else 0.1
    _, val_idx = split_indices(len(dataset), val_fraction, seed)
    images = torch.from_numpy(dataset.images[val_idx])
    labels = torch.from_numpy(dataset.labels[val_idx])
    return {
        "checkpoint": str(loaded.path),
        "family": loaded.family,
        "dataset": dataset.name,
        "n_val": len(val_idx),
        "progress": loaded.progress,
        "val": validation_metrics(loaded.model, images, labels),
        **likelihood_metrics(loaded.model, images, labels),
        **sample_quality_metrics(loaded.model, dataset, n_samples),
    }


def likelihood_metrics(model: Any, images: torch.Tensor, labels: torch.Tensor,
                       batch_size: int = 250) -> dict[str, Any]:
    """Return {"bits_per_dim": mean over uint8 `images`, "likelihood_kind": "exact" or
    "bound"} for a model with `nll_bits_per_dim`; {} for any other."""
    if not hasattr(model, "nll_bits_per_dim") or not len(images):
        return {}
    limit = getattr(model, "likelihood_max_images", None)  # a DDPM's bound: T passes each
    images, labels = images[:limit], labels[:limit]
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            x = _as_float(images[i:i + batch_size].to(model.device))
            extra = {"labels": labels[i:i + batch_size]} if model.capabilities.conditional \
                else {}
            total += float(model.nll_bits_per_dim(x, **extra).double().sum())
    out = {"bits_per_dim": total / len(images), "likelihood_kind": model.likelihood_kind}
    if limit is not None or hasattr(model, "likelihood_note"):
        out["bits_per_dim_n"] = len(images)
    if hasattr(model, "likelihood_note"):
        out["likelihood_note"] = model.likelihood_note()
    return out


def sample_quality_metrics(model: Any, dataset: ImageDataset, n_samples: int,
                           seed: int = 0) -> dict[str, Any]:
    """Return {"sample_quality": {...}, "inception_fid": {...}} for a model that samples.

    Each part is {"available": False, "reason": ...} when it cannot be computed: the model
    cannot sample, no shipped classifier matches the dataset, or Inception weights are
    absent. Real images: a fixed subset of the dataset, as many as generated (n_samples).
    """
    from models.metrics.inception import inception_fid, inception_fid_status
    from models.metrics.quality import (
        K_DENSITY,
        K_NEAREST,
        NoClassifierError,
        generate,
        quality_for_dataset,
        real_subset,
    )

    def unavailable(reason: str) -> dict[str, Any]:
        return {"available": False, "reason": reason}

    least = max(K_NEAREST, K_DENSITY) + 1
    if n_samples < least:
        reason = f"needs --n of at least {least} generated images"
        return {"sample_quality": unavailable(reason), "inception_fid": unavailable(reason)}
    real_idx = real_subset(len(dataset), n_samples, seed)
    real = torch.from_numpy(dataset.images[real_idx])
    try:
        quality = quality_for_dataset(dataset.name, real, model.device)
    except NoClassifierError as exc:
        quality = None
        quality_out = unavailable(str(exc))
    fid_ok, fid_reason = inception_fid_status()
    if quality is None and not fid_ok:
        return {"sample_quality": quality_out, "inception_fid": unavailable(fid_reason)}
    try:
        fake, labels = generate(model, n_samples, seed)
    except NotImplementedError as exc:
        reason = f"{model.family} cannot sample ({exc})"
        return {"sample_quality": unavailable(reason), "inception_fid": unavailable(reason)}
    if quality is not None:
        quality_out = {"available": True, "classifier": quality.name,
                       "classifier_val_accuracy": quality.info.get("val_accuracy"),
                       "n_generated": len(fake), "n_real": len(real), "seed": seed,
                       "k": K_NEAREST, "k_density": K_DENSITY,
                       **quality.score(fake, labels),
                       "fd_real_vs_real": _real_baseline(quality, dataset, n_samples, seed)}
    fid = inception_fid(real.float() / 255.0, fake) if fid_ok else unavailable(fid_reason)
    return {"sample_quality": quality_out, "inception_fid": fid}


def _real_baseline(quality: Any, dataset: ImageDataset, n: int, seed: int) -> float | None:
    """Return the Fréchet distance between two disjoint halves of the real data (a floor
    for reading the model's value), or None when the dataset is too small."""
    from models.metrics.distances import frechet_distance_features

    m = min(n, len(dataset) // 2)
    if m < 2:
        return None
    order = np.random.default_rng([seed, 1]).permutation(len(dataset))
    a = torch.from_numpy(dataset.images[np.sort(order[:m])]).float() / 255.0
    b = torch.from_numpy(dataset.images[np.sort(order[m:2 * m])]).float() / 255.0
    return frechet_distance_features(quality.classifier.embed(a)[0],
                                     quality.classifier.embed(b)[0])
