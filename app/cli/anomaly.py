"""`latentlab anomaly`: how well a run's own score tells its held-out class, noise, rotated
or inverted images from the normal ones — one JSON object on stdout (and --json-out)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.errors import UsageError


def anomalies_arg(text: str) -> Any:
    """Return the AnomalySpec `text` names (argparse type: a usage error otherwise)."""
    from models.anomaly.sets import parse_anomalies

    try:
        return parse_anomalies(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_anomaly_parser(sub: argparse._SubParsersAction) -> None:
    """Add `anomaly` to the subcommands."""
    from app.cli.argtypes import device_arg, in_range, path_arg, whole_number
    from models.anomaly.sets import KINDS

    p = sub.add_parser("anomaly", help="anomaly detection with a run's own score, JSON",
                       description="Score normal images (the run's validation split) and "
                       "anomalies with the model's own score (reconstruction error, −ELBO, "
                       "NLL, discriminator, denoising error; higher = more anomalous) and "
                       "print one JSON object: ROC AUC and curve, score histograms, "
                       "summaries, the most and least anomalous images. An AUC under 0.5 "
                       "is reported as inverted, never flipped.")
    p.add_argument("--checkpoint", required=True, type=path_arg, metavar="RUN",
                   help="checkpoint or run folder")
    p.add_argument("--anomalies", required=True, type=anomalies_arg, metavar="SET",
                   help=f"{' | '.join(KINDS)}: a class the run excluded "
                   "(--exclude-class K), uniform noise, normal images rotated 90°/180°, "
                   "or inverted")
    p.add_argument("--n", type=in_range(whole_number, 1, None), default=None,
                   help="at most N images in each set (default: all)")
    p.add_argument("--seed", type=in_range(whole_number, 0, 2**32 - 1), default=0,
                   help="seed of the subsets, the noise images and the score's draws")
    p.add_argument("--json-out", type=path_arg, default=None, metavar="FILE",
                   help="also write the JSON object to FILE")
    p.add_argument("--device", type=device_arg, default="auto",
                   help="auto, cpu, cuda, cuda:N or mps")
    p.set_defaults(handler=cmd_anomaly)


def _load(path: Any, device: str) -> Any:
    """Return the loaded checkpoint; a bad one is a usage error (one line, exit 2)."""
    from models.checkpoint import CheckpointError, load_checkpoint
    from models.device import resolve_device

    try:
        return load_checkpoint(path, device=resolve_device(device))
    except CheckpointError as exc:
        raise UsageError(str(exc).strip().splitlines()[0]) from None


def cmd_anomaly(args: argparse.Namespace) -> int:
    """Score the sets, print the JSON object (stderr: progress)."""
    from models.anomaly.run import AnomalyProgress, run_anomaly
    from models.anomaly.scores import has_score
    from models.anomaly.sets import check_spec
    from models.device import set_threads

    set_threads(None)
    loaded = _load(args.checkpoint, args.device)
    try:
        check_spec(args.anomalies, loaded.data)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not has_score(loaded.model):
        raise UsageError(f"{loaded.family} models have no anomaly score")
    result = None
    for event in run_anomaly(loaded.model, loaded.data, loaded.train, args.anomalies,
                             args.n, args.seed):
        if isinstance(event, AnomalyProgress):
            print(f"\rscored {event.done}/{event.total} images", end="", file=sys.stderr,
                  flush=True)
        else:
            result = event
    print(file=sys.stderr)
    assert result is not None
    report = {"checkpoint": str(loaded.path), **result.to_dict()}
    text = json.dumps(report, indent=2)
    if args.json_out is not None:
        from models.checkpoint.atomic import atomic_write

        atomic_write(args.json_out, (text + "\n").encode())
    print(text)
    return 0
