"""The images an anomaly run scores (numpy only): normal ones and one set of anomalies.

Normal images are the run's validation split — the images `Trainer` held out, drawn
without the excluded classes exactly as training drew them — so the model saw none of
them. The app has no separate test split: the validation split is the test split here.
Anomaly sets (`--anomalies`):
- `class:K`: every image of class K, a class the run excluded (`--exclude-class K`), so
  none was trained or validated on; taking them all, not only those falling in the
  validation split, gives ~10× more anomalies for the same model.
- `noise`: uniform 8-bit noise images, as many as the normal images.
- `rotate`: the normal images turned 90° (even positions) and 180° (odd positions).
- `invert`: the normal images inverted (255 − x).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from models.config import DataConfig, TrainConfig
from models.data import ImageDataset, load_dataset, split_indices

KINDS = ("class:K", "noise", "rotate", "invert")
REFERENCE = 256


@dataclass(frozen=True)
class AnomalySpec:
    """One anomaly set: its kind ("class", "noise", "rotate" or "invert") and, for
    "class", the class index."""

    kind: str
    cls: int | None = None

    @property
    def label(self) -> str:
        """Return the set as the command line spells it (`class:7`, `noise`)."""
        return f"class:{self.cls}" if self.kind == "class" else self.kind


def parse_anomalies(text: str) -> AnomalySpec:
    """Return the anomaly set `text` names; ValueError (one line) for anything else."""
    text = text.strip()
    if text in ("noise", "rotate", "invert"):
        return AnomalySpec(text)
    if text.startswith("class:"):
        raw = text[len("class:"):].strip()
        if raw.isdigit():
            return AnomalySpec("class", int(raw))
        raise ValueError(f"{text!r}: class:K takes a class index, e.g. class:7")
    raise ValueError(f"unknown anomaly set {text!r}; choose one of {', '.join(KINDS)}")


def held_out_classes(data: DataConfig | None) -> tuple[int, ...]:
    """Return the classes a run excluded from training (sorted; empty when none)."""
    return tuple(sorted(set(data.exclude_class or ()))) if data is not None else ()


def check_spec(spec: AnomalySpec, data: DataConfig | None) -> None:
    """Raise ValueError (one line) when `spec` is a class the run trained on."""
    if spec.kind != "class":
        return
    held = held_out_classes(data)
    if spec.cls not in held:
        hint = (f"it held out {', '.join(f'class:{k}' for k in held)}" if held else
                "train with --exclude-class K to hold one out")
        raise ValueError(f"class {spec.cls} was not held out: the run trained on it; {hint}")


@dataclass(frozen=True)
class ImageSets:
    """Normal and anomalous images (uint8 N×C×H×W) with their indices in the whole
    dataset (−1: made up, as noise), and a sentence saying what each set is."""

    normal: np.ndarray
    normal_index: np.ndarray
    anomalous: np.ndarray
    anomalous_index: np.ndarray
    normal_text: str
    anomalous_text: str
    reference: np.ndarray  # up to REFERENCE training-split images (a GAN's D statistics)


def _at_most(indices: np.ndarray, n: int | None, rng: np.random.Generator) -> np.ndarray:
    """Return `indices`, or a sorted random subset of n of them when there are more."""
    if n is None or len(indices) <= n:
        return indices
    return np.sort(rng.choice(indices, n, replace=False))


def build_sets(spec: AnomalySpec, data: DataConfig | None, train: TrainConfig | None,
               n: int | None = None, seed: int = 0,
               dataset: ImageDataset | None = None) -> ImageSets:
    """Return the normal images and the anomalies of `spec` for a run trained with `data`
    and `train`; each set at most `n` images (a subset fixed by `seed`).

    `dataset` is the whole dataset `data` names, classes included (loaded when None).
    Raises ValueError or DataError (one line) when the sets cannot be made.
    """
    data = data or DataConfig()
    check_spec(spec, data)
    full = dataset if dataset is not None else load_dataset(replace(data, exclude_class=None))
    held = held_out_classes(data)
    kept = np.flatnonzero(~np.isin(full.labels, held)) if held else np.arange(len(full))
    val_fraction = train.val_fraction if train is not None else TrainConfig().val_fraction
    split_seed = train.seed if train is not None else TrainConfig().seed
    train_part, val = split_indices(len(kept), val_fraction, split_seed)
    if val_fraction <= 0 or len(val) == 0:
        raise ValueError("the run has no validation split (val_fraction 0): no normal "
                         "images it has not trained on")
    rng = np.random.default_rng([seed, 0])
    normal_index = _at_most(kept[val], n, rng)
    normal = full.images[normal_index]
    name = full.name.removeprefix("folder:")
    excluded = (f" (class{'es' if len(held) > 1 else ''} {', '.join(map(str, held))} "
                f"excluded)") if held else ""
    normal_text = f"{len(normal)} images of the run's validation split of {name}{excluded}"
    made = np.full(len(normal), -1, np.int64)
    if spec.kind == "class":
        index = _at_most(np.flatnonzero(full.labels == spec.cls), n, rng)
        anomalous, anomalous_index = full.images[index], index
        cls_name = full.class_names[spec.cls] if spec.cls < len(full.class_names) else ""
        text = f"{len(index)} images of held-out class {spec.cls}"
        text += f" ({cls_name})" if cls_name and cls_name != str(spec.cls) else ""
    elif spec.kind == "noise":
        noise_rng = np.random.default_rng([seed, 1])
        anomalous = noise_rng.integers(0, 256, normal.shape, dtype=np.uint8)
        anomalous_index, text = made, f"{len(normal)} uniform 8-bit noise images"
    elif spec.kind == "rotate":
        anomalous = normal.copy()
        anomalous[0::2] = np.rot90(normal[0::2], 1, axes=(2, 3))
        anomalous[1::2] = np.rot90(normal[1::2], 2, axes=(2, 3))
        anomalous_index = normal_index.copy()
        text = f"the {len(normal)} normal images turned 90° (every other) and 180°"
    elif spec.kind == "invert":
        anomalous, anomalous_index = 255 - normal, normal_index.copy()
        text = f"the {len(normal)} normal images inverted (255 − x)"
    else:
        raise ValueError(f"unknown anomaly kind {spec.kind!r}")
    if len(anomalous) == 0:
        raise ValueError(f"{spec.label}: the dataset has no such images")
    ref_rng = np.random.default_rng([seed, 2])
    reference = full.images[_at_most(kept[train_part], REFERENCE, ref_rng)]
    return ImageSets(np.ascontiguousarray(normal), normal_index,
                     np.ascontiguousarray(anomalous), anomalous_index, normal_text, text,
                     np.ascontiguousarray(reference))
