"""`latentlab sample` for Stable Diffusion–family pipeline folders: prompt in, image grid
out, optionally the recorded trajectory (models/pipelines/stepper.py's run)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.errors import UsageError, option

# Options of the command that only other checkpoints take.
NOT_FOR_PIPELINES = ("class_", "save_trajectory")


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
    pipeline_only = ("prompt", "negative_prompt", "trajectory", "allow_pickle")
    if not is_pipeline:
        for name in pipeline_only:
            if getattr(args, name, None):
                raise UsageError(f"{option(name)} applies to pipeline folders "
                                 "(Stable Diffusion and kin) only")
        return
    for name in NOT_FOR_PIPELINES:
        if getattr(args, name, None) is not None:
            raise UsageError(f"{option(name.rstrip('_'))} does not apply to a pipeline folder"
                             + (" (use --trajectory)" if name == "save_trajectory" else ""))


def cmd_sample_pipeline(args: argparse.Namespace) -> int:
    """Sample a pipeline folder with Latent Lab's recorded loop; print one JSON line."""
    from models.device import resolve_device
    from models.diffusion.events import DenoiseFinished
    from models.diffusion.trajectory_io import Trajectory
    from models.images import make_grid, save_image, to_uint8_nhwc
    from models.pipelines.events import PipelineStarted, PipelineStep
    from models.pipelines.opening import open_pipeline
    from models.pipelines.schedulers import FOLDER
    from models.pipelines.stepper import TextRequest, run_pipeline

    device = resolve_device(args.device)
    opened = open_pipeline(args.checkpoint, allow_pickle=bool(args.allow_pickle),
                           device=device)
    request = TextRequest(
        prompt=args.prompt or "", negative_prompt=args.negative_prompt or "", seed=args.seed,
        steps=args.steps or 25, guidance=7.5 if args.guidance is None else args.guidance,
        sampler=args.sampler or FOLDER, eta=args.eta or 0.0, n=args.n or 1)
    started: PipelineStarted | None = None
    steps, finished = [], None
    for event in run_pipeline(opened, request):
        if isinstance(event, PipelineStarted):
            started = event
            for notice in event.notices:
                print(f"latentlab: note: {notice}", file=sys.stderr)
        elif isinstance(event, PipelineStep):
            steps.append(event.step)
        elif isinstance(event, DenoiseFinished):
            finished = event
    assert started is not None and finished is not None and finished.pixels is not None
    save_image(make_grid(to_uint8_nhwc(finished.pixels.decoded), nrow=args.nrow), args.out)
    result: dict[str, Any] = {"out": str(args.out), "checkpoint": str(opened.folder),
                              "pipeline": opened.index.class_name, **started.meta,
                              "notices": list(started.notices)}
    if args.trajectory is not None:
        Trajectory.from_events([*steps, finished], started.meta).save(args.trajectory)
        result["trajectory"] = str(args.trajectory)
    print(json.dumps(result))
    return 0
