"""Trainer throughput against a bare PyTorch loop over the same model, data and batch size.

Prints one JSON object. For each model: images/s of a bare loop (pre-converted float
tensors, a shuffled index per epoch, the model's own training_step, nothing else) and of
`Trainer.run()` end to end (events, metrics.jsonl, validation, preview grids and
checkpoints at every epoch end included), measured alternately in the same process (the
order flips every repeat) and summarised by medians, and their ratio. `steps_only`
excludes the epoch-end work. `--threads` applies to both from the start.

    python bench/train_throughput.py [--models vae conv-vae dcgan] [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from models.config import DataConfig, TrainConfig
from models.data import load_dataset, split_indices
from models.device import set_threads
from models.registry import build_model, config_class
from models.training import EpochEnd, Trainer, TrainStep
from models.training.trainer import epoch_order, fit_model_config

MODELS = ["vae", "conv-vae", "dcgan"]


def bare_loop(family: str, train: TrainConfig, data: DataConfig, epochs: int) -> float:
    """Return images/s of a plain loop: shuffle, slice, training_step."""
    dataset = load_dataset(data)
    torch.manual_seed(train.seed)
    config = fit_model_config(config_class(family)(), dataset)
    model = build_model(family, config)
    optimizers = model.configure_optimizers(train)
    train_idx, _ = split_indices(len(dataset), train.val_fraction, train.seed)
    x = torch.from_numpy(dataset.images[train_idx]).float() / 255.0
    y = torch.from_numpy(dataset.labels[train_idx])
    model.train()
    seen = 0
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.from_numpy(epoch_order(len(x), train.seed, epoch))
        for i in range(0, len(x), train.batch_size):
            idx = order[i:i + train.batch_size]
            model.training_step(x[idx], y[idx], optimizers)
            seen += len(idx)
    return seen / (time.perf_counter() - start)


def trainer_run(family: str, train: TrainConfig, data: DataConfig) -> tuple[float, float]:
    """Return (end-to-end images/s, images/s counting step time only) of Trainer.run()."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(family, config_class(family)(), train, data, Path(tmp))
        seen = 0
        step_time = 0.0
        gen = trainer.run()
        next(gen)  # TrainStarted: the run folder is written, nothing trained yet
        start = last = time.perf_counter()
        for event in gen:
            now = time.perf_counter()
            if isinstance(event, TrainStep):
                seen += min(train.batch_size, trainer.n_train - (event.step_in_epoch - 1)
                            * train.batch_size)
                step_time += now - last
            elif isinstance(event, EpochEnd):
                pass
            last = now
        total = time.perf_counter() - start
    return seen / total, seen / step_time


def main() -> None:
    """Measure every model and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    # Before anything runs: otherwise the bare loop would run at torch's default thread
    # count until the first Trainer applied --threads.
    set_threads(args.threads)
    data = DataConfig(dataset="mnist5k")
    load_dataset(data)  # warm the file cache before timing
    results: dict[str, dict[str, float]] = {}
    for family in args.models:
        try:
            config_class(family)
        except ValueError:
            results[family] = {"skipped": "model family not available"}  # type: ignore[dict-item]
            continue
        train = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, device="cpu",
                            threads=args.threads, keep_epoch_checkpoints=True)
        bare_loop(family, train.replace(epochs=1), data, 1)  # warm-up: lazy imports, allocator
        bare, ours, steps_only = [], [], []
        for r in range(args.repeats):
            if r % 2:  # flip the order each repeat: neither side always runs first
                e2e, steps = trainer_run(family, train, data)
                bare.append(bare_loop(family, train, data, args.epochs))
            else:
                bare.append(bare_loop(family, train, data, args.epochs))
                e2e, steps = trainer_run(family, train, data)
            ours.append(e2e)
            steps_only.append(steps)
        b, o, s = (statistics.median(v) for v in (bare, ours, steps_only))
        results[family] = {"bare_images_per_s": round(b, 1), "trainer_images_per_s": round(o, 1),
                           "ratio": round(o / b, 3),
                           "trainer_steps_only_images_per_s": round(s, 1),
                           "steps_only_ratio": round(s / b, 3),
                           "all_bare": [round(v, 1) for v in bare],
                           "all_trainer": [round(v, 1) for v in ours]}
    print(json.dumps({"benchmark": "train_throughput", "dataset": "mnist5k",
                      "batch_size": args.batch_size, "epochs": args.epochs,
                      "repeats": args.repeats, "torch_threads": torch.get_num_threads(),
                      "models": results}))


if __name__ == "__main__":
    main()
