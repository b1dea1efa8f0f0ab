"""`latentlab compare`: runs side by side — weights per stage, sampling seconds per image,
Fréchet distance, training seconds — as a table, or JSON with --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.errors import UsageError


def _count(n: int | None) -> str:
    """Return a weight count as 1.23M / 456k."""
    if n is None:
        return "—"
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.0f}k"


def _training(row: dict[str, Any]) -> tuple[str, str, str]:
    """Return the training seconds, its CPU seconds and the epochs per phase as table
    cells."""
    training = row["training"]
    if training is None:
        return "—", "—", "—"
    epochs = "+".join(str(n) for n in training["epochs_by_phase"].values()) or "0"
    cpu = training.get("cpu_seconds")
    return f"{training['seconds']:.0f}", "—" if cpu is None else f"{cpu:.0f}", epochs


def _stages(row: dict[str, Any]) -> str:
    """Return the weights per stage as `autoencoder 0.68M + unet 2.54M`."""
    return " + ".join(f"{k} {_count(v)}" for k, v in row["parameters_by_stage"].items())


def format_table(report: dict[str, Any]) -> str:
    """Return the comparison as a plain-text table with its conditions above it and the
    reference below."""
    rows = report["runs"]
    header = ("run", "family", "weights", "per stage", "s/image", "FD", "train s", "CPU s",
              "epochs")
    cells = []
    for row in rows:
        fd = "—" if row["fd"] is None else f"{row['fd']:.2f}"
        cells.append((row["name"], row["family"], _count(row["parameters"]), _stages(row),
                      f"{row['sample_s_per_image']:.4f}", fd, *_training(row)))
    widths = [max(len(str(c[i])) for c in (header, *cells)) for i in range(len(header))]
    right = {2, 4, 5, 6, 7}  # numbers line up on the right

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    s = report["sampling"]
    lines = [f"sampling: {s['sampler']}, {s['steps']} steps (diffusion models), "
             f"{s['n']} images per run in batches of {s['batch']}, seed {s['seed']}, "
             f"{s['threads']} torch thread(s) on {s['device']}",
             line(header), line(tuple("-" * w for w in widths)), *map(line, cells)]
    for ref in report["references"]:
        if ref["extractor"] is None:
            lines.append(f"FD ({ref['dataset']}): {ref['unavailable']}")
        else:
            floor = ref["fd_real_vs_real"]
            lines.append(f"FD: Fréchet distance to {ref['n_real']} real {ref['dataset']} "
                         f"images in the {ref['feature_dim']}-d penultimate features of the "
                         f"{ref['extractor']} classifier (as `latentlab eval`); real vs real "
                         f"{'—' if floor is None else f'{floor:.2f}'}")
    lines.append("train s: the epochs' logged seconds summed (wall clock, validation and "
                 "previews included); CPU s: their CPU seconds (— for runs logged before "
                 "they were counted); epochs per phase after them")
    return "\n".join(lines)


def check_compare_args(args: argparse.Namespace) -> None:
    """Refuse fewer than two runs (a usage error, before torch loads)."""
    if len(args.runs) < 2:
        raise UsageError("compare needs at least two runs")


def cmd_compare(args: argparse.Namespace) -> int:
    """Measure each run and print the table (or JSON)."""
    from models.comparison import check_paths, measure_run
    from models.device import resolve_device, set_threads

    check_paths(args.runs)  # a bad path is refused before minutes of sampling
    threads = set_threads(args.threads)
    device = resolve_device(args.device)
    references: dict[str, Any] = {}
    rows = []
    for path in args.runs:
        print(f"measuring {path} …", file=sys.stderr, flush=True)
        rows.append(measure_run(path, args.n, args.seed, args.sampler, args.steps, device,
                                references).to_dict())
    report = {"sampling": {"sampler": args.sampler, "steps": args.steps, "n": args.n,
                           "batch": min(args.n, 250), "seed": args.seed, "threads": threads,
                           "device": str(device)},
              "runs": rows, "references": [r.to_dict() for r in references.values()]}
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0
