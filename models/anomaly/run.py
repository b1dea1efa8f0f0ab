"""An anomaly run as a generator: score the normal and anomalous images in batches
(yielding progress, so a job can stop between batches), then measure the separation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from models.anomaly.metrics import (
    extremes,
    inverted_note,
    roc_auc,
    roc_curve,
    shared_histograms,
    summary,
    thin_curve,
)
from models.anomaly.scores import Score, score_for
from models.anomaly.sets import AnomalySpec, ImageSets, build_sets, held_out_classes
from models.config import DataConfig, TrainConfig
from models.data import ImageDataset

EXTREMES = 8


@dataclass(frozen=True)
class AnomalyProgress:
    """Images scored so far out of all of them."""

    done: int
    total: int


@dataclass(frozen=True)
class Extreme:
    """One of the most or least anomalous images: its set ("normal" or "anomalous"), its
    position in that set, its index in the dataset (−1: made up), score and pixels."""

    set: str
    position: int
    dataset_index: int
    score: float
    image: np.ndarray = field(repr=False)  # uint8 C×H×W

    def to_dict(self) -> dict[str, Any]:
        """Return it JSON-ready, without the pixels."""
        return {"set": self.set, "position": self.position,
                "dataset_index": None if self.dataset_index < 0 else self.dataset_index,
                "score": self.score}


@dataclass(frozen=True)
class AnomalyResult:
    """Everything an anomaly run measured (numpy arrays, CPU copies)."""

    family: str
    anomalies: str
    held_out: tuple[int, ...]
    seed: int
    score_name: str
    score_unit: str
    score_description: str
    likelihood: bool
    normal_text: str
    anomalous_text: str
    normal_scores: np.ndarray
    anomalous_scores: np.ndarray
    auc: float
    fpr: np.ndarray
    tpr: np.ndarray
    edges: np.ndarray
    normal_counts: np.ndarray
    anomalous_counts: np.ndarray
    most: tuple[Extreme, ...]
    least: tuple[Extreme, ...]
    seconds: float

    @property
    def inverted(self) -> bool:
        """Return True when the model scores the anomalies lower than the normal images."""
        return self.auc < 0.5

    @property
    def note(self) -> str | None:
        """Return the sentence saying the result is inverted, or None."""
        return inverted_note(self.auc, self.score_name, self.likelihood)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object `latentlab anomaly` prints."""
        fpr, tpr = thin_curve(self.fpr, self.tpr)
        out: dict[str, Any] = {
            "family": self.family, "anomalies": self.anomalies,
            "held_out_classes": list(self.held_out), "seed": self.seed,
            "score": {"name": self.score_name, "unit": self.score_unit,
                      "description": self.score_description,
                      "higher_means": "more anomalous", "likelihood": self.likelihood},
            "normal": self.normal_text, "anomalous": self.anomalous_text,
            "auc": round(self.auc, 6), "inverted": self.inverted,
        }
        if self.note:
            out["inverted_note"] = self.note
        out.update({
            "summary": {"normal": summary(self.normal_scores),
                        "anomalous": summary(self.anomalous_scores)},
            "histogram": {"edges": [float(e) for e in self.edges],
                          "normal": self.normal_counts.tolist(),
                          "anomalous": self.anomalous_counts.tolist()},
            "roc": {"fpr": [round(float(v), 6) for v in fpr],
                    "tpr": [round(float(v), 6) for v in tpr]},
            "most_anomalous": [e.to_dict() for e in self.most],
            "least_anomalous": [e.to_dict() for e in self.least],
            "seconds": round(self.seconds, 3),
        })
        return out


def _score_images(score: Score, images: np.ndarray, device: torch.device, batch: int,
                  done: int, total: int) -> Iterator[AnomalyProgress | np.ndarray]:
    """Yield progress after each batch, then the scores of uint8 `images` (float64 N)."""
    out = np.empty(len(images), np.float64)
    for i in range(0, len(images), batch):
        x = torch.from_numpy(images[i:i + batch]).to(device).float().div_(255.0)
        with torch.no_grad():
            s = score.fn(x)
        out[i:i + len(x)] = s.detach().double().cpu().numpy()
        yield AnomalyProgress(done + i + len(x), total)
    if np.isnan(out).any():
        raise ValueError(f"the {score.name} is NaN for {int(np.isnan(out).sum())} image(s)")
    yield out


def _extremes(sets: ImageSets, normal: np.ndarray, anomalous: np.ndarray, k: int
              ) -> tuple[tuple[Extreme, ...], tuple[Extreme, ...]]:
    """Return the k most and k least anomalous images of both sets pooled."""
    pooled = np.concatenate([normal, anomalous])
    n = len(normal)

    def one(i: int) -> Extreme:
        if i < n:
            return Extreme("normal", i, int(sets.normal_index[i]), float(pooled[i]),
                           sets.normal[i].copy())
        j = i - n
        return Extreme("anomalous", j, int(sets.anomalous_index[j]), float(pooled[i]),
                       sets.anomalous[j].copy())

    most, least = extremes(pooled, k)
    return tuple(one(int(i)) for i in most), tuple(one(int(i)) for i in least)


def run_anomaly(model: Any, data: DataConfig | None, train: TrainConfig | None,
                spec: AnomalySpec, n: int | None = None, seed: int = 0, *,
                batch: int | None = None, k: int = EXTREMES,
                dataset: ImageDataset | None = None
                ) -> Iterator[AnomalyProgress | AnomalyResult]:
    """Yield AnomalyProgress while scoring, then the AnomalyResult of `spec` for `model`
    trained with `data` and `train` (each set at most `n` images, chosen by `seed`, which
    also fixes the score's random numbers), scored `batch` images at a time (None: the
    score's own batch). Runs on whichever thread iterates it."""
    start = time.perf_counter()
    sets = build_sets(spec, data, train, n, seed, dataset)
    held = held_out_classes(data)
    model.eval()
    reference = torch.from_numpy(sets.reference).to(model.device).float().div_(255.0)
    score = score_for(model, seed, held, reference)
    batch = batch or score.batch
    total = len(sets.normal) + len(sets.anomalous)
    scored: list[np.ndarray] = []
    done = 0
    for images in (sets.normal, sets.anomalous):
        for item in _score_images(score, images, model.device, batch, done, total):
            if isinstance(item, AnomalyProgress):
                yield item
            else:
                scored.append(item)
        done += len(images)
    normal, anomalous = scored
    fpr, tpr = roc_curve(normal, anomalous)
    edges, normal_counts, anomalous_counts = shared_histograms(normal, anomalous)
    most, least = _extremes(sets, normal, anomalous, k)
    yield AnomalyResult(
        family=model.family, anomalies=spec.label, held_out=held, seed=seed,
        score_name=score.name, score_unit=score.unit, score_description=score.description,
        likelihood=score.likelihood, normal_text=sets.normal_text,
        anomalous_text=sets.anomalous_text, normal_scores=normal, anomalous_scores=anomalous,
        auc=roc_auc(normal, anomalous), fpr=fpr, tpr=tpr, edges=edges,
        normal_counts=normal_counts, anomalous_counts=anomalous_counts, most=most,
        least=least, seconds=time.perf_counter() - start)
