"""Configs read back from parsed command-line options."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.errors import UsageError, option
from models.config import ConfigBase, DataConfig, TrainConfig
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
