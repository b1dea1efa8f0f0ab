"""Demo-like checkpoint folders for the pictures-before-torch tests, made in tmp: a tiny
class-conditional diffusion model trained two epochs on the 8×8 digits, saved as a
checkpoint with its run's history in `history/` and its recorded trajectory in
`precomputed/` (the layout of a bundled demo)."""

from __future__ import annotations

import shutil
from pathlib import Path

from models.config import DataConfig, TrainConfig
from models.demos import HISTORY

TINY_CDDPM = {"image_size": 8, "preset": "custom", "block_channels": (4, 8),
              "norm_groups": 4, "sample_steps": 4}


def make_demo(root: Path, name: str = "cddpm-demo", trajectory: bool = True) -> Path:
    """Train a tiny cddpm for 2 epochs into root/run and return root/name: the checkpoint,
    history/ (run.json, metrics.jsonl, samples/) and, if asked, its recorded trajectory."""
    from models.checkpoint import load_checkpoint, save_checkpoint
    from models.diffusion import CDDPMConfig
    from models.pictures.trajectory_file import write_cached_trajectory
    from models.training import Trainer, TrainFinished

    run = root / f"{name}-run"
    train = TrainConfig(epochs=2, batch_size=128, seed=0, device="cpu", threads=1,
                        preview_n=4, keep_epoch_checkpoints=False, log_every=2)
    trainer = Trainer("cddpm", CDDPMConfig(**TINY_CDDPM), train, DataConfig(dataset="digits"),
                      run)
    events = list(trainer.run())
    assert isinstance(events[-1], TrainFinished), events[-1]
    loaded = load_checkpoint(run)
    dest = root / name
    save_checkpoint(dest, loaded.model, data=loaded.data, train=loaded.train,
                    class_names=loaded.class_names, progress=loaded.progress)
    (dest / HISTORY).mkdir()
    for item in ("run.json", "metrics.jsonl"):
        shutil.copy(run / item, dest / HISTORY / item)
    shutil.copytree(run / "samples", dest / HISTORY / "samples")
    if trajectory:
        assert write_cached_trajectory(dest, loaded.model.eval()) is not None
    return dest
