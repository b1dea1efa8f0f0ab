"""`latentlab sample` for Stable Diffusion–family pipeline folders: prompt in, image grid
out, optionally the recorded trajectory (models/pipelines/stepper.py's run) with its
guidance branches and, for SD and SDXL, the prompt's attention maps
(models/pipelines/trajectory.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.errors import UsageError, option

# Options of the command that only other checkpoints take.
NOT_FOR_PIPELINES = ("save_trajectory",)
PIPELINE_ONLY = ("prompt", "negative_prompt", "trajectory", "allow_pickle", "image", "mask",
                 "strength", "controlnet", "control_scale")


def is_pipeline_folder(folder: Path) -> bool:
    """Return True for a pipeline folder made elsewhere that is not a DDPM/DDIM one (those
    sample as a `ddpm`): models/pipelines opens it or says in one line why not. JSON only."""
    from models.checkpoint.errors import CheckpointError
    from models.checkpoint.json_io import read_json

    path = folder / "model_index.json"
    if not path.is_file() or (folder / "config.json").is_file():
        return False
    try:
        index = read_json(path)
    except CheckpointError:
        return False  # the ddpm path reports it as before
    return isinstance(index, dict) and \
        index.get("_class_name") not in ("DDPMPipeline", "DDIMPipeline")


def check_text_options(args: argparse.Namespace, is_pipeline: bool) -> None:
    """Refuse the pipeline-only options for other checkpoints, and the others for
    pipelines (UsageError, before torch loads)."""
    if not is_pipeline:
        for name in PIPELINE_ONLY:
            if getattr(args, name, None):
                raise UsageError(f"{option(name)} applies to pipeline folders "
                                 "(Stable Diffusion and kin) only")
        return
    for name in NOT_FOR_PIPELINES:
        if getattr(args, name, None) is not None:
            raise UsageError(f"{option(name)} does not apply to a pipeline folder "
                             "(use --trajectory)")
    if args.mask is not None and args.image is None:
        raise UsageError("--mask needs --image, the picture to paint into")
    if args.strength is not None and (args.image is None or args.controlnet is not None):
        raise UsageError("--strength applies to --image (img2img) and --mask (inpainting)")
    if args.controlnet is not None and args.image is None:
        raise UsageError("--controlnet needs --image, its conditioning image")
    if args.control_scale is not None and args.controlnet is None:
        raise UsageError("--control-scale applies to --controlnet only")
    if args.strength is not None and not 0.0 < args.strength <= 1.0:
        raise UsageError(f"--strength must be in (0, 1], not {args.strength}")


def _mode(args: argparse.Namespace) -> str | None:
    """Return the mode the options ask for (None: the folder's own)."""
    from models.pipelines.index import CONTROLNET, IMG2IMG, INPAINT

    if args.controlnet is not None:
        return CONTROLNET
    if args.mask is not None:
        return INPAINT
    return IMG2IMG if args.image is not None else None


def _read(path: Path | None, channels: int) -> Any:
    """Return the image file at `path` as float32 in [0, 1] (H×W×3, or H×W for a mask)."""
    if path is None:
        return None
    import numpy as np

    from models.data.decode import read_image

    pixels = read_image(path, channels)[..., :channels].astype(np.float32) / 255.0
    return pixels[..., 0] if channels == 1 else pixels


def cmd_sample_pipeline(args: argparse.Namespace) -> int:
    """Sample a pipeline folder with Latent Lab's recorded loop; print one JSON line."""
    from models.device import resolve_device
    from models.diffusion.events import DenoiseFinished
    from models.images import make_grid, save_image, to_uint8_nhwc
    from models.pipelines.events import PipelineStarted, PipelineStep
    from models.pipelines.opening import open_pipeline
    from models.pipelines.schedulers import FOLDER
    from models.pipelines.stepper import TextRequest, run_pipeline
    from models.pipelines.trajectory import from_events, save

    device = resolve_device(args.device)
    opened = open_pipeline(args.checkpoint, _mode(args), controlnet=args.controlnet,
                           allow_pickle=bool(args.allow_pickle), device=device)
    if args.class_ is not None and opened.family != "dit":
        raise UsageError("--class applies to class-conditional pipelines (DiT) only")
    request = TextRequest(
        prompt=args.prompt or "", negative_prompt=args.negative_prompt or "", seed=args.seed,
        steps=args.steps or 25, guidance=7.5 if args.guidance is None else args.guidance,
        sampler=args.sampler or FOLDER, eta=args.eta or 0.0, n=args.n or 1,
        image=_read(args.image, 3), mask=_read(args.mask, 1), strength=args.strength,
        control_scale=1.0 if args.control_scale is None else args.control_scale,
        class_label=args.class_)
    started: PipelineStarted | None = None
    steps, finished = [], None
    attention = args.trajectory is not None and opened.family in ("sd", "sdxl")
    for event in run_pipeline(opened, request, attention=attention):
        if isinstance(event, PipelineStarted):
            started = event
            for notice in event.notices:
                print(f"latentlab: note: {notice}", file=sys.stderr)
        elif isinstance(event, PipelineStep):
            steps.append(event)
        elif isinstance(event, DenoiseFinished):
            finished = event
    assert started is not None and finished is not None and finished.pixels is not None
    save_image(make_grid(to_uint8_nhwc(finished.pixels.decoded), nrow=args.nrow), args.out)
    result: dict[str, Any] = {"out": str(args.out), "checkpoint": str(opened.folder),
                              "pipeline": opened.index.class_name, **started.meta,
                              "notices": list(started.notices)}
    if args.trajectory is not None:
        save(from_events(steps, finished, started.meta), args.trajectory)
        result["trajectory"] = str(args.trajectory)
    print(json.dumps(result))
    return 0
