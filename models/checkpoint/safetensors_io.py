"""Reading safetensors and JSON files with errors that name the file and the problem."""

from __future__ import annotations

from pathlib import Path

import torch

from models.checkpoint.errors import CheckpointError
from models.checkpoint.header import read_header

# Re-exported: JSON is read without torch (json_io.py), for the GUI before torch loads.
from models.checkpoint.json_io import MAX_JSON_BYTES, read_json  # noqa: F401


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Return the tensors in `path` on the CPU; CheckpointError if missing, truncated or corrupt.

    The header is checked first (read_header), so what is allocated is at most the file's
    own size.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    read_header(path)
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(path, f"not a readable safetensors file ({reason})") from exc
