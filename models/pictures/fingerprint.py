"""The fingerprint of a checkpoint's weights: which weights a precomputed picture shows."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def weight_files(checkpoint: Path) -> list[Path]:
    """Return the weight files of `checkpoint`, sorted: model.safetensors for our own
    checkpoints, every *.safetensors of a pipeline folder (the UNet, our extra state)."""
    root = Path(checkpoint)
    return sorted(p for p in root.rglob("*.safetensors")
                  if p.is_file() and "precomputed" not in p.relative_to(root).parts)


def weights_fingerprint(checkpoint: Path) -> str:
    """Return the SHA-256 (hex) over the names and bytes of `checkpoint`'s weight files.

    Raises FileNotFoundError when the folder holds no weights. ~10 ms for a 7 MB demo.
    """
    files = weight_files(checkpoint)
    if not files:
        raise FileNotFoundError(f"{checkpoint}: no weights (*.safetensors) to fingerprint")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(checkpoint).as_posix().encode() + b"\0")
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
    return digest.hexdigest()
