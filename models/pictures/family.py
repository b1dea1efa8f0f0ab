"""What a checkpoint folder holds, read from its JSON alone (no torch): its family, and
whether that family is a diffusion model (which panels fit it before the model loads)."""

from __future__ import annotations

import json
from pathlib import Path

CONFIG = "config.json"
PIPELINE_INDEX = "model_index.json"  # a diffusers pipeline folder made elsewhere
MAX_CONFIG_BYTES = 1 << 20


def checkpoint_family(checkpoint: Path) -> str | None:
    """Return the family named in `checkpoint`/config.json ("ddpm" for a diffusers
    pipeline folder without one), or None when neither is there or readable."""
    root = Path(checkpoint)
    try:
        with open(root / CONFIG, "rb") as f:
            data = json.loads(f.read(MAX_CONFIG_BYTES + 1)[:MAX_CONFIG_BYTES])
    except FileNotFoundError:
        return "ddpm" if (root / PIPELINE_INDEX).is_file() else None
    except (OSError, ValueError):
        return None
    family = data.get("family") if isinstance(data, dict) else None
    return family if isinstance(family, str) and family else None


def is_diffusion_family(family: str | None) -> bool:
    """Return True when `family` is a diffusion model: its config class is DDPMConfig's
    (the registry's config classes import no torch)."""
    from models.diffusion.config import DDPMConfig
    from models.registry import config_class

    try:
        return family is not None and issubclass(config_class(family), DDPMConfig)
    except ValueError:  # a family this version does not know
        return False
