"""Checking a checkpoint's config.json has the JSON types its readers expect (no torch).

Without this a list where an object belongs, a string where a number belongs or a
progress counter of 1e300 surfaces later as a TypeError or AttributeError that names no
file. Value ranges stay with ConfigBase.validate; this only checks shapes and types.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from models.checkpoint.errors import CheckpointError
from models.config import ConfigBase

MAX_SEQUENCE = 64  # entries in a list field (layers, levels): far beyond any real model
MAX_INT = 2**63 - 1
MAX_CLASSES = 100_000
COUNTERS = ("epoch", "step", "step_in_epoch")


def _type_problem(value: Any, base: type) -> str | None:
    """Return why `value` is not a JSON value of type `base`, or None if it is."""
    if base is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if base is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return None if abs(value) <= MAX_INT else "is too large"
        return "must be a whole number"
    if base is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return None if math.isfinite(value) else "must be finite"
        return "must be a number"
    if base is str:
        return None if isinstance(value, str) else "must be a string"
    return None


def check_config_json(cls: type[ConfigBase], data: Any, path: Path, section: str) -> None:
    """Raise CheckpointError(path) unless `data` is an object whose known fields have the JSON
    types `cls` declares (lists of at most MAX_SEQUENCE entries for sequence fields).

    Ranges and unknown names are left to `cls.from_dict`.
    """
    if not isinstance(data, dict):
        raise CheckpointError(path, f"{section!r} must be an object, not "
                              f"{type(data).__name__}")
    for spec in cls.field_specs():
        if spec.name not in data:
            continue
        value = data[spec.name]
        where = f"{section}.{spec.name}"
        if value is None:
            if not spec.optional:
                raise CheckpointError(path, f"{where} must be set")
            continue
        if spec.is_sequence:
            if not isinstance(value, list):
                raise CheckpointError(path, f"{where} must be a list")
            if len(value) > MAX_SEQUENCE:
                raise CheckpointError(path, f"{where} has {len(value)} entries (at most "
                                      f"{MAX_SEQUENCE})")
            values = value
        else:
            values = [value]
        for v in values:
            problem = _type_problem(v, spec.type)
            if problem:
                raise CheckpointError(path, f"{where} {problem}, not {v!r}"[:200])


def check_checkpoint_meta(meta: dict[str, Any], path: Path) -> None:
    """Raise CheckpointError(path) unless the top level of config.json has the right types:
    family a string, format_version a number, model/data/train objects (or null),
    class_names a list of strings, progress an object whose counters are whole numbers ≥ 0.
    """
    if not isinstance(meta.get("family"), str):
        raise CheckpointError(path, f"family must be a string, not {meta.get('family')!r}"[:200])
    version = meta.get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise CheckpointError(path, f"format_version must be a whole number, not {version!r}")
    for key in ("model", "data", "train"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise CheckpointError(path, f"{key!r} must be an object, not "
                                  f"{type(meta[key]).__name__}")
    names = meta.get("class_names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CheckpointError(path, "class_names must be a list of strings")
    if len(names) > MAX_CLASSES:
        raise CheckpointError(path, f"class_names has {len(names)} entries")
    progress = meta.get("progress") or {}
    if not isinstance(progress, dict):
        raise CheckpointError(path, "progress must be an object")
    for key in COUNTERS:
        v = progress.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_INT:
            raise CheckpointError(path, f"progress.{key} must be a whole number ≥ 0, "
                                  f"not {v!r}"[:200])
    if not isinstance(progress.get("val_metrics", {}), dict):
        raise CheckpointError(path, "progress.val_metrics must be an object")
