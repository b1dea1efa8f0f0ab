"""A diffusion model's scheduler config: read from a pipeline folder, checked, resolved as
diffusers resolves it, and turned into each sampler's diffusers scheduler.

Nothing is dropped: a sampler's scheduler is `SamplerClass.from_config(full config)`, as
DDIMPipeline turns a folder's scheduler into a DDIMScheduler. Keys the sampler's class
knows are honoured (set_alpha_to_one, timestep_spacing, steps_offset, clip_sample_range,
thresholding, trained_betas, rescale_betas_zero_snr, ...); keys it does not know wait in
the config for the classes that do.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.checkpoint.errors import CheckpointError
from models.checkpoint.safetensors_io import read_json
from models.diffusion.samplers import DIFFUSERS

# Our names for β schedules ↔ diffusers' names.
TO_DIFFUSERS = {"linear": "linear", "cosine": "squaredcos_cap_v2",
                "scaled_linear": "scaled_linear"}
FROM_DIFFUSERS = {v: k for k, v in TO_DIFFUSERS.items()}
PREDICTION_TYPES = ("epsilon", "v_prediction")


def scheduler_config(config: Any) -> dict[str, Any]:
    """Return the DDPMScheduler config dict for a DDPMConfig (what our scheduler/ holds)."""
    return {
        "num_train_timesteps": config.num_train_timesteps,
        "beta_schedule": TO_DIFFUSERS[config.beta_schedule],
        "beta_start": config.beta_start,
        "beta_end": config.beta_end,
        "prediction_type": config.prediction_type,
        "clip_sample": config.clip_sample,
        "clip_sample_range": 1.0,
        "variance_type": "fixed_small",
        "thresholding": False,
    }


def build(cls: type, config: Mapping[str, Any], **overrides: Any) -> Any:
    """Return `cls.from_config(config, **overrides)`: a diffusers scheduler; ValueError (one
    line naming the class) when the class rejects the config."""
    with warnings.catch_warnings():
        # diffusers calls np.array(tensor) in set-up, which NumPy 2 flags; not our concern.
        warnings.filterwarnings("ignore", message="__array__ implementation",
                                category=DeprecationWarning)
        try:
            return cls.from_config(dict(config), **overrides)
        except (ValueError, TypeError, KeyError, IndexError, NotImplementedError,
                RuntimeError) as exc:  # whatever its __init__ raises for a value it refuses
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"{cls.__name__} does not accept the scheduler config "
                             f"({reason})") from exc


def resolve(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the full config of `raw`'s scheduler class as a diffusers pipeline holds it
    after loading: every key the class has, defaults listed in `_use_default_values` (so a
    class it is mapped to uses its own defaults there), unknown keys kept aside.

    DDPMScheduler when `raw` names no diffusers scheduler; ValueError when the class
    rejects `raw`.
    """
    from models.diffusion.imports import diffusers, scheduler_class

    cls = scheduler_class(raw.get("_class_name")) or diffusers().DDPMScheduler
    return dict(build(cls, raw).config)


def x0_clip(config: Mapping[str, Any]) -> float | None:
    """Return the range a scheduler with `config` clamps x̂0 to, or None when it does not
    clip (no clip_sample, or thresholding, which takes precedence in diffusers)."""
    if config.get("clip_sample") and not config.get("thresholding"):
        return float(config.get("clip_sample_range", 1.0))
    return None


def _problem(cfg: Mapping[str, Any]) -> str | None:
    """Return why Latent Lab cannot sample a resolved scheduler config, or None."""
    betas = cfg.get("trained_betas")
    if betas is not None:
        if not isinstance(betas, list) or not all(isinstance(b, (int, float)) for b in betas):
            return "trained_betas is not a list of numbers"
        if len(betas) != cfg.get("num_train_timesteps"):
            return (f"has {len(betas)} trained_betas for num_train_timesteps "
                    f"{cfg.get('num_train_timesteps')}")
        if not all(0.0 < b <= 1.0 for b in betas):
            return "trained_betas must lie in (0, 1]"
    elif cfg.get("beta_schedule") not in FROM_DIFFUSERS:
        return (f"beta_schedule {cfg.get('beta_schedule')!r} is not one of "
                f"{', '.join(FROM_DIFFUSERS)}")
    pred = cfg.get("prediction_type", "epsilon")
    if pred not in PREDICTION_TYPES:
        return f"prediction_type {pred!r} is not epsilon or v_prediction"
    return None


# The types diffusers' β schedulers expect of the keys that shape sampling: a wrong one
# reached diffusers as `TypeError: unhashable` or was silently taken as true.
KEY_TYPES: dict[str, tuple[type, ...]] = {
    "num_train_timesteps": (int,), "beta_start": (int, float), "beta_end": (int, float),
    "beta_schedule": (str,), "prediction_type": (str,), "clip_sample": (bool,),
    "clip_sample_range": (int, float), "set_alpha_to_one": (bool,), "steps_offset": (int,),
    "timestep_spacing": (str,), "thresholding": (bool,), "variance_type": (str,),
    "rescale_betas_zero_snr": (bool,), "sample_max_value": (int, float),
    "dynamic_thresholding_ratio": (int, float),
}


def _wrong_type(cfg: Mapping[str, Any]) -> str | None:
    """Return the first key of a raw scheduler config whose value has the wrong type."""
    for key, types in KEY_TYPES.items():
        value = cfg.get(key)
        if value is None:
            continue
        is_bool = isinstance(value, bool)
        if not isinstance(value, types) or (is_bool and bool not in types):
            names = " or ".join("true/false" if t is bool else t.__name__ for t in types)
            return f"{key} is {value!r}, not {names}"
    return None


def read_scheduler_config(folder: Path) -> dict[str, Any]:
    """Return `folder`/scheduler/scheduler_config.json resolved in full (see `resolve`);
    CheckpointError naming the file for a scheduler Latent Lab cannot sample."""
    path = folder / "scheduler" / "scheduler_config.json"
    cfg = read_json(path)
    if not isinstance(cfg, dict):
        raise CheckpointError(path, "is not a scheduler config")
    name = cfg.get("_class_name", "?")
    wrong = _wrong_type(cfg)
    if wrong:
        raise CheckpointError(path, wrong)
    if "beta_schedule" not in cfg and cfg.get("trained_betas") is None:
        raise CheckpointError(path, f"{name} has no β schedule; only DDPM-type (variance-"
                              "preserving) schedulers fit")
    try:
        full = resolve(cfg)
    except ValueError as exc:
        raise CheckpointError(path, str(exc)) from exc
    problem = _problem(full)
    if problem:
        raise CheckpointError(path, problem)
    return full


def foreign_config_fields(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Return the DDPMConfig fields describing a resolved scheduler config of a pipeline
    made elsewhere: its schedule, and no departures from diffusers."""
    schedule = cfg.get("beta_schedule")
    return {
        "num_train_timesteps": int(cfg.get("num_train_timesteps", 1000)),
        # With trained_betas diffusers ignores beta_schedule; the field only describes.
        "beta_schedule": FROM_DIFFUSERS.get(schedule, "linear"),  # type: ignore[arg-type]
        "beta_start": float(cfg.get("beta_start", 1e-4)),
        "beta_end": float(cfg.get("beta_end", 0.02)),
        "prediction_type": cfg.get("prediction_type", "epsilon"),
        "clip_sample": x0_clip(cfg) is not None,
        **DIFFUSERS.as_dict(),
    }
