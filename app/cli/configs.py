"""Configs read back from parsed command-line options."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.errors import UsageError, option
from models.config import RESUME_MAY_CHANGE, ConfigBase, DataConfig, TrainConfig
from models.registry import FAMILIES, config_class

# Fields of the model configs that come from the dataset, not the command line.
DATA_SHAPED = {"image_size", "channels", "num_classes"}


def model_field_owners() -> dict[str, list[str]]:
    owners: dict[str, list[str]] = {}
    for fam in FAMILIES:
        for spec in config_class(fam).field_specs():
            if spec.name not in DATA_SHAPED:
                owners.setdefault(spec.name, []).append(fam)
    return owners


def fields_given(args: argparse.Namespace, cls: type[ConfigBase],
                  skip: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    out = {}
    for spec in cls.field_specs():
        if spec.name in skip or not hasattr(args, spec.name):
            continue
        value = getattr(args, spec.name)
        out[spec.name] = tuple(value) if spec.is_sequence else value
    return out


def model_config(args: argparse.Namespace) -> Any:
    cls = config_class(args.model)
    own = {s.name for s in cls.field_specs()}
    foreign = [n for n in model_field_owners() if n not in own and hasattr(args, n)
               and n not in {s.name for s in TrainConfig.field_specs()}
               and n not in {s.name for s in DataConfig.field_specs()}]
    if foreign:
        raise UsageError(f"{option(foreign[0])} does not apply to --model {args.model}")
    try:
        return cls(**fields_given(args, cls, DATA_SHAPED)).replace()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


# What `--resume` may change; every other option given must match the saved run.


def _same(given: Any, saved: Any) -> bool:
    """Return whether a command-line value equals a value read back from config.json."""
    if isinstance(given, (list, tuple)) and isinstance(saved, (list, tuple)):
        return len(given) == len(saved) and \
            all(_same(g, s) for g, s in zip(given, saved, strict=True))
    return bool(given == saved)


def _spelled(name: str, value: Any) -> str:
    """Return an option as typed: `--lr 0.01`, `--hidden-dims 32 16`, `--no-ema`."""
    if isinstance(value, bool):
        return option(name) if value else "--no-" + option(name)[2:]
    if isinstance(value, (list, tuple)):
        value = " ".join(map(str, value))
    return f"{option(name)} {value}"


def check_resume(args: argparse.Namespace) -> None:
    """Raise UsageError naming the first option that contradicts the run in --out.

    Prints (stderr) the settings it does change (RESUME_MAY_CHANGE: --epochs, --device,
    --threads, --precision, --channels-last, --compile).
    """
    import sys

    from models.checkpoint import read_checkpoint_config

    _, meta = read_checkpoint_config(args.out)
    family = meta["family"]
    if args.model != family:
        raise UsageError(f"--model {args.model} contradicts the saved run: the run in "
                         f"{args.out} was saved with --model {family}")
    may_change = ", ".join(option(n) for n in RESUME_MAY_CHANGE)
    changes = []
    sections = (("train", TrainConfig), ("data", DataConfig), ("model", config_class(family)))
    for section, cls in sections:
        saved = meta.get(section) or {}
        for name, value in fields_given(args, cls).items():
            if name not in saved or _same(value, saved[name]):
                continue
            was = "unset" if saved[name] is None else _spelled(name, saved[name])
            if section == "train" and name in RESUME_MAY_CHANGE:
                changes.append(f"{_spelled(name, value)} (saved: {was})")
                continue
            saved_as = f"without {option(name)}" if saved[name] is None else f"with {was}"
            raise UsageError(f"{_spelled(name, value)} contradicts the saved run: the run in "
                             f"{args.out} was saved {saved_as}; --resume may change only "
                             f"{may_change}")
    if changes:
        print(f"resuming with {', '.join(changes)}; every other setting as saved",
              file=sys.stderr)


def check_train_options(args: argparse.Namespace) -> None:
    """Raise UsageError for options no config accepts; run before torch loads.

    The checks argparse cannot make field by field: options of another family, and each
    config's own validation across fields.
    """
    model_config(args)
    try:
        TrainConfig(**fields_given(args, TrainConfig)).replace()
        DataConfig(**fields_given(args, DataConfig)).replace()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
