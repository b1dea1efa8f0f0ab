"""Writing a latent map to disk: CSV (one row per point) and NPZ (all arrays)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from models.checkpoint.atomic import atomic_path


def write_csv(path: Path | str, positions: np.ndarray, latents: np.ndarray,
              labels: np.ndarray) -> Path:
    """Write index, label, map x/y and every latent value per point; return the path."""
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["index", "label", "x", "y",
                      *(f"z{i}" for i in range(latents.shape[1]))])
        for i in range(len(latents)):
            out.writerow([i, int(labels[i]), f"{positions[i, 0]:.6g}", f"{positions[i, 1]:.6g}",
                          *(f"{v:.6g}" for v in latents[i])])
    return path


def write_npz(path: Path | str, positions: np.ndarray, latents: np.ndarray,
              labels: np.ndarray, method: str, **extra: np.ndarray) -> Path:
    """Write latents, labels, positions and the projection name (compressed); return path."""
    path = Path(path)
    path = path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, latents=latents, labels=labels, positions=positions,
                            projection=np.array(method), **extra)
    return path
