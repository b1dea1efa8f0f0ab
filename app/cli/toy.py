"""`latentlab train --dataset toy:<set>` (or `csv:PATH`, two columns of points): the toy
lab's families on 2-D data; `latentlab info` and `eval` of a toy checkpoint.

A `toy:` or `csv:` dataset picks this parser instead of the image families' one, and `--model` then
names a toy family (gan, vae, diffusion, score, flow, ebm): the same family names as the
image models where the idea is the same, told apart by the data they train on. `latentlab
eval` recognises a toy checkpoint by its config.json (models/toy/run.py)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from typing import Any

from app.cli.argparser import Parser
from app.cli.argtypes import finite_float, folder_arg, in_range, whole_number
from app.cli.errors import UsageError

TOY_FAMILY_NAMES = ("gan", "vae", "diffusion", "score", "flow", "ebm")  # models/toy/families
at_least_1 = in_range(whole_number, 1, None)


TOY_DATASET_PREFIXES = ("toy:", "csv:")


def wants_toy(argv: list[str]) -> bool:
    """Return True when argv is a `train` command whose --dataset is `toy:…` or `csv:…`."""
    if "train" not in argv:
        return False
    for i, word in enumerate(argv):
        if word == "--dataset" and i + 1 < len(argv) and argv[i + 1].startswith(
                TOY_DATASET_PREFIXES):
            return True
        if word.startswith(tuple("--dataset=" + p for p in TOY_DATASET_PREFIXES)):
            return True
    return False


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key.replace("-", "_"), value


def build_toy_parser() -> argparse.ArgumentParser:
    """Return the parser of `latentlab train` for toy datasets (torch is not imported)."""
    parser = Parser(prog="latentlab")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    p = sub.add_parser("train", help="train a toy family on 2-D data",
                       description="Train a toy family on a 2-D set; writes run.json, "
                       "metrics.jsonl and checkpoints/last into --out.")
    p.add_argument("--model", required=True, choices=TOY_FAMILY_NAMES, help="toy family")
    p.add_argument("--dataset", required=True, metavar="toy:SET|csv:PATH",
                   help="toy:8gaussians, toy:25gaussians, toy:moons, toy:swissroll, "
                   "toy:spirals, toy:checkerboard, toy:rings, toy:pinwheel, toy:line; or "
                   "csv:PATH, a two-column CSV of points (optional header)")
    p.add_argument("--out", required=True, type=folder_arg, metavar="FOLDER")
    p.add_argument("--steps", type=at_least_1, default=2000, help="training steps")
    p.add_argument("--seed", type=in_range(whole_number, 0, 2**31 - 1), default=0,
                   help="seed of the data, the weights and every draw")
    p.add_argument("--threads", type=at_least_1, default=None,
                   help="torch threads (default: the app's rule, models/cores.py)")
    p.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    p.add_argument("--lr", type=finite_float, default=None, help="learning rate")
    p.add_argument("--hidden", type=at_least_1, default=None, help="hidden units per layer")
    p.add_argument("--layers", type=at_least_1, default=None, help="hidden layers")
    p.add_argument("--batch", type=at_least_1, default=None, help="batch size")
    p.add_argument("--set", dest="settings", type=_setting, action="append", default=[],
                   metavar="KEY=VALUE",
                   help="any other field of the family's config (e.g. --set loss=wgan-gp)")
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show tracebacks on errors")
    p.set_defaults(handler=cmd_toy_train, command_parser=p)
    return parser


def _config_settings(args: argparse.Namespace, config_cls: type) -> dict[str, Any]:
    types = {f.name: f.type for f in fields(config_cls)}
    given: dict[str, Any] = {k: getattr(args, k) for k in ("lr", "hidden", "layers", "batch")
                             if getattr(args, k) is not None}
    for key, raw in args.settings:
        if key not in types or key == "seed":
            known = ", ".join(t for t in types if t != "seed")
            raise UsageError(f"--set {key}: not a {args.model} setting; known: {known}")
        kind = str(types[key])
        try:
            if kind == "bool":
                if raw.lower() not in ("1", "0", "true", "false", "on", "off"):
                    raise ValueError(raw)
                given[key] = raw.lower() in ("1", "true", "on")
            elif kind == "int":
                given[key] = whole_number(raw)
            elif kind == "float":
                given[key] = finite_float(raw)
            else:
                given[key] = raw
        except (ValueError, argparse.ArgumentTypeError) as exc:
            raise UsageError(f"--set {key}={raw}: expected {kind} ({exc})") from None
    return given


def cmd_toy_train(args: argparse.Namespace) -> int:
    """Train with a progress bar; print the checkpoint and the toy metrics as JSON."""
    from models.toy.data import ToyDataError, read_csv, toy_dataset
    from models.toy.families import toy_classes
    from models.toy.run import evaluate_toy, toy_set_name, train_toy_run

    try:
        if args.dataset.startswith("csv:"):
            data = read_csv(args.dataset[len("csv:"):])  # bad rows named in one line
        else:
            data = toy_dataset(toy_set_name(args.dataset), seed=args.seed)
    except ToyDataError as exc:
        raise UsageError(str(exc)) from None
    from tqdm import tqdm

    from models.device import set_threads

    set_threads(args.threads)
    model_cls, config_cls = toy_classes(args.model)
    try:
        config = config_cls(seed=args.seed, **_config_settings(args, config_cls))
        model = model_cls(config, data)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"training toy {args.model} on {args.dataset} → {args.out}", file=sys.stderr)
    events = train_toy_run(model, args.out, args.steps, data_seed=args.seed,
                           data_size=len(data.points), overwrite=args.overwrite)
    with tqdm(total=args.steps, unit="step", file=sys.stderr, mininterval=0.25) as bar:
        try:
            for event in events:
                bar.update(1)
                if event.step % 50 == 0:
                    bar.set_postfix({k: f"{v:.3g}" for k, v in event.losses.items()},
                                    refresh=False)
        except KeyboardInterrupt:
            events.close()  # saves the steps done
            print(f"interrupted; saved {model.steps} steps", file=sys.stderr)
            return 1
    print(json.dumps({"checkpoint": str(args.out / "checkpoints" / "last"),
                      **evaluate_toy(model)}))
    return 0


def cmd_toy_eval(args: argparse.Namespace) -> int:
    """Print the toy metrics of a toy checkpoint as JSON."""
    from models.toy.run import evaluate_toy, load_toy_checkpoint

    model = load_toy_checkpoint(args.checkpoint)
    print(json.dumps(evaluate_toy(model, n=args.n or 10000), indent=2))
    return 0


def cmd_toy_info(args: argparse.Namespace) -> int:
    """Print a toy checkpoint described as JSON (eval's header, parameters, config)."""
    from models.toy.run import load_toy_checkpoint, toy_info

    print(json.dumps(toy_info(load_toy_checkpoint(args.checkpoint), args.checkpoint),
                     indent=2))
    return 0
