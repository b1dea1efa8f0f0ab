"""Command-line options generated from the config dataclasses (`latentlab train --help`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from app.cli.argtypes import (
    class_list,
    dataset_arg,
    device_arg,
    finite_float,
    folder_arg,
    in_range,
    path_text,
    whole_number,
)
from app.cli.configs import check_train_options, model_field_owners
from app.cli.errors import option
from app.cli.train import cmd_train
from models.config import DataConfig, FieldSpec, TrainConfig
from models.registry import FAMILIES, config_class

# Options whose values are checked beyond their type when parsed (before torch loads).
_FIELD_TYPES: dict[str, Callable[[str], Any]] = {"dataset": dataset_arg,
                                                 "data_root": path_text,
                                                 "device": device_arg}
# Sequence options given as `--x 7 --x 3` or `--x 3,7` rather than `--x 3 7`.
_LISTS: dict[str, Callable[[str], list[Any]]] = {"exclude_class": class_list}
_TYPES: dict[type, Callable[[str], Any]] = {float: finite_float, int: whole_number}


def _shown(value: Any) -> str:
    """Return a default as a person types it on the command line."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (tuple, list)):
        return " ".join(str(v) for v in value)
    return str(value)


def _default_text(defaults: dict[str, Any]) -> str:
    """Return ` (default: X)`, or per family when the families' defaults differ."""
    if all(v is None for v in defaults.values()):
        return ""
    groups: dict[str, list[str]] = {}
    for fam, value in defaults.items():
        groups.setdefault(_shown(value), []).append(fam)
    if len(groups) == 1:
        return f" (default: {next(iter(groups))})"
    return " (default: " + "; ".join(f"{v} for {', '.join(f)}" for v, f in groups.items()) + ")"


# --- argparse generated from the config dataclasses --------------------------------------
def _add_field(group: argparse._ArgumentGroup, spec: FieldSpec,
               defaults: dict[str, Any], families: str = "") -> None:
    """Add `--<field>`; unset it stays absent from the namespace (default SUPPRESS)."""
    kwargs: dict[str, Any] = {"dest": spec.name, "default": argparse.SUPPRESS}
    text = spec.help + _default_text(defaults) + families
    if spec.type is bool:
        group.add_argument(option(spec.name), action=argparse.BooleanOptionalAction,
                           help=text, **kwargs)
        return
    if spec.name in _LISTS:  # repeatable, each a value or a comma list
        group.add_argument(option(spec.name), type=_LISTS[spec.name], action="extend",
                           metavar="K[,K…]", help=text, **kwargs)
        return
    if spec.is_sequence:
        kwargs["nargs"] = "+"
    if spec.choices:
        kwargs["choices"] = spec.choices  # shown as {a,b,c}: no metavar
    else:
        kwargs["metavar"] = spec.name.upper()
    kind = _FIELD_TYPES.get(spec.name) or _TYPES.get(spec.type, spec.type)
    if spec.min is not None or spec.max is not None:
        kind = in_range(kind, spec.min, spec.max)
    group.add_argument(option(spec.name), type=kind, help=text, **kwargs)


def add_train_parser(sub: Any) -> None:
    """Add `train` with one option per config field of the data, training and models."""
    p = sub.add_parser("train", help="train a model into a run folder",
                       usage="%(prog)s --model FAMILY --out FOLDER [--resume] [options]",
                       description="Train a model; writes run.json, metrics.jsonl, "
                       "samples/ and checkpoints/ into --out. With --resume, continues the "
                       "run in --out; only --epochs, --device and --threads may then change.")
    p.add_argument("--model", required=True, choices=list(FAMILIES),
                   help="model family (table in README)")
    p.add_argument("--out", required=True, type=folder_arg, metavar="FOLDER",
                   help="run folder to write")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (its run.json, metrics.jsonl, "
                   "samples/ and checkpoints/; other files stay)")
    taken = {"model", "out", "resume", "overwrite"}
    for title, cls in (("data", DataConfig), ("training", TrainConfig)):
        g = p.add_argument_group(title)
        for spec in cls.field_specs():
            _add_field(g, spec, {"": spec.default})
            taken.add(spec.name)
    g = p.add_argument_group("model (each option applies to the families named)")
    for name, fams in model_field_owners().items():
        if name in taken:
            continue
        specs = {f: next(s for s in config_class(f).field_specs() if s.name == name)
                 for f in fams}
        _add_field(g, specs[fams[0]], {f: s.default for f, s in specs.items()},
                   f" [{', '.join(fams)}]")
    p.set_defaults(handler=cmd_train, precheck=check_train_options)
