"""Argument types that turn a bad value into a usage error at parse time, before torch loads.

Each returns the converted value or raises argparse.ArgumentTypeError, which argparse reports
as `argument --x: <message>` and exit status 2.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any


def finite_float(text: str) -> float:
    """Return `text` as a float; NaN and infinity are refused (they pass every range check)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def whole_number(text: str) -> int:
    """Return `text` as an int, with a message naming the value when it is not one."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def class_list(text: str) -> list[int]:
    """Return `7` or `3,7` as class indices (whole numbers ≥ 0); `--exclude-class` also
    repeats, and argparse extends the list with each."""
    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a class index or a comma list "
                                         "of them (e.g. 7 or 3,7)")
    values = [whole_number(p) for p in parts]
    negative = [v for v in values if v < 0]
    if negative:
        raise argparse.ArgumentTypeError(f"class {negative[0]} is below 0")
    return values


def path_text(text: str) -> str:
    """Return `text` unchanged unless it is empty or blank, which would mean the current folder.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file or folder name")
    return text


def path_arg(text: str) -> Path:
    """Return `text` as a path with `~` expanded; an empty or blank path is refused."""
    return Path(path_text(text)).expanduser()


def image_path(text: str) -> Path:
    """Return a path whose extension names an image format Pillow writes."""
    from models.images import image_format

    path = path_arg(text)
    try:
        image_format(path)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return path


def dataset_arg(text: str) -> str:
    """Return a dataset name after checking it is known (and a folder:PATH folder exists)."""
    from models.data.dataset import DataError
    from models.data.registry import check_dataset_name

    try:
        check_dataset_name(text)
    except DataError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def device_arg(text: str) -> str:
    """Return a device name of the form auto, cpu, cuda, cuda:N or mps (present or not)."""
    if text in ("auto", "cpu", "cuda", "mps") or (text.startswith("cuda:") and text[5:].isdigit()):
        return text
    raise argparse.ArgumentTypeError(f"{text!r} is not a device: use auto, cpu, cuda, "
                                     "cuda:N or mps")


def _shown(bound: float) -> str:
    """Return a range bound as a person reads it: 1, 0.9, 1e-4, 2**63-1 in full."""
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def in_range(convert: Callable[[str], Any], low: float | None,
             high: float | None) -> Callable[[str], Any]:
    """Return a type function converting with `convert`, then checking low ≤ value ≤ high."""
    def check(text: str) -> Any:
        value = convert(text)
        if low is not None and value < low:
            raise argparse.ArgumentTypeError(f"must be at least {_shown(low)}, not {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {_shown(high)}, not {text}")
        return value

    check.__name__ = getattr(convert, "__name__", "value")  # argparse names it in errors
    return check


def folder_arg(text: str) -> Path:
    """Return a path for a folder to write into: refused if it, or a parent, is a file."""
    path = path_arg(text)
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise argparse.ArgumentTypeError(f"{p} is a file, not a folder")
            break
    return path


def image_out(text: str) -> Path:
    """Return an image path to write: a known extension, not a folder, parents not files."""
    path = image_path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; give an image file name")
    folder_arg(str(path.parent))
    return path
