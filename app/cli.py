"""The `latentlab` command line: gui, train, sample, eval, info, self-test.

Nothing here imports Qt at module level, so `latentlab train` runs on a headless machine.
Exit status: 0 success, 2 usage error, 1 any other error (one `error:` line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from models.config import ConfigBase, DataConfig, FieldSpec, TrainConfig
from models.diffusion.samplers import SAMPLERS, sampler_help, sampler_spec
from models.registry import FAMILIES, config_class

# Fields of the model configs that come from the dataset, not the command line.
DATA_SHAPED = {"image_size", "channels", "num_classes"}


class UsageError(Exception):
    """A mistake in the command's arguments (exit status 2)."""


# --- argparse generated from the config dataclasses --------------------------------------
def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_field(group: argparse._ArgumentGroup, spec: FieldSpec, default: Any,
               help_suffix: str = "") -> None:
    kwargs: dict[str, Any] = {"dest": spec.name, "default": default}
    text = spec.help + help_suffix
    if spec.type is bool:
        group.add_argument(_option(spec.name), action=argparse.BooleanOptionalAction,
                           help=text, **kwargs)
        return
    if spec.is_sequence:
        kwargs["nargs"] = "+"
    if spec.choices:
        kwargs["choices"] = spec.choices
    shown = "" if default is argparse.SUPPRESS else f" (default: {spec.default})"
    group.add_argument(_option(spec.name), type=spec.type, help=text + shown,
                       metavar=spec.name.upper(), **kwargs)


def _model_field_owners() -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for fam in FAMILIES:
        for spec in config_class(fam).field_specs():
            if spec.name not in DATA_SHAPED:
                owners.setdefault(spec.name, []).append(fam)
    return owners


def _add_train_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model into a run folder",
                       description="Train a model; writes run.json, metrics.jsonl, "
                       "samples/ and checkpoints/ into --out.")
    p.add_argument("--model", required=True, choices=list(FAMILIES), help="model family")
    p.add_argument("--out", required=True, type=Path, help="run folder to write")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint")
    taken = {"model", "out", "resume"}
    g = p.add_argument_group("data")
    for spec in DataConfig.field_specs():
        _add_field(g, spec, argparse.SUPPRESS if spec.name != "dataset" else spec.default)
        taken.add(spec.name)
    g = p.add_argument_group("training")
    for spec in TrainConfig.field_specs():
        _add_field(g, spec, argparse.SUPPRESS)
        taken.add(spec.name)
    g = p.add_argument_group("model (each option applies to the families named)")
    owners = _model_field_owners()
    for name, fams in owners.items():
        if name in taken:
            continue
        spec = next(s for s in config_class(fams[0]).field_specs() if s.name == name)
        _add_field(g, spec, argparse.SUPPRESS, f" [{', '.join(fams)}]")
    p.set_defaults(handler=cmd_train)


def _fields_given(args: argparse.Namespace, cls: type[ConfigBase],
                  skip: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    out = {}
    for spec in cls.field_specs():
        if spec.name in skip or not hasattr(args, spec.name):
            continue
        value = getattr(args, spec.name)
        out[spec.name] = tuple(value) if spec.is_sequence else value
    return out


def _model_config(args: argparse.Namespace) -> Any:
    cls = config_class(args.model)
    own = {s.name for s in cls.field_specs()}
    foreign = [n for n in _model_field_owners() if n not in own and hasattr(args, n)
               and n not in {s.name for s in TrainConfig.field_specs()}
               and n not in {s.name for s in DataConfig.field_specs()}]
    if foreign:
        raise UsageError(f"{_option(foreign[0])} does not apply to --model {args.model}")
    try:
        return cls(**_fields_given(args, cls, DATA_SHAPED)).replace()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


# --- commands ------------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> int:
    """Train with a progress bar; print the final validation metrics."""
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

    model_cfg = _model_config(args)
    try:
        train_cfg = TrainConfig(**_fields_given(args, TrainConfig)).replace()
        data_cfg = DataConfig(**_fields_given(args, DataConfig)).replace()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    out: Path = args.out
    if args.resume:
        overrides = {k: v for k, v in _fields_given(args, TrainConfig).items()
                     if k in ("epochs", "device", "threads")}
        trainer = Trainer.resume(out, **overrides)
    else:
        if (out / "checkpoints" / "last" / "config.json").is_file():
            raise UsageError(f"{out} already holds a run: add --resume to continue it, "
                             f"or choose another --out")
        trainer = Trainer(args.model, model_cfg, train_cfg, data_cfg, out)
    bar = None
    final: dict[str, float] = {}
    events = trainer.run()
    try:
        for event in events:
            if isinstance(event, TrainStarted):
                print(f"training {event.family} on {trainer.dataset.name} "
                      f"({event.n_train} train / {event.n_val} validation images) "
                      f"on {event.device} → {event.run_dir}", file=sys.stderr)
                bar = tqdm(total=event.total_steps, initial=event.step, unit="step",
                           dynamic_ncols=True, file=sys.stderr, mininterval=0.25)
            elif isinstance(event, TrainStep):
                assert bar is not None
                bar.update(1)
                if event.step_in_epoch % 10 == 0 or event.step_in_epoch == 1:
                    bar.set_postfix(epoch=event.epoch + 1, loss=f"{event.metrics['loss']:.4g}",
                                    img_s=f"{event.images_per_s:.0f}", refresh=False)
            elif isinstance(event, EpochEnd):
                vals = "  ".join(f"val_{k}={v:.4g}" for k, v in event.val_metrics.items())
                msg = f"epoch {event.epoch}/{trainer.train.epochs}  {vals}  ({event.seconds:.1f} s)"
                (bar.write if bar else print)(msg)
            elif isinstance(event, TrainFinished):
                final = event.val_metrics
            elif isinstance(event, TrainStopped):
                print(f"stopped; saved {event.checkpoint}", file=sys.stderr)
            elif isinstance(event, TrainFailed):
                if bar:
                    bar.close()
                kept = f"; last good checkpoint: {event.last_good_checkpoint}" \
                    if event.last_good_checkpoint else ""
                raise RuntimeError(f"training stopped: {event.reason}{kept}")
    except KeyboardInterrupt:
        if bar:
            bar.close()
        events.close()  # the trainer saves the unsaved steps and waits for its writes
        print(f"interrupted; saved {trainer.run_dir.last_checkpoint} "
              f"(continue with --resume)", file=sys.stderr)
        return 1
    finally:
        if bar:
            bar.close()
    if "loss" in final:
        print(f"final validation loss: {final['loss']:.4f}")
    print(json.dumps({"checkpoint": str(trainer.run_dir.last_checkpoint),
                      "val": final}))
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    """Write a grid of samples from a checkpoint to a PNG."""
    import torch

    from models.checkpoint import load_checkpoint
    from models.device import resolve_device
    from models.images import make_grid, save_png, to_uint8_nhwc

    if args.n < 1:
        raise UsageError("--n must be at least 1")
    device = resolve_device(args.device)
    folder = Path(args.checkpoint).expanduser()
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
                raise UsageError(f"{_option(name)} applies to diffusion models only")
            options[name] = value
    if args.guidance is not None and not caps.conditional:
        raise UsageError("--guidance needs a class-conditional model")
    if args.steps is not None and args.steps < 1:
        raise UsageError("--steps must be at least 1")
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
    if args.save_trajectory is not None:
        if not caps.is_diffusion:
            raise UsageError("--save-trajectory applies to diffusion models only")
        options["save_trajectory"] = args.save_trajectory
    images = model.sample(args.n, args.seed, labels=labels, **options)
    grid = make_grid(to_uint8_nhwc(images), nrow=args.nrow)
    save_png(grid, args.out)
    result: dict[str, Any] = {"out": str(args.out), "n": args.n, "seed": args.seed,
                              "checkpoint": str(source)}
    if caps.is_diffusion:
        result.update(sampler=options.get("sampler") or model.config.sampler,
                      steps=options.get("steps") or model.config.sample_steps)
    if args.class_ is not None:
        result["class"] = args.class_
    if caps.conditional and caps.is_diffusion:
        result["guidance"] = model.config.guidance if args.guidance is None else args.guidance
    print(json.dumps(result))
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """Print a JSON description of a checkpoint."""
    from models.checkpoint import load_checkpoint

    loaded = load_checkpoint(args.checkpoint)
    model = loaded.model
    caps = model.capabilities
    print(json.dumps({
        "checkpoint": str(loaded.path),
        "family": loaded.family,
        "description": FAMILIES[loaded.family].description,
        "parameters": sum(p.numel() for p in model.parameters()),
        "capabilities": {"can_encode": caps.can_encode, "conditional": caps.conditional,
                         "is_diffusion": caps.is_diffusion,
                         "latent_shape": list(caps.latent_shape), "has_prior": caps.has_prior},
        "model": model.config.to_dict(),
        "data": loaded.data.to_dict() if loaded.data else None,
        "train": loaded.train.to_dict() if loaded.train else None,
        "class_names": list(loaded.class_names),
        "progress": loaded.progress,
        "versions": loaded.meta.get("versions", {}),
    }, indent=2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Print evaluation metrics of a checkpoint as JSON."""
    from models.evaluation import evaluate_checkpoint

    result = evaluate_checkpoint(args.checkpoint, device=args.device, n_samples=args.n)
    print(json.dumps(result, indent=2))
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    """Open the application window."""
    from app.main import run_gui

    return run_gui(checkpoint=args.checkpoint)


def cmd_self_test(args: argparse.Namespace) -> int:
    """Run the offscreen end-to-end GUI smoke test."""
    from app.self_test import run_self_test

    return run_self_test()


# --- entry point ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """Return the full argument parser."""
    parser = argparse.ArgumentParser(
        prog="latentlab", description="Latent Lab: see inside generative models.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("gui", help="open the application (the default)")
    p.add_argument("--checkpoint", type=Path, help="checkpoint or run folder to open")
    p.set_defaults(handler=cmd_gui)

    _add_train_parser(sub)

    p = sub.add_parser("sample", help="write a PNG grid of samples")
    p.add_argument("--checkpoint", required=True, type=Path, help="checkpoint or run folder")
    p.add_argument("--n", type=int, default=64, help="number of images (default 64)")
    p.add_argument("--out", required=True, type=Path, help="PNG file to write")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--nrow", type=int, default=None, help="images per row (default √n)")
    p.add_argument("--class", dest="class_", type=int, default=None,
                   help="class to generate, for conditional models")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    g = p.add_argument_group("diffusion")
    g.add_argument("--sampler", default=None, choices=tuple(SAMPLERS),
                   help=f"denoising sampler (default: the model's) — {sampler_help()}")
    g.add_argument("--steps", type=int, default=None, help="denoising steps")
    g.add_argument("--eta", type=float, default=None, help="DDIM η (0: deterministic)")
    g.add_argument("--guidance", type=float, default=None,
                   help="classifier-free guidance scale (conditional models)")
    g.add_argument("--save-trajectory", type=Path, default=None,
                   help="also save every step's x_t, ε̂ and x̂0 to this .npz")
    p.set_defaults(handler=cmd_sample)

    for name, helptext, handler in (("info", "describe a checkpoint as JSON", cmd_info),
                                    ("eval", "evaluate a checkpoint, JSON on stdout", cmd_eval)):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--checkpoint", required=True, type=Path, help="checkpoint or run folder")
        if name == "eval":
            p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
            p.add_argument("--n", type=int, default=None,
                           help="generated images for sample-quality metrics (default 2000; "
                           "500 for diffusion models, where each is a full sampler run)")
        p.set_defaults(handler=handler)

    p = sub.add_parser("self-test", help="offscreen end-to-end GUI smoke test (exit 0/1)")
    p.set_defaults(handler=cmd_self_test)
    return parser


def _expected_errors() -> tuple[type[BaseException], ...]:
    from models.checkpoint.errors import CheckpointError
    from models.data.dataset import DataError

    return (CheckpointError, DataError, ValueError, OSError, RuntimeError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"gui", "train", "sample", "eval", "info", "self-test"}
    lead = 1 if argv[:1] == ["--debug"] else 0
    if not argv[lead:] or (argv[lead] not in commands and argv[lead] not in ("-h", "--help")):
        argv.insert(lead, "gui")  # `latentlab [--checkpoint PATH]` opens the GUI
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return handler(args)
    except UsageError as exc:
        parser.exit(2, f"latentlab: error: {exc}\n")
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
    except _expected_errors() as exc:
        if args.debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line unless --debug
        if args.debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
