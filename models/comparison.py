"""One run's figures for `latentlab compare` and the Compare runs panel: weights per stage,
sampling seconds per image, bits per dimension (exact, a bound, or why there is none), the
sample quality `eval` measures (Fréchet distance, precision/recall, density/coverage), the
digit classifier score, and the training time its metrics logged. Runs side by side:
models/compare_runs.py."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.checkpoint import load_checkpoint
from models.config import DataConfig, TrainConfig
from models.training.run_reader import MAX_LINE_BYTES, open_regular, read_info
from models.training.run_record import METRICS, RUN_JSON

SAMPLE_BATCH = 250  # as `latentlab eval` generates: batch i from seed + i
HISTORY = "history"  # a demo checkpoint's recorded run folder


@dataclass(frozen=True)
class Training:
    """What a run folder's metrics say about its training: the epochs' logged seconds
    (wall clock of each epoch, validation and preview included), summed, and by phase, and
    their CPU seconds (None when an epoch was logged by a version that did not count them)."""

    run_dir: str
    seconds: float
    epochs: int
    seconds_by_phase: dict[str, float]
    epochs_by_phase: dict[str, int]
    threads: int | None  # torch threads the run used (run.json)
    cpu_seconds: float | None = None


@dataclass(frozen=True)
class RunFigures:
    """One run's row of the comparison."""

    name: str
    checkpoint: str
    family: str
    dataset: str
    parameters: int
    parameters_by_stage: dict[str, int]
    sampler: str | None  # None: not a diffusion model
    steps: int | None
    n_images: int
    sample_s_per_image: float
    fd: float | None
    fd_unavailable: str | None  # why fd is None
    training: Training | None
    progress: dict[str, Any] = field(default_factory=dict)
    bits_per_dim: float | None = None
    bits_per_dim_kind: str | None = None  # "exact" | "bound" | None (see the note)
    bits_per_dim_note: str = ""
    bits_per_dim_n: int = 0  # held-out images it is the mean over
    iwae_k: int | None = None  # importance samples of a VAE's bound
    classifier_score: float | None = None  # exp E KL(p(y|x) ‖ p(y)), digit classifier
    sample_quality: dict[str, Any] | None = None  # eval's precision, recall, density, …

    def to_dict(self) -> dict[str, Any]:
        """Return the row as JSON-ready data."""
        return asdict(self)


def run_folder(path: Path, checkpoint: Path) -> Path | None:
    """Return the run folder whose metrics describe the checkpoint opened as `path`: the
    folder itself, the run a `checkpoints/<name>` folder belongs to, or a demo's
    `history/`; None when there is none."""
    for candidate in (path, checkpoint.parent.parent if checkpoint.parent.name ==
                      "checkpoints" else None, checkpoint / HISTORY):
        if candidate is not None and ((candidate / METRICS).is_file() or
                                      (candidate / RUN_JSON).is_file()):
            return candidate
    return None


def read_training(run_dir: Path) -> Training:
    """Return the epochs' seconds logged in `run_dir`'s metrics.jsonl (an epoch logged
    twice, by a resumed run, counts once: the last line)."""
    epochs: dict[int, tuple[str, float, float | None]] = {}
    f = open_regular(run_dir / METRICS)
    if f is not None:
        with f:
            while line := f.readline(MAX_LINE_BYTES + 1):
                if len(line) > MAX_LINE_BYTES or b'"epoch"' not in line:
                    continue
                try:
                    rec = json.loads(line)
                    if rec.get("kind") == "epoch":
                        cpu = rec.get("cpu_seconds")
                        epochs[int(rec["epoch"])] = (
                            str(rec.get("phase", "train")), float(rec["seconds"]),
                            float(cpu) if isinstance(cpu, (int, float)) else None)
                except (ValueError, TypeError, KeyError, AttributeError):
                    continue  # a torn or foreign line
    by_phase: dict[str, float] = {}
    count: dict[str, int] = {}
    for phase, seconds, _cpu in epochs.values():
        by_phase[phase] = by_phase.get(phase, 0.0) + seconds
        count[phase] = count.get(phase, 0) + 1
    cpus = [cpu for _phase, _seconds, cpu in epochs.values()]
    cpu_seconds = sum(cpus) if cpus and None not in cpus else None  # type: ignore[arg-type]
    threads = (read_info(run_dir) or {}).get("threads")
    return Training(str(run_dir), sum(by_phase.values()), len(epochs), by_phase, count,
                    threads if isinstance(threads, int) else None, cpu_seconds)


def parameters_by_stage(model: Any) -> dict[str, int]:
    """Return the weights a sample goes through, per stage: latent diffusion's autoencoder
    and UNet, a DDPM's UNet (its EMA copy, when kept, is the same network and not counted
    twice), or the whole model for other families."""
    if hasattr(model, "stages"):
        stages = model.stages()
        return {"autoencoder": int(stages["vae_parameters"]),
                "unet": int(stages["unet_parameters"])}
    if getattr(model.capabilities, "is_diffusion", False):
        return {"unet": sum(p.numel() for p in model.sampling_unet.parameters())}
    return {"model": sum(p.numel() for p in model.parameters())}


def timed_samples_steps(model: Any, n: int, seed: int, options: dict[str, Any]
                        ) -> Generator[None, None, tuple[torch.Tensor, torch.Tensor | None,
                                                         float]]:
    """Yield None after each batch; return (n images in [0, 1] on the CPU, the labels asked
    for or None, seconds spent sampling).

    Batches of SAMPLE_BATCH from seed + i, as `latentlab eval` draws them; a conditional
    model gets the classes in turn. A two-image run first warms the model up untimed.
    """
    caps = model.capabilities
    k = getattr(model.config, "num_classes", 10)
    warm = {**options, "steps": 2} if "steps" in options else options
    with torch.no_grad():
        model.sample(2, seed, labels=torch.arange(2) % k if caps.conditional else None, **warm)
    images, labels = [], []
    seconds = 0.0
    for i, first in enumerate(range(0, n, SAMPLE_BATCH)):
        m = min(SAMPLE_BATCH, n - first)
        y = torch.arange(first, first + m) % k if caps.conditional else None
        if y is not None:
            labels.append(y)
        start = time.perf_counter()  # the pauses at the yields are not sampling time
        with torch.no_grad():
            images.append(model.sample(m, seed + i, labels=y, **options).float().cpu())
        seconds += time.perf_counter() - start
        yield None
    return torch.cat(images), (torch.cat(labels) if labels else None), seconds


@dataclass
class Reference:
    """The real images a dataset's Fréchet distances are measured against, embedded once."""

    dataset: str
    n_real: int
    extractor: str | None  # the classifier whose penultimate features are compared
    feature_dim: int | None
    fd_real_vs_real: float | None  # two disjoint halves of the real data: the floor
    unavailable: str | None  # why there is no extractor
    quality: Any = field(default=None, repr=False)
    images: Any = field(default=None, repr=False)  # the dataset's uint8 images (numpy)

    def to_dict(self) -> dict[str, Any]:
        """Return the reference as JSON-ready data (the embedded features left out)."""
        return {k: v for k, v in asdict(self).items() if k not in ("quality", "images")}


def reference_for(data: DataConfig, n: int, seed: int,
                  device: torch.device | str = "cpu") -> Reference:
    """Return `n` real images of the dataset `data` names (the subset `latentlab eval`
    takes for `seed`) embedded by the shipped classifier for it, when there is one."""
    from models.data import load_dataset
    from models.evaluation import _real_baseline as real_baseline  # the floor eval reports
    from models.metrics.quality import NoClassifierError, quality_for_dataset, real_subset

    dataset = load_dataset(data)
    real = torch.from_numpy(dataset.images[real_subset(len(dataset), n, seed)])
    try:
        quality = quality_for_dataset(dataset.name, real, device)
    except NoClassifierError as exc:
        return Reference(dataset.name, len(real), None, None, None, str(exc),
                         images=dataset.images)
    dim = quality.info.get("architecture", {}).get("feature_dim")
    return Reference(dataset.name, len(real), quality.name, dim,
                     real_baseline(quality, dataset, n, seed), None, quality, dataset.images)


def _name(path: Path) -> str:
    """Return a short name for the row: the folder's, with its run's for a checkpoint kept
    under a run (`ldm/last`, `ldm/epoch-20`)."""
    return f"{path.parent.parent.name}/{path.name}" if path.parent.name == "checkpoints" \
        else path.name


@dataclass(frozen=True)
class Options:
    """How every run of a comparison is measured."""

    n: int = 500  # images sampled per run (timing, FD, sample quality, classifier score)
    seed: int = 0
    sampler: str = "ddim"  # diffusion models
    steps: int = 25
    nll_n: int = 500  # held-out images bits per dimension is averaged over
    iwae_k: int = 64  # importance samples of a VAE's bound


def measure_run_steps(path: Path, options: Options, references: dict[str, Reference],
                      held_out: Callable[[int], np.ndarray] | None = None,
                      device: torch.device | str = "cpu"
                      ) -> Generator[str | None, None, RunFigures]:
    """Yield the stage begun ("sampling", "likelihood", "scoring") or None between batches;
    return the figures of the checkpoint or run folder `path`.

    `options.n` images are sampled (diffusion models with its sampler and steps) and timed,
    then scored against the dataset's `Reference` (made once per dataset, kept in
    `references`); bits per dimension is averaged over the first `options.nll_n` dataset
    images `held_out(dataset size)` returns (the images every compared run held out: see
    compare_runs.held_out_indices; None: the run's own validation split)."""
    from models.likelihood.bits import bits_per_dim_steps
    from models.metrics.classifier_score import classifier_score

    loaded = load_checkpoint(path, device=device)
    model = loaded.model
    diffusion = model.capabilities.is_diffusion
    sampling = {"sampler": options.sampler, "steps": options.steps} if diffusion else {}
    data = loaded.data or DataConfig()
    key = json.dumps(data.to_dict(), sort_keys=True)
    if key not in references:
        references[key] = reference_for(data, options.n, options.seed, device)
    ref = references[key]
    yield "sampling"
    images, labels, seconds = yield from timed_samples_steps(model, options.n, options.seed,
                                                             sampling)
    yield "likelihood"
    indices = (held_out(len(ref.images)) if held_out is not None
               else own_held_out(loaded.train, len(ref.images)))
    real = torch.from_numpy(ref.images[indices[:options.nll_n]])
    bits = yield from bits_per_dim_steps(model, real, options.iwae_k, options.seed)
    yield "scoring"
    fd = quality = score = None
    if ref.quality is not None:
        scores = ref.quality.score(images, labels)
        fd = float(scores["fd"])
        quality = {k: v for k, v in scores.items() if k != "fd"}  # as `eval` reports them
        score = classifier_score(ref.quality.classifier.embed(images)[1])
    stages = parameters_by_stage(model)
    run_dir = run_folder(Path(path).expanduser(), loaded.path)
    return RunFigures(
        name=_name(Path(path).expanduser()), checkpoint=str(loaded.path), family=loaded.family,
        dataset=ref.dataset, parameters=sum(stages.values()), parameters_by_stage=stages,
        sampler=options.sampler if diffusion else None,
        steps=options.steps if diffusion else None, n_images=options.n,
        sample_s_per_image=seconds / options.n, fd=fd, fd_unavailable=ref.unavailable,
        progress=dict(loaded.progress),
        training=read_training(run_dir) if run_dir is not None else None,
        bits_per_dim=bits.value, bits_per_dim_kind=bits.kind, bits_per_dim_note=bits.note,
        bits_per_dim_n=bits.n_images, iwae_k=bits.k, classifier_score=score,
        sample_quality=quality)


def own_held_out(train: TrainConfig | None, n_total: int) -> np.ndarray:
    """Return the indices of the validation split a run with `train` held out."""
    from models.data import split_indices

    train = train or TrainConfig()
    return split_indices(n_total, train.val_fraction, train.seed)[1]


def measure_run(path: Path, options: Options, references: dict[str, Reference] | None = None,
                held_out: Callable[[int], np.ndarray] | None = None,
                device: torch.device | str = "cpu") -> RunFigures:
    """Return `measure_run_steps` run to its end."""
    steps = measure_run_steps(path, options, {} if references is None else references,
                              held_out, device)
    while True:
        try:
            next(steps)
        except StopIteration as end:
            return end.value
