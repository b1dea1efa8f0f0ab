"""Computing a model's latent map: its dataset encoded, or, for a generator without an
encoder, generated latents labelled by their class or by the digit classifier. Latent
diffusion is mapped through its first stage (the autoencoder's posterior means, see
first_stage.py).

The one computation behind the latent map job (app/session/latent_jobs.py) and the
precomputed map file (models/pictures/map_writer.py). A generator of progress events;
torch is imported only when it runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from models.latent.first_stage import NO_MAP_PIXEL_DIFFUSION, no_map_reason
from models.latent.map_contents import MapContents

if TYPE_CHECKING:
    from models.base import GenerativeModel
    from models.config import DataConfig
    from models.opened import OpenedModel

log = logging.getLogger(__name__)

GENERATED_SAMPLES = 5000  # latents drawn for models that cannot encode
DEFAULT_DATASET = "mnist5k"  # what a generator's samples are classified as, when unknown
NO_LATENT_MAP = NO_MAP_PIXEL_DIFFUSION

# Stages, as the panel shows them (verbatim: "t-SNE" must not become "T-sne").
ENCODING, GENERATING = "Encoding the dataset", "Generating samples"
CLASSIFYING = "Classifying the samples"


@dataclass(frozen=True)
class MapProgress:
    """`done` of `total` units of `stage` (total 0: unknown)."""

    stage: str
    done: int
    total: int


def compute_map(model: OpenedModel, net: GenerativeModel,
                load_data: Callable[[DataConfig], Any]) -> Iterator[MapProgress | MapContents]:
    """Yield progress, then the MapContents of `model` computed with `net` (a copy of its
    weights for the calling thread); `load_data(model.data)` returns its dataset.

    Latent diffusion maps its autoencoder's latents: an unconditional first stage (the
    classes are not its input, so LDA may separate them) with no prior to shade (its KL
    term only regularises; the diffusion stage is the model's prior).

    Raises ValueError for a pixel-space diffusion model or an encoder without a known
    dataset.
    """
    from models.latent.encode import EncodedLatents, encode_dataset, generated_latents
    from models.latent.first_stage import can_map, has_first_stage

    caps = model.capabilities
    if not can_map(caps):
        raise ValueError(no_map_reason(caps))
    first_stage = has_first_stage(caps)
    conditional = caps.conditional and not first_stage
    has_prior = caps.has_prior and caps.can_encode and not first_stage
    dataset_name = model.dataset or DEFAULT_DATASET
    class_names = tuple(model.class_names)
    ds: Any = None
    if caps.can_encode:
        if model.data is None:
            raise ValueError("the checkpoint does not say which dataset it was trained on")
        ds = load_data(model.data)
        class_names = class_names or tuple(ds.class_names)
        events, stage = encode_dataset(net, ds.images, ds.labels), ENCODING
    elif caps.conditional:  # a cGAN: each sample in a known class (no classifier needed)
        from models.latent.conditioning import generated_class_latents

        events, stage = generated_class_latents(net, GENERATED_SAMPLES, seed=0), GENERATING
    else:
        events, stage = generated_latents(net, GENERATED_SAMPLES, seed=0), GENERATING
    result = None
    for ev in events:
        if isinstance(ev, EncodedLatents):
            result = ev
        else:
            yield MapProgress(stage, ev.done, ev.total)
    assert result is not None
    labels, note = result.labels, ""
    if result.generated:
        images = result.images.transpose(0, 2, 3, 1)
        if caps.conditional:
            note = "colours are the classes the samples were generated for"
        else:
            yield MapProgress(CLASSIFYING, 0, 0)
            labels, note = _predicted_labels(result.images, dataset_name, labels)
    else:
        images = ds.images.transpose(0, 2, 3, 1)
    kl = None
    # A flow's encoder is a bijection, not a posterior: no KL to the prior to show (its
    # dimensions are then ordered by their variance over the data, as an AE's).
    bijective = getattr(net, "likelihood_kind", None) == "exact"
    if has_prior and not result.generated and not bijective:
        from models.latent.interpolation import kl_per_dimension

        kl = kl_per_dimension(result.means, result.logvars)
    yield MapContents(model.family, model.epoch, dataset_name, class_names,
                      np.array(result.means, np.float32, order="C"),  # copies: the map's own
                      np.array(labels, np.int64), np.array(images, np.uint8, order="C"),
                      result.generated, conditional, has_prior, note, kl)


def _predicted_labels(images: np.ndarray, dataset: str,
                      labels: np.ndarray) -> tuple[np.ndarray, str]:
    """Return (labels, note) from the digit classifier, or the given labels and why not."""
    try:
        from models.latent.labels import predicted_labels

        predicted = predicted_labels(images, dataset)
    except Exception as exc:  # a broken classifier must not cost the map
        log.warning("latent map: classifier failed: %s", exc)
        predicted = None
    if predicted is None:
        return labels, f"no digit classifier for {dataset}: samples are unlabelled"
    return predicted, "colours are the digit classifier's predicted classes"
