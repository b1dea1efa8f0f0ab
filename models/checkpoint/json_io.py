"""Reading JSON files with errors that name the file and the problem (no torch: the
GUI reads pipeline indexes and configs with it before torch has loaded)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from models.checkpoint.errors import CheckpointError

MAX_JSON_BYTES = 16 * 2**20  # our config.json files are a few KB; this bounds a hostile one


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf
        raise ValueError(f"{text} is out of range")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number (JSON has no NaN or Infinity)")


def read_json(path: Path) -> Any:
    """Return the JSON in `path`; CheckpointError if missing, too large or malformed.

    NaN, Infinity and floats too large for a double are refused: Python's json would
    otherwise hand them to configs as values.
    """
    if not path.is_file():
        raise CheckpointError(path, "file is missing")
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise CheckpointError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if len(raw) > MAX_JSON_BYTES:
        raise CheckpointError(path, f"is larger than {MAX_JSON_BYTES // 2**20} MB; not a "
                              "settings file")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant,
                          parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError too
        reason = str(exc).splitlines()[0] if str(exc) else "nested too deeply"
        raise CheckpointError(path, f"not valid JSON ({reason})") from exc
