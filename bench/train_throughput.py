"""Trainer throughput against a bare PyTorch loop over the same model, data and batch size.

Prints one JSON object. Three ratios per model. Each repeat runs three loops back to back
(the order rotates every repeat); a ratio is the median over repeats of the ratio within
a repeat, since this shared machine's speed drifts over minutes:

- `ratio` (the target, ≥ 0.95): the trainer's images/s while it trains — the time of its
  steps, with everything it does per step (events, metrics.jsonl, NaN checks, moving the
  batch) — against a bare loop that only trains (shuffle, slice, the model's own
  training_step on pre-converted float tensors, nothing else).
- `end_to_end_ratio`: `Trainer.run()` from first step to last event, epoch ends included
  (validation, KL bars, preview PNGs, `last/` and `epoch-N/` checkpoints, and waiting
  for the last one to reach the disk), against the loop PyTorch's tutorial writes: each
  epoch, train, then evaluate the validation split.
- `end_to_end_ratio_vs_train_only`: the same run against the train-only loop. On
  mnist5k's 0.25-s epochs one validation pass over the 500 held-out images is ~3.5 % of
  an epoch by itself, and the issue asks for validation and a checkpoint every epoch,
  so this one stays near 0.90–0.94; on longer epochs it approaches the others.

Each model is measured at each `--threads` count (default: the count training uses
when none is named — models/cores.py `default_threads()` — then torch's default) and each
`--precision` (fp32, bf16, fp16: the bare loop then runs the same autocast and gradient
scaler, as PyTorch's mixed-precision recipe writes it). Where a core is free, the trainer
serialises its checkpoints on a background thread. `--device cuda` measures on a GPU (the
JSON says so and stops when none is present); `--channels-last` stores weights and
batches NHWC in both loops.

    python bench/train_throughput.py [--models vae conv-vae dcgan] [--epochs 10]
        [--repeats 3] [--threads 1 2] [--device cpu|cuda] [--precision fp32 bf16]
        [--channels-last]
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
from models.cores import default_threads, usable_cores
from models.data import load_dataset, split_indices
from models.device import resolve_device, set_threads
from models.registry import build_model, config_class
from models.training import EpochEnd, Trainer, TrainStep
from models.training.batches import epoch_order, fit_model_config
from models.training.precision import batch_layout, prepare_model

MODELS = ["vae", "conv-vae", "dcgan", "pixelcnn", "realnvp", "stylegan"]


def bare_loop(family: str, train: TrainConfig, data: DataConfig, epochs: int,
              evaluate: bool) -> tuple[float, float]:
    """Return (training images/s, median ms of one evaluation pass) of a plain loop:
    shuffle, slice, training_step; then, when `evaluate`, validation_step over the split."""
    dataset = load_dataset(data)
    device = resolve_device(train.device)
    torch.manual_seed(train.seed)
    config = fit_model_config(config_class(family)(), dataset)
    model = build_model(family, config).to(device)
    precision = prepare_model(model, train.precision, train.channels_last, False, device)
    optimizers = model.configure_optimizers(train)
    train_idx, val_idx = split_indices(len(dataset), train.val_fraction, train.seed)
    x = batch_layout(torch.from_numpy(dataset.images[train_idx]).to(device).float() / 255.0,
                     train.channels_last)
    y = torch.from_numpy(dataset.labels[train_idx]).to(device)
    val_x = torch.from_numpy(dataset.images[val_idx]).to(device).float() / 255.0
    val_y = torch.from_numpy(dataset.labels[val_idx]).to(device)
    val_bs = max(train.batch_size, 256)
    seen = 0
    eval_ms = []
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.from_numpy(epoch_order(len(x), train.seed, epoch)).to(device)
        for i in range(0, len(x), train.batch_size):
            idx = order[i:i + train.batch_size]
            with precision.autocast():
                model.training_step(x[idx], y[idx], optimizers)
            precision.update()
            seen += len(idx)
        if evaluate:
            t0 = time.perf_counter()
            model.eval()
            total = 0.0
            with torch.no_grad():
                for i in range(0, len(val_x), val_bs):
                    out = model.validation_step(val_x[i:i + val_bs], val_y[i:i + val_bs])
                    total += float(out["loss" if "loss" in out else next(iter(out))]) \
                        * len(val_x[i:i + val_bs])
            eval_ms.append((time.perf_counter() - t0) * 1000)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    rate = seen / (time.perf_counter() - start)
    return rate, statistics.median(eval_ms) if eval_ms else 0.0


def trainer_run(family: str, train: TrainConfig, data: DataConfig
                ) -> tuple[float, float, float]:
    """Return (end-to-end images/s, images/s counting step time only, median ms from an
    epoch's last step to its EpochEnd) of Trainer.run()."""
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(family, config_class(family)(), train, data, Path(tmp))
        seen = 0
        step_time = 0.0
        epoch_end_ms = []
        gen = trainer.run()
        next(gen)  # TrainStarted: the run folder is written, nothing trained yet
        start = last = time.perf_counter()
        for event in gen:
            now = time.perf_counter()
            if isinstance(event, TrainStep):
                seen += min(train.batch_size, trainer.split.n_train - (event.step_in_epoch - 1)
                            * train.batch_size)
                step_time += now - last
            elif isinstance(event, EpochEnd):
                epoch_end_ms.append((now - last) * 1000)
            last = now
        total = time.perf_counter() - start
    return seen / total, seen / step_time, statistics.median(epoch_end_ms)


def paired(num: list[float], den: list[float]) -> float:
    """Return the median over repeats of num/den within each repeat.

    The machine's speed drifts over minutes: runs of one repeat are seconds apart.
    """
    return round(statistics.median(a / b for a, b in zip(num, den, strict=True)), 3)


def measure(family: str, args: argparse.Namespace, threads: int, n_train: int,
            precision: str = "fp32") -> dict[str, object]:
    """Return one model's figures at `threads` torch threads and `precision`."""
    data = DataConfig(dataset="mnist5k")
    train = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, device=args.device,
                        threads=threads, keep_epoch_checkpoints=True, precision=precision,
                        channels_last=args.channels_last)
    bare_loop(family, train.replace(epochs=1), data, 1, True)  # warm-up: imports, allocator
    runs: dict[str, list[float]] = {k: [] for k in (
        "bare_eval", "bare_train", "trainer", "steps", "eval_ms", "epoch_end_ms")}
    order = ["bare_eval", "trainer", "bare_train"]
    for r in range(args.repeats):  # rotate: no loop always runs first or last
        for which in order[r % 3:] + order[:r % 3]:
            if which == "trainer":
                e2e, steps, end_ms = trainer_run(family, train, data)
                runs["trainer"].append(e2e)
                runs["steps"].append(steps)
                runs["epoch_end_ms"].append(end_ms)
            else:
                rate, eval_ms = bare_loop(family, train, data, args.epochs, which == "bare_eval")
                runs[which].append(rate)
                if which == "bare_eval":
                    runs["eval_ms"].append(eval_ms)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "ratio": paired(runs["steps"], runs["bare_train"]),
        "end_to_end_ratio": paired(runs["trainer"], runs["bare_eval"]),
        "end_to_end_ratio_vs_train_only": paired(runs["trainer"], runs["bare_train"]),
        "trainer_training_images_per_s": round(med["steps"], 1),
        "bare_train_only_images_per_s": round(med["bare_train"], 1),
        "trainer_end_to_end_images_per_s": round(med["trainer"], 1),
        "bare_train_eval_images_per_s": round(med["bare_eval"], 1),
        "bare_train_epoch_ms": round(1000 * n_train / med["bare_train"], 1),
        "bare_eval_pass_ms": round(med["eval_ms"], 1),
        "trainer_epoch_end_ms": round(med["epoch_end_ms"], 1),
        "ratio_per_repeat": [round(a / b, 3) for a, b in zip(runs["steps"],
                                                             runs["bare_train"], strict=True)],
        "end_to_end_ratio_per_repeat": [round(a / b, 3) for a, b in zip(
            runs["trainer"], runs["bare_eval"], strict=True)],
    }


def main() -> None:
    """Measure every model at every thread count and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="torch thread counts to measure (default: default_threads() "
                             "here, then torch's default)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--precision", nargs="+", default=["fp32"],
                        choices=("fp32", "bf16", "fp16"))
    parser.add_argument("--channels-last", action="store_true")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(json.dumps({"benchmark": "train_throughput", "device": args.device,
                          "skipped": "no CUDA device on this machine"}))
        return
    counts = args.threads or list(dict.fromkeys(
        [default_threads(), torch.get_num_threads()]))
    dataset = load_dataset(DataConfig(dataset="mnist5k"))  # warms the file cache too
    n_train = len(split_indices(len(dataset), TrainConfig().val_fraction, TrainConfig().seed)[0])
    by_threads = []
    for threads in counts:
        # Before anything runs at this count: the bare loops never pass through a Trainer.
        set_threads(threads)
        for precision in args.precision:
            results: dict[str, object] = {}
            for family in args.models:
                try:
                    config_class(family)
                except ValueError:
                    results[family] = {"skipped": "model family not available"}
                    continue
                results[family] = measure(family, args, threads, n_train, precision)
            by_threads.append({"torch_threads": threads, "usable_cores": usable_cores(),
                               "precision": precision, "models": results})
    print(json.dumps({"benchmark": "train_throughput", "dataset": "mnist5k",
                      "device": args.device, "channels_last": args.channels_last,
                      "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available()
                      else None,
                      "batch_size": args.batch_size, "epochs": args.epochs,
                      "repeats": args.repeats, "runs": by_threads}))


if __name__ == "__main__":
    main()
