"""Train the bundled demo checkpoints on the bundled digits and ship them under resources/demos/.

Each demo trains through the same Trainer the app and CLI use, then its final weights (no
optimiser state, so the folder stays small) are written to resources/demos/<name>/ with the
last preview grid and the run's history (history/: run.json, metrics.jsonl and the
per-epoch pictures, no checkpoints). resources/demos/index.json records what each is and
how long it took here, so the welcome view can say so. Re-running one demo keeps the
others' entries.

    python scripts/train_demo_models.py [--only vae-2d dcgan] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.checkpoint.atomic import atomic_write
from models.config import DataConfig, TrainConfig
from models.demos import DEMOS_DIR, HISTORY, INDEX
from models.registry import config_class

MAX_DEMO_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class DemoRecipe:
    """How one demo is trained."""

    name: str
    title: str
    family: str
    description: str
    model: dict[str, Any]
    epochs: int
    train: dict[str, Any] = field(default_factory=dict)
    # Ship the EMA UNet alone (the one that samples), not also the online copy kept for
    # resuming: the checkpoint then loads with both UNets set from the EMA weights.
    ema_only: bool = False


RECIPES = [
    DemoRecipe("vae-2d", "2-D VAE on digits", "vae",
               "An MLP VAE whose latent space is a plane: map it, click it, walk it.",
               {"latent_dim": 2}, epochs=30),
    DemoRecipe("conv-vae-16", "16-D convolutional VAE", "conv-vae",
               "Sharper reconstructions; its 16 dimensions are shown through PCA.",
               {"latent_dim": 16}, epochs=20),
    DemoRecipe("dcgan", "DCGAN on digits", "dcgan",
               "A generator that never saw an encoder: interpolate between random codes.",
               {}, epochs=40),
    DemoRecipe("cddpm-tiny", "Class-conditional diffusion", "cddpm",
               "A tiny UNet that denoises step by step; pick a digit and a guidance scale.",
               {"preset": "tiny", "ema": True}, epochs=60,
               # Diffusion needs many steps more than big batches: 32 doubles the steps.
               train={"lr": 1e-3, "batch_size": 32}),
    # Phase 1 (3 autoencoder epochs) costs most of the time; the tiny UNet on 4×8×8
    # latents keeps both UNet copies (trained and EMA) small enough for a ≤ 10 MB folder.
    DemoRecipe("ldm-digits", "Latent diffusion on digits", "ldm",
               "An autoencoder, then a UNet denoising its 4×8×8 latents: watch x_t "
               "in latent space.",
               # DDIM draws an undertrained model's errors as blobs; the stochastic
               # Euler ancestral sampler forgives them: most of its samples read as digits.
               {"preset": "tiny", "ema": True, "epochs_ae": 3,
                "sampler": "euler-ancestral", "sample_steps": 50}, epochs=70,
               train={"lr": 1e-3, "batch_size": 64}, ema_only=True),
]


def keep_history(run: Path, dest: Path) -> None:
    """Copy the run's history (run.json, metrics.jsonl, samples/) to `dest`, without its
    checkpoints: the Training panel then shows the demo's curves and epoch timeline."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copy(run / "run.json", dest / "run.json")
    shutil.copy(run / "metrics.jsonl", dest / "metrics.jsonl")
    shutil.copytree(run / "samples", dest / "samples")
    recompress_pngs(dest / "samples")


def recompress_pngs(folder: Path) -> None:
    """Re-save the PNGs under `folder` at full compression: the trainer writes them fast
    (level 1), a bundled copy is written once and shipped."""
    from PIL import Image

    for path in folder.glob("*.png"):
        with Image.open(path) as im:
            im.load()
            im.save(path, optimize=True)


def drop_online_copy(folder: Path) -> None:
    """Remove the online (non-EMA) UNet from a diffusion checkpoint's extra state, keeping
    its other buffers: what remains is the weights that sample."""
    from safetensors.torch import load_file, save_file

    from models.diffusion.pipeline_io import EXTRA_STATE, ONLINE

    path = folder / EXTRA_STATE
    if not path.is_file():
        return
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        metadata = f.metadata()
    kept = {k: v for k, v in load_file(str(path)).items() if not k.startswith(ONLINE)}
    save_file(kept, str(path), metadata=metadata)


def folder_bytes(path: Path) -> int:
    """Return the total size of the files under `path`."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def train_demo(recipe: DemoRecipe, threads: int, out_root: Path) -> dict[str, Any]:
    """Train one demo and write it to out_root/<name>; return its index entry."""
    from models.checkpoint import load_checkpoint, save_checkpoint
    from models.training import EpochEnd, Trainer, TrainFailed, TrainFinished

    model_cfg = config_class(recipe.family)(**recipe.model)
    train_cfg = TrainConfig(**{"epochs": recipe.epochs, "seed": 0, "device": "cpu",
                               "threads": threads, "keep_epoch_checkpoints": False,
                               "log_every": 10, **recipe.train})
    data_cfg = DataConfig(dataset="mnist5k")
    with tempfile.TemporaryDirectory(prefix=f"demo-{recipe.name}-") as tmp:
        run = Path(tmp) / "run"
        t0, cpu0 = time.perf_counter(), time.process_time()
        trainer = Trainer(recipe.family, model_cfg, train_cfg, data_cfg, run)
        final: dict[str, float] = {}
        preview: Path | None = None
        for ev in trainer.run():
            if isinstance(ev, EpochEnd):
                preview = ev.preview_path
                vals = " ".join(f"{k}={v:.4g}" for k, v in ev.val_metrics.items())
                print(f"  {recipe.name} epoch {ev.epoch}/{trainer.total_epochs} {vals} "
                      f"({ev.seconds:.1f} s)", flush=True)
            elif isinstance(ev, TrainFinished):
                final = ev.val_metrics
            elif isinstance(ev, TrainFailed):
                raise RuntimeError(f"{recipe.name}: {ev.reason}")
        seconds = time.perf_counter() - t0
        # CPU seconds too: on a shared machine the wall clock also counts others' work.
        cpu_seconds = time.process_time() - cpu0
        loaded = load_checkpoint(run)
        dest = out_root / recipe.name
        save_checkpoint(dest, loaded.model, data=loaded.data, train=loaded.train,
                        class_names=loaded.class_names, progress=loaded.progress)
        if recipe.ema_only:
            drop_online_copy(dest)
        if preview is not None:
            shutil.copy(preview, dest / "preview.png")
        keep_history(run, dest / HISTORY)
    size = folder_bytes(dest)
    print(f"{recipe.name}: {seconds:.0f} s ({cpu_seconds:.0f} s of CPU), "
          f"{size / 1e6:.2f} MB", flush=True)
    if size > MAX_DEMO_BYTES:
        raise RuntimeError(f"{recipe.name} is {size / 1e6:.1f} MB; demos must stay ≤ 10 MB")
    return {"name": recipe.name, "title": recipe.title, "family": recipe.family,
            "description": recipe.description, "epochs": trainer.total_epochs,
            "train_seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1),
            "bytes": size,
            "val": {k: round(v, 5) for k, v in final.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=[r.name for r in RECIPES])
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--out", type=Path, default=DEMOS_DIR)
    args = parser.parse_args()
    import torch

    args.out.mkdir(parents=True, exist_ok=True)
    index_path = args.out / INDEX
    try:
        entries = {e["name"]: e for e in json.loads(index_path.read_text())["demos"]}
    except (OSError, ValueError, KeyError):
        entries = {}
    for recipe in RECIPES:
        if args.only and recipe.name not in args.only:
            continue
        entries[recipe.name] = train_demo(recipe, args.threads, args.out)
        entries[recipe.name]["trained"] = {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "cpu_cores": os.cpu_count(), "threads": args.threads,
            "torch": torch.__version__, "python": platform.python_version()}
        order = [r.name for r in RECIPES]
        index = {"demos": sorted(entries.values(), key=lambda e: order.index(e["name"]))}
        atomic_write(index_path, json.dumps(index, indent=2) + "\n")
    total = sum(folder_bytes(args.out / name) for name in entries)
    print(json.dumps({"demos": list(entries), "total_mb": round(total / 1e6, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
