"""`latentlab train`: train a model into a run folder with a progress bar."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.configs import RESUME_MAY_CHANGE, check_resume, fields_given, model_config
from app.cli.errors import UsageError, option
from app.cli.interrupt import interrupted_message, stop_on_ctrl_c
from models.config import DataConfig, TrainConfig


def cmd_train(args: argparse.Namespace) -> int:
    """Train with a progress bar; print the final validation metrics. Started by torchrun
    (`torchrun --nproc-per-node N -m app.cli train …`), every process trains its share of
    each batch and rank 0 alone writes the run folder and reports."""
    from models.training.distributed import init_from_env, launched_by_torchrun, shutdown

    if not launched_by_torchrun():
        return _train(args, main=True)
    device = getattr(args, "device", None) or "auto"
    ranks = init_from_env(device)
    finished = False
    try:
        code = _train(args, main=ranks.is_main)
        finished = True
        return code
    finally:
        shutdown(finished)


def _train(args: argparse.Namespace, main: bool) -> int:
    """Train; `main` is False on the training processes other than rank 0, which train
    silently and write nothing."""
    from tqdm import tqdm

    from models.training import (
        EpochEnd,
        Trainer,
        TrainFailed,
        TrainFinished,
        TrainStarted,
        TrainStep,
        TrainStopped,
    )
    from models.training.run_dir import RunDir
    from models.training.run_lock import check_unlocked

    model_cfg = model_config(args)
    if getattr(model_cfg, "first_stage", None):
        model_cfg = _with_first_stage(args, model_cfg)
    try:
        train_cfg = TrainConfig(**fields_given(args, TrainConfig)).replace()
        data_cfg = DataConfig(**fields_given(args, DataConfig)).replace()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    out: Path = args.out
    if args.resume and args.overwrite:
        raise UsageError("--resume continues the run in --out, --overwrite replaces it: "
                         "choose one")
    # Quick refusals before the slow start (data, model); the trainer checks again under
    # the folder's lock.
    if main:
        check_unlocked(out)
    if main and not args.resume:
        try:
            RunDir(out).check_fresh(args.overwrite)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    if args.resume:
        check_resume(args)
        overrides = {k: v for k, v in fields_given(args, TrainConfig).items()
                     if k in RESUME_MAY_CHANGE}
        trainer = Trainer.resume(out, **overrides)
    else:
        trainer = Trainer(args.model, model_cfg, train_cfg, data_cfg, out,
                          overwrite=args.overwrite)
    if not main:
        return _train_silently(trainer)
    bar = None
    phase = None
    final: dict[str, float] = {}
    events = trainer.run()
    try:
        with stop_on_ctrl_c(trainer):
            for event in events:
                if isinstance(event, TrainStarted):
                    print(f"training {event.family} on {trainer.dataset.name} "
                          f"({event.n_train} train / {event.n_val} validation images) "
                          f"on {event.device} → {event.run_dir}", file=sys.stderr)
                    if len(event.phases) > 1:
                        _print_phases(event.phases, trainer.model_config)
                    bar = tqdm(total=event.total_steps, initial=event.step, unit="step",
                               dynamic_ncols=True, file=sys.stderr, mininterval=0.25)
                elif isinstance(event, TrainStep):
                    assert bar is not None
                    if trainer.multi_phase and phase is not None and event.phase != phase:
                        bar.write(f"phase {event.phase}: from epoch {event.epoch + 1}")
                    phase = event.phase
                    bar.update(1)
                    if event.step_in_epoch % 10 == 0 or event.step_in_epoch == 1:
                        bar.set_postfix(epoch=event.epoch + 1,
                                        loss=f"{event.metrics['loss']:.4g}",
                                        img_s=f"{event.images_per_s:.0f}", refresh=False)
                elif isinstance(event, EpochEnd):
                    vals = "  ".join(f"val_{k}={v:.4g}" for k, v in event.val_metrics.items())
                    where = f" [{event.phase}]" if trainer.multi_phase else ""
                    msg = (f"epoch {event.epoch}/{trainer.total_epochs}{where}  {vals}  "
                           f"({event.seconds:.1f} s)")
                    (bar.write if bar else print)(msg)
                elif isinstance(event, TrainFinished):
                    final = event.val_metrics
                elif isinstance(event, TrainStopped):  # the first Ctrl-C
                    if bar:
                        bar.close()
                    print(f"interrupted; saved {event.checkpoint} at step {event.step} "
                          f"(continue with --resume)", file=sys.stderr)
                    return 1
                elif isinstance(event, TrainFailed):
                    if bar:
                        bar.close()
                    kept = f"; last good checkpoint: {event.last_good_checkpoint}" \
                        if event.last_good_checkpoint else ""
                    raise RuntimeError(f"training stopped: {event.reason}{kept}")
    except KeyboardInterrupt:  # the second Ctrl-C: wherever it landed
        if bar:
            bar.close()
        events.close()  # between steps, the trainer saves the steps done; inside one, not
        print(interrupted_message(trainer), file=sys.stderr)
        return 1
    finally:
        if bar:
            bar.close()
        events.close()  # after TrainStopped/TrainFailed: waits for the trainer's writes
    if "loss" in final:  # the last phase's (latent diffusion: the UNet's)
        print(f"final validation loss: {final['loss']:.4f}")
    print(json.dumps({"checkpoint": str(trainer.run_dir.last_checkpoint),
                      "val": final}))
    return 0


def _train_silently(trainer: Any) -> int:
    """Run a training process other than rank 0 to its end; return 1 when the run stopped
    early or failed (rank 0 says why), else 0."""
    from models.training import TrainFailed, TrainStopped

    events = trainer.run()
    try:
        with stop_on_ctrl_c(trainer):
            for event in events:
                if isinstance(event, TrainStopped | TrainFailed):
                    return 1
    except KeyboardInterrupt:
        return 1
    finally:
        events.close()
    return 0


def _print_phases(phases: tuple[tuple[str, int], ...], config: Any) -> None:
    """Print the phases a run trains, one line (stderr)."""
    parts = [f"{name} ({n} epoch{'s' * (n != 1)})" if n else
             f"{name} (taken from {config.first_stage})" if getattr(config, "first_stage", None)
             else f"{name} (none)" for name, n in phases]
    print("phases: " + ", then ".join(parts), file=sys.stderr)


def _with_first_stage(args: argparse.Namespace, config: Any) -> Any:
    """Return `config` with the autoencoder's shape read from --first-stage (the options
    given on the command line must agree with it) and its path made absolute."""
    from models.latent_diffusion.pipeline_io import first_stage_fields

    path = Path(config.first_stage).expanduser().resolve()
    fields = first_stage_fields(path)
    for name, value in fields.items():
        if not hasattr(args, name):  # not given: taken from the first stage
            continue
        given = getattr(args, name)
        if (tuple(given) if isinstance(value, tuple) else given) != value:
            raise UsageError(f"{option(name)} {given} contradicts the first stage in "
                             f"{path}, which has {value}")
    try:
        return config.replace(first_stage=str(path), **fields)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
