"""Command-line options generated from the config dataclasses (`latentlab train --help`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.configs import model_field_owners
from app.cli.errors import option
from app.cli.train import cmd_train
from models.config import DataConfig, FieldSpec, TrainConfig
from models.registry import FAMILIES, config_class


# --- argparse generated from the config dataclasses --------------------------------------
def _add_field(group: argparse._ArgumentGroup, spec: FieldSpec, default: Any,
               help_suffix: str = "") -> None:
    kwargs: dict[str, Any] = {"dest": spec.name, "default": default}
    text = spec.help + help_suffix
    if spec.type is bool:
        group.add_argument(option(spec.name), action=argparse.BooleanOptionalAction,
                           help=text, **kwargs)
        return
    if spec.is_sequence:
        kwargs["nargs"] = "+"
    if spec.choices:
        kwargs["choices"] = spec.choices
    shown = "" if default is argparse.SUPPRESS else f" (default: {spec.default})"
    group.add_argument(option(spec.name), type=spec.type, help=text + shown,
                       metavar=spec.name.upper(), **kwargs)


def add_train_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model into a run folder",
                       description="Train a model; writes run.json, metrics.jsonl, "
                       "samples/ and checkpoints/ into --out.")
    p.add_argument("--model", required=True, choices=list(FAMILIES), help="model family")
    p.add_argument("--out", required=True, type=Path, help="run folder to write")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (its run.json, metrics.jsonl, "
                   "samples/ and checkpoints/; other files stay)")
    taken = {"model", "out", "resume", "overwrite"}
    g = p.add_argument_group("data")
    for spec in DataConfig.field_specs():
        _add_field(g, spec, argparse.SUPPRESS if spec.name != "dataset" else spec.default)
        taken.add(spec.name)
    g = p.add_argument_group("training")
    for spec in TrainConfig.field_specs():
        _add_field(g, spec, argparse.SUPPRESS)
        taken.add(spec.name)
    g = p.add_argument_group("model (each option applies to the families named)")
    owners = model_field_owners()
    for name, fams in owners.items():
        if name in taken:
            continue
        spec = next(s for s in config_class(fams[0]).field_specs() if s.name == name)
        _add_field(g, spec, argparse.SUPPRESS, f" [{', '.join(fams)}]")
    p.set_defaults(handler=cmd_train)


