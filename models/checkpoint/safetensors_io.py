"""Reading safetensors files with errors that name the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from models.checkpoint.errors import CheckpointError


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Return the tensors in `path` on the CPU; CheckpointError if missing, truncated or corrupt."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise CheckpointError(path, "file is missing")
    size = path.stat().st_size
    if size < 8:
        raise CheckpointError(path, f"file is truncated ({size} bytes)")
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(path, f"not a readable safetensors file ({reason})") from exc


def read_json(path: Path) -> Any:
    """Return the JSON in `path`; CheckpointError if missing or malformed."""
    if not path.is_file():
        raise CheckpointError(path, "file is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(path, f"not valid JSON ({exc})") from exc
