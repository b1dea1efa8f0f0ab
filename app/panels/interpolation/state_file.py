"""The panel's state as JSON (model, anchors, latents, seeds): written and read back exactly.

Qt-free on purpose: the file format is testable without a window, and a notebook can read
it. Latents are stored in full, so a restored panel shows the same pictures even when a
dataset index or a file would now encode differently.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT, VERSION = "latentlab-interpolation", 1
ANCHOR_NAMES = ("A", "B", "C")


@dataclass
class AnchorState:
    """Where an anchor came from, and its latent (None when not set yet)."""

    source: str = "dataset"  # dataset | map | random | file
    index: int = 0
    seed: int = 0
    file: str | None = None
    label: int = -1
    latent: list[float] | None = None


@dataclass
class InterpolationState:
    """Everything needed to show the same interpolation again."""

    checkpoint: str | None = None
    family: str = ""
    is_diffusion: bool = False
    method: str = "linear"
    alpha: float = 0.5
    extrapolate: bool = False
    frames: int = 8
    anchors: dict[str, AnchorState] = field(
        default_factory=lambda: {n: AnchorState() for n in ANCHOR_NAMES})
    class_a: int = 0
    class_b: int = 0
    interpolate_class: bool = False
    attribute_strength: float = 0.0
    attribute_vector: list[float] | None = None
    dims_latent: list[float] | None = None
    diffusion_steps: int = 20

    def to_json(self) -> str:
        """Return the state as an indented JSON document."""
        return json.dumps({"format": FORMAT, "version": VERSION, **asdict(self)}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> InterpolationState:
        """Return the state in JSON `text`; ValueError when it is not an interpolation state."""
        raw: dict[str, Any] = json.loads(text)
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError("not a Latent Lab interpolation file")
        if int(raw.get("version", 0)) > VERSION:
            raise ValueError(f"written by a newer Latent Lab (version {raw['version']})")
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in raw.items() if k in known}
        anchors = values.pop("anchors", {}) or {}
        state = cls(**values)
        for name in ANCHOR_NAMES:
            if isinstance(anchors.get(name), dict):
                fields = set(AnchorState.__dataclass_fields__)
                state.anchors[name] = AnchorState(**{k: v for k, v in anchors[name].items()
                                                     if k in fields})
        return state


def save_state(state: InterpolationState, path: str | Path) -> Path:
    """Write `state` to `path` atomically; return the path."""
    from models.checkpoint.atomic import write_bytes_atomic  # imports torch: only when saving

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, state.to_json().encode("utf-8"))
    return path


def load_state(path: str | Path) -> InterpolationState:
    """Return the state stored at `path` (OSError / ValueError when unreadable)."""
    return InterpolationState.from_json(Path(path).read_text(encoding="utf-8"))
