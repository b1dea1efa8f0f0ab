"""Builders for checkpoint-loading tests: a tiny checkpoint of every family, hostile edits of
its config.json or unet/config.json, and hand-written safetensors files."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path
from typing import Any

import torch

from models.checkpoint import save_checkpoint
from models.registry import FAMILIES, build_model, config_class

TINY: dict[str, dict[str, Any]] = {
    "ae": {"latent_dim": 2, "hidden_dims": (8,)},
    "vae": {"latent_dim": 2, "hidden_dims": (8,)},
    "cvae": {"latent_dim": 2, "hidden_dims": (8,)},
    "conv-vae": {"latent_dim": 2, "conv_channels": (4,), "fc_dim": 8},
    "gan": {"latent_dim": 3, "hidden_dims": (8,)},
    "dcgan": {"latent_dim": 3, "g_width": 4, "d_width": 4},
    "wgan-gp": {"latent_dim": 3, "g_width": 4, "d_width": 4},
    "cgan": {"latent_dim": 3, "g_width": 4, "d_width": 4},
    "stylegan": {"z_dim": 3, "w_dim": 4, "mapping_layers": 1, "g_channels": (4, 4, 4, 4),
                 "d_channels": (4, 4, 4)},
    "ddpm": {"image_size": 8, "preset": "custom", "block_channels": (4, 8), "norm_groups": 4},
    "cddpm": {"image_size": 8, "preset": "custom", "block_channels": (4, 8), "norm_groups": 4,
              "num_classes": 3},
    "ldm": {"image_size": 8, "preset": "custom", "block_channels": (4, 8), "norm_groups": 4,
            "vae_channels": (4, 8), "vae_norm_groups": 4, "latent_channels": 2},
    "cldm": {"image_size": 8, "preset": "custom", "block_channels": (4, 8), "norm_groups": 4,
             "vae_channels": (4, 8), "vae_norm_groups": 4, "latent_channels": 2,
             "num_classes": 3},
    "pixelcnn": {"image_size": 8, "filters": 3, "gated_layers": 1, "output_filters": 3},
    "realnvp": {"image_size": 8, "couplings": 1, "hidden_channels": 4, "res_blocks": 0},
}
assert set(TINY) == set(FAMILIES)
# Within every field limit, yet ~40 GiB of float32 weights per side.
HOSTILE_HIDDEN = [16384] * 40
# A UNet2DModel config no field limit covers: 8 levels of 4096 channels, 8 layers each.
HOSTILE_UNET = {"block_out_channels": [4096] * 8, "layers_per_block": 8,
                "down_block_types": ["DownBlock2D"] * 8, "up_block_types": ["UpBlock2D"] * 8,
                "norm_num_groups": 32, "sample_size": 128}


def tiny_checkpoint(folder: Path, family: str) -> Path:
    """Return `folder` holding a saved checkpoint of a tiny `family` model."""
    torch.manual_seed(0)
    model = build_model(family, config_class(family)(**TINY[family]))
    return save_checkpoint(folder, model, class_names=("a", "b", "c"),
                           progress={"epoch": 1, "step": 4})


def edit_json(path: Path, **changes: Any) -> None:
    """Rewrite the JSON object in `path` with top-level keys changed."""
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def edit_model(folder: Path, **changes: Any) -> None:
    """Change fields of the "model" settings in a checkpoint's config.json."""
    cfg = json.loads((folder / "config.json").read_text())
    cfg["model"].update(changes)
    (folder / "config.json").write_text(json.dumps(cfg))


def foreign_pipeline(folder: Path, source: Path) -> Path:
    """Return `folder`: the diffusers part of our ddpm checkpoint `source` (no config.json)."""
    for part in ("unet", "scheduler"):
        shutil.copytree(source / part, folder / part)
    shutil.copy(source / "model_index.json", folder)
    return folder


def write_safetensors(path: Path, header: Any, data: bytes = b"",
                      length: int | None = None) -> Path:
    """Write a safetensors file by hand: header length (or `length`), header JSON, data."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw) if length is None else length) + raw + data)
    return path


def claiming_header(state: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Return a header describing `state`'s tensors as float32, laid end to end."""
    header, at = {}, 0
    for k, t in state.items():
        n = t.numel() * 4
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [at, at + n]}
        at += n
    return header
