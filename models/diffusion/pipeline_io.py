"""Diffusion checkpoints as diffusers pipeline folders, and opening pipelines from elsewhere.

A folder holds model_index.json, unet/ (the sampling weights: the EMA copy when there is
one) and scheduler/ — so `DDPMPipeline.from_pretrained(folder)` loads it unchanged — plus
latentlab_state.safetensors (the trained weights behind an EMA, the loss-by-t running
sums) and our config.json, written by models/checkpoint/store.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from models.base import load_state_strict
from models.checkpoint.atomic import write_json
from models.checkpoint.bounds import BUILD_ERRORS
from models.checkpoint.errors import CheckpointError
from models.checkpoint.safetensors_io import read_json, read_safetensors
from models.diffusion.config import DDPMConfig
from models.diffusion.scheduler_config import foreign_config_fields
from models.diffusion.scheduler_config import read_scheduler_config as _read_scheduler_config
from models.diffusion.unet_bounds import check_pipeline_bounds, check_unet_config

if TYPE_CHECKING:
    from models.diffusion.model import DDPM

UNET_WEIGHTS = "diffusion_pytorch_model.safetensors"
EXTRA_STATE = "latentlab_state.safetensors"
ONLINE = "online."


def save_pipeline(model: DDPM, folder: Path) -> list[str]:
    """Write model_index.json, unet/, scheduler/ and our extra state; return the names."""
    from safetensors.torch import save_file

    from models.diffusion.imports import diffusers as load_diffusers

    diffusers = load_diffusers()

    model.sampling_unet.save_pretrained(folder / "unet", safe_serialization=True)
    model.schedule.scheduler.save_pretrained(folder / "scheduler")
    write_json(folder / "model_index.json", {
        "_class_name": "DDPMPipeline",
        "_diffusers_version": diffusers.__version__,
        "scheduler": ["diffusers", "DDPMScheduler"],
        "unet": ["diffusers", "UNet2DModel"],
    })
    extra = {k: v.detach().cpu().contiguous() for k, v in model.named_buffers()
             if not k.startswith(("unet.", "ema_unet."))}
    if model.ema_unet is not None:
        extra.update({ONLINE + k: v.detach().cpu().contiguous()
                      for k, v in model.unet.state_dict().items()})
    save_file(extra, str(folder / EXTRA_STATE), metadata={"family": model.family})
    return ["model_index.json", "unet", "scheduler", EXTRA_STATE]


def _read_unet_config(folder: Path) -> dict[str, Any]:
    path = folder / "unet" / "config.json"
    cfg = read_json(path)
    if not isinstance(cfg, dict) or cfg.get("_class_name", "UNet2DModel") != "UNet2DModel":
        name = cfg.get("_class_name") if isinstance(cfg, dict) else None
        raise CheckpointError(path, f"is a {name}, not a UNet2DModel (only pixel-space "
                              "unconditional or class-conditional UNets fit)")
    return {k: v for k, v in check_unet_config(cfg, path).items() if not k.startswith("_")}


def load_pipeline_weights(cls: type[DDPM], folder: Path, config: DDPMConfig) -> DDPM:
    """Return a model of class `cls` built from the pipeline in `folder` (our checkpoints).

    The UNet's architecture comes from unet/config.json; CheckpointError if it or the
    weights do not match `config`.
    """
    ucfg = _read_unet_config(folder)
    scfg = _read_scheduler_config(folder)
    ucfg_path = folder / "unet" / "config.json"
    weights = folder / "unet" / UNET_WEIGHTS
    extra_path = folder / EXTRA_STATE
    # Nothing is allocated for the UNet until its weights file is known to hold exactly it.
    check_pipeline_bounds(cls, config, ucfg, scfg, ucfg_path, weights, extra_path)
    try:
        model = cls(config, unet_cfg=ucfg, sched_cfg=scfg)
    except BUILD_ERRORS as exc:  # the UNet built on meta: most likely the scheduler
        raise CheckpointError(folder, f"unet/ and scheduler/ configs do not build a model "
                              f"({type(exc).__name__}: {exc})".splitlines()[0]) from exc
    sampling = read_safetensors(weights)
    load_state_strict(model.sampling_unet, sampling, weights)
    load_extra_state(model, sampling, extra_path)
    return model


def load_extra_state(model: DDPM, sampling: dict[str, torch.Tensor], extra_path: Path,
                     kept_elsewhere: tuple[str, ...] = ()) -> None:
    """Load latentlab_state.safetensors into `model` (its UNet loaded with `sampling`
    already): the trained UNet behind an EMA and the model's buffers, except those whose
    names start with `kept_elsewhere`. Without the file the trained UNet is the sampling
    one. Raises CheckpointError naming the file when a buffer's shape differs."""
    if not extra_path.is_file():
        if model.ema_unet is not None:
            model.unet.load_state_dict(sampling)
        return
    extra = read_safetensors(extra_path)
    online = {k[len(ONLINE):]: v for k, v in extra.items() if k.startswith(ONLINE)}
    if model.ema_unet is not None:
        load_state_strict(model.unet, online or sampling, extra_path)
    buffers = dict(model.named_buffers())
    skipped = (ONLINE, *kept_elsewhere)
    for k, v in extra.items():
        if k in buffers and not k.startswith(skipped):
            if buffers[k].shape != v.shape:
                raise CheckpointError(extra_path, f"{k} has shape {tuple(v.shape)}, "
                                      f"the model needs {tuple(buffers[k].shape)}")
            buffers[k].copy_(v)


# What diffusers' own pipelines sample with when called with their defaults: a folder made
# elsewhere opens with its pipeline's sampler and step count.
PIPELINE_DEFAULTS = {"DDPMPipeline": ("ddpm", 1000), "DDIMPipeline": ("ddim", 50)}
SCHEDULER_DEFAULTS = {"DDPMScheduler": ("ddpm", 1000), "DDIMScheduler": ("ddim", 50)}


def pipeline_sampling_defaults(folder: Path, scheduler_class: str | None,
                               num_train_timesteps: int) -> dict[str, Any]:
    """Return the sampler and steps diffusers' pipeline for `folder` uses by default
    (by model_index.json's class, else by its scheduler's class); empty when unknown."""
    index = read_json(folder / "model_index.json")
    found = PIPELINE_DEFAULTS.get(str(index.get("_class_name"))) \
        or SCHEDULER_DEFAULTS.get(str(scheduler_class))
    if found is None:
        return {}
    sampler, steps = found
    return {"sampler": sampler, "sample_steps": min(steps, num_train_timesteps)}


def _check_pipeline_index(folder: Path) -> None:
    path = folder / "model_index.json"
    if not path.is_file():
        raise CheckpointError(folder, "no model_index.json: not a diffusers pipeline folder")
    index = read_json(path)
    if not isinstance(index, dict):
        raise CheckpointError(path, "is not a pipeline index")
    for part in ("vqvae", "vae", "text_encoder"):
        if part in index:
            raise CheckpointError(path, f"{index.get('_class_name', 'this pipeline')} has a "
                                  f"{part}; only pixel-space unconditional UNet pipelines fit")
    unet = index.get("unet")
    if not isinstance(unet, list) or not unet or unet[-1] != "UNet2DModel":
        raise CheckpointError(path, "has no UNet2DModel unet component")


def load_diffusers_pipeline(folder: Path | str, device: torch.device | str = "cpu") -> DDPM:
    """Return a `ddpm` model from any diffusers unconditional image pipeline folder.

    Our own checkpoints (with config.json) load as saved. For others the UNet and the
    whole scheduler config come from the folder, and the model samples exactly as
    diffusers' pipelines would (no departures, see samplers.Departures); anything that does not fit
    (latent or text-conditioned pipelines, non-β schedulers, pickled-only weights,
    class-conditional UNets) is a CheckpointError with a one-line reason.
    """
    from models.diffusion.model import DDPM

    folder = Path(folder).expanduser()
    if (folder / "config.json").is_file():
        from models.checkpoint import load_checkpoint

        loaded = load_checkpoint(folder, device=device)
        if not loaded.model.capabilities.is_diffusion:
            raise CheckpointError(folder / "config.json", f"holds a {loaded.family} model, "
                                  "not a diffusion pipeline")
        return loaded.model  # type: ignore[return-value]
    if not folder.is_dir():
        raise CheckpointError(folder, "no such folder")
    _check_pipeline_index(folder)
    ucfg = _read_unet_config(folder)
    ucfg_path = folder / "unet" / "config.json"
    if ucfg.get("num_class_embeds") is not None or ucfg.get("class_embed_type") is not None:
        raise CheckpointError(ucfg_path, "is class-conditional; pipelines from elsewhere "
                              "must be unconditional (their null class is unknown)")
    cin, cout = ucfg.get("in_channels", 3), ucfg.get("out_channels", 3)
    if cin != cout or cin not in (1, 3):
        raise CheckpointError(ucfg_path, f"maps {cin} to {cout} channels; image pipelines "
                              "need 1→1 or 3→3")
    size = ucfg.get("sample_size")
    if isinstance(size, (list, tuple)):
        if len(size) != 2 or size[0] != size[1]:
            raise CheckpointError(ucfg_path, f"sample_size {size} is not square")
        size = size[0]
    if not isinstance(size, int):
        raise CheckpointError(ucfg_path, "has no integer sample_size")
    scfg = _read_scheduler_config(folder)
    weights = folder / "unet" / UNET_WEIGHTS
    if not weights.is_file() and any((folder / "unet").glob("*.bin")):
        raise CheckpointError(folder / "unet", "holds only pickled .bin weights; Latent Lab "
                              "never unpickles (re-save with safe_serialization=True)")
    try:
        config = DDPMConfig(
            image_size=size, channels=cin, preset="custom",
            block_channels=tuple(ucfg.get("block_out_channels", (64,))),
            layers_per_block=ucfg.get("layers_per_block", 2),
            norm_groups=ucfg.get("norm_num_groups", 32), ema=False).replace()
    except (ValueError, TypeError) as exc:
        raise CheckpointError(ucfg_path, f"does not fit ({exc})") from exc
    try:  # the schedule's values have limits of their own (β_end ≤ 0.999, ...)
        fields = foreign_config_fields(scfg)
        fields.update(pipeline_sampling_defaults(folder, scfg.get("_class_name"),
                                                 fields["num_train_timesteps"]))
        config = config.replace(**fields)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(folder / "scheduler" / "scheduler_config.json",
                              f"does not fit ({exc})") from exc
    model = load_pipeline_weights(DDPM, folder, config)
    return model.to(device).eval()
