"""The bundled demo checkpoints: what each is, where it lives, and how long it took to train.

`scripts/train_demo_models.py` writes them under resources/demos/ with an index.json; the
GUI's File › Open demo and welcome view list them from here. Qt-free and torch-free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import resources

DEMOS_DIR = Path(resources.__file__).parent / "demos"
INDEX = "index.json"
HISTORY = "history"  # a demo's training run folder, without its checkpoints


@dataclass(frozen=True)
class Demo:
    """One bundled checkpoint: its folder, menu title, description and training cost.

    `train_seconds` is its CPU seconds when the index records them (trained on one thread:
    what a free core would take; the wall clock of a shared machine also counts others'
    work), else the wall-clock seconds it took.
    """

    name: str
    title: str
    family: str
    description: str
    train_seconds: float
    epochs: int
    path: Path


def list_demos(root: Path | None = None) -> list[Demo]:
    """Return the demos whose checkpoint folder exists, in the index's order.

    A missing or unreadable index gives an empty list: the app then offers training instead.
    """
    root = root or DEMOS_DIR
    try:
        entries = json.loads((root / INDEX).read_text(encoding="utf-8"))["demos"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    demos = []
    for e in entries:
        try:
            demo = Demo(str(e["name"]), str(e["title"]), str(e["family"]),
                        str(e.get("description", "")),
                        float(e.get("cpu_seconds") or e.get("train_seconds", 0.0)),
                        int(e.get("epochs", 0)), root / str(e["name"]))
        except (KeyError, TypeError, ValueError):
            continue
        if (demo.path / "config.json").is_file():
            demos.append(demo)
    return demos
