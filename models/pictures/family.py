"""What a checkpoint folder holds, read from its JSON alone (no torch): its family, its
configs, and whether that family is a diffusion model (which panels fit it before the
model loads)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.config import ConfigBase, DataConfig, ModelConfig, TrainConfig

CONFIG = "config.json"
PIPELINE_INDEX = "model_index.json"  # a diffusers pipeline folder made elsewhere
MAX_CONFIG_BYTES = 1 << 20


@dataclass(frozen=True)
class CheckpointConfigs:
    """The configs a checkpoint was trained with, as its config.json states them."""

    family: str
    model: ModelConfig
    train: TrainConfig | None
    data: DataConfig | None


def _read_config(checkpoint: Path) -> dict[str, Any] | None:
    try:
        with open(Path(checkpoint) / CONFIG, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_CONFIG_BYTES else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def checkpoint_family(checkpoint: Path) -> str | None:
    """Return the family named in `checkpoint`/config.json ("ddpm" for a diffusers
    pipeline folder without one), or None when neither is there or readable."""
    root = Path(checkpoint)
    if not (root / CONFIG).is_file():
        return "ddpm" if (root / PIPELINE_INDEX).is_file() else None
    data = _read_config(root)
    family = data.get("family") if data is not None else None
    return family if isinstance(family, str) and family else None


def checkpoint_configs(checkpoint: Path) -> CheckpointConfigs | None:
    """Return the family and configs of `checkpoint`/config.json, or None when it is
    missing, of an unknown family, or any section does not check (the model's loading
    then names the problem)."""
    from models.checkpoint.config_json import check_config_json
    from models.checkpoint.errors import CheckpointError
    from models.registry import FAMILIES, config_class

    path = Path(checkpoint) / CONFIG
    meta = _read_config(checkpoint)
    family = meta.get("family") if meta is not None else None
    if meta is None or family not in FAMILIES:
        return None

    def section(cls: type[ConfigBase], name: str) -> Any:
        if meta.get(name) is None:
            return None
        check_config_json(cls, meta[name], path, name)
        return cls.from_dict(meta[name])

    try:
        model = section(config_class(family), "model") or config_class(family)()
        return CheckpointConfigs(family, model, section(TrainConfig, "train"),
                                 section(DataConfig, "data"))
    except (CheckpointError, ValueError, TypeError):
        return None


def is_diffusion_family(family: str | None) -> bool:
    """Return True when `family` is a diffusion model: its config class is DDPMConfig's
    (the registry's config classes import no torch)."""
    from models.diffusion.config import DDPMConfig
    from models.registry import config_class

    try:
        return family is not None and issubclass(config_class(family), DDPMConfig)
    except ValueError:  # a family this version does not know
        return False


def is_latent_diffusion_family(family: str | None) -> bool:
    """Return True when `family` diffuses in an autoencoder's latent space (ldm, cldm):
    its first stage has a latent map and image interpolation as well."""
    from models.latent_diffusion.config import LDMConfig
    from models.registry import config_class

    try:
        return family is not None and issubclass(config_class(family), LDMConfig)
    except ValueError:
        return False
