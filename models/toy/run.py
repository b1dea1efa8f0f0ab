"""Toy runs on disk: a run folder like the image families' (run.json, metrics.jsonl,
checkpoints/last with config.json and model.safetensors) and the metrics of a saved model.
The dataset is named `toy:<set>` (models/toy/data.py TOY_SETS); it is rebuilt from its
name, size and seed, so a checkpoint holds weights and settings only."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from torch import nn

from models import __version__
from models.checkpoint.atomic import atomic_folder
from models.checkpoint.errors import CheckpointError
from models.checkpoint.safetensors_io import read_json
from models.toy.base import Ema, ToyModel, ToyStep
from models.toy.data import DEFAULT_SIZE, ToyData, ToyDataError, from_points, toy_dataset
from models.toy.families import TOY_FAMILIES, toy_classes
from models.toy.metrics import (
    GRID_BINS,
    SMOOTHING,
    density_divergence,
    grid_divergence,
    mode_stats,
)
from models.training.run_dir import RunDir

TOY_PREFIX = "toy:"
POINTS_PREFIX = "points:"  # drawn or imported points, saved beside the weights
KIND = "latentlab-toy"
POINTS_FILE = "data.safetensors"


def dataset_label(data: ToyData) -> str:
    """Return how a run names its data: `toy:<set>` for a named set (rebuilt from its
    name, size and seed), `points:<name>` for drawn or imported points (saved)."""
    return (TOY_PREFIX if data.sampler is not None else POINTS_PREFIX) + data.name


def toy_set_name(dataset: str) -> str:
    """Return the set of a `toy:<set>` name; ToyDataError for another name or an unknown set."""
    if not dataset.startswith(TOY_PREFIX):
        raise ToyDataError(f"{dataset!r} is not a toy dataset (write toy:<set>)")
    name = dataset[len(TOY_PREFIX):]
    toy_dataset(name, 1)  # raises for an unknown set, naming the known ones
    return name


def state_tensors(model: ToyModel) -> dict[str, torch.Tensor]:
    """Return every weight and buffer of the model's modules (and EMA copies) by name."""
    out: dict[str, torch.Tensor] = {}
    for attr, value in sorted(vars(model).items()):
        if isinstance(value, Ema):
            value = value.module
            attr = f"{attr}.module"
        if isinstance(value, nn.Module):
            for key, t in value.state_dict().items():
                out[f"{attr}.{key}"] = t.detach().contiguous().clone()
        elif isinstance(value, nn.Parameter):
            out[attr] = value.detach().contiguous().clone()
    return out


def _load_tensors(model: ToyModel, tensors: dict[str, torch.Tensor]) -> None:
    mine = state_tensors(model)
    if set(mine) != set(tensors):
        missing, extra = sorted(set(mine) - set(tensors)), sorted(set(tensors) - set(mine))
        raise CheckpointError("model.safetensors", f"weights do not fit the {model.family} "
                              f"config (missing {missing[:3]}, unexpected {extra[:3]})")
    with torch.no_grad():
        for attr, value in vars(model).items():
            target = value.module if isinstance(value, Ema) else value
            prefix = f"{attr}.module" if isinstance(value, Ema) else attr
            if isinstance(target, nn.Module):
                target.load_state_dict({k[len(prefix) + 1:]: t for k, t in tensors.items()
                                        if k.startswith(prefix + ".")})
            elif isinstance(target, nn.Parameter):
                target.copy_(tensors[attr])


def save_toy_checkpoint(model: ToyModel, folder: Path, data_seed: int, data_size: int
                        ) -> Path:
    """Write config.json and model.safetensors into `folder`, replacing it as one step."""
    from safetensors.torch import save_file

    with atomic_folder(folder) as tmp:
        info = {"kind": KIND, "family": model.family, "config": asdict(model.config),
                "dataset": dataset_label(model.data), "data_seed": data_seed,
                "data_size": data_size, "steps": model.steps}
        (tmp / "config.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        save_file(state_tensors(model), str(tmp / "model.safetensors"))
        if model.data.sampler is None:
            save_file({"points": torch.as_tensor(model.data.points)}, str(tmp / POINTS_FILE))
    return folder


def is_toy_checkpoint(path: Path) -> bool:
    """Return True when `path` (a run folder or checkpoint folder) holds a toy model."""
    for folder in (Path(path), Path(path) / "checkpoints" / "last"):
        cfg = folder / "config.json"
        if cfg.is_file():
            try:
                return json.loads(cfg.read_text(encoding="utf-8")).get("kind") == KIND
            except (OSError, ValueError, AttributeError):
                return False
    return False


def load_toy_checkpoint(path: Path) -> ToyModel:
    """Return the toy model saved at `path` (a run folder or its checkpoint folder).

    Raises CheckpointError (one line) for a missing, malformed or mismatched checkpoint."""
    from safetensors.torch import load_file

    folder = Path(path)
    if not (folder / "config.json").is_file():
        folder = folder / "checkpoints" / "last"
    info = read_json(folder / "config.json")
    if not isinstance(info, dict) or info.get("kind") != KIND:
        raise CheckpointError(folder, "not a toy lab checkpoint")
    family = info.get("family")
    if family not in TOY_FAMILIES:
        raise CheckpointError(folder, f"unknown toy family {family!r}")
    model_cls, config_cls = toy_classes(family)
    try:
        # a field missing from an older checkpoint takes the value it had then
        config = config_cls(**{**getattr(config_cls, "OLD_DEFAULTS", {}), **info["config"]})
        if str(info["dataset"]).startswith(POINTS_PREFIX):
            points = load_file(str(folder / POINTS_FILE))["points"].numpy()
            data = from_points(points, name=info["dataset"][len(POINTS_PREFIX):])
        else:
            data = toy_dataset(toy_set_name(info["dataset"]), int(info["data_size"]),
                               int(info["data_seed"]))
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise CheckpointError(folder / "config.json", str(exc)) from None
    model = model_cls(config, data)
    try:
        tensors = load_file(str(folder / "model.safetensors"))
    except (OSError, ValueError) as exc:
        raise CheckpointError(folder / "model.safetensors", str(exc)) from None
    try:
        _load_tensors(model, tensors)
    except CheckpointError as exc:
        raise CheckpointError(folder / "model.safetensors", exc.problem) from None
    except RuntimeError as exc:  # a tensor of the wrong shape
        raise CheckpointError(folder / "model.safetensors", str(exc).splitlines()[0]) from None
    model.steps = int(info.get("steps", 0))
    return model


def train_toy_run(model: ToyModel, out: Path, steps: int, data_seed: int,
                  data_size: int = DEFAULT_SIZE, log_every: int = 50,
                  overwrite: bool = False) -> Iterator[ToyStep]:
    """Train `steps` steps into the run folder `out`, yielding each ToyStep.

    run.json first, a metrics.jsonl line every `log_every` steps, and checkpoints/last at
    the end — also when the generator is closed or stopped early (the steps done)."""
    run = RunDir(out)
    info: dict[str, Any] = {"kind": KIND, "family": model.family,
                            "config": asdict(model.config),
                            "dataset": dataset_label(model.data), "data_seed": data_seed,
                            "data_size": data_size, "steps": steps, "threads":
                            torch.get_num_threads(),
                            "versions": {"latentlab": __version__, "torch": torch.__version__,
                                         "python": platform.python_version()}}
    run.begin(info, overwrite=overwrite)
    last: ToyStep | None = None
    try:
        for last in model.run(steps):
            if last.step % log_every == 0 or last.step == steps:
                run.log({"step": last.step, "elapsed": round(last.elapsed, 4),
                         **last.losses})
            yield last
    finally:
        save_toy_checkpoint(model, run.last_checkpoint, data_seed, data_size)
        run.log({"event": "saved", "step": model.steps, "checkpoint": "checkpoints/last"},
                force_flush=True)
        run.close()


def evaluate_toy(model: ToyModel, n: int = 10000, seed: int = 0) -> dict[str, Any]:
    """Return the toy metrics of n samples: modes and high-quality share (mixtures), grid
    KL/JS with the grid stated, and the log-likelihood where the family has one."""
    data = model.data
    samples = model.sample(n, seed=seed)
    div = grid_divergence(samples, data)
    out: dict[str, Any] = {"family": model.family, "dataset": dataset_label(data),
                           "steps": model.steps, "samples": n, "seed": seed}
    if data.is_mixture:
        ms = mode_stats(samples, data)
        out.update(modes_covered=ms.modes_covered, modes=len(data.centres),
                   high_quality=round(ms.high_quality, 4),
                   high_quality_within_sigmas=ms.k_sigmas, cover_share_of_fair=ms.cover_share)
    out.update(grid_kl=round(div.kl, 4), grid_js=round(div.js, 4),
               grid={"extent": div.extent, "bins": GRID_BINS, "smoothing": SMOOTHING,
                     "kl": "KL(true || model), nats"})
    density = model_density_divergence(model)
    if density is not None:
        out.update(grid_kl_density=round(density.kl, 4), grid_js_density=round(density.js, 4))
    # drawn or imported points have no fresh draws: their likelihood is on the points
    held_out = (data.points if data.sampler is None
                else toy_dataset(data.name, 5000, seed=seed + 12345).points)
    if hasattr(model, "log_prob"):
        out["log_likelihood"] = round(float(model.log_prob(held_out).mean()), 4)
    if hasattr(model, "elbo"):
        out["elbo"] = round(model.elbo(held_out, seed=seed), 4)
        out["elbo_note"] = "a lower bound on the log-likelihood (nats)"
    return out


def toy_info(model: ToyModel, checkpoint: Path) -> dict[str, Any]:
    """Return a saved toy model described: eval's header (family, dataset, steps) plus the
    checkpoint, kind, parameter count (trained modules, not their EMA copies) and config."""
    trained = {id(p): p for v in vars(model).values() if isinstance(v, nn.Module)
               for p in v.parameters()}
    return {"checkpoint": str(checkpoint), "kind": KIND, "family": model.family,
            "dataset": dataset_label(model.data), "data_points": len(model.data.points),
            "steps": model.steps, "parameters": sum(p.numel() for p in trained.values()),
            "config": asdict(model.config)}


def model_density_divergence(model: ToyModel):
    """Return the grid divergence of the model's own density (flow: exact log p; EBM: −E
    normalised over the grid), or None for families without one."""
    if hasattr(model, "log_prob"):
        return density_divergence(model.log_prob, model.data)
    if hasattr(model, "energy_at"):
        return density_divergence(lambda x: -model.energy_at(x), model.data, normalised=False)
    return None
