"""Cost of the trainer's per-step finiteness check (StepGuard.check) against a step.

Prints one JSON object per model: median ms of a training step, of the check (metrics
read and every weight's norm, one sync), of the old read (one float() per metric, no
weight check), and the check's extra cost as a share of the step.

    python bench/step_guard.py [--models vae dcgan] [--steps 60] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from models.config import TrainConfig
from models.data import load_dataset
from models.device import set_threads
from models.registry import build_model, config_class
from models.training.batches import fit_model_config
from models.training.step_guard import StepGuard


def measure(family: str, steps: int) -> dict[str, float]:
    """Return median ms of a step, of the check and of the old metric read."""
    dataset = load_dataset("mnist5k")
    train = TrainConfig()
    torch.manual_seed(0)
    model = build_model(family, fit_model_config(config_class(family)(), dataset)).train()
    optimizers = model.configure_optimizers(train)
    guard = StepGuard(model)
    x = torch.from_numpy(dataset.images[:train.batch_size]).float() / 255.0
    y = torch.from_numpy(dataset.labels[:train.batch_size])
    step_ms, check_ms, old_ms = [], [], []
    for i in range(steps):
        t0 = time.perf_counter()
        out = model.training_step(x, y, optimizers)
        model.after_training_step()
        t1 = time.perf_counter()
        _, problem = guard.check(out)
        t2 = time.perf_counter()
        {k: float(v) for k, v in out.items()}
        t3 = time.perf_counter()
        assert problem is None
        if i >= 5:  # warm-up
            step_ms.append((t1 - t0) * 1e3)
            check_ms.append((t2 - t1) * 1e3)
            old_ms.append((t3 - t2) * 1e3)
    step, check, old = (statistics.median(v) for v in (step_ms, check_ms, old_ms))
    return {"batch_size": train.batch_size, "step_ms": round(step, 3),
            "check_ms": round(check, 4), "old_read_ms": round(old, 4),
            "extra_share_of_step": round((check - old) / step, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["vae", "dcgan"])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    set_threads(args.threads)
    print(json.dumps({m: measure(m, args.steps) for m in args.models}, indent=1))


if __name__ == "__main__":
    main()
