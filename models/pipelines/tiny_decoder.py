"""A tiny decoder (diffusers' AutoencoderTiny, e.g. TAESD for SD, TAESDXL for SDXL) as a
fast x̂0 preview: a folder holding its config.json and safetensors weights, opened
offline like a pipeline, refused in one line otherwise. It decodes the UNet's latents
directly (its scaling factor is 1) to pixels in [−1, 1], as the pipelines' VAE does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.checkpoint.errors import CheckpointError
from models.checkpoint.json_io import read_json
from models.pipelines.errors import PipelineError
from models.pipelines.index import CODE_KEYS
from models.pipelines.weights import check_component

CLASS = "AutoencoderTiny"


def is_tiny_decoder(folder: Path) -> bool:
    """Return True when `folder`/config.json names an AutoencoderTiny (JSON only)."""
    try:
        config = read_json(folder / "config.json")
    except CheckpointError:
        return False
    return isinstance(config, dict) and config.get("_class_name") == CLASS


def load_tiny_decoder(folder: Path | str, *, latent_channels: int | None = None,
                      allow_pickle: bool = False, device: str = "cpu", dtype: Any = None
                      ) -> Any:
    """Return the AutoencoderTiny in `folder` (eval mode, on `device`); PipelineError (one
    line) for a folder that is not one, names code, holds pickles only (unless allowed) or
    makes latents of other than `latent_channels` channels. Any thread; reads weights."""
    from models.pipelines.opening import diffusers_class, dtype_kwarg, offline, quiet

    folder = Path(folder).expanduser()
    path = folder / "config.json"
    if not path.is_file():
        raise PipelineError(folder, "no config.json: not a tiny decoder folder")
    try:
        config = read_json(path)
    except CheckpointError as exc:
        raise PipelineError(exc.path, exc.problem) from exc
    if not isinstance(config, dict) or config.get("_class_name") != CLASS:
        name = config.get("_class_name") if isinstance(config, dict) else None
        raise PipelineError(path, f"is a {name}, not an {CLASS}")
    key = next((k for k in CODE_KEYS if config.get(k)), None)
    if key:
        raise PipelineError(path, f"names code to import ({key}): Latent Lab never runs "
                            "code from a model folder")
    channels = config.get("latent_channels", 4)
    if latent_channels is not None and channels != latent_channels:
        raise PipelineError(path, f"decodes {channels}-channel latents; the pipeline makes "
                            f"{latent_channels}")
    safe = check_component(folder, "tiny decoder", allow_pickle)
    with offline(), quiet():
        model = diffusers_class(CLASS).from_pretrained(
            folder, local_files_only=True, use_safetensors=True if safe else None,
            **({} if dtype is None else dtype_kwarg(dtype)))
    return model.to(device).eval()
