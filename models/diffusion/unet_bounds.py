"""Checks that bound loading a pipeline folder's UNet: unet/config.json's types and ranges,
then its weights file's safetensors header against the UNet built on the meta device.

unet/config.json is not one of our configs, so no field limit covers it: 1 KB of it can
ask for a UNet of 100 GiB. Nothing is allocated for the UNet until the weights file is
known to hold exactly the UNet the config describes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from models.checkpoint.bounds import check_state_fits, meta_state
from models.checkpoint.errors import CheckpointError
from models.checkpoint.header import read_header

MAX_LEVELS = 8
MAX_INT = 2**31 - 1
MAX_TIMESTEPS = 100_000  # DDPMConfig.num_train_timesteps max
# name: (kind, lowest, highest, may be null). Only fields that drive allocation or are
# handed to module constructors; others pass through for diffusers to judge.
FIELDS: dict[str, tuple[str, int, int, bool]] = {
    "in_channels": ("int", 1, 64, False),
    "out_channels": ("int", 1, 64, False),
    "layers_per_block": ("int", 1, 8, False),
    "norm_num_groups": ("int", 1, 1024, False),
    "attn_norm_num_groups": ("int", 1, 1024, True),
    "attention_head_dim": ("int", 1, 4096, True),
    "time_embedding_dim": ("int", 1, 16384, True),
    "num_class_embeds": ("int", 1, 1001, True),  # ModelConfig.num_classes max + null class
    "num_train_timesteps": ("int", 1, MAX_TIMESTEPS, True),
    "freq_shift": ("int", -MAX_INT, MAX_INT, False),
    "downsample_padding": ("int", 0, 8, False),
    "mid_block_scale_factor": ("float", -MAX_INT, MAX_INT, False),
    "dropout": ("float", 0, 1, False),
    "norm_eps": ("float", 0, 1, False),
    "center_input_sample": ("bool", 0, 0, False),
    "flip_sin_to_cos": ("bool", 0, 0, False),
    "add_attention": ("bool", 0, 0, False),
    "time_embedding_type": ("str", 0, 0, False),
    "downsample_type": ("str", 0, 0, False),
    "upsample_type": ("str", 0, 0, False),
    "act_fn": ("str", 0, 0, False),
    "resnet_time_scale_shift": ("str", 0, 0, False),
    "mid_block_type": ("str", 0, 0, True),
    "class_embed_type": ("str", 0, 0, True),
}
# String fields whose unknown values diffusers does not refuse cleanly.
CHOICES = {"time_embedding_type": ("positional", "fourier", "learned")}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_field(path: Path, name: str, v: Any) -> None:
    kind, lo, hi, nullable = FIELDS[name]
    if v is None:
        if not nullable:
            raise CheckpointError(path, f"{name} must be set")
        return
    ok = {"int": _is_int(v), "bool": isinstance(v, bool), "str": isinstance(v, str),
          "float": isinstance(v, (int, float)) and not isinstance(v, bool)}[kind]
    if not ok:
        raise CheckpointError(path, f"{name} must be {'an' if kind == 'int' else 'a'} {kind}, "
                              f"not {v!r}"[:200])
    if kind in ("int", "float") and not lo <= v <= hi:
        raise CheckpointError(path, f"{name} {v} is outside {lo}..{hi}")
    if name in CHOICES and v not in CHOICES[name]:
        raise CheckpointError(path, f"{name} must be one of {', '.join(CHOICES[name])}, "
                              f"not {v!r}"[:200])


def _check_levels(path: Path, cfg: dict[str, Any]) -> None:
    chans = cfg.get("block_out_channels")
    if not isinstance(chans, list) or not 1 <= len(chans) <= MAX_LEVELS \
            or not all(_is_int(c) and 1 <= c <= 4096 for c in chans):
        raise CheckpointError(path, f"block_out_channels must list 1 to {MAX_LEVELS} channel "
                              f"counts of 1..4096, not {chans!r}"[:200])
    for key in ("down_block_types", "up_block_types"):
        types = cfg.get(key)
        if not isinstance(types, list) or len(types) != len(chans) \
                or not all(isinstance(t, str) for t in types):
            raise CheckpointError(path, f"{key} must list {len(chans)} block names, one per "
                                  "level of block_out_channels")
    groups = cfg.get("norm_num_groups", 32)
    bad = [c for c in chans if c % groups]
    if bad:
        raise CheckpointError(path, f"block_out_channels {bad[0]} is not divisible by "
                              f"norm_num_groups {groups}")


def _sample_side(path: Path, cfg: dict[str, Any]) -> int:
    size = cfg.get("sample_size")
    if isinstance(size, list) and len(size) == 2 and size[0] == size[1]:
        size = size[0]
    if not _is_int(size) or not 1 <= size <= 1024:
        raise CheckpointError(path, f"sample_size must be a square side of 1..1024 pixels, "
                              f"not {cfg.get('sample_size')!r}"[:200])
    return size


def check_unet_config(cfg: Any, path: Path) -> dict[str, Any]:
    """Return `cfg` (a parsed unet/config.json) if its types and ranges are sane for a
    pixel-space UNet2DModel; CheckpointError(path) naming the first bad field otherwise."""
    if not isinstance(cfg, dict):
        raise CheckpointError(path, "is not a UNet config (not a JSON object)")
    for name in FIELDS:
        if name in cfg:
            _check_field(path, name, cfg[name])
    _check_levels(path, cfg)
    side = _sample_side(path, cfg)
    factor = 2 ** (len(cfg["block_out_channels"]) - 1)
    if side % factor:
        raise CheckpointError(path, f"sample_size {side} does not halve at each of its "
                              f"{len(cfg['block_out_channels'])} levels")
    return cfg


def check_unet_fits(ucfg: dict[str, Any], path: Path, channels: int,
                    class_embeds: int | None, image_size: int) -> None:
    """Raise CheckpointError(path) unless the UNet of `ucfg` fits our config.json: its
    channels, class embeddings (classes + 1, or none) and a frame holding the image."""
    cin = ucfg.get("in_channels", 3)
    if cin != channels or ucfg.get("out_channels", 3) != channels:
        raise CheckpointError(path, f"has {cin} channels, config.json says {channels}")
    if ucfg.get("num_class_embeds") != class_embeds:
        raise CheckpointError(path, f"has {ucfg.get('num_class_embeds')} class embeddings, "
                              f"config.json needs {class_embeds}")
    if _sample_side(path, ucfg) < image_size:
        raise CheckpointError(path, f"sample_size {ucfg['sample_size']} is smaller than the "
                              f"{image_size}-pixel images of config.json")


def check_unet_weights(weights: Path, ucfg: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Return the UNet's state_dict on the meta device once the safetensors header of
    `weights` (in unet/) holds exactly it; CheckpointError naming the file (or the pickled
    .bin we refuse) otherwise."""
    from models.diffusion.unet import build_unet

    unet_dir = weights.parent
    if not weights.is_file() and any(unet_dir.glob("*.bin")):
        raise CheckpointError(unet_dir, "holds only pickled .bin weights; Latent Lab never "
                              "unpickles (re-save with safe_serialization=True)")
    expected = meta_state(lambda: build_unet(ucfg), unet_dir / "config.json")
    check_state_fits(expected, read_header(weights), config="unet/config.json")
    return expected


def check_extra_weights(path: Path, unet_state: dict[str, torch.Tensor]) -> None:
    """Raise CheckpointError(path) unless our extra state file's `online.` tensors (the
    trained weights behind an EMA), if any, are exactly the UNet's."""
    header = read_header(path)
    if any(k.startswith("online.") for k in header.tensors):
        check_state_fits(unet_state, header, prefix="online.", config="unet/config.json")


def check_pipeline_bounds(cls: type, config: Any, ucfg: dict[str, Any], scfg: dict[str, Any],
                          ucfg_path: Path, weights: Path, extra: Path) -> None:
    """Raise CheckpointError naming the file unless building `cls(config, unet_cfg=ucfg,
    sched_cfg=scfg)` allocates no more than the weights files hold: the UNet fits
    `config`, unet/'s header holds exactly it (and `extra`'s, if present, its online
    copy), and the schedule's T is within DDPMConfig's limit."""
    embeds = config.num_classes + 1 if getattr(cls, "conditional", False) else None
    check_unet_fits(ucfg, ucfg_path, config.channels, embeds, config.image_size)
    steps = scfg.get("num_train_timesteps", 1000)
    if not _is_int(steps) or not 2 <= steps <= MAX_TIMESTEPS:
        raise CheckpointError(ucfg_path.parent.parent / "scheduler" / "scheduler_config.json",
                              f"num_train_timesteps must be 2..{MAX_TIMESTEPS}, not {steps!r}")
    unet_state = check_unet_weights(weights, ucfg)
    if extra.is_file():
        check_extra_weights(extra, unet_state)
