"""Checks that bound loading an autoencoder folder (vae/ of our checkpoints, or a diffusers
AutoencoderKL folder named by --first-stage): vae/config.json's types and ranges, then its
weights file's safetensors header against the AutoencoderKL built on the meta device.

As for unet/ (diffusion/unet_bounds.py), 1 KB of config can ask for a model of many GiB:
nothing is allocated until the weights file is known to hold exactly the model described.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from models.checkpoint.bounds import check_state_fits, meta_state
from models.checkpoint.errors import CheckpointError
from models.checkpoint.header import read_header
from models.checkpoint.safetensors_io import read_json

VAE_WEIGHTS = "diffusion_pytorch_model.safetensors"
MAX_LEVELS = 5
# name: (kind, lowest, highest). Fields that drive allocation or reach module constructors.
FIELDS: dict[str, tuple[str, float, float]] = {
    "in_channels": ("int", 1, 64),
    "out_channels": ("int", 1, 64),
    "latent_channels": ("int", 1, 64),
    "layers_per_block": ("int", 1, 8),
    "norm_num_groups": ("int", 1, 1024),
    "sample_size": ("int", 1, 1024),
    "scaling_factor": ("float", 1e-8, 1e8),
    "act_fn": ("str", 0, 0),
    "force_upcast": ("bool", 0, 0),
    "mid_block_add_attention": ("bool", 0, 0),
    "use_quant_conv": ("bool", 0, 0),
    "use_post_quant_conv": ("bool", 0, 0),
}
BLOCKS = {"down_block_types": "DownEncoderBlock2D", "up_block_types": "UpDecoderBlock2D"}
ACTIVATIONS = ("silu", "swish", "relu", "gelu", "mish")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_field(path: Path, name: str, v: Any) -> None:
    kind, lo, hi = FIELDS[name]
    ok = {"int": _is_int(v), "bool": isinstance(v, bool), "str": isinstance(v, str),
          "float": isinstance(v, (int, float)) and not isinstance(v, bool)
          and math.isfinite(v)}[kind]
    if not ok:
        raise CheckpointError(path, f"{name} must be {'an' if kind == 'int' else 'a'} {kind}, "
                              f"not {v!r}"[:200])
    if kind in ("int", "float") and not lo <= v <= hi:
        raise CheckpointError(path, f"{name} {v} is outside {lo:g}..{hi:g}")
    if name == "act_fn" and v not in ACTIVATIONS:
        raise CheckpointError(path, f"act_fn must be one of {', '.join(ACTIVATIONS)}, "
                              f"not {v!r}"[:200])


def check_vae_config(cfg: Any, path: Path) -> dict[str, Any]:
    """Return `cfg` (a parsed AutoencoderKL config.json) without its `_` keys when its
    types and ranges are sane; CheckpointError(path) naming the first bad field otherwise."""
    if not isinstance(cfg, dict):
        raise CheckpointError(path, "is not an autoencoder config (not a JSON object)")
    name = cfg.get("_class_name", "AutoencoderKL")
    if name != "AutoencoderKL":
        raise CheckpointError(path, f"is a {name}, not an AutoencoderKL")
    for key in FIELDS:
        if key in cfg:
            _check_field(path, key, cfg[key])
    chans = cfg.get("block_out_channels")
    if not isinstance(chans, list) or not 1 <= len(chans) <= MAX_LEVELS \
            or not all(_is_int(c) and 1 <= c <= 4096 for c in chans):
        raise CheckpointError(path, f"block_out_channels must list 1 to {MAX_LEVELS} channel "
                              f"counts of 1..4096, not {chans!r}"[:200])
    for key, block in BLOCKS.items():
        types = cfg.get(key)
        if not isinstance(types, list) or len(types) != len(chans) \
                or any(t != block for t in types):
            raise CheckpointError(path, f"{key} must list {block} once per level "
                                  f"({len(chans)})")
    groups = cfg.get("norm_num_groups", 32)
    bad = [c for c in chans if c % groups]
    if bad:
        raise CheckpointError(path, f"block_out_channels {bad[0]} is not divisible by "
                              f"norm_num_groups {groups}")
    for key in ("latents_mean", "latents_std", "shift_factor"):
        if cfg.get(key) is not None:
            raise CheckpointError(path, f"sets {key}; Latent Lab scales latents by "
                                  "scaling_factor alone")
    return {k: v for k, v in cfg.items() if not k.startswith("_")}


def check_vae_fits(vcfg: dict[str, Any], path: Path, config: Any) -> None:
    """Raise CheckpointError(path) unless the autoencoder of `vcfg` is the one an LDM
    config describes: image channels, latent channels, levels, widths and frame size."""
    from models.latent_diffusion.autoencoder import vae_config

    want = vae_config(config)
    for key in ("in_channels", "out_channels", "latent_channels", "block_out_channels",
                "layers_per_block", "norm_num_groups", "sample_size"):
        have = vcfg.get(key, "unset")
        if have != want[key]:
            raise CheckpointError(path, f"has {key} {have}, the model needs {want[key]}")


def check_vae_weights(folder: Path, vcfg: dict[str, Any]) -> Path:
    """Return the weights file of autoencoder folder `folder` once its safetensors header
    holds exactly the AutoencoderKL of `vcfg`; CheckpointError naming the file otherwise."""
    from models.latent_diffusion.autoencoder import build_vae

    weights = folder / VAE_WEIGHTS
    if not weights.is_file() and any(folder.glob("*.bin")):
        raise CheckpointError(folder, "holds only pickled .bin weights; Latent Lab never "
                              "unpickles (re-save with safe_serialization=True)")
    expected = meta_state(lambda: build_vae(vcfg), folder / "config.json")
    check_state_fits(expected, read_header(weights), config="vae/config.json")
    return weights


def read_vae_folder(folder: Path, config: Any) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Return (config dict, weights) of the AutoencoderKL in `folder` after every check:
    config types, fit to `config`, weights header. Allocates only once all pass."""
    from models.checkpoint.safetensors_io import read_safetensors

    path = folder / "config.json"
    vcfg = check_vae_config(read_json(path), path)
    check_vae_fits(vcfg, path, config)
    weights = check_vae_weights(folder, vcfg)
    return vcfg, read_safetensors(weights)
