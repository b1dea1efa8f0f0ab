"""Latent diffusion checkpoints as folders of diffusers components, and first stages taken
from elsewhere.

A folder holds vae/ (AutoencoderKL, its scaling_factor set), unet/ (UNet2DModel: the EMA
copy when there is one) and scheduler/, each loadable with diffusers' own
`from_pretrained(folder / "vae")` and so on, plus latentlab_state.safetensors (the trained
weights behind an EMA, the loss-by-t sums) and our config.json. There is no
model_index.json: the one diffusers pipeline that runs these components unchanged,
`LDMPipeline` (deprecated, unconditional), names its autoencoder `vqvae`, so it is built
from the parts (`LDMPipeline(vqvae=vae, unet=unet, scheduler=scheduler)`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.base import load_state_strict
from models.checkpoint.bounds import BUILD_ERRORS
from models.checkpoint.errors import CheckpointError
from models.checkpoint.safetensors_io import read_json, read_safetensors
from models.diffusion.pipeline_io import (
    EXTRA_STATE,
    ONLINE,
    UNET_WEIGHTS,
    _read_unet_config,
    load_extra_state,
)
from models.diffusion.scheduler_config import read_scheduler_config
from models.diffusion.unet_bounds import (
    MAX_TIMESTEPS,
    check_extra_weights,
    check_unet_fits,
    check_unet_weights,
)
from models.latent_diffusion.config import LDMConfig
from models.latent_diffusion.vae_bounds import check_vae_config, read_vae_folder

if TYPE_CHECKING:
    from models.latent_diffusion.model import LDM

# Buffers not kept in the extra state: the scale factor lives in vae/config.json.
NOT_EXTRA = ("unet.", "ema_unet.", "vae.", "latent_scale")


def save_ldm(model: LDM, folder: Path) -> list[str]:
    """Write vae/, unet/, scheduler/ and our extra state into `folder`; return the names."""
    from safetensors.torch import save_file

    model.vae.register_to_config(scaling_factor=model.scaling_factor)
    model.vae.save_pretrained(folder / "vae", safe_serialization=True)
    model.sampling_unet.save_pretrained(folder / "unet", safe_serialization=True)
    model.schedule.scheduler.save_pretrained(folder / "scheduler")
    extra = {k: v.detach().cpu().contiguous() for k, v in model.named_buffers()
             if not k.startswith(NOT_EXTRA)}
    if model.ema_unet is not None:
        extra.update({ONLINE + k: v.detach().cpu().contiguous()
                      for k, v in model.unet.state_dict().items()})
    save_file(extra, str(folder / EXTRA_STATE), metadata={"family": model.family})
    return ["vae", "unet", "scheduler", EXTRA_STATE]


def load_ldm_weights(cls: type[LDM], folder: Path, config: LDMConfig) -> LDM:
    """Return a model of class `cls` from the checkpoint folder `folder`.

    Every file is checked before anything is allocated: unet/config.json's and
    vae/config.json's types and ranges and their fit to `config`, both weights files'
    headers, the extra state's. CheckpointError (one line naming the file) otherwise.
    """
    ucfg = _read_unet_config(folder)
    ucfg_path = folder / "unet" / "config.json"
    embeds = config.num_classes + 1 if cls.conditional else None
    check_unet_fits(ucfg, ucfg_path, config.latent_channels, embeds, config.latent_size)
    if ucfg.get("sample_size") not in (config.latent_size, [config.latent_size] * 2):
        raise CheckpointError(ucfg_path, f"sample_size {ucfg.get('sample_size')} is not the "
                              f"{config.latent_size}-pixel latents of config.json")
    scfg = read_scheduler_config(folder)
    steps = scfg.get("num_train_timesteps", 1000)
    if not isinstance(steps, int) or not 2 <= steps <= MAX_TIMESTEPS:
        raise CheckpointError(folder / "scheduler" / "scheduler_config.json",
                              f"num_train_timesteps must be 2..{MAX_TIMESTEPS}, not {steps!r}")
    weights = folder / "unet" / UNET_WEIGHTS
    unet_state = check_unet_weights(weights, ucfg)
    extra_path = folder / EXTRA_STATE
    if extra_path.is_file():
        check_extra_weights(extra_path, unet_state)
    vcfg, vae_state = read_vae_folder(folder / "vae", config)
    try:
        model = cls(config, unet_cfg=ucfg, sched_cfg=scfg, vae_cfg=vcfg)
    except BUILD_ERRORS as exc:
        raise CheckpointError(folder, f"unet/, vae/ and scheduler/ configs do not build a "
                              f"model ({type(exc).__name__}: {exc})".splitlines()[0]) from exc
    sampling = read_safetensors(weights)
    load_state_strict(model.sampling_unet, sampling, weights)
    load_state_strict(model.vae, vae_state, folder / "vae" / "config.json")
    model.set_scaling_factor(float(vcfg.get("scaling_factor", 1.0)))
    load_extra_state(model, sampling, extra_path, kept_elsewhere=NOT_EXTRA)
    return model


def first_stage_folder(path: Path) -> Path:
    """Return the AutoencoderKL folder `path` names: an ldm/cldm run or checkpoint (its
    vae/), a folder holding vae/, or an AutoencoderKL folder itself; CheckpointError
    otherwise."""
    path = Path(path).expanduser()
    if (path / "config.json").is_file():
        cfg = read_json(path / "config.json")
        if isinstance(cfg, dict) and cfg.get("_class_name") == "AutoencoderKL":
            return path
    if (path / "vae" / "config.json").is_file():
        return path / "vae"
    from models.checkpoint.store import read_checkpoint_config

    folder, meta = read_checkpoint_config(path)
    if not (folder / "vae" / "config.json").is_file():
        raise CheckpointError(folder / "config.json", f"holds a {meta.get('family')} model, "
                              "which has no AutoencoderKL first stage (vae/)")
    return folder / "vae"


def load_first_stage(model: LDM, path: Path) -> None:
    """Load the autoencoder at `path` (see first_stage_folder) into `model.vae`;
    CheckpointError when it is not the autoencoder the model's config describes."""
    folder = first_stage_folder(path)
    _, state = read_vae_folder(folder, model.config)
    load_state_strict(model.vae, state, folder / "config.json")


def first_stage_fields(path: Path) -> dict[str, Any]:
    """Return the LDMConfig fields that describe the autoencoder at `path` (see
    first_stage_folder): levels and widths, layers, groups, latent channels. Reads its
    config.json alone; CheckpointError naming it when it is not a sane AutoencoderKL."""
    folder = first_stage_folder(path)
    cfg = check_vae_config(read_json(folder / "config.json"), folder / "config.json")
    return {"vae_channels": tuple(cfg["block_out_channels"]),
            "vae_layers": int(cfg.get("layers_per_block", 1)),
            "vae_norm_groups": int(cfg.get("norm_num_groups", 32)),
            "latent_channels": int(cfg.get("latent_channels", 4))}
