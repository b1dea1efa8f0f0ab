"""Train the small digit classifier the sample-quality metrics use, and ship it.

Trains on the bundled mnist5k digits (deterministic split via models.data.split_indices)
and writes resources/classifiers/mnist-lenet/ (config.json + model.safetensors), with the
validation accuracy in config.json. Run: python scripts/train_digit_classifier.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.data import load_dataset, split_indices
from models.metrics.classifier import CLASSIFIERS_DIR, DigitClassifier, save_classifier

NAME = "mnist-lenet"


def shift_batch(x: torch.Tensor, max_shift: int, gen: torch.Generator) -> torch.Tensor:
    """Return x with each image translated by up to ±max_shift pixels (zero fill)."""
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=gen)
    return torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


@torch.no_grad()
def accuracy(model: DigitClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    """Return the share of images classified correctly."""
    model.eval()
    _, probs = model.embed(x)
    return float((probs.argmax(1) == y).double().mean())


def main() -> int:
    """Train, evaluate and write the classifier; print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1: reproducible and kind to a shared machine)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-fraction", type=float, default=0.1)
    parser.add_argument("--out", type=Path, default=CLASSIFIERS_DIR / NAME)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    ds = load_dataset("mnist5k")
    train_idx, val_idx = split_indices(len(ds), args.val_fraction, args.seed)
    x = torch.from_numpy(ds.images).float() / 255.0
    y = torch.from_numpy(ds.labels)
    x_tr, y_tr, x_val, y_val = x[train_idx], y[train_idx], x[val_idx], y[val_idx]

    model = DigitClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * int(np.ceil(len(x_tr) / 64))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_tr), generator=gen)
        for start in range(0, len(order), 64):
            idx = order[start:start + 64]
            xb = shift_batch(x_tr[idx], 2, gen)  # small shifts: 4,500 digits overfit fast
            loss = F.cross_entropy(model(xb), y_tr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}: val accuracy {accuracy(model, x_val, y_val):.4f} "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    val_acc = accuracy(model, x_val, y_val)
    train_acc = accuracy(model, x_tr, y_tr)
    info = {
        "name": NAME,
        "description": "LeNet-like digit classifier; its penultimate features drive the "
                       "Fréchet distance, precision/recall and class coverage",
        "datasets": ["mnist5k", "mnist"],
        "architecture": {"channels": [32, 64, 64], "feature_dim": 128, "num_classes": 10,
                         "image_size": 28},
        "class_names": list(ds.class_names),
        "val_accuracy": round(val_acc, 4),
        "train_accuracy": round(train_acc, 4),
        "training": {"dataset": "mnist5k", "n_train": len(train_idx), "n_val": len(val_idx),
                     "val_fraction": args.val_fraction, "seed": args.seed,
                     "epochs": args.epochs, "augmentation": "random shifts of ±2 px",
                     "script": "scripts/train_digit_classifier.py"},
    }
    folder = save_classifier(model, args.out, info)
    size = (folder / "model.safetensors").stat().st_size
    print(json.dumps({"out": str(folder), "val_accuracy": val_acc, "train_accuracy": train_acc,
                      "bytes": size, "seconds": round(time.perf_counter() - t0, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
