"""`latentlab sample`: write a grid of samples from a checkpoint."""

from __future__ import annotations

import argparse
import inspect
import json
from pathlib import Path
from typing import Any

from app.cli.errors import UsageError, option
from app.cli.sample_pipeline import check_text_options, cmd_sample_pipeline, is_pipeline_folder
from models.diffusion.samplers import SAMPLERS, sampler_spec

DEFAULT_N = 64  # images from a checkpoint; a pipeline folder makes 1 unless asked


def cmd_sample(args: argparse.Namespace) -> int:
    """Write a grid of samples from a checkpoint as an image in the --out extension's format."""
    import torch

    from models.checkpoint import load_checkpoint
    from models.device import resolve_device
    from models.images import make_grid, save_image, to_uint8_nhwc

    folder = Path(args.checkpoint).expanduser()
    is_pipeline = is_pipeline_folder(folder)
    check_text_options(args, is_pipeline)
    if is_pipeline:
        return cmd_sample_pipeline(args)
    if args.n is None:
        args.n = DEFAULT_N
    device = resolve_device(args.device)
    if (folder / "model_index.json").is_file() and not (folder / "config.json").is_file():
        # A diffusers pipeline folder trained elsewhere: it samples as a `ddpm`.
        from models.diffusion import load_diffusers_pipeline

        model, source = load_diffusers_pipeline(folder, device), folder
    else:
        loaded = load_checkpoint(args.checkpoint, device=device)
        model, source = loaded.model, loaded.path
    caps = model.capabilities
    options: dict[str, Any] = {}
    for name in ("sampler", "steps", "eta", "guidance"):
        value = getattr(args, name)
        if value is not None:
            if not caps.is_diffusion:
                raise UsageError(f"{option(name)} applies to diffusion models only")
            options[name] = value
    if args.guidance is not None and not caps.conditional:
        raise UsageError("--guidance needs a class-conditional model")
    if args.steps is not None and caps.is_diffusion and \
            args.steps > model.config.num_train_timesteps:
        raise UsageError(f"--steps must be at most the model's {model.config.num_train_timesteps} "
                         f"training timesteps, not {args.steps}")
    if args.eta is not None and \
            not sampler_spec(options.get("sampler") or model.config.sampler).uses_eta:
        with_eta = " or ".join(n for n, s in SAMPLERS.items() if s.uses_eta)
        raise UsageError(f"--eta applies to --sampler {with_eta} only")
    labels = None
    if args.class_ is not None:
        if not caps.conditional:
            raise UsageError("--class needs a class-conditional model")
        if not 0 <= args.class_ < model.config.num_classes:
            raise UsageError(f"--class must be in 0..{model.config.num_classes - 1}")
        labels = torch.full((args.n,), args.class_, dtype=torch.long)
    if args.temperature is not None:
        if "temperature" not in inspect.signature(model.sample).parameters:
            raise UsageError(f"--temperature does not apply to {model.family} models")
        options["temperature"] = args.temperature
    if args.save_trajectory is not None:
        if not caps.is_diffusion:
            raise UsageError("--save-trajectory applies to diffusion models only")
        options["save_trajectory"] = args.save_trajectory
    if args.psi is not None:
        if model.family != "stylegan":
            raise UsageError("--psi applies to stylegan models only")
        options["psi"] = args.psi
    images = model.sample(args.n, args.seed, labels=labels, **options)
    grid = make_grid(to_uint8_nhwc(images), nrow=args.nrow)
    save_image(grid, args.out)
    result: dict[str, Any] = {"out": str(args.out), "n": args.n, "seed": args.seed,
                              "checkpoint": str(source)}
    if caps.is_diffusion:
        result.update(sampler=options.get("sampler") or model.config.sampler,
                      steps=options.get("steps") or model.config.sample_steps,
                      departures=model.departures().as_dict())
    if "temperature" in inspect.signature(model.sample).parameters:
        result["temperature"] = options.get("temperature", model.config.temperature)
    if args.class_ is not None:
        result["class"] = args.class_
    if model.family == "stylegan":
        result["psi"] = model.config.truncation_psi if args.psi is None else args.psi
    if caps.conditional and caps.is_diffusion:
        result["guidance"] = model.config.guidance if args.guidance is None else args.guidance
    print(json.dumps(result))
    return 0
